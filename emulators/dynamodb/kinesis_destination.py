"""Kinesis Data Streams for DynamoDB (Enable/Disable/Update/DescribeKinesisStreamingDestination).

As the developer guide's "Change data capture for Kinesis Data Streams with DynamoDB" describes it: once a
destination is ACTIVE, every item-level change (PutItem, UpdateItem, DeleteItem, BatchWriteItem, a committed
TransactWriteItems, PartiQL, TTL deletion) is put into the Kinesis data stream as one JSON record --
``awsRegion``, ``eventID``, ``eventName`` (INSERT/MODIFY/REMOVE), ``userIdentity``, ``recordFormat``
(``application/json``), ``tableName``, ``eventSource`` (``aws:dynamodb``) and ``dynamodb`` with
``ApproximateCreationDateTime`` (epoch milliseconds, or microseconds with the MICROSECOND precision), ``Keys``,
``NewImage``, ``OldImage`` and ``SizeBytes``. A write that changes nothing puts no record. The records of one item
share a partition key (so they stay in order); a transaction that is cancelled puts none. The records go through
the ``put_kinesis_records`` port. Destinations are ACTIVE (DISABLED) as soon as the call returns ENABLING
(DISABLING). Not emulated: duplicate records, which AWS may put.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from emulators.core import moto_coupling, ports
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import Request

log = logging.getLogger("emulators.dynamodb.kinesis")
PRECISIONS = ("MILLISECOND", "MICROSECOND")
_pending = threading.local()  # the records of a transaction, put only once it commits


def destinations(table: Any) -> list[dict[str, Any]]:
    if getattr(table, "sandbox_kinesis_destinations", None) is None:
        table.sandbox_kinesis_destinations = []
    return table.sandbox_kinesis_destinations


def _active(table: Any) -> list[dict[str, Any]]:
    return [d for d in getattr(table, "sandbox_kinesis_destinations", None) or [] if d["DestinationStatus"] == "ACTIVE"]


def _image(item: Any) -> dict[str, Any] | None:
    return item.to_json()["Attributes"] if item is not None else None


def _keys(table: Any, image: dict[str, Any]) -> dict[str, Any]:
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {n: image[n] for n in names if n in image}


def change_record(table: Any, old: dict[str, Any] | None, new: dict[str, Any] | None,
                  precision: str) -> dict[str, Any]:
    """The JSON record DynamoDB puts into the Kinesis stream for one item change."""
    image = new if new is not None else old
    assert image is not None
    keys = _keys(table, image)
    now = time.time()
    stamp = int(now * 1_000_000) if precision == "MICROSECOND" else int(now * 1000)
    dynamodb: dict[str, Any] = {"ApproximateCreationDateTime": stamp, "Keys": keys}
    if new is not None:
        dynamodb["NewImage"] = new
    if old is not None:
        dynamodb["OldImage"] = old
    dynamodb["SizeBytes"] = len(json.dumps(keys)) + len(json.dumps(new or {})) + len(json.dumps(old or {}))
    return {"awsRegion": table.region_name, "eventID": str(uuid.uuid4()),
            "eventName": "INSERT" if old is None else "REMOVE" if new is None else "MODIFY",
            "userIdentity": None, "recordFormat": "application/json", "tableName": table.name,
            "dynamodb": dynamodb, "eventSource": "aws:dynamodb"}


def record_change(table: Any, old: dict[str, Any] | None, new: dict[str, Any] | None,
                  user_identity: dict[str, str] | None = None) -> None:
    """Put the change of one item into each ACTIVE destination of its table (after a transaction commits)."""
    if old == new:
        return  # a write that changes nothing puts no record
    for destination in _active(table):
        record = change_record(table, old, new, destination.get("ApproximateCreationDateTimePrecision", "MILLISECOND"))
        if user_identity:
            record["userIdentity"] = user_identity
        partition_key = hashlib.md5(json.dumps(record["dynamodb"]["Keys"], sort_keys=True).encode()).hexdigest()
        put = (table.account_id, table.region_name, destination["StreamArn"], partition_key,
               json.dumps(record).encode())
        held = getattr(_pending, "records", None)
        if held is not None:
            held.append(put)
        else:
            _put(*put)


def _put(account: str, region: str, stream_arn: str, partition_key: str, data: bytes) -> None:
    try:
        ports.put_kinesis_records(account, region, stream_arn, [(partition_key, data)])
    except Exception as exc:  # the stream was deleted: AWS stops the destination; here the record is dropped
        log.warning("could not put a change record into %s: %s", stream_arn, exc)


@contextlib.contextmanager
def watching(backend: Any, table_name: str, key: dict[str, Any] | None) -> Iterator[None]:
    """Around one item write: compare the item before and after and record the change."""
    table = backend.tables.get(table_name)
    if table is None or not _active(table) or not key:
        yield
        return
    try:
        old = _image(backend.get_item(table_name, _keys(table, key)))
    except Exception:
        old = None  # an invalid key: the write itself answers the error
    yield
    table = backend.tables.get(table_name)
    record_change(table, old, _image(backend.get_item(table_name, _keys(table, key))))


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Hold the change records of a TransactWriteItems; put them only when it commits."""
    outer = getattr(_pending, "records", None)
    _pending.records = [] if outer is None else outer
    committed = False
    try:
        yield
        committed = True
    finally:
        held = _pending.records
        if outer is None:
            _pending.records = None
            if committed:
                for put in held:
                    _put(*put)


