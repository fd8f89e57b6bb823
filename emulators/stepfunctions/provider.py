"""Step Functions on moto's ASL interpreter, with AWS's defaults where moto differs."""

from __future__ import annotations

import json
import uuid
from typing import Any

from emulators.core import moto_coupling

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
    if start not in states:
        return f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {start} at {path}/StartAt"
    for name, state in states.items():
        where = f"{path}/States/{name}"
        kind = state.get("Type") if isinstance(state, dict) else None
        if kind not in STATE_TYPES:
            return f"SCHEMA_VALIDATION_FAILED: {kind!r} is not a valid state type at {where}/Type"
        targets = [("Next", state.get("Next"))] if "Next" in state else []
        targets += [(f"Choices[{i}].Next", c.get("Next")) for i, c in enumerate(state.get("Choices", []))]
        targets += [("Default", state.get("Default"))] if "Default" in state else []
        targets += [(f"Catch[{i}].Next", c.get("Next")) for i, c in enumerate(state.get("Catch", []))]
        for field, target in targets:
            if target not in states:
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
    return None


class SandboxStepFunctionsBackend(ParserBackend):  # type: ignore[misc, valid-type]
    def create_state_machine(self, name: str, definition: str, *args: Any, **kwargs: Any) -> Any:
        problem = definition_problem(definition)
        if problem:
            raise moto_coupling.AwsError("InvalidDefinition", f"Invalid State Machine Definition: '{problem}'")
        return super().create_state_machine(name, definition, *args, **kwargs)

    def start_execution(self, state_machine_arn: str, name: Any = None, execution_input: Any = None,
                        trace_header: Any = None) -> Any:
        # AWS names an unnamed execution with a UUID (moto would reuse "None")
        return super().start_execution(state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)


def _abort_interrupted_executions() -> None:
    """Executions that were RUNNING when the sandbox stopped cannot resume: mark them ABORTED."""
    from moto.core.utils import utcnow

    for _, _, backend in moto_coupling.backend_dict("stepfunctions-parser").iter_backends():
        for machine in getattr(backend, "state_machines", []):
            for execution in getattr(machine, "executions", []):
                if getattr(execution, "status", None) == "RUNNING":
                    execution.status = "ABORTED"
                    execution.stop_date = utcnow()
                    execution.error = "States.Runtime"
                    execution.cause = "the sandbox stopped while this execution ran"


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("stepfunctions-parser", SandboxStepFunctionsBackend)
    cloud.after_restore(_abort_interrupted_executions)
