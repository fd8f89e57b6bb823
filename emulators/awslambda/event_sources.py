"""Lambda event source mappings: Kinesis, DynamoDB Streams and SQS polled and delivered as Lambda's pollers do.

moto keeps the mappings (``CreateEventSourceMapping`` ... ``ListEventSourceMappings``) but pushed records
synchronously inside the writer's request, one at a time (Kinesis not at all); the provider unhooks that
push and this module polls every ``SANDBOX_ESM_TICK_SECONDS`` (0.5 s) instead:

- **Streams** (Kinesis, DynamoDB Streams): per shard, records after the mapping's checkpoint, in order.
  ``StartingPosition`` TRIM_HORIZON (from the oldest record), LATEST (records written after the mapping was
  created), AT_TIMESTAMP (``StartingPositionTimestamp``). A batch holds at most ``BatchSize`` records; with
  ``MaximumBatchingWindowInSeconds`` a smaller batch waits until the window since its first record has
  passed. On a function error ``BisectBatchOnFunctionError`` splits the batch in halves (splits do not count as
  retries); ``MaximumRetryAttempts`` (-1: until the record expires, i.e. forever here) bounds the retries of
  the failing part, which is then discarded and described to the ``DestinationConfig.OnFailure`` SQS queue or
  SNS topic (AWS's invocation record with ``KinesisBatchInfo`` / ``DDBStreamBatchInfo``).
  ``FunctionResponseTypes=["ReportBatchItemFailures"]``: the records before the first reported
  ``itemIdentifier`` (a sequence number) are checkpointed and the batch is retried from it.
- **SQS**: a batch of received messages (the queue's visibility timeout); messages of a successful batch are
  deleted, a failed batch becomes visible again after the timeout (the queue's redrive policy moves it to its
  dead-letter queue), with ReportBatchItemFailures only the reported ``messageId`` s stay.

Checkpoints (last sequence number per shard), retry counts and the LATEST starting points are attributes of
moto's mapping object, so they are in the snapshot and survive a restart.

**FilterCriteria** (the Lambda guide's event filtering): a record goes to the function when it matches at least one
of the mapping's patterns (at most 5, the default quota); the others are dropped (a stream's checkpoint moves past
them, an SQS message is deleted). Kinesis patterns match ``data`` (the record's data parsed as JSON; data that is
not JSON matches no ``data`` pattern); DynamoDB patterns match the stream record (``eventName``, ``dynamodb.Keys``,
``NewImage``, ...); SQS patterns match ``body`` (parsed when it is JSON, else the plain string), ``attributes``
and ``messageAttributes``. The pattern syntax is EventBridge's (:mod:`emulators.core.event_patterns`).

A mapping whose source is an enhanced fan-out consumer's ARN reads the consumer's stream like any other.

**MaximumRecordAgeInSeconds** (-1: no limit; else 60 to 604,800): records older than that when the poller
reaches them are skipped (the checkpoint passes them) and, with an on-failure destination, described to it
with the condition ``RecordAgeExceeded``.

**TumblingWindowInSeconds** (the Lambda guide's "tumbling windows", 1 to 900 s): windows are aligned on the
epoch (a record belongs to the window its arrival time falls in); each batch holds records of one window
and the event carries ``window`` (``start``/``end``), ``state`` (what the previous invocation of the window
answered as ``state``, ``{}`` at first), ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow`` and
``isWindowTerminatedEarly``. An answer without a ``state`` object counts as a failed invocation. Once the
window has ended the last invocation for it (with its remaining records, or none) is the final one; its state
is then dropped. ``MaximumRetryAttempts`` bounds the retries of a batch of records; the final invocation
without records is retried until it succeeds. A state over 1 MB ends the
window early: the final invocation of that part carries ``isWindowTerminatedEarly`` and the window goes on
with a fresh state.

**ParallelizationFactor** (1 to 10) is recorded; a shard's batches are delivered one at a time, which keeps
the order per partition key that AWS keeps with concurrent batches.

Not emulated: concurrent batches of one shard, the dedicated throughput of an enhanced fan-out consumer,
Kafka/MQ/DocumentDB sources, S3 on-failure destinations.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from emulators.core import event_patterns
from emulators.core.errors import InvalidInput

log = logging.getLogger("emulators.awslambda.event_sources")


@dataclass
class StreamRecord:
    """One record of a stream shard, as the poller hands it to Lambda."""

    sequence_number: str
    arrival: float  # epoch seconds
    event: dict[str, Any]  # the record in the Lambda event


@dataclass
class Invocation:
    """What a function answered for one batch."""

    function_error: str | None
    payload: bytes


@dataclass
class BatchOutcome:
    """How far a batch got: ``done`` leading records succeeded; ``failed`` records after them failed."""

    done: int
    failed: int = 0
    invoke_count: int = 0
    last: Invocation | None = None


MAX_FILTERS = 5
MIN_RECORD_AGE, MAX_RECORD_AGE = 60, 604_800  # MaximumRecordAgeInSeconds (-1: no limit)
MAX_TUMBLING_WINDOW = 900  # TumblingWindowInSeconds
MAX_WINDOW_STATE = 1024 * 1024  # a tumbling window's state, per shard
STREAM_ONLY = ("MaximumRecordAgeInSeconds", "TumblingWindowInSeconds", "ParallelizationFactor")


def source_stream(arn: Any) -> Any:
    """The stream of an event source ARN: an enhanced fan-out consumer's ARN (``<stream ARN>/consumer/<name>:<time>``)
    names its stream first; other ARNs are their own source."""
    return arn.split("/consumer/", 1)[0] if isinstance(arn, str) and ":kinesis:" in arn else arn


def parse_filters(criteria: Any) -> list[dict[str, Any]]:
    """The patterns of a mapping's FilterCriteria; ValueError with the reason when AWS would refuse them."""
    filters = (criteria or {}).get("Filters") or [] if isinstance(criteria, dict) else []
    if len(filters) > MAX_FILTERS:
        raise ValueError(f"FilterCriteria holds {len(filters)} filters: an event source mapping takes at most "
                         f"{MAX_FILTERS}")
    patterns = []
    for item in filters:
        try:
            pattern = event_patterns.parse((item or {}).get("Pattern"))
        except event_patterns.PatternError as exc:
            raise ValueError(f"Invalid filter pattern definition: {exc}") from None
        if pattern:
            patterns.append(pattern)
    return patterns


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="InvalidParameterValueException")


