"""Event source mappings at work: the poller that reads Kinesis, DynamoDB Streams and SQS for each enabled
mapping and invokes its function (the batching, bisecting and filtering rules are
:mod:`emulators.awslambda.event_sources`).

The provider calls :func:`consumer_arn`, :func:`unhook_moto_push` and :func:`stream_ends` when a mapping is
created, and runs :func:`poll_event_sources` every tick. Functions are invoked through ``ports.invoke_lambda``
(the Lambda provider's own ``invoke``).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from emulators.awslambda import event_sources
from emulators.core import moto_coupling, ports
from emulators.core.moto_coupling import AwsError
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.awslambda")


def consumer_arn(account: str, region: str, arn: Any) -> str | None:
    """``arn`` when it is a registered Kinesis stream consumer's ARN; None for other ARNs."""
    if event_sources.source_stream(arn) == arn:
        return None
    streams = moto_coupling.backend_for("kinesis", account, region).streams.values()
    if not any(c.consumer_arn == arn for s in streams for c in s.consumers):
        raise AwsError("ResourceNotFoundException", f"Stream consumer {arn} does not exist")
    return arn


def unhook_moto_push(account: str, region: str, esm: Any) -> None:
    """moto registered the mapping on its source to push records inside the writer's request; undo that."""
    arn, service = event_sources.source_stream(esm.event_source_arn), esm.event_source_arn.split(":")[2]
    try:
        if service == "kinesis":
            stream = moto_coupling.backend_for("kinesis", account, region).describe_stream(
                stream_arn=arn, stream_name=arn.rsplit("/", 1)[-1])
            stream.lambda_event_source_mappings.pop(arn, None)
        elif service == "dynamodb":
            table = moto_coupling.backend_for("dynamodb", account, region).get_table(arn.split(":")[5].split("/")[1])
            table.lambda_event_source_mappings.pop(esm.function_arn, None)
        elif service == "sqs":
            queue = _queue_by_arn(account, region, arn)
            if queue is not None:
                queue.lambda_event_source_mappings.pop(esm.function_arn, None)
    except Exception:
        log.exception("could not unhook moto's push for mapping %s", esm.uuid)


def _queue_by_arn(account: str, region: str, arn: str) -> Any:
    backend = moto_coupling.backend_for("sqs", account, region)
    return next((q for q in backend.queues.values() if q.queue_arn == arn), None)


def _stream_records(account: str, region: str, esm: Any) -> dict[str, list[event_sources.StreamRecord]]:
    arn = event_sources.source_stream(esm.event_source_arn)
    if arn.split(":")[2] == "kinesis":
        stream = moto_coupling.backend_for("kinesis", account, region).describe_stream(
            stream_arn=arn, stream_name=arn.rsplit("/", 1)[-1])
        role = None
        try:
            role = moto_coupling.backend_for("lambda", account, region).get_function(esm.function_arn).role
        except Exception:
            pass
        return event_sources.kinesis_shard_records(stream, region, role)
    table = moto_coupling.backend_for("dynamodb", account, region).get_table(arn.split(":")[5].split("/")[1])
    return event_sources.dynamodb_shard_records(table, arn, region)


def stream_ends(account: str, region: str, arn: str) -> dict[str, str]:
    """The last sequence number of each shard now (where a LATEST mapping starts)."""
    if arn.split(":")[2] not in ("kinesis", "dynamodb"):
        return {}

    class _Probe:
        event_source_arn, function_arn = arn, ""

    shards = _stream_records(account, region, _Probe())
    return {shard: records[-1].sequence_number for shard, records in shards.items() if records}


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or timezone.utc).timestamp()
    return float(value)


def _pending(esm: Any, shard_id: str, records: list[event_sources.StreamRecord]) -> list[event_sources.StreamRecord]:
    position = (getattr(esm, "sandbox_positions", None) or {}).get(shard_id)
    if position is None and esm.starting_position == "LATEST":
        position = (getattr(esm, "sandbox_latest", None) or {}).get(shard_id)
    if position is not None:
        return [r for r in records if int(r.sequence_number) > int(position)]
    if esm.starting_position == "AT_TIMESTAMP" and esm.starting_position_timestamp is not None:
        start = _timestamp(esm.starting_position_timestamp)
        return [r for r in records if r.arrival >= start]
    return list(records)


