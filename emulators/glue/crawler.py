"""What a Glue crawler concludes from the objects under an S3 path.

The engine works on plain values: object keys with sizes and a function that
returns an object's bytes. It groups objects into tables, infers each table's
schema with pyarrow (Parquet footers; the first megabyte of CSV and JSON-lines
files, gzip included) and names partition keys (``key=value`` folders, else
``partition_0``, ``partition_1``, ...), producing Glue ``TableInput`` and
``PartitionInput`` documents. It never imports boto3 or moto.

Grouping follows the crawler's documented behaviour: a folder whose subfolders
are ``key=value`` partitions, or whose subfolders hold files of one compatible
schema, becomes one partitioned table; subfolders with different schemas become
separate tables.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SAMPLE_BYTES = 1024 * 1024
MAX_FILES_SAMPLED = 10

PARQUET_FORMAT = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                  "Parameters": {"serialization.format": "1"}},
}
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
CSV_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"


class CrawlError(Exception):
    """A crawl cannot go on (the message is what LastCrawl.ErrorMessage shows)."""


@dataclass
class FileSchema:
    classification: str  # parquet | csv | json
    columns: list[tuple[str, str]]  # (name, glue type)
    compression: str = "none"
    delimiter: str = ","
    has_header: bool = True


@dataclass
class TableSpec:
    name: str
    location: str  # s3://bucket/prefix/
    classification: str
    columns: list[tuple[str, str]]
    partition_keys: list[str]
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)  # values -> location
    compression: str = "none"
    delimiter: str = ","
    has_header: bool = True
    object_count: int = 0
    size_bytes: int = 0

    def storage_descriptor(self, location: str | None = None) -> dict[str, Any]:
        descriptor: dict[str, Any] = {
            "Columns": [{"Name": n, "Type": t} for n, t in self.columns],
            "Location": location or self.location,
            "Compressed": self.compression != "none",
            "NumberOfBuckets": -1,
            "StoredAsSubDirectories": False,
            "Parameters": self.parameters(),
        }
        if self.classification == "parquet":
            descriptor.update(json.loads(json.dumps(PARQUET_FORMAT)))
        elif self.classification == "json":
            descriptor.update({"InputFormat": TEXT_INPUT, "OutputFormat": TEXT_OUTPUT,
                               "SerdeInfo": {"SerializationLibrary": JSON_SERDE,
                                             "Parameters": {"paths": ",".join(n for n, _ in self.columns)}}})
        else:
            descriptor.update({"InputFormat": TEXT_INPUT, "OutputFormat": TEXT_OUTPUT,
                               "SerdeInfo": {"SerializationLibrary": CSV_SERDE,
                                             "Parameters": {"field.delim": self.delimiter}}})
        return descriptor

    def parameters(self) -> dict[str, str]:
        params = {
            "classification": self.classification,
            "compressionType": self.compression,
            "typeOfData": "file",
            "objectCount": str(self.object_count),
            "sizeKey": str(self.size_bytes),
            "CrawlerSchemaDeserializerVersion": "1.0",
            "CrawlerSchemaSerializerVersion": "1.0",
        }
        if self.classification == "csv":
            params.update({"delimiter": self.delimiter, "areColumnsQuoted": "false", "columnsOrdered": "true"})
            if self.has_header:
                params["skip.header.line.count"] = "1"
        return params

    def table_input(self, crawler_name: str) -> dict[str, Any]:
        params = self.parameters()
        params["UPDATED_BY_CRAWLER"] = crawler_name
        return {
            "Name": self.name,
            "StorageDescriptor": self.storage_descriptor(),
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in self.partition_keys],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": params,
        }

    def partition_inputs(self) -> list[dict[str, Any]]:
        return [{"Values": list(values), "StorageDescriptor": self.storage_descriptor(location)}
                for values, location in sorted(self.partitions.items())]


# -- schema inference -------------------------------------------------------------

def glue_type(arrow_type: Any, text_format: bool = False) -> str:
    """The Glue/Hive type name for a pyarrow type (text formats keep Glue's coarse types)."""
    import pyarrow as pa
    import pyarrow.types as t

    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_integer(arrow_type):
        if text_format:
            return "bigint"
        return {8: "tinyint", 16: "smallint", 32: "int", 64: "bigint"}[arrow_type.bit_width]
    if t.is_floating(arrow_type):
        return "double" if text_format or arrow_type.bit_width == 64 else "float"
    if t.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if t.is_timestamp(arrow_type):
        return "string" if text_format else "timestamp"
    if t.is_date(arrow_type):
        return "string" if text_format else "date"
    if t.is_binary(arrow_type) or t.is_large_binary(arrow_type):
        return "binary"
    if t.is_list(arrow_type) or t.is_large_list(arrow_type):
        return f"array<{glue_type(arrow_type.value_type, text_format)}>"
    if t.is_struct(arrow_type):
        inner = ",".join(f"{arrow_type.field(i).name}:{glue_type(arrow_type.field(i).type, text_format)}"
                         for i in range(arrow_type.num_fields))
        return f"struct<{inner}>"
    if t.is_map(arrow_type):
        return f"map<{glue_type(arrow_type.key_type, text_format)},{glue_type(arrow_type.item_type, text_format)}>"
    if t.is_null(arrow_type):
        return "string"
    if isinstance(arrow_type, pa.DictionaryType):
        return glue_type(arrow_type.value_type, text_format)
    return "string"


def _decompress(key: str, data: bytes) -> tuple[bytes, str]:
    if key.endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            return gzip.GzipFile(fileobj=io.BytesIO(data)).read(SAMPLE_BYTES * 4), "gzip"
        except (OSError, EOFError) as exc:
            raise ValueError(f"{key} looks gzipped but cannot be read: {exc}") from None
    return data, "none"


def _complete_lines(data: bytes) -> bytes:
    if len(data) >= SAMPLE_BYTES and b"\n" in data:
        return data[: data.rfind(b"\n") + 1]
    return data


def infer_file_schema(key: str, data: bytes, csv_classifier: dict[str, Any] | None = None) -> FileSchema | None:
    """Schema of one object, or None when it holds no data the crawler understands."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    if data[:4] == b"PAR1":
        schema = pq.read_schema(io.BytesIO(data))
        return FileSchema("parquet", [(f.name, glue_type(f.type)) for f in schema])
    text, compression = _decompress(key, data)
    text = _complete_lines(text[:SAMPLE_BYTES])
    stripped = text.lstrip()
    if not stripped:
        return None
    if stripped[:1] in (b"{", b"["):
        try:
            table = pajson.read_json(io.BytesIO(text))
        except pa.ArrowInvalid:
            return None
        return FileSchema("json", [(f.name, glue_type(f.type, text_format=True)) for f in table.schema],
                          compression)
    sample = text[:65536].decode("utf-8", errors="replace")
    custom = csv_classifier or {}
    delimiter = custom.get("Delimiter")
    if not delimiter:
        try:
            dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",|\t;")
            delimiter = dialect.delimiter
        except csv.Error:
            delimiter = ","
    quote = custom.get("QuoteSymbol") or '"'
    parse = pacsv.ParseOptions(delimiter=delimiter, quote_char=quote)
    try:  # every row as data first: the header decision needs the first row's values
        table = pacsv.read_csv(io.BytesIO(text), parse_options=parse,
                               read_options=pacsv.ReadOptions(autogenerate_column_names=True))
        data = pacsv.read_csv(io.BytesIO(text), parse_options=parse,
                              read_options=pacsv.ReadOptions(autogenerate_column_names=True, skip_rows=1))
    except pa.ArrowInvalid:
        return None
    if table.num_rows == 0:
        return None
    first = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    contains = custom.get("ContainsHeader", "UNKNOWN")
    if contains == "PRESENT":
        has_header = True
    elif contains == "ABSENT":
        has_header = False
    else:
        has_header = _looks_like_header(first, data)
    if custom.get("Header"):
        names = [str(h) for h in custom["Header"]]
    elif has_header:
        names = [str(v) if v not in (None, "") else f"col{i}" for i, v in enumerate(first)]
    else:
        names = [f"col{i}" for i in range(table.num_columns)]
    typed = data if has_header else table
    columns = [(_column_name(n), glue_type(typed.schema.field(i).type if i < typed.num_columns else pa.string(),
                                           text_format=True))
               for i, n in enumerate(names)]
    return FileSchema("csv", columns, compression, delimiter, has_header)


def _looks_like_header(first: list[Any], data: Any) -> bool:
    """AWS's built-in CSV classifier: the first row is a header when every value in it is a
    string, and the rows below are "sufficiently different" (at least one column parses as
    something other than a string). A file of only string columns therefore has no header:
    its columns are col0, col1, ... (a custom CSV classifier with ContainsHeader PRESENT
    changes that)."""
    import pyarrow.types as t

    if data.num_rows == 0:
        return False
    for value in first:
        if value is None or not isinstance(value, str) or not value.strip():
            return False
        try:
            float(value)
            return False
        except ValueError:
            pass
        if value.strip().lower() in ("true", "false"):
            return False
    return any(not (t.is_string(f.type) or t.is_large_string(f.type) or t.is_null(f.type)) for f in data.schema)


def _column_name(name: str) -> str:
    cleaned = re.sub(r"[^0-9a-zA-Z_]+", "_", name.strip()).strip("_").lower()
    return cleaned or "col"


WIDENING = {("bigint", "double"): "double", ("int", "bigint"): "bigint", ("smallint", "int"): "int",
            ("tinyint", "smallint"): "smallint", ("float", "double"): "double", ("int", "double"): "double"}


def merge_columns(schemas: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Union of columns in first-seen order; conflicting types widen (else become string)."""
    merged: dict[str, str] = {}
    for columns in schemas:
        for name, kind in columns:
            if name not in merged or merged[name] == kind:
                merged[name] = kind
            else:
                pair = tuple(sorted((merged[name], kind)))
                merged[name] = WIDENING.get(pair, WIDENING.get(pair[::-1], "string"))  # type: ignore[arg-type]
    return list(merged.items())


def compatible(a: FileSchema, b: FileSchema) -> bool:
    """Same format and mostly the same columns (the crawler's similarity test)."""
    if a.classification != b.classification:
        return False
    names_a, names_b = {n for n, _ in a.columns}, {n for n, _ in b.columns}
    if not names_a or not names_b:
        return False
    return len(names_a & names_b) / len(names_a | names_b) >= 0.7


# -- grouping ---------------------------------------------------------------------

@dataclass
class _Folder:
    path: str  # relative to the include path, "" or "a/b/"
    files: list[tuple[str, int]] = field(default_factory=list)
    children: dict[str, _Folder] = field(default_factory=dict)

    def all_files(self) -> list[tuple[str, int]]:
        found = list(self.files)
        for child in self.children.values():
            found.extend(child.all_files())
        return found


def _is_hidden(segment: str) -> bool:
    return segment.startswith(("_", ".")) or segment.endswith(("_$folder$", ".crc"))


def _build_tree(objects: list[tuple[str, int]], prefix: str) -> _Folder:
    root = _Folder("")
    for key, size in objects:
        relative = key[len(prefix):]
        parts = relative.split("/")
        if not relative or any(_is_hidden(p) for p in parts if p) or relative.endswith("/"):
            continue
        node = root
        for depth, segment in enumerate(parts[:-1]):
            node = node.children.setdefault(segment, _Folder("/".join(parts[: depth + 1]) + "/"))
        node.files.append((key, size))
    return root


def glob_regex(pattern: str) -> re.Pattern[str]:
    """An exclude pattern as Glue reads it: ``*`` stays within one folder level, ``**`` crosses
    levels, ``?`` is one character, ``[a-z]`` a class and ``{a,b}`` alternatives."""
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                body = pattern[i + 1:end]
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end
        elif ch == "{":
            end = pattern.find("}", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                out += "(?:" + "|".join(glob_regex(alt).pattern for alt in pattern[i + 1:end].split(",")) + ")"
                i = end
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out)


def table_name_for(path: str) -> str:
    name = path.rstrip("/").split("/")[-1] if path.strip("/") else path
    return re.sub(r"[^0-9a-z_]+", "_", name.lower()).strip("_") or "table"


def infer_tables(
    bucket: str,
    prefix: str,
    objects: list[tuple[str, int]],
    read: Callable[[str], bytes],
    table_prefix: str = "",
    exclusions: list[str] | None = None,
    csv_classifier: dict[str, Any] | None = None,
) -> tuple[list[TableSpec], list[str]]:
    """Tables found under ``s3://bucket/prefix``; returns (tables, warnings)."""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    warnings: list[str] = []
    patterns = [glob_regex(p) for p in exclusions or []]
    kept = [(k, s) for k, s in objects if not any(p.fullmatch(k[len(prefix):]) for p in patterns)]
    schema_cache: dict[str, FileSchema | None] = {}

    def schema_of(key: str) -> FileSchema | None:
        if key not in schema_cache:
            try:
                schema_cache[key] = infer_file_schema(key, read(key), csv_classifier)
            except Exception as exc:  # an unreadable object is skipped, as the crawler logs it
                warnings.append(f"skipped {key}: {exc}")
                schema_cache[key] = None
        return schema_cache[key]

    def sample_keys(folder: _Folder) -> list[str]:
        """Files from every branch of the folder (not just the first few), so one large
        subfolder cannot hide a differently shaped sibling."""
        picked = [k for k, _ in sorted(folder.files)[:2]]
        for _, child in sorted(folder.children.items()):
            picked.extend(sample_keys(child)[:2])
        return picked

    def folder_schema(folder: _Folder) -> FileSchema | None:
        keys = sample_keys(folder)
        keys += [k for k, _ in sorted(folder.all_files())[:MAX_FILES_SAMPLED] if k not in keys]
        sampled = [schema_of(k) for k in keys[: MAX_FILES_SAMPLED * 5]]
        schemas = [s for s in sampled if s is not None]
        if not schemas:
            return None
        first = schemas[0]
        if any(not compatible(first, s) for s in schemas[1:]):
            return None
        merged = merge_columns([s.columns for s in schemas])
        return FileSchema(first.classification, merged, first.compression, first.delimiter, first.has_header)

    tables: list[TableSpec] = []

    def make_table(folder: _Folder, schema: FileSchema, name_path: str) -> None:
        base = f"s3://{bucket}/{prefix}{folder.path}"
        depth_keys: list[str] = []
        partitions: dict[tuple[str, ...], str] = {}
        files = folder.all_files()
        for key, _ in files:
            relative = key[len(prefix) + len(folder.path):]
            segments = relative.split("/")[:-1]
            if not segments:
                continue
            values = []
            for depth, segment in enumerate(segments):
                name, _, value = segment.partition("=")
                key_name = name if value else f"partition_{depth}"
                if depth >= len(depth_keys):
                    depth_keys.append(key_name)
                values.append(value if value else segment)
            partitions[tuple(values)] = base + "/".join(segments) + "/"
        partition_keys = [_column_name(k) for k in depth_keys]
        columns = [(n, t) for n, t in schema.columns if n not in partition_keys]
        tables.append(TableSpec(
            name=table_prefix + table_name_for(name_path or bucket), location=base,
            classification=schema.classification, columns=columns, partition_keys=partition_keys,
            partitions={v: loc for v, loc in partitions.items() if len(v) == len(partition_keys)},
            compression=schema.compression, delimiter=schema.delimiter, has_header=schema.has_header,
            object_count=len(files), size_bytes=sum(s for _, s in files),
        ))

    def visit(folder: _Folder, name_path: str) -> None:
        if not folder.all_files():
            return
        partitioned = folder.children and all("=" in name for name in folder.children)
        schema = folder_schema(folder)
        if schema is not None and (partitioned or not folder.files or not folder.children):
            make_table(folder, schema, name_path)
            return
        if folder.files:
            own = _Folder(folder.path, files=folder.files)
            own_schema = folder_schema(own)
            if own_schema is not None:
                make_table(own, own_schema, name_path)
        for name, child in sorted(folder.children.items()):
            visit(child, (name_path.rstrip("/") + "/" if name_path else "") + name)

    root_name = prefix.rstrip("/") or bucket
    visit(_build_tree(kept, prefix), root_name)
    seen: dict[str, int] = {}
    for table in tables:  # two folders with one name: the second gets a suffix, as the crawler does
        if table.name in seen:
            seen[table.name] += 1
            table.name = f"{table.name}_{seen[table.name]}"
        else:
            seen[table.name] = 0
    return tables, warnings
