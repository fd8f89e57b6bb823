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
reports the live status and failure reason. Executions are moto's; their steps are the backend's
declared state (``extras.pipeline_steps``), so both are in the snapshot; an execution a restart interrupted is
``Failed`` with the sandbox's one restart wording (:func:`emulators.core.jobs.interrupted`).

Not emulated: step caching (``CacheConfig``), retry policies, selective execution,
``RetryPipelineExecution``, callback/Lambda/EMR/quality-check/Clarify-check/tuning/AutoML
steps, parallel steps (they run one after another).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from emulators.core import moto_coupling, paging
from emulators.core.clock import utcnow
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common, events
from emulators.sagemaker.api import pipeline_runner as runner
from emulators.sagemaker.engines import pipeline_definition as documents


def not_found(arn: str) -> NotFound:
    return NotFound(f"Pipeline execution {arn} does not exist.", code="ResourceNotFound")


# ===================================================================== backend mixin
class PipelineBackendMixin:
    """Pipeline operations of the SageMaker backend (mixed into the provider's backend class)."""

    def start_pipeline_execution(self, pipeline_name: str, pipeline_execution_display_name: str,
                                 pipeline_parameters: list[dict[str, Any]], pipeline_execution_description: str,
                                 parallelism_configuration: dict[str, int], client_request_token: str) -> dict:
        name = documents.pipeline_name(pipeline_name)
        pipeline = self.pipelines.get(name)  # type: ignore[attr-defined]
        if pipeline is None:
            raise NotFound(f"Pipeline {pipeline_name} does not exist.", code="ResourceNotFound")
        if client_request_token:  # a retried request answers the execution it started
            for arn, earlier in pipeline.pipeline_executions.items():
                if earlier.client_request_token == client_request_token:
                    return {"PipelineExecutionArn": arn}
        try:
            definition = documents.parse_definition(pipeline.pipeline_definition)
            documents.resolve_parameters(definition, pipeline_parameters)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        result = super().start_pipeline_execution(  # type: ignore[misc]
            name, pipeline_execution_display_name, pipeline_parameters, pipeline_execution_description,
            parallelism_configuration, client_request_token)
        arn = result["PipelineExecutionArn"]
        execution = pipeline.pipeline_executions[arn]
        execution.pipeline_execution_display_name = pipeline_execution_display_name or documents.execution_id(arn)
        execution.pipeline_parameters = pipeline_parameters or []
        execution.pipeline_execution_status = "Executing"
        execution.pipeline_execution_failure_reason = None
        self.extras.pipeline_steps[arn] = []  # type: ignore[attr-defined]
        # the event is built before the run starts: a short execution could otherwise end first
        events.pipeline_execution_changed(self, pipeline.arn, execution, None)
        common.cloud().submit(runner.run_execution, self.account_id, self.region_name, name, arn)  # type: ignore
        return result

    def _pipeline_execution(self, arn: str) -> Any:
        pipeline = self.pipelines.get(documents.pipeline_name(arn))  # type: ignore[attr-defined]
        execution = pipeline.pipeline_executions.get(arn) if pipeline is not None else None
        if execution is None:
            raise not_found(arn)
        return execution

    def describe_pipeline_execution(self, pipeline_execution_arn: str) -> dict[str, Any]:
        execution = self._pipeline_execution(pipeline_execution_arn)
        result = super().describe_pipeline_execution(pipeline_execution_arn)  # type: ignore[misc]
        result["PipelineExecutionStatus"] = execution.pipeline_execution_status
        result.pop("FailureReason", None)
        if execution.pipeline_execution_failure_reason:
            result["FailureReason"] = execution.pipeline_execution_failure_reason
        result["PipelineExperimentConfig"] = {"ExperimentName": documents.pipeline_name(pipeline_execution_arn),
                                              "TrialName": documents.execution_id(pipeline_execution_arn)}
        if not result.get("ParallelismConfiguration"):
            result.pop("ParallelismConfiguration", None)
        return result

    def list_pipeline_execution_steps(self, pipeline_execution_arn: str, sort_order: str | None) -> list[dict]:
        execution = self._pipeline_execution(pipeline_execution_arn)
        records = self.extras.pipeline_steps.get(pipeline_execution_arn, [])  # type: ignore[attr-defined]
        steps = [step_summary(record) for record in records]
        return steps if sort_order == "Ascending" else steps[::-1]

    def delete_pipeline(self, pipeline_name: str) -> str:
        pipeline = self.pipelines.get(documents.pipeline_name(pipeline_name))  # type: ignore[attr-defined]
        arn = super().delete_pipeline(pipeline_name)  # type: ignore[misc]
        for execution_arn in (pipeline.pipeline_executions if pipeline is not None else {}):
            self.extras.pipeline_steps.pop(execution_arn, None)  # type: ignore[attr-defined]
        return arn

    def stop_pipeline_execution(self, pipeline_execution_arn: str) -> str:
        execution = self._pipeline_execution(pipeline_execution_arn)
        if execution.pipeline_execution_status not in ("Executing", "Stopping"):
            raise InvalidInput(f"Pipeline execution {pipeline_execution_arn} is in status "
                               f"{execution.pipeline_execution_status} and cannot be stopped.")
        execution.pipeline_execution_status = "Stopping"
        execution.last_modified_time = utcnow()
        runner.STOP_REQUESTS.add(pipeline_execution_arn)
        return pipeline_execution_arn

    def list_pipeline_execution_summaries(self, pipeline_name: str, created_after: datetime | None,
                                          created_before: datetime | None, sort_by: str | None,
                                          sort_order: str | None) -> list[dict]:
        name = documents.pipeline_name(pipeline_name)
        pipeline = self.pipelines.get(name)  # type: ignore[attr-defined]
        if pipeline is None:
            raise NotFound(f"Pipeline {pipeline_name} does not exist.", code="ResourceNotFound")
        summaries = []
        for arn, execution in pipeline.pipeline_executions.items():
            if created_after and execution.creation_time <= created_after:
                continue
            if created_before and execution.creation_time >= created_before:
                continue
            summary = {"PipelineExecutionArn": arn, "StartTime": execution.start_time,
                       "PipelineExecutionStatus": execution.pipeline_execution_status,
                       "PipelineExecutionDisplayName": (execution.pipeline_execution_display_name
                                                        or documents.execution_id(arn))}
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
def _page(items: list[dict], request: Request, key: str) -> dict[str, Any]:
    found, token = paging.page(items, request.get("NextToken"), request.get("MaxResults"),
                               default_size=50, listing=f"sagemaker:{key}")
    result: dict[str, Any] = {key: found}
    if token:
        result["NextToken"] = token
    return result


