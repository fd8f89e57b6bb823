"""What Firehose does with a buffer of records: prefixes, partitioning, compression, Parquet.

Plain functions over bytes and dicts (no boto3, no moto): the provider decides
when to flush and where the bytes go.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# Java DateTimeFormatter letters -> strftime (padded forms; a single M/d/H/m/s is printed unpadded)
JAVA_TO_STRFTIME = {"yyyy": "%Y", "uuuu": "%Y", "YYYY": "%Y", "yy": "%y", "uu": "%y", "MMMM": "%B", "MMM": "%b",
                    "MM": "%m", "dd": "%d", "HH": "%H", "hh": "%I", "mm": "%M", "ss": "%S", "a": "%p", "EEEE": "%A",
                    "EEE": "%a", "E": "%a", "DDD": "%j", "Z": "%z", "z": "%Z"}
UNPADDED = {"M": "month", "d": "day", "H": "hour", "m": "minute", "s": "second", "y": "year"}
EXPRESSION = re.compile(r"!\{([\w-]+):([^}]*)\}")


class DeliveryError(Exception):
    """A record could not be delivered; ``code`` is the error-output type."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _java_format(pattern: str, moment: datetime) -> str:
    """A Java DateTimeFormatter pattern (what ``!{timestamp:...}`` takes): letter runs are fields,
    ``'...'`` is literal text (``''`` a quote), anything else is copied."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = pattern.find("'", i + 1)
            if end == i + 1:  # '' is one quote
                out.append("'")
                i += 2
                continue
            end = len(pattern) if end < 0 else end
            out.append(pattern[i + 1:end])
            i = end + 1
            continue
        if char.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == char:
                j += 1
            run = pattern[i:j]
            if run in JAVA_TO_STRFTIME:
                out.append(moment.strftime(JAVA_TO_STRFTIME[run]))
            elif run == "SSS":
                out.append(f"{moment.microsecond // 1000:03d}")
            elif run in UNPADDED:
                out.append(str(getattr(moment, UNPADDED[run])))
            else:
                raise DeliveryError("partitioning-failed", f"unsupported date-time pattern letters {run!r}")
            i = j
            continue
        out.append(char)
        i += 1
    return "".join(out)


def batch_moment(records: list[tuple[bytes, int]], time_zone: str | None = None) -> datetime:
    """The time ``!{timestamp:...}``, the default prefix and object names use: the approximate arrival of the
    oldest record (Firehose's rule), in the destination's CustomTimeZone (UTC by default)."""
    moment = datetime.fromtimestamp(min(t for _, t in records) / 1000, tz=timezone.utc) if records \
        else datetime.now(timezone.utc)
    if time_zone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            moment = moment.astimezone(ZoneInfo(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return moment


def render_prefix(template: str | None, moment: datetime, keys: dict[str, str] | None = None,
                  error_type: str | None = None, lambda_keys: dict[str, str] | None = None) -> str:
    """The S3 prefix for one object: Firehose's namespaces, or ``YYYY/MM/DD/HH/`` by default."""
    template = template or ""
    has_expression = bool(EXPRESSION.search(template))

    def replace(match: re.Match) -> str:
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            return _java_format(value, moment)
        if namespace == "partitionKeyFromQuery":
            if keys is None or value not in keys:
                raise DeliveryError("partitioning-failed", f"no partition key {value!r} for this record")
            return keys[value]
        if namespace == "firehose" and value == "error-output-type":
            return error_type or ""
        if namespace == "firehose" and value == "random-string":
            return uuid.uuid4().hex[:11]
        if namespace == "partitionKeyFromLambda":
            if lambda_keys is None or value not in lambda_keys:
                raise DeliveryError("partitioning-failed", f"the Lambda function returned no partition key {value!r} "
                                                           "(metadata.partitionKeys) for this record")
            return lambda_keys[value]
        raise DeliveryError("partitioning-failed", f"unknown prefix expression !{{{namespace}:{value}}}")

    rendered = EXPRESSION.sub(replace, template)
    if not has_expression:
        rendered = (rendered + ("" if not rendered or rendered.endswith("/") else "/")
                    + moment.strftime("%Y/%m/%d/%H/"))
    return rendered


S3_DESCRIPTION_DEFAULTS = {"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
                           "CompressionFormat": "UNCOMPRESSED",
                           "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"}}


