"""Step Functions execution APIs moto's interpreter answers differently from AWS, and the AWS SDK integration's
error names.

This module is coupled to moto's Step Functions parser (through ``moto_coupling``); a moto upgrade checks it.

- StopExecution: moto dropped the request's ``error`` and ``cause`` (the ExecutionAborted event had empty ones,
  DescribeExecution none) and answered no ``stopDate`` while the execution was still winding down.
- GetExecutionHistory: ``reverseOrder``, ``maxResults`` and ``nextToken`` were ignored; an event after
  ExecutionStarted had ``previousEventId`` 0.
- ``arn:aws:states:::aws-sdk:<service>:<action>`` errors are named ``<Service>.<Error>`` with the service in
  Pascal case as the Step Functions developer guide names them (``S3.NoSuchKeyException``,
  ``DynamoDb.ResourceNotFoundException``); moto kept the resource's lower-case name (``s3.NoSuchKeyException``),
  which a Retry or Catch written from the guide never matched.
- AWS SDK integration outputs carry timestamps as ISO 8601 text in UTC (``2024-05-01T10:00:00Z``, as the
  AWS SDK writes an Instant); moto wrote Python's ``2024-05-01 10:00:00+00:00``.
- A Choice state without Default whose rules all fail fails the execution with ``States.NoChoiceMatched``
  (the States Language's predefined error); moto failed it with ``States.Runtime`` and a Python tuple.
- A Parallel branch, Map iteration or nested execution that failed with a predefined ``States.*`` error (``States.TaskFailed``,
  ``States.Timeout``, ``States.NoChoiceMatched``, ...) crashed moto's interpreter ("Custom Error Names MUST NOT
  begin with the prefix 'States.'"), so the Parallel or Map state's Retry and Catch never saw the error and
  the execution failed with ``States.Runtime``; the error now reaches them by its name.
- A ResultPath that cannot be applied to the state's input (``$.a.b`` when ``a`` is a list) fails the state
  with ``States.ResultPathMatchFailure``, not ``States.Runtime`` with a Python TypeError.
- A Task whose HeartbeatSeconds passed without SendTaskHeartbeat fails with ``States.HeartbeatTimeout`` (moto
  reported ``States.Timeout``, so a Catch on States.HeartbeatTimeout never matched).
- StartSyncExecution (moto answered NotImplemented) runs an Express state machine and answers when it ends,
  with StartSyncExecution's members; a Standard one is ``StateMachineTypeNotSupported``.
- ``States.ALL`` no longer catches ``States.Runtime`` (nor ``States.DataLimitExceeded``): the error handling
  page says a retrier or catcher on States.ALL does not, and such errors always fail the execution.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from functools import lru_cache
from typing import Any

from emulators.core import clock, lifecycle, moto_coupling, paging, service_models
from emulators.core.errors import InvalidInput
from emulators.core.moto_coupling import Request
from emulators.stepfunctions.asl_compat import states_failure

# Step Functions' aws-sdk service names that are not botocore's
_BOTO_NAMES = {"sfn": "stepfunctions", "elasticloadbalancingv2": "elbv2", "mediastoredata": "mediastore-data",
               "apigatewaymanagementapi": "apigatewaymanagementapi"}
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def pascal_service_name(service_id: str) -> str:
    """The AWS SDK's class-name spelling of a botocore ``serviceId`` (``DynamoDB`` -> ``DynamoDb``,
    ``ACM PCA`` -> ``AcmPca``, ``S3`` -> ``S3``, ``SFN`` -> ``Sfn``)."""
    words = _WORD.findall(service_id)
    return "".join(w if w.isdigit() else w[0].upper() + w[1:].lower() if w.isupper() else w[0].upper() + w[1:]
                   for w in words)


@lru_cache(maxsize=None)
def sdk_error_service_name(name: str) -> str:
    """The service part of an aws-sdk integration's error name for the resource's service ``name``."""
    boto_name = _BOTO_NAMES.get(name.lower(), name.lower())
    try:
        service_id = service_models.service_model(boto_name).service_id
    except Exception:  # not a service botocore knows: keep the resource's spelling, capitalised
        return name[:1].upper() + name[1:]
    return pascal_service_name(str(service_id))


def iso_instant(value: Any) -> Any:
    """``value`` with every datetime as the AWS SDK's ISO 8601 text of an instant (UTC, ``Z``)."""
    from datetime import datetime, timezone

    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc) if value.tzinfo else value
        if not moment.microsecond:
            spec = "seconds"
        else:
            spec = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
        return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    if isinstance(value, dict):
        return {k: iso_instant(v) for k, v in value.items()}
    if isinstance(value, list):
        return [iso_instant(v) for v in value]
    return value


