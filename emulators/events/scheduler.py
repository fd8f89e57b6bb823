"""EventBridge Scheduler: moto keeps the schedules; this module fires them, as the EventBridge Scheduler user
guide's "Schedule types" (``at()``, ``rate()``, ``cron()`` with ``ScheduleExpressionTimezone``, StartDate,
EndDate, ``ActionAfterCompletion``), "Managing targets" (templated and universal targets) and "Adding context
attributes" pages describe.

- CreateSchedule / UpdateSchedule refuse an expression Scheduler refuses (ValidationException).
- A periodic tick fires each ENABLED schedule that is due: ``at(yyyy-mm-ddThh:mm:ss)`` once (a one-time
  schedule with ``ActionAfterCompletion: DELETE`` is then deleted), ``rate(...)`` every period from its
  creation (or StartDate), ``cron(...)`` on each minute it names in its time zone; never before StartDate
  or after EndDate. ``rate``/``cron`` fires missed while the sandbox was down are not replayed; a one-time
  ``at()`` whose time passed meanwhile fires once when the sandbox is back.
- The target receives ``Input`` with ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``,
  ``<aws.scheduler.execution-id>`` and ``<aws.scheduler.attempt-number>`` replaced, ``{}`` when there is no
  Input. Templated targets (SQS, Lambda, Step Functions, SNS, Kinesis, Firehose, Batch, SageMaker
  Pipelines) are delivered as EventBridge rule targets are; a universal target
  (``arn:aws:scheduler:::aws-sdk:<service>:<apiAction>``, with the SDK's service names such as ``sfn``) calls
  that action of the sandbox with the Input as its parameters, matched to the API's member names whatever
  their case (``JobName`` for Batch's ``jobName``). A failed delivery goes to the target's ``DeadLetterConfig`` queue. No retries.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import InvalidInput
from emulators.core.server import current_cloud
from emulators.events import engine as events

log = logging.getLogger("emulators.events.scheduler")
AT = re.compile(r"\s*at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)\s*")
UNIVERSAL = "arn:aws:scheduler:::aws-sdk:"


def expression_problem(expression: str | None) -> str | None:
    if expression is None:
        return None
    match = AT.fullmatch(expression)
    if expression.strip().startswith("at("):
        if not match:
            return "Invalid Schedule Expression: at() takes a date and time as at(yyyy-mm-ddThh:mm:ss)."
        try:
            datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return f"Invalid Schedule Expression {expression}."
        return None
    problem = events.schedule_problem(expression)
    return f"Invalid Schedule Expression {expression}." if problem else None


def _zone(name: str | None) -> Any:
    if not name or name == "UTC":
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:
        return None


def _epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def due(expression: str, zone_name: str | None, anchor: float, last_fire: float | None, now: float) -> float | None:
    """The fire time due at ``now`` (epoch seconds), or None."""
    zone = _zone(zone_name) or timezone.utc
    match = AT.fullmatch(expression)
    if match:
        when = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=zone).timestamp()
        return when if last_fire is None and now >= when else None
    if events.rate_seconds(expression) is not None:
        return events.due_fire(expression, anchor, last_fire, now)
    # cron in the schedule's time zone: shift to local wall-clock time and back
    offset = datetime.fromtimestamp(now, zone).utcoffset()
    shift = offset.total_seconds() if offset else 0.0
    fire = events.due_fire(expression, anchor + shift, None if last_fire is None else last_fire + shift,
                           now + shift)
    return None if fire is None else fire - shift


def render(text: str | None, schedule_arn: str, fire: float, execution_id: str) -> str:
    if text is None:
        return "{}"
    scheduled = datetime.fromtimestamp(fire, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key, value in (("schedule-arn", schedule_arn), ("scheduled-time", scheduled),
                       ("execution-id", execution_id), ("attempt-number", "1")):
        text = text.replace(f"<aws.scheduler.{key}>", value)
    return text


# ------------------------------------------------------------------ moto's model
def _check_expression(expression: str | None, zone_name: str | None) -> None:
    problem = expression_problem(expression)
    if problem:
        raise InvalidInput(problem, code="ValidationException")
    if zone_name and _zone(zone_name) is None:
        raise InvalidInput(f"Invalid time zone {zone_name}.", code="ValidationException")


MotoScheduler = moto_coupling.backend_class("scheduler")


class SandboxSchedulerBackend(MotoScheduler):  # type: ignore[misc, valid-type]
    """moto's schedules, with Scheduler's expression checks (moto stored any text)."""

    def create_schedule(self, *args: Any, **kwargs: Any) -> Any:
        _check_expression(kwargs.get("schedule_expression"), kwargs.get("schedule_expression_timezone"))
        return super().create_schedule(*args, **kwargs)

    def update_schedule(self, *args: Any, **kwargs: Any) -> Any:
        _check_expression(kwargs.get("schedule_expression"), kwargs.get("schedule_expression_timezone"))
        schedule = super().update_schedule(*args, **kwargs)
        schedule.sandbox_anchor, schedule.sandbox_last_fire = time.time(), None  # counts again from the update
        return schedule


def _schedules() -> list[tuple[str, str, Any, Any]]:
    found = []
    for account, region, backend in list(moto_coupling.backend_dict("scheduler").iter_backends()):
        for group in list(getattr(backend, "schedule_groups", {}).values()):
            for schedule in list(group.schedules.values()):
                found.append((account, region, group, schedule))
    return found


def tick(now: float | None = None) -> int:
    """Fire every schedule that is due; returns how many fired."""
    cloud = current_cloud()
    now = time.time() if now is None else now
    fired: list[tuple[str, str, Any, Any, float]] = []
    changed = False
    with cloud.store.lock.shared():  # marks the state dirty only when a schedule changed (not every tick)
        for account, region, group, schedule in _schedules():
            if getattr(schedule, "state", "ENABLED") != "ENABLED":
                continue
            start, end = _epoch(schedule.start_date), _epoch(schedule.end_date)
            if getattr(schedule, "sandbox_anchor", None) is None:
                schedule.sandbox_anchor = max(_epoch(schedule.creation_date) or now, start or 0.0)
                schedule.sandbox_last_fire = None
                changed = True
            if (start is not None and now < start) or (end is not None and now > end):
                continue
            try:
                fire = due(schedule.schedule_expression, schedule.schedule_expression_timezone,
                           schedule.sandbox_anchor, schedule.sandbox_last_fire, now)
            except ValueError:
                continue
            if fire is None:
                continue
            schedule.sandbox_last_fire = fire
            changed = True
            fired.append((account, region, group, schedule, fire))
            if AT.fullmatch(schedule.schedule_expression) and schedule.action_after_completion == "DELETE":
                group.schedules.pop(schedule.name, None)
    if changed:
        cloud.mark_dirty()
    for account, region, _, schedule, fire in fired:
        cloud.submit(fire_target, region, schedule.arn, dict(schedule.target), fire)
    return len(fired)


def fire_target(region: str, schedule_arn: str, target: dict[str, Any], fire: float) -> None:
    """One invocation of a schedule's target (in the background); a failure goes to its dead-letter queue."""
    from emulators.events import provider

    execution_id = uuid.uuid4().hex[:16]
    payload = render(target.get("Input"), schedule_arn, fire, execution_id)
    arn = str(target.get("Arn", ""))
    event = {"id": execution_id, "schedule-arn": schedule_arn}
    try:
        if arn.startswith(UNIVERSAL):
            _universal(arn, payload, region)
            return
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service in provider.SYNC_KINDS:
            with current_cloud().mutating():
                provider._deliver_now(service, target, event, payload)
        elif service in provider.ASYNC_KINDS:
            provider._deliver_async(target, event, payload)
        else:
            raise provider.DeliveryError("UnsupportedTarget",
                                         f"targets of service {service or arn!r} are not emulated by the sandbox")
    except Exception as exc:
        provider._failed(schedule_arn, target, event, *provider._error(exc))


