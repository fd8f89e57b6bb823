"""Training jobs: CreateTrainingJob / StopTrainingJob, and the background run of each job.

moto keeps the job and answers Describe/List; :class:`TrainingMixin` validates the
request, starts :func:`run_training_job` in the background and moves the job
through AWS's statuses and secondary statuses. The work itself is the engine's
(:mod:`emulators.sagemaker.engines.training`); the run is tracked in MLflow.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, InvalidInput
from emulators.core.moto_coupling import Request
from emulators.sagemaker import container
from emulators.sagemaker.api import common, events, experiments
from emulators.sagemaker.api.state import TuningTrial
from emulators.sagemaker.container import ContainerError
from emulators.sagemaker.engines import tracking, training

log = logging.getLogger("emulators.sagemaker")

_WARMED: set[str] = set()  # MLflow stores opened in this process


def transition(job: Any, status: str, message: str) -> None:
    """Append a secondary status transition (closing the previous one)."""
    now = utcnow()
    transitions = job.secondary_status_transitions or []
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = now
    transitions.append({"Status": status, "StartTime": now, "StatusMessage": message})
    job.secondary_status_transitions = transitions
    job.secondary_status = status
    job.last_modified_time = now


class TrainingMixin:
    """Training job operations of the SageMaker backend."""

    def create_training_job(self, training_job_name: str, tuning_trial: TuningTrial | None = None,
                            **kwargs: Any) -> Any:
        if training_job_name in self.training_jobs:
            raise AlreadyExists(f"Training job names must be unique within an AWS account and region, and a "
                                f"training job with this name already exists "
                                f"({self.training_jobs[training_job_name].arn})", code="ResourceInUse")
        common.validate_request("CreateTrainingJob", {"training_job_name": training_job_name, **kwargs})
        spec = copy.deepcopy(kwargs.get("algorithm_specification") or {})
        if not spec.get("TrainingImage") and not spec.get("AlgorithmName"):
            raise InvalidInput("Either AlgorithmName or TrainingImage must be specified in AlgorithmSpecification.")
        if spec.get("AlgorithmName") and not spec.get("TrainingImage"):
            raise InvalidInput(f"AlgorithmName {spec['AlgorithmName']!r}: algorithm resources (AWS Marketplace) "
                               "are not emulated; give the TrainingImage of a framework or built-in algorithm")
        if not (kwargs.get("output_data_config") or {}).get("S3OutputPath"):
            raise InvalidInput("OutputDataConfig.S3OutputPath is required")
        # AWS describes the output configuration with its key, an empty string when none was given
        kwargs["output_data_config"] = {"KmsKeyId": "", **kwargs["output_data_config"]}
        job = super().create_training_job(training_job_name=training_job_name, **kwargs)  # type: ignore[misc]
        try:
            runner: training.Runner | None = training.resolve_image(spec.get("TrainingImage"),
                                                                    kwargs.get("hyper_parameters"))
        except ContainerError:
            runner = None
        if runner is not None and runner.kind == "builtin" and not spec.get("MetricDefinitions"):
            from emulators.sagemaker.runtime import builtin_algorithms

            spec["MetricDefinitions"] = builtin_algorithms.metric_definitions(runner.name)
        elif "MetricDefinitions" not in spec:
            spec.pop("MetricDefinitions", None)
        job.algorithm_specification = spec
        job.training_job_status = "InProgress"
        job.secondary_status = "Starting"
        job.secondary_status_transitions = [{"Status": "Starting", "StartTime": job.creation_time,
                                             "StatusMessage": "Preparing the instances for training"}]
        job.training_start_time = None
        job.training_end_time = None
        job.final_metric_data_list = None
        job.model_artifacts = None
        job.failure_reason = None
        job.hyper_parameters = kwargs.get("hyper_parameters") or {}
        # DescribeTrainingJob's TuningJobArn (moto describes the job's attributes)
        job.tuning_job_arn = tuning_trial.tuning_job_arn if tuning_trial is not None else None
        if tuning_trial is not None:
            self.extras.tuning_trials[job.arn] = tuning_trial  # type: ignore[attr-defined]
        experiments.start_job_component(self, job, "training", job.hyper_parameters)
        events.training_job_changed(self, training_job_name)
        warm_tracking()
        common.cloud().submit(run_training_job, self.account_id, self.region_name,  # type: ignore[attr-defined]
                              training_job_name)
        return job

    def stop_training_job(self, name: str) -> None:
        job = self._training_job(name)
        if job.training_job_status != "InProgress":
            raise InvalidInput(f"The request was rejected because the training job is in status "
                               f"{job.training_job_status}.")
        job.training_job_status = "Stopping"
        transition(job, "Stopping", "Stopping the training job")
        common.STOP_REQUESTS.add(job.arn)

    def _training_job(self, name: str) -> Any:
        job = self.training_jobs.get(name)  # type: ignore[attr-defined]
        if job is None:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:training-job/{name}"  # type: ignore
            raise InvalidInput(f"Requested resource not found: Training job {arn} not found")
        return job


def stop_training_job_handler(request: Request) -> dict[str, Any]:
    common.backend_of(request).stop_training_job(request.get("TrainingJobName"))
    return {}


def warm_tracking() -> None:
    """Import MLflow and open its store while the first job runs, not after it."""
    root = common.mlflow_root()
    if str(root) in _WARMED:
        return
    _WARMED.add(str(root))

    def warm() -> None:
        try:
            tracking.experiment_id(root, tracking.TRAINING_EXPERIMENT)
        except Exception:
            log.exception("MLflow store could not be opened")

    common.cloud().submit(warm)


def forget_warmed() -> None:
    _WARMED.clear()


# ===================================================================== the run
def run_training_job(account_id: str, region: str, name: str) -> None:
    backend = common.backend(account_id, region)
    job = backend.training_jobs.get(name)
    if job is None:
        return
    cloud = common.cloud()
    shipper = common.log_stream(account_id, region, common.TRAINING_LOG_GROUP, f"{name}/algo-1-{int(time.time())}")
    metrics_live = common.METRICS.setdefault(job.arn, {})
    spec = training.TrainingSpec(
        job_name=name, hyperparameters=dict(job.hyper_parameters or {}),
        algorithm_specification=job.algorithm_specification, input_data_config=job.input_data_config or [],
        output_data_config=job.output_data_config or {}, resource_config=job.resource_config or {},
        stopping_condition=job.stopping_condition or {}, region=region, endpoint_url=cloud.endpoint_url)
    trial = backend.extras.tuning_trials.get(job.arn)
    if trial is not None and trial.objective_metric:
        spec.hyperparameters.setdefault("_tuning_objective_metric", trial.objective_metric)

    def on_status(status: str, message: str) -> None:
        with cloud.mutating():
            if status == "Training" and job.training_start_time is None:
                job.training_start_time = utcnow()
            if job.training_job_status == "InProgress":
                transition(job, status, message)

    def on_line(line: str, metrics: dict[str, list[float]]) -> None:
        shipper.add(line)
        metrics_live.clear()
        metrics_live.update({k: list(v) for k, v in metrics.items()})

    def on_start(process: Any) -> None:
        common.started(job.arn, process)

    try:
        result = training.run_training(spec, common.data_dir() / "jobs", common.s3(), on_status,
                                       should_stop=lambda: job.arn in common.STOP_REQUESTS, on_line=on_line,
                                       on_start=on_start)
    finally:
        common.PROCESSES.pop(job.arn, None)
    if result.failure_reason and not any(result.failure_reason in line for line in result.log_lines[-3:]):
        shipper.add(result.failure_reason)
    shipper.flush()
    metrics_live.clear()
    metrics_live.update(result.metrics)
    run_id = _track_training_job(backend, job, result)
    with cloud.mutating():
        now = utcnow()
        job.training_job_status = result.status
        transition(job, result.secondary_status, {
            "Completed": "Training job completed", "Stopped": "Training job stopped",
            "MaxRuntimeExceeded": "Training job exceeded MaxRuntimeInSeconds",
            "Failed": "Training job failed"}.get(result.secondary_status, result.secondary_status))
        job.secondary_status_transitions[-1]["EndTime"] = now
        job.failure_reason = result.failure_reason
        job.training_start_time = job.training_start_time or now
        job.training_end_time = now
        job.last_modified_time = now
        seconds = max(1, int((now - job.training_start_time).total_seconds()))
        job.training_time_in_seconds = seconds
        job.billable_time_in_seconds = seconds
        if result.model_artifact and result.status != "Failed":
            job.model_artifacts = {"S3ModelArtifacts": result.model_artifact}
        job.final_metric_data_list = [{"MetricName": k, "Value": v, "Timestamp": now}
                                      for k, v in result.final_metrics().items()] or None
        backend.extras.mlflow_runs[job.arn] = run_id
        backend.extras.script_seconds[job.arn] = result.script_seconds
        experiments.finish_job_component(backend, job, "training", result.status, result.failure_reason,
                                         job.final_metric_data_list)
    common.STOP_REQUESTS.discard(job.arn)
    events.training_job_changed(backend, name)


def _track_training_job(backend: Any, job: Any, result: training.TrainingResult) -> str | None:
    try:
        root = common.mlflow_root()
        experiment = (job.experiment_config or {}).get("ExperimentName") or tracking.TRAINING_EXPERIMENT
        trial = backend.extras.tuning_trials.get(job.arn)
        parent = backend.extras.mlflow_runs.get(trial.tuning_job_arn) if trial is not None else None
        run_id = tracking.start_run(root, job.training_job_name, experiment=experiment, parent_run_id=parent)
        folder = container.JobFolder(common.data_dir() / "jobs" / job.training_job_name)
        tracking.log_training_job(
            root, run_id, {k: v for k, v in (job.hyper_parameters or {}).items()}, result.metrics,
            folder.model if result.status == "Completed" else None, folder.log, result.status,
            {"sagemaker.training_job_arn": job.arn, "sagemaker.training_image":
                job.algorithm_specification.get("TrainingImage"), "sagemaker.status": result.status,
             "sagemaker.failure_reason": result.failure_reason, "sagemaker.model_artifacts": result.model_artifact})
        return run_id
    except Exception:
        log.exception("MLflow tracking of %s failed", job.training_job_name)
        return None
