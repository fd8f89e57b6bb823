"""SageMaker and SageMaker Runtime on moto, with jobs that really run and endpoints that really predict.

moto keeps the resources (jobs, models, endpoint configs, endpoints, model
packages) and answers describe/list; this module's backend subclasses start the
work in the background (``cloud.submit``) and move the resources through AWS's
states. Processes, loaded models and capture buffers live in module-level
registries (never pickled); after a restart running jobs are marked Failed and
InService endpoints reload their models on the first request.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import random
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import AwsError
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud
from emulators.sagemaker import (automl, container, hosting, monitoring, pipelines, processing, tracking, training,
                                 transform, tuning, validation)
from emulators.sagemaker.container import ContainerError

log = logging.getLogger("emulators.sagemaker")

SageMakerBackend = moto_coupling.backend_class("sagemaker")
RuntimeBackend = moto_coupling.backend_class("sagemaker-runtime")

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"
ENDPOINT_LOG_GROUP = "/aws/sagemaker/Endpoints"

# -- module-level registries (not pickled) ---------------------------------------------------
_PROCESSES: dict[str, Any] = {}        # job ARN -> Popen
_STOP_REQUESTS: set[str] = set()       # ARNs of jobs asked to stop
_METRICS: dict[str, dict[str, list[float]]] = {}  # training job ARN -> live metric history
_CAPTURE: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (S3 prefix, endpoint/variant) -> records
_CAPTURE_LOCK = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _cloud() -> Any:
    return current_cloud()


def _data_dir() -> Path:
    return _cloud().data_dir("sagemaker")


def _mlflow_root() -> Path:
    return _data_dir() / "mlflow"


class LogShipper:
    """Lines of a job's output, sent to CloudWatch Logs in batches."""

    def __init__(self, account_id: str, region: str, group: str, stream: str) -> None:
        self.account_id, self.region, self.group, self.stream = account_id, region, group, stream
        self.pending: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()
        self.lock = threading.Lock()

    def add(self, line: str) -> None:
        if not line.strip():
            return
        with self.lock:
            self.pending.append({"timestamp": int(time.time() * 1000), "message": line})
            due = len(self.pending) >= 200 or time.monotonic() - self.last_flush > 1.0
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            events, self.pending = self.pending, []
            self.last_flush = time.monotonic()
        try:
            backend = moto_coupling.backend_for("logs", self.account_id, self.region)
            with _cloud().mutating():
                backend.ensure_log_group(self.group)
                backend.ensure_log_stream(self.group, self.stream)
                if events:
                    backend.put_log_events(self.group, self.stream, events)
        except Exception:
            log.exception("could not ship logs to %s/%s", self.group, self.stream)


_WARMED: set[str] = set()


def _started(arn: str, process: Any) -> None:
    """Remember a job's process; one that started while the sandbox shuts down is ended at once."""
    _PROCESSES[arn] = process
    if _cloud().stopping:  # the shutdown hook has already killed the processes it knew
        container.kill_process_group(process)


def _warm_tracking() -> None:
    """Import MLflow and open its store while the first job runs, not after it."""
    root = _mlflow_root()
    if str(root) in _WARMED:
        return
    _WARMED.add(str(root))

    def warm() -> None:
        try:
            tracking.experiment_id(root, tracking.TRAINING_EXPERIMENT)
        except Exception:
            log.exception("MLflow store could not be opened")

    _cloud().submit(warm)


def _s3() -> Any:
    return s3_access()


def validate_request(operation: str, arguments: dict[str, Any]) -> None:
    """AWS's server-side checks (patterns, enums, ranges) of a request moto handed on as arguments."""
    errors = validation.request_errors(operation, validation.from_kwargs(operation, arguments))
    if errors:
        raise AwsError("ValidationException", validation.message(errors))


def _transition(job: Any, status: str, message: str) -> None:
    now = utcnow()
    transitions = job.secondary_status_transitions or []
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = now
    transitions.append({"Status": status, "StartTime": now, "StatusMessage": message})
    job.secondary_status_transitions = transitions
    job.secondary_status = status
    job.last_modified_time = now