# the AWS SDK service names of universal targets that are not botocore's (the Scheduler user guide's "sfn")
_BOTO_NAMES = {"sfn": "stepfunctions", "elasticloadbalancingv2": "elbv2", "eventbridge": "events"}


def _member_names(value: Any, shape: Any) -> Any:
    """``value`` with each key matched to the member of ``shape`` it names, whatever its case: the Scheduler
    user guide writes universal targets' Input in PascalCase (``JobName``) while some APIs' members are camel case
    (Batch's ``jobName``)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = members.get(str(key).lower(), key)
            out[name] = _member_names(item, shape.members.get(name))
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_member_names(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _member_names(item, shape.value) for key, item in value.items()}
    return value


def _universal(arn: str, payload: str, region: str) -> None:
    import boto3
    from botocore import xform_name
    from botocore.config import Config

    service, action = arn[len(UNIVERSAL):].split(":", 1)
    try:
        parameters = json.loads(payload)
    except ValueError:
        raise InvalidInput(f"the Input of universal target {arn} must be JSON") from None
    client = boto3.client(_BOTO_NAMES.get(service.lower(), service), endpoint_url=current_cloud().endpoint_url,
                          region_name=region, aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(retries={"total_max_attempts": 1}))
    method = xform_name(action[:1].upper() + action[1:])
    operation = next((name for name in client.meta.service_model.operation_names if xform_name(name) == method),
                     None)
    if operation is None:
        raise InvalidInput(f"{service} has no API action {action} (universal target {arn})")
    shape = client.meta.service_model.operation_model(operation).input_shape
    getattr(client, method)(**_member_names(parameters if isinstance(parameters, dict) else {}, shape))


def _skip_missed_fires() -> None:
    now = time.time()
    for _, _, _, schedule in _schedules():
        if not AT.fullmatch(schedule.schedule_expression or ""):
            schedule.sandbox_anchor = getattr(schedule, "sandbox_anchor", None) or now
            schedule.sandbox_last_fire = now


def install(cloud: Any, seconds: float) -> None:
    moto_coupling.install_backend_class("scheduler", SandboxSchedulerBackend)
    cloud.after_restore(_skip_missed_fires)
    cloud.every(seconds, tick, name="eventbridge-scheduler")
