"""Firehose on moto, with real buffering and delivery (see :mod:`emulators.firehose.delivery`).

Records a PutRecord(Batch) acknowledges are appended to a journal file (fsynced)
before the call returns, and removed only after the object holding them is in
S3, so a restart loses nothing: the journal is read back into the buffer.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling, ports
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.storage import write_atomically
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud
from emulators.firehose import delivery, encryption
from emulators.firehose.transform import transform
from emulators.firehose.validation import invalid, processors, validate_s3_destination

log = logging.getLogger("emulators.firehose")
FirehoseBackend = moto_coupling.backend_class("firehose")
MB = 1024 * 1024


@dataclass
class _Buffer:
    records: list[tuple[bytes, int]] = field(default_factory=list)  # (data, arrival ms)
    size: int = 0
    first_arrival: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    flushing: threading.Lock = field(default_factory=threading.Lock)


_buffers: dict[tuple[str, str, str], _Buffer] = {}
_buffers_lock = threading.Lock()


def _buffer(key: tuple[str, str, str]) -> _Buffer:
    with _buffers_lock:
        return _buffers.setdefault(key, _Buffer())


def _journal(key: tuple[str, str, str]) -> Path:
    folder = current_cloud().data_dir("firehose") / "buffers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key[0]}__{key[1]}__{key[2]}.jsonl"


def _destination(stream: Any) -> tuple[str, dict[str, Any]]:
    for name in ("ExtendedS3", "S3", "Redshift", "HttpEndpoint", "Elasticsearch", "Snowflake", "Splunk"):
        if name in stream.destinations[0]:
            return name, stream.destinations[0][name]
    return "unknown", {}


def _s3_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    if kind in ("ExtendedS3", "S3"):
        return config
    return config.get("S3DestinationDescription") or config.get("S3Configuration") or {}


def _hints(kind: str, config: dict[str, Any]) -> tuple[int, float]:
    hints = _s3_config(kind, config).get("BufferingHints") or config.get("BufferingHints") or {}
    return int(hints.get("SizeInMBs", 5)) * MB, float(hints.get("IntervalInSeconds", 300))


MAX_RECORD = 1000 * 1024
MAX_BATCH = 4 * MB
class SandboxFirehoseBackend(FirehoseBackend):  # type: ignore[misc, valid-type]
    def put_record(self, delivery_stream_name: str, record: dict[str, Any]) -> dict[str, Any]:
        if len(_data_of(record)) > MAX_RECORD:
            raise InvalidInput("1 validation error detected: Value at 'record.data' failed to satisfy "
                               f"constraint: Member must have length less than or equal to {MAX_RECORD}")
        result = super().put_record(delivery_stream_name, record)
        result["Encrypted"] = encryption.is_encrypted(self.delivery_streams[delivery_stream_name])
        return result

    def describe_delivery_stream(self, delivery_stream_name: str) -> dict[str, Any]:
        import copy

        result = delivery.with_s3_defaults(copy.deepcopy(super().describe_delivery_stream(delivery_stream_name)))
        description = result["DeliveryStreamDescription"]
        description["DeliveryStreamEncryptionConfiguration"] = encryption.described(
            description.get("DeliveryStreamEncryptionConfiguration"))
        source = (description.get("Source") or {}).get("KinesisStreamSourceDescription")
        if source is not None:  # reading starts when the stream is created (LATEST)
            source.setdefault("DeliveryStartTimestamp", description.get("CreateTimestamp"))
        return result

    def start_delivery_stream_encryption(self, stream_name: str, encryption_config: dict[str, Any]) -> None:
        stream = self._stream(stream_name)
        stored = encryption.check_configuration(self.account_id, self.region_name, stream.delivery_stream_type,
                                                encryption_config or {})
        encryption.count_call(stream)
        stream.delivery_stream_encryption_configuration = stored

    def stop_delivery_stream_encryption(self, stream_name: str) -> None:
        stream = self._stream(stream_name)
        encryption.count_call(stream)
        current = dict(stream.delivery_stream_encryption_configuration or {})
        stream.delivery_stream_encryption_configuration = {**current, "Status": "DISABLED"}

    def _stream(self, name: str) -> Any:
        stream = self.delivery_streams.get(name)
        if stream is None:
            raise NotFound(f"Firehose {name} under account {self.account_id} not found.")
        return stream

    def update_destination(self, delivery_stream_name: str, *args: Any, **kwargs: Any) -> None:
        import copy

        stream = self.delivery_streams.get(delivery_stream_name)
        saved = (copy.deepcopy(stream.destinations), stream.version_id) if stream is not None else None
        super().update_destination(delivery_stream_name, *args, **kwargs)
        if stream is None or saved is None:
            return
        kind, config = _destination(stream)
        try:
            if kind in ("ExtendedS3", "S3"):
                validate_s3_destination(config, "extendedS3DestinationUpdate")
        except moto_coupling.AwsError:
            stream.destinations, stream.version_id = saved
            raise

    def put_record_batch(self, delivery_stream_name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        stream = self.delivery_streams.get(delivery_stream_name)
        if stream is None:
            raise NotFound(f"Firehose {delivery_stream_name} under account {self.account_id} not found.")
        if stream.delivery_stream_type == "KinesisStreamAsSource":
            raise InvalidInput(f"This operation is not permitted on KinesisStreamAsSource delivery stream type.",
                               code="InvalidArgumentException")
        if len(records) > 500:
            raise InvalidInput("Records must contain at most 500 records per PutRecordBatch call",
                               code="InvalidArgumentException")
        kind, _ = _destination(stream)
        if kind not in ("ExtendedS3", "S3", "Redshift"):
            raise InvalidInput(f"{kind} destinations are not emulated by the sandbox (S3 and Redshift are)",
                               code="InvalidArgumentException")
        datas = [_data_of(r) for r in records]
        for i, data in enumerate(datas, start=1):
            if len(data) > MAX_RECORD:
                raise InvalidInput(f"1 validation error detected: Value at 'records.{i}.member.data' failed "
                                   f"to satisfy constraint: Member must have length less than or equal to "
                                   f"{MAX_RECORD}")
        if sum(len(d) for d in datas) > MAX_BATCH:
            raise invalid(f"Records size exceeds the 4 MiB limit of a PutRecordBatch call "
                           f"({sum(len(d) for d in datas)} bytes)")
        accept(self.account_id, self.region_name, delivery_stream_name, datas)
        return {"FailedPutCount": 0, "Encrypted": encryption.is_encrypted(stream),
                "RequestResponses": [{"RecordId": uuid.uuid4().hex + uuid.uuid4().hex} for _ in datas]}

    def create_delivery_stream(self, region: str, delivery_stream_name: str, *args: Any, **kwargs: Any) -> Any:
        # moto passes (type, kinesis source, encryption, S3, ExtendedS3, Redshift, ...) positionally
        s3_config = args[3] if len(args) > 3 else kwargs.get("s3_destination_configuration")
        extended = args[4] if len(args) > 4 else kwargs.get("extended_s3_destination_configuration")
        if extended:
            validate_s3_destination(extended)
        elif s3_config:
            validate_s3_destination(s3_config, "s3DestinationConfiguration")
        sse = args[2] if len(args) > 2 else kwargs.get("delivery_stream_encryption_configuration_input")
        stored = encryption.check_configuration(self.account_id, self.region_name, (args[0] if args else kwargs.get(
            "delivery_stream_type")) or "DirectPut", sse) if sse else None
        result = super().create_delivery_stream(region, delivery_stream_name, *args, **kwargs)
        stream = self.delivery_streams[delivery_stream_name]
        if stored:
            stream.delivery_stream_encryption_configuration = stored
        if stream.delivery_stream_type == "KinesisStreamAsSource" and stream.source:
            # as on AWS, a Kinesis source is read from LATEST: records put before now are not delivered
            arn = stream.source.get("KinesisStreamARN", "")
            kinesis = moto_coupling.backend_for("kinesis", self.account_id, self.region_name)
            try:
                source = kinesis.describe_stream(stream_arn=arn, stream_name=arn.rsplit("/", 1)[-1])
            except Exception:
                raise InvalidInput(f"Kinesis stream {arn} does not exist", code="InvalidArgumentException") from None
            key = (self.account_id, self.region_name, delivery_stream_name)
            positions = {shard_id: str(max(shard.records)) for shard_id, shard in source.shards.items()
                         if shard.records}
            _source_positions[key] = positions
            write_atomically(_positions_file(key), json.dumps(positions).encode())
        return result

    def delete_delivery_stream(self, delivery_stream_name: str, *args: Any, **kwargs: Any) -> None:
        super().delete_delivery_stream(delivery_stream_name, *args, **kwargs)
        key = (self.account_id, self.region_name, delivery_stream_name)
        with _buffers_lock:
            _buffers.pop(key, None)
        _journal(key).unlink(missing_ok=True)


def _data_of(record: dict[str, Any]) -> bytes:
    data = record.get("Data", b"")
    if isinstance(data, str):
        return base64.b64decode(data)
    return bytes(data)


def accept(account: str, region: str, name: str, datas: list[bytes]) -> None:
    """Buffer records durably; flush at once when the size hint is reached."""
    key = (account, region, name)
    buffer = _buffer(key)
    now_ms = int(time.time() * 1000)
    lines = "".join(json.dumps({"d": base64.b64encode(d).decode(), "t": now_ms}) + "\n" for d in datas)
    with buffer.lock:
        with open(_journal(key), "a") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())
        buffer.records.extend((d, now_ms) for d in datas)
        buffer.size += sum(len(d) for d in datas)
        if buffer.first_arrival is None:
            buffer.first_arrival = time.monotonic()
        size = buffer.size
    stream = moto_coupling.backend_for("firehose", account, region).delivery_streams.get(name)
    if stream is not None:
        size_limit, _ = _hints(*_destination(stream))
        if size >= size_limit:
            current_cloud().submit(flush, account, region, name)


def _due(buffer: _Buffer, stream: Any) -> bool:
    """The buffer has reached its size hint or held its oldest record for the interval."""
    size_limit, interval = _hints(*_destination(stream))
    with buffer.lock:
        if buffer.size >= size_limit:
            return True
        return buffer.first_arrival is not None and time.monotonic() - buffer.first_arrival >= interval


def flush(account: str, region: str, name: str, force: bool = False) -> int:
    """Deliver what the buffer holds if it is still due (or ``force``); returns the records delivered.

    The due check is made again once the flush has the buffer to itself: a flush decided while
    another was delivering must not send the records that arrived since as an early object.
    """
    key = (account, region, name)
    buffer = _buffer(key)
    with buffer.flushing:
        backend = moto_coupling.backend_for("firehose", account, region)
        stream = backend.delivery_streams.get(name)
        if stream is None or not (force or _due(buffer, stream)):
            return 0
        with buffer.lock:
            records = list(buffer.records)
        if not records:
            return 0
        try:
            _deliver(account, region, stream, records)
        except Exception:
            log.exception("delivery of %d records from %s failed; they stay buffered", len(records), name)
            return 0
        with buffer.lock:
            buffer.records = buffer.records[len(records):]
            buffer.size = sum(len(d) for d, _ in buffer.records)
            buffer.first_arrival = time.monotonic() if buffer.records else None
            remaining = "".join(json.dumps({"d": base64.b64encode(d).decode(), "t": t}) + "\n"
                                for d, t in buffer.records)
            write_atomically(_journal(key), remaining.encode())
        return len(records)


def _deliver(account: str, region: str, stream: Any, records: list[tuple[bytes, int]]) -> None:
    kind, config = _destination(stream)
    s3_conf = _s3_config(kind, config)
    bucket = s3_conf["BucketARN"].split(":")[-1]
    now = delivery.batch_moment(records, s3_conf.get("CustomTimeZone"))
    access = s3_access(account)
    compression = s3_conf.get("CompressionFormat", "UNCOMPRESSED") or "UNCOMPRESSED"
    errors: dict[str, list[bytes]] = {}
    groups: dict[str, list[tuple[bytes, int]]] = {}
    dynamic = (config.get("DynamicPartitioningConfiguration") or {}).get("Enabled", False)
    query = _metadata_query(config) if dynamic else None
    steps = processors(config)
    lambdas = [p for p in steps if p.get("Type") == "Lambda"]
    lambda_keys: list[dict[str, str] | None] = [None] * len(records)
    if lambdas:
        transformed, failed = transform(account, region, stream, lambdas[0], records)
        records = [(data, arrival) for data, arrival, _ in transformed]
        lambda_keys = [keys for _, _, keys in transformed]
        if failed:
            errors.setdefault("processing-failed", []).extend(failed)
    delimiter = None
    for processor in steps:
        if processor.get("Type") == "AppendDelimiterToRecord":
            value = next((q.get("ParameterValue") for q in processor.get("Parameters") or []
                          if q.get("ParameterName") == "Delimiter"), "\\n")
            delimiter = value.encode().decode("unicode_escape").encode()
    for (data, arrival), from_lambda in zip(records, lambda_keys):
        try:
            keys = delivery.extract_keys(json.loads(data), query) if dynamic and query else None
            prefix = delivery.render_prefix(s3_conf.get("Prefix"), now, keys, lambda_keys=from_lambda)
        except (delivery.DeliveryError, ValueError) as exc:
            code = getattr(exc, "code", "partitioning-failed")
            errors.setdefault(code, []).append(delivery.error_record(data, "DynamicPartitioning.MetadataExtractionFailed",
                                                                     str(exc), arrival))
            continue
        groups.setdefault(prefix, []).append((data, arrival))

    conversion = config.get("DataFormatConversionConfiguration") or {}
    columns = _conversion_columns(account, region, conversion) if conversion.get("Enabled") else None
    written: list[str] = []
    for prefix, group in groups.items():
        if columns is not None:
            output = conversion.get("OutputFormatConfiguration", {}).get("Serializer", {})
            deserializer = (conversion.get("InputFormatConfiguration") or {}).get("Deserializer")
            if "OrcSerDe" in output:
                codec = (output.get("OrcSerDe") or {}).get("Compression", "SNAPPY")
                body, bad = delivery.to_orc([d for d, _ in group], columns, codec, deserializer)
                suffix = ".orc"
            else:
                codec = (output.get("ParquetSerDe") or {}).get("Compression", "SNAPPY")
                body, bad = delivery.to_parquet([d for d, _ in group], columns, codec, deserializer)
                suffix = ".parquet"
            for raw, reason in bad:
                arrival = next(t for d, t in group if d is raw)
                errors.setdefault("format-conversion-failed", []).append(
                    delivery.error_record(raw, "DataFormatConversion.MalformedData", reason, arrival))
            if body is None:
                continue
            key = prefix + delivery.object_name(stream.delivery_stream_name, stream.version_id, now,
                                                s3_conf.get("FileExtension") or suffix)
        else:
            name = delivery.object_name(stream.delivery_stream_name, stream.version_id, now)
            joined = b"".join(d + delimiter if delimiter else d for d, _ in group)
            body, suffix = delivery.compress(joined, compression, member_name=name)
            key = prefix + name + (s3_conf.get("FileExtension") or suffix)
        access.put(bucket, key, body)
        written.append(key)
    for code, lines in errors.items():
        error_prefix = delivery.render_prefix(s3_conf.get("ErrorOutputPrefix") or f"{code}/", now, error_type=code)
        key = error_prefix + delivery.object_name(stream.delivery_stream_name, stream.version_id, now)
        access.put(bucket, key, b"".join(lines))
    if kind == "Redshift":
        for key in written:
            _copy_into_redshift(account, region, config, f"s3://{bucket}/{key}")


def _metadata_query(config: dict[str, Any]) -> str | None:
    for processor in (config.get("ProcessingConfiguration") or {}).get("Processors", []):
        if processor.get("Type") == "MetadataExtraction":
            for parameter in processor.get("Parameters", []):
                if parameter.get("ParameterName") == "MetadataExtractionQuery":
                    return parameter.get("ParameterValue")
    return None


def _conversion_columns(account: str, region: str, conversion: dict[str, Any]) -> list[tuple[str, str]]:
    """The columns of the Glue table a format conversion writes (read through the ``glue_catalog`` port)."""
    schema = conversion.get("SchemaConfiguration") or {}
    catalog = ports.glue_catalog(account, schema.get("Region") or region)
    table = catalog.get_table(schema["DatabaseName"], schema["TableName"])
    if table is None:  # the records stay buffered and delivery is tried again
        raise LookupError(f"Glue table {schema['DatabaseName']}.{schema['TableName']} of the record format "
                          "conversion does not exist")
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def _copy_into_redshift(account: str, region: str, config: dict[str, Any], s3_uri: str) -> None:
    url = config.get("ClusterJDBCURL", "")
    host = url.split("//", 1)[-1].split("/", 1)[0]
    cluster = host.split(".", 1)[0].split(":", 1)[0]
    database = url.rsplit("/", 1)[-1] if "/" in url.split("//", 1)[-1] else "dev"
    copy = config.get("CopyCommand") or {}
    columns = f" ({copy['DataTableColumns']})" if copy.get("DataTableColumns") else ""
    options = copy.get("CopyOptions") or "JSON 'auto'"
    ports.redshift_sql(account, region, cluster, database,
                       f"COPY {copy['DataTableName']}{columns} FROM '{s3_uri}' {options}")


# -- periodic work ---------------------------------------------------------------------

def _flush_due() -> None:
    for (account, region, name), buffer in list(_buffers.items()):
        if buffer.first_arrival is None:
            continue
        stream = moto_coupling.backend_for("firehose", account, region).delivery_streams.get(name)
        if stream is None:
            continue
        if _due(buffer, stream):
            flush(account, region, name)


_source_positions: dict[tuple[str, str, str], dict[str, str]] = {}


def _poll_kinesis_sources() -> None:
    """Delivery streams with a Kinesis stream as source read new records from its shards."""
    for account, region, backend in list(moto_coupling.backend_dict("firehose").iter_backends()):
        for name, stream in list(backend.delivery_streams.items()):
            if stream.delivery_stream_type != "KinesisStreamAsSource" or not stream.source:
                continue
            source_arn = stream.source.get("KinesisStreamARN", "")
            kinesis = moto_coupling.backend_for("kinesis", account, region)
            stream_name = source_arn.rsplit("/", 1)[-1]
            try:
                source = kinesis.describe_stream(stream_arn=source_arn, stream_name=stream_name)
            except Exception:
                continue
            key = (account, region, name)
            positions = _source_positions.setdefault(key, _load_positions(key))
            fresh: list[bytes] = []
            for shard_id, shard in source.shards.items():
                last = positions.get(shard_id)
                for record in shard.records.values():
                    if last is None or int(record.sequence_number) > int(last):
                        fresh.append(base64.b64decode(record.data))
                        positions[shard_id] = record.sequence_number
            if fresh:
                accept(account, region, name, fresh)
                write_atomically(_positions_file(key), json.dumps(positions).encode())


def _positions_file(key: tuple[str, str, str]) -> Path:
    folder = current_cloud().data_dir("firehose") / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key[0]}__{key[1]}__{key[2]}.json"


def _load_positions(key: tuple[str, str, str]) -> dict[str, str]:
    path = _positions_file(key)
    return json.loads(path.read_text()) if path.exists() else {}


def _reload_journals() -> None:
    folder = current_cloud().data_dir("firehose") / "buffers"
    for path in folder.glob("*.jsonl") if folder.exists() else []:
        account, region, name = path.stem.split("__", 2)
        buffer = _buffer((account, region, name))
        for line in path.read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                data = base64.b64decode(item["d"])
                buffer.records.append((data, item["t"]))
                buffer.size += len(data)
        if buffer.records:
            buffer.first_arrival = time.monotonic()


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("firehose", SandboxFirehoseBackend)
    ports.accept_firehose_records.provide(accept)
    cloud.after_restore(_reload_journals)
    cloud.every(0.5, _flush_due, name="firehose-buffers")
    cloud.every(1.0, _poll_kinesis_sources, name="firehose-kinesis-sources")
    cloud.on_reset(lambda: _buffers.clear())