# -- the API ---------------------------------------------------------------------------------------------

def _table(request: Request) -> Any:
    backend = moto_coupling.backend_for("dynamodb", request.account_id, request.region)
    name = request.get("TableName") or ""
    if ":table/" in name:
        name = name.split(":table/", 1)[1].split("/", 1)[0]
    table = backend.tables.get(name)
    if table is None:
        raise NotFound(f"Requested resource not found: Table: {name} not found")
    return table


def _stream_arn(request: Request) -> str:
    arn = request.get("StreamArn") or ""
    if ":kinesis:" not in arn or ":stream/" not in arn:
        raise InvalidInput(f"StreamArn {arn!r} is not the ARN of a Kinesis data stream")
    return arn


def _find(table: Any, arn: str) -> dict[str, Any] | None:
    return next((d for d in destinations(table) if d["StreamArn"] == arn), None)


def _enable(request: Request) -> dict[str, Any]:
    table, arn = _table(request), _stream_arn(request)
    precision = (request.get("EnableKinesisStreamingConfiguration") or {}).get(
        "ApproximateCreationDateTimePrecision") or "MILLISECOND"
    try:  # the stream must exist (a record put into nothing would be lost)
        ports.put_kinesis_records(request.account_id, request.region, arn, [])
    except Exception:
        raise NotFound(f"Requested resource not found: Stream: {arn} not found") from None
    current = _find(table, arn)
    if current is not None and current["DestinationStatus"] == "ACTIVE":
        raise InvalidInput(f"Table {table.name} is already streaming to the Kinesis data stream {arn}")
    others = [d for d in _active(table) if d["StreamArn"] != arn]
    if others:
        raise InvalidInput(f"Table {table.name} already streams to {others[0]['StreamArn']}: a table streams to "
                           "one Kinesis data stream at a time (disable that destination first)")
    entry = {"StreamArn": arn, "DestinationStatus": "ACTIVE", "ApproximateCreationDateTimePrecision": precision}
    if current is not None:
        current.update(entry)
    else:
        destinations(table).append(entry)
    return {"TableName": table.name, "StreamArn": arn, "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision}}


def _disable(request: Request) -> dict[str, Any]:
    table, arn = _table(request), _stream_arn(request)
    current = _find(table, arn)
    if current is None or current["DestinationStatus"] != "ACTIVE":
        raise InvalidInput(f"Table {table.name} is not streaming to the Kinesis data stream {arn}")
    current["DestinationStatus"] = "DISABLED"
    return {"TableName": table.name, "StreamArn": arn, "DestinationStatus": "DISABLING",
            "EnableKinesisStreamingConfiguration": {
                "ApproximateCreationDateTimePrecision": current["ApproximateCreationDateTimePrecision"]}}


def _update(request: Request) -> dict[str, Any]:
    table, arn = _table(request), _stream_arn(request)
    current = _find(table, arn)
    if current is None or current["DestinationStatus"] != "ACTIVE":
        raise InvalidInput(f"Table {table.name} is not streaming to the Kinesis data stream {arn}")
    precision = (request.get("UpdateKinesisStreamingConfiguration") or {}).get(
        "ApproximateCreationDateTimePrecision")
    if precision is not None:
        if precision == current["ApproximateCreationDateTimePrecision"]:
            raise InvalidInput(f"The ApproximateCreationDateTimePrecision of the destination is already {precision}")
        current["ApproximateCreationDateTimePrecision"] = precision
    return {"TableName": table.name, "StreamArn": arn, "DestinationStatus": "UPDATING",
            "UpdateKinesisStreamingConfiguration": {
                "ApproximateCreationDateTimePrecision": current["ApproximateCreationDateTimePrecision"]}}


def _describe(request: Request) -> dict[str, Any]:
    table = _table(request)
    return {"TableName": table.name, "KinesisDataStreamDestinations": [dict(d) for d in destinations(table)]}


def install() -> None:
    for operation, handler in (("enable_kinesis_streaming_destination", _enable),
                               ("disable_kinesis_streaming_destination", _disable),
                               ("update_kinesis_streaming_destination", _update),
                               ("describe_kinesis_streaming_destination", _describe)):
        moto_coupling.add_operation("dynamodb", "DynamoHandler", operation, handler)
