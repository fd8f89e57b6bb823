"""Kinesis Data Streams on moto, with AWS's routing, resharding and validation where moto differs.

- A record goes to the *open* shard whose hash-key range holds its key (ends
  included); after SplitShard / MergeShards / UpdateShardCount the parent shards
  are closed and keep their records (moto moved them into the children), so a
  consumer reads a parent to its end (``NextShardIterator`` absent, ``ChildShards``
  given) and then the children, as on AWS.
- Oversized data, partition keys and explicit hash keys, missing iterator
  arguments, unreadable shard iterators and unknown KMS keys answer the AWS
  error instead of a crash.
- ``ListShards`` applies ``ShardFilter``; ``PutRecord(s)`` report ``EncryptionType``.
- ``DescribeStream`` pages by ``ExclusiveStartShardId`` and reports ``StreamModeDetails``; ``DeleteStream``
  of a stream with consumers needs ``EnforceConsumerDeletion``; ``ListStreams`` pages with ``NextToken``;
  ``DeregisterStreamConsumer`` removes the named consumer only.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from datetime import timezone
from typing import Any

from emulators.core import clock, moto_coupling, paging, ports
from emulators.core.errors import AlreadyExists, InvalidInput, LimitExceeded, NotFound, ServiceError
from emulators.core.moto_coupling import Request
from emulators.kinesis import fanout, tagging

KinesisBackend = moto_coupling.backend_class("kinesis")
Shard = moto_coupling.model_class("kinesis", "Shard")
MAX_HASH_KEY = 2**128 - 1
MAX_RECORD = 1024 * 1024
HASH_KEY_PATTERN = re.compile(r"^(0|([1-9]\d{0,38}))$")
SEQUENCE_PATTERN = re.compile(r"^(0|([1-9]\d{0,128}))$")


def _validation(value: Any, where: str, constraint: str) -> InvalidInput:
    shown = f"Value '{value}' at" if value is not None else "Value at"
    return InvalidInput(f"1 validation error detected: {shown} '{where}' failed to satisfy constraint: "
                        f"{constraint}")


# a shard iterator expires 5 minutes after GetShardIterator or GetRecords handed it out (ExpiredIteratorException)
ITERATOR_LIFETIME_MS = int(float(os.environ.get("SANDBOX_KINESIS_ITERATOR_SECONDS", "300")) * 1000)


def _iterator(stream_name: str, shard_id: str, last: Any) -> str:
    return base64.b64encode(f"{stream_name}:{shard_id}:{last}:{clock.epoch_millis()}".encode()).decode()


def _moment(millis: int) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%a %b %d %H:%M:%S UTC %Y")


def _now() -> float:
    return clock.epoch_seconds()


def _open_shards(stream: Any) -> list[Any]:
    return sorted((s for s in stream.shards.values() if s.is_open), key=lambda s: s.starting_hash)


def _next_shard_index(stream: Any) -> int:
    return max(s._shard_id for s in stream.shards.values()) + 1


def _close(stream: Any, shard: Any) -> None:
    shard.is_open = False
    shard.sandbox_closed_at = _now()


def _new_shard(stream: Any, start: int, end: int, parent: str | None, adjacent: str | None = None) -> Any:
    shard = Shard(_next_shard_index(stream), start, end, parent=parent, adjacent_parent=adjacent)
    shard.sandbox_created_at = _now()
    stream.shards[shard.shard_id] = shard
    return shard


def _created_at(stream: Any, shard: Any) -> float:
    return getattr(shard, "sandbox_created_at", None) or stream.creation_datetime.replace(
        tzinfo=timezone.utc).timestamp()


def _mark_encryption(stream: Any, shard: Any, sequence_number: Any) -> None:
    """A record written while the stream is KMS-encrypted reads back with EncryptionType KMS."""
    if stream.encryption_type == "KMS":
        shard.records[int(sequence_number)].sandbox_kms = True


class SandboxKinesisBackend(KinesisBackend):  # type: ignore[misc, valid-type]
    # -- streams -----------------------------------------------------------------
    def create_stream(self, stream_name: str, shard_count: int | None, stream_mode: dict[str, str] | None = None,
                      retention_period_hours: int | None = None) -> Any:
        mode = (stream_mode or {}).get("StreamMode")
        if shard_count is None:
            if mode == "PROVISIONED":
                raise InvalidInput("ShardCount is required for a stream in PROVISIONED mode",
                                   code="InvalidArgumentException")
            # without a ShardCount or a mode, Kinesis creates an on-demand stream
            stream_mode = {"StreamMode": "ON_DEMAND"}
        return super().create_stream(stream_name, shard_count or 4, stream_mode=stream_mode,
                                     retention_period_hours=retention_period_hours)

    def _stream_by_arn(self, stream_arn: str | None) -> Any:
        return self.describe_stream(stream_arn=stream_arn, stream_name=None)

    def update_stream_mode(self, stream_arn: str, stream_mode: dict[str, str]) -> None:
        self._stream_by_arn(stream_arn).stream_mode = stream_mode

    def describe_limits(self) -> dict[str, int]:
        limits = dict(super().describe_limits())
        limits["OpenShardCount"] = sum(len(_open_shards(s)) for s in self.streams.values()
                                       if s.stream_mode.get("StreamMode") != "ON_DEMAND")
        limits["OnDemandStreamCount"] = sum(1 for s in self.streams.values()
                                            if s.stream_mode.get("StreamMode") == "ON_DEMAND")
        return limits

    # -- writing -----------------------------------------------------------------
    def _route(self, stream: Any, partition_key: str, explicit_hash_key: str | None, where: str) -> Any:
        if explicit_hash_key:
            if not HASH_KEY_PATTERN.match(str(explicit_hash_key)):
                raise _validation(explicit_hash_key, f"{where}explicitHashKey",
                                  r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})")
            key = int(explicit_hash_key)
            if key > MAX_HASH_KEY:
                raise InvalidInput(f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                                   f"Specified value was {explicit_hash_key}", code="InvalidArgumentException")
        else:
            from hashlib import md5

            key = int(md5(partition_key.encode("utf-8")).hexdigest(), 16)
        for shard in _open_shards(stream):
            if shard.starting_hash <= key <= shard.ending_hash:
                return shard
        raise ServiceError(f"no open shard of {stream.stream_name} holds hash key {key}")

    @staticmethod
    def _check_record(partition_key: Any, data: Any, where: str) -> int:
        if not isinstance(partition_key, str) or not partition_key:
            raise _validation(None, f"{where}partitionKey", "Member must not be null")
        if len(partition_key) > 256:
            raise _validation(partition_key, f"{where}partitionKey",
                              "Member must have length less than or equal to 256")
        try:
            size = len(base64.b64decode(data or ""))
        except (binascii.Error, ValueError):
            raise _validation(None, f"{where}data", "Member must be base64 encoded") from None
        if size > MAX_RECORD:
            raise _validation(None, f"{where}data", f"Member must have length less than or equal to {MAX_RECORD}")
        return size

    def put_record(self, stream_arn: str, stream_name: str, partition_key: str, explicit_hash_key: str,
                   data: str) -> tuple[str, str]:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        size = self._check_record(partition_key, data, "")
        shard = self._route(stream, partition_key, explicit_hash_key, "")
        sequence_number = shard.put_record(partition_key, data, explicit_hash_key)
        _mark_encryption(stream, shard, sequence_number)
        self._send_stream_metrics(stream.stream_name, incoming_bytes=size + len(partition_key), incoming_records=1)
        return sequence_number, shard.shard_id

    def put_records(self, stream_arn: str, stream_name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        if not records:
            raise _validation(None, "records", "Member must have length greater than or equal to 1")
        if len(records) > 500:
            raise _validation(None, "records", "Member must have length less than or equal to 500")
        total = 0
        targets = []
        for i, record in enumerate(records, start=1):
            where = f"records.{i}.member."
            pk = record.get("PartitionKey")
            total += self._check_record(pk, record.get("Data"), where) + len(pk)
            targets.append(self._route(stream, pk, record.get("ExplicitHashKey"), where))
        if total > 5 * MAX_RECORD:
            raise InvalidInput("Records size exceeds 5 MB limit", code="InvalidArgumentException")
        results = []
        for record, shard in zip(records, targets, strict=True):
            sequence_number = shard.put_record(record["PartitionKey"], record.get("Data", ""),
                                               record.get("ExplicitHashKey"))
            _mark_encryption(stream, shard, sequence_number)
            results.append({"SequenceNumber": sequence_number, "ShardId": shard.shard_id})
        self._send_stream_metrics(stream.stream_name, incoming_bytes=total, incoming_records=len(records))
        return {"FailedRecordCount": 0, "Records": results, "EncryptionType": stream.encryption_type}

    # -- reading -----------------------------------------------------------------
    def get_shard_iterator(self, stream_arn: str | None, stream_name: str | None, shard_id: str,
                           shard_iterator_type: str, starting_sequence_number: Any, at_timestamp: Any) -> str:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        if shard_iterator_type in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if starting_sequence_number in (None, ""):
                raise InvalidInput(f"Must specify a StartingSequenceNumber for iterator of type {shard_iterator_type}",
                                   code="InvalidArgumentException")
            if not SEQUENCE_PATTERN.match(str(starting_sequence_number)):
                raise _validation(starting_sequence_number, "startingSequenceNumber",
                                  r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,128})")
        elif shard_iterator_type == "AT_TIMESTAMP":
            if at_timestamp is None:
                raise InvalidInput("Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                                   "Current request has no timestamp parameter.", code="InvalidArgumentException")
            at_timestamp = float(at_timestamp)
        elif shard_iterator_type not in ("TRIM_HORIZON", "LATEST"):
            raise _validation(shard_iterator_type, "shardIteratorType",
                              "Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, "
                              "TRIM_HORIZON, LATEST, AT_TIMESTAMP]")
        # the iterator names the stream, also when the caller gave only its ARN
        plain = super().get_shard_iterator(None, stream.stream_name, shard_id, shard_iterator_type,
                                           starting_sequence_number, at_timestamp)
        decompose_shard_iterator = moto_coupling.model_class("kinesis", "decompose_shard_iterator")
        name, shard, last = decompose_shard_iterator(plain)
        return _iterator(name, shard, last)

    def read_records(self, stream_arn: str | None, shard_iterator: str, limit: int | None) -> dict[str, Any]:
        """GetRecords as AWS answers it: a closed shard read to its end has no next iterator."""
        try:
            parts = base64.b64decode(shard_iterator.encode(), validate=False).decode("utf-8").split(":")
            stream_name, shard_id, last = parts[:3]
            int(last)
            issued = int(parts[3]) if len(parts) == 4 else None  # iterators from before expiry carry no time
            if len(parts) > 4:
                raise ValueError(shard_iterator)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise InvalidInput(f"Invalid ShardIterator: {shard_iterator[:64]!r} is not a shard "
                               "iterator returned by GetShardIterator or GetRecords",
                               code="InvalidArgumentException") from None
        now = clock.epoch_millis()
        if issued is not None and now - issued > ITERATOR_LIFETIME_MS:
            raise ServiceError(f"Iterator expired. The iterator was created at time {_moment(issued)} while right now "
                               f"it is {_moment(now)} which is further in the future than the tolerated delay of "
                               f"{ITERATOR_LIFETIME_MS} milliseconds.", code="ExpiredIteratorException")
        if limit is not None and not 1 <= int(limit) <= 10000:
            raise _validation(limit, "limit", "Member must have value less than or equal to 10000")
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        if shard_id not in stream.shards:
            raise NotFound(f"Shard {shard_id} in stream {stream.stream_name} under account "
                           f"{self.account_id} does not exist")
        shard = stream.shards[shard_id]
        records, last_sequence, millis = shard.get_records(last, limit)
        result: dict[str, Any] = {"Records": [{**r.to_json(), **({"EncryptionType": "KMS"} if getattr(
            r, "sandbox_kms", False) else {})} for r in records], "MillisBehindLatest": millis}
        if not shard.is_open and int(last_sequence) >= shard.get_max_sequence_number():
            result["MillisBehindLatest"] = 0
            result["ChildShards"] = [
                {"ShardId": child.shard_id,
                 "ParentShards": [p for p in (child.parent, child.adjacent_parent) if p],
                 "HashKeyRange": {"StartingHashKey": str(child.starting_hash),
                                  "EndingHashKey": str(child.ending_hash)}}
                for child in stream.shards.values() if shard_id in (child.parent, child.adjacent_parent)]
        else:
            result["NextShardIterator"] = _iterator(stream.stream_name, shard.shard_id, last_sequence)
        return result

    def filtered_shards(self, stream_arn: str | None, stream_name: str | None,
                        shard_filter: dict[str, Any] | None, exclusive_start: str | None) -> list[Any]:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        shards = sorted(stream.shards.values(), key=lambda s: s._shard_id)
        kind = (shard_filter or {}).get("Type")
        if kind == "AT_LATEST":
            shards = [s for s in shards if s.is_open]
        elif kind == "AFTER_SHARD_ID":
            after = (shard_filter or {}).get("ShardId")
            if not after:
                raise InvalidInput("ShardFilter of type AFTER_SHARD_ID needs a ShardId",
                                   code="InvalidArgumentException")
            shards = [s for s in shards if s.shard_id > after]
        elif kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            moment = (shard_filter or {}).get("Timestamp")
            if moment is None:
                raise InvalidInput(f"ShardFilter of type {kind} needs a Timestamp", code="InvalidArgumentException")
            moment = float(moment)
            closed = lambda s: getattr(s, "sandbox_closed_at", None)  # noqa: E731
            shards = [s for s in shards
                      if (closed(s) is None or closed(s) > moment)
                      and (kind == "FROM_TIMESTAMP" or _created_at(stream, s) <= moment)]
        if exclusive_start:
            shards = [s for s in shards if s.shard_id > exclusive_start]
        return shards

    # -- resharding --------------------------------------------------------------
    def _provisioned(self, stream: Any, action: str) -> None:
        if stream.stream_mode.get("StreamMode") == "ON_DEMAND":
            raise InvalidInput(
                f"Request is invalid. Stream {stream.stream_name} under account {self.account_id} is in On-Demand "
                f"mode: {action} is for provisioned streams (on-demand streams manage their shards).")

    def _open_shard(self, stream: Any, shard_id: str, action: str) -> Any:
        if shard_id not in stream.shards:
            raise NotFound(f"Could not find shard {shard_id} in stream {stream.stream_name} under "
                           f"account {self.account_id}.")
        shard = stream.shards[shard_id]
        if not shard.is_open:
            raise InvalidInput(
                f"Shard {shard_id} in stream {stream.stream_name} under account {self.account_id} has already been "
                f"merged or split, and thus is not eligible for {action}.", code="InvalidArgumentException")
        return shard

    def split_shard(self, stream_arn: str, stream_name: str, shard_to_split: str, new_starting_hash_key: str) -> None:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        self._provisioned(stream, "SplitShard")
        if not HASH_KEY_PATTERN.match(str(new_starting_hash_key)):
            raise _validation(new_starting_hash_key, "newStartingHashKey",
                              r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})")
        shard = self._open_shard(stream, shard_to_split, "splitting")
        self._split(stream, shard, int(new_starting_hash_key))

    def _split(self, stream: Any, shard: Any, new_start: int) -> None:
        if not shard.starting_hash + 1 < new_start < shard.ending_hash:
            raise InvalidInput(
                f"NewStartingHashKey {new_start} used in SplitShard() on shard {shard.shard_id} in stream "
                f"{stream.stream_name} under account {self.account_id} is not both greater than one plus the "
                f"shard's StartingHashKey {shard.starting_hash} and less than the shard's EndingHashKey "
                f"{shard.ending_hash}.", code="InvalidArgumentException")
        _close(stream, shard)
        _new_shard(stream, shard.starting_hash, new_start - 1, shard.shard_id)
        _new_shard(stream, new_start, shard.ending_hash, shard.shard_id)
        stream.shard_count = len(_open_shards(stream))

    def merge_shards(self, stream_arn: str, stream_name: str, shard_to_merge: str,
                     adjacent_shard_to_merge: str) -> None:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        self._provisioned(stream, "MergeShards")
        first = self._open_shard(stream, shard_to_merge, "merging")
        second = self._open_shard(stream, adjacent_shard_to_merge, "merging")
        if first.ending_hash + 1 != second.starting_hash and second.ending_hash + 1 != first.starting_hash:
            raise InvalidInput(
                f"Shards {shard_to_merge} and {adjacent_shard_to_merge} in stream {stream.stream_name} under "
                f"account {self.account_id} are not an adjacent pair of shards eligible for merging",
                code="InvalidArgumentException")
        self._merge(stream, first, second)

    def _merge(self, stream: Any, first: Any, second: Any) -> None:
        _close(stream, first)
        _close(stream, second)
        _new_shard(stream, min(first.starting_hash, second.starting_hash),
                   max(first.ending_hash, second.ending_hash), first.shard_id, second.shard_id)
        stream.shard_count = len(_open_shards(stream))

    def update_shard_count(self, stream_arn: str, stream_name: str, target_shard_count: int) -> int:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        self._provisioned(stream, "UpdateShardCount")
        current = len(_open_shards(stream))
        target = int(target_shard_count)
        if target > 2 * current or target * 2 < current:
            raise LimitExceeded(
                f"UpdateShardCount cannot scale stream {stream.stream_name} from {current} to {target} shards: "
                "a single call can at most double or halve the number of open shards")
        while len(_open_shards(stream)) < target:
            widest = max(_open_shards(stream), key=lambda s: s.ending_hash - s.starting_hash)
            self._split(stream, widest, (widest.starting_hash + widest.ending_hash + 1) // 2)
        while len(_open_shards(stream)) > target:
            shards = _open_shards(stream)
            pair = min(zip(shards, shards[1:]), key=lambda p: p[1].ending_hash - p[0].starting_hash)
            self._merge(stream, *pair)
        return current

    # -- encryption and consumers ------------------------------------------------
    def start_stream_encryption(self, stream_arn: str, stream_name: str, encryption_type: str, key_id: str) -> None:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        if encryption_type != "KMS":
            raise InvalidInput(f"EncryptionType {encryption_type} is not valid: use KMS",
                               code="InvalidArgumentException")
        if key_id != "alias/aws/kinesis":
            kms = moto_coupling.backend_for("kms", self.account_id, self.region_name)
            try:
                kms.describe_key(key_id)
            except Exception:
                raise ServiceError(
                    f"Key '{key_id}' does not exist (create it with kms.create_key, or use alias/aws/kinesis)",
                    code="KMSNotFoundException") from None
        super().start_stream_encryption(stream_arn, stream_name, encryption_type, key_id)

    def register_stream_consumer(self, stream_arn: str, consumer_name: str) -> Any:
        stream = self._stream_by_arn(stream_arn)
        if any(c.consumer_name == consumer_name for c in stream.consumers):
            raise AlreadyExists(f"Consumer {consumer_name} under stream {stream.stream_name} already exists")
        consumer = super().register_stream_consumer(stream_arn, consumer_name)
        # AWS's consumer ARN ends with the creation time (the API's pattern requires it)
        consumer.consumer_arn += f":{int(consumer.created.replace(tzinfo=timezone.utc).timestamp())}"
        return consumer

    def list_stream_consumers(self, stream_arn: str, **kwargs: Any) -> Any:
        self._stream_by_arn(stream_arn)
        return super().list_stream_consumers(stream_arn=stream_arn, **kwargs)

    def deregister_stream_consumer(self, stream_arn: str, consumer_name: str, consumer_arn: str) -> None:
        """Remove exactly the named consumer (moto kept the named one and removed every other), or answer
        ResourceNotFoundException as AWS does for a consumer that is not registered."""
        streams = [self._stream_by_arn(stream_arn)] if stream_arn else list(self.streams.values())
        for stream in streams:
            for consumer in list(stream.consumers):
                if (consumer_arn and consumer.consumer_arn == consumer_arn) or (
                        not consumer_arn and consumer.consumer_name == consumer_name):
                    stream.consumers.remove(consumer)
                    return
        raise NotFound(f"Consumer {consumer_arn or consumer_name}, account {self.account_id} not found.")

    def describe_stream_consumer(self, stream_arn: str, consumer_name: str, consumer_arn: str) -> Any:
        if stream_arn:
            self._stream_by_arn(stream_arn)
        return super().describe_stream_consumer(stream_arn, consumer_name, consumer_arn)


# -- response handlers (operations whose response moto builds differently) ----------

def _backend(request: Request) -> SandboxKinesisBackend:
    return moto_coupling.backend_for("kinesis", request.account_id, request.region)


def _get_records(request: Request) -> dict[str, Any]:
    return _backend(request).read_records(request.get("StreamARN"), request.get("ShardIterator"),
                                          request.get("Limit"))


def _describe_stream(request: Request) -> dict[str, Any]:
    """DescribeStream as AWS answers it: with StreamModeDetails, and paged by Limit (default 100) and
    ExclusiveStartShardId (moto ignored the start shard, so a loop over HasMoreShards never ended)."""
    stream = _backend(request).describe_stream(stream_arn=request.get("StreamARN"),
                                               stream_name=request.get("StreamName"))
    limit = request.get("Limit")
    if limit is not None and not 1 <= int(limit) <= 10000:
        raise _validation(limit, "limit", "Member must have value less than or equal to 10000")
    limit = int(limit or 100)
    start = request.get("ExclusiveStartShardId")
    shards = sorted(stream.shards.values(), key=lambda s: s._shard_id)
    if start:
        shards = [s for s in shards if s.shard_id > start]
    description = stream.to_json()["StreamDescription"]
    description.update({"StreamModeDetails": dict(stream.stream_mode or {"StreamMode": "PROVISIONED"}),
                        "Shards": [s.to_json() for s in shards[:limit]], "HasMoreShards": len(shards) > limit})
    if description.get("KeyId") is None:
        description.pop("KeyId", None)
    return {"StreamDescription": description}


def _describe_stream_summary(request: Request) -> dict[str, Any]:
    stream = _backend(request).describe_stream(stream_arn=request.get("StreamARN"),
                                               stream_name=request.get("StreamName"))
    summary = stream.to_json_summary()["StreamDescriptionSummary"]
    summary["ConsumerCount"] = len(stream.consumers)
    summary["OpenShardCount"] = len(_open_shards(stream))
    if summary.get("KeyId") is None:
        summary.pop("KeyId", None)
    return {"StreamDescriptionSummary": summary}


LIST_STREAMS = "kinesis:list_streams:"


def _list_streams(request: Request) -> dict[str, Any]:
    """ListStreams in name order, paged by Limit (default 100) with a NextToken or ExclusiveStartStreamName.
    moto gave no NextToken (boto3's paginator stopped after the first page), summaries of every stream whatever
    the page, and a 500 for an unknown ExclusiveStartStreamName."""
    token, start = request.get("NextToken"), request.get("ExclusiveStartStreamName")
    if token and start:
        raise InvalidInput("NextToken and ExclusiveStartStreamName cannot be provided together.",
                           code="InvalidArgumentException")
    if token:
        listing = paging.token_listing(str(token), LIST_STREAMS)
        if listing is None:
            raise InvalidInput("NextToken is not valid: pass back the NextToken the previous ListStreams call "
                               "returned, unchanged", code="InvalidArgumentException")
        start = listing[len(LIST_STREAMS):] or None
    else:
        listing = LIST_STREAMS + (start or "")
    streams = sorted(_backend(request).streams.values(), key=lambda s: s.stream_name)
    if start:
        streams = [s for s in streams if s.stream_name > start]
    found, next_token = paging.page(streams, token, request.get("Limit"), listing=listing, default_size=100,
                                    max_size=10000, token_error="InvalidArgumentException")
    result: dict[str, Any] = {
        "StreamNames": [s.stream_name for s in found], "HasMoreStreams": bool(next_token),
        "StreamSummaries": [{"StreamName": s.stream_name, "StreamARN": s.arn, "StreamStatus": s.status,
                             "StreamModeDetails": dict(s.stream_mode or {"StreamMode": "PROVISIONED"}),
                             "StreamCreationTimestamp": s.creation_datetime} for s in found]}
    if next_token:
        result["NextToken"] = next_token
    return result


def _delete_stream(request: Request) -> dict[str, Any]:
    """DeleteStream refuses a stream with registered consumers unless EnforceConsumerDeletion is true."""
    backend = _backend(request)
    stream = backend.describe_stream(stream_arn=request.get("StreamARN"), stream_name=request.get("StreamName"))
    if stream.consumers and not request.get("EnforceConsumerDeletion"):
        raise AlreadyExists(f"Stream {stream.stream_name} under account {backend.account_id} has registered "
                            "consumers; deregister them first or call DeleteStream with EnforceConsumerDeletion=True")
    backend.delete_stream(stream.arn, None)
    return {}


def _update_shard_count(request: Request) -> dict[str, Any]:
    """UpdateShardCount answers the stream's name and ARN however it was named (moto: only the name given)."""
    backend = _backend(request)
    stream = backend.describe_stream(stream_arn=request.get("StreamARN"), stream_name=request.get("StreamName"))
    current = backend.update_shard_count(stream.arn, None, request.get("TargetShardCount"))
    return {"StreamName": stream.stream_name, "CurrentShardCount": current,
            "TargetShardCount": int(request.get("TargetShardCount")), "StreamARN": stream.arn}


def _put_record(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    arn, name = request.get("StreamARN"), request.get("StreamName")
    sequence_number, shard_id = backend.put_record(arn, name, request.get("PartitionKey"),
                                                   request.get("ExplicitHashKey"), request.get("Data"))
    stream = backend.describe_stream(stream_arn=arn, stream_name=name)
    return {"ShardId": shard_id, "SequenceNumber": sequence_number, "EncryptionType": stream.encryption_type}


LIST_SHARDS = "kinesis:list_shards:"
MAX_SHARDS_PER_CALL = 1000  # MaxResults may be up to 10000; a call returns at most 1000 shards
# what a NextToken stands for, so none of them may come with it (AWS: "NextToken and StreamName cannot be
# provided together.")
NOT_WITH_NEXT_TOKEN = ("StreamName", "StreamARN", "ShardFilter", "ExclusiveStartShardId", "StreamCreationTimestamp")


def _shards_listing(stream_arn: str, shard_filter: Any, start: str | None) -> str:
    """The listing a ListShards token is bound to: the stream, the filter and the start of the first request."""
    return LIST_SHARDS + json.dumps([stream_arn, shard_filter, start], separators=(",", ":"), default=str)


def _shards_scope(token: str) -> tuple[str, str, Any, str | None]:
    """(listing, stream ARN, filter, start) a ListShards NextToken was given out for."""
    listing = paging.token_listing(token, LIST_SHARDS)
    scope = None
    if listing is not None:
        try:
            scope = json.loads(listing[len(LIST_SHARDS):])
        except ValueError:
            pass
    if not (isinstance(scope, list) and len(scope) == 3 and isinstance(scope[0], str)
            and isinstance(scope[1], (dict, type(None))) and isinstance(scope[2], (str, type(None)))):
        raise InvalidInput("NextToken is not valid: pass back the NextToken the previous ListShards call returned, "
                           "unchanged", code="InvalidArgumentException")
    return str(listing), scope[0], scope[1], scope[2]


def _list_shards(request: Request) -> dict[str, Any]:
    """ListShards with core paging: the NextToken is bound to the stream, the filter and the start shard of the
    first call, so the next-page calls carry it alone (with MaxResults), as on AWS."""
    backend = _backend(request)
    token = request.get("NextToken")
    if token:
        for member in NOT_WITH_NEXT_TOKEN:
            if request.get(member) is not None:
                raise InvalidInput(f"NextToken and {member} cannot be provided together.",
                                   code="InvalidArgumentException")
        listing, arn, shard_filter, start = _shards_scope(str(token))
    else:
        arn = backend.describe_stream(stream_arn=request.get("StreamARN"), stream_name=request.get("StreamName")).arn
        shard_filter, start = request.get("ShardFilter"), request.get("ExclusiveStartShardId")
        listing = _shards_listing(arn, shard_filter, start)
    shards = backend.filtered_shards(arn, None, shard_filter, start or None)
    max_results = request.get("MaxResults")
    if isinstance(max_results, int) and max_results > MAX_SHARDS_PER_CALL:
        max_results = MAX_SHARDS_PER_CALL
    found, next_token = paging.page(shards, token, max_results, listing=listing, default_size=MAX_SHARDS_PER_CALL,
                                    token_error="InvalidArgumentException", size_error="InvalidArgumentException")
    result: dict[str, Any] = {"Shards": [s.to_json() for s in found]}
    if next_token:
        result["NextToken"] = next_token
    return result


def put_records_from(account: str, region: str, stream_arn: str, records: list[tuple[str, bytes]]) -> None:
    """The ``put_kinesis_records`` port: records another service writes into a stream (DynamoDB's change records)."""
    backend = moto_coupling.backend_for("kinesis", account, region)
    backend.describe_stream(stream_arn=stream_arn, stream_name=None)  # ResourceNotFoundException
    for partition_key, data in records:
        backend.put_record(stream_arn, None, partition_key, None, base64.b64encode(data).decode())


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("kinesis", SandboxKinesisBackend)
    moto_coupling.speed_up_kinesis_sequence_lookups()
    ports.put_kinesis_records.provide(put_records_from)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "get_records", _get_records)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "put_record", _put_record)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "list_shards", _list_shards)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "describe_stream", _describe_stream)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "delete_stream", _delete_stream)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "describe_stream_summary", _describe_stream_summary)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "list_streams", _list_streams)
    moto_coupling.add_operation("kinesis", "KinesisResponse", "update_shard_count", _update_shard_count)
    tagging.install()
    fanout.install()
