"""SageMaker Pipelines executions that run their steps.

moto keeps pipelines and executions (``CreatePipeline``, ``StartPipelineExecution``'s
request parsing and ARN) but marks every execution ``Succeeded`` at once. Here an
execution starts ``Executing`` and a background thread runs its definition (the JSON
``Version: 2020-12-01`` document the SageMaker Python SDK v2 ``Pipeline.definition()``
writes, or a boto3 user writes by hand):

- ``Parameters`` (String/Integer/Float/Boolean with ``DefaultValue``), overridden by the
  execution's ``PipelineParameters``;
- references inside a step's ``Arguments``: ``{"Get": "Parameters.X"}``,
  ``{"Get": "Execution.PipelineExecutionId"}`` (and the other execution variables),
  ``{"Get": "Steps.<step>.<path>"}`` into the Describe* response of the step's job
  (``ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri``,
  ``ModelArtifacts.S3ModelArtifacts``, ``FinalMetricDataList['loss'].Value``...),
  ``Std:Join`` and ``Std:JsonGet`` (a property file: a JSON file a processing step wrote to
  one of its outputs, read from S3);
- dependencies from ``DependsOn`` and from ``Get`` references to other steps; steps run one
  at a time in dependency order (within ``MaxParallelExecutionSteps`` trivially);
- step types ``Processing``, ``Training``, ``Transform`` (the jobs are this provider's real
  jobs, named ``pipelines-<execution id>-<step>-<random>``), ``Model``/``CreateModel``,
  ``RegisterModel`` (a model package, so an MLflow model version; a missing model package
  group is created, as the step does on AWS), ``Condition`` (the steps
  of the branch not taken do not run) and ``Fail``. Any other step type fails its step with
  a message naming the supported ones, and the execution fails.

``ListPipelineExecutionSteps``, ``StopPipelineExecution`` (the running job is stopped) and
``ListPipelineExecutions`` (filters, sort, paging) are answered here; ``DescribePipelineExecution``
reports the live status and failure reason. Executions and their steps are plain attributes of
moto's execution objects, so they are in the snapshot; an execution a restart interrupted is
``Failed`` ("the sandbox stopped while this execution ran").

Not emulated: step caching (``CacheConfig``), retry policies, selective execution,
``RetryPipelineExecution``, callback/Lambda/EMR/quality-check/Clarify-check/tuning/AutoML
steps, parallel steps (they run one after another).
"""

from __future__ import annotations

import copy
import json
import logging
import random
import re
import string
import time
from datetime import datetime, timezone
from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import AwsError
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.sagemaker.pipelines")

SUPPORTED_TYPES = ("Processing", "Training", "Transform", "Model", "CreateModel", "RegisterModel", "Condition",
                   "Fail")
STOP_REQUESTS: set[str] = set()  # execution ARNs asked to stop (not pickled)
INTERRUPTED = "InternalServerError: the sandbox stopped while this execution ran"
EXECUTION_VARIABLES = ("PipelineExecutionId", "PipelineExecutionArn", "StartDateTime", "CurrentDateTime",
                       "PipelineName", "PipelineArn")
POLL_SECONDS = 0.2

# request member names of each job-starting step, as moto's backend methods take them
_TRAINING_MEMBERS = ("HyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig",
                     "ResourceConfig", "VpcConfig", "StoppingCondition", "Tags", "EnableNetworkIsolation",
                     "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining", "CheckpointConfig",
                     "DebugHookConfig", "DebugRuleConfigurations", "TensorBoardOutputConfig", "ExperimentConfig")
_PROCESSING_MEMBERS = ("AppSpecification", "ExperimentConfig", "NetworkConfig", "ProcessingInputs",
                       "ProcessingOutputConfig", "RoleArn", "StoppingCondition", "Tags", "Environment",
                       "ProcessingResources")
_TRANSFORM_MEMBERS = ("ModelName", "MaxConcurrentTransforms", "ModelClientConfig", "MaxPayloadInMB", "BatchStrategy",
                      "Environment", "TransformInput", "TransformOutput", "DataCaptureConfig", "TransformResources",
                      "DataProcessing", "Tags", "ExperimentConfig")
