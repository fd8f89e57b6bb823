"""Enhanced fan-out: SubscribeToShard answered with an AWS event stream (``application/vnd.amazon.eventstream``).

A registered consumer subscribes to a shard from a StartingPosition (TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER,
AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP) and receives the ``initial-response`` and then one ``SubscribeToShardEvent``
with the records available now (Records, ContinuationSequenceNumber, MillisBehindLatest, and ChildShards once a
closed shard is read to its end). AWS keeps a subscription open for 5 minutes and pushes records as they
arrive; here the subscription ends after that event, so a consumer re-subscribes with
``AFTER_SEQUENCE_NUMBER`` and the ContinuationSequenceNumber, as it does on AWS when a subscription expires.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from datetime import datetime
from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import Request

POSITIONS = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One message of the AWS event stream encoding (prelude, prelude CRC, string headers, payload, CRC)."""
    encoded = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        encoded += struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", 7, len(raw_value)) + raw_value
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    head = prelude + struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF) + encoded + payload
    return head + struct.pack(">I", binascii.crc32(head) & 0xFFFFFFFF)


def _event(event_type: str, body: dict[str, Any]) -> bytes:
    return encode_message({":event-type": event_type, ":content-type": "application/json",
                           ":message-type": "event"}, json.dumps(body).encode())


def _consumer(backend: Any, arn: str | None) -> tuple[Any, Any]:
    for stream in backend.streams.values():
        for consumer in stream.consumers:
            if consumer.consumer_arn == arn:
                return stream, consumer
    raise NotFound(f"Consumer {arn}, account {backend.account_id} not found.")


def _record(record: dict[str, Any]) -> dict[str, Any]:
    data = record["Data"]
    stamp = record["ApproximateArrivalTimestamp"]
    return {"SequenceNumber": record["SequenceNumber"], "PartitionKey": record["PartitionKey"],
            "Data": base64.b64encode(data if isinstance(data, bytes) else str(data).encode()).decode(),
            "ApproximateArrivalTimestamp": stamp.timestamp() if isinstance(stamp, datetime) else stamp}


def _subscribe_to_shard(request: Request) -> tuple[int, dict[str, str], bytes]:
    backend = moto_coupling.backend_for("kinesis", request.account_id, request.region)
    stream, _ = _consumer(backend, request.get("ConsumerARN"))
    shard_id = request.get("ShardId")
    if shard_id not in stream.shards:
        raise NotFound(f"Shard {shard_id} in stream {stream.stream_name} under account {backend.account_id} "
                       "does not exist")
    position = request.get("StartingPosition") or {}
    kind = position.get("Type")
    if kind not in POSITIONS:
        raise InvalidInput(f"1 validation error detected: Value '{kind}' at 'startingPosition.type' failed to "
                           f"satisfy constraint: Member must satisfy enum value set: [{', '.join(POSITIONS)}]")
    iterator = backend.get_shard_iterator(stream.arn, None, shard_id, kind, position.get("SequenceNumber"),
                                          position.get("Timestamp"))
    start = base64.b64decode(iterator).decode().split(":")[2]
    page = backend.read_records(stream.arn, iterator, 10000)
    records = [_record(r) for r in page["Records"]]
    body: dict[str, Any] = {"Records": records,
                            "ContinuationSequenceNumber": records[-1]["SequenceNumber"] if records else str(start),
                            "MillisBehindLatest": page.get("MillisBehindLatest", 0)}
    if "ChildShards" in page:
        body["ChildShards"] = page["ChildShards"]
    stream_body = _event("initial-response", {}) + _event("SubscribeToShardEvent", body)
    return 200, {"Content-Type": "application/vnd.amazon.eventstream"}, stream_body


def install() -> None:
    moto_coupling.replace_response_method("kinesis", "KinesisResponse", "subscribe_to_shard", _subscribe_to_shard)
