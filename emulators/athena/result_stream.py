"""GetQueryResultStream: a finished query's rows as an Apache Arrow IPC stream, whole or a byte range.

The API reference (``GetQueryResultStream``, botocore 1.44.18): the result data as a raw binary stream in
the Arrow IPC Stream format, ``Range: bytes=N-M`` for a slice (HTTP 206 with ``Content-Range``), ``Accept-Ranges:
bytes``. The stream is built from the same rows GetQueryResults pages through; each column gets the Arrow type
of its Athena type (``bigint`` int64, ``double`` float64, ``decimal(p,s)`` decimal128, ``date`` date32,
``timestamp`` timestamp[ms], ``boolean``), and a type without a plain Arrow counterpart (arrays, maps, rows,
JSON, intervals) stays the text Athena prints for it.
"""

from __future__ import annotations

import re
from typing import Any

from emulators.core.errors import InvalidInput

CONTENT_TYPE = "application/vnd.apache.arrow.stream"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_SIMPLE = {"boolean": "bool", "tinyint": "int8", "smallint": "int16", "integer": "int32", "int": "int32",
           "bigint": "int64", "real": "float32", "float": "float32", "double": "float64", "date": "date32",
           "varchar": "string", "char": "string", "string": "string", "varbinary": "string"}


def arrow_type(athena_type: str, declared: tuple[int, int] | None) -> Any:
    import pyarrow as pa

    base = athena_type.split("(", 1)[0].strip().lower()
    if base == "decimal":
        precision, scale = declared or _decimal_digits(athena_type)
        return pa.decimal128(precision, scale)
    if base.startswith("timestamp"):
        return pa.timestamp("ms")
    return pa.type_for_alias(_SIMPLE.get(base, "string"))


def _decimal_digits(athena_type: str) -> tuple[int, int]:
    digits = re.findall(r"\d+", athena_type)
    return (int(digits[0]), int(digits[1]) if len(digits) > 1 else 0) if digits else (38, 0)


def _column(values: list[str | None], kind: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values, pa.string())
    if pa.types.is_string(kind):
        return text
    try:
        if pa.types.is_boolean(kind):
            return pc.equal(pc.utf8_lower(text), "true")
        if pa.types.is_timestamp(kind):
            return pc.strptime(pc.utf8_slice_codeunits(text, 0, 23), "%Y-%m-%d %H:%M:%S.%f", "ms", error_is_null=False) \
                if any(v and "." in v for v in values) else pc.strptime(text, "%Y-%m-%d %H:%M:%S", "ms")
        return pc.cast(text, kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return text  # a value Arrow does not parse as that type: the column keeps Athena's text


def ipc_stream(columns: list[tuple[str, str]], rows: list[list[str | None]],
               declared: list[tuple[int, int] | None]) -> bytes:
    """The rows (Athena's text values) as one Arrow IPC stream."""
    import pyarrow as pa

    arrays = [_column([row[i] for row in rows], arrow_type(kind, declared[i]))
              for i, (_, kind) in enumerate(columns)]
    table = pa.Table.from_arrays(arrays, names=[name for name, _ in columns]) if columns else pa.table({})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def answer(data: bytes, range_header: str | None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the stream, or of the byte range asked for."""
    headers = {"Content-Type": CONTENT_TYPE, "Accept-Ranges": "bytes"}
    if not range_header:
        return 200, headers, data
    match = _RANGE.match(range_header.strip())
    if match is None or match.groups() == ("", ""):
        raise InvalidInput(f"Range {range_header[:100]!r} is not of the form bytes=N-M, bytes=N- or bytes=-N.",
                           code="InvalidRequestException")
    first, last = match.groups()
    total = len(data)
    if first == "":  # the last N bytes
        start, end = max(0, total - int(last)), total - 1
    else:
        start, end = int(first), min(int(last), total - 1) if last else total - 1
    if start >= total or end < start:
        raise InvalidInput(f"Range {range_header[:100]!r} is outside the {total} bytes of the result stream.",
                           code="InvalidRequestException")
    return 206, {**headers, "Content-Range": f"bytes {start}-{end}/{total}"}, data[start:end + 1]
