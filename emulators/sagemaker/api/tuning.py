"""Hyperparameter tuning jobs: Create/Stop, ListTrainingJobsForHyperParameterTuningJob, and the run.

A tuning job's run asks the search engine (:mod:`emulators.sagemaker.engines.tuning`:
optuna TPE, random or grid, early stopping) for hyperparameters and starts each
trial as a real training job of this backend; what each trial was asked and how
its objective came out is the backend's declared state (:class:`.state.TuningTrial`).
The tuning job is an MLflow parent run of its training jobs' runs.
"""

from __future__ import annotations

import copy
import logging
import time
import uuid
from typing import Any

from emulators.core import paging
from emulators.core.clock import utcnow
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common
from emulators.sagemaker.api.state import TuningTrial
from emulators.sagemaker.engines import tracking
from emulators.sagemaker.engines import tuning as engine

log = logging.getLogger("emulators.sagemaker")


class TuningMixin:
    """Hyperparameter tuning operations of the SageMaker backend."""

    def create_hyper_parameter_tuning_job(self, **kwargs: Any) -> str:
        common.validate_request("CreateHyperParameterTuningJob", kwargs)
        config = kwargs.get("hyper_parameter_tuning_job_config") or {}
        if kwargs.get("training_job_definitions"):
            raise InvalidInput("TrainingJobDefinitions (several algorithms) are not emulated; "
                               "use TrainingJobDefinition")
        if not kwargs.get("training_job_definition"):
            raise InvalidInput("TrainingJobDefinition is required")
        if kwargs.get("warm_start_config"):
            raise InvalidInput("WarmStartConfig is not emulated by the sandbox")
        try:
            engine.validate_ranges(config)
            engine.validate_resource_config(kwargs["training_job_definition"])
        except engine.TuningError as exc:
            raise InvalidInput(str(exc)) from None
        objective = config.get("HyperParameterTuningJobObjective") or {}
        if not objective.get("MetricName"):
            raise InvalidInput("HyperParameterTuningJobObjective.MetricName is required")
        arn = super().create_hyper_parameter_tuning_job(**kwargs)
        job = self.hyper_parameter_tuning_jobs[kwargs["hyper_parameter_tuning_job_name"]]
        job.hyper_parameter_tuning_job_status = "InProgress"
        job.hyper_parameter_tuning_end_time = None
        job.best_training_job = None
        job.OverallBestTrainingJob = None
        job.tuning_job_completion_details = None
        job.consumed_resources = None
        job.failure_reason = None
        job.training_job_status_counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0,
                                            "NonRetryableError": 0, "Stopped": 0}
        job.objective_status_counters = {"Succeeded": 0, "Pending": 0, "Failed": 0}
        common.cloud().submit(run_tuning_job, self.account_id, self.region_name, job.hyper_parameter_tuning_job_name)
        return arn

    def stop_hyper_parameter_tuning_job(self, name: str) -> None:
        job = self.hyper_parameter_tuning_jobs.get(name)
        if job is None:
            raise NotFound(f"Amazon SageMaker can't find a tuning job named {name}", code="ResourceNotFound")
        if job.hyper_parameter_tuning_job_status != "InProgress":
            raise InvalidInput(f"The tuning job is in status "
                               f"{job.hyper_parameter_tuning_job_status}")
        job.hyper_parameter_tuning_job_status = "Stopping"
        common.STOP_REQUESTS.add(job.arn)

    def list_training_jobs_for_hyper_parameter_tuning_job(self, name: str, status_equals: str | None,
                                                          sort_by: str | None, sort_order: str | None) -> list:
        tuning_job = self.hyper_parameter_tuning_jobs.get(name)
        if tuning_job is None:
            raise NotFound(f"Amazon SageMaker can't find a tuning job named {name}", code="ResourceNotFound")
        trials = self.extras.tuning_trials
        summaries = [training_job_summary(job, tuning_job, trials[job.arn]) for job in self.training_jobs.values()
                     if job.arn in trials and trials[job.arn].tuning_job_arn == tuning_job.arn]
        if status_equals:
            summaries = [s for s in summaries if s["TrainingJobStatus"] == status_equals]
        maximize = (tuning_job.hyper_parameter_tuning_job_config.get("HyperParameterTuningJobObjective") or {}
                    ).get("Type", "Maximize") == "Maximize"
        if sort_by == "FinalObjectiveMetricValue":
            with_value = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
            without = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" not in s]
            with_value.sort(key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
                            reverse=(sort_order or ("Descending" if maximize else "Ascending")) == "Descending")
            return with_value + without
        key = {"Name": "TrainingJobName", "Status": "TrainingJobStatus"}.get(sort_by or "", "CreationTime")
        summaries.sort(key=lambda s: s[key], reverse=sort_order == "Descending")
        return summaries