def with_s3_defaults(description: dict[str, Any]) -> dict[str, Any]:
    """A DescribeDeliveryStream answer with the members AWS always reports on S3 destination descriptions
    (BufferingHints, CompressionFormat, EncryptionConfiguration: Firehose's defaults when not configured)."""
    for destination in description.get("DeliveryStreamDescription", {}).get("Destinations", []):
        for kind in ("S3DestinationDescription", "ExtendedS3DestinationDescription", "RedshiftDestinationDescription"):
            s3 = destination.get(kind)
            if kind == "RedshiftDestinationDescription":
                s3 = (s3 or {}).get("S3DestinationDescription")
            if isinstance(s3, dict):
                for member, default in S3_DESCRIPTION_DEFAULTS.items():
                    s3.setdefault(member, dict(default) if isinstance(default, dict) else default)
                s3["BufferingHints"] = {**S3_DESCRIPTION_DEFAULTS["BufferingHints"], **s3["BufferingHints"]}
    return description


def object_name(stream: str, version: str, moment: datetime, suffix: str = "") -> str:
    return f"{stream}-{version}-{moment.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}{suffix}"


# -- JQ-style partition key queries ----------------------------------------------------

def _path_value(document: Any, path: str) -> Any:
    value = document
    for part in [p for p in path.strip().lstrip(".").split(".") if p]:
        if not isinstance(value, dict) or part not in value:
            raise DeliveryError("partitioning-failed", f"field .{path.strip().lstrip('.')} is missing")
        value = value[part]
    return value