_MODEL_MEMBERS = ("ExecutionRoleArn", "PrimaryContainer", "VpcConfig", "Containers", "Tags")
_PACKAGE_MEMBERS = ("ModelPackageName", "ModelPackageGroupName", "ModelPackageDescription", "InferenceSpecification",
                    "ValidationSpecification", "SourceAlgorithmSpecification", "CertifyForMarketplace", "Tags",
                    "ModelApprovalStatus", "MetadataProperties", "ModelMetrics", "CustomerMetadataProperties",
                    "DriftCheckBaselines", "Domain", "Task", "SamplePayloadUrl", "AdditionalInferenceSpecifications",
                    "ClientToken")
_OPERATION = {"Processing": "CreateProcessingJob", "Training": "CreateTrainingJob", "Transform": "CreateTransformJob",
              "Model": "CreateModel", "CreateModel": "CreateModel", "RegisterModel": "CreateModelPackage"}


class StepFailed(Exception):
    """A step failed; the message is its FailureReason."""


class StepStopped(Exception):
    """The execution was asked to stop while the step ran."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _snake(name: str) -> str:
    from botocore import xform_name

    return xform_name(name)


def _pipeline_name(name_or_arn: str | None) -> str:
    name = name_or_arn or ""
    if name.startswith("arn:") and ":pipeline/" in name:
        return name.split(":pipeline/", 1)[1].split("/", 1)[0]
    return name


def _execution_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _not_found(arn: str) -> AwsError:
    return AwsError("ResourceNotFound", f"Pipeline execution {arn} does not exist.")


def parse_definition(text: str | None) -> dict[str, Any]:
    try:
        definition = json.loads(text or "")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the pipeline definition is not valid JSON: {exc}") from None
    if not isinstance(definition, dict):
        raise ValueError("the pipeline definition must be a JSON object")
    return definition


def _typed(kind: str | None, value: Any, name: str) -> Any:
    """A parameter value as its declared type (PipelineParameters arrive as strings)."""
    kind = kind or "String"
    try:
        if kind == "Integer":
            return int(float(value)) if isinstance(value, str) and "." in value else int(value)
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            if isinstance(value, str):
                if value.lower() not in ("true", "false"):
                    raise ValueError(value)
                return value.lower() == "true"
            return bool(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name} ({kind}) cannot be {value!r}") from None
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def resolve_parameters(definition: dict[str, Any], given: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The execution's parameter values. Raises ``ValueError`` as AWS's ValidationException."""
    declared = {p.get("Name"): p for p in definition.get("Parameters") or [] if isinstance(p, dict)}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if "DefaultValue" in spec:
            values[name] = _typed(spec.get("Type"), spec["DefaultValue"], name)
    for item in given or []:
        name = item.get("Name")
        if name not in declared:
            raise ValueError(f"Parameter {name!r} is not defined in the pipeline definition "
                             f"(defined: {', '.join(sorted(map(str, declared))) or 'none'})")
        values[name] = _typed(declared[name].get("Type"), item.get("Value"), name)
    missing = [name for name in declared if name not in values]
    if missing:
        raise ValueError(f"Parameter(s) {', '.join(missing)} have no DefaultValue and were not given in "
                         "PipelineParameters")
    return values