def _name_sdk_errors_as_aws() -> None:
    module = moto_coupling.stepfunctions_parser_module(
        "asl.component.state.exec.state_task.service.state_task_service_aws_sdk")
    cls = module.StateTaskServiceAwsSdk
    if getattr(cls, "_sandbox_error_names", False):
        return
    cls._normalise_service_error_name = staticmethod(sdk_error_service_name)
    original = cls._eval_service_task

    def eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        original(self, env, *args, **kwargs)
        if env.stack:
            env.stack[-1] = iso_instant(env.stack[-1])

    cls._eval_service_task = eval_service_task
    cls._sandbox_error_names = True


def _no_choice_matched() -> None:
    choice = moto_coupling.stepfunctions_parser_module("asl.component.state.choice.state_choice")
    cls = choice.StateChoice
    if getattr(cls, "_sandbox_no_choice", False):
        return
    original = cls._eval_state
    failure = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.failure_event")

    def eval_state(self: Any, env: Any) -> None:
        if self.default_state is not None:
            return original(self, env)
        for rule in self.choices_decl.rules:
            rule.eval(env)
            if env.stack.pop() is True:
                env.stack.append(rule.next_stmt.name)
                return None
        raise failure.FailureEventException(failure_event=states_failure(
            env, "StatesNoChoiceMatched", "ExecutionFailed",
            f"No Choice rule matched the input of state '{self.name}' and it has no Default"))

    cls._eval_state = eval_state
    cls._sandbox_no_choice = True


def _error_name_factory() -> Any:
    custom = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.custom_error_name")
    states = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.states_error_name")
    base = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.error_name")

    class UnknownStatesErrorName(base.ErrorName):  # type: ignore[misc, name-defined]
        """A ``States.*`` name the interpreter does not list (kept by its name)."""

    def error_name(error_name: str | None) -> Any:
        if error_name is not None and error_name.startswith("States."):
            try:
                return states.StatesErrorName.from_name(error_name)
            except ValueError:
                return UnknownStatesErrorName(error_name)
        return custom.CustomErrorName(error_name=error_name)

    return error_name


def _branch_errors_keep_their_names() -> None:
    factory = None
    for name in ("asl.component.state.exec.state_parallel.branches_decl",
                 "asl.component.state.exec.state_map.iteration.iteration_worker",
                 "asl.component.state.fail.state_fail",
                 "asl.component.state.exec.state_task.service.state_task_service_callback",
                 "asl.component.state.exec.state_task.service.state_task_service_sfn"):
        module = moto_coupling.stepfunctions_parser_module(name)
        if getattr(module, "_sandbox_error_names", False):
            continue
        factory = factory or _error_name_factory()
        module.CustomErrorName = factory
        module._sandbox_error_names = True
    decl = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.error_equals_decl")
    cls = decl.ErrorEqualsDecl
    if getattr(cls, "_sandbox_terminal_errors", False):
        return
    states = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.states_error_name")
    kinds = moto_coupling.stepfunctions_parser_module(
        "asl.component.common.error_name.states_error_name_type").StatesErrorNameType
    terminal = {kinds.StatesRuntime.to_name(), kinds.StatesStatesDataLimitExceeded.to_name()}
    original = cls._eval_body

    def eval_body(self: Any, env: Any) -> None:
        error = env.stack[-1] if env.stack else None
        if isinstance(error, states.StatesErrorName) and error.error_name in terminal \
                and cls._STATE_ALL_ERROR in self.error_names:
            env.stack.pop()
            env.stack.append(error in [e for e in self.error_names if e != cls._STATE_ALL_ERROR])
            return
        original(self, env)

    cls._eval_body = eval_body
    cls._sandbox_terminal_errors = True


def _result_path_match_failure() -> None:
    module = moto_coupling.stepfunctions_parser_module("asl.component.common.path.result_path")
    cls = module.ResultPath
    if getattr(cls, "_sandbox_match_failure", False):
        return
    original = cls._eval_body
    failure = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.failure_event")

    def eval_body(self: Any, env: Any) -> None:
        try:
            original(self, env)
        except (TypeError, AttributeError, IndexError, KeyError, ValueError):
            state_input = json.dumps(env.states.get_input(), separators=(",", ":"), default=str)
            raise failure.FailureEventException(failure_event=states_failure(
                env, "StatesResultPathMatchFailure", "TaskFailed",
                f"Unable to apply ReferencePath {self.result_path_src} to input {state_input[:1000]}"))

    cls._eval_body = eval_body
    cls._sandbox_match_failure = True


def _heartbeat_timeout() -> None:
    task = moto_coupling.stepfunctions_parser_module("asl.component.state.exec.state_task.state_task")
    cls = task.StateTask
    if getattr(cls, "_sandbox_heartbeat", False):
        return
    original = cls._from_error
    callback = moto_coupling.stepfunctions_parser_module("asl.eval.callback.callback")

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, callback.HeartbeatTimeoutError):
            return states_failure(env, "StatesHeartbeatTimeout", "TaskTimedOut")
        return original(self, env, ex)

    cls._from_error = from_error
    cls._sandbox_heartbeat = True