def check_mapping(spec: dict[str, Any]) -> None:
    """What CreateEventSourceMapping (and UpdateEventSourceMapping, on the merged settings) refuses:
    InvalidParameterValueException as on AWS."""
    service = str(spec.get("EventSourceArn") or "").split(":")[2:3]
    position = spec.get("StartingPosition")
    if service and service[0] in ("kinesis", "dynamodb"):
        if position not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
            raise _invalid("StartingPosition is required and must be TRIM_HORIZON, LATEST or AT_TIMESTAMP for a "
                           "stream event source")
        if position == "AT_TIMESTAMP" and spec.get("StartingPositionTimestamp") is None:
            raise _invalid("StartingPositionTimestamp is required when StartingPosition is AT_TIMESTAMP")
        age = spec.get("MaximumRecordAgeInSeconds")
        if age is not None and int(age) != -1 and not MIN_RECORD_AGE <= int(age) <= MAX_RECORD_AGE:
            raise _invalid(f"MaximumRecordAgeInSeconds must be -1 (no limit) or between {MIN_RECORD_AGE} and "
                           f"{MAX_RECORD_AGE}, got {age}")
        window = spec.get("TumblingWindowInSeconds")
        if window is not None and not 0 <= int(window) <= MAX_TUMBLING_WINDOW:
            raise _invalid(f"TumblingWindowInSeconds must be between 0 and {MAX_TUMBLING_WINDOW}, got {window}")
    elif service == ["sqs"]:
        if position is not None:
            raise _invalid("Unsupported StartingPosition for an Amazon SQS event source: SQS mappings take none")
        for member in STREAM_ONLY:
            if spec.get(member) is not None:
                raise _invalid(f"Unsupported {member} parameter for given event source mapping type: it applies "
                               "to Kinesis and DynamoDB stream event sources only")
        if int(spec.get("BatchSize") or 10) > 10 and not spec.get("MaximumBatchingWindowInSeconds"):
            raise _invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                           "greater than 10")
    try:
        parse_filters(spec.get("FilterCriteria"))
    except ValueError as exc:
        raise _invalid(str(exc)) from None


# what GetEventSourceMapping shows for settings a stream mapping was created without (Lambda's defaults)
STREAM_DEFAULTS = {"MaximumBatchingWindowInSeconds": 0, "ParallelizationFactor": 1, "MaximumRecordAgeInSeconds": -1,
                   "BisectBatchOnFunctionError": False, "MaximumRetryAttempts": -1, "TumblingWindowInSeconds": 0,
                   "FunctionResponseTypes": []}


def with_defaults(spec: dict[str, Any]) -> dict[str, Any]:
    """A CreateEventSourceMapping request with Lambda's defaults for what it leaves out (stream and SQS sources)."""
    service = str(spec.get("EventSourceArn") or "").split(":")[2:3]
    if service and service[0] in ("kinesis", "dynamodb"):
        return {**STREAM_DEFAULTS, **{k: v for k, v in spec.items() if v is not None}}
    if service == ["sqs"]:
        return {"MaximumBatchingWindowInSeconds": 0, "FunctionResponseTypes": [],
                **{k: v for k, v in spec.items() if v is not None}}
    return spec


