"""EventBridge on moto: scheduled rules fire, and matched events reach every target kind.

moto stores rules and targets and, for PutEvents, delivered only to SQS, CloudWatch
Logs, archives, other buses and API destinations (anything else answered a 501).
Its rule class is replaced (``moto_coupling.replace_model_class``) by
:class:`SandboxRule`, whose ``send_to_targets`` (what PutEvents, replays and
:func:`emit_event` call) delivers to:

- SQS queues and CloudWatch Logs groups at once, inside the caller's request, as
  moto did (but with ``Input``/``InputPath``/``InputTransformer`` applied);
- archives, other buses and API destinations through moto's own code, unchanged;
- Lambda (asynchronous invoke through the Lambda runner), Step Functions
  (StartExecution), Batch (SubmitJob from ``BatchParameters``; a JSON input's
  ``Parameters`` and ``ContainerOverrides`` (``Command``, ``Environment``) are passed
  on), SNS (Publish), Kinesis (PutRecord, ``KinesisParameters.PartitionKeyPath`` or the
  event id), Firehose (PutRecord), Glue workflows (the event joins the batch of the workflow's EVENT
  trigger, through the ``start_workflow_for_event`` port) and SageMaker Pipelines (StartPipelineExecution with
  ``SageMakerPipelineParameters``) in the background, through each backend's own
  methods in-process (under ``cloud.mutating()``; never an HTTP call to ourselves).

A delivery that fails (missing target, input that is not JSON where JSON is
needed, a bad InputPath) is logged and, when the target has a ``DeadLetterConfig``
SQS queue, the event is sent there with AWS's ``RULE_ARN``/``TARGET_ARN``/
``ERROR_CODE``/``ERROR_MESSAGE`` message attributes. Nothing is retried.

A DISABLED rule delivers nothing, and a rule with only a ScheduleExpression matches
no PutEvents event (moto treated its empty pattern as matching everything).

Schedules: a periodic task (every ``SANDBOX_EVENTS_TICK_SECONDS``, default 2 s)
fires each ENABLED rule of the default bus whose ``rate(...)``/``cron(...)`` is due
(:func:`emulators.events.engine.due_fire`); a rate counts from the rule's
creation (a PutRule on the same name creates it anew) or its last EnableRule.
Fires missed while the sandbox was down are not replayed: after a restore each
schedule continues from the restore time. There is no sandbox-only way to fire a
rule "now": the tests check the schedule arithmetic as pure functions and wait for
one real ``cron(* * * * ? *)`` fire end to end.

Service events: :func:`emit_event` sends an AWS service's event to the default bus
of an account and region (matched by :mod:`emulators.core.event_patterns`, delivered as above);
other services reach it through the ``ports.emit_event`` port this provider provides:
the Glue job engine sends "Glue Job State Change" and the Batch engine "Batch Job
State Change". Lambda targets are invoked through ``ports.invoke_lambda``.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import os
import time
import uuid
from typing import Any

from emulators.core import moto_coupling, ports
from emulators.core.errors import InvalidInput
from emulators.core.moto_coupling import Request
from emulators.core.server import current_cloud
from emulators.events import engine as events
from emulators.core import event_patterns as patterns

log = logging.getLogger("emulators.events")
MotoRule = moto_coupling.event_rule_class()
DEFAULT_TICK_SECONDS = 2.0
SYNC_KINDS = ("sqs", "logs")
MAX_TARGETS = 5  # EventBridge quotas: targets per rule
# targets EventBridge reaches with the role given in RoleArn ("Amazon EventBridge targets": Step Functions state
# machines, Kinesis streams, ECS tasks, CodeBuild projects, CodePipeline pipelines): PutTargets refuses them without
ROLE_REQUIRED = ("states", "kinesis", "ecs", "codebuild", "codepipeline")
ASYNC_KINDS = ("lambda", "states", "batch", "sns", "kinesis", "firehose", "sagemaker", "glue")


class DeliveryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _arn(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise DeliveryError("InvalidTarget", f"{arn!r} is not an ARN")
    return parts[2], parts[3], parts[4], parts[5]


class SandboxRule(MotoRule):  # type: ignore[misc, valid-type]
    """moto's rule, delivering to every target kind and remembering its schedule."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # AWS's checks before moto's (moto answered a 500 for a pattern that is a JSON array, and accepted
        # unknown match types, bad numeric ranges and non-boolean exists)
        _parse_pattern(kwargs["event_pattern"] if "event_pattern" in kwargs else
                       (args[4] if len(args) > 4 else None))
        problem = events.schedule_problem(kwargs["schedule_exp"] if "schedule_exp" in kwargs else
                                          (args[5] if len(args) > 5 else None))
        if problem:
            raise InvalidInput(problem, code="ValidationException")
        super().__init__(*args, **kwargs)
        self.sandbox_anchor: float | None = time.time()
        self.sandbox_last_fire: float | None = None

    def enable(self) -> None:
        if self.state != "ENABLED":  # a rate counts again from the enabling
            self.sandbox_anchor = time.time()
            self.sandbox_last_fire = None
        super().enable()

    def put_targets(self, targets: list[dict[str, Any]]) -> None:
        ids = {t.get("Id") for t in self.targets} | {t.get("Id") for t in targets}
        if len(ids) > MAX_TARGETS:
            raise InvalidInput(f"The requested resource exceeds the maximum number allowed: a rule has at most "
                               f"{MAX_TARGETS} targets.", code="LimitExceededException")
        for target in targets:  # AWS refuses these for the whole request; moto stored them
            service = str(target.get("Arn", "")).split(":")[2:3]
            if service and service[0] in ROLE_REQUIRED and not target.get("RoleArn"):
                raise InvalidInput(f"RoleArn is required for target {target.get('Arn')}.", code="ValidationException")
            given = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
            if len(given) > 1:
                raise InvalidInput("Only one of Input, InputPath, or InputTransformer must be provided "
                                   f"(target {target.get('Id')} has {', '.join(given)}).", code="ValidationException")
            if target.get("Input") is not None:
                try:
                    json.loads(target["Input"])
                except ValueError:
                    raise InvalidInput(f"Input for target {target.get('Id')} is not valid JSON text.",
                                       code="ValidationException") from None
        super().put_targets(targets)

    def send_to_targets(self, original_event: Any, transform_input: bool = True) -> None:
        if self.state != "ENABLED":
            return
        if not self.event_pattern.get_pattern():  # a schedule-only rule matches no event
            return
        if not patterns.matches(self.event_pattern.get_pattern(), original_event):
            return
        deliver(self, dict(original_event), transform_input)