def training_job_summary(job: Any, tuning_job: Any, trial: TuningTrial) -> dict[str, Any]:
    """A ``HyperParameterTrainingJobSummary`` of one training job of a tuning job."""
    summary = {
        "TrainingJobName": job.training_job_name,
        "TrainingJobArn": job.arn,
        "TuningJobName": tuning_job.hyper_parameter_tuning_job_name,
        "CreationTime": job.creation_time,
        "TrainingJobStatus": job.training_job_status,
        "TunedHyperParameters": trial.tuned_hyperparameters,
    }
    if job.training_start_time:
        summary["TrainingStartTime"] = job.training_start_time
    if job.training_end_time:
        summary["TrainingEndTime"] = job.training_end_time
    if job.failure_reason:
        summary["FailureReason"] = job.failure_reason
    if trial.final_objective:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = trial.final_objective
    summary["ObjectiveStatus"] = trial.objective_status
    return summary


def stop_tuning_job_handler(request: Request) -> dict[str, Any]:
    common.backend_of(request).stop_hyper_parameter_tuning_job(
        request.get("HyperParameterTuningJobName"))
    return {}


def list_training_jobs_for_tuning_job_handler(request: Request) -> dict[str, Any]:
    summaries = common.backend_of(request).list_training_jobs_for_hyper_parameter_tuning_job(
        request.get("HyperParameterTuningJobName"), request.get("StatusEquals"),
        request.get("SortBy"), request.get("SortOrder"))
    items, token = paging.page(summaries, request.get("NextToken"), request.get("MaxResults"),
                               listing=f"sagemaker:list_training_jobs_for_tuning_job:"
                                       f"{request.get('HyperParameterTuningJobName')}")
    result: dict[str, Any] = {"TrainingJobSummaries": items}
    if token:
        result["NextToken"] = token
    return result


