"""Feature Store's record rules and offline store files, on plain values (no moto, no boto3).

A feature group's features are ``Integral``, ``Fractional`` or ``String``; records arrive as
``ValueAsString``. :func:`record_problem` checks a record as PutRecord does; :func:`event_seconds`
reads an event time (ISO-8601 ``yyyy-MM-ddTHH:mm:ss[.SSS]Z`` for a String feature, Unix seconds for a
Fractional one); :func:`parquet_file` writes offline store rows as AWS's Glue-format offline store
does (the features, then ``write_time``, ``api_invocation_time`` and ``is_deleted``) and
:func:`glue_table_input` is the Glue table over them.
"""

from __future__ import annotations

import io
import math
import re
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

RESERVED_FEATURES = ("write_time", "api_invocation_time", "is_deleted")
FEATURE_TYPES = ("Integral", "Fractional", "String")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
_ARROW_TYPES = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}
_GLUE_TYPES = {"Integral": "bigint", "Fractional": "double", "String": "string"}


def event_seconds(feature_type: str, text: str) -> float | None:
    """The event time as Unix seconds, or None when ``text`` is not one for a feature of that type."""
    if feature_type == "Fractional":
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) and value >= 0 else None
    if not _ISO_TIME.match(text):
        return None
    whole, _, fraction = text[:-1].partition(".")
    try:
        moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return moment.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def value_problem(feature_type: str, text: str) -> str | None:
    """Why ``text`` is no value of a feature of ``feature_type`` (None when it is one)."""
    if feature_type == "Integral":
        if not re.fullmatch(r"[+-]?\d+", text.strip()) or not -2**63 <= int(text) < 2**63:
            return "is not a valid Integral (a 64-bit whole number)"
    elif feature_type == "Fractional":
        try:
            float(text)
        except ValueError:
            return "is not a valid Fractional (a 64-bit floating point number)"
    return None


def typed_value(feature_type: str, text: str | None) -> Any:
    if text is None:
        return None
    if feature_type == "Integral":
        return int(text)
    if feature_type == "Fractional":
        return float(text)
    return text


def parquet_file(definitions: list[dict[str, str]], rows: list[dict[str, Any]]) -> bytes:
    """One Parquet file of offline store rows: ``rows`` map feature names to ``ValueAsString`` (missing ones
    are null) plus ``write_time``/``api_invocation_time`` (Unix seconds) and ``is_deleted``."""
    columns: dict[str, pa.Array] = {}
    fields = []
    for definition in definitions:
        name, kind = definition["FeatureName"], definition["FeatureType"]
        fields.append(pa.field(name, _ARROW_TYPES[kind]))
        columns[name] = pa.array([typed_value(kind, row.get(name)) for row in rows], type=_ARROW_TYPES[kind])
    stamp = pa.timestamp("ms")  # Glue's timestamp: UTC without a zone
    for name in ("write_time", "api_invocation_time"):
        fields.append(pa.field(name, stamp))
        columns[name] = pa.array([datetime.fromtimestamp(row[name], timezone.utc).replace(tzinfo=None)
                                  for row in rows], type=stamp)
    fields.append(pa.field("is_deleted", pa.bool_()))
    columns["is_deleted"] = pa.array([bool(row.get("is_deleted")) for row in rows], type=pa.bool_())
    table = pa.table([columns[f.name] for f in fields], schema=pa.schema(fields))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def partition_path(seconds: float) -> str:
    """``year=/month=/day=/hour=`` of an event time, as the offline store lays files out."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("year=%Y/month=%m/day=%d/hour=%H")


def glue_table_input(table: str, definitions: list[dict[str, str]], location: str,
                     feature_group: str) -> dict[str, Any]:
    """The Glue ``TableInput`` of a feature group's offline store (Parquet under ``location``)."""
    columns = [{"Name": d["FeatureName"], "Type": _GLUE_TYPES[d["FeatureType"]]} for d in definitions]
    columns += [{"Name": "write_time", "Type": "timestamp"}, {"Name": "api_invocation_time", "Type": "timestamp"},
                {"Name": "is_deleted", "Type": "boolean"}]
    return {
        "Name": table, "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE",
                       "sagemaker_featurestore.feature_group": feature_group},
        "StorageDescriptor": {
            "Columns": columns, "Location": location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                          "Parameters": {"serialization.format": "1"}},
        },
    }
