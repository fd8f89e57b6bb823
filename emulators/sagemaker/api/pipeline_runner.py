"""The executor of a SageMaker Pipelines execution: its steps, in dependency order, as this backend's jobs.

:func:`run_execution` runs in the background for each execution that
:mod:`.pipelines` starts. Each ``Processing``/``Training``/``Transform`` step
creates the backend's real job and waits for it; ``Model``/``RegisterModel``
create the resource; ``Condition`` evaluates and skips the branch not taken;
``Fail`` fails. Step records are the backend's declared state
(``extras.pipeline_steps``), so they are in the snapshot.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import re
import string
import time
from typing import Any

from emulators.core.clock import utcnow
from emulators.core.moto_coupling import AwsError
from emulators.sagemaker.api import common, events
from emulators.sagemaker.engines import pipeline_definition as documents

log = logging.getLogger("emulators.sagemaker.pipelines")

SUPPORTED_TYPES = ("Processing", "Training", "Transform", "Model", "CreateModel", "RegisterModel", "Condition",
                   "Fail")
STOP_REQUESTS: set[str] = set()  # execution ARNs asked to stop (not pickled)
INTERRUPTED = common.interrupted("pipeline execution")
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


def _snake(name: str) -> str:
    from botocore import xform_name

    return xform_name(name)


# ===================================================================== the executor
def run_execution(account_id: str, region: str, pipeline_name: str, arn: str) -> None:
    backend = common.backend(account_id, region)
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
    if common.cloud().stopping and status != "Succeeded":  # its job was killed by the shutdown
        status, reason = "Failed", INTERRUPTED
    with common.cloud().mutating():
        previous = execution.pipeline_execution_status
        execution.pipeline_execution_status = status
        execution.pipeline_execution_failure_reason = reason[:1300] if reason else None
        execution.last_modified_time = utcnow()
    STOP_REQUESTS.discard(arn)
    events.pipeline_execution_changed(backend, pipeline.arn, execution, previous)


class ExecutionRunner:
    def __init__(self, backend: Any, pipeline: Any, execution: Any) -> None:
        self.backend, self.pipeline, self.execution = backend, pipeline, execution
        self.cloud = common.cloud()
        self.arn = execution.arn
        self.step_records = backend.extras.pipeline_steps.setdefault(execution.arn, [])
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
            definition = documents.parse_definition(self.execution.pipeline_definition_for_execution)
            self.parameters = documents.resolve_parameters(definition, self.execution.pipeline_parameters)
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
        for path in documents.references(arguments):
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
        return next(r for r in self.step_records if r["StepName"] == name)

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
            self.step_records.append(record)
        try:
            if kind not in SUPPORTED_TYPES:
                raise StepFailed(f"Step type {kind!r} is not emulated by the sandbox; the supported step types are "
                                 f"{', '.join(SUPPORTED_TYPES)}.")
            if kind == "Condition":
                outcome = self._condition(step)
                self.properties[name] = {"Outcome": outcome}
                self._update(name, Metadata={"Condition": {"Outcome": "True" if outcome else "False"}})
            elif kind == "Fail":
                message = documents.text(self.resolve((step.get("Arguments") or {}).get("ErrorMessage", "")))
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
        return documents.coerce_to_request(_OPERATION[kind], arguments)

    def _resource_name(self, step_name: str) -> str:
        clean = re.sub(r"[^A-Za-z0-9]+", "-", step_name).strip("-")[:29].strip("-") or "step"
        suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=10))
        return f"pipelines-{documents.execution_id(self.arn)}-{clean}-{suffix}"

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
            self.properties[name] = documents.plain(backend.describe_model(model_name).response_object)
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
            self.properties[name] = documents.plain(package.gen_response_object()) if package is not None else {
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
            return any(documents.compare(query, self.resolve(v)) == 0 for v in condition.get("Values") or [])
        left, right = self.resolve(condition.get("LeftValue")), self.resolve(condition.get("RightValue"))
        if kind == "Equals":
            return documents.compare(left, right) == 0
        order = documents.compare(left, right)
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
            return str(spec.get("On", "")).join(documents.text(self.resolve(v)) for v in spec.get("Values") or [])
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
                return documents.walk(self.properties[step], prop)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                raise StepFailed(f"ClientError: {path}: no such property of step {step} ({exc})") from None
        raise StepFailed(f"ValidationException: cannot resolve {{\"Get\": {path!r}}}")

    def _execution_variable(self, name: str) -> Any:
        values = {"PipelineExecutionId": documents.execution_id(self.arn), "PipelineExecutionArn": self.arn,
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
            uri = documents.text(self.resolve(spec["S3Uri"]))
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
            document = json.loads(common.s3().get(bucket, key))
        except Exception as exc:
            raise StepFailed(f"ClientError: Std:JsonGet could not read the JSON file {uri}: {exc}") from None
        try:
            return documents.walk(document, path.removeprefix("$").lstrip("."))
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
