"""Step Functions on moto's ASL interpreter, with AWS's defaults where moto differs."""

from __future__ import annotations

import json
import uuid
from typing import Any

from emulators.core import clock, moto_coupling
from emulators.core.errors import InvalidInput, NotEmulated, ServiceError
from emulators.core.moto_coupling import Request
from emulators.stepfunctions import status_events
from emulators.core.json_tree import json_objects
from emulators.stepfunctions.resources import express_problem, parameters_problem, resource_problem

ParserBackend = moto_coupling.backend_class("stepfunctions-parser")


STATE_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}


def definition_problem(definition: str) -> str | None:
    """What AWS's ValidateStateMachineDefinition would object to first, or None."""
    try:
        document = json.loads(definition)
    except (TypeError, ValueError) as exc:
        return f"INVALID_JSON_DESCRIPTION: {exc}"
    return _machine_problem(document, "")


def _machine_problem(document: Any, path: str) -> str | None:
    if not isinstance(document, dict):
        return f"SCHEMA_VALIDATION_FAILED: the definition at {path or '/'} is not an object"
    states = document.get("States")
    if not isinstance(states, dict) or not states:
        return f"SCHEMA_VALIDATION_FAILED: These fields are required: [States] at {path or '/'}"
    start = document.get("StartAt")
    if "StartAt" not in document:
        return f"SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at {path or '/'}"
    if not isinstance(start, str) or start not in states:
        return f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {start} at {path}/StartAt"
    edges: dict[str, list[str]] = {}
    for name, state in states.items():
        where = f"{path}/States/{name}"
        kind = state.get("Type") if isinstance(state, dict) else None
        if kind not in STATE_TYPES:
            return f"SCHEMA_VALIDATION_FAILED: {kind!r} is not a valid state type at {where}/Type"
        if kind == "Task" and not isinstance(state.get("Resource"), str):
            return f"SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at {where}"
        if kind == "Task" and (problem := resource_problem(state["Resource"])):
            return f"{problem} at {where}/Resource"
        if kind == "Task" and (problem := parameters_problem(state["Resource"], state.get("Parameters"))):
            return f"{problem} at {where}/Parameters"
        if kind == "Choice" and not state.get("Choices"):
            return f"SCHEMA_VALIDATION_FAILED: These fields are required: [Choices] at {where}"
        if kind == "Wait" and not any(k in state for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")):
            return (f"SCHEMA_VALIDATION_FAILED: A Wait state needs exactly one of Seconds, Timestamp, SecondsPath, "
                    f"TimestampPath at {where}")
        if kind == "Map" and "Iterator" not in state and "ItemProcessor" not in state:
            return f"SCHEMA_VALIDATION_FAILED: These fields are required: [ItemProcessor] at {where}"
        if kind == "Parallel" and not state.get("Branches"):
            return f"SCHEMA_VALIDATION_FAILED: These fields are required: [Branches] at {where}"
        targets = [("Next", state.get("Next"))] if "Next" in state else []
        targets += [(f"Choices[{i}].Next", c.get("Next") if isinstance(c, dict) else None)
                    for i, c in enumerate(state.get("Choices") or [])]
        targets += [("Default", state.get("Default"))] if "Default" in state else []
        targets += [(f"Catch[{i}].Next", c.get("Next") if isinstance(c, dict) else None)
                    for i, c in enumerate(state.get("Catch") or [])]
        edges[name] = [target for _, target in targets if isinstance(target, str)]
        for field, target in targets:
            if not isinstance(target, str) or target not in states:
                return f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {target} at {where}/{field}"
        if kind not in ("Choice", "Succeed", "Fail") and "Next" not in state and not state.get("End"):
            return f"MISSING_TRANSITION_TARGET: State {name!r} has neither 'Next' nor 'End': true at {where}"
        for i, branch in enumerate(state.get("Branches", [])):
            problem = _machine_problem(branch, f"{where}/Branches[{i}]")
            if problem:
                return problem
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                problem = _machine_problem(state[key], f"{where}/{key}")
                if problem:
                    return problem
    reached, pending = {start}, [start]
    while pending:
        for target in edges.get(pending.pop(), []):
            if target not in reached:
                reached.add(target)
                pending.append(target)
    for name in states:
        if name not in reached:
            return f'MISSING_TRANSITION_TARGET: State "{name}" is not reachable. at {path}/States/{name}'
    return None


def unemulated_feature(definition: str) -> str | None:
    """The JSONata or workflow-variable feature a (valid) definition uses, or None: moto's interpreter evaluates
    both with a JSONata engine it does not ship, so executions failed with "'NoneType' object is not callable"."""
    try:
        document = json.loads(definition)
    except (TypeError, ValueError):
        return None
    for node in json_objects(document):
        if node.get("QueryLanguage") == "JSONata":
            return ("QueryLanguage JSONata (it needs a JSONata engine the sandbox does not have); write the states "
                    "with JSONPath (InputPath, Parameters, ResultSelector, ResultPath, OutputPath)")
        if "Assign" in node:
            return ("workflow variables (Assign: the interpreter reads them with a JSONata engine the sandbox does "
                    "not have); pass values along in the state input with ResultPath")
        if "ItemBatcher" in node:
            return "ItemBatcher (batches of Distributed Map items); let each item be processed on its own"
    return None


def _aws_error(exc: Exception, default_code: str) -> ServiceError:
    """The interpreter's own exceptions (code attribute, no AWS serialisation) as AWS errors."""
    code = getattr(type(exc), "code", None)  # the instance's code is the HTTP status
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return ServiceError(message, code=code if isinstance(code, str) and code else default_code)


def _from_interpreter(exc: Exception) -> bool:
    return type(exc).__module__.startswith("moto.stepfunctions.parser.api")


class SandboxStepFunctionsBackend(ParserBackend):  # type: ignore[misc, valid-type]
    @staticmethod
    def _check_definition(definition: str) -> None:
        problem = definition_problem(definition)
        if problem:
            raise InvalidInput(f"Invalid State Machine Definition: '{problem}'", code="InvalidDefinition")
        feature = unemulated_feature(definition)
        if feature:
            raise NotEmulated(f"The sandbox's Step Functions interpreter does not emulate {feature}",
                              code="InvalidDefinition")

    def _parsed(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception as exc:  # the interpreter could not parse it: AWS says InvalidDefinition
            if _from_interpreter(exc):
                raise _aws_error(exc, "InvalidDefinition") from None
            if isinstance(exc, moto_coupling.JsonRESTError):
                raise
            raise InvalidInput(f"Invalid State Machine Definition: '{type(exc).__name__}: {exc}'",
                               code="InvalidDefinition") from None

    def create_state_machine(self, name: str, definition: str, *args: Any, **kwargs: Any) -> Any:
        self._check_definition(definition)
        if kwargs.get("sm_type") == "EXPRESS" and (problem := express_problem(definition)):
            raise InvalidInput(f"Invalid State Machine Definition: '{problem}'", code="InvalidDefinition")
        return self._parsed(super().create_state_machine, name, definition, *args, **kwargs)

    def update_state_machine(self, arn: str, definition: Any = None, *args: Any, **kwargs: Any) -> Any:
        if definition is not None:
            self._check_definition(definition)
            machine = self.describe_state_machine(arn)  # StateMachineDoesNotExist first, as on AWS
            if str(getattr(machine, "type", "")).upper().endswith("EXPRESS") and (
                    problem := express_problem(definition)):
                raise InvalidInput(f"Invalid State Machine Definition: '{problem}'", code="InvalidDefinition")
        return self._parsed(super().update_state_machine, arn, definition, *args, **kwargs)

    def send_task_success(self, task_token: str, outcome: str) -> Any:
        try:  # AWS refuses output that is not JSON (moto handed it to the waiting task)
            json.loads(outcome)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"Invalid Output: '{exc}'", code="InvalidOutput") from None
        return super().send_task_success(task_token, outcome)

    def start_execution(self, state_machine_arn: str, name: Any = None, execution_input: Any = None,
                        trace_header: Any = None) -> Any:
        if execution_input is not None:
            try:
                json.loads(execution_input)
            except ValueError as exc:
                raise InvalidInput(f"Invalid State Machine Execution Input: '{exc}'",
                                   code="InvalidExecutionInput") from None
        try:
            # AWS names an unnamed execution with a UUID (moto would reuse "None")
            execution = super().start_execution(state_machine_arn, name or str(uuid.uuid4()), execution_input,
                                                trace_header)
        except Exception as exc:
            if _from_interpreter(exc):
                raise _aws_error(exc, "ValidationException") from None
            raise
        if not getattr(execution, "sandbox_start_sent", False):  # not the idempotent answer of a running one
            execution.sandbox_start_sent = True
            status_events.send_status_event(execution, "RUNNING")
        return execution


def _validate_definition(request: Request) -> dict[str, Any]:
    """ValidateStateMachineDefinition (moto lacks it): the same checks CreateStateMachine makes."""
    problem = definition_problem(request.get("definition"))
    if not problem:
        return {"result": "OK", "diagnostics": [], "truncated": False}
    code, _, message = problem.partition(": ")
    location = message.rsplit(" at ", 1)[-1] if " at " in message else ""
    return {"result": "FAIL", "truncated": False, "diagnostics": [
        {"severity": "ERROR", "code": code, "message": message, **({"location": location} if location else {})}]}


def _describe_state_machine_for_execution(request: Request) -> dict[str, Any]:
    """DescribeStateMachineForExecution with its required ``updateDate`` (moto answered DescribeStateMachine's
    members, without it): the machine's last update, its creation when it was never updated."""
    backend = moto_coupling.stepfunctions_backend(request.account_id, request.region)
    machine = backend.describe_state_machine_for_execution(request.get("executionArn"))
    answer = {"stateMachineArn": machine.arn, "name": machine.name, "definition": machine.definition,
              "roleArn": machine.roleArn,
              "updateDate": getattr(machine, "update_date", None) or machine.creation_date}
    for key in ("loggingConfiguration", "tracingConfiguration", "encryptionConfiguration"):
        if getattr(machine, key, None):
            answer[key] = getattr(machine, key)
    return answer


def _send_task_failure(request: Request) -> dict[str, Any]:
    """SendTaskFailure with its ``cause`` (moto's handler passed only the error, so a Catch saw ``Cause: null``)."""
    backend = moto_coupling.stepfunctions_backend(request.account_id, request.region)
    backend.send_task_failure(request.get("taskToken"), error=request.get("error"), cause=request.get("cause"))
    return {}


def _describe_execution(request: Request) -> dict[str, Any]:
    """DescribeExecution whose ``output`` is always JSON text: moto passed a string result through as it was,
    so a state machine ending with the string "done" answered ``done`` where AWS answers ``"done"``."""
    arn = request.get("executionArn")
    execution = moto_coupling.stepfunctions_backend(request.account_id, request.region).describe_execution(arn)
    answer: dict[str, Any] = {"executionArn": arn, "input": execution.execution_input, "name": execution.name,
                              "startDate": execution.start_date, "stateMachineArn": execution.state_machine_arn,
                              "status": execution.status}
    status = str(getattr(execution.status, "value", execution.status))
    if status in ("SUCCEEDED", "ABORTED", "FAILED", "TIMED_OUT") and execution.stop_date is not None:
        answer["stopDate"] = execution.stop_date
    if status == "SUCCEEDED":
        answer["output"] = json.dumps(execution.output, separators=(",", ":"), default=str)
        answer["outputDetails"] = getattr(execution, "output_details", None) or {"included": True}
    for key in ("error", "cause"):
        if getattr(execution, key, None) is not None:
            answer[key] = getattr(execution, key)
    return answer


def _abort_interrupted_executions() -> None:
    """Executions that were RUNNING when the sandbox stopped cannot resume: mark them ABORTED."""
    stopped = clock.utcnow().replace(tzinfo=None)  # naive UTC, as moto's models keep times
    for _, _, backend in moto_coupling.backend_dict("stepfunctions-parser").iter_backends():
        for machine in getattr(backend, "state_machines", []):
            for execution in getattr(machine, "executions", []):
                if getattr(execution, "status", None) == "RUNNING":
                    execution.status = "ABORTED"
                    execution.stop_date = stopped
                    execution.error = "States.Runtime"
                    execution.cause = "the sandbox stopped while this execution ran"


def install(cloud: Any) -> None:
    from emulators.stepfunctions import asl_compat, executions, integrations, json_path, outputs

    json_path.install()
    outputs.install()
    integrations.install()
    status_events.install()  # after integrations: the end event sees the output stored
    asl_compat.install()
    executions.install()
    moto_coupling.install_backend_class("stepfunctions-parser", SandboxStepFunctionsBackend)
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "validate_state_machine_definition",
                                _validate_definition)
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "describe_execution", _describe_execution)
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "send_task_failure", _send_task_failure)
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "describe_state_machine_for_execution",
                                _describe_state_machine_for_execution)
    cloud.after_restore(_abort_interrupted_executions)