def _send_failure_record(account: str, region: str, destination: str, record: dict[str, Any]) -> None:
    body = json.dumps(record)
    parts = destination.split(":")
    with current_cloud().mutating():
        if parts[2] == "sqs":
            moto_coupling.backend_for("sqs", parts[4], parts[3]).send_message(parts[5], body)
        else:
            moto_coupling.backend_for("sns", parts[4], parts[3]).publish(body, arn=destination)


def _invoke_event(account: str, region: str, function_arn: str, event: dict[str, Any]) -> event_sources.Invocation:
    try:
        payload, error = ports.invoke_lambda(function_arn, event, account, region)
    except AwsError as exc:
        log.warning("event source mapping could not invoke %s: %s", function_arn, exc)
        return event_sources.Invocation("Unhandled", str(exc).encode())
    return event_sources.Invocation(error, payload)


def _invoke_batch(account: str, region: str, function_arn: str,
                  records: list[dict[str, Any]]) -> event_sources.Invocation:
    return _invoke_event(account, region, function_arn, {"Records": records})


def _checkpoint(cloud: Any, esm: Any, shard_id: str, sequence_number: str) -> None:
    _progress(cloud, esm, shard_id, sequence_number)


def _progress(cloud: Any, esm: Any, shard_id: str, sequence_number: str | None, attempts: int | None = None,
              window: dict[str, Any] | None | bool = False) -> None:
    """Record a shard's checkpoint, retry count and tumbling window (``None`` drops it; ``False`` leaves it)."""
    with cloud.mutating():
        if not hasattr(esm, "sandbox_positions"):
            esm.sandbox_positions, esm.sandbox_attempts = {}, {}
        if not hasattr(esm, "sandbox_windows"):
            esm.sandbox_windows = {}
        if sequence_number is not None:
            esm.sandbox_positions[shard_id] = sequence_number
        if attempts is not None:
            esm.sandbox_attempts[shard_id] = attempts
        if window is None:
            esm.sandbox_windows.pop(shard_id, None)
        elif window is not False:
            esm.sandbox_windows[shard_id] = window


@dataclass
class _Stream:
    """One delivery round's settings of a stream mapping."""

    account: str
    region: str
    kind: str  # kinesis or dynamodb
    mapping: dict[str, Any]  # the mapping's configuration (for on-failure records)
    function_arn: str
    source_arn: str
    report: bool
    batch_size: int
    batching_window: float
    retries: int
    destination: str | None
    max_age: Any
    tumbling: int

    def invoke(self, records: list[event_sources.StreamRecord]) -> event_sources.Invocation:
        return _invoke_batch(self.account, self.region, self.function_arn, [r.event for r in records])

    def give_up(self, shard_id: str, records: list[event_sources.StreamRecord], last: Any, attempts: int,
                condition: str) -> None:
        if self.destination and records:
            _send_failure_record(self.account, self.region, self.destination, event_sources.failure_record(
                self.kind, self.mapping, shard_id, records, last, attempts, condition))