# ===================================================================== the run
def run_tuning_job(account_id: str, region: str, name: str) -> None:
    backend = common.backend(account_id, region)
    tuning_job = backend.hyper_parameter_tuning_jobs.get(name)
    if tuning_job is None:
        return
    cloud = common.cloud()
    config = tuning_job.hyper_parameter_tuning_job_config
    definition = tuning_job.training_job_definition
    objective = config.get("HyperParameterTuningJobObjective") or {}
    metric_name = objective.get("MetricName")
    root = common.mlflow_root()
    try:
        parent_run = tracking.start_run(root, name, tags={"sagemaker.tuning_job_arn": tuning_job.arn,
                                                          "sagemaker.strategy": config.get("Strategy", "Bayesian")})
        backend.extras.mlflow_runs[tuning_job.arn] = parent_run
    except Exception:
        log.exception("MLflow parent run for %s", name)
        parent_run = None

    def start_job(index: int, values: dict[str, str]) -> str:
        job_name = f"{name}-{index:03d}-{uuid.uuid4().hex[:8]}"
        algo = copy.deepcopy(definition.get("AlgorithmSpecification") or {})
        algo.pop("AlgorithmName", None)
        hps = {**(definition.get("StaticHyperParameters") or {}), **values}
        with cloud.mutating():
            backend.create_training_job(
                training_job_name=job_name, hyper_parameters=hps, algorithm_specification=algo,
                role_arn=definition.get("RoleArn"), input_data_config=definition.get("InputDataConfig"),
                output_data_config=definition.get("OutputDataConfig"),
                resource_config=engine.training_resource_config(definition), vpc_config=definition.get("VpcConfig"),
                stopping_condition=definition.get("StoppingCondition"), tags=None,
                enable_network_isolation=bool(definition.get("EnableNetworkIsolation", False)),
                enable_inter_container_traffic_encryption=bool(
                    definition.get("EnableInterContainerTrafficEncryption", False)),
                enable_managed_spot_training=bool(definition.get("EnableManagedSpotTraining", False)),
                checkpoint_config=definition.get("CheckpointConfig"), debug_hook_config=None,
                debug_rule_configurations=None, tensor_board_output_config=None, experiment_config=None,
                tuning_trial=TuningTrial(tuning_job_arn=tuning_job.arn, objective_metric=metric_name,
                                         tuned_hyperparameters=values))
        return job_name

    def job_state(job_name: str) -> tuple[str, list[float]]:
        job = backend.training_jobs[job_name]
        history = list(common.METRICS.get(job.arn, {}).get(metric_name, []))
        return job.training_job_status, history

    def stop_job(job_name: str) -> None:
        # a job can end on its own between the look at its status and the stop (the lock of mutating() is
        # shared with the job's runner); StopTrainingJob then refuses it, and the job keeps the end it reached
        job = backend.training_jobs[job_name]
        if job.training_job_status != "InProgress":
            return
        with cloud.mutating():
            try:
                backend.stop_training_job(job_name)
            except InvalidInput:
                if job.training_job_status == "InProgress":
                    raise

    def on_change(outcome: engine.TuningOutcome) -> None:
        with cloud.mutating():
            counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
            objectives = {"Succeeded": 0, "Pending": 0, "Failed": 0}
            for record in outcome.trials:
                job = backend.training_jobs[record.job_name]
                status = record.status if record.status != "InProgress" else job.training_job_status
                if status in ("InProgress", "Stopping"):
                    counters["InProgress"] += 1
                    objectives["Pending"] += 1
                    continue
                counters["NonRetryableError" if status == "Failed" else status] += 1
                succeeded = record.objective is not None and (status == "Completed" or record.early_stopped)
                objectives["Succeeded" if succeeded else "Failed"] += 1
                trial = backend.extras.tuning_trials[job.arn]
                trial.tuned_hyperparameters = record.hyperparameters
                trial.objective_status = "Succeeded" if succeeded else "Failed"
                trial.final_objective = {"Type": objective.get("Type", "Maximize"), "MetricName": metric_name,
                                         "Value": record.objective} if succeeded else None
            tuning_job.training_job_status_counters = counters
            tuning_job.objective_status_counters = objectives
            if outcome.best is not None:
                best = backend.training_jobs[outcome.best.job_name]
                summary = training_job_summary(best, tuning_job, backend.extras.tuning_trials[best.arn])
                tuning_job.best_training_job = summary
                tuning_job.OverallBestTrainingJob = summary
            tuning_job.last_modified_time = utcnow()

    started = time.time()
    try:
        outcome = engine.run_tuning(config, start_job, job_state, stop_job,
                                    should_stop=lambda: tuning_job.arn in common.STOP_REQUESTS, on_change=on_change)
        on_change(outcome)
    except Exception as exc:
        log.exception("tuning job %s failed", name)
        outcome = engine.TuningOutcome(status="Failed", failure_reason=f"InternalServerError: {exc}")
    # the MLflow parent run is ended (best job tagged) before the job says Completed: a caller that sees
    # Completed finds the run's outcome in MLflow too
    if parent_run:
        try:
            best = outcome.best
            tracking.end_run(root, parent_run, outcome.status,
                             metrics={f"best {metric_name}": best.objective} if best and best.objective is not None
                             else None,
                             tags={"sagemaker.best_training_job": best.job_name if best else None},
                             params={f"best.{k}": v for k, v in (best.hyperparameters if best else {}).items()})
        except Exception:
            log.exception("MLflow parent run end for %s", name)
    with cloud.mutating():
        now = utcnow()
        tuning_job.hyper_parameter_tuning_job_status = outcome.status
        tuning_job.failure_reason = outcome.failure_reason or ""
        tuning_job.hyper_parameter_tuning_end_time = now
        tuning_job.last_modified_time = now
        tuning_job.consumed_resources = {"RuntimeInSeconds": int(time.time() - started)}
    common.STOP_REQUESTS.discard(tuning_job.arn)
