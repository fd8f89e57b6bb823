"""Athena's SQL on DuckDB, over the Glue catalog's tables in S3.

The engine takes a statement, a catalog (anything with the :class:`Catalog`
methods) and the lake (:class:`emulators.core.s3access.S3Access`), and returns a
:class:`QueryResult`. It never imports boto3 or moto.

SELECTs: every catalog table the statement names becomes a pyarrow dataset
built from the catalog -- one fragment per file, each partition's values fixed
by the fragment's partition expression -- registered in DuckDB as
``<database>.<table>``. DuckDB pushes filters into the datasets, so fragments of
partitions that cannot match are never opened; the bytes of the files that are
opened are ``DataScannedInBytes``.

DDL: CREATE/DROP DATABASE, CREATE EXTERNAL TABLE (Hive DDL, registered in the
catalog), DROP TABLE, MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION, SHOW
DATABASES/TABLES/PARTITIONS/COLUMNS, DESCRIBE. CTAS, INSERT INTO and UNLOAD
write Parquet, JSON or text files to S3.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from emulators.athena import projection
from emulators.athena import functions
from emulators.athena.translate import Columns, StatementError, UnknownFunction, position_of, to_duckdb
from emulators.core.sqlguard import lock_down, statement_count

PARQUET_IO = ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
              "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
              "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
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


@dataclass
class _ScanCounter:
    bytes_read: int = 0
    files: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


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
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == "," and depth == 0:
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


# -- the lake as a pyarrow filesystem ---------------------------------------------

def _lake_filesystem(lake: Any, counter: _ScanCounter) -> Any:
    import pyarrow as pa
    import pyarrow.fs as pafs

    class LakeHandler(pafs.FileSystemHandler):
        """Reads objects through the lake access (in-process S3), counting every byte opened."""

        def __eq__(self, other: object) -> bool:
            return self is other

        def __ne__(self, other: object) -> bool:
            return self is not other

        def get_type_name(self) -> str:
            return "sandbox-lake"

        def normalize_path(self, path: str) -> str:
            return path

        def _read(self, path: str) -> bytes:
            bucket, _, key = path.partition("/")
            data = lake.get(bucket, key)
            with counter.lock:
                counter.bytes_read += len(data)
                counter.files.append(path)
            return data

        def open_input_file(self, path: str) -> Any:
            return pa.BufferReader(self._read(path))

        def open_input_stream(self, path: str) -> Any:
            data = self._read(path)
            if path.endswith(".gz"):
                return pa.CompressedInputStream(pa.BufferReader(data), "gzip")
            return pa.BufferReader(data)

        def get_file_info(self, paths: list[str]) -> list[Any]:
            return [pafs.FileInfo(p, pafs.FileType.File) for p in paths]

        def get_file_info_selector(self, selector: Any) -> list[Any]:
            raise NotImplementedError

        def create_dir(self, *args: Any) -> None:
            raise NotImplementedError

        def delete_dir(self, *args: Any) -> None:
            raise NotImplementedError

        def delete_dir_contents(self, *args: Any) -> None:
            raise NotImplementedError

        def delete_root_dir_contents(self, *args: Any) -> None:
            raise NotImplementedError

        def delete_file(self, *args: Any) -> None:
            raise NotImplementedError

        def move(self, *args: Any) -> None:
            raise NotImplementedError

        def copy_file(self, *args: Any) -> None:
            raise NotImplementedError

        def open_output_stream(self, *args: Any) -> Any:
            raise NotImplementedError

        def open_append_stream(self, *args: Any) -> Any:
            raise NotImplementedError

    return pafs.PyFileSystem(LakeHandler())


_JSON_DATASET: Any = None


def _json_dataset_class() -> Any:
    """A FileSystemDataset whose scans read to a table before streaming.

    pyarrow's JSON scanner opens its first file on an IO thread inside
    ``Scanner.to_reader()``, which holds the GIL: over our Python filesystem
    (the in-process S3) that thread waits for the GIL forever and the query
    hangs. ``to_table()`` releases the GIL, so a JSON scan runs through it
    (after filter pushdown and column projection, so pruning and the scanned
    byte count are unchanged).
    """
    global _JSON_DATASET
    if _JSON_DATASET is None:
        import pyarrow as pa
        import pyarrow.dataset as ds

        class _TableScanner:
            def __init__(self, scanner: Any) -> None:
                self._scanner = scanner
                self.projected_schema = scanner.projected_schema

            def to_reader(self) -> Any:
                table = self._scanner.to_table()
                return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())

            def to_table(self) -> Any:
                return self._scanner.to_table()

            def __getattr__(self, name: str) -> Any:
                return getattr(self._scanner, name)

        class JsonLakeDataset(ds.FileSystemDataset):
            def scanner(self, *args: Any, **kwargs: Any) -> Any:
                return _TableScanner(super().scanner(*args, **kwargs))

        _JSON_DATASET = JsonLakeDataset
    return _JSON_DATASET


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith(("s3://", "s3a://")):
        raise QueryFailed(f"location {uri!r} is not an s3:// URI")
    bucket, _, prefix = uri.split("://", 1)[1].partition("/")
    return bucket, prefix


@dataclass(frozen=True)
class DataFile:
    path: str  # bucket/key
    size: int
    modified: Any  # datetime (UTC)


PSEUDO_COLUMNS = ("$path", "$file_size", "$file_modified_time")


def _data_files(lake: Any, location: str) -> list[DataFile]:
    """The data files under ``location`` (one listing of that prefix; ``_`` and ``.`` names skipped as on Athena)."""
    bucket, prefix = split_s3(location)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    try:
        objects = lake.list(bucket, prefix)
    except Exception as exc:
        raise QueryFailed(f"HIVE_CANNOT_OPEN_SPLIT: cannot list {location}: {exc}") from None
    files = []
    for obj in objects:
        relative = obj.key[len(prefix):]
        if obj.key.endswith("/") or any(part.startswith(("_", ".")) for part in relative.split("/")):
            continue
        files.append(DataFile(f"{bucket}/{obj.key}", obj.size, obj.last_modified))
    return files


class _Listing:
    """One listing of a table's root, answering the files under each partition folder by bisection."""

    def __init__(self, lake: Any, root: str) -> None:
        import bisect

        self._bisect = bisect
        self.lake = lake
        self.root = root.rstrip("/") + "/"
        self.files = sorted(_data_files(lake, self.root), key=lambda f: f.path)
        self.paths = [f.path for f in self.files]

    def under(self, location: str) -> list[DataFile]:
        location = location.rstrip("/") + "/"
        if not location.startswith(self.root):
            return _data_files(self.lake, location)  # a partition outside the table's folder: its own listing
        bucket, prefix = split_s3(location)
        start = f"{bucket}/{prefix}"
        low = self._bisect.bisect_left(self.paths, start)
        high = self._bisect.bisect_left(self.paths, start[:-1] + chr(ord("/") + 1))
        return self.files[low:high]


@functools.lru_cache(maxsize=8192)
def _partition_values_expression(keys: tuple[tuple[str, str], ...], values: tuple[str | None, ...]) -> Any:
    """``key1 == v1 AND key2 == v2 ...`` with each value cast to its key's type (cached: tables are re-read)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    expr = None
    for (key, kind), value in zip(keys, values):
        typed = pa.scalar(value).cast(arrow_type(kind)) if value is not None else None
        cond = pc.field(key) == typed
        expr = cond if expr is None else expr & cond
    return expr


_SCHEMAS: dict[tuple[str, Any], Any] = {}
_SCHEMAS_LOCK = threading.Lock()


def _physical_schema(fragment: Any, version: Any, counter: _ScanCounter) -> Any:
    """A Parquet file's schema, read once per file version (the footer read is not data scanned)."""
    key = (fragment.path, version)
    with _SCHEMAS_LOCK:
        cached = _SCHEMAS.get(key)
    if cached is not None:
        return cached
    with counter.lock:
        before, files = counter.bytes_read, len(counter.files)
    schema = fragment.physical_schema
    with counter.lock:
        counter.bytes_read, counter.files[:] = before, counter.files[:files]
    with _SCHEMAS_LOCK:
        if len(_SCHEMAS) > 4096:
            _SCHEMAS.clear()
        _SCHEMAS[key] = schema
    return schema