MotoEvents = moto_coupling.backend_class("events")


class SandboxEventsBackend(MotoEvents):  # type: ignore[misc, valid-type]
    """moto's EventBridge, refusing PutEvents entries whose Source AWS keeps for its own services."""

    def put_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(events) > 10:  # moto's own size check answers
            return super().put_events(events)
        refused = {i for i, e in enumerate(events) if str(e.get("Source") or "").startswith("aws.")}
        if not refused:
            return super().put_events(events)
        kept = [e for i, e in enumerate(events) if i not in refused]
        results = iter(super().put_events(kept) if kept else [])
        return [{"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
                if i in refused else next(results) for i in range(len(events))]


def _parse_pattern(text: str | None) -> dict[str, Any]:
    try:
        return patterns.parse(text)
    except patterns.PatternError as exc:
        raise InvalidInput(f"Event pattern is not valid. Reason: {exc}", code="InvalidEventPatternException") from None


def _test_event_pattern(request: Request) -> dict[str, Any]:
    """TestEventPattern (moto answered an empty body): the pattern checked as PutRule checks it, the event
    checked for the fields AWS requires, then matched as PutEvents matches."""
    pattern = _parse_pattern(request.get("EventPattern"))
    problem = patterns.event_problem(request.get("Event"))
    if problem:
        raise InvalidInput(problem, code="ValidationException")
    return {"Result": patterns.matches(pattern, json.loads(request.get("Event")))}


def deliver(rule: Any, moto_event: dict[str, Any], transform_input: bool = True) -> None:
    """Send one event to every target of ``rule`` (the caller holds the state lock)."""
    event = events.public_event(moto_event)
    ingestion = events.iso_time(moto_event.get("ingestion-time") or time.time())
    for target in list(rule.targets):
        arn = str(target.get("Arn", ""))
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "events":  # archives, other buses, API destinations: moto's own delivery
            _moto_delivery(rule, target, moto_event, transform_input)
            continue
        try:
            payload = (events.render_input(target, event, rule.arn, rule.name, ingestion)
                       if transform_input else json.dumps(event))
        except events.InputError as exc:
            _failed(rule.arn, target, event, "InvalidInput", str(exc))
            continue
        if service in SYNC_KINDS:
            try:
                _deliver_now(service, target, event, payload)
            except Exception as exc:
                _failed(rule.arn, target, event, *_error(exc))
        elif service in ASYNC_KINDS:
            current_cloud().submit(_deliver_later, rule.arn, target, event, payload)
        else:
            _failed(rule.arn, target, event, "UnsupportedTarget",
                    f"targets of service {service or arn!r} are not emulated by the sandbox")


def _error(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, DeliveryError):
        return exc.code, str(exc)
    code = getattr(exc, "code", None) or getattr(exc, "error_type", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return (code if isinstance(code, str) and code else type(exc).__name__), str(message)


def _moto_delivery(rule: Any, target: dict[str, Any], moto_event: dict[str, Any], transform_input: bool) -> None:
    single = copy.copy(rule)
    single.targets = [target]
    moto_event = dict(moto_event)
    moto_event.setdefault("ingestion-time", time.time())
    try:
        MotoRule.send_to_targets(single, moto_event, transform_input)
    except Exception as exc:
        _failed(rule.arn, target, events.public_event(moto_event), *_error(exc))


def _deliver_now(service: str, target: dict[str, Any], event: dict[str, Any], payload: str) -> None:
    _, region, account, resource = _arn(target["Arn"])
    if service == "sqs":
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        sqs = moto_coupling.backend_for("sqs", account, region)
        dedup = event["id"] if resource.endswith(".fifo") else None
        sqs.send_message(resource, payload, group_id=group, deduplication_id=dedup)
    elif service == "logs":
        if not resource.startswith("log-group:"):
            raise DeliveryError("InvalidTarget", f"{target['Arn']} is not a log group")
        group = resource[len("log-group:"):]
        if group.endswith(":*"):
            group = group[:-2]
        logs = moto_coupling.backend_for("logs", account, region)
        stream = str(uuid.uuid4())
        logs.create_log_stream(group, stream)
        logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": payload}])


def _json_payload(payload: str, kind: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        raise DeliveryError("InvalidInput", f"the input of a {kind} target must be JSON: {payload[:200]!r}") from None


def _deliver_later(rule_arn: str, target: dict[str, Any], event: dict[str, Any], payload: str) -> None:
    """One background delivery; a failure goes to the log and the dead-letter queue, never further."""
    try:
        _deliver_async(target, event, payload)
    except Exception as exc:
        _failed(rule_arn, target, event, *_error(exc))


def _deliver_async(target: dict[str, Any], event: dict[str, Any], payload: str) -> None:
    arn = target["Arn"]
    service, region, account, resource = _arn(arn)
    cloud = current_cloud()
    if service == "lambda":
        _json_payload(payload, "Lambda")
        # holds no lock while it runs
        _, function_error = ports.invoke_lambda(arn, payload.encode(), account, region)
        if function_error:
            log.warning("EventBridge: function %s answered event %s with an error (%s)", arn, event["id"],
                        function_error)
        return
    with cloud.mutating():
        if service == "states":
            _json_payload(payload, "Step Functions")
            backend = moto_coupling.backend_for("stepfunctions-parser", account, region)
            backend.start_execution(arn, None, payload)
        elif service == "batch":
            _submit_batch_job(account, region, arn, target, payload)
        elif service == "sns":
            moto_coupling.backend_for("sns", account, region).publish(payload, arn=arn)
        elif service == "kinesis":
            path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
            key = event["id"]
            if path:
                try:
                    key = events.json_path(event, path)
                except KeyError:
                    raise DeliveryError("InvalidInput", f"PartitionKeyPath {path} matches nothing in the event") \
                        from None
                key = key if isinstance(key, str) else json.dumps(key)
            name = resource.split("/", 1)[-1]
            moto_coupling.backend_for("kinesis", account, region).put_record(
                arn, name, key, None, base64.b64encode(payload.encode()).decode())
        elif service == "firehose":
            name = resource.split("/", 1)[-1]
            moto_coupling.backend_for("firehose", account, region).put_record(name, {"Data": payload.encode()})
        elif service == "glue":
            if not resource.startswith("workflow/"):
                raise DeliveryError("InvalidTarget", f"{arn} is not a Glue workflow")
            try:
                ports.start_workflow_for_event(account, region, resource.split("/", 1)[1], event["id"])
            except ports.NotFoundThroughPort as exc:
                raise DeliveryError("ResourceNotFoundException", str(exc)) from None
        elif service == "sagemaker":
            if not resource.startswith("pipeline/"):
                raise DeliveryError("InvalidTarget", f"{arn} is not a SageMaker pipeline")
            params = (target.get("SageMakerPipelineParameters") or {}).get("PipelineParameterList") or []
            moto_coupling.backend_for("sagemaker", account, region).start_pipeline_execution(
                resource.split("/", 1)[1], None, params, None, None, None)


def _submit_batch_job(account: str, region: str, queue_arn: str, target: dict[str, Any], payload: str) -> None:
    params = target.get("BatchParameters") or {}
    if not params.get("JobDefinition") or not params.get("JobName"):
        raise DeliveryError("InvalidParameter", "BatchParameters needs JobDefinition and JobName")
    body = _json_payload(payload, "Batch")
    parameters, overrides = None, None
    if isinstance(body, dict):
        if isinstance(body.get("Parameters"), dict):
            parameters = {str(k): str(v) for k, v in body["Parameters"].items()}
        given = body.get("ContainerOverrides")
        if isinstance(given, dict):
            overrides = {}
            if given.get("Command"):
                overrides["command"] = list(given["Command"])
            if given.get("Environment"):
                overrides["environment"] = [{"name": e.get("Name"), "value": e.get("Value")}
                                            for e in given["Environment"]]
    size = (params.get("ArrayProperties") or {}).get("Size")
    backend = moto_coupling.backend_for("batch", account, region)
    backend.submit_job(params["JobName"], params["JobDefinition"], queue_arn,
                       array_properties={"size": int(size)} if size else {},
                       container_overrides=overrides, parameters=parameters)


def _failed(rule_arn: str, target: dict[str, Any], event: dict[str, Any], code: str, message: str) -> None:
    log.warning("EventBridge rule %s could not deliver event %s to %s: %s: %s", rule_arn, event.get("id"),
                target.get("Arn"), code, message)
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq:
        return
    try:
        _, region, account, queue = _arn(dlq)
        attributes = {name: {"DataType": "String", "StringValue": value[:1024]} for name, value in (
            ("RULE_ARN", rule_arn), ("TARGET_ARN", str(target.get("Arn"))), ("ERROR_CODE", code),
            ("ERROR_MESSAGE", message or code))}
        with current_cloud().mutating():
            moto_coupling.backend_for("sqs", account, region).send_message(
                queue, json.dumps(event), message_attributes=attributes)
    except Exception:
        log.exception("EventBridge: the dead-letter queue %s of a target of %s could not take the event", dlq,
                      rule_arn)


# ------------------------------------------------------------------ schedules
def tick(now: float | None = None) -> int:
    """Fire every scheduled rule that is due; returns how many fired."""
    cloud = current_cloud()
    now = time.time() if now is None else now
    fired, changed = 0, False
    with cloud.store.lock.shared():
        for account, region, bus, rule in moto_coupling.iter_event_rules():
            expression = getattr(rule, "scheduled_expression", None)
            if bus != "default" or not expression or rule.state != "ENABLED":
                continue
            if getattr(rule, "sandbox_anchor", None) is None:  # a rule from before this engine
                rule.sandbox_anchor, rule.sandbox_last_fire, changed = now, now, True
                continue
            fire = events.due_fire(expression, rule.sandbox_anchor, getattr(rule, "sandbox_last_fire", None), now)
            if fire is None:
                continue
            rule.sandbox_last_fire = fire
            fired, changed = fired + 1, True
            event = events.scheduled_event(account, region, rule.arn, fire)
            try:
                deliver(rule, {**event, "ingestion-time": now})
            except Exception:
                log.exception("EventBridge: scheduled rule %s could not fire", rule.arn)
    if changed:
        cloud.mark_dirty()
    return fired


def _skip_missed_fires() -> None:
    """After a restore, schedules go on from now: fires missed while the sandbox was down are not replayed."""
    now = time.time()
    for _, _, _, rule in moto_coupling.iter_event_rules():
        if getattr(rule, "scheduled_expression", None):
            if getattr(rule, "sandbox_anchor", None) is None:
                rule.sandbox_anchor = now
            rule.sandbox_last_fire = now


# ------------------------------------------------------------------ service events
def emit_event(account: str, region: str, source: str, detail_type: str, detail: dict[str, Any],
               resources: list[str] | None = None) -> None:
    """Send an AWS service's event to the default bus (in the background; safe to call under the lock)."""
    try:
        cloud = current_cloud()
    except RuntimeError:
        return
    event = events.service_event(account, region, source, detail_type, detail, resources)

    def run() -> None:
        with cloud.store.lock.shared():
            backend = moto_coupling.backend_for("events", account, region)
            bus = backend.event_buses.get("default")
            for rule in list(bus.rules.values()) if bus is not None else []:
                try:
                    rule.send_to_targets({**event, "ingestion-time": time.time()})
                except Exception:
                    log.exception("EventBridge: %s event for rule %s failed", detail_type, rule.arn)
        cloud.mark_dirty()

    try:
        cloud.submit(run)
    except RuntimeError:  # shutting down
        pass


def install(cloud: Any) -> None:
    moto_coupling.replace_model_class("events", "Rule", SandboxRule)
    moto_coupling.install_backend_class("events", SandboxEventsBackend)
    moto_coupling.add_operation("events", "EventsHandler", "test_event_pattern", _test_event_pattern)
    cloud.after_restore(_skip_missed_fires)
    seconds = float(os.environ.get("SANDBOX_EVENTS_TICK_SECONDS") or DEFAULT_TICK_SECONDS)
    cloud.every(max(0.5, seconds), tick, name="eventbridge-schedules")
    from emulators.events import scheduler

    scheduler.install(cloud, max(0.5, seconds))
    ports.emit_event.provide(emit_event)
