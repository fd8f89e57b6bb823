"""DynamoDB and DynamoDB Streams on moto: streams that can be disabled and enabled again, no record for a
write that changes nothing, AWS's errors for unknown streams, shards and iterators, TTL deletion, and
PartiQL on the sandbox's own engine (:mod:`emulators.dynamodb.partiql`)."""

from __future__ import annotations

import logging
import os
from typing import Any

from emulators.core import clock, moto_coupling
from emulators.core.errors import AlreadyExists, InvalidInput, NotFound, ServiceError
from emulators.core.moto_coupling import Request
from emulators.dynamodb import exports, expressions, kinesis_destination, statements, transactions

log = logging.getLogger("emulators.dynamodb")
DynamoDBBackend = moto_coupling.backend_class("dynamodb")
StreamShard = moto_coupling.dynamodb_stream_shard_class()
ShardIterator = moto_coupling.dynamodb_shard_iterator_class()
TTL_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}  # GetRecords spelling


class SandboxStreamShard(StreamShard):  # type: ignore[misc, valid-type]
    """The one shard of a table's stream; it keeps its own view type, so it stays readable once disabled."""

    view_type: str = "NEW_AND_OLD_IMAGES"
    ended: bool = False
    removing_as_service: bool = False

    def add(self, old: Any, new: Any) -> None:
        if self.ended:
            return
        if getattr(self, "skip_next_insert", False) and old is None:
            self.skip_next_insert = False  # the bare key UpdateItem puts before it applies the update
            return
        if old is not None and new is not None and old.to_json() == new.to_json():
            return  # AWS: a PutItem or UpdateItem that changes nothing writes no stream record
        spec = self.table.stream_specification
        saved = dict(spec) if isinstance(spec, dict) else spec
        self.table.stream_specification = {**(spec or {}), "StreamViewType": self.view_type}
        try:
            super().add(old, new)
        finally:
            self.table.stream_specification = saved
        if self.items:
            self.items[-1].record["awsRegion"] = self.table.region_name  # moto wrote us-east-1 for every region
            self.items[-1].record["eventVersion"] = "1.1"  # as AWS's GetRecords and Lambda events give it
        if self.removing_as_service and new is None and self.items:
            self.items[-1].record["userIdentity"] = dict(TTL_IDENTITY)


def _adopt(table: Any) -> Any:
    """Give a table's stream shard the sandbox's class (tables made before the provider, or restored)."""
    shard = getattr(table, "stream_shard", None)
    if shard is not None and type(shard) is not SandboxStreamShard:
        shard.__class__ = SandboxStreamShard
        shard.view_type = (table.stream_specification or {}).get("StreamViewType", "NEW_AND_OLD_IMAGES")
    if not hasattr(table, "sandbox_old_streams"):
        table.sandbox_old_streams = {}
    return table