# DuckDB settings that make it answer as Trino: UTC session, `x -> ...` lambdas, integer division of integers
SESSION_SETTINGS = ("SET TimeZone='UTC'", "SET lambda_syntax='ENABLE_SINGLE_ARROW'", "SET integer_division=true")


class _ConnectionPool:
    """New DuckDB connections made ahead of need, each handed out once, and closed after use.

    Opening an in-memory DuckDB database costs more than a small query (10-100 ms on this class
    of machine) and closing one 10-20 ms, so a query takes a connection opened earlier and hands it
    back to be closed; one background thread closes the used ones and opens the next ones, after
    the query (never while it runs). Nothing is reused between queries.
    """

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.ready: list[Any] = []
        self.used: list[Any] = []
        self.lock = threading.Lock()
        self.closed = False
        self.worker: threading.Thread | None = None
        import atexit

        atexit.register(self.close)

    def close(self) -> None:
        """Stop the worker and close every connection (DuckDB must not be mid-open at interpreter exit)."""
        with self.lock:
            self.closed = True
            worker = self.worker
        if worker is not None:
            worker.join(timeout=10)
        with self.lock:
            spare, self.ready, used, self.used = self.ready, [], self.used, []
        for con in spare + used:
            con.close()

    @staticmethod
    def _new() -> Any:
        import duckdb

        con = duckdb.connect()
        con.execute("; ".join(SESSION_SETTINGS))
        con.execute("SELECT 1").fetchall()  # a new database's first statement pays its set-up: pay it here
        return con

    def _start(self) -> None:
        """Start the worker unless it runs (the lock is held)."""
        if self.closed or (self.worker is not None and self.worker.is_alive()):
            return
        self.worker = threading.Thread(target=self._work, name="athena-duckdb-pool", daemon=True)
        self.worker.start()

    def warm(self) -> None:
        """Open the first connections now (so that even the first query finds one ready)."""
        with self.lock:
            self._start()

    def take(self) -> Any:
        with self.lock:
            con = self.ready.pop() if self.ready else None
        return con if con is not None else self._new()

    def discard(self, con: Any) -> None:
        """A used connection: closed, and replaced, in the background."""
        with self.lock:
            if self.closed:
                con.close()
                return
            self.used.append(con)
            self._start()

    def _work(self) -> None:
        while True:
            with self.lock:
                if self.closed:
                    return
                used = self.used.pop() if self.used else None
                if used is None and len(self.ready) >= self.size:
                    self.worker = None
                    return
            if used is not None:
                used.close()
                continue
            con = self._new()
            with self.lock:
                self.ready.append(con)


_POOL = _ConnectionPool()


def _fresh_connection() -> Any:
    """A DuckDB connection no other query has used, with :data:`SESSION_SETTINGS` applied."""
    return _POOL.take()


def _discard(con: Any) -> None:
    """Done with a connection from :func:`_fresh_connection` (closed in the background)."""
    _POOL.discard(con)


def prepare_connections() -> None:
    """Open the first connections ahead of the first query (in the background)."""
    _POOL.warm()


@functools.lru_cache(maxsize=256)
def _translate_cached(sql: str, columns: Columns | None) -> str:
    return to_duckdb(sql, columns)


def _translate(sql: str, columns: Columns | None = None) -> str:
    try:
        return _translate_cached(sql, columns)
    except (UnknownFunction, StatementError) as exc:
        raise QueryFailed(str(exc)) from None


class _ColumnKinds:
    """The DATE, array and map columns of the tables a statement reads (for type-dependent translation)."""

    def __init__(self) -> None:
        self.dates: set[str] = set()
        self.arrays: set[str] = set()
        self.maps: set[str] = set()

    def add_schema(self, schema: Any) -> None:
        import pyarrow.types as pt

        for f in schema:
            if pt.is_date(f.type):
                self.dates.add(f.name.lower())
            elif pt.is_list(f.type) or pt.is_large_list(f.type):
                self.arrays.add(f.name.lower())
            elif pt.is_map(f.type):
                self.maps.add(f.name.lower())

    def any(self) -> bool:
        return bool(self.dates or self.arrays or self.maps)

    def columns(self) -> Columns:
        return Columns(frozenset(self.dates), frozenset(self.arrays), frozenset(self.maps))


# -- the engine -------------------------------------------------------------------