def _deliver_stream(account: str, region: str, uuid_: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("lambda", account, region)
    with cloud.store.lock.shared():
        esm = backend.get_event_source_mapping(uuid_)
        if esm is None or not esm.enabled:
            return
        try:
            shards = _stream_records(account, region, esm)
        except Exception as exc:  # the stream or table is gone: nothing to poll (as on AWS, the mapping stays)
            log.debug("event source %s of mapping %s cannot be read: %s", esm.event_source_arn, uuid_, exc)
            return
        mapping = esm.get_configuration()
    stream = _Stream(account, region, esm.event_source_arn.split(":")[2], mapping, esm.function_arn,
                     event_sources.source_stream(esm.event_source_arn),
                     "ReportBatchItemFailures" in (esm.function_response_types or []), int(esm.batch_size),
                     float(esm.max_batch_window or 0),
                     int(esm.max_retry_attempts) if esm.max_retry_attempts is not None else -1,
                     ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination"),
                     esm.max_record_age, int(esm.tumbling_window or 0))
    filters = event_sources.parse_filters(esm.filter_criteria)
    for shard_id, records in shards.items():
        pending = _pending(esm, shard_id, records)
        seen = pending[-1].sequence_number if pending else None  # filtered-out records are passed, not delivered
        pending = [r for r in pending if event_sources.passes_filters(filters, r.event)]
        expired, pending = event_sources.split_expired(pending, stream.max_age, time.time())
        if expired:  # MaximumRecordAgeInSeconds: skipped, described to the on-failure destination
            stream.give_up(shard_id, expired, None, 0, "RecordAgeExceeded")
            _progress(cloud, esm, shard_id, expired[-1].sequence_number, attempts=0)
        deliver = _deliver_windows if stream.tumbling else _deliver_batches
        if deliver(cloud, esm, stream, shard_id, pending) and seen is not None:
            _checkpoint(cloud, esm, shard_id, seen)


def _deliver_batches(cloud: Any, esm: Any, stream: _Stream, shard_id: str,
                     pending: list[event_sources.StreamRecord]) -> bool:
    """Deliver a shard's pending records in batches; True when all were delivered (or given up)."""
    while pending and not cloud.stopping:
        if not event_sources.batch_ready(len(pending), stream.batch_size, pending[0].arrival,
                                         stream.batching_window, time.time()):
            return False
        batch = pending[:stream.batch_size]
        outcome = event_sources.process_stream_batch(batch, stream.invoke, bool(esm.bisect_on_error), stream.report)
        attempts = 0
        advanced = outcome.done
        if outcome.failed:
            attempts = (getattr(esm, "sandbox_attempts", None) or {}).get(shard_id, 0) + 1
            if 0 <= stream.retries < attempts:
                stream.give_up(shard_id, batch[outcome.done:outcome.done + outcome.failed], outcome.last, attempts,
                               "RetryAttemptsExhausted")
                advanced, attempts = outcome.done + outcome.failed, 0
        _progress(cloud, esm, shard_id, batch[advanced - 1].sequence_number if advanced else None, attempts)
        if attempts:  # retried on a later tick
            return False
        pending = pending[advanced:]
    return not pending


def _deliver_windows(cloud: Any, esm: Any, stream: _Stream, shard_id: str,
                     pending: list[event_sources.StreamRecord]) -> bool:
    """Deliver a shard's pending records window by window (TumblingWindowInSeconds), passing the state the
    function answers from one invocation of a window to the next; True when nothing is left to deliver."""
    while not cloud.stopping:
        current = (getattr(esm, "sandbox_windows", None) or {}).get(shard_id)
        if current is None:
            if not pending:
                return True
            current = {"start": event_sources.window_start(pending[0].arrival, stream.tumbling), "state": {}}
        end, now = current["start"] + stream.tumbling, time.time()
        in_window = [r for r in pending if r.arrival < end]
        closed, early = now >= end, bool(current.get("early"))
        if early:  # the state outgrew its quota: this window's part ends now, with no records
            batch = []
        elif in_window:
            if not closed and not event_sources.batch_ready(len(in_window), stream.batch_size, in_window[0].arrival,
                                                            stream.batching_window, now):
                return False
            batch = in_window[:stream.batch_size]
        elif closed:
            batch = []
        else:
            return not pending
        final = early or (closed and len(in_window) <= stream.batch_size)
        answered: dict[str, Any] = {}

        def call(part: list[event_sources.StreamRecord], final: bool = final,
                 window: dict[str, Any] = current) -> event_sources.Invocation:
            event = event_sources.window_event([r.event for r in part], window["start"], stream.tumbling,
                                               window["state"], shard_id, stream.source_arn, final, early)
            result = _invoke_event(stream.account, stream.region, stream.function_arn, event)
            if result.function_error is None:
                state = event_sources.window_state(result.payload)
                if state is None:  # Lambda treats an answer without a state as a failed invocation
                    return event_sources.Invocation("Unhandled", result.payload)
                answered["state"] = state
            return result

        if batch:
            outcome = event_sources.process_stream_batch(batch, call, False, stream.report)
        else:
            result = call([])
            outcome = event_sources.BatchOutcome(done=0, failed=int(result.function_error is not None),
                                                 invoke_count=1, last=result)
        state = answered.get("state", current["state"])
        if outcome.failed:  # retried (or, past MaximumRetryAttempts, passed) in the same window
            window = {**current, "state": state}
        elif final:
            window = {"start": current["start"], "state": {}} if early else None  # early: the window goes on
        elif len(json.dumps(state)) > event_sources.MAX_WINDOW_STATE:
            window = {"start": current["start"], "state": state, "early": True}
        else:
            window = {"start": current["start"], "state": state}
        attempts = 0
        advanced = outcome.done
        if outcome.failed:
            attempts = (getattr(esm, "sandbox_attempts", None) or {}).get(shard_id, 0) + 1
            if batch and 0 <= stream.retries < attempts:  # the window's closing call (no records) is retried
                stream.give_up(shard_id, batch[outcome.done:], outcome.last, attempts,  # until it succeeds
                               "RetryAttemptsExhausted")
                advanced, attempts = len(batch), 0
        _progress(cloud, esm, shard_id, batch[advanced - 1].sequence_number if advanced else None, attempts, window)
        if attempts:  # retried on a later tick
            return False
        pending = pending[advanced:]
    return False


_sqs_first_seen: dict[str, float] = {}


def _deliver_sqs(account: str, region: str, uuid_: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("lambda", account, region)
    sqs = moto_coupling.backend_for("sqs", account, region)
    with cloud.store.lock.shared():
        esm = backend.get_event_source_mapping(uuid_)
        queue = _queue_by_arn(account, region, esm.event_source_arn) if esm is not None and esm.enabled else None
        if queue is None:
            return
        visible = len(queue.messages)
    if not visible:
        _sqs_first_seen.pop(uuid_, None)
        return
    first = _sqs_first_seen.setdefault(uuid_, time.time())
    if not event_sources.batch_ready(visible, int(esm.batch_size), first, float(esm.max_batch_window or 0),
                                     time.time()):
        return
    _sqs_first_seen.pop(uuid_, None)
    with cloud.mutating():
        messages = sqs.receive_message(queue.name, int(esm.batch_size), 0, int(queue.visibility_timeout))
        records = [event_sources.sqs_event_record(m, queue.queue_arn, region) for m in messages]
        filters = event_sources.parse_filters(esm.filter_criteria)
        for record in [r for r in records if not event_sources.passes_filters(filters, r)]:
            records.remove(record)  # Lambda deletes the messages no filter matches
            sqs.delete_message(queue.name, record["receiptHandle"])
    if not records:
        return
    result = _invoke_batch(account, region, esm.function_arn, records)
    if result.function_error is not None:
        return  # the messages come back after the visibility timeout (and go to the queue's DLQ in time)
    keep: set[str] = set()
    if "ReportBatchItemFailures" in (esm.function_response_types or []):
        reported = event_sources.reported_failures(result.payload) or []
        ids = {r["messageId"] for r in records}
        keep = ids if any(f not in ids for f in reported) else set(reported)
    with cloud.mutating():
        for record in records:
            if record["messageId"] not in keep:
                try:
                    sqs.delete_message(queue.name, record["receiptHandle"])
                except Exception:
                    log.exception("could not delete message %s after its batch", record["messageId"])


def _deliver(account: str, region: str, uuid_: str, service: str) -> None:
    try:
        if service == "sqs":
            _deliver_sqs(account, region, uuid_)
        else:
            _deliver_stream(account, region, uuid_)
    except Exception:
        log.exception("event source mapping %s", uuid_)
    finally:
        event_sources.release(uuid_)


def poll_event_sources() -> None:
    """Start a delivery for each enabled mapping that has none under way."""
    cloud = current_cloud()
    with cloud.store.lock.shared():
        mappings = [(account, region, esm.uuid, esm.event_source_arn.split(":")[2])
                    for account, region, backend in moto_coupling.backend_dict("lambda").iter_backends()
                    for esm in backend.list_event_source_mappings(None, None) if esm.enabled]
    for account, region, uuid_, service in mappings:
        if service in ("kinesis", "dynamodb", "sqs") and event_sources.claim(uuid_):
            cloud.submit(_deliver, account, region, uuid_, service)
