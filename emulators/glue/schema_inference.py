"""What one file's schema is, as a Glue crawler infers it (part of the crawler engine: no boto3, no moto).

Parquet from its footer; CSV and JSON lines from the first megabyte (gzip included), CSV types from the
first 1000 records and the header kept as Glue keeps it (trimmed, lower-cased, spaces inside kept); the
Glue/Hive type names for pyarrow types, and how the columns of several files merge.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from typing import Any

SAMPLE_BYTES = 1024 * 1024
CSV_RECORDS_SAMPLED = 1000


@dataclass
class FileSchema:
    classification: str  # parquet | csv | json
    columns: list[tuple[str, str]]  # (name, glue type)
    compression: str = "none"
    delimiter: str = ","
    has_header: bool = True


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


def _first_records(data: bytes, count: int) -> bytes:
    """The first ``count`` lines (a quoted field with a line break may cut a record short; the sample is
    only for typing)."""
    end = -1
    for _ in range(count):
        end = data.find(b"\n", end + 1)
        if end == -1:
            return data
    return data[: end + 1]


_JSON_PATH_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[\*\]|\[(\d+)\]|\['([^']*)'\]")


def json_path_records(document: Any, path: str) -> list[Any]:
    """The values a JSON classifier's ``JsonPath`` selects (``$[*]``, ``$.records[*]``, ``$.a.b``, ``$['a']``)."""
    path = path.strip()
    if not path.startswith("$"):
        raise ValueError(f"JsonPath {path!r} must start with $")
    nodes, position = [document], 1
    while position < len(path):
        step = _JSON_PATH_STEP.match(path, position)
        if not step:
            raise ValueError(f"JsonPath {path!r} is not supported by the sandbox's JSON classifier")
        name, index, quoted = step.group(1), step.group(2), step.group(3)
        if step.group(0) == "[*]":
            nodes = [item for node in nodes if isinstance(node, list) for item in node]
        elif index is not None:
            nodes = [node[int(index)] for node in nodes if isinstance(node, list) and int(index) < len(node)]
        else:
            key = name if name is not None else quoted
            nodes = [node[key] for node in nodes if isinstance(node, dict) and key in node]
        position = step.end()
    return nodes


def _json_document_table(text: bytes, json_path: str | None) -> Any:
    """A JSON document as the crawler types it: the records a custom classifier's JsonPath selects, or (the
    built-in classifier, for a document that is one top-level array) a single column ``array``."""
    import json

    import pyarrow as pa

    body = text.decode("utf-8")
    if not json_path:
        return pa.Table.from_pylist([{"array": json.loads(body)}])
    try:
        documents = [json.loads(body)]
    except ValueError:  # JSON lines: the path applies to each document
        documents = [json.loads(line) for line in body.splitlines() if line.strip()]
    records = [r for document in documents for r in json_path_records(document, json_path) if isinstance(r, dict)]
    return pa.Table.from_pylist(records) if records else None


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
        json_path = (csv_classifier or {}).get("JsonPath")
        try:
            table = _json_document_table(text, json_path) if json_path else None  # the custom classifier first
            if table is None:
                table = _json_document_table(text, None) if stripped[:1] == b"[" else \
                    pajson.read_json(io.BytesIO(text))
        except (pa.ArrowInvalid, ValueError, TypeError):
            return None
        return FileSchema("json", [(f.name, glue_type(f.type, text_format=True)) for f in table.schema],
                          compression)
    text = _first_records(text, CSV_RECORDS_SAMPLED + 1)  # the built-in CSV classifier reads 1000 records
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
    columns = [(_column_name(n, i), glue_type(typed.schema.field(i).type if i < typed.num_columns else pa.string(),
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


def _column_name(name: str, position: int = 0) -> str:
    """A CSV header as Glue's catalog keeps it: trimmed and lower-cased, inner spaces and punctuation kept
    (``" Total Discharges "`` -> ``total discharges``); an empty header becomes ``col<position>``."""
    cleaned = name.strip().lower()
    return cleaned or f"col{position}"


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
