"""Step Functions' events on the default EventBridge bus: "Step Functions Execution Status Change".

As the developer guide's "Automating Step Functions event delivery with EventBridge" describes, each Standard
workflow execution sends an event with source ``aws.states`` when it starts (RUNNING) and when it ends
(SUCCEEDED, FAILED, TIMED_OUT, ABORTED), its ``resources`` holding the execution ARN, its ``detail`` the
execution as DescribeExecution tells it (times as epoch milliseconds). Express workflows send none. A rule
matching ``{"source": ["aws.states"], "detail": {"status": ["FAILED"]}}`` reaches its targets (an SNS alert,
a Lambda function), through the ``emit_event`` port.

This module is coupled to moto's Step Functions parser (through ``moto_coupling``); a moto upgrade checks it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from emulators.core import moto_coupling, ports

log = logging.getLogger("emulators.stepfunctions")
DETAIL_TYPE = "Step Functions Execution Status Change"


def _millis(value: Any) -> int | None:
    if not isinstance(value, datetime):
        return None
    moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def status_detail(execution: Any, status: str | None = None) -> dict[str, Any]:
    """The event's ``detail`` for an execution (in ``status``, default its current one)."""
    status = status or str(getattr(execution.status, "value", execution.status))
    ended = status != "RUNNING"
    output = _text(execution.output) if status == "SUCCEEDED" else None
    return {"executionArn": execution.exec_arn, "stateMachineArn": execution.state_machine_arn,
            "name": execution.name, "status": status, "startDate": _millis(execution.start_date),
            "stopDate": _millis(execution.stop_date) if ended else None,
            "input": _text(execution.input_data) or "{}", "output": output,
            "inputDetails": {"included": True}, "outputDetails": {"included": True} if output is not None else None,
            "error": getattr(execution, "error", None) if ended else None,
            "cause": getattr(execution, "cause", None) if ended else None}


def send_status_event(execution: Any, status: str | None = None) -> None:
    """Put the execution's status change on its account's default bus (Standard workflows only)."""
    if str(getattr(execution, "sm_type", "STANDARD")).upper().endswith("EXPRESS"):
        return
    try:
        ports.emit_event(execution.account_id, execution.region_name, "aws.states", DETAIL_TYPE,
                         status_detail(execution, status), [execution.exec_arn])
    except ports.PortUnavailable:  # EventBridge is not installed: no rule can be listening
        return
    except Exception:
        log.exception("Step Functions: the status event of %s could not be sent", execution.exec_arn)


def _on_end() -> None:
    module = moto_coupling.stepfunctions_parser_module("backend.execution")
    cls = module.BaseExecutionWorkerCommunication
    original = cls._reflect_execution_status
    if getattr(original, "sandbox_status_event", False):
        return

    def reflect_execution_status(self: Any) -> None:
        original(self)
        send_status_event(self.execution)

    reflect_execution_status.sandbox_status_event = True  # type: ignore[attr-defined]
    cls._reflect_execution_status = reflect_execution_status


def install() -> None:
    _on_end()
