"""The engine's shared types: errors, the catalog protocol, query results, and Hive/Arrow/Athena types.

Also how Athena prints values (``java_double``, ``_format_value``), which results, CTAS text output
and partition folder names all use.
"""

from __future__ import annotations

import datetime
import functools
import re
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

PARQUET_IO = ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
              "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
              "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
ORC_IO = ("org.apache.hadoop.hive.ql.io.orc.OrcInputFormat", "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
          "org.apache.hadoop.hive.ql.io.orc.OrcSerde")
TEXT_IO = ("org.apache.hadoop.mapred.TextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
LAZY_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"


class QueryFailed(Exception):
    """The statement failed; the message is the query's StateChangeReason."""


class Catalog(Protocol):
    def database_exists(self, name: str) -> bool: ...
    def create_database(self, name: str, description: str | None, location: str | None) -> None: ...
    def drop_database(self, name: str) -> None: ...
    def list_databases(self) -> list[str]: ...
    def get_table(self, database: str, name: str) -> dict[str, Any] | None: ...
    def list_tables(self, database: str) -> list[str]: ...
    def create_table(self, database: str, table_input: dict[str, Any]) -> None: ...
    def delete_table(self, database: str, name: str) -> None: ...
    def get_partitions(self, database: str, name: str) -> list[dict[str, Any]]: ...
    def add_partitions(self, database: str, name: str, partitions: list[dict[str, Any]]) -> None: ...
    def delete_partition(self, database: str, name: str, values: list[str]) -> None: ...
    def changing(self) -> AbstractContextManager[None]:
        """Around one change made of several calls (replace a table with its partitions): a snapshot sees all of it
        or none of it."""
        ...


@dataclass
class QueryResult:
    columns: list[tuple[str, str]]  # (name, Athena type)
    rows: list[list[str | None]]
    statement_type: str = "DML"  # DML | DDL | UTILITY
    data_scanned_bytes: int = 0
    header: bool = True  # SELECT results start with a header row; SHOW/DESCRIBE do not
    substatement: str = "SELECT"
    written_rows: int | None = None
    written_files: list[str] = field(default_factory=list)  # s3:// URIs, for the data manifest
    scales: list[tuple[int, int]] = field(default_factory=list)  # (Precision, Scale) of DECIMAL columns, by position


@dataclass
class _ScanCounter:
    """The bytes one query opened (``DataScannedInBytes``), and the cached datasets lent to it."""

    bytes_read: int = 0
    files: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    leases: list[Any] = field(default_factory=list)
    native: bool = False  # a table is read by DuckDB's own reader (its bytes are counted by DuckDB)
    footers: int = 0  # the footers of the files read by DuckDB's reader (what a count from their metadata reads)

    def release(self) -> None:
        """Give back the cached datasets the query used (it has finished reading)."""
        leases, self.leases = self.leases, []
        for lease in leases:
            lease.release()


# -- types ------------------------------------------------------------------------

@functools.lru_cache(maxsize=512)
def arrow_type(hive: str) -> Any:
    import pyarrow as pa

    t = hive.strip().lower()
    simple = {"string": pa.string(), "varchar": pa.string(), "char": pa.string(), "int": pa.int32(),
              "integer": pa.int32(), "bigint": pa.int64(), "smallint": pa.int16(), "tinyint": pa.int8(),
              "double": pa.float64(), "float": pa.float32(), "real": pa.float32(), "boolean": pa.bool_(),
              "date": pa.date32(), "timestamp": pa.timestamp("us"), "binary": pa.binary()}
    base = re.split(r"[(<]", t, maxsplit=1)[0].strip()
    if base in simple:
        return simple[base]
    if base == "decimal":
        match = re.match(r"decimal\((\d+)\s*,\s*(\d+)\)", t)
        return pa.decimal128(int(match.group(1)), int(match.group(2))) if match else pa.decimal128(10, 0)
    if base == "array":
        return pa.list_(arrow_type(t[t.index("<") + 1:t.rindex(">")]))
    if base == "map":
        key, value = _split_top(t[t.index("<") + 1:t.rindex(">")])
        return pa.map_(arrow_type(key), arrow_type(value))
    if base == "struct":
        fields = []
        for part in _split_top(t[t.index("<") + 1:t.rindex(">")]):
            name, _, kind = part.partition(":")
            fields.append(pa.field(name.strip(), arrow_type(kind)))
        return pa.struct(fields)
    return pa.string()


def _split_top(text: str) -> list[str]:
    """``text`` split at its top-level commas (not inside <>, () or a quoted string: ``field_delimiter = ','``)."""
    parts, depth, current, quote = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def athena_type(duck_type: Any) -> str:
    t = str(duck_type).upper()
    if t.startswith("DECIMAL"):
        return "decimal"
    if t.endswith("[]"):
        return "array"
    if t.startswith("STRUCT"):
        return "row"
    if t.startswith("MAP"):
        return "map"
    return {"BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "tinyint",
            "HUGEINT": "bigint", "UBIGINT": "bigint", "UINTEGER": "bigint", "DOUBLE": "double",
            "FLOAT": "real", "VARCHAR": "varchar", "BOOLEAN": "boolean", "DATE": "date",
            "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
            "TIMESTAMP_NS": "timestamp", "TIMESTAMP_MS": "timestamp", "TIMESTAMP_S": "timestamp",
            "TIME": "time", "BLOB": "varbinary", "INTERVAL": "interval day to second",
            "UUID": "varchar", "NULL": "unknown"}.get(t, "varchar")


def hive_type_of(arrow: Any) -> str:
    import pyarrow.types as pt

    if pt.is_boolean(arrow):
        return "boolean"
    if pt.is_integer(arrow):
        return {8: "tinyint", 16: "smallint", 32: "int"}.get(arrow.bit_width, "bigint")
    if pt.is_floating(arrow):
        return "float" if arrow.bit_width == 32 else "double"
    if pt.is_decimal(arrow):
        return f"decimal({arrow.precision},{arrow.scale})"
    if pt.is_timestamp(arrow):
        return "timestamp"
    if pt.is_date(arrow):
        return "date"
    if pt.is_list(arrow):
        return f"array<{hive_type_of(arrow.value_type)}>"
    if pt.is_binary(arrow):
        return "binary"
    return "string"


def java_double(value: float) -> str:
    """A DOUBLE as Athena prints it (Java's ``Double.toString``): ``2.0``, ``0.125``, ``1.0E10``, ``1.5E-5``."""
    import math
    from decimal import Decimal

    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        return repr(value)
    digits_tuple = Decimal(repr(magnitude)).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    exponent = len(digits) + digits_tuple.exponent - 1
    return f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _java_float(value: float) -> str:
    """A REAL as Athena prints it (Java's ``Float.toString``)."""
    import numpy as np

    if value != value or value in (float("inf"), float("-inf")) or value == 0:
        return java_double(value)
    shortest = float(np.format_float_positional(np.float32(value), unique=True, trim="0"))
    return java_double(shortest)


def _format_timestamp(value: datetime.datetime) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    offset = value.utcoffset()
    if offset is None:
        return text
    if not offset:
        return text + " UTC"
    sign, minutes = ("-", -offset) if offset < datetime.timedelta(0) else ("+", offset)
    hours, rest = divmod(int(minutes.total_seconds()) // 60, 60)
    return f"{text} {sign}{hours:02d}:{rest:02d}"


def _format_interval(value: datetime.timedelta) -> str:
    """``interval day to second`` as Athena prints it: ``2 03:04:05.000``."""
    sign = "-" if value < datetime.timedelta(0) else ""
    value = abs(value)
    millis = value.microseconds // 1000
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{value.days} {hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _format_nested(value: Any) -> str:
    """A value inside an array, map or row: ``[a, b]``, ``{k=v}``, NULL as ``null``."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_format_nested(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_format_nested(k)}={_format_nested(v)}" for k, v in value.items()) + "}"
    return _format_value(value)  # type: ignore[return-value]


def _format_value(value: Any, duck_type: str = "") -> str | None:
    """A result value as Athena prints it in GetQueryResults and the result CSV."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_float(value) if duck_type == "FLOAT" else java_double(value)
    if isinstance(value, datetime.datetime):
        # Athena prints timestamps at millisecond precision: 2024-01-05 10:30:00.000 (UTC)
        return _format_timestamp(value)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, datetime.timedelta):
        return _format_interval(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return " ".join(f"{b:02x}" for b in bytes(value))
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return _format_nested(value)
    return str(value)


# ColumnInfo's Precision as Athena reports it (varchar: Integer.MAX_VALUE; integers: their decimal digits)
PRECISIONS = {"varchar": 2147483647, "char": 2147483647, "varbinary": 2147483647, "json": 2147483647,
              "tinyint": 3, "smallint": 5, "integer": 10, "bigint": 19, "double": 17, "real": 7,
              "timestamp": 3, "time": 3}


def column_precision(kind: str, declared: tuple[int, int] | None = None) -> tuple[int, int]:
    """(Precision, Scale) of a result column of Athena type ``kind`` (``declared`` for a DECIMAL)."""
    if kind == "decimal" and declared:
        return declared
    return PRECISIONS.get(kind, 0), 0


def decimal_scale(duck_type: Any) -> tuple[int, int] | None:
    match = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", str(duck_type).upper())
    return (int(match.group(1)), int(match.group(2))) if match else None