def _filter_view(event: dict[str, Any]) -> dict[str, Any]:
    """What a filter pattern is matched against: Kinesis ``data`` and an SQS ``body`` parsed when they are JSON."""
    if "kinesis" in event:
        try:
            return {"data": json.loads(base64.b64decode(event["kinesis"]["data"]))}
        except ValueError:
            return {}
    if "body" in event:
        try:
            body = json.loads(event["body"])
        except (TypeError, ValueError):
            body = event["body"]
        return {**event, "body": body}
    return event


def passes_filters(patterns: list[dict[str, Any]], event: dict[str, Any]) -> bool:
    """No patterns, or at least one pattern matches the record."""
    if not patterns:
        return True
    view = _filter_view(event)
    return any(event_patterns.matches(p, view) for p in patterns)


def reported_failures(payload: bytes) -> list[str] | None:
    """The ``itemIdentifier`` s of a ReportBatchItemFailures answer (None: the answer does not report any)."""
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("batchItemFailures"), list):
        return None
    return [str(item.get("itemIdentifier")) for item in answer["batchItemFailures"] if isinstance(item, dict)]


def process_stream_batch(records: list[StreamRecord], invoke: Callable[[list[StreamRecord]], Invocation],
                         bisect: bool, report_item_failures: bool) -> BatchOutcome:
    """Deliver one batch of stream records, bisecting on function errors when asked.

    Returns how many leading records succeeded and how many after them failed (the part to retry).
    """
    result = invoke(records)
    outcome = BatchOutcome(done=len(records), invoke_count=1, last=result)
    if result.function_error is None:
        if report_item_failures:
            failures = reported_failures(result.payload)
            if failures:
                sequence_numbers = [r.sequence_number for r in records]
                failed_at = min((sequence_numbers.index(f) for f in failures if f in sequence_numbers),
                                default=0)  # an identifier not in the batch fails the whole batch, as on AWS
                outcome.done, outcome.failed = failed_at, len(records) - failed_at
        return outcome
    if bisect and len(records) > 1:
        half = len(records) // 2
        first = process_stream_batch(records[:half], invoke, bisect, report_item_failures)
        if first.failed:
            first.invoke_count += 1
            return first
        second = process_stream_batch(records[half:], invoke, bisect, report_item_failures)
        return BatchOutcome(done=half + second.done, failed=second.failed,
                            invoke_count=1 + first.invoke_count + second.invoke_count, last=second.last)
    return BatchOutcome(done=0, failed=len(records), invoke_count=1, last=result)


def split_expired(records: list[StreamRecord], max_age: Any, now: float) -> tuple[list[StreamRecord],
                                                                                list[StreamRecord]]:
    """(records older than ``MaximumRecordAgeInSeconds``, the others); records are in arrival order, so the
    expired ones lead. No limit (None, -1): nothing expires."""
    if max_age is None or int(max_age) < 0:
        return [], records
    cut = next((i for i, r in enumerate(records) if now - r.arrival <= int(max_age)), len(records))
    return records[:cut], records[cut:]