def _list_pipeline_execution_steps(request: Request) -> dict[str, Any]:
    steps = common.backend_of(request).list_pipeline_execution_steps(request.get("PipelineExecutionArn"),
                                                                     request.get("SortOrder"))
    return _page(steps, request, "PipelineExecutionSteps")


def _stop_pipeline_execution(request: Request) -> dict[str, Any]:
    arn = common.backend_of(request).stop_pipeline_execution(request.get("PipelineExecutionArn"))
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


def _list_pipeline_executions(request: Request) -> dict[str, Any]:
    summaries = common.backend_of(request).list_pipeline_execution_summaries(
        request.get("PipelineName"), _timestamp(request.get("CreatedAfter")),
        _timestamp(request.get("CreatedBefore")), request.get("SortBy"),
        request.get("SortOrder"))
    return _page(summaries, request, "PipelineExecutionSummaries")


# ===================================================================== restart and install
def fail_interrupted_executions() -> None:
    for _, _, backend in common.backends():
        now = utcnow()
        for pipeline in backend.pipelines.values():
            for execution in pipeline.pipeline_executions.values():
                if execution.pipeline_execution_status not in ("Executing", "Stopping"):
                    continue
                execution.pipeline_execution_status = "Failed"
                execution.pipeline_execution_failure_reason = runner.INTERRUPTED
                execution.last_modified_time = now
                for record in backend.extras.pipeline_steps.get(execution.arn, []):
                    if record.get("StepStatus") in ("Starting", "Executing", "Stopping"):
                        record.update(StepStatus="Failed", FailureReason=runner.INTERRUPTED, EndTime=now)


def install(cloud: Any) -> None:
    for operation, handler in (("list_pipeline_execution_steps", _list_pipeline_execution_steps),
                               ("stop_pipeline_execution", _stop_pipeline_execution),
                               ("list_pipeline_executions", _list_pipeline_executions)):
        moto_coupling.add_operation("sagemaker", "SageMakerResponse", operation, handler)
    cloud.after_restore(fail_interrupted_executions)
    cloud.on_reset(runner.STOP_REQUESTS.clear)