class SandboxDynamoDBBackend(DynamoDBBackend):  # type: ignore[misc, valid-type]
    def get_table(self, table_name: str) -> Any:
        return _adopt(super().get_table(table_name))

    def get_keys_value(self, table: Any, keys: dict[str, Any]) -> Any:
        """AWS refuses a key whose attributes or types differ from the table's key schema (moto read a
        number where the schema says string as a key that matches nothing)."""
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        types = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
        if set(keys or {}) != set(names) or any(
                not isinstance(keys[n], dict) or list(keys[n]) != [types.get(n)] for n in names):
            raise InvalidInput("The provided key element does not match the schema")
        return super().get_keys_value(table, keys)

    def _check_start_key(self, table_name: str, start: dict[str, Any] | None, index_name: str | None) -> None:
        """AWS refuses an ExclusiveStartKey that is not the table's key (plus the index's key when reading an
        index); moto answered 500."""
        if start is None:
            return
        table = self.get_table(table_name)
        names = {table.hash_key_attr} | ({table.range_key_attr} if table.range_key_attr else set())
        if index_name:
            index = next((i for i in (table.global_indexes or []) + (table.indexes or []) if i.name == index_name),
                         None)
            names |= {k["AttributeName"] for k in (index.schema if index is not None else [])}
        if not isinstance(start, dict) or set(start) != names or not all(
                isinstance(v, dict) and len(v) == 1 for v in start.values()):
            raise InvalidInput("The provided starting key is invalid: The provided key element does not match the "
                               "schema")

    def query(self, table_name: str, *args: Any, **kwargs: Any) -> Any:
        start = kwargs.get("exclusive_start_key", args[4] if len(args) > 4 else None)
        index = kwargs.get("index_name", args[7] if len(args) > 7 else None)
        self._check_start_key(table_name, start, index)
        return super().query(table_name, *args, **kwargs)

    def scan(self, table_name: str, *args: Any, **kwargs: Any) -> Any:
        start = kwargs.get("exclusive_start_key", args[2] if len(args) > 2 else None)
        index = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        self._check_start_key(table_name, start, index)
        return super().scan(table_name, *args, **kwargs)

    def create_table(self, name: str, **params: Any) -> Any:
        return _adopt(super().create_table(name, **params))

    # -- item writes, watched for the Kinesis streaming destination ----------------------------
    def put_item(self, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with kinesis_destination.watching(self, table_name, item_attrs):
            return super().put_item(table_name, item_attrs, *args, **kwargs)

    def update_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """UpdateItem; on an item that does not exist yet, its stream gets one INSERT with the final image (moto
        wrote a second INSERT of the bare key first)."""
        table = self.tables.get(table_name)
        shard = getattr(table, "stream_shard", None)
        try:
            creating = shard is not None and self.get_item(table_name, key) is None
        except Exception:
            creating = False  # an invalid key: moto answers the error
        if creating:
            shard.skip_next_insert = True
        try:
            with kinesis_destination.watching(self, table_name, key):
                return super().update_item(table_name, key, *args, **kwargs)
        finally:
            if shard is not None:
                shard.skip_next_insert = False

    def delete_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with kinesis_destination.watching(self, table_name, key):
            return super().delete_item(table_name, key, *args, **kwargs)

    def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
        try:
            if transactions.is_replay():  # the same ClientRequestToken and items: already written
                return None
            with kinesis_destination.transaction():
                super().transact_write_items(transact_items)
            transactions.committed(self)
            return None
        finally:
            transactions.forget()

    def update_table_streams(self, table: Any, stream_specification: dict[str, Any]) -> None:
        _adopt(table)
        enabled = bool((table.stream_specification or {}).get("StreamEnabled")) and table.stream_shard is not None
        if stream_specification.get("StreamEnabled"):
            if enabled:
                raise AlreadyExists(f"Table already has an enabled stream: {table.table_arn}/stream/"
                                    f"{table.latest_stream_label}")
            if not stream_specification.get("StreamViewType"):
                raise InvalidInput("One or more parameter values were invalid: StreamViewType is required when "
                                   "StreamEnabled is true")
            table.set_stream_specification(dict(stream_specification))
            _adopt(table)
            return
        if not enabled:
            raise InvalidInput("Table already has no stream enabled")
        shard = table.stream_shard
        shard.ended = True
        shard.sandbox_ended_at = clock.utcnow()
        table.sandbox_old_streams[table.latest_stream_label] = shard
        table.stream_specification = {"StreamEnabled": False}
        table.stream_shard = None

    def stream_of(self, arn: str) -> tuple[Any, Any, str]:
        """(table, shard, status) of a stream ARN, or ResourceNotFoundException."""
        try:
            table_name = arn.split(":", 6)[5].split("/")[1]
            label = arn.split("/stream/", 1)[1]
            table = self.get_table(table_name)
        except Exception:
            raise NotFound(f"Requested resource not found: Stream: {arn} not found") from None
        if label == table.latest_stream_label and table.stream_shard is not None:
            return table, table.stream_shard, "ENABLED"
        if label in table.sandbox_old_streams:
            return table, table.sandbox_old_streams[label], "DISABLED"
        raise NotFound(f"Requested resource not found: Stream: {arn} not found")

    # -- TTL -----------------------------------------------------------------------------------
    def update_time_to_live(self, table_name: str, ttl_spec: dict[str, Any]) -> None:
        table = self.get_table(table_name)
        status = (table.ttl or {}).get("TimeToLiveStatus")
        if ttl_spec.get("Enabled") and status == "ENABLED":
            raise InvalidInput("TimeToLive is already enabled")
        if not ttl_spec.get("Enabled") and status in (None, "DISABLED"):
            raise InvalidInput("TimeToLive is already disabled")
        if not ttl_spec.get("Enabled") and ttl_spec.get("AttributeName") != table.ttl.get("AttributeName"):
            raise InvalidInput("TimeToLive is enabled on a different attribute name: "
                               f"{table.ttl.get('AttributeName')}")
        super().update_time_to_live(table_name, ttl_spec)

    def expire_items(self, now: float) -> int:
        """Delete the items whose TTL attribute (epoch seconds) is past, as DynamoDB's TTL process does."""
        removed = 0
        for table in list(self.tables.values()):
            ttl = getattr(table, "ttl", None) or {}
            attribute = ttl.get("AttributeName")
            if ttl.get("TimeToLiveStatus") != "ENABLED" or not attribute:
                continue
            _adopt(table)
            expired = []
            for item in list(table.all_items()):
                value = item.attrs.get(attribute)
                if value is None or value.type != "N":
                    continue  # AWS ignores TTL attributes that are not numbers
                try:
                    moment = float(value.value)
                except ValueError:
                    continue
                if moment < now:
                    expired.append(item)
            shard = table.stream_shard
            for item in expired:
                if shard is not None:
                    shard.removing_as_service = True
                try:
                    table.delete_item(item.hash_key, item.range_key if table.range_key_attr else None)
                    kinesis_destination.record_change(table, item.to_json()["Attributes"], None, user_identity={
                        "type": "Service", "principalId": TTL_IDENTITY["PrincipalId"]})
                finally:
                    if shard is not None:
                        shard.removing_as_service = False
                removed += 1
        return removed


# -- DynamoDB Streams ----------------------------------------------------------------------------------

def _tables(request: Request) -> SandboxDynamoDBBackend:
    return moto_coupling.backend_for("dynamodb", request.account_id, request.region)


def _streams(request: Request) -> Any:
    return moto_coupling.backend_for("dynamodbstreams", request.account_id, request.region)


def _shard_json(shard: Any) -> dict[str, Any]:
    result = shard.to_json()
    if getattr(shard, "ended", False):
        last = shard.starting_sequence_number + max(len(shard.items) - 1, 0)
        result["SequenceNumberRange"]["EndingSequenceNumber"] = str(last)
    return result


def _describe_stream(request: Request) -> dict[str, Any]:
    arn = str(request.get("StreamArn") or "")
    table, shard, status = _tables(request).stream_of(arn)
    return {"StreamDescription": {
        "StreamArn": arn, "StreamLabel": arn.split("/stream/", 1)[1], "StreamStatus": status,
        "StreamViewType": shard.view_type, "CreationRequestDateTime": shard.created_on,
        "TableName": table.name, "KeySchema": table.schema, "Shards": [_shard_json(shard)]}}


def _list_streams(request: Request) -> dict[str, Any]:
    name = request.get("TableName")
    found = []
    for table in list(_tables(request).tables.values()):
        if name is not None and table.name != name:
            continue
        _adopt(table)
        labels = list(table.sandbox_old_streams)
        if table.stream_shard is not None and table.latest_stream_label:
            labels.append(table.latest_stream_label)
        for label in labels:
            found.append({"StreamArn": f"{table.table_arn}/stream/{label}", "TableName": table.name,
                          "StreamLabel": label})
    if name is not None and name not in _tables(request).tables:
        raise NotFound(f"Requested resource not found: Table: {name} not found")
    return {"Streams": found}


ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


def _get_shard_iterator(request: Request) -> dict[str, Any]:
    arn = str(request.get("StreamArn") or "")
    _, shard, _ = _tables(request).stream_of(arn)
    shard_id, kind = request.get("ShardId"), request.get("ShardIteratorType")
    if shard_id != shard.id:
        raise NotFound(f"Requested resource not found: Shard: {shard_id} in Stream: {arn} not found")
    if kind not in ITERATOR_TYPES:
        raise InvalidInput(f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to satisfy "
                           f"constraint: Member must satisfy enum value set: [{', '.join(ITERATOR_TYPES)}]")
    sequence = None
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        raw = request.get("SequenceNumber")
        if raw in (None, ""):
            raise InvalidInput(f"Must provide SequenceNumber for iterator type {kind}")
        try:
            sequence = int(str(raw))
        except ValueError:
            raise InvalidInput(f"Invalid SequenceNumber: {raw}") from None
        last = shard.starting_sequence_number + len(shard.items) - 1
        if not shard.starting_sequence_number <= sequence <= last:
            raise InvalidInput(f"Invalid SequenceNumber {raw} for shard {shard.id}: the shard holds "
                               f"{shard.starting_sequence_number} to {last}" if shard.items else
                               f"Invalid SequenceNumber {raw} for shard {shard.id}: the shard has no records yet")
    streams = _streams(request)
    iterator = ShardIterator(streams, shard, kind, sequence)
    streams.shard_iterators[iterator.arn] = iterator
    return {"ShardIterator": iterator.arn}


def _get_records(request: Request) -> dict[str, Any]:
    token = str(request.get("ShardIterator") or "")
    limit = request.get("Limit")
    if limit is not None and not 1 <= int(limit) <= 1000:
        raise InvalidInput(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                           "Member must have value less than or equal to 1000")
    streams = _streams(request)
    iterator = streams.shard_iterators.get(token)
    if iterator is None:
        if "/stream/" in token and "|" in token:
            raise ServiceError("Iterator expired or unknown: get a new one with GetShardIterator",
                               code="ExpiredIteratorException")
        raise InvalidInput("Invalid ShardIterator")
    result = iterator.get(int(limit or 1000))
    shard = iterator.stream_shard
    if getattr(shard, "ended", False):
        following = streams.shard_iterators.get(result["NextShardIterator"])
        read_to = following.sequence_number if following is not None else 0
        if read_to >= shard.starting_sequence_number + len(shard.items):
            streams.shard_iterators.pop(result.pop("NextShardIterator"), None)  # a closed shard read to its end
    return result


# -- PartiQL ------------------------------------------------------------------------------------------

def _execute_statement(request: Request) -> dict[str, Any]:
    return statements.execute_statement(_tables(request), request.params)


def _batch_execute_statement(request: Request) -> dict[str, Any]:
    return statements.batch_execute_statement(_tables(request), request.params)


def _execute_transaction(request: Request) -> dict[str, Any]:
    return statements.execute_transaction(_tables(request), request.params)


# -- TTL ------------------------------------------------------------------------------------------------

def _expire_items() -> None:
    now = clock.epoch_seconds()
    for _, _, backend in list(moto_coupling.backend_dict("dynamodb").iter_backends()):
        if isinstance(backend, SandboxDynamoDBBackend):
            try:
                backend.expire_items(now)
            except Exception:
                log.exception("TTL deletion failed")


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("dynamodb", SandboxDynamoDBBackend)
    moto_coupling.check_requests("dynamodb", "DynamoHandler", expressions.OPERATIONS,
                                 lambda operation, request: expressions.check_request(operation, request.params))
    moto_coupling.check_requests("dynamodb", "DynamoHandler", ("transact_write_items",),
                                 lambda operation, request: transactions.check_token(_tables(request), request))
    moto_coupling.set_dynamodb_transaction_limit(100)  # TransactGetItems takes 100 items, as TransactWriteItems
    for operation, handler in (("describe_stream", _describe_stream), ("list_streams", _list_streams),
                               ("get_shard_iterator", _get_shard_iterator), ("get_records", _get_records)):
        moto_coupling.add_operation("dynamodbstreams", "DynamoDBStreamsHandler", operation, handler)
    for operation, handler in (("execute_statement", _execute_statement),
                               ("batch_execute_statement", _batch_execute_statement),
                               ("execute_transaction", _execute_transaction)):
        moto_coupling.add_operation("dynamodb", "DynamoHandler", operation, handler)
    exports.install()
    kinesis_destination.install()
    cloud.every(float(os.environ.get("SANDBOX_DYNAMODB_TTL_SECONDS", "5")), _expire_items, name="dynamodb-ttl")