# ===================================================================== backend mixin
class PipelineBackendMixin:
    """Pipeline operations of the SageMaker backend (mixed into the provider's backend class)."""

    def start_pipeline_execution(self, pipeline_name: str, pipeline_execution_display_name: str,
                                 pipeline_parameters: list[dict[str, Any]], pipeline_execution_description: str,
                                 parallelism_configuration: dict[str, int], client_request_token: str) -> dict:
        name = _pipeline_name(pipeline_name)
        pipeline = self.pipelines.get(name)  # type: ignore[attr-defined]
        if pipeline is None:
            raise AwsError("ResourceNotFound", f"Pipeline {pipeline_name} does not exist.")
        if client_request_token:  # a retried request answers the execution it started
            for arn, earlier in pipeline.pipeline_executions.items():
                if getattr(earlier, "client_request_token", None) == client_request_token:
                    return {"PipelineExecutionArn": arn}
        try:
            definition = parse_definition(pipeline.pipeline_definition)
            resolve_parameters(definition, pipeline_parameters)
        except ValueError as exc:
            raise AwsError("ValidationException", str(exc)) from None
        result = super().start_pipeline_execution(  # type: ignore[misc]
            name, pipeline_execution_display_name, pipeline_parameters, pipeline_execution_description,
            parallelism_configuration, client_request_token)
        arn = result["PipelineExecutionArn"]
        execution = pipeline.pipeline_executions[arn]
        execution.pipeline_execution_display_name = pipeline_execution_display_name or _execution_id(arn)
        execution.pipeline_parameters = pipeline_parameters or []
        execution.pipeline_execution_status = "Executing"
        execution.pipeline_execution_failure_reason = None
        execution.sandbox_steps = []
        current_cloud().submit(run_execution, self.account_id, self.region_name, name, arn)  # type: ignore
        return result

    def _pipeline_execution(self, arn: str) -> Any:
        pipeline = self.pipelines.get(_pipeline_name(arn))  # type: ignore[attr-defined]
        execution = pipeline.pipeline_executions.get(arn) if pipeline is not None else None
        if execution is None:
            raise _not_found(arn)
        return execution

    def describe_pipeline_execution(self, pipeline_execution_arn: str) -> dict[str, Any]:
        execution = self._pipeline_execution(pipeline_execution_arn)
        result = super().describe_pipeline_execution(pipeline_execution_arn)  # type: ignore[misc]
        result["PipelineExecutionStatus"] = execution.pipeline_execution_status
        result.pop("FailureReason", None)
        if execution.pipeline_execution_failure_reason:
            result["FailureReason"] = execution.pipeline_execution_failure_reason
        result["PipelineExperimentConfig"] = {"ExperimentName": _pipeline_name(pipeline_execution_arn),
                                              "TrialName": _execution_id(pipeline_execution_arn)}
        if not result.get("ParallelismConfiguration"):
            result.pop("ParallelismConfiguration", None)
        return result

    def list_pipeline_execution_steps(self, pipeline_execution_arn: str, sort_order: str | None) -> list[dict]:
        execution = self._pipeline_execution(pipeline_execution_arn)
        steps = [step_summary(record) for record in getattr(execution, "sandbox_steps", None) or []]
        return steps if sort_order == "Ascending" else steps[::-1]

    def stop_pipeline_execution(self, pipeline_execution_arn: str) -> str:
        execution = self._pipeline_execution(pipeline_execution_arn)
        if execution.pipeline_execution_status not in ("Executing", "Stopping"):
            raise AwsError("ValidationException", f"Pipeline execution {pipeline_execution_arn} is in status "
                                                  f"{execution.pipeline_execution_status} and cannot be stopped.")
        execution.pipeline_execution_status = "Stopping"
        execution.last_modified_time = utcnow()
        STOP_REQUESTS.add(pipeline_execution_arn)
        return pipeline_execution_arn

    def list_pipeline_execution_summaries(self, pipeline_name: str, created_after: datetime | None,
                                          created_before: datetime | None, sort_by: str | None,
                                          sort_order: str | None) -> list[dict]:
        name = _pipeline_name(pipeline_name)
        pipeline = self.pipelines.get(name)  # type: ignore[attr-defined]
        if pipeline is None:
            raise AwsError("ResourceNotFound", f"Pipeline {pipeline_name} does not exist.")
        summaries = []
        for arn, execution in pipeline.pipeline_executions.items():
            if created_after and execution.creation_time <= created_after:
                continue
            if created_before and execution.creation_time >= created_before:
                continue
            summary = {"PipelineExecutionArn": arn, "StartTime": execution.start_time,
                       "PipelineExecutionStatus": execution.pipeline_execution_status,
                       "PipelineExecutionDisplayName": execution.pipeline_execution_display_name or _execution_id(arn)}
            if execution.pipeline_execution_description:
                summary["PipelineExecutionDescription"] = execution.pipeline_execution_description
            if execution.pipeline_execution_failure_reason:
                summary["PipelineExecutionFailureReason"] = execution.pipeline_execution_failure_reason
            summaries.append(summary)
        key = "PipelineExecutionArn" if sort_by == "PipelineExecutionArn" else "StartTime"
        summaries.sort(key=lambda s: s[key], reverse=sort_order != "Ascending")
        return summaries


def step_summary(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and not k.startswith("_")}


# ===================================================================== operations moto lacks
def _backend_of(response: Any) -> Any:
    return moto_coupling.backend_for("sagemaker", response.current_account, response.region)


def _page(items: list[dict], response: Any, key: str) -> dict[str, Any]:
    try:
        start = int(response._get_param("NextToken") or 0)
    except ValueError:
        raise AwsError("ValidationException", "Invalid NextToken") from None
    size = int(response._get_param("MaxResults") or 50)
    result: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


def _list_pipeline_execution_steps(response: Any) -> dict[str, Any]:
    steps = _backend_of(response).list_pipeline_execution_steps(response._get_param("PipelineExecutionArn"),
                                                                response._get_param("SortOrder"))
    return _page(steps, response, "PipelineExecutionSteps")


