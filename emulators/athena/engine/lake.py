"""Catalog tables as pyarrow datasets over the lake.

A table becomes a ``FileSystemDataset`` of one fragment per data file, each fragment's partition
expression fixing its partition values, over a ``PyFileSystem`` that reads objects through the lake
access (the in-process S3) and counts the bytes it opens (``DataScannedInBytes``). DuckDB pushes
filters into the dataset, so fragments of partitions that cannot match are never opened.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from typing import Any

from emulators.athena import projection
from emulators.athena.engine.jsonserde import json_transform
from emulators.athena.engine.types import OPEN_CSV_SERDE, Catalog, QueryFailed, _ScanCounter, arrow_type

# -- the lake as a pyarrow filesystem ---------------------------------------------

def _lake_filesystem(lake: Any, counter: _ScanCounter, transform: Any = None) -> Any:
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

        def __init__(self) -> None:
            self.counter = counter  # the scan being counted (a cached dataset is lent to one query at a time)

        def _read(self, path: str) -> bytes:
            bucket, _, key = path.partition("/")
            data = lake.get(bucket, key)
            scan = self.counter
            with scan.lock:
                scan.bytes_read += len(data)
                scan.files.append(path)
            return data

        def _transformed(self, path: str) -> tuple[bytes, bytes, bytes]:
            """(raw bytes, plain bytes, the SerDe's view of the plain bytes) of a file (see jsonserde.py)."""
            import gzip

            raw = self._read(path)
            plain = gzip.decompress(raw) if path.endswith(".gz") else raw
            return raw, plain, transform(plain, path)

        def open_input_file(self, path: str) -> Any:
            # files are handed over as stored (Arrow decompresses .gz itself), streams decompressed
            if transform is not None:
                import gzip

                raw, plain, seen = self._transformed(path)
                if seen is not plain:
                    raw = gzip.compress(seen, compresslevel=1) if path.endswith(".gz") else seen
                return pa.BufferReader(raw)
            return pa.BufferReader(self._read(path))

        def open_input_stream(self, path: str) -> Any:
            if transform is not None:
                return pa.BufferReader(self._transformed(path)[2])
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


_LAKE_DATASET: Any = None


def _lake_dataset_class() -> Any:
    """A ``FileSystemDataset`` whose scanners hand out readers that never wait for I/O holding the GIL.

    ``Scanner.to_reader()`` holds the GIL while Arrow starts the scan, and Arrow may open the first
    file on an I/O thread before it returns (always for JSON, under load for CSV and Parquet). Over
    our Python filesystem that I/O thread needs the GIL too, so the query hangs for good. The reader
    here iterates ``Scanner.to_batches()``, whose start and every ``next`` release the GIL; it still
    streams batch by batch, after DuckDB's filter pushdown and column projection, so pruning and the
    scanned byte count are unchanged.
    """
    global _LAKE_DATASET
    if _LAKE_DATASET is None:
        import pyarrow as pa
        import pyarrow.dataset as ds

        class _StreamingScanner:
            def __init__(self, scanner: Any) -> None:
                self._scanner = scanner
                self.projected_schema = scanner.projected_schema

            def to_reader(self) -> Any:
                return pa.RecordBatchReader.from_batches(self.projected_schema, self._scanner.to_batches())

            def __getattr__(self, name: str) -> Any:
                return getattr(self._scanner, name)

        class LakeDataset(ds.FileSystemDataset):
            def scanner(self, *args: Any, **kwargs: Any) -> Any:
                return _StreamingScanner(super().scanner(*args, **kwargs))

        _LAKE_DATASET = LakeDataset
    return _LAKE_DATASET


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
    etag: str = ""  # the object's ETag, so a rewritten object is a different file


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
        files.append(DataFile(f"{bucket}/{obj.key}", obj.size, obj.last_modified, obj.etag))
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



class _Cached:
    """A built dataset, the handler whose counter it reports to, and whether a query holds it."""

    __slots__ = ("fingerprint", "dataset", "handler", "in_use")

    def __init__(self, fingerprint: Any, dataset: Any, handler: Any) -> None:
        self.fingerprint, self.dataset, self.handler, self.in_use = fingerprint, dataset, handler, True

    def release(self) -> None:
        self.handler.counter = _ScanCounter()  # late reads (none expected) count nowhere
        with _CACHE_LOCK:
            self.in_use = False


# (lake, database, table, pseudo) -> datasets built for it, newest last
_CACHE: dict[tuple[Any, ...], list[_Cached]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_TABLES = 64  # tables remembered
_CACHE_COPIES = 2  # datasets per table (one per query reading it at the same time)


def _cached(key: tuple[Any, ...], fingerprint: Any, counter: _ScanCounter) -> Any:
    """A free cached dataset built from the same table, partitions and files, lent to ``counter``."""
    with _CACHE_LOCK:
        for entry in _CACHE.get(key, ()):
            if not entry.in_use and entry.fingerprint == fingerprint:
                entry.in_use = True
                break
        else:
            return None
    entry.handler.counter = counter
    counter.leases.append(entry)
    return entry.dataset


def _remember(key: tuple[Any, ...], fingerprint: Any, dataset: Any, counter: _ScanCounter) -> None:
    entry = _Cached(fingerprint, dataset, dataset.filesystem.handler)
    with _CACHE_LOCK:
        entries = [e for e in _CACHE.pop(key, []) if e.fingerprint == fingerprint][-(_CACHE_COPIES - 1):]
        if len(_CACHE) >= _CACHE_TABLES:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = [*entries, entry]  # re-inserted: the dict's order is least recently built first
    counter.leases.append(entry)


REGEX_LINE = "__line"
_DUCK_TYPES = {"string": "VARCHAR", "varchar": "VARCHAR", "char": "VARCHAR", "int": "INTEGER", "integer": "INTEGER",
               "bigint": "BIGINT", "smallint": "SMALLINT", "tinyint": "TINYINT", "double": "DOUBLE",
               "float": "FLOAT", "real": "FLOAT", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}


def is_regex_table(table: dict[str, Any]) -> bool:
    library = table.get("StorageDescriptor", {}).get("SerdeInfo", {}).get("SerializationLibrary", "") or ""
    return library.lower().endswith("regexserde")


def regex_splitter(table: dict[str, Any]) -> Any:
    """A vectorised DuckDB function (Arrow strings in, lists of group strings out) for a RegexSerDe table:
    Python's ``re`` reads Java's regex syntax as Hive does (lookaheads, lazy and possessive quantifiers,
    which DuckDB's RE2 refuses); a line the regex does not match whole gives NULL."""
    descriptor = table.get("StorageDescriptor", {})
    serde = descriptor.get("SerdeInfo", {}).get("Parameters", {}) or {}
    pattern = serde.get("input.regex")
    if not pattern:
        raise QueryFailed("HIVE_INVALID_METADATA: a RegexSerDe table needs the SERDEPROPERTIES 'input.regex'")
    flags = re.IGNORECASE if str(serde.get("input.regex.case.insensitive", "")).lower() == "true" else 0
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise QueryFailed(f"HIVE_INVALID_METADATA: input.regex {pattern!r} is not a valid regular expression: {exc}")
    width = len(descriptor.get("Columns", []))

    def split(lines: Any) -> Any:
        import pyarrow as pa

        out = []
        for line in lines.to_pylist():
            match = compiled.fullmatch(line) if line is not None else None
            if match is None:
                out.append(None)
            else:
                groups = list(match.groups())
                out.append((groups + [None] * width)[:width])
        return pa.array(out, pa.list_(pa.string()))
    return split


def regex_select(table: dict[str, Any], source: str, function: str, extra: tuple[str, ...] = ()) -> str:
    """The SELECT that cuts a RegexSerDe table's columns out of each line of ``source`` with ``function`` (see
    :func:`regex_splitter`): group i of ``input.regex`` is column i. ``extra`` columns (partition keys,
    pseudo-columns) pass through, so filters on them still prune files."""
    out = []
    for index, column in enumerate(table.get("StorageDescriptor", {}).get("Columns", []), start=1):
        kind = column["Type"].strip().lower()
        duck = _DUCK_TYPES.get(re.split(r"[(<]", kind, maxsplit=1)[0], "VARCHAR")
        if kind.startswith("decimal"):
            duck = kind.upper()
        out.append(f'TRY_CAST("__groups"[{index}] AS {duck}) AS "{column["Name"].lower()}"')
    passed = [f'"{k["Name"].lower()}"' for k in table.get("PartitionKeys", [])] + [f'"{c}"' for c in extra]
    inner = ", ".join([f'{function}("{REGEX_LINE}") AS "__groups"', *passed])
    return f"SELECT {', '.join(out + passed)} FROM (SELECT {inner} FROM {source})"


def _table_files(catalog: Catalog, lake: Any, database: str, name: str, table: dict[str, Any],
                 partition_keys: list[tuple[str, str]],
                 injected: dict[str, list[str]] | None = None) -> list[tuple[DataFile, tuple[str, ...]]]:
    """Each data file of the table with its partition values: one listing of the table's folder (or of the
    folder above projected partitions), matched to each partition's location; never the bucket."""
    descriptor = table.get("StorageDescriptor", {})
    table_params = table.get("Parameters", {}) or {}
    found: list[tuple[DataFile, tuple[str, ...]]] = []
    if partition_keys and projection.enabled(table_params):
        try:
            projected = projection.projected_partitions([k for k, _ in partition_keys],
                                                        descriptor.get("Location", ""), table_params, injected)
        except projection.ProjectionError as exc:
            raise QueryFailed(str(exc)) from None
        template = table_params.get("storage.location.template")
        root = template.split("${", 1)[0] if template else descriptor.get("Location", "")
        root = root[: root.rfind("/") + 1]  # the folder above the first projected value
        listing = _Listing(lake, root)  # one listing, then matched to each projected partition
        for values, where in projected:
            found += [(file, tuple(values)) for file in listing.under(where)]
    elif partition_keys:
        listing = _Listing(lake, descriptor.get("Location") or "")
        for partition in catalog.get_partitions(database, name):
            location = partition.get("StorageDescriptor", {}).get("Location")
            if location:
                values = tuple(partition["Values"])
                found += [(file, values) for file in listing.under(location)]
    else:
        location = descriptor.get("Location")
        if not location:
            raise QueryFailed(f"table {database}.{name} has no location")
        found = [(file, ()) for file in _data_files(lake, location)]
    return found


def resolve_table(catalog: Catalog, lake: Any, database: str, name: str, table: dict[str, Any] | None = None,
                  query: str = "") -> tuple[dict[str, Any], list[tuple[str, str]], list[tuple[DataFile, tuple[str, ...]]]]:
    """The table's definition, its partition keys (lower-case name, type) and each data file with its partition
    values (one listing of the table's folder); ``query`` gives injected projected partition columns their values."""
    table = table if table is not None else catalog.get_table(database, name)
    if table is None and database != "default" and not catalog.database_exists(database):
        raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{database}' does not exist")
    if table is None:
        raise QueryFailed(f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{database}.{name}' does not exist")
    partition_keys = [(k["Name"].lower(), k["Type"]) for k in table.get("PartitionKeys", [])]
    injected = None
    if partition_keys and projection.enabled(table.get("Parameters", {}) or {}):
        columns = projection.injected_columns([k for k, _ in partition_keys], table.get("Parameters", {}) or {})
        injected = projection.injected_values(query, columns) if columns else None
    files = _table_files(catalog, lake, database, name, table, partition_keys, injected)
    return table, partition_keys, files


def table_dataset(catalog: Catalog, lake: Any, database: str, name: str, counter: _ScanCounter,
                  pseudo: bool = False, table: dict[str, Any] | None = None, reuse: bool = False,
                  query: str = "", resolved: Any = None) -> Any:
    """The table as a pyarrow dataset; with ``pseudo``, also Athena's ``"$path"``, ``"$file_size"`` and
    ``"$file_modified_time"`` columns (constant per file, so filters on them prune files too).

    With ``reuse``, a dataset built earlier from the same table definition, partitions and files (same
    names, sizes and times) is lent instead of building one (the lake must have a ``cache_key``); the
    caller gives it back with ``counter.release()`` when its query is done. ``query`` (the SQL) gives
    injected projected partition columns their values; ``resolved`` is :func:`resolve_table`'s answer when
    the caller has it already."""
    table, partition_keys, files = resolved or resolve_table(catalog, lake, database, name, table, query)
    lake_key = getattr(lake, "cache_key", None) if reuse else None
    if lake_key is None:
        return _build_dataset(lake, table, partition_keys, files, counter, pseudo)
    key = (lake_key, database, name, pseudo)
    fingerprint = (repr(table), files)
    dataset = _cached(key, fingerprint, counter)
    if dataset is None:
        dataset = _build_dataset(lake, table, partition_keys, files, counter, pseudo)
        _remember(key, fingerprint, dataset, counter)
    return dataset


def _numeric(arrow: Any) -> bool:
    import pyarrow.types as pt

    return bool(pt.is_integer(arrow) or pt.is_floating(arrow))


def table_columns(table: dict[str, Any]) -> list[tuple[str, str]]:
    """The table's data columns: (lower-case name, Hive type)."""
    return [(c["Name"].lower(), c["Type"]) for c in table.get("StorageDescriptor", {}).get("Columns", [])]


def columnar_fields(columns: list[tuple[str, str]], physical: Any) -> list[Any]:
    """The Arrow fields of a Parquet or ORC table's data columns, given its first file's schema."""
    import pyarrow as pa

    by_name = {f.name.lower(): f for f in physical}
    fields = []
    for column, hive in columns:
        declared = arrow_type(hive)
        found = by_name.get(column)
        if found is None:
            fields.append(pa.field(column, declared))
            continue
        kind_of = found.type
        if _numeric(declared) and _numeric(kind_of):
            kind_of = declared  # the table's type: files written as int and as bigint read alike
        # the file's spelling (Parquet and ORC columns match ignoring case, as on Athena); the query's
        # view names the column in lower case (see AthenaEngine._register)
        fields.append(pa.field(found.name, kind_of))
    return fields


def is_plain_parquet_table(table: dict[str, Any]) -> bool:
    """A table :func:`_build_dataset` reads as Parquet files as they are (no JSON SerDe view, no RegexSerDe)."""
    descriptor = table.get("StorageDescriptor", {})
    serde = descriptor.get("SerdeInfo", {})
    library = (serde.get("SerializationLibrary", "") or "").lower()
    params = {**table.get("Parameters", {}), **descriptor.get("Parameters", {}), **serde.get("Parameters", {})}
    classification = (params.get("classification") or "").lower()
    if "json" in library or classification == "json" or is_regex_table(table):
        return False
    return "parquet" in library or "parquet" in (descriptor.get("InputFormat", "") or "").lower() \
        or classification == "parquet"


def _build_dataset(lake: Any, table: dict[str, Any], partition_keys: list[tuple[str, str]],
                   files: list[tuple[DataFile, tuple[str, ...]]], counter: _ScanCounter, pseudo: bool) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.dataset as ds
    import pyarrow.json as pajson

    descriptor = table.get("StorageDescriptor", {})
    columns = table_columns(table)
    serde = descriptor.get("SerdeInfo", {})
    library = serde.get("SerializationLibrary", "") or ""
    input_format = descriptor.get("InputFormat", "") or ""
    params = {**table.get("Parameters", {}), **descriptor.get("Parameters", {}), **serde.get("Parameters", {})}
    classification = (params.get("classification") or "").lower()
    json_table = "json" in library.lower() or classification == "json"
    filesystem = _lake_filesystem(lake, counter, json_transform(params) if json_table else None)
    if is_regex_table(table):  # RegexSerDe: each line whole, the columns are cut out by the query's view
        columns, params = [(REGEX_LINE, "string")], {**params, "field.delim": "\x1f"}
    column_types = {n: arrow_type(t) for n, t in columns}

    if "parquet" in library.lower() or "parquet" in input_format.lower() or classification == "parquet":
        fmt: Any = ds.ParquetFileFormat()
        kind = "parquet"
    elif ".orc." in input_format.lower() or library.lower().endswith("orcserde") or classification == "orc":
        fmt = ds.OrcFileFormat()
        kind = "orc"
    elif json_table:
        fmt = ds.JsonFileFormat(parse_options=pajson.ParseOptions(
            explicit_schema=pa.schema([(n, column_types[n]) for n, _ in columns]),
            unexpected_field_behavior="ignore"))
        kind = "json"
    else:
        delimiter = params.get("field.delim") or params.get("separatorChar") or params.get("delimiter") or ","
        skip = int(params.get("skip.header.line.count", "0") or 0)
        quoted = library == OPEN_CSV_SERDE
        # LazySimpleSerDe's ESCAPED BY (escape.delim, as awswrangler's to_csv registers it); OpenCSVSerde's
        # quoteChar and escapeChar when the table sets them
        escape = params.get("escapeChar") if quoted else params.get("escape.delim")
        escape = escape if isinstance(escape, str) and len(escape) == 1 else False
        quote = params.get("quoteChar") or '"' if quoted else False
        quote = quote if isinstance(quote, str) and len(quote) == 1 else False
        null_format = params.get("serialization.null.format")
        nulls = ["", "\\N"] if not quoted else ["\\N"]
        if null_format is not None:  # the table's NULL spelling is NULL for strings too ('' stays '' elsewhere)
            nulls = [null_format, ""] if null_format != "" else [""]
        fmt = ds.CsvFileFormat(
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=quote, escape_char=escape),
            read_options=pacsv.ReadOptions(column_names=[n for n, _ in columns], skip_rows=skip),
            convert_options=pacsv.ConvertOptions(column_types=column_types,
                                                 strings_can_be_null=null_format is not None,
                                                 null_values=nulls))
        kind = "text"

    def fragment(file: DataFile, values: tuple[str, ...]) -> Any:
        expr = _partition_values_expression(tuple(partition_keys), values) if partition_keys else None
        if pseudo:
            for cond in (pc.field("$path") == f"s3://{file.path}",
                         pc.field("$file_size") == pa.scalar(file.size, pa.int64()),
                         pc.field("$file_modified_time") == pa.scalar(file.modified, pa.timestamp("ms", "UTC"))):
                expr = cond if expr is None else expr & cond
        if expr is None:
            return fmt.make_fragment(file.path, filesystem=filesystem)
        return fmt.make_fragment(file.path, filesystem=filesystem, partition_expression=expr)

    fragments = [fragment(file, values) for file, values in files]
    if kind in ("parquet", "orc") and fragments:
        first = files[0][0]
        fields = columnar_fields(columns, _physical_schema(fragments[0], (first.size, first.modified), counter))
    else:
        fields = [pa.field(n, column_types[n]) for n, _ in columns]
    fields += [pa.field(k, arrow_type(t)) for k, t in partition_keys]
    if pseudo:
        fields += [pa.field("$path", pa.string()), pa.field("$file_size", pa.int64()),
                   pa.field("$file_modified_time", pa.timestamp("ms", "UTC"))]
    schema = pa.schema(fields)
    return _lake_dataset_class()(fragments, schema=schema, format=fmt, filesystem=filesystem)