def window_start(arrival: float, seconds: int) -> float:
    """The start of the tumbling window a record arriving at ``arrival`` belongs to (windows align on the epoch)."""
    return float(int(arrival // seconds) * seconds)


def _iso_seconds(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_event(records: list[dict[str, Any]], start: float, seconds: int, state: dict[str, Any], shard_id: str,
                 source_arn: str, final: bool, terminated_early: bool = False) -> dict[str, Any]:
    """The event of one invocation in a tumbling window (Lambda's ``KinesisTimeWindowEvent`` /
    ``DynamodbTimeWindowEvent``)."""
    return {"Records": records, "window": {"start": _iso_seconds(start), "end": _iso_seconds(start + seconds)},
            "state": state, "shardId": shard_id, "eventSourceARN": source_arn,
            "isFinalInvokeForWindow": final, "isWindowTerminatedEarly": terminated_early}


def window_state(payload: bytes) -> dict[str, Any] | None:
    """The ``state`` a function answered in a tumbling window (None: no state object, a failed invocation)."""
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        return None
    state = answer.get("state") if isinstance(answer, dict) else None
    return state if isinstance(state, dict) else None


def batch_ready(count: int, batch_size: int, first_arrival: float | None, window: float, now: float) -> bool:
    """A batch goes out when full, or once the batching window since its first record has passed."""
    if count == 0:
        return False
    if count >= batch_size or not window:
        return True
    return first_arrival is not None and now - first_arrival >= window


def failure_record(kind: str, mapping: dict[str, Any], shard_id: str, batch: list[StreamRecord],
                   result: Invocation | None, invoke_count: int, condition: str) -> dict[str, Any]:
    """AWS's invocation record for a discarded stream batch (sent to the OnFailure destination)."""

    def iso(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    info_key = "KinesisBatchInfo" if kind == "kinesis" else "DDBStreamBatchInfo"
    return {
        "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": mapping["FunctionArn"],
                           "condition": condition, "approximateInvokeCount": invoke_count},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": (result.function_error if result else None) or "Unhandled"},
        "version": "1.0",
        "timestamp": iso(time.time()),
        info_key: {"shardId": shard_id, "startSequenceNumber": batch[0].sequence_number,
                   "endSequenceNumber": batch[-1].sequence_number,
                   "approximateArrivalOfFirstRecord": iso(batch[0].arrival),
                   "approximateArrivalOfLastRecord": iso(batch[-1].arrival),
                   "batchSize": len(batch), "streamArn": mapping["EventSourceArn"]},
    }


# -- reading the sources (moto's models, read under the state lock by the caller) -------------------

def kinesis_shard_records(stream: Any, region: str, role: str | None) -> dict[str, list[StreamRecord]]:
    """Every record of every shard of a moto Kinesis stream, oldest first."""
    shards: dict[str, list[StreamRecord]] = {}
    for shard_id, shard in stream.shards.items():
        items = []
        for record in shard.records.values():
            sequence = str(record.sequence_number)
            items.append(StreamRecord(sequence, float(record.created_at), {
                "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": record.partition_key,
                            "sequenceNumber": sequence, "data": record.data,
                            "approximateArrivalTimestamp": round(float(record.created_at), 3)},
                "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"{shard_id}:{sequence}",
                "eventName": "aws:kinesis:record", "invokeIdentityArn": role, "awsRegion": region,
                "eventSourceARN": stream.arn}))
        shards[shard_id] = items
    return shards


def dynamodb_shard_records(table: Any, stream_arn: str, region: str) -> dict[str, list[StreamRecord]]:
    """The records of a moto DynamoDB table's stream (one shard), oldest first."""
    shard = getattr(table, "stream_shard", None)
    if shard is None:
        return {}
    items = []
    for item in shard.items:
        record = item.to_json()
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        arrival = created.replace(tzinfo=created.tzinfo or timezone.utc).timestamp() \
            if isinstance(created, datetime) else time.time()
        dynamodb["ApproximateCreationDateTime"] = int(arrival)
        event = {"eventID": record["eventID"], "eventName": record["eventName"],
                 "eventVersion": record["eventVersion"], "eventSource": "aws:dynamodb", "awsRegion": region,
                 "dynamodb": dynamodb, "eventSourceARN": stream_arn}
        identity = record.get("userIdentity")
        if identity:  # TTL deletions: Lambda's event spells it {"type": "Service", "principalId": ...}
            event["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
        items.append(StreamRecord(str(dynamodb["SequenceNumber"]), arrival, event))
    return {shard.id: items}


def sqs_event_record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    """A received moto SQS message as a record of Lambda's SQS event."""
    import hashlib

    sent = getattr(message, "sent_timestamp", None) or int(time.time() * 1000)
    first = getattr(message, "approximate_first_receive_timestamp", None) or sent
    attributes = {"ApproximateReceiveCount": str(getattr(message, "approximate_receive_count", 1)),
                  "SentTimestamp": str(sent), "SenderId": str(getattr(message, "sender_id", "")),
                  "ApproximateFirstReceiveTimestamp": str(first)}
    for key in ("MessageGroupId", "MessageDeduplicationId", "SequenceNumber"):
        value = getattr(message, {"MessageGroupId": "group_id", "MessageDeduplicationId": "deduplication_id",
                                  "SequenceNumber": "sequence_number"}[key], None)
        if value:
            attributes[key] = str(value)
    message_attributes = {}
    for name, value in (getattr(message, "message_attributes", None) or {}).items():
        message_attributes[name] = {"stringValue": value.get("string_value"), "binaryValue": value.get("binary_value"),
                                    "stringListValues": [], "binaryListValues": [],
                                    "dataType": value.get("data_type")}
    return {"messageId": message.id, "receiptHandle": message.receipt_handle, "body": message.body,
            "attributes": attributes, "messageAttributes": message_attributes,
            "md5OfBody": hashlib.md5(message.body.encode()).hexdigest(), "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn, "awsRegion": region}


def decode_kinesis_data(record: dict[str, Any]) -> bytes:
    return base64.b64decode(record["kinesis"]["data"])


_busy: set[str] = set()
_busy_lock = threading.Lock()


def claim(uuid_: str) -> bool:
    """True when no delivery of this mapping is under way (and marks one)."""
    with _busy_lock:
        if uuid_ in _busy:
            return False
        _busy.add(uuid_)
        return True


def release(uuid_: str) -> None:
    with _busy_lock:
        _busy.discard(uuid_)