def _stop_pipeline_execution(response: Any) -> dict[str, Any]:
    arn = _backend_of(response).stop_pipeline_execution(response._get_param("PipelineExecutionArn"))
    return {"PipelineExecutionArn": arn}


def _timestamp(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        return datetime.fromtimestamp(float(value), timezone.utc)
    except (TypeError, ValueError):
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _list_pipeline_executions(response: Any) -> dict[str, Any]:
    summaries = _backend_of(response).list_pipeline_execution_summaries(
        response._get_param("PipelineName"), _timestamp(response._get_param("CreatedAfter")),
        _timestamp(response._get_param("CreatedBefore")), response._get_param("SortBy"),
        response._get_param("SortOrder"))
    return _page(summaries, response, "PipelineExecutionSummaries")


# ===================================================================== the executor
def _backend(account_id: str, region: str) -> Any:
    return moto_coupling.backend_for("sagemaker", account_id, region)


def run_execution(account_id: str, region: str, pipeline_name: str, arn: str) -> None:
    backend = _backend(account_id, region)
    pipeline = backend.pipelines.get(pipeline_name)
    execution = pipeline.pipeline_executions.get(arn) if pipeline is not None else None
    if execution is None:
        return
    runner = ExecutionRunner(backend, pipeline, execution)
    try:
        status, reason = runner.run()
    except Exception as exc:  # a bug of ours: say so rather than hang in Executing
        log.exception("pipeline execution %s", arn)
        status, reason = "Failed", f"InternalServerError: {type(exc).__name__}: {exc}"
    if current_cloud().stopping and status != "Succeeded":  # its job was killed by the shutdown
        status, reason = "Failed", INTERRUPTED
    with current_cloud().mutating():
        execution.pipeline_execution_status = status
        execution.pipeline_execution_failure_reason = reason[:1300] if reason else None
        execution.last_modified_time = utcnow()
    STOP_REQUESTS.discard(arn)


class ExecutionRunner:
    def __init__(self, backend: Any, pipeline: Any, execution: Any) -> None:
        self.backend, self.pipeline, self.execution = backend, pipeline, execution
        self.cloud = current_cloud()
        self.arn = execution.arn
        self.steps: dict[str, dict[str, Any]] = {}  # name -> step definition
        self.branch: dict[str, tuple[str, bool]] = {}  # step name -> (condition step, outcome it needs)
        self.state: dict[str, str] = {}  # name -> Succeeded / Failed / Skipped / Stopped
        self.properties: dict[str, dict[str, Any]] = {}  # name -> Describe* response of the step's resource
        self.parameters: dict[str, Any] = {}

    # ---------------------------------------------------------------- life cycle
    def stopping(self) -> bool:
        return self.arn in STOP_REQUESTS

    def run(self) -> tuple[str, str | None]:
        try:
            definition = parse_definition(self.execution.pipeline_definition_for_execution)
            self.parameters = resolve_parameters(definition, self.execution.pipeline_parameters)
            self._collect(definition.get("Steps") or [], None)
            dependencies = {name: self._dependencies(name) for name in self.steps}
        except ValueError as exc:
            return "Failed", f"ValidationException: {exc}"
        pending = list(self.steps)
        while pending:
            if self.cloud.stopping:
                return "Failed", INTERRUPTED
            if self.stopping():
                return "Stopped", None
            ready = next((n for n in pending if all(d in self.state for d in dependencies[n])), None)
            if ready is None:
                return "Failed", f"ValidationException: steps {', '.join(pending)} depend on each other in a cycle"
            pending.remove(ready)
            if self._skipped(ready, dependencies[ready]):
                self.state[ready] = "Skipped"
                continue
            outcome = self._run_step(ready)
            self.state[ready] = outcome
            if outcome == "Stopped":
                return "Stopped", None
            if outcome == "Failed":
                step = self.steps[ready]
                record = self._record(ready)
                if step.get("Type") == "Fail":
                    return "Failed", record.get("FailureReason") or "Fail step"
                return "Failed", f"Step failure: One or multiple steps failed. {ready}: {record.get('FailureReason')}"
        return "Succeeded", None

    def _collect(self, steps: list[Any], branch: tuple[str, bool] | None) -> None:
        for step in steps:
            if not isinstance(step, dict) or not step.get("Name"):
                raise ValueError("every step needs a Name")
            name = step["Name"]
            if name in self.steps:
                raise ValueError(f"step name {name} is used twice")
            self.steps[name] = step
            if branch:
                self.branch[name] = branch
            if step.get("Type") == "Condition":
                arguments = step.get("Arguments") or {}
                for key, outcome in (("IfSteps", True), ("ElseSteps", False)):
                    nested = [s for s in arguments.get(key) or [] if isinstance(s, dict)]
                    self._collect(nested, (name, outcome))

    def _dependencies(self, name: str) -> list[str]:
        step = self.steps[name]
        found: list[str] = []
        for dep in step.get("DependsOn") or []:
            if dep not in self.steps:
                raise ValueError(f"step {name} depends on step {dep}, which the pipeline does not define")
            found.append(dep)
        arguments = step.get("Arguments") or {}
        if step.get("Type") == "Condition":
            arguments = {k: v for k, v in arguments.items() if k not in ("IfSteps", "ElseSteps")}
        for path in _references(arguments):
            if path.startswith("Steps."):
                other = path.split(".")[1].split("[")[0]
                if other not in self.steps:
                    raise ValueError(f"step {name} refers to {path}, but the pipeline has no step {other}")
                found.append(other)
        if name in self.branch:
            found.append(self.branch[name][0])
        return [d for d in dict.fromkeys(found) if d != name]

    def _skipped(self, name: str, dependencies: list[str]) -> bool:
        if name in self.branch:
            condition, wanted = self.branch[name]
            if self.state.get(condition) != "Succeeded" or self.properties[condition]["Outcome"] is not wanted:
                return True
        return any(self.state[d] != "Succeeded" for d in dependencies)

    # ---------------------------------------------------------------- step records
    def _record(self, name: str) -> dict[str, Any]:
        return next(r for r in self.execution.sandbox_steps if r["StepName"] == name)

    def _update(self, name: str, **changes: Any) -> None:
        with self.cloud.mutating():
            record = self._record(name)
            record.update(changes)
            self.execution.last_modified_time = utcnow()

    def _run_step(self, name: str) -> str:
        step = self.steps[name]
        kind = step.get("Type")
        record = {"StepName": name, "StepDisplayName": step.get("DisplayName"),
                  "StepDescription": step.get("Description"), "StartTime": utcnow(), "EndTime": None,
                  "StepStatus": "Executing", "FailureReason": None, "Metadata": {}, "AttemptCount": 1}
        with self.cloud.mutating():
            self.execution.sandbox_steps.append(record)
        try:
            if kind not in SUPPORTED_TYPES:
                raise StepFailed(f"Step type {kind!r} is not emulated by the sandbox; the supported step types are "
                                 f"{', '.join(SUPPORTED_TYPES)}.")
            if kind == "Condition":
                outcome = self._condition(step)
                self.properties[name] = {"Outcome": outcome}
                self._update(name, Metadata={"Condition": {"Outcome": "True" if outcome else "False"}})
            elif kind == "Fail":
                message = _text(self.resolve((step.get("Arguments") or {}).get("ErrorMessage", "")))
                self._update(name, Metadata={"Fail": {"ErrorMessage": message}})
                raise StepFailed(message)
            else:
                self._resource_step(name, kind, step)
            status, reason = "Succeeded", None
        except StepStopped:
            status, reason = "Stopped", None
        except StepFailed as exc:
            status, reason = "Failed", str(exc)[:1024]
        except Exception as exc:  # a bug of ours: the step says so rather than stay Executing
            log.exception("pipeline step %s of %s", name, self.arn)
            status, reason = "Failed", f"InternalServerError: {type(exc).__name__}: {exc}"[:1024]
        if self.cloud.stopping and status != "Succeeded":
            status, reason = "Failed", INTERRUPTED
        self._update(name, StepStatus=status, FailureReason=reason, EndTime=utcnow())
        return status

    # ---------------------------------------------------------------- resources
    def _arguments(self, kind: str, step: dict[str, Any]) -> dict[str, Any]:
        try:
            arguments = self.resolve(copy.deepcopy(step.get("Arguments") or {}))
        except StepFailed:
            raise
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise StepFailed(f"ValidationException: cannot resolve the step's arguments: {exc}") from None
        if not isinstance(arguments, dict):
            raise StepFailed("ValidationException: the step's Arguments must be an object")
        return coerce_to_request(_OPERATION[kind], arguments)

    def _resource_name(self, step_name: str) -> str:
        clean = re.sub(r"[^A-Za-z0-9]+", "-", step_name).strip("-")[:29].strip("-") or "step"
        suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=10))
        return f"pipelines-{_execution_id(self.arn)}-{clean}-{suffix}"

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        """A backend operation in-process (under the state lock, as a request would be); errors fail the step."""
        try:
            with self.cloud.mutating():
                return fn(**kwargs)
        except AwsError as exc:
            raise StepFailed(f"{exc.code}: {exc.message}") from None
        except TypeError as exc:
            raise StepFailed(f"ValidationException: {exc}") from None
        except Exception as exc:  # moto's own errors (JsonRESTError: error_type/message)
            code = getattr(exc, "code", None) or getattr(exc, "error_type", None) or type(exc).__name__
            raise StepFailed(f"{code}: {getattr(exc, 'message', None) or exc}") from None

    def _resource_step(self, name: str, kind: str, step: dict[str, Any]) -> None:
        arguments = self._arguments(kind, step)
        backend = self.backend
        known = {"Training": _TRAINING_MEMBERS, "Processing": _PROCESSING_MEMBERS, "Transform": _TRANSFORM_MEMBERS,
                 "Model": _MODEL_MEMBERS, "CreateModel": _MODEL_MEMBERS, "RegisterModel": _PACKAGE_MEMBERS}[kind]
        kwargs = {_snake(member): arguments.get(member) for member in known}
        if kind == "Training":
            for flag in ("enable_network_isolation", "enable_inter_container_traffic_encryption",
                         "enable_managed_spot_training"):
                kwargs[flag] = bool(kwargs[flag])
            job_name = self._resource_name(name)
            job = self._call(backend.create_training_job, training_job_name=job_name, **kwargs)
            self._update(name, Metadata={"TrainingJob": {"Arn": job.arn}})
            self._wait(lambda: job.training_job_status, backend.stop_training_job, job_name)
            self.properties[name] = backend.describe_training_job(job_name)
            self._job_outcome(job.training_job_status, job.failure_reason)
        elif kind == "Processing":
            job_name = self._resource_name(name)
            job = self._call(backend.create_processing_job, processing_job_name=job_name, **kwargs)
            self._update(name, Metadata={"ProcessingJob": {"Arn": job.arn}})
            self._wait(lambda: job.processing_job_status, backend.stop_processing_job, job_name)
            self.properties[name] = backend.describe_processing_job(job_name)
            self._job_outcome(job.processing_job_status, job.failure_reason)
        elif kind == "Transform":
            job_name = self._resource_name(name)
            job = self._call(backend.create_transform_job, transform_job_name=job_name, **kwargs)
            self._update(name, Metadata={"TransformJob": {"Arn": job.arn}})
            self._wait(lambda: job.transform_job_status, backend.stop_transform_job, job_name)
            self.properties[name] = backend.describe_transform_job(job_name)
            self._job_outcome(job.transform_job_status, job.failure_reason)
        elif kind in ("Model", "CreateModel"):
            model_name = self._resource_name(name)
            model = self._call(backend.create_model, model_name=model_name, **kwargs)
            self._update(name, Metadata={"Model": {"Arn": model.arn}})
            self.properties[name] = _plain(backend.describe_model(model_name).response_object)
        else:  # RegisterModel
            if not kwargs.get("model_package_group_name") and not kwargs.get("model_package_name"):
                kwargs["model_package_name"] = self._resource_name(name)
            kwargs["certify_for_marketplace"] = bool(kwargs.get("certify_for_marketplace"))
            group = kwargs.get("model_package_group_name")
            if group and group not in backend.model_package_groups:  # the step creates a missing group
                self._call(backend.create_model_package_group, model_package_group_name=group,
                           model_package_group_description=None)
            arn = self._call(backend.create_model_package, **kwargs)
            self._update(name, Metadata={"RegisterModel": {"Arn": arn}})
            package = next((p for p in backend.model_packages.values() if p.arn == arn), None)
            self.properties[name] = _plain(package.gen_response_object()) if package is not None else {
                "ModelPackageArn": arn}

    def _wait(self, status: Any, stop: Any, job_name: str) -> None:
        asked = False
        while status() in ("InProgress", "Stopping"):
            if self.stopping() and not asked:
                asked = True
                try:
                    with self.cloud.mutating():
                        stop(job_name)
                except Exception:
                    log.exception("stopping %s", job_name)
            time.sleep(POLL_SECONDS)

    @staticmethod
    def _job_outcome(status: str, failure_reason: str | None) -> None:
        if status == "Stopped":
            raise StepStopped()
        if status not in ("Completed",):
            raise StepFailed(failure_reason or f"the job ended {status}")

    # ---------------------------------------------------------------- conditions
    def _condition(self, step: dict[str, Any]) -> bool:
        conditions = (step.get("Arguments") or {}).get("Conditions") or []
        try:
            return all(self._evaluate(c) for c in conditions)
        except StepFailed:
            raise
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise StepFailed(f"ClientError: the condition could not be evaluated: {exc}") from None

    def _evaluate(self, condition: dict[str, Any]) -> bool:
        kind = str(condition.get("Type", "")).removeprefix("Condition")
        if kind == "Not":
            return not self._evaluate(condition["Expression"])
        if kind == "Or":
            return any(self._evaluate(c) for c in condition.get("Conditions") or [])
        if kind == "In":
            query = self.resolve(condition.get("QueryValue"))
            return any(_compare(query, self.resolve(v)) == 0 for v in condition.get("Values") or [])
        left, right = self.resolve(condition.get("LeftValue")), self.resolve(condition.get("RightValue"))
        if kind == "Equals":
            return _compare(left, right) == 0
        order = _compare(left, right)
        tests = {"GreaterThan": order > 0, "GreaterThanOrEqualTo": order >= 0, "LessThan": order < 0,
                 "LessThanOrEqualTo": order <= 0}
        if kind not in tests:
            raise StepFailed(f"ValidationException: condition type {condition.get('Type')!r} is not one of Equals, "
                             "GreaterThan, GreaterThanOrEqualTo, LessThan, LessThanOrEqualTo, In, Not, Or")
        return tests[kind]

    # ---------------------------------------------------------------- references
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Get"}:
            return self._get(value["Get"])
        if set(value) == {"Std:Join"}:
            spec = value["Std:Join"]
            return str(spec.get("On", "")).join(_text(self.resolve(v)) for v in spec.get("Values") or [])
        if set(value) == {"Std:JsonGet"}:
            return self._json_get(value["Std:JsonGet"])
        return {k: self.resolve(v) for k, v in value.items()}

    def _get(self, path: str) -> Any:
        head, _, rest = str(path).partition(".")
        if head == "Parameters":
            if rest not in self.parameters:
                raise StepFailed(f"ValidationException: {path}: the pipeline has no parameter {rest}")
            return self.parameters[rest]
        if head == "Execution":
            return self._execution_variable(rest)
        if head == "Steps":
            step, _, prop = rest.partition(".")
            if self.state.get(step) != "Succeeded" or step not in self.properties:
                raise StepFailed(f"ClientError: {path}: step {step} has not succeeded in this execution")
            if prop.startswith("PropertyFiles."):
                return ("PropertyFile", step, prop.split(".", 1)[1])
            try:
                return walk(self.properties[step], prop)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                raise StepFailed(f"ClientError: {path}: no such property of step {step} ({exc})") from None
        raise StepFailed(f"ValidationException: cannot resolve {{\"Get\": {path!r}}}")

    def _execution_variable(self, name: str) -> Any:
        values = {"PipelineExecutionId": _execution_id(self.arn), "PipelineExecutionArn": self.arn,
                  "StartDateTime": self.execution.start_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "CurrentDateTime": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "PipelineName": self.pipeline.pipeline_name, "PipelineArn": self.pipeline.arn}
        if name not in values:
            raise StepFailed(f"ValidationException: Execution.{name} is not an execution variable "
                             f"({', '.join(EXECUTION_VARIABLES)})")
        return values[name]

    def _json_get(self, spec: dict[str, Any]) -> Any:
        path = spec.get("Path") or ""
        if "S3Uri" in spec:
            uri = _text(self.resolve(spec["S3Uri"]))
        else:
            ref = spec.get("PropertyFile")
            ref = self.resolve(ref) if isinstance(ref, dict) else ref
            if isinstance(ref, str):  # a property file's name alone
                owner = next((n for n, s in self.steps.items() for f in s.get("PropertyFiles") or []
                              if f.get("PropertyFileName") == ref), None)
                if owner is None or self.state.get(owner) != "Succeeded":
                    raise StepFailed(f"ClientError: property file {ref} belongs to no step that succeeded")
                ref = ("PropertyFile", owner, ref)
            _, owner, file_name = ref
            uri = self._property_file_uri(owner, file_name)
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        try:
            document = json.loads(s3_access().get(bucket, key))
        except Exception as exc:
            raise StepFailed(f"ClientError: Std:JsonGet could not read the JSON file {uri}: {exc}") from None
        try:
            return walk(document, path.removeprefix("$").lstrip("."))
        except (KeyError, IndexError, TypeError, ValueError):
            raise StepFailed(f"ClientError: Std:JsonGet: path {path!r} is not in {uri}") from None

    def _property_file_uri(self, owner: str, file_name: str) -> str:
        spec = next((f for f in self.steps[owner].get("PropertyFiles") or []
                     if f.get("PropertyFileName") == file_name), None)
        if spec is None:
            raise StepFailed(f"ValidationException: step {owner} declares no property file {file_name}")
        outputs = (self.properties[owner].get("ProcessingOutputConfig") or {}).get("Outputs") or []
        output = next((o for o in outputs if o.get("OutputName") == spec.get("OutputName")), None)
        if output is None:
            raise StepFailed(f"ValidationException: property file {file_name}: step {owner} has no output "
                             f"{spec.get('OutputName')}")
        return output["S3Output"]["S3Uri"].rstrip("/") + "/" + str(spec.get("FilePath", "")).lstrip("/")