def _epoch(value: Any, stage: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DeliveryError("partitioning-failed", f"jq: {stage} needs a number of epoch seconds, got {value!r}")
    return float(value)


def _jq_stage(value: Any, stage: str) -> Any:
    """One ``| stage`` of the jq subset: tostring, tonumber, .[a:b], strftime/todate (epoch seconds, as jq 1.6),
    fromdate/fromdateiso8601, ascii_downcase/ascii_upcase, floor."""
    slice_match = re.fullmatch(r"\.\[(\d*):(\d*)\]", stage)
    strftime = re.fullmatch(r"strftime\(\s*\"((?:[^\"\\]|\\.)*)\"\s*\)", stage)
    if stage == "tostring":
        return value if isinstance(value, str) else json.dumps(value)
    if slice_match:
        start = int(slice_match.group(1) or 0)
        end = int(slice_match.group(2)) if slice_match.group(2) else None
        return str(value)[start:end]
    if strftime:
        return datetime.fromtimestamp(_epoch(value, stage), tz=timezone.utc).strftime(strftime.group(1))
    if stage == "todate":
        return datetime.fromtimestamp(_epoch(value, stage), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if stage in ("fromdate", "fromdateiso8601"):
        try:
            return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
        except ValueError:
            raise DeliveryError("partitioning-failed", f"jq: {value!r} does not match format "
                                                       "\"%Y-%m-%dT%H:%M:%SZ\"") from None
    if stage == "tonumber":
        try:
            return json.loads(str(value)) if not isinstance(value, (int, float)) else value
        except ValueError:
            raise DeliveryError("partitioning-failed", f"jq: cannot parse {value!r} as a number") from None
    if stage in ("ascii_downcase", "ascii_upcase") and isinstance(value, str):
        return value.lower() if stage == "ascii_downcase" else value.upper()
    if stage == "floor":
        return int(_epoch(value, stage) // 1)
    raise DeliveryError("partitioning-failed", f"unsupported jq stage {stage!r}")


def extract_keys(record: dict[str, Any], query: str) -> dict[str, str]:
    """Evaluate a MetadataExtractionQuery such as ``{customer: .customer_id, day: .ts | .[0:10]}``.

    Supported: an object of ``name: .path.to.field`` pairs, each followed by any number of ``| stage``
    (:func:`_jq_stage`: tostring, .[a:b], strftime("%Y") as in AWS's examples, todate, ...).
    """
    body = query.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise DeliveryError("partitioning-failed", f"unsupported metadata extraction query {query!r}")
    keys: dict[str, str] = {}
    for item in [p for p in body[1:-1].split(",") if p.strip()]:
        name, _, expression = item.partition(":")
        stages = [s.strip() for s in expression.split("|")]
        value: Any = _path_value(record, stages[0])
        for stage in stages[1:]:
            value = _jq_stage(value, stage)
        if value is None:
            raise DeliveryError("partitioning-failed", f"partition key {name.strip()} is null")
        keys[name.strip().strip('"')] = value if isinstance(value, str) else json.dumps(value)
    return keys


# -- encoding ------------------------------------------------------------------------------

ARROW_TYPES = {"string": "string", "varchar": "string", "char": "string", "int": "int32", "integer": "int32",
               "bigint": "int64", "smallint": "int16", "tinyint": "int8", "double": "float64", "float": "float32",
               "boolean": "bool", "date": "date32", "timestamp": "timestamp[ms]"}


def arrow_schema(columns: list[tuple[str, str]]) -> Any:
    import pyarrow as pa

    fields = []
    for name, hive in columns:
        base = hive.lower().split("(")[0].split("<")[0]
        kind = ARROW_TYPES.get(base, "string")
        fields.append(pa.field(name, pa.timestamp("ms") if kind == "timestamp[ms]" else getattr(pa, {
            "string": "string", "int32": "int32", "int64": "int64", "int16": "int16", "int8": "int8",
            "float64": "float64", "float32": "float32", "bool": "bool_", "date32": "date32"}[kind])()))
    return pa.schema(fields)


def json_fields(document: dict[str, Any], deserializer: dict[str, Any] | None) -> dict[str, Any]:
    """A record's JSON keys as the input deserializer reads them (the column names they fill).

    OpenXJsonSerDe: ``CaseInsensitive`` (default true), ``ConvertDotsInJsonKeysToUnderscores``,
    ``ColumnToJsonKeyMappings`` (column -> JSON key); HiveJsonSerDe matches keys case-insensitively, as Hive
    column names are lower case."""
    openx = (deserializer or {}).get("OpenXJsonSerDe")
    options = openx if isinstance(openx, dict) else {}
    fields = dict(document)
    for column, key in (options.get("ColumnToJsonKeyMappings") or {}).items():
        if key in document:
            fields[column] = document[key]
    if options.get("ConvertDotsInJsonKeysToUnderscores"):
        fields.update({k.replace(".", "_"): v for k, v in list(fields.items()) if "." in k})
    if options.get("CaseInsensitive", True):
        fields.update({k.lower(): v for k, v in list(fields.items()) if k.lower() not in fields})
    return fields


def _field(fields: dict[str, Any], name: str, case_insensitive: bool) -> Any:
    if name in fields or not case_insensitive:
        return fields.get(name)
    return fields.get(name.lower())


def _rows(records: list[bytes], columns: list[tuple[str, str]], deserializer: dict[str, Any] | None = None
          ) -> tuple[Any, list[tuple[bytes, str]]]:
    """An Arrow table of the records that fit the schema, and (record, reason) for those that do not."""
    import pyarrow as pa

    schema = arrow_schema(columns)
    openx = (deserializer or {}).get("OpenXJsonSerDe")
    case_insensitive = not isinstance(openx, dict) or openx.get("CaseInsensitive", True)
    good: list[dict[str, Any]] = []
    bad: list[tuple[bytes, str]] = []
    for raw in records:
        try:
            document = json.loads(raw)
            if not isinstance(document, dict):
                raise ValueError("the record is not a JSON object")
            fields = json_fields(document, deserializer)
            row = {f.name: _coerce(_field(fields, f.name, case_insensitive), f.type) for f in schema}
            pa.Table.from_pylist([row], schema=schema)  # every value fits its column
            good.append(row)
        except Exception as exc:
            bad.append((raw, f"{type(exc).__name__}: {exc}"))
    return (pa.Table.from_pylist(good, schema=schema) if good else None), bad


def to_parquet(records: list[bytes], columns: list[tuple[str, str]], compression: str = "SNAPPY",
           deserializer: dict[str, Any] | None = None
               ) -> tuple[bytes | None, list[tuple[bytes, str]]]:
    """Parquet bytes of the records that convert, and (record, reason) for those that do not."""
    import pyarrow.parquet as pq

    table, bad = _rows(records, columns, deserializer)
    if table is None:
        return None, bad
    buf = io.BytesIO()
    codec = {"UNCOMPRESSED": "none", "SNAPPY": "snappy", "GZIP": "gzip"}.get(compression.upper(), "snappy")
    pq.write_table(table, buf, compression=codec)
    return buf.getvalue(), bad


def to_orc(records: list[bytes], columns: list[tuple[str, str]], compression: str = "SNAPPY",
           deserializer: dict[str, Any] | None = None
           ) -> tuple[bytes | None, list[tuple[bytes, str]]]:
    """ORC bytes (OrcSerDe) of the records that convert, and (record, reason) for those that do not."""
    import pyarrow.orc as orc

    table, bad = _rows(records, columns, deserializer)
    if table is None:
        return None, bad
    buf = io.BytesIO()
    codec = {"NONE": "uncompressed", "UNCOMPRESSED": "uncompressed", "ZLIB": "zlib", "SNAPPY": "snappy"}.get(
        compression.upper(), "snappy")
    orc.write_table(table, buf, compression=codec)
    return buf.getvalue(), bad


def _coerce(value: Any, arrow_type: Any) -> Any:
    import pyarrow.types as t

    if value is None:
        return None
    if t.is_timestamp(arrow_type) and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)
    if t.is_timestamp(arrow_type) and isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=timezone.utc).replace(tzinfo=None)
    if t.is_string(arrow_type) and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    if t.is_integer(arrow_type) and isinstance(value, str):
        return int(value)
    if t.is_floating(arrow_type) and isinstance(value, str):
        return float(value)
    return value


def error_record(raw: bytes, code: str, message: str, arrival_ms: int, lambda_arn: str | None = None,
                 attempts: int = 1) -> bytes:
    """One line of Firehose's error output (JSON with the base64 raw data)."""
    document = {
        "attemptsMade": attempts,
        "arrivalTimestamp": arrival_ms,
        "errorCode": code,
        "errorMessage": message,
        "rawData": base64.b64encode(raw).decode(),
    }
    if lambda_arn is not None:  # a transformation failure also says when the last attempt ended
        document = {**{k: v for k, v in document.items() if k != "rawData"},
                    "attemptEndingTimestamp": int(time.time() * 1000), "rawData": document["rawData"],
                    "lambdaArn": lambda_arn}
    return (json.dumps(document) + "\n").encode()


@dataclass
class Batch:
    """Records grouped by the S3 prefix they will land under."""

    prefix: str
    records: list[bytes] = field(default_factory=list)


SUFFIXES = {"GZIP": ".gz", "ZIP": ".zip", "SNAPPY": ".snappy", "HADOOP_SNAPPY": ".hsnappy", "UNCOMPRESSED": ""}


def compress(body: bytes, compression: str, member_name: str = "data") -> tuple[bytes, str]:
    """The object body in the stream's CompressionFormat, and the file extension Firehose gives it."""
    kind = (compression or "UNCOMPRESSED").upper()
    if kind == "GZIP":
        return gzip.compress(body), ".gz"
    if kind == "ZIP":
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(member_name, body)
        return buf.getvalue(), ".zip"
    if kind == "SNAPPY":
        return snappy_framed(body), ".snappy"
    if kind == "HADOOP_SNAPPY":
        return hadoop_snappy(body), ".hsnappy"
    if kind != "UNCOMPRESSED":
        raise DeliveryError("compression-failed", f"unknown compression format {compression}")
    return body, ""


def _snappy_block(data: bytes) -> bytes:
    import pyarrow as pa

    return pa.compress(data, codec="snappy", asbytes=True)


_CRC32C_TABLE: list[int] = []


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), which the Snappy framing format checks each chunk with."""
    if not _CRC32C_TABLE:
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _CRC32C_TABLE.append(c)
    table = _CRC32C_TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def snappy_framed(body: bytes) -> bytes:
    """Snappy's framing format (what Firehose writes for CompressionFormat Snappy)."""
    out = bytearray(b"\xff\x06\x00\x00sNaPpY")
    for start in range(0, len(body), 65536):
        chunk = body[start:start + 65536]
        crc = crc32c(chunk)
        masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
        compressed = _snappy_block(chunk)
        kind, payload = (0x00, compressed) if len(compressed) < len(chunk) else (0x01, chunk)
        length = len(payload) + 4
        out += bytes([kind]) + length.to_bytes(3, "little") + masked.to_bytes(4, "little") + payload
    return bytes(out)


def hadoop_snappy(body: bytes, block: int = 256 * 1024) -> bytes:
    """Hadoop's block format for Snappy (CompressionFormat HADOOP_SNAPPY)."""
    out = bytearray()
    for start in range(0, len(body), block):
        chunk = body[start:start + block]
        compressed = _snappy_block(chunk)
        out += len(chunk).to_bytes(4, "big") + len(compressed).to_bytes(4, "big") + compressed
    return bytes(out)
