"""What optimised integrations hand to the state, as Step Functions writes it (repairs to moto's interpreter).

This module is coupled to moto's Step Functions parser (through ``moto_coupling``); a moto upgrade checks it.

- The request-response integrations Step Functions runs on the AWS SDK for Java 1.x (Lambda ``invoke``,
  DynamoDB ``getItem``/``putItem``/``updateItem``/``deleteItem``, SNS ``publish``, SQS ``sendMessage``, Batch
  ``submitJob``, Glue ``startJobRun``) answer the service's response plus ``SdkHttpMetadata`` (the HTTP status
  and headers) and ``SdkResponseMetadata`` (the request id), as the developer guide's example outputs show;
  moto answered the response alone. The ``.sync`` outputs (DescribeJobs' job, GetJobRun's run) carry neither.
- Lambda ``invoke`` takes ``InvocationType`` (``Event``: the function runs asynchronously, the state gets
  ``StatusCode`` 202 and an empty ``Payload``); moto's interpreter dropped the parameter and waited for the
  function. Batch ``submitJob`` keeps ``PropagateTags``, ``ShareIdentifier``, ``SchedulingPriorityOverride``
  and the node/ECS/EKS overrides, which it dropped too.
- EventBridge ``putEvents`` with failed entries fails with ``EventBridge.FailedEntry`` and the response as JSON
  text for its cause (moto wrote a Python dict's repr, which ``States.StringToJson`` cannot read).
- The cause of a failed Glue ``startJobRun.sync`` (GetJobRun's run) has its timestamps as epoch milliseconds, as
  the task's output on success has (moto wrote Python's text of a datetime).
- A Lambda function's error whose payload names no ``errorType`` (a timeout, running out of memory) is
  ``Lambda.Unknown``, as the developer guide's "Handle Lambda service exceptions" says; moto named it
  ``Exception``.
- The context object's ``$$.Execution.StartTime`` and ``$$.State.EnteredTime`` are ISO 8601 text in UTC with
  milliseconds (``2024-05-01T10:00:00.123Z``), as the "Context object" page shows; moto wrote Python's text of a
  datetime (``2024-05-01 10:00:00.123456+00:00``).
- Timestamps in the output of every optimised integration are epoch milliseconds, for request-response calls
  (``states:startExecution``'s StartDate, ``athena:getQueryExecution``) as for ``.sync`` ones; moto left
  Python's text of a datetime. (AWS SDK integrations write ISO 8601 text: ``executions.py``.)
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from emulators.core import moto_coupling

_SERVICE = "asl.component.state.exec.state_task.service"

# service task module -> (Content-Type of the service's protocol, actions whose output carries the metadata)
SDK_V1_INTEGRATIONS = {
    "state_task_service_lambda": ("application/json", {"invoke"}),
    "state_task_service_dynamodb": ("application/x-amz-json-1.0", {"get_item", "put_item", "update_item",
                                                                  "delete_item"}),
    "state_task_service_sns": ("text/xml", {"publish"}),
    "state_task_service_sqs": ("text/xml", {"send_message"}),
    "state_task_service_batch": ("application/json", {"submit_job"}),
    "state_task_service_glue": ("application/x-amz-json-1.1", {"start_job_run"}),
}


def epoch_millis(value: Any) -> Any:
    """``value`` with every datetime as epoch milliseconds, as Step Functions writes a Date of a response."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return int(moment.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: epoch_millis(v) for k, v in value.items()}
    if isinstance(value, list):
        return [epoch_millis(v) for v in value]
    return value