class SandboxSageMakerBackend(pipelines.PipelineBackendMixin, automl.AutoMLBackendMixin,  # type: ignore[misc]
                              SageMakerBackend):  # type: ignore[valid-type]
    """moto's SageMaker backend with training, processing, tuning, AutoML, transform, hosting and pipelines executed."""

    # extra per-resource state (plain dicts: pickled with the backend)
    def _extras(self) -> dict[str, dict[str, Any]]:
        if not hasattr(self, "sandbox_extras"):
            self.sandbox_extras: dict[str, dict[str, Any]] = {}
        return self.sandbox_extras

    # ---------------------------------------------------------------- training jobs
    def create_training_job(self, training_job_name: str, **kwargs: Any) -> Any:
        if training_job_name in self.training_jobs:
            raise AwsError("ResourceInUse", f"Training job names must be unique within an AWS account and region, "
                                            f"and a training job with this name already exists "
                                            f"({self.training_jobs[training_job_name].arn})")
        validate_request("CreateTrainingJob", {"training_job_name": training_job_name, **kwargs})
        spec = copy.deepcopy(kwargs.get("algorithm_specification") or {})
        if not spec.get("TrainingImage") and not spec.get("AlgorithmName"):
            raise AwsError("ValidationException", "Either AlgorithmName or TrainingImage must be specified in "
                                                  "AlgorithmSpecification.")
        if spec.get("AlgorithmName") and not spec.get("TrainingImage"):
            raise AwsError("ValidationException", f"AlgorithmName {spec['AlgorithmName']!r}: algorithm resources "
                                                  "(AWS Marketplace) are not emulated; give the TrainingImage of a "
                                                  "framework or built-in algorithm")
        if not (kwargs.get("output_data_config") or {}).get("S3OutputPath"):
            raise AwsError("ValidationException", "OutputDataConfig.S3OutputPath is required")
        tuning_job_arn = kwargs.pop("tuning_job_arn", None)
        # AWS describes the output configuration with its key, an empty string when none was given
        kwargs["output_data_config"] = {"KmsKeyId": "", **kwargs["output_data_config"]}
        job = super().create_training_job(training_job_name=training_job_name, **kwargs)
        try:
            runner: training.Runner | None = training.resolve_image(spec.get("TrainingImage"),
                                                                    kwargs.get("hyper_parameters"))
        except ContainerError:
            runner = None
        if runner is not None and runner.kind == "builtin" and not spec.get("MetricDefinitions"):
            from emulators.sagemaker import builtin_algorithms

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
        job.tuning_job_arn = tuning_job_arn
        job.hyper_parameters = kwargs.get("hyper_parameters") or {}
        _warm_tracking()
        _cloud().submit(run_training_job, self.account_id, self.region_name, training_job_name)
        return job

    def stop_training_job(self, name: str) -> None:
        job = self._training_job(name)
        if job.training_job_status != "InProgress":
            raise AwsError("ValidationException", f"The request was rejected because the training job is in "
                                                  f"status {job.training_job_status}.")
        job.training_job_status = "Stopping"
        _transition(job, "Stopping", "Stopping the training job")
        _STOP_REQUESTS.add(job.arn)

    def _training_job(self, name: str) -> Any:
        job = self.training_jobs.get(name)
        if job is None:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:training-job/{name}"
            raise AwsError("ValidationException", f"Requested resource not found: Training job {arn} not found")
        return job

    # ---------------------------------------------------------------- processing jobs
    def create_processing_job(self, **kwargs: Any) -> Any:
        name = kwargs["processing_job_name"]
        if name in self.processing_jobs:
            raise AwsError("ResourceInUse", f"Processing job names must be unique; {name} already exists")
        validate_request("CreateProcessingJob", kwargs)
        environment = kwargs.pop("environment", None)
        resources = kwargs.pop("processing_resources", None)
        job = super().create_processing_job(**kwargs)
        job.processing_resources = resources
        job.processing_job_status = "InProgress"
        job.processing_end_time = None
        job.processing_start_time = utcnow()
        job.failure_reason = None
        job.exit_message = None
        job.environment = environment
        _cloud().submit(run_processing_job, self.account_id, self.region_name, name)
        return job

    def stop_processing_job(self, processing_job_name: str) -> None:
        job = self.processing_jobs.get(processing_job_name)
        if job is None:
            return super().stop_processing_job(processing_job_name)
        if job.processing_job_status != "InProgress":
            raise AwsError("ValidationException", f"The request was rejected because the processing job is in "
                                                  f"status {job.processing_job_status}.")
        job.processing_job_status = "Stopping"
        _STOP_REQUESTS.add(job.arn)

    # ---------------------------------------------------------------- hosting
    def create_model(self, **kwargs: Any) -> Any:
        validate_request("CreateModel", kwargs)
        if kwargs["model_name"] in self._models:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:model/{kwargs['model_name']}"
            raise AwsError("ValidationException", f"Cannot create already existing model \"{arn}\".")
        model = super().create_model(**kwargs)
        if not model.vpc_config:  # AWS leaves out a VpcConfig that was not given (moto answered {})
            model.vpc_config = None
        return model

    def create_endpoint_config(self, **kwargs: Any) -> Any:
        validate_request("CreateEndpointConfig", kwargs)
        if kwargs["endpoint_config_name"] in self.endpoint_configs:
            arn = (f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint-config/"
                   f"{kwargs['endpoint_config_name']}")
            raise AwsError("ValidationException", f"Cannot create already existing endpoint configuration "
                                                  f"\"{arn}\".")
        return super().create_endpoint_config(**kwargs)

    def create_endpoint(self, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
        validate_request("CreateEndpoint", {"endpoint_name": endpoint_name,
                                            "endpoint_config_name": endpoint_config_name, "tags": tags})
        if endpoint_name in self.endpoints:
            raise AwsError("ValidationException", f"Cannot create already existing endpoint "
                                                  f"\"{self.endpoints[endpoint_name].arn}\".")
        if endpoint_config_name not in self.endpoint_configs:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint-config/{endpoint_config_name}"
            raise AwsError("ValidationException", f"Could not find endpoint configuration \"{arn}\".")
        endpoint = super().create_endpoint(endpoint_name, endpoint_config_name, tags)
        endpoint.endpoint_status = "Creating"
        endpoint.data_capture_config = capture_summary(endpoint.data_capture_config)
        _cloud().submit(load_endpoint, self.account_id, self.region_name, endpoint_name, endpoint_config_name)
        return endpoint

    def update_endpoint(self, endpoint_name: str, endpoint_config_name: str) -> str:
        endpoint = self._endpoint(endpoint_name)
        if endpoint.endpoint_status not in ("InService", "Failed"):
            raise AwsError("ValidationException", f"Cannot update in-progress endpoint \"{endpoint.arn}\".")
        if endpoint_config_name not in self.endpoint_configs:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint-config/{endpoint_config_name}"
            raise AwsError("ValidationException", f"Could not find endpoint configuration \"{arn}\".")
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        self._extras().setdefault(endpoint.arn, {})["pending_config"] = endpoint_config_name
        _cloud().submit(load_endpoint, self.account_id, self.region_name, endpoint_name, endpoint_config_name)
        return endpoint.arn

    def delete_endpoint(self, endpoint_name: str) -> None:
        super().delete_endpoint(endpoint_name)
        hosting.LOADED.pop(hosting.endpoint_key(self.account_id, self.region_name, endpoint_name), None)

    def _endpoint(self, name: str) -> Any:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:endpoint/{name}"
            raise AwsError("ValidationException", f"Could not find endpoint \"{arn}\".")
        return endpoint

    # ---------------------------------------------------------------- batch transform
    def create_transform_job(self, **kwargs: Any) -> Any:
        name = kwargs["transform_job_name"]
        if name in self.transform_jobs:
            raise AwsError("ResourceInUse", f"Transform job names must be unique; {name} already exists")
        validate_request("CreateTransformJob", kwargs)
        for member in ("InputFilter", "OutputFilter"):
            try:
                transform.parse_path((kwargs.get("data_processing") or {}).get(member))
            except ValueError as exc:
                raise AwsError("ValidationException", f"DataProcessing.{member}: {exc}") from None
        if kwargs["model_name"] not in self._models:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:model/{kwargs['model_name']}"
            raise AwsError("ValidationException", f"Could not find model \"{arn}\".")
        job = super().create_transform_job(**kwargs)
        job.transform_job_status = "InProgress"
        job.transform_end_time = None
        job.failure_reason = None
        _cloud().submit(run_transform_job, self.account_id, self.region_name, name)
        return job

    def stop_transform_job(self, name: str) -> None:
        job = self.transform_jobs.get(name)
        if job is None:
            raise AwsError("ValidationException", f"Could not find transform job '{name}'.")
        if job.transform_job_status == "InProgress":
            job.transform_job_status = "Stopping"
            _STOP_REQUESTS.add(job.arn)

    # ---------------------------------------------------------------- tuning
    def create_hyper_parameter_tuning_job(self, **kwargs: Any) -> str:
        validate_request("CreateHyperParameterTuningJob", kwargs)
        config = kwargs.get("hyper_parameter_tuning_job_config") or {}
        if kwargs.get("training_job_definitions"):
            raise AwsError("ValidationException", "TrainingJobDefinitions (several algorithms) are not emulated; "
                                                  "use TrainingJobDefinition")
        if not kwargs.get("training_job_definition"):
            raise AwsError("ValidationException", "TrainingJobDefinition is required")
        if kwargs.get("warm_start_config"):
            raise AwsError("ValidationException", "WarmStartConfig is not emulated by the sandbox")
        try:
            tuning.validate_ranges(config)
            tuning.validate_resource_config(kwargs["training_job_definition"])
        except tuning.TuningError as exc:
            raise AwsError("ValidationException", str(exc)) from None
        objective = config.get("HyperParameterTuningJobObjective") or {}
        if not objective.get("MetricName"):
            raise AwsError("ValidationException", "HyperParameterTuningJobObjective.MetricName is required")
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
        _cloud().submit(run_tuning_job, self.account_id, self.region_name, job.hyper_parameter_tuning_job_name)
        return arn

    def stop_hyper_parameter_tuning_job(self, name: str) -> None:
        job = self.hyper_parameter_tuning_jobs.get(name)
        if job is None:
            raise AwsError("ResourceNotFound", f"Amazon SageMaker can't find a tuning job named {name}")
        if job.hyper_parameter_tuning_job_status != "InProgress":
            raise AwsError("ValidationException", f"The tuning job is in status "
                                                  f"{job.hyper_parameter_tuning_job_status}")
        job.hyper_parameter_tuning_job_status = "Stopping"
        _STOP_REQUESTS.add(job.arn)

    def list_training_jobs_for_hyper_parameter_tuning_job(self, name: str, status_equals: str | None,
                                                          sort_by: str | None, sort_order: str | None) -> list:
        tuning_job = self.hyper_parameter_tuning_jobs.get(name)
        if tuning_job is None:
            raise AwsError("ResourceNotFound", f"Amazon SageMaker can't find a tuning job named {name}")
        summaries = [training_job_summary(job, tuning_job) for job in self.training_jobs.values()
                     if getattr(job, "tuning_job_arn", None) == tuning_job.arn]
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

    # ---------------------------------------------------------------- model registry
    def create_model_package_group(self, model_package_group_name: str, model_package_group_description: str,
                                   tags: Any = None) -> str:
        validate_request("CreateModelPackageGroup", {"model_package_group_name": model_package_group_name,
                                                     "model_package_group_description":
                                                         model_package_group_description, "tags": tags})
        arn = super().create_model_package_group(model_package_group_name, model_package_group_description, tags)
        try:
            tracking.ensure_registered_model(_mlflow_root(), model_package_group_name,
                                             model_package_group_description)
        except Exception:
            log.exception("MLflow registered model for %s", model_package_group_name)
        return arn

    def create_model_package(self, **kwargs: Any) -> str:
        validate_request("CreateModelPackage", kwargs)
        group = kwargs.get("model_package_group_name")
        if group and group not in self.model_package_groups:
            raise AwsError("ValidationException", f"Model Package Group {group} does not exist.")
        arn = super().create_model_package(**kwargs)
        if group:
            package = next(p for p in self.model_packages.values() if p.arn == arn)
            containers = ((kwargs.get("inference_specification") or {}).get("Containers") or [{}])
            source = containers[0].get("ModelDataUrl") or ""
            run_id = self._run_for_artifact(source)
            try:
                version = tracking.create_model_version(
                    _mlflow_root(), group, source, kwargs.get("model_package_description"),
                    package.model_approval_status or "PendingManualApproval", arn, run_id)
                self._extras()[arn] = {"mlflow_version": version, "group": group}
            except Exception:
                log.exception("MLflow model version for %s", arn)
        return arn

    def update_model_package(self, model_package_arn: str, model_approval_status: str | None, **kwargs: Any) -> str:
        validate_request("UpdateModelPackage", {"model_package_arn": model_package_arn,
                                                "model_approval_status": model_approval_status, **kwargs})
        arn = super().update_model_package(model_package_arn=model_package_arn,
                                           model_approval_status=model_approval_status, **kwargs)
        extra = self._extras().get(arn)
        if extra and model_approval_status:
            try:
                tracking.set_approval_status(_mlflow_root(), extra["group"], extra["mlflow_version"],
                                             model_approval_status)
            except Exception:
                log.exception("MLflow approval status for %s", arn)
        return arn

    # ---------------------------------------------------------------- monitoring (see .monitoring)
    def create_compilation_job(self, **kwargs: Any) -> Any:
        # moto marks a compilation job COMPLETED at once without writing a compiled model
        raise AwsError("NotImplemented", "SageMaker Neo compilation jobs are not emulated by the offline sandbox: "
                                         "compiling for a target device needs AWS's Neo compiler. Deploy the "
                                         "uncompiled model.tar.gz instead; run `sandbox services` for what runs.")

    def create_data_quality_job_definition(self, account_id: str, job_definition_name: str, **kwargs: Any) -> Any:
        monitoring.check_new_job_definition(account_id, self.region_name, job_definition_name)
        return super().create_data_quality_job_definition(account_id=account_id,
                                                          job_definition_name=job_definition_name, **kwargs)

    def list_tags(self, arn: str, **kwargs: Any) -> Any:
        if monitoring.is_schedule_arn(arn):
            return monitoring.list_schedule_tags(self, arn), None
        try:
            return super().list_tags(arn=arn, **kwargs)
        except AttributeError:  # moto: the ARN names no resource it keeps
            raise AwsError("ValidationException", f"Resource {arn} does not exist") from None

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> Any:
        if monitoring.is_schedule_arn(arn):
            return monitoring.add_schedule_tags(self, arn, tags)
        try:
            return super().add_tags(arn, tags)
        except AttributeError:
            raise AwsError("ValidationException", f"Resource {arn} does not exist") from None

    def delete_tags(self, arn: str, tag_keys: list[str]) -> None:
        if monitoring.is_schedule_arn(arn):
            return monitoring.delete_schedule_tags(self, arn, tag_keys)
        try:
            return super().delete_tags(arn, tag_keys)
        except AttributeError:
            raise AwsError("ValidationException", f"Resource {arn} does not exist") from None

    def _run_for_artifact(self, model_data_url: str) -> str | None:
        for job in self.training_jobs.values():
            if (job.model_artifacts or {}).get("S3ModelArtifacts") == model_data_url:
                return self._extras().get(job.arn, {}).get("mlflow_run_id")
        return None


def training_job_summary(job: Any, tuning_job: Any) -> dict[str, Any]:
    extra = getattr(job, "tuning_summary", None) or {}
    summary = {
        "TrainingJobName": job.training_job_name,
        "TrainingJobArn": job.arn,
        "TuningJobName": tuning_job.hyper_parameter_tuning_job_name,
        "CreationTime": job.creation_time,
        "TrainingJobStatus": job.training_job_status,
        "TunedHyperParameters": extra.get("TunedHyperParameters", {}),
    }
    if job.training_start_time:
        summary["TrainingStartTime"] = job.training_start_time
    if job.training_end_time:
        summary["TrainingEndTime"] = job.training_end_time
    if job.failure_reason:
        summary["FailureReason"] = job.failure_reason
    if extra.get("FinalHyperParameterTuningJobObjectiveMetric"):
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = extra["FinalHyperParameterTuningJobObjectiveMetric"]
    summary["ObjectiveStatus"] = extra.get("ObjectiveStatus", "Pending")
    return summary


def _backend(account_id: str, region: str) -> SandboxSageMakerBackend:
    return moto_coupling.backend_for("sagemaker", account_id, region)


# ===================================================================== training run
def run_training_job(account_id: str, region: str, name: str) -> None:
    backend = _backend(account_id, region)
    job = backend.training_jobs.get(name)
    if job is None:
        return
    cloud = _cloud()
    shipper = LogShipper(account_id, region, TRAINING_LOG_GROUP, f"{name}/algo-1-{int(time.time())}")
    metrics_live = _METRICS.setdefault(job.arn, {})
    spec = training.TrainingSpec(
        job_name=name, hyperparameters=dict(job.hyper_parameters or {}),
        algorithm_specification=job.algorithm_specification, input_data_config=job.input_data_config or [],
        output_data_config=job.output_data_config or {}, resource_config=job.resource_config or {},
        stopping_condition=job.stopping_condition or {}, region=region, endpoint_url=cloud.endpoint_url)
    tuning_objective = (getattr(job, "sandbox_tuning_objective", None) or "")
    if tuning_objective:
        spec.hyperparameters.setdefault("_tuning_objective_metric", tuning_objective)

    def on_status(status: str, message: str) -> None:
        with cloud.mutating():
            if status == "Training" and job.training_start_time is None:
                job.training_start_time = utcnow()
            if job.training_job_status == "InProgress":
                _transition(job, status, message)

    def on_line(line: str, metrics: dict[str, list[float]]) -> None:
        shipper.add(line)
        metrics_live.clear()
        metrics_live.update({k: list(v) for k, v in metrics.items()})

    def on_start(process: Any) -> None:
        _started(job.arn, process)

    try:
        result = training.run_training(spec, _data_dir() / "jobs", _s3(), on_status,
                                       should_stop=lambda: job.arn in _STOP_REQUESTS, on_line=on_line,
                                       on_start=on_start)
    finally:
        _PROCESSES.pop(job.arn, None)
    if result.failure_reason and not any(result.failure_reason in l for l in result.log_lines[-3:]):
        shipper.add(result.failure_reason)
    shipper.flush()
    metrics_live.clear()
    metrics_live.update(result.metrics)
    run_id = _track_training_job(backend, job, result)
    with cloud.mutating():
        now = utcnow()
        job.training_job_status = result.status
        _transition(job, result.secondary_status, {
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
        backend._extras().setdefault(job.arn, {})["mlflow_run_id"] = run_id
        backend._extras()[job.arn]["script_seconds"] = result.script_seconds
    _STOP_REQUESTS.discard(job.arn)


def _track_training_job(backend: Any, job: Any, result: training.TrainingResult) -> str | None:
    try:
        root = _mlflow_root()
        experiment = (job.experiment_config or {}).get("ExperimentName") or tracking.TRAINING_EXPERIMENT
        parent = backend._extras().get(getattr(job, "tuning_job_arn", None) or "", {}).get("mlflow_run_id")
        run_id = tracking.start_run(root, job.training_job_name, experiment=experiment, parent_run_id=parent)
        folder = container.JobFolder(_data_dir() / "jobs" / job.training_job_name)
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


# ===================================================================== processing run
def run_processing_job(account_id: str, region: str, name: str) -> None:
    backend = _backend(account_id, region)
    job = backend.processing_jobs.get(name)
    if job is None:
        return
    cloud = _cloud()
    shipper = LogShipper(account_id, region, PROCESSING_LOG_GROUP, f"{name}/algo-1-{int(time.time())}")
    try:
        result = processing.run_processing(
            name, job.app_specification or {}, job.processing_inputs or [], job.processing_output_config or {},
            getattr(job, "environment", None) or {}, job.stopping_condition or {}, _data_dir() / "jobs", _s3(),
            cloud.endpoint_url, region, should_stop=lambda: job.arn in _STOP_REQUESTS, on_line=shipper.add,
            on_start=lambda p: _started(job.arn, p),
            predict_for_model=lambda predictor: _clarify_predictor(backend, name, predictor))
    finally:
        _PROCESSES.pop(job.arn, None)
    if result.failure_reason:
        shipper.add(result.failure_reason)
    shipper.flush()
    with cloud.mutating():
        now = utcnow()
        job.processing_job_status = result.status
        job.failure_reason = result.failure_reason
        job.exit_message = result.exit_message
        job.processing_end_time = now
        job.last_modified_time = now
    _STOP_REQUESTS.discard(job.arn)


def _clarify_predictor(backend: Any, job_name: str, predictor: dict[str, Any]) -> Any:
    """What Clarify's shadow endpoint does: the named model, loaded in-process, fed CSV (or JSON lines) rows."""
    import io

    import numpy as np
    import pandas as pd

    model = load_model_for_serving(backend, predictor["model_name"], _data_dir() / "clarify" / job_name)
    content_type = predictor.get("content_type") or "text/csv"
    accept = predictor.get("accept_type") or content_type
    label_key, probability_key = predictor.get("label"), predictor.get("probability")

    def predict(features: pd.DataFrame) -> np.ndarray:
        if content_type == "application/jsonlines":
            body = "\n".join(json.dumps({"features": list(map(_plain, row))}) for row in
                             features.itertuples(index=False)).encode()
        else:
            body = features.to_csv(header=False, index=False).encode()
        out, out_type = model.invoke(body, content_type, accept, batch=True)
        text = out.decode("utf-8", errors="replace").strip()
        if "json" in (out_type or accept):
            parsed = [json.loads(line) for line in text.splitlines()] if "\n" in text else json.loads(text)
            if isinstance(parsed, dict):
                parsed = parsed.get("predictions", parsed.get("scores", [parsed]))
            values = []
            for item in parsed if isinstance(parsed, list) else [parsed]:
                if isinstance(item, dict):
                    item = item.get(probability_key or "", item.get(label_key or "", item.get("score",
                                    item.get("predicted_label", next(iter(item.values()))))))
                values.append(item[0] if isinstance(item, list) else item)
            return np.asarray(values, float)
        frame = pd.read_csv(io.StringIO(text), header=None)
        column = int(probability_key) if str(probability_key).isdigit() else 0
        return frame.iloc[:, column].to_numpy(float)

    return predict


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# ===================================================================== hosting
def _model_archive(model_data_url: str | None) -> bytes | None:
    if not model_data_url:
        return None
    bucket, key = container.parse_s3_uri(model_data_url)
    try:
        return _s3().get(bucket, key)
    except Exception as exc:
        raise ContainerError(f"Could not access model data at {model_data_url}: {exc}") from None


def load_model_for_serving(backend: Any, model_name: str, work_dir: Path) -> hosting.InferenceModel:
    model = backend._models.get(model_name)
    if model is None:
        raise ContainerError(f"Could not find model \"{model_name}\".")
    primary = model.primary_container or (model.containers[0] if model.containers else {})
    if not primary:
        raise ContainerError(f"model {model_name} has no PrimaryContainer")
    image = primary.get("Image", "")
    return hosting.load_model(image, primary.get("Environment") or {}, _model_archive(primary.get("ModelDataUrl")),
                              work_dir, _s3())


def _variants_of(backend: Any, config_name: str) -> list[dict[str, Any]]:
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        raise ContainerError(f"Could not find endpoint configuration {config_name}")
    return config.production_variants or []


def _load_variants(backend: Any, endpoint_name: str, config_name: str) -> dict[str, hosting.InferenceModel]:
    loaded = {}
    for variant in _variants_of(backend, config_name):
        work = _data_dir() / "endpoints" / endpoint_name / config_name / variant["VariantName"]
        loaded[variant["VariantName"]] = load_model_for_serving(backend, variant["ModelName"], work)
    return loaded


def load_endpoint(account_id: str, region: str, endpoint_name: str, config_name: str) -> None:
    backend = _backend(account_id, region)
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        return
    cloud = _cloud()
    shipper = LogShipper(account_id, region, f"{ENDPOINT_LOG_GROUP}/{endpoint_name}", "AllTraffic/sandbox")
    failure = None
    try:
        with hosting.LOAD_LOCK:
            loaded = _load_variants(backend, endpoint_name, config_name)
        hosting.LOADED[hosting.endpoint_key(account_id, region, endpoint_name)] = loaded
        shipper.add(f"loaded {len(loaded)} variant(s) of endpoint config {config_name}: {', '.join(loaded)}")
    except ContainerError as exc:
        failure = str(exc)
    except Exception as exc:
        failure = f"{type(exc).__name__}: {exc}"
    if failure:
        shipper.add(failure)
    shipper.flush()
    with cloud.mutating():
        now = utcnow()
        updating = endpoint.endpoint_status == "Updating"
        if failure:
            endpoint.endpoint_status = "InService" if updating else "Failed"
            endpoint.failure_reason = (f"Update failed: {failure}" if updating else failure)[:1024]
        else:
            config = backend.endpoint_configs[config_name]
            endpoint.endpoint_config_name = config_name
            endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
            endpoint.data_capture_config = capture_summary(config.data_capture_config)
            endpoint.endpoint_status = "InService"
            endpoint.failure_reason = None
        endpoint.last_modified_time = now


class SandboxRuntimeBackend(RuntimeBackend):  # type: ignore[misc, valid-type]
    """sagemaker-runtime invoke_endpoint answered by the endpoint's loaded models."""

    def invoke_endpoint_with_request(self, endpoint_name: str, body: bytes, content_type: str | None,
                                     accept: str | None, target_variant: str | None,
                                     custom_attributes: str | None, inference_id: str | None
                                     ) -> tuple[bytes, str, str, str | None]:
        backend = _backend(self.account_id, self.region_name)
        endpoint = backend.endpoints.get(endpoint_name)
        if endpoint is None:
            raise AwsError("ValidationError", f"Endpoint {endpoint_name} of account {self.account_id} not found.")
        if endpoint.endpoint_status not in ("InService", "Updating"):
            raise AwsError("ValidationError", f"Endpoint {endpoint_name} of account {self.account_id} is not "
                                              f"InService (status {endpoint.endpoint_status}).")
        key = hosting.endpoint_key(self.account_id, self.region_name, endpoint_name)
        models = hosting.LOADED.get(key)
        if models is None:  # after a restart: reload lazily
            with hosting.LOAD_LOCK:
                models = hosting.LOADED.get(key)
                if models is None:
                    try:
                        models = _load_variants(backend, endpoint_name, endpoint.endpoint_config_name)
                    except ContainerError as exc:
                        raise AwsError("ModelError", f"the model could not be loaded: {exc}") from None
                    hosting.LOADED[key] = models
        variants = [v for v in endpoint.production_variants if v["VariantName"] in models]
        if target_variant:
            if target_variant not in models:
                raise AwsError("ValidationError", f"Target variant {target_variant} is not part of endpoint "
                                                  f"{endpoint_name}.")
            variant = target_variant
        else:
            weights = [float(v.get("CurrentWeight", 1.0) or 0.0) for v in variants]
            if not variants or sum(weights) <= 0:
                raise AwsError("ValidationError", f"Endpoint {endpoint_name} has no variant with a positive weight.")
            variant = random.choices([v["VariantName"] for v in variants], weights=weights)[0]
        try:
            out, out_type = models[variant].invoke(body, content_type, accept)
        except hosting.ModelError as exc:
            raise AwsError("ModelError", f"Received client error (400) from primary with message \"{exc}\". "
                                         f"See CloudWatch Logs /aws/sagemaker/Endpoints/{endpoint_name}.") from None
        config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
        capture = (config.data_capture_config if config is not None else None) or {}
        if capture.get("EnableCapture"):
            _capture(endpoint_name, variant, capture, body, content_type, out, out_type, inference_id)
        return out, out_type, variant, custom_attributes


def capture_summary(capture: dict[str, Any] | None) -> dict[str, Any] | None:
    """DescribeEndpoint's DataCaptureConfigSummary of an endpoint config's DataCaptureConfig."""
    if not capture:
        return None
    summary = {"EnableCapture": bool(capture.get("EnableCapture")),
               "CaptureStatus": "Started" if capture.get("EnableCapture") else "Stopped",
               "CurrentSamplingPercentage": int(capture.get("InitialSamplingPercentage", 100)),
               "DestinationS3Uri": capture.get("DestinationS3Uri")}
    if capture.get("KmsKeyId"):
        summary["KmsKeyId"] = capture["KmsKeyId"]
    return summary


def _encoding(content_type: str | None, capture: dict[str, Any]) -> tuple[str, str]:
    header = capture.get("CaptureContentTypeHeader") or {}
    ctype = (content_type or "").split(";")[0].strip()
    if ctype in (header.get("CsvContentTypes") or ["text/csv"]):
        return "CSV", ctype
    if ctype in (header.get("JsonContentTypes") or ["application/json", "application/jsonlines"]):
        return "JSON", ctype
    return "BASE64", ctype


def _capture(endpoint_name: str, variant: str, capture: dict[str, Any], body: bytes, content_type: str | None,
             out: bytes, out_type: str, inference_id: str | None) -> None:
    percent = float(capture.get("InitialSamplingPercentage", 100))
    if random.uniform(0, 100) >= percent:
        return
    modes = {o.get("CaptureMode") for o in capture.get("CaptureOptions") or [{"CaptureMode": "Input"},
                                                                             {"CaptureMode": "Output"}]}
    record: dict[str, Any] = {"captureData": {}, "eventMetadata": {
        "eventId": str(uuid.uuid4()), "inferenceTime": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0"}
    if inference_id:
        record["eventMetadata"]["inferenceId"] = inference_id
    for mode, data, ctype in (("Input", body, content_type), ("Output", out, out_type)):
        if mode not in modes:
            continue
        encoding, observed = _encoding(ctype, capture)
        text = base64.b64encode(data).decode() if encoding == "BASE64" else data.decode("utf-8", errors="replace")
        record["captureData"][f"endpoint{mode}"] = {"observedContentType": observed or "application/octet-stream",
                                                    "mode": mode.upper(), "data": text, "encoding": encoding}
    with _CAPTURE_LOCK:
        _CAPTURE.setdefault((capture["DestinationS3Uri"], f"{endpoint_name}/{variant}"), []).append(record)


def flush_captures() -> None:
    """Write buffered captured requests as JSON-lines objects, laid out as AWS does."""
    with _CAPTURE_LOCK:
        pending = dict(_CAPTURE)
        _CAPTURE.clear()
    for (destination, path), records in pending.items():
        if not records:
            continue
        now = utcnow()
        try:
            bucket, prefix = container.parse_s3_uri(destination)
            key = "/".join(x for x in [prefix.rstrip("/"), path, now.strftime("%Y/%m/%d/%H"),
                                       f"{now.strftime('%M-%S-%f')[:-3]}-{uuid.uuid4()}.jsonl"] if x)
            _s3().put(bucket, key, "\n".join(json.dumps(r) for r in records).encode() + b"\n")
        except Exception:
            log.exception("data capture to %s failed", destination)


# ===================================================================== batch transform
def run_transform_job(account_id: str, region: str, name: str) -> None:
    backend = _backend(account_id, region)
    job = backend.transform_jobs.get(name)
    if job is None:
        return
    cloud = _cloud()
    shipper = LogShipper(account_id, region, TRANSFORM_LOG_GROUP, f"{name}/sandbox-{int(time.time())}")
    try:
        with hosting.LOAD_LOCK:  # importing inference code touches sys.path
            model = load_model_for_serving(backend, job.model_name, _data_dir() / "jobs" / name)
        result = transform.run_transform(model, job.transform_input or {}, job.transform_output or {},
                                         job.batch_strategy, job.max_payload_in_mb, _s3(),
                                         should_stop=lambda: job.arn in _STOP_REQUESTS,
                                         data_processing=getattr(job, "data_processing", None))
    except ContainerError as exc:
        result = transform.TransformResult(failure_reason=f"ClientError: {exc}"[:1024])
    except Exception as exc:
        result = transform.TransformResult(failure_reason=f"InternalServerError: {exc}"[:1024])
    shipper.add(f"transform {result.status}: {result.objects} object(s), {result.records} record(s)"
                + (f": {result.failure_reason}" if result.failure_reason else ""))
    shipper.flush()
    with cloud.mutating():
        now = utcnow()
        job.transform_job_status = result.status
        job.failure_reason = result.failure_reason
        job.transform_end_time = now
        job.last_modified_time = now
    _STOP_REQUESTS.discard(job.arn)


# ===================================================================== tuning
def run_tuning_job(account_id: str, region: str, name: str) -> None:
    backend = _backend(account_id, region)
    tuning_job = backend.hyper_parameter_tuning_jobs.get(name)
    if tuning_job is None:
        return
    cloud = _cloud()
    config = tuning_job.hyper_parameter_tuning_job_config
    definition = tuning_job.training_job_definition
    objective = config.get("HyperParameterTuningJobObjective") or {}
    metric_name = objective.get("MetricName")
    root = _mlflow_root()
    try:
        parent_run = tracking.start_run(root, name, tags={"sagemaker.tuning_job_arn": tuning_job.arn,
                                                          "sagemaker.strategy": config.get("Strategy", "Bayesian")})
        backend._extras().setdefault(tuning_job.arn, {})["mlflow_run_id"] = parent_run
    except Exception:
        log.exception("MLflow parent run for %s", name)
        parent_run = None

    def start_job(index: int, values: dict[str, str]) -> str:
        job_name = f"{name}-{index:03d}-{uuid.uuid4().hex[:8]}"
        algo = copy.deepcopy(definition.get("AlgorithmSpecification") or {})
        algo.pop("AlgorithmName", None)
        hps = {**(definition.get("StaticHyperParameters") or {}), **values}
        with cloud.mutating():
            job = backend.create_training_job(
                training_job_name=job_name, hyper_parameters=hps, algorithm_specification=algo,
                role_arn=definition.get("RoleArn"), input_data_config=definition.get("InputDataConfig"),
                output_data_config=definition.get("OutputDataConfig"),
                resource_config=tuning.training_resource_config(definition), vpc_config=definition.get("VpcConfig"),
                stopping_condition=definition.get("StoppingCondition"), tags=None,
                enable_network_isolation=bool(definition.get("EnableNetworkIsolation", False)),
                enable_inter_container_traffic_encryption=bool(
                    definition.get("EnableInterContainerTrafficEncryption", False)),
                enable_managed_spot_training=bool(definition.get("EnableManagedSpotTraining", False)),
                checkpoint_config=definition.get("CheckpointConfig"), debug_hook_config=None,
                debug_rule_configurations=None, tensor_board_output_config=None, experiment_config=None,
                tuning_job_arn=tuning_job.arn)
            job.tuning_summary = {"TunedHyperParameters": values, "ObjectiveStatus": "Pending"}
            job.sandbox_tuning_objective = metric_name
        return job_name

    def job_state(job_name: str) -> tuple[str, list[float]]:
        job = backend.training_jobs[job_name]
        history = list(_METRICS.get(job.arn, {}).get(metric_name, []))
        return job.training_job_status, history

    def stop_job(job_name: str) -> None:
        job = backend.training_jobs[job_name]
        if job.training_job_status == "InProgress":
            with cloud.mutating():
                backend.stop_training_job(job_name)

    def on_change(outcome: tuning.TuningOutcome) -> None:
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
                job.tuning_summary = {"TunedHyperParameters": record.hyperparameters,
                                      "ObjectiveStatus": "Succeeded" if succeeded else "Failed"}
                if succeeded:
                    job.tuning_summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                        "Type": objective.get("Type", "Maximize"), "MetricName": metric_name,
                        "Value": record.objective}
            tuning_job.training_job_status_counters = counters
            tuning_job.objective_status_counters = objectives
            if outcome.best is not None:
                best = backend.training_jobs[outcome.best.job_name]
                summary = training_job_summary(best, tuning_job)
                tuning_job.best_training_job = summary
                tuning_job.OverallBestTrainingJob = summary
            tuning_job.last_modified_time = utcnow()

    started = time.time()
    try:
        outcome = tuning.run_tuning(config, start_job, job_state, stop_job,
                                    should_stop=lambda: tuning_job.arn in _STOP_REQUESTS, on_change=on_change)
        on_change(outcome)
    except Exception as exc:
        log.exception("tuning job %s failed", name)
        outcome = tuning.TuningOutcome(status="Failed", failure_reason=f"InternalServerError: {exc}")
    with cloud.mutating():
        now = utcnow()
        tuning_job.hyper_parameter_tuning_job_status = outcome.status
        tuning_job.failure_reason = outcome.failure_reason or ""
        tuning_job.hyper_parameter_tuning_end_time = now
        tuning_job.last_modified_time = now
        tuning_job.consumed_resources = {"RuntimeInSeconds": int(time.time() - started)}
    _STOP_REQUESTS.discard(tuning_job.arn)
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


# ===================================================================== operations moto lacks
def _sagemaker_backend_of(response: Any) -> SandboxSageMakerBackend:
    return moto_coupling.backend_for("sagemaker", response.current_account, response.region)


def _describe_endpoint_config(response: Any) -> dict[str, Any]:
    # a DataCaptureConfig that was not given is left out, as on AWS (moto answered {})
    described = response.sagemaker_backend.describe_endpoint_config(response._get_param("EndpointConfigName"))
    return {k: v for k, v in described.items() if k != "DataCaptureConfig" or v}


def _stop_training_job(response: Any) -> dict[str, Any]:
    _sagemaker_backend_of(response).stop_training_job(response._get_param("TrainingJobName"))
    return {}


def _create_processing_job(response: Any) -> dict[str, Any]:
    job = _sagemaker_backend_of(response).create_processing_job(
        app_specification=response._get_param("AppSpecification"),
        experiment_config=response._get_param("ExperimentConfig"),
        network_config=response._get_param("NetworkConfig"),
        processing_inputs=response._get_param("ProcessingInputs"),
        processing_job_name=response._get_param("ProcessingJobName"),
        processing_output_config=response._get_param("ProcessingOutputConfig"),
        role_arn=response._get_param("RoleArn"),
        stopping_condition=response._get_param("StoppingCondition"),
        tags=response._get_param("Tags"),
        environment=response._get_param("Environment"),
        processing_resources=response._get_param("ProcessingResources"),
    )
    return {"ProcessingJobArn": job.arn}


def _stop_transform_job(response: Any) -> dict[str, Any]:
    _sagemaker_backend_of(response).stop_transform_job(response._get_param("TransformJobName"))
    return {}


def _update_endpoint(response: Any) -> dict[str, Any]:
    if response._get_param("RetainAllVariantProperties") or response._get_param("DeploymentConfig"):
        pass  # accepted; blue/green traffic shifting is immediate in the sandbox
    arn = _sagemaker_backend_of(response).update_endpoint(response._get_param("EndpointName"),
                                                          response._get_param("EndpointConfigName"))
    return {"EndpointArn": arn}


def _stop_tuning_job(response: Any) -> dict[str, Any]:
    _sagemaker_backend_of(response).stop_hyper_parameter_tuning_job(
        response._get_param("HyperParameterTuningJobName"))
    return {}


def _list_training_jobs_for_tuning_job(response: Any) -> dict[str, Any]:
    summaries = _sagemaker_backend_of(response).list_training_jobs_for_hyper_parameter_tuning_job(
        response._get_param("HyperParameterTuningJobName"), response._get_param("StatusEquals"),
        response._get_param("SortBy"), response._get_param("SortOrder"))
    start = int(response._get_param("NextToken") or 0)
    size = int(response._get_param("MaxResults") or 100)
    result: dict[str, Any] = {"TrainingJobSummaries": summaries[start:start + size]}
    if start + size < len(summaries):
        result["NextToken"] = str(start + size)
    return result


def _invoke_endpoint(self: Any) -> Any:
    """sagemaker-runtime InvokeEndpoint with the request's body and headers (moto hands only a digest on)."""
    params = self._get_params()
    headers = {k.lower(): v for k, v in self.headers.items()}
    body = self.raw_body if isinstance(self.raw_body, bytes) else (self.raw_body or "").encode()
    backend = moto_coupling.backend_for("sagemaker-runtime", self.current_account, self.region)
    out, out_type, variant, custom = backend.invoke_endpoint_with_request(
        params.get("EndpointName") or self.path.split("/")[2], body, headers.get("content-type"),
        headers.get("accept"), headers.get("x-amzn-sagemaker-target-variant"),
        headers.get("x-amzn-sagemaker-custom-attributes"), headers.get("x-amzn-sagemaker-inference-id"))
    response_headers = {"Content-Type": out_type, "x-Amzn-Invoked-Production-Variant": variant}
    if custom:
        response_headers["X-Amzn-SageMaker-Custom-Attributes"] = custom
    return 200, response_headers, out


def _fail_interrupted_work() -> None:
    for _, _, backend in moto_coupling.backend_dict("sagemaker").iter_backends():
        now = utcnow()
        for job in backend.training_jobs.values():
            if job.training_job_status in ("InProgress", "Stopping"):
                job.training_job_status = "Failed"
                job.failure_reason = "InternalServerError: the sandbox stopped while this job ran"
                job.training_end_time = now
        for job in backend.processing_jobs.values():
            if job.processing_job_status in ("InProgress", "Stopping"):
                job.processing_job_status = "Failed"
                job.failure_reason = "InternalServerError: the sandbox stopped while this job ran"
        for job in backend.transform_jobs.values():
            if job.transform_job_status in ("InProgress", "Stopping"):
                job.transform_job_status = "Failed"
                job.failure_reason = "InternalServerError: the sandbox stopped while this job ran"
        for job in backend.hyper_parameter_tuning_jobs.values():
            if job.hyper_parameter_tuning_job_status in ("InProgress", "Stopping"):
                job.hyper_parameter_tuning_job_status = "Failed"
                job.failure_reason = "InternalServerError: the sandbox stopped while this job ran"
        automl.fail_interrupted_jobs(backend)
        for name, endpoint in backend.endpoints.items():
            if endpoint.endpoint_status in ("Creating", "Updating"):  # finish what the restart interrupted
                config = endpoint.endpoint_config_name
                if endpoint.endpoint_status == "Updating":
                    config = backend._extras().get(endpoint.arn, {}).get("pending_config", config)
                _cloud().submit(load_endpoint, backend.account_id, backend.region_name, name, config)


def _on_reset() -> None:
    _WARMED.clear()
    tracking.forget_clients()
    for arn, process in list(_PROCESSES.items()):
        container.kill_process_group(process)
        _PROCESSES.pop(arn, None)
    hosting.LOADED.clear()
    _METRICS.clear()
    with _CAPTURE_LOCK:
        _CAPTURE.clear()


def _on_shutdown() -> None:
    flush_captures()
    for process in list(_PROCESSES.values()):
        container.kill_process_group(process)


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("sagemaker", SandboxSageMakerBackend)
    moto_coupling.install_backend_class("sagemaker-runtime", SandboxRuntimeBackend)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "stop_training_job", _stop_training_job)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "describe_endpoint_config",
                                _describe_endpoint_config)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "stop_transform_job", _stop_transform_job)
    # moto's CreateProcessingJob drops Environment and ProcessingResources
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "create_processing_job", _create_processing_job)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "update_endpoint", _update_endpoint)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "stop_hyper_parameter_tuning_job",
                                _stop_tuning_job)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse",
                                "list_training_jobs_for_hyper_parameter_tuning_job",
                                _list_training_jobs_for_tuning_job)
    # moto's InvokeEndpoint hands the backend a digest of the request; ours needs the body and headers
    moto_coupling.replace_response_method("sagemakerruntime", "SageMakerRuntimeResponse", "invoke_endpoint",
                                          _invoke_endpoint, raw_body=True)
    cloud.after_restore(_fail_interrupted_work)
    cloud.every(1.0, flush_captures, name="sagemaker-data-capture")
    monitoring.install(cloud)
    pipelines.install(cloud)
    automl.install(cloud)
    cloud.on_reset(_on_reset)
    cloud.on_shutdown(_on_shutdown)