class AthenaEngine:
    def __init__(self, catalog: Catalog, lake: Any) -> None:
        self.catalog = catalog
        self.lake = lake

    # ---- reading tables ----
    def table_dataset(self, database: str, name: str, counter: _ScanCounter, pseudo: bool = False,
                      table: dict[str, Any] | None = None) -> Any:
        """The table as a pyarrow dataset; with ``pseudo``, also Athena's ``"$path"``, ``"$file_size"`` and
        ``"$file_modified_time"`` columns (constant per file, so filters on them prune files too)."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
        import pyarrow.dataset as ds
        import pyarrow.json as pajson

        table = table if table is not None else self.catalog.get_table(database, name)
        if table is None:
            raise QueryFailed(f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{database}.{name}' does not exist")
        descriptor = table.get("StorageDescriptor", {})
        columns = [(c["Name"].lower(), c["Type"]) for c in descriptor.get("Columns", [])]
        partition_keys = [(k["Name"].lower(), k["Type"]) for k in table.get("PartitionKeys", [])]
        serde = descriptor.get("SerdeInfo", {})
        library = serde.get("SerializationLibrary", "") or ""
        input_format = descriptor.get("InputFormat", "") or ""
        params = {**table.get("Parameters", {}), **descriptor.get("Parameters", {}), **serde.get("Parameters", {})}
        classification = (params.get("classification") or "").lower()
        filesystem = _lake_filesystem(self.lake, counter)
        column_types = {n: arrow_type(t) for n, t in columns}

        if "parquet" in library.lower() or "parquet" in input_format.lower() or classification == "parquet":
            fmt: Any = ds.ParquetFileFormat()
            kind = "parquet"
        elif "json" in library.lower() or classification == "json":
            fmt = ds.JsonFileFormat(parse_options=pajson.ParseOptions(
                explicit_schema=pa.schema([(n, column_types[n]) for n, _ in columns]),
                unexpected_field_behavior="ignore"))
            kind = "json"
        else:
            delimiter = params.get("field.delim") or params.get("separatorChar") or params.get("delimiter") or ","
            skip = int(params.get("skip.header.line.count", "0") or 0)
            quoted = library == OPEN_CSV_SERDE
            fmt = ds.CsvFileFormat(
                parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"' if quoted else False),
                read_options=pacsv.ReadOptions(column_names=[n for n, _ in columns], skip_rows=skip),
                convert_options=pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=False,
                                                     null_values=["", "\\N"] if not quoted else ["\\N"]))
            kind = "text"

        def partition_expression(values: list[str], file: DataFile) -> Any:
            expr = _partition_values_expression(tuple(partition_keys), tuple(values)) if partition_keys else None
            if pseudo:
                for cond in (pc.field("$path") == f"s3://{file.path}",
                             pc.field("$file_size") == pa.scalar(file.size, pa.int64()),
                             pc.field("$file_modified_time") == pa.scalar(file.modified, pa.timestamp("ms", "UTC"))):
                    expr = cond if expr is None else expr & cond
            return expr

        versions: dict[str, tuple[int, Any]] = {}

        def fragment(file: DataFile, values: list[str]) -> Any:
            versions[file.path] = (file.size, file.modified)
            expr = partition_expression(values, file)
            if expr is None:
                return fmt.make_fragment(file.path, filesystem=filesystem)
            return fmt.make_fragment(file.path, filesystem=filesystem, partition_expression=expr)

        fragments = []
        table_params = table.get("Parameters", {}) or {}
        if partition_keys and projection.enabled(table_params):
            try:
                projected = projection.projected_partitions([k for k, _ in partition_keys],
                                                            descriptor.get("Location", ""), table_params)
            except projection.ProjectionError as exc:
                raise QueryFailed(str(exc)) from None
            template = table_params.get("storage.location.template")
            root = template.split("${", 1)[0] if template else descriptor.get("Location", "")
            root = root[: root.rfind("/") + 1]  # the folder above the first projected value
            listing = _Listing(self.lake, root)  # one listing, then matched to each projected partition
            for values, where in projected:
                fragments += [fragment(file, values) for file in listing.under(where)]
        elif partition_keys:
            # one listing of the table's folder (not one per partition, never the bucket)
            listing = _Listing(self.lake, descriptor.get("Location") or "")
            for partition in self.catalog.get_partitions(database, name):
                location = partition.get("StorageDescriptor", {}).get("Location")
                if location:
                    fragments += [fragment(file, partition["Values"]) for file in listing.under(location)]
        else:
            location = descriptor.get("Location")
            if not location:
                raise QueryFailed(f"table {database}.{name} has no location")
            fragments = [fragment(file, []) for file in _data_files(self.lake, location)]

        fields = []
        if kind == "parquet" and fragments:
            physical = _physical_schema(fragments[0], versions.get(fragments[0].path), counter)
            by_name = {f.name.lower(): f for f in physical}
            for column, _ in columns:
                found = by_name.get(column)
                fields.append(pa.field(column, found.type if found is not None else column_types[column]))
        else:
            fields = [pa.field(n, column_types[n]) for n, _ in columns]
        fields += [pa.field(k, arrow_type(t)) for k, t in partition_keys]
        if pseudo:
            fields += [pa.field("$path", pa.string()), pa.field("$file_size", pa.int64()),
                       pa.field("$file_modified_time", pa.timestamp("ms", "UTC"))]
        schema = pa.schema(fields)
        if kind == "json":
            return _json_dataset_class()(fragments, schema=schema, format=fmt, filesystem=filesystem)
        return ds.FileSystemDataset(fragments, schema=schema, format=fmt, filesystem=filesystem)

    # ---- running statements ----
    def execute(self, sql: str, database: str | None, output_location: str | None = None,
                query_id: str | None = None) -> QueryResult:
        statement = sql.strip().rstrip(";").strip()
        if not statement:
            raise QueryFailed("line 1:1: mismatched input '<EOF>'. Expecting: 'ALTER', 'CREATE', 'SELECT', ...")
        database = (database or "default").strip().strip("`\"").lower()  # awswrangler sends `db`
        words = statement.split(None, 3)
        head = words[0].upper()
        second = words[1].upper() if len(words) > 1 else ""
        if head in ("SELECT", "WITH", "VALUES", "(", "TABLE") or statement.startswith("("):
            return self.select(statement, database)
        if head == "CREATE" and re.match(r"CREATE\s+(OR\s+REPLACE\s+)?(PROTECTED\s+)?VIEW\b", statement, re.I):
            return self.create_view(statement, database)
        if head == "DROP" and second == "VIEW":
            return self.drop_view(statement, database)
        if head == "CREATE" and second in ("DATABASE", "SCHEMA"):
            return self.create_database(statement)
        if head == "DROP" and second in ("DATABASE", "SCHEMA"):
            return self.drop_database(statement)
        if head == "CREATE" and (second == "EXTERNAL" or (second == "TABLE" and not re.search(r"\bAS\b\s*(\(|SELECT|WITH)", statement, re.I))):
            return self.create_external_table(statement, database)
        if head == "CREATE" and second == "TABLE":
            return self.create_table_as_select(statement, database, output_location, query_id)
        if head == "DROP" and second == "TABLE":
            return self.drop_table(statement, database)
        if head == "MSCK":
            return self.msck_repair(statement, database)
        if head == "ALTER" and second == "TABLE":
            return self.alter_table(statement, database)
        if head == "SHOW":
            return self.show(statement, database)
        if head in ("DESCRIBE", "DESC"):
            return self.describe(statement, database)
        if head == "INSERT":
            return self.insert_into(statement, database)
        if head == "UNLOAD":
            return self.unload(statement, database)
        known = ("ALTER", "CREATE", "DESCRIBE", "DROP", "INSERT", "MSCK", "SELECT", "SHOW", "UNLOAD", "WITH")
        if head not in known:
            raise QueryFailed(f"line 1:1: mismatched input '{words[0]}'. Expecting: "
                              + ", ".join(f"'{k}'" for k in known))
        raise QueryFailed(f"line 1:1: {head} {second} is not supported by the sandbox's Athena (supported: "
                          "SELECT/WITH, CREATE/DROP DATABASE, CREATE EXTERNAL TABLE, CTAS, CREATE/DROP VIEW, DROP "
                          "TABLE, MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION, SHOW, DESCRIBE, INSERT INTO, "
                          "UNLOAD)")

    def _connection(self, sql: str, database: str, counter: _ScanCounter) -> tuple[Any, str]:
        """A DuckDB connection with the tables ``sql`` reads registered, and ``sql`` in DuckDB's dialect.

        The only place the engine opens a connection for user SQL."""
        import duckdb

        translated = _translate(sql)
        references = _referenced_tables(translated, database)
        con = _fresh_connection()
        try:
            if statement_count(con, translated) > 1:
                raise QueryFailed(f"line 1:1: Only one sql statement is allowed. Got: {sql[:500]}")
            pseudo = any(column in sql for column in PSEUDO_COLUMNS)
            kinds = _ColumnKinds()
            for db, table in references:
                self._register(con, db, table, database, counter, (), pseudo, kinds)
            if kinds.any():
                translated = _translate(sql, kinds.columns())
            functions.install(con, translated)
            lock_down(con)  # the lake is registered: from here the SQL reaches no host file (sqlguard)
        except BaseException:
            _discard(con)
            raise
        return con, translated

    def _register(self, con: Any, db: str, name: str, database: str, counter: _ScanCounter,
                  within: tuple[str, ...], pseudo: bool = False, kinds: _ColumnKinds | None = None) -> None:
        """Make ``"db"."name"`` (and ``name`` when ``db`` is the query's database) readable in ``con``."""
        import duckdb

        key = f"{db}.{name}"
        if key in within:
            raise QueryFailed(f"VIEW_IS_RECURSIVE: line 1:1: View is recursive: awsdatacatalog.{key}")
        table = self.catalog.get_table(db, name)
        schema = f'CREATE SCHEMA IF NOT EXISTS "{db}"; '
        if table is not None and table.get("TableType") == "VIRTUAL_VIEW":
            con.execute(schema)
            schema = ""
        if table is not None and table.get("TableType") == "VIRTUAL_VIEW":
            # a view: register what it reads (unqualified names are the view's own schema), then the view
            original = view_definition(table)["originalSql"]
            view_sql = _translate(original)
            inner = _ColumnKinds()
            for ref_db, ref_name in _referenced_tables(view_sql, db):
                self._register(con, ref_db, ref_name, database, counter, (*within, key), pseudo, inner)
            if inner.any():
                view_sql = _translate(original, inner.columns())
            functions.install(con, view_sql)
            try:
                con.execute(f'CREATE OR REPLACE VIEW "{db}"."{name}" AS {view_sql}')
            except duckdb.Error as exc:
                raise QueryFailed(f"VIEW_IS_STALE: line 1:1: View 'awsdatacatalog.{key}' is stale or in invalid "
                                  f"state: {_clean_error(exc)}") from None
            source = f'"{db}"."{name}"'
            if kinds is not None:
                kinds.add_schema(con.sql(f'SELECT * FROM "{db}"."{name}" LIMIT 0').to_arrow_table().schema)
        else:
            alias = f"__{db}__{name}"
            dataset = self.table_dataset(db, name, counter, pseudo, table)
            con.register(alias, dataset)
            schema += f'CREATE OR REPLACE VIEW "{db}"."{name}" AS SELECT * FROM "{alias}"; '
            source = f'"{alias}"'
            if kinds is not None:
                kinds.add_schema(dataset.schema)
        if db == database and not within:
            schema += f'CREATE OR REPLACE VIEW main."{name}" AS SELECT * FROM {source}; '
        if schema:
            con.execute(schema)  # one call: each call into DuckDB costs more than these statements

    def query_arrow(self, sql: str, database: str) -> tuple[Any, int]:
        import duckdb

        counter = _ScanCounter()
        con, translated = self._connection(sql, database, counter)
        try:
            table = con.sql(translated).to_arrow_table()
            names = athena_column_names(con, translated, table.column_names)
        except duckdb.Error as exc:
            raise QueryFailed(_clean_error(exc, sql)) from None
        finally:
            _discard(con)
        if names != table.column_names:
            table = table.rename_columns(names)
        return table, counter.bytes_read

    def select(self, sql: str, database: str) -> QueryResult:
        import duckdb

        counter = _ScanCounter()
        con, translated = self._connection(sql, database, counter)
        try:
            cursor = con.execute(translated)
            description = cursor.description or []
            rows = cursor.fetchall()
            names = athena_column_names(con, translated, [d[0] for d in description])
        except duckdb.Error as exc:
            raise QueryFailed(_clean_error(exc, sql)) from None
        finally:
            _discard(con)
        columns = [(name, athena_type(d[1])) for name, d in zip(names, description)]
        kinds = [str(d[1]).upper() for d in description]
        return QueryResult(columns, [[_format_value(v, k) for v, k in zip(row, kinds)] for row in rows],
                           data_scanned_bytes=counter.bytes_read)

    # ---- DDL ----
    def create_database(self, sql: str) -> QueryResult:
        match = re.match(r"CREATE\s+(?:DATABASE|SCHEMA)\s+(IF\s+NOT\s+EXISTS\s+)?[`\"]?([\w-]+)[`\"]?"
                         r"(?:\s+COMMENT\s+'([^']*)')?(?:\s+LOCATION\s+'([^']*)')?", sql, re.IGNORECASE)
        if not match:
            raise QueryFailed(f"line 1:1: cannot parse CREATE DATABASE statement: {sql[:200]}")
        name = match.group(2).lower()
        if self.catalog.database_exists(name):
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database {name} already exists")
        self.catalog.create_database(name, match.group(3), match.group(4))
        return _ddl()

    def drop_database(self, sql: str) -> QueryResult:
        match = re.match(r"DROP\s+(?:DATABASE|SCHEMA)\s+(IF\s+EXISTS\s+)?[`\"]?([\w-]+)[`\"]?\s*(CASCADE)?",
                         sql, re.IGNORECASE)
        if not match:
            raise QueryFailed("line 1:1: cannot parse DROP DATABASE statement")
        name = match.group(2).lower()
        if not self.catalog.database_exists(name):
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database does not exist: {name}")
        tables = self.catalog.list_tables(name)
        if tables and not match.group(3):
            raise QueryFailed(f"FAILED: InvalidOperationException(message:Database {name} is not empty. "
                              "One or more tables exist.)")
        for table in tables:
            self.catalog.delete_table(name, table)
        self.catalog.drop_database(name)
        return _ddl()

    def create_external_table(self, sql: str, database: str) -> QueryResult:
        text = " ".join(sql.split())
        match = re.match(r"CREATE\s+(?:EXTERNAL\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([`\"\w.-]+)\s*\(", text, re.I)
        if not match:
            raise QueryFailed(f"line 1:8: cannot parse CREATE EXTERNAL TABLE: {sql[:200]}")
        db, name = _qualified(match.group(2), database)
        body, rest = _parenthesised(text, match.end() - 1)
        columns = [_column_def(c) for c in _split_top(body)]
        partition_keys: list[tuple[str, str]] = []
        part = re.search(r"PARTITIONED\s+BY\s*\(", rest, re.I)
        if part:
            pbody, _ = _parenthesised(rest, part.end() - 1)
            partition_keys = [_column_def(c) for c in _split_top(pbody)]
        location = re.search(r"LOCATION\s+'([^']+)'", rest, re.I)
        if not location:
            raise QueryFailed("FAILED: an external table needs LOCATION 's3://bucket/prefix/'")
        stored = (re.search(r"STORED\s+AS\s+(\w+)", rest, re.I) or [None, "TEXTFILE"])[1].upper()
        delim = re.search(r"FIELDS\s+TERMINATED\s+BY\s+'((?:\\.|[^'])*)'", rest, re.I)
        serde = re.search(r"ROW\s+FORMAT\s+SERDE\s+'([^']+)'", rest, re.I)
        serde_props = _properties(rest, "WITH\\s+SERDEPROPERTIES")
        table_props = _properties(rest, "TBLPROPERTIES")
        if not self.catalog.database_exists(db):
            raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}")
        if self.catalog.get_table(db, name) is not None:
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: AlreadyExistsException(message:Table {name} already exists)")
        if stored == "PARQUET":
            input_format, output_format, library = PARQUET_IO
            classification = "parquet"
        elif serde and "json" in serde.group(1).lower() or stored == "JSON":
            input_format, output_format = TEXT_IO
            library, classification = (serde.group(1) if serde else JSON_SERDE), "json"
        else:
            input_format, output_format = TEXT_IO
            library = serde.group(1) if serde else LAZY_SERDE
            classification = "csv"
            if delim:
                serde_props.setdefault("field.delim", delim.group(1).encode().decode("unicode_escape"))
        descriptor = {
            "Columns": [{"Name": n, "Type": t} for n, t in columns],
            "Location": location.group(1),
            "InputFormat": input_format,
            "OutputFormat": output_format,
            "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde_props},
            "Compressed": False,
            "Parameters": {},
        }
        self.catalog.create_table(db, {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": descriptor,
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys],
            "Parameters": {"EXTERNAL": "TRUE", "classification": classification, **table_props},
        })
        return _ddl()

    def create_view(self, sql: str, database: str) -> QueryResult:
        import base64
        import json

        import duckdb

        match = re.match(r"CREATE\s+(OR\s+REPLACE\s+)?(?:PROTECTED\s+)?VIEW\s+([`\"\w.-]+)\s+AS\s+(.+)$", sql,
                         re.I | re.S)
        if not match:
            raise QueryFailed("line 1:1: cannot parse CREATE VIEW (CREATE [OR REPLACE] VIEW name AS query)")
        db, name = _qualified(match.group(2), database)
        query = match.group(3).strip()
        if not self.catalog.database_exists(db):
            raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
        existing = self.catalog.get_table(db, name)
        if existing is not None and (existing.get("TableType") != "VIRTUAL_VIEW" or not match.group(1)):
            kind = "View" if existing.get("TableType") == "VIRTUAL_VIEW" else "Table"
            raise QueryFailed(f"line 1:1: {kind} already exists: 'awsdatacatalog.{db}.{name}'")
        # bind the query once, as Athena does, to know its columns (and to fail now if it is wrong)
        con, translated = self._connection(query, db, _ScanCounter())
        try:
            description = con.execute(f"SELECT * FROM ({translated}) AS view_columns LIMIT 0").description or []
            names = athena_column_names(con, translated, [d[0] for d in description])
        except duckdb.Error as exc:
            raise QueryFailed(_clean_error(exc, query)) from None
        finally:
            _discard(con)
        columns = [{"Name": n, "Type": athena_type(d[1])} for n, d in zip(names, description)]
        definition = {"originalSql": query, "catalog": "awsdatacatalog", "schema": db,
                      "columns": [{"name": c["Name"], "type": c["Type"]} for c in columns]}
        encoded = base64.b64encode(json.dumps(definition).encode()).decode()
        if existing is not None:
            self.catalog.delete_table(db, name)
        self.catalog.create_table(db, {
            "Name": name, "TableType": "VIRTUAL_VIEW", "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": f"{VIEW_PREFIX}{encoded}{VIEW_SUFFIX}", "ViewExpandedText": "/* Presto View */",
            "PartitionKeys": [],
            "StorageDescriptor": {"Columns": [{"Name": c["Name"], "Type": _hive_view_type(c["Type"])}
                                              for c in columns],
                                  "Location": "", "SerdeInfo": {}, "Parameters": {}}})
        return _ddl()

    def drop_view(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"DROP\s+VIEW\s+(IF\s+EXISTS\s+)?([`\"\w.-]+)", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse DROP VIEW statement")
        db, name = _qualified(match.group(2), database)
        table = self.catalog.get_table(db, name)
        if table is None or table.get("TableType") != "VIRTUAL_VIEW":
            if match.group(1) and table is None:
                return _ddl()
            raise QueryFailed(f"line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist")
        self.catalog.delete_table(db, name)
        return _ddl()

    def drop_table(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?([`\"\w.-]+)", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse DROP TABLE statement")
        db, name = _qualified(match.group(2), database)
        if self.catalog.get_table(db, name) is None:
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}")
        self.catalog.delete_table(db, name)
        return _ddl()

    def msck_repair(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"MSCK\s+REPAIR\s+TABLE\s+([`\"\w.-]+)", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse MSCK REPAIR TABLE statement")
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        location = table["StorageDescriptor"]["Location"].rstrip("/") + "/"
        bucket, prefix = split_s3(location)
        existing = {tuple(p["Values"]) for p in self.catalog.get_partitions(db, name)}
        found: dict[tuple[str, ...], str] = {}
        for file in _data_files(self.lake, location):
            relative = file.path[len(bucket) + 1 + len(prefix):]
            segments = relative.split("/")[:-1]
            if len(segments) < len(keys):
                continue
            values = []
            for key, segment in zip(keys, segments):
                seg_key, _, value = segment.partition("=")
                if seg_key.lower() != key:
                    break
                values.append(value)
            else:
                found[tuple(values)] = location + "/".join(segments[: len(keys)]) + "/"
        added = [v for v in sorted(found) if v not in existing]
        self.catalog.add_partitions(db, name, [self._partition_input(table, list(v), found[v]) for v in added])
        lines = [f"Repair: Added partition to metastore {name}:" +
                 "/".join(f"{k}={v}" for k, v in zip(keys, values)) for values in added]
        return QueryResult([("result", "varchar")], [[line] for line in lines], "DDL", header=False)

    def _partition_input(self, table: dict[str, Any], values: list[str], location: str) -> dict[str, Any]:
        descriptor = dict(table["StorageDescriptor"])
        descriptor["Location"] = location
        return {"Values": values, "StorageDescriptor": descriptor}

    def alter_table(self, sql: str, database: str) -> QueryResult:
        text = " ".join(sql.split())
        match = re.match(r"ALTER\s+TABLE\s+([`\"\w.-]+)\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)$", text, re.I)
        if not match:
            raise QueryFailed("line 1:1: only ALTER TABLE ... ADD/DROP PARTITION is supported by the sandbox")
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        existing = {tuple(p["Values"]) for p in self.catalog.get_partitions(db, name)}
        specs = re.findall(r"PARTITION\s*\(([^)]*)\)(?:\s*LOCATION\s+'([^']+)')?", match.group(4), re.I)
        if not specs:
            raise QueryFailed("line 1:1: ALTER TABLE needs PARTITION (key='value', ...)")
        to_add = []
        for spec, location in specs:
            given = {k.strip().strip('`"').lower(): v.strip().strip("'\"")
                     for k, v in (item.split("=", 1) for item in _split_top(spec))}
            if set(given) != set(keys):
                raise QueryFailed(f"FAILED: partition spec {given} does not match partition keys {keys}")
            values = [given[k] for k in keys]
            if match.group(2).upper() == "ADD":
                if tuple(values) in existing:
                    if match.group(3):
                        continue
                    raise QueryFailed(f"FAILED: AlreadyExistsException: Partition already exists: {values}")
                where = location or (table["StorageDescriptor"]["Location"].rstrip("/") + "/" +
                                     "/".join(f"{k}={v}" for k, v in zip(keys, values)) + "/")
                to_add.append(self._partition_input(table, values, where))
            else:
                if tuple(values) not in existing:
                    if match.group(3):
                        continue
                    raise QueryFailed(f"FAILED: SemanticException: Partition not found {values}")
                self.catalog.delete_partition(db, name, values)
        if to_add:
            self.catalog.add_partitions(db, name, to_add)
        return _ddl()

    def show(self, sql: str, database: str) -> QueryResult:
        text = " ".join(sql.split())
        upper = text.upper()
        if upper.startswith(("SHOW DATABASES", "SHOW SCHEMAS")):
            like = re.search(r"LIKE\s+'([^']*)'", text, re.I) or re.search(r"'([^']*)'", text)
            names = [n for n in sorted(self.catalog.list_databases()) if not like or _like(n, like.group(1))]
            return QueryResult([("database_name", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW TABLES"):
            match = re.match(r"SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+([`\"\w-]+))?(?:\s+(?:LIKE\s+)?'([^']*)')?", text, re.I)
            db = (match.group(1) or database).strip('`"').lower()
            if not self.catalog.database_exists(db):
                raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}")
            names = [n for n in sorted(self.catalog.list_tables(db)) if not match.group(2) or _like(n, match.group(2))]
            return QueryResult([("tab_name", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW VIEWS"):
            match = re.match(r"SHOW\s+VIEWS(?:\s+(?:IN|FROM)\s+([`\"\w-]+))?(?:\s+LIKE\s+'([^']*)')?", text, re.I)
            db = (match.group(1) or database).strip('`"').lower()
            if not self.catalog.database_exists(db):
                raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
            names = [n for n in sorted(self.catalog.list_tables(db))
                     if (self.catalog.get_table(db, n) or {}).get("TableType") == "VIRTUAL_VIEW"
                     and (not match.group(2) or _like(n, match.group(2)))]
            return QueryResult([("views", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW CREATE VIEW"):
            match = re.match(r"SHOW\s+CREATE\s+VIEW\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self.catalog.get_table(db, name)
            if table is None or table.get("TableType") != "VIRTUAL_VIEW":
                raise QueryFailed(f"line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist")
            lines = [f'CREATE VIEW "{db}"."{name}" AS', *view_definition(table)["originalSql"].splitlines()]
            return QueryResult([("Create View", "varchar")], [[line] for line in lines], "DDL", header=False)
        if upper.startswith("SHOW PARTITIONS"):
            match = re.match(r"SHOW\s+PARTITIONS\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self._require_table(db, name)
            keys = [k["Name"] for k in table.get("PartitionKeys", [])]
            if not keys:
                raise QueryFailed(f"FAILED: SemanticException Table {name} is not a partitioned table")
            rows = sorted("/".join(f"{k}={v}" for k, v in zip(keys, p["Values"]))
                          for p in self.catalog.get_partitions(db, name))
            return QueryResult([("partition", "varchar")], [[r] for r in rows], "DDL", header=False)
        if upper.startswith("SHOW COLUMNS"):
            match = re.match(r"SHOW\s+COLUMNS\s+(?:IN|FROM)\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self._require_table(db, name)
            names = [c["Name"] for c in table["StorageDescriptor"]["Columns"]] + [k["Name"] for k in table.get("PartitionKeys", [])]
            return QueryResult([("field", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW CREATE TABLE"):
            match = re.match(r"SHOW\s+CREATE\s+TABLE\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self._require_table(db, name)
            return QueryResult([("createtab_stmt", "varchar")], [[line] for line in _create_statement(table)],
                               "DDL", header=False)
        raise QueryFailed(f"line 1:1: {text[:40]} is not supported by the sandbox")

    def describe(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"(?:DESCRIBE|DESC)\s+(?:FORMATTED\s+|EXTENDED\s+)?([`\"\w.-]+)", sql, re.I)
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        rows = [[f"{c['Name']}\t{c['Type']}\t{c.get('Comment', '')}"] for c in table["StorageDescriptor"]["Columns"]]
        keys = table.get("PartitionKeys", [])
        rows += [[f"{k['Name']}\t{k['Type']}\t{k.get('Comment', '')}"] for k in keys]
        if keys:
            rows += [[""], ["# Partition Information"], ["# col_name\tdata_type\tcomment"], [""]]
            rows += [[f"{k['Name']}\t{k['Type']}\t{k.get('Comment', '')}"] for k in keys]
        # Athena's metadata names three columns, while each result row is one tab-separated line
        return QueryResult([("col_name", "string"), ("data_type", "string"), ("comment", "string")], rows, "DDL",
                           header=False)

    def _require_table(self, db: str, name: str) -> dict[str, Any]:
        table = self.catalog.get_table(db, name)
        if table is None:
            raise QueryFailed(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}")
        return table

    # ---- writing ----
    def create_table_as_select(self, sql: str, database: str, output_location: str | None,
                               query_id: str | None) -> QueryResult:
        text = sql.strip()
        match = re.match(r"CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([`\"\w.-]+)\s*", text, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse CREATE TABLE AS statement")
        db, name = _qualified(match.group(2), database)
        rest = text[match.end():]
        props: dict[str, str] = {}
        if rest.upper().startswith("WITH"):
            body, rest = _parenthesised(rest, rest.index("("))
            props = _with_properties(body)
        select = re.sub(r"^\s*AS\s*", "", rest, flags=re.I)
        no_data = re.search(r"\s+WITH\s+NO\s+DATA\s*$", select, flags=re.I) is not None
        select = re.sub(r"\s+WITH\s+(NO\s+)?DATA\s*$", "", select, flags=re.I)
        if select.startswith("(") and select.endswith(")"):
            select = select[1:-1]
        if self.catalog.get_table(db, name) is not None:
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{db}.{name}' already exists")
        if not self.catalog.database_exists(db):
            raise QueryFailed(f"SCHEMA_NOT_FOUND: Schema '{db}' does not exist")
        location = props.get("external_location")
        if not location:
            if not output_location:
                raise QueryFailed("CTAS needs external_location or a query output location")
            base = output_location.rsplit("/", 1)[0] + "/"
            location = f"{base}tables/{query_id or uuid.uuid4()}/"
        location = location.rstrip("/") + "/"
        bucket, prefix = split_s3(location)
        if self.lake.list(bucket, prefix):
            raise QueryFailed(f"HIVE_PATH_ALREADY_EXISTS: Target directory for table '{db}.{name}' already "
                              f"exists: {location}. You may need to manually clean the data at location "
                              f"'{location}' before CREATE TABLE AS SELECT.")
        data, scanned = self.query_arrow(select, database)
        fmt = (props.get("format") or "PARQUET").upper()
        partitioned = [c.strip().strip("'\"").lower() for c in
                       re.findall(r"'([^']+)'", props.get("partitioned_by", ""))]
        missing = [c for c in partitioned if c not in data.column_names]
        if missing:
            raise QueryFailed(f"partition columns {missing} are not in the SELECT list")
        if partitioned and data.column_names[-len(partitioned):] != partitioned:
            raise QueryFailed("HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table "
                              f"and in the same order as the table properties: {partitioned}")
        files: list[str] = []
        if no_data:  # WITH NO DATA: the table and its columns, no files
            data = data.slice(0, 0)
        written = self._write(data, location, fmt, partitioned, props.get("field_delimiter", ","),
                              props.get("write_compression"), files=files) if data.num_rows or not no_data else {}
        data_columns = [f for f in data.schema if f.name not in partitioned]
        table_input = self._table_input(name, location, fmt, data_columns,
                                        [data.schema.field(p) for p in partitioned], props.get("field_delimiter", ","))
        self.catalog.create_table(db, table_input)
        if partitioned:
            self.catalog.add_partitions(db, name, [self._partition_input(table_input, list(values), where)
                                                   for values, where in sorted(written.items())])
        return QueryResult([("rows", "bigint")], [[str(data.num_rows)]], "DDL", scanned, header=False,
                           substatement="CREATE_TABLE_AS_SELECT", written_rows=data.num_rows, written_files=files)

    def insert_into(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"INSERT\s+INTO\s+([`\"\w.-]+)\s*(\([^)]*\))?\s*", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse INSERT INTO statement")
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        data, scanned = self.query_arrow(sql[match.end():], database)
        descriptor = table["StorageDescriptor"]
        columns = [c["Name"].lower() for c in descriptor["Columns"]]
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        if data.num_columns != len(columns) + len(keys):
            raise QueryFailed(f"Insert query has mismatched column sizes: table has {len(columns) + len(keys)}, "
                              f"query has {data.num_columns}")
        data = data.rename_columns(columns + keys)
        params = {**table.get("Parameters", {}), **descriptor.get("SerdeInfo", {}).get("Parameters", {})}
        library = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        fmt = "PARQUET" if "parquet" in library else "JSON" if "json" in library else "TEXTFILE"
        files: list[str] = []
        written = self._write(data, descriptor["Location"].rstrip("/") + "/", fmt, keys,
                              params.get("field.delim", ","), None, unique=True, files=files)
        existing = {tuple(p["Values"]) for p in self.catalog.get_partitions(db, name)}
        new = [self._partition_input(table, list(v), where) for v, where in sorted(written.items())
               if keys and v not in existing]
        if new:
            self.catalog.add_partitions(db, name, new)
        return QueryResult([("rows", "bigint")], [[str(data.num_rows)]], "DML", scanned, header=False,
                           substatement="INSERT", written_rows=data.num_rows, written_files=files)

    def unload(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"UNLOAD\s*\(", sql, re.I)
        inner, rest = _parenthesised(sql, match.end() - 1)
        target = re.match(r"\s*TO\s+'([^']+)'\s*", rest, re.I)
        if not target:
            raise QueryFailed("line 1:1: UNLOAD needs TO 's3://bucket/prefix/'")
        props: dict[str, str] = {}
        after = rest[target.end():]
        if after.upper().startswith("WITH"):
            body, _ = _parenthesised(after, after.index("("))
            props = _with_properties(body)
        location = target.group(1).rstrip("/") + "/"
        bucket, prefix = split_s3(location)
        if self.lake.list(bucket, prefix):
            raise QueryFailed(f"HIVE_PATH_ALREADY_EXISTS: Target directory for UNLOAD already exists: {location}")
        data, scanned = self.query_arrow(inner, database)
        partitioned = [c.lower() for c in re.findall(r"'([^']+)'", props.get("partitioned_by", ""))]
        files: list[str] = []
        self._write(data, location, (props.get("format") or "TEXTFILE").upper(), partitioned,
                    props.get("field_delimiter", ","), props.get("compression"), files=files)
        return QueryResult([("rows", "bigint")], [[str(data.num_rows)]], "DML", scanned, header=False,
                           substatement="UNLOAD", written_rows=data.num_rows, written_files=files)

    def _write(self, data: Any, location: str, fmt: str, partitioned: list[str], delimiter: str,
               compression: str | None, unique: bool = False,
               files: list[str] | None = None) -> dict[tuple[str, ...], str]:
        """Write ``data`` under ``location``; returns partition values -> partition location.

        The URIs of the files written are appended to ``files``."""
        import pyarrow.compute as pc

        bucket, prefix = split_s3(location)
        groups: list[tuple[tuple[str, ...], Any]]
        if partitioned:
            keys = data.select(partitioned).group_by(partitioned).aggregate([]).to_pylist()
            groups = []
            for row in keys:
                mask = None
                for col in partitioned:
                    cond = pc.is_null(data[col]) if row[col] is None else pc.equal(data[col], row[col])
                    mask = cond if mask is None else pc.and_(mask, cond)
                values = tuple("__HIVE_DEFAULT_PARTITION__" if row[c] is None else _format_value(row[c])
                               for c in partitioned)
                groups.append((values, data.filter(mask).drop_columns(partitioned)))
        else:
            groups = [((), data)]
        written: dict[tuple[str, ...], str] = {}
        stamp = uuid.uuid4().hex[:12] if unique else ""
        for values, part in groups:
            folder = "".join(f"{c}={v}/" for c, v in zip(partitioned, values))
            body, suffix = _encode(part, fmt, delimiter, compression)
            key = f"{prefix}{folder}{stamp or uuid.uuid4().hex[:12]}-part-00000{suffix}"
            self.lake.put(bucket, key, body)
            if files is not None:
                files.append(f"s3://{bucket}/{key}")
            written[values] = f"s3://{bucket}/{prefix}{folder}"
        return written

    def _table_input(self, name: str, location: str, fmt: str, columns: list[Any], keys: list[Any],
                     delimiter: str) -> dict[str, Any]:
        if fmt == "PARQUET":
            input_format, output_format, library = PARQUET_IO
            serde_params: dict[str, str] = {"serialization.format": "1"}
            classification = "parquet"
        elif fmt == "JSON":
            input_format, output_format = TEXT_IO
            library, serde_params, classification = JSON_SERDE, {}, "json"
        else:
            input_format, output_format = TEXT_IO
            library, serde_params, classification = LAZY_SERDE, {"field.delim": delimiter}, "csv"
        return {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": f.name, "Type": hive_type_of(f.type)} for f in columns],
                "Location": location, "InputFormat": input_format, "OutputFormat": output_format,
                "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde_params},
                "Compressed": False, "Parameters": {},
            },
            "PartitionKeys": [{"Name": f.name, "Type": "string"} for f in keys],
            "Parameters": {"EXTERNAL": "TRUE", "classification": classification, "has_encrypted_data": "false"},
        }


def _encode(table: Any, fmt: str, delimiter: str, compression: str | None) -> tuple[bytes, str]:
    import gzip

    import pyarrow.parquet as pq

    if fmt == "PARQUET":
        buf = io.BytesIO()
        pq.write_table(table, buf, compression=(compression or "snappy").lower())
        return buf.getvalue(), ".parquet"
    if fmt == "ORC":
        raise QueryFailed("ORC output is not supported by the sandbox: use format = 'PARQUET'")
    if fmt == "JSON":
        import json

        lines = "".join(json.dumps({k: _format_value(v) if not isinstance(v, (int, float, bool)) or isinstance(v, bool)
                                    else v for k, v in row.items()}) + "\n" for row in table.to_pylist())
        body = lines.encode()
        suffix = ".json"
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        for row in table.to_pylist():
            writer.writerow(["\\N" if v is None else _format_value(v) for v in row.values()])
        body = out.getvalue().encode()
        suffix = ".csv" if delimiter == "," else ".txt"
    if (compression or "").lower() == "gzip":
        return gzip.compress(body), suffix + ".gz"
    return body, suffix


def _ddl() -> QueryResult:
    return QueryResult([], [], "DDL", header=False)


def _qualified(name: str, database: str) -> tuple[str, str]:
    parts = [p.strip('`"').lower() for p in name.split(".")]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return database, parts[0]


def _parenthesised(text: str, open_index: int) -> tuple[str, str]:
    depth, quote = 0, ""
    for i in range(open_index, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch == "'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[open_index + 1:i], text[i + 1:].strip()
    raise QueryFailed("line 1:1: unbalanced parentheses")


def _column_def(text: str) -> tuple[str, str]:
    text = re.sub(r"\s+COMMENT\s+'[^']*'\s*$", "", text.strip(), flags=re.I)
    name, _, kind = text.partition(" ")
    if not kind.strip():
        raise QueryFailed(f"line 1:1: column definition {text!r} needs a type")
    return name.strip('`"').lower(), re.sub(r"\s+", "", kind.strip().lower())


def _properties(text: str, keyword: str) -> dict[str, str]:
    match = re.search(keyword + r"\s*\(", text, re.I)
    if not match:
        return {}
    body, _ = _parenthesised(text, match.end() - 1)
    return {k: v.encode().decode("unicode_escape") for k, v in re.findall(r"'([^']*)'\s*=\s*'((?:\\.|[^'])*)'", body)}


def _with_properties(body: str) -> dict[str, str]:
    props = {}
    for item in _split_top(body):
        key, _, value = item.partition("=")
        value = value.strip()
        if value.upper().startswith("ARRAY"):
            props[key.strip().lower()] = value
        else:
            props[key.strip().lower()] = value.strip("'\"")
    return props


def _like(name: str, pattern: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace("%", ".*").replace(r"\|", "|") + "$"
    return re.match(regex, name, re.I) is not None


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


_COLUMN_NAMES: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def athena_column_names(con: Any, sql: str, names: list[str]) -> list[str]:
    """Result column names as Athena gives them (see :func:`_athena_column_names`); cached per statement."""
    key = (sql, tuple(names))
    cached = _COLUMN_NAMES.get(key)
    if cached is None:
        cached = _athena_column_names(con, sql, names)
        if len(_COLUMN_NAMES) > 1024:
            _COLUMN_NAMES.clear()
        _COLUMN_NAMES[key] = cached
    return list(cached)


def _athena_column_names(con: Any, sql: str, names: list[str]) -> list[str]:
    """Result column names as Athena gives them: an unnamed expression is ``_col<position>``.

    DuckDB names ``count(*)`` ``count_star()``; Athena (Trino) names it ``_col0``. Aliases
    and plain column references keep their names; the first SELECT of a UNION names them.
    """
    import json

    fallback = [n if _NAME.match(n) else f"_col{i}" for i, n in enumerate(names)]
    try:
        parsed = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
        node = parsed["statements"][0]["node"]
        while node.get("type") == "SET_OPERATION_NODE":
            node = node["left"]
        items = node["select_list"] if node.get("type") == "SELECT_NODE" else None
    except Exception:  # noqa: BLE001 - the names are cosmetic; never fail a query over them
        return fallback
    if not items or len(items) != len(names) or any(i.get("class") == "STAR" for i in items):
        return fallback
    out = []
    for position, (item, name) in enumerate(zip(items, names)):
        if item.get("alias") or item.get("class") == "COLUMN_REF":
            out.append(name)
        else:
            out.append(f"_col{position}")
    return out


def _create_statement(table: dict[str, Any]) -> list[str]:
    """The lines of ``SHOW CREATE TABLE`` for a Glue table, in Athena's layout."""
    sd = table.get("StorageDescriptor") or {}
    columns = [f"  `{c['Name']}` {c['Type']}" for c in sd.get("Columns", [])]
    lines = [f"CREATE EXTERNAL TABLE `{table['Name']}`("]
    lines += [c + ("," if i < len(columns) - 1 else ")") for i, c in enumerate(columns)] or [")"]
    keys = [f"  `{k['Name']}` {k['Type']}" for k in table.get("PartitionKeys", [])]
    if keys:
        lines.append("PARTITIONED BY ( ")
        lines += [k + ("," if i < len(keys) - 1 else ")") for i, k in enumerate(keys)]
    serde = sd.get("SerdeInfo") or {}
    if serde.get("SerializationLibrary"):
        lines += ["ROW FORMAT SERDE ", f"  '{serde['SerializationLibrary']}' "]
        params = serde.get("Parameters") or {}
        if params:
            lines.append("WITH SERDEPROPERTIES ( ")
            items = [f"  '{k}'='{v}'" for k, v in params.items()]
            lines += [item + ("," if i < len(items) - 1 else ") ") for i, item in enumerate(items)]
    if sd.get("InputFormat"):
        lines += ["STORED AS INPUTFORMAT ", f"  '{sd['InputFormat']}' "]
    if sd.get("OutputFormat"):
        lines += ["OUTPUTFORMAT ", f"  '{sd['OutputFormat']}'"]
    if sd.get("Location"):
        lines += ["LOCATION", f"  '{sd['Location']}'"]
    properties = table.get("Parameters") or {}
    if properties:
        lines.append("TBLPROPERTIES (")
        items = [f"  '{k}'='{v}'" for k, v in properties.items()]
        lines += [item + ("," if i < len(items) - 1 else ")") for i, item in enumerate(items)]
    return lines


def _hive_view_type(athena: str) -> str:
    """A view column's type as Glue records it (Hive spelling: varchar -> string)."""
    return {"varchar": "string", "integer": "int"}.get(athena, athena)


def _referenced_tables(translated: str, database: str) -> list[tuple[str, str]]:
    """The (database, table) pairs a DuckDB-dialect statement reads, CTE names left out."""
    import duckdb

    try:
        names = duckdb.get_table_names(translated, qualified=True)
    except (duckdb.BinderException, duckdb.CatalogException):
        # get_table_names binds some expressions (UNNEST in FROM, approx_quantile's list):
        # name the tables from the parse tree instead
        try:
            names = _parsed_table_names(translated)
        except duckdb.Error as exc:
            raise QueryFailed(_clean_error(exc)) from None
    except duckdb.Error as exc:
        raise QueryFailed(_clean_error(exc)) from None
    ctes = {m.lower() for m in re.findall(r"(?:\bWITH|,)\s+\"?(\w+)\"?\s+AS\s*\(", translated, re.IGNORECASE)}
    pairs: list[tuple[str, str]] = []
    for name in sorted(names):
        bare = re.sub(r"\s+AS\s+.*$", "", name, flags=re.IGNORECASE | re.DOTALL)
        parts = [(quoted or plain).strip().lower() for quoted, plain in re.findall(r'"([^"]*)"|([^."]+)', bare)]
        if len(parts) == 1 and parts[0] in ctes:
            continue
        if len(parts) >= 3 and parts[0] in ("awsdatacatalog",):
            parts = parts[1:]
        pair = (parts[-2], parts[-1]) if len(parts) >= 2 else (database, parts[0])
        if pair not in pairs:
            pairs.append(pair)
    return pairs


VIEW_PREFIX = "/* Presto View: "
VIEW_SUFFIX = " */"


def view_definition(table: dict[str, Any]) -> dict[str, Any]:
    """The JSON Athena keeps in a view's ViewOriginalText (``/* Presto View: <base64> */``)."""
    import base64
    import json

    text = table.get("ViewOriginalText") or ""
    if not (text.startswith(VIEW_PREFIX) and text.endswith(VIEW_SUFFIX)):
        raise QueryFailed(f"VIEW_IS_STALE: line 1:1: View '{table.get('Name')}' is not an Athena view "
                          "(its ViewOriginalText is not a Presto view)")
    try:
        return json.loads(base64.b64decode(text[len(VIEW_PREFIX):-len(VIEW_SUFFIX)]))
    except ValueError:
        raise QueryFailed(f"VIEW_IS_STALE: line 1:1: View '{table.get('Name')}' cannot be decoded") from None


def _parsed_table_names(sql: str) -> set[str]:
    """The tables ``sql`` reads (``"schema"."table"``), from DuckDB's parse tree (nothing is bound)."""
    import json

    import duckdb

    con = duckdb.connect()
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    finally:
        con.close()
    if tree.get("error"):
        raise duckdb.ParserException(tree.get("error_message", "cannot parse the statement"))
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node.get("table_name"):
                parts = [p for p in (node.get("catalog_name"), node.get("schema_name"), node["table_name"]) if p]
                names.add(".".join(f'"{p}"' for p in parts))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return names


def _clean_error(exc: Exception, sql: str = "") -> str:
    message = str(exc).strip()
    message = re.sub(r'"__\w+__(\w+)"', r'"\1"', message)
    unknown = re.search(r"Function with name \"?(\w+)\"? does not exist", message)
    if "Catalog Error" in message and unknown:
        name = unknown.group(1).removeprefix("trino_")
        line, column = position_of(sql, name)
        return f"FUNCTION_NOT_FOUND: line {line}:{column}: Function '{name.lower()}' not registered"
    mismatch = re.search(r"No function matches the given name and argument types '(\w+)\(([^']*)\)'", message)
    if mismatch:
        name = mismatch.group(1).removeprefix("trino_")
        line, column = position_of(sql, name)
        return (f"FUNCTION_NOT_FOUND: line {line}:{column}: Unexpected parameters ({mismatch.group(2).lower()}) "
                f"for function {name}")
    if "Binder Error" in message and "Referenced column" in message:
        return "COLUMN_NOT_FOUND: " + message
    if "Catalog Error" in message and "does not exist" in message:
        return "TABLE_NOT_FOUND: " + message
    if "CSV parse error" in message and re.search(r"Expected \d+ columns, got \d+", message):
        return ("HIVE_BAD_DATA: " + message.splitlines()[0] + " (a row has more or fewer fields than the table "
                "has columns: quoted fields with the delimiter inside need ROW FORMAT SERDE "
                "'org.apache.hadoop.hive.serde2.OpenCSVSerde'; the crawler's LazySimpleSerDe does not read quotes)")
    return message.splitlines()[0] if len(message) > 2000 else message