# ===================================================================== helpers
_TOKEN = re.compile(r"\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]|([^.\[\]]+)")


def walk(document: Any, path: str) -> Any:
    """Follow a property path (``A.B['name'].C[0]``) through a Describe* response or a JSON document."""
    value = document
    for match in _TOKEN.finditer(path):
        index, quoted1, quoted2, attribute = match.groups()
        if index is not None:
            value = value[int(index)]
            continue
        key = quoted1 if quoted1 is not None else quoted2 if quoted2 is not None else attribute
        if isinstance(value, list):  # Outputs['train'], FinalMetricDataList['loss']: by the item's *Name
            found = [item for item in value if isinstance(item, dict)
                     and any(k.endswith("Name") and v == key for k, v in item.items())]
            if not found:
                raise KeyError(key)
            value = found[0]
        else:
            value = value[key]
    return value


def _references(value: Any) -> list[str]:
    if isinstance(value, list):
        return [p for v in value for p in _references(v)]
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            return [value["Get"]]
        return [p for v in value.values() for p in _references(v)]
    return []


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _compare(left: Any, right: Any) -> int:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        a, b = _text(left), _text(right)  # type: ignore[assignment]
    return (a > b) - (a < b)  # type: ignore[operator]


def _plain(document: Any) -> Any:
    return json.loads(json.dumps(document, default=str))