def sdk_metadata(content_type: str, status: int = 200, extra_headers: dict[str, str] | None = None) -> dict:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` of one response."""
    request_id = str(uuid.uuid4())
    headers = {"Content-Type": content_type, "Date": format_datetime(datetime.now(timezone.utc), usegmt=True),
               "x-amzn-RequestId": request_id, **(extra_headers or {})}
    return {"SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": headers,
                                "HttpStatusCode": status},
            "SdkResponseMetadata": {"RequestId": request_id}}


def _module(name: str) -> Any:
    return moto_coupling.stepfunctions_parser_module(name)


def _task_class(module: Any) -> type:
    return next(value for name, value in vars(module).items()
                if name.startswith("StateTaskService") and isinstance(value, type)
                and value.__module__ == module.__name__)


def _add_sdk_metadata() -> None:
    for name, (content_type, actions) in SDK_V1_INTEGRATIONS.items():
        cls = _task_class(_module(f"{_SERVICE}.{name}"))
        if getattr(cls, "_sandbox_sdk_metadata", False):
            continue
        original = cls._eval_service_task

        def eval_service_task(self: Any, env: Any, *args: Any, _original: Any = original,
                              _content_type: str = content_type, _actions: set = actions, **kwargs: Any) -> None:
            _original(self, env, *args, **kwargs)
            result = env.stack[-1] if env.stack else None
            if isinstance(result, dict) and self._get_boto_service_action() in _actions:
                status = result.get("StatusCode", 200) if isinstance(result.get("StatusCode"), int) else 200
                executed = result.get("ExecutedVersion")
                extra = {"X-Amz-Executed-Version": executed} if isinstance(executed, str) else None
                result.update(sdk_metadata(_content_type, status, extra))

        cls._eval_service_task = eval_service_task
        cls._sandbox_sdk_metadata = True


# parameters the developer guide lists for an integration that moto's interpreter dropped before the call
MORE_PARAMETERS = {
    "state_task_service_lambda": ("invoke", {"InvocationType"}),
    "state_task_service_batch": ("submitjob", {"EcsPropertiesOverride", "EksPropertiesOverride", "NodeOverrides",
                                               "PropagateTags", "SchedulingPriorityOverride", "ShareIdentifier"}),
}


def _more_parameters() -> None:
    for name, (action, parameters) in MORE_PARAMETERS.items():
        bindings = _module(f"{_SERVICE}.{name}")._SUPPORTED_API_PARAM_BINDINGS
        bindings.setdefault(action, set()).update(parameters)


def _json_causes() -> None:
    encoding = _module("asl.utils.encoding")
    events = _module(f"{_SERVICE}.state_task_service_events")
    exception = events.SfnFailedEntryCountException
    if not getattr(exception, "_sandbox_json_cause", False):
        original_init = exception.__init__

        def init(self: Any, cause: Any) -> None:
            original_init(self, cause)
            self.cause = encoding.to_json_str(cause) if isinstance(cause, (dict, list)) else cause

        exception.__init__ = init
        exception._sandbox_json_cause = True
    glue = _module(f"{_SERVICE}.state_task_service_glue")
    if not getattr(glue, "_sandbox_json_cause", False):
        glue.to_json_str = lambda value, *args, **kwargs: encoding.to_json_str(epoch_millis(value), *args, **kwargs)
        glue._sandbox_json_cause = True


def iso_millis(value: Any) -> Any:
    """A time as the context object writes it: ``2024-05-01T10:00:00.123Z`` (other values unchanged)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return value
    moment = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _context_object_times() -> None:
    worker = _module("backend.execution_worker").ExecutionWorker
    if not getattr(worker, "_sandbox_context_times", False):
        original = worker._get_evaluation_environment

        def get_evaluation_environment(self: Any) -> Any:
            env = original(self)
            execution = env.states.context_object.context_object_data.get("Execution") or {}
            if "StartTime" in execution:
                execution["StartTime"] = iso_millis(execution["StartTime"])
            return env

        worker._get_evaluation_environment = get_evaluation_environment
        worker._sandbox_context_times = True
    state = _module("asl.component.state.state")
    if not getattr(state, "_sandbox_context_times", False):
        state_data = state.StateData

        def entered(**fields: Any) -> Any:
            if "EnteredTime" in fields:
                fields["EnteredTime"] = iso_millis(fields["EnteredTime"])
            return state_data(**fields)

        state.StateData = entered
        state._sandbox_context_times = True


def _epoch_millis_outputs() -> None:
    cls = _module(f"{_SERVICE}.state_task_service").StateTaskService
    if getattr(cls, "_sandbox_epoch_millis", False):
        return
    original = cls._after_eval_execution

    def after_eval_execution(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        if env.stack:
            env.stack[-1] = epoch_millis(env.stack[-1])
        original(self, env, *args, **kwargs)

    cls._after_eval_execution = after_eval_execution
    cls._sandbox_epoch_millis = True


def _lambda_unknown() -> None:
    utils = _module("asl.component.state.exec.state_task.lambda_eval_utils")
    custom = _module("asl.component.common.error_name.custom_error_name")
    for cls in (_module(f"{_SERVICE}.state_task_service_lambda").StateTaskServiceLambda,
                _module("asl.component.state.exec.state_task.state_task_lambda").StateTaskLambda):
        if getattr(cls, "_sandbox_lambda_unknown", False):
            continue
        original = cls._from_error

        def from_error(self: Any, env: Any, ex: Exception, _original: Any = original) -> Any:
            event = _original(self, env, ex)
            if isinstance(ex, utils.LambdaFunctionErrorException) and not _error_type(ex.payload):
                event.error_name = custom.CustomErrorName("Lambda.Unknown")
                for details in (event.event_details or {}).values():
                    if isinstance(details, dict) and "error" in details:
                        details["error"] = "Lambda.Unknown"
            return event

        cls._from_error = from_error
        cls._sandbox_lambda_unknown = True


def _error_type(payload: Any) -> Any:
    import json

    try:
        return json.loads(payload).get("errorType")
    except (TypeError, ValueError, AttributeError):
        return None


def install() -> None:
    _lambda_unknown()
    _epoch_millis_outputs()
    _context_object_times()
    _add_sdk_metadata()
    _more_parameters()
    _json_causes()