# ------------------------------------------------------------------ API handlers
def _execution(request: Request) -> Any:
    backend = moto_coupling.stepfunctions_backend(request.account_id, request.region)
    return backend.describe_execution(request.get("executionArn"))  # ExecutionDoesNotExist / InvalidArn


def _status(execution: Any) -> str:
    return str(getattr(execution.status, "value", execution.status))


def stop_execution(request: Request) -> dict[str, Any]:
    execution = _execution(request)
    if _status(execution) == "RUNNING":
        error, cause = request.get("error"), request.get("cause")
        now = clock.utcnow()
        execution.stop(stop_date=now, error=error, cause=cause)
        if error is not None:
            execution.error = error
        if cause is not None:
            execution.cause = cause
        # the interpreter's thread records the abort: wait for it, so a DescribeExecution or
        # GetExecutionHistory right after StopExecution sees it, as on AWS
        deadline = time.monotonic() + 2.0
        while _status(execution) == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.01)
        execution.sandbox_stop = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        return {"stopDate": execution.stop_date or now}
    return {"stopDate": execution.stop_date or clock.utcnow()}


def get_execution_history(request: Request) -> dict[str, Any]:
    execution = _execution(request)
    events = [dict(event) for event in execution.to_history_output().get("events", [])]
    if _status(execution) == "ABORTED" and events and events[-1].get("type") != "ExecutionAborted":
        # stopped before the interpreter's thread began (or while it was winding down): AWS still records it
        last = events[-1]
        events.append({"timestamp": execution.stop_date or last.get("timestamp"), "type": "ExecutionAborted",
                       "id": last.get("id", 0) + 1, "previousEventId": last.get("id", 0),
                       "executionAbortedEventDetails": dict(getattr(execution, "sandbox_stop", {}) or {})})
    for event in events:
        if event.get("id", 0) > 1 and not event.get("previousEventId"):
            event["previousEventId"] = event["id"] - 1
    if request.get_bool("reverseOrder"):
        events.reverse()
    size = request.get("maxResults") or None  # 0 is the default page, as on AWS
    page, token = paging.page(events, request.get("nextToken"), size, listing=f"sfn:history:{request.get('executionArn')}",
                              default_size=100, max_size=1000, token_error="InvalidToken")
    if request.get_bool("includeExecutionData") is False:
        for event in page:
            for key, value in list(event.items()):
                if key.endswith("EventDetails") and isinstance(value, dict):
                    event[key] = {k: v for k, v in value.items() if k not in ("input", "output", "inputDetails",
                                                                              "outputDetails")}
    answer: dict[str, Any] = {"events": page}
    if token:
        answer["nextToken"] = token
    return answer


SYNC_LIMIT_SECONDS = 300  # an Express execution's maximum duration


def start_sync_execution(request: Request) -> dict[str, Any]:
    backend = moto_coupling.stepfunctions_backend(request.account_id, request.region)
    machine = backend.describe_state_machine(request.get("stateMachineArn"))  # StateMachineDoesNotExist
    if str(getattr(machine, "type", "STANDARD")) != "EXPRESS":
        raise InvalidInput("This operation is not supported by this type of state machine: StartSyncExecution "
                           "runs EXPRESS state machines only", code="StateMachineTypeNotSupported")
    execution = backend.start_execution(machine.arn, request.get("name") or str(uuid.uuid4()),
                                        request.get("input"), request.get("traceHeader"))
    deadline = time.monotonic() + SYNC_LIMIT_SECONDS
    with lifecycle.outside_state_lock():  # the execution's tasks call back into the sandbox
        while _status(execution) == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.02)
    status = _status(execution)
    if status == "RUNNING":
        execution.stop(stop_date=clock.utcnow(), error="States.Timeout", cause="the Express execution ran too long")
        status = "TIMED_OUT"
    answer: dict[str, Any] = {
        "executionArn": execution.exec_arn, "stateMachineArn": machine.arn, "name": execution.name,
        "startDate": execution.start_date, "stopDate": execution.stop_date or clock.utcnow(),
        "status": status if status in ("SUCCEEDED", "FAILED", "TIMED_OUT") else "FAILED",
        "input": request.get("input") or "{}", "inputDetails": {"included": True},
        "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}}
    if status == "SUCCEEDED":
        answer["output"] = json.dumps(execution.output, separators=(",", ":"), default=str)
        answer["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        if getattr(execution, key, None) is not None:
            answer[key] = getattr(execution, key)
    return answer


def install() -> None:
    _name_sdk_errors_as_aws()
    _no_choice_matched()
    _branch_errors_keep_their_names()
    _result_path_match_failure()
    _heartbeat_timeout()
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "stop_execution", stop_execution)
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "start_sync_execution",
                                start_sync_execution)
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "get_execution_history",
                                get_execution_history)