def coerce_to_request(operation: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Scalars as the API's members want them (an Integer parameter in a string member is its text)."""
    global _MODEL
    if _MODEL is None:
        import botocore.session

        _MODEL = botocore.session.get_session().get_service_model("sagemaker")
    return _coerce(arguments, _MODEL.operation_model(operation).input_shape)


_MODEL: Any = None


def _coerce(value: Any, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _coerce(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_coerce(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _coerce(v, shape.value) for k, v in value.items()}
    if kind == "string" and not isinstance(value, (str, dict, list)) and value is not None:
        return _text(value)
    if kind in ("integer", "long") and isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return value
    if kind in ("float", "double") and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value


# ===================================================================== restart and install
def fail_interrupted_executions() -> None:
    for _, _, backend in moto_coupling.backend_dict("sagemaker").iter_backends():
        now = utcnow()
        for pipeline in backend.pipelines.values():
            for execution in pipeline.pipeline_executions.values():
                if execution.pipeline_execution_status not in ("Executing", "Stopping"):
                    continue
                execution.pipeline_execution_status = "Failed"
                execution.pipeline_execution_failure_reason = INTERRUPTED
                execution.last_modified_time = now
                for record in getattr(execution, "sandbox_steps", None) or []:
                    if record.get("StepStatus") in ("Starting", "Executing", "Stopping"):
                        record.update(StepStatus="Failed", FailureReason=INTERRUPTED, EndTime=now)


def install(cloud: Any) -> None:
    for operation, handler in (("list_pipeline_execution_steps", _list_pipeline_execution_steps),
                               ("stop_pipeline_execution", _stop_pipeline_execution),
                               ("list_pipeline_executions", _list_pipeline_executions)):
        moto_coupling.add_operation("sagemaker", "SageMakerResponse", operation, handler)
    cloud.after_restore(fail_interrupted_executions)
    cloud.on_reset(STOP_REQUESTS.clear)
