"""S3 Select (SelectObjectContent) on DuckDB.

One object in, one SQL statement over it: ``SELECT ... FROM S3Object [AS] s
[WHERE ...] [LIMIT n]``. CSV (FileHeaderInfo USE / IGNORE / NONE, field and
record delimiters, quote character, comments), JSON (LINES or DOCUMENT) and
Parquet inputs, GZIP/BZIP2 compression; CSV or JSON output. As on S3, CSV
fields are strings (CAST them to compare numbers), columns are also reachable
by position (``s._1``), and an output column that is not a plain column or an
alias is named ``_1``, ``_2``... in JSON output. A JSON path in FROM
(``S3Object[*].Rules[*]``, ``S3Object[*].a.b``) is followed in Python first: its
records are what DuckDB reads (a scalar at the end of the path is a record of that
one field); array positions in the expression count from 0, as in S3 Select. The
reference's date functions (TO_TIMESTAMP, UTCNOW, DATE_ADD, DATE_DIFF, TO_STRING) and
``IS [NOT] MISSING`` are rewritten by ``select_functions.py``; timestamps are written
in UTC with a ``Z``.

Engines take bytes and plain values; errors are :class:`SelectError` carrying
the S3 Select error code.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import re
import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from emulators.core.sqlguard import lock_down, statement_count
from emulators.s3 import select_functions

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FROM = re.compile(r"\bFROM\s+S3Object\b((?:\[(?:\*|\d+)\]|\.\*|\.[A-Za-z_]\w*|\.\"[^\"]+\")*)"
                   r"(\s+(?:AS\s+)?(?!WHERE\b|LIMIT\b)([A-Za-z_]\w*))?", re.IGNORECASE)


class SelectError(Exception):
    """An S3 Select failure with the code S3 answers (400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _decompress(body: bytes, compression: str | None) -> bytes:
    compression = (compression or "NONE").upper()
    try:
        if compression == "GZIP":
            return gzip.decompress(body)
        if compression == "BZIP2":
            return bz2.decompress(body)
    except (OSError, ValueError) as exc:
        raise SelectError("InvalidCompressionFormat",
                          f"The file is not in a supported compression format ({compression}): {exc}") from None
    if compression != "NONE":
        raise SelectError("InvalidCompressionFormat", f"CompressionType {compression} is not supported.")
    return body


def _csv_rows(text: str, settings: dict[str, Any]) -> tuple[list[str] | None, list[list[str]]]:
    delimiter = _text(settings.get("FieldDelimiter")) or ","
    record = _text(settings.get("RecordDelimiter")) or "\n"
    quote = _text(settings.get("QuoteCharacter")) or '"'
    comment = _text(settings.get("Comments"))
    header_info = (_text(settings.get("FileHeaderInfo")) or "NONE").upper()
    if header_info not in ("USE", "IGNORE", "NONE"):
        raise SelectError("InvalidFileHeaderInfo", f"FileHeaderInfo {header_info} is invalid; use USE, IGNORE or NONE.")
    if record not in ("\n", "\r\n"):
        text = text.replace(record, "\n")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote)
    rows = [row for row in reader if row and not (comment and row[0].startswith(comment))]
    header = None
    if header_info in ("USE", "IGNORE") and rows:
        first = rows.pop(0)
        header = first if header_info == "USE" else None
    return header, rows


_PATH_STEP = re.compile(r"\[\*\]|\[(\d+)\]|\.\*|\.([A-Za-z_]\w*)|\.\"([^\"]+)\"")


def _json_documents(text: str) -> list[Any]:
    """Every top-level JSON value of the object (one document, or one per line, or several in a row)."""
    decoder = json.JSONDecoder()
    values, at = [], 0
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text):
            return values
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise SelectError("JSONParsingError", f"Error parsing JSON file: {exc}") from None
        values.append(value)


_MISSING = object()


def _follow(values: list[Any], path: str) -> tuple[list[Any], str | None]:
    """The records a FROM path (``[*].rows[*]``, ``[*].a.b``, ``[0]``) reaches from the top-level values, and
    the name of its last field (a scalar found at the end of the path is a record of that one field)."""
    steps = list(_PATH_STEP.finditer(path))
    if "".join(step.group(0) for step in steps) != path:
        raise SelectError("ParseInvalidPathComponent", f"Invalid path in FROM: S3Object{path}")
    current, last_name = values, None
    for position, step in enumerate(steps):
        text = step.group(0)
        following: list[Any] = []
        for value in current:
            if text == "[*]" and position == 0:
                following.extend(value if isinstance(value, list) else [value])
            elif text in ("[*]", ".*"):
                if isinstance(value, list):
                    following.extend(value)
                elif isinstance(value, dict):
                    following.extend(value.values())
            elif step.group(1) is not None:
                index = int(step.group(1))
                following.append(value[index] if isinstance(value, list) and index < len(value) else _MISSING)
            else:
                name = step.group(2) or step.group(3)
                last_name = name
                following.append(value.get(name, _MISSING) if isinstance(value, dict) else _MISSING)
        current = following
        if text in ("[*]", ".*") or step.group(1) is not None:
            last_name = None
    return current, last_name


def _json_records(data: bytes, path: str) -> list[dict[str, Any]]:
    found, name = _follow(_json_documents(data.decode("utf-8", "replace")), path)
    records = []
    for value in found:
        if isinstance(value, dict):
            records.append(value)
        elif value is _MISSING:
            records.append({name or "_1": None})
        else:
            records.append({name or "_1": value})
    return records


def _load_relation(con: Any, body: bytes, input_details: dict[str, Any], work: Path,
                   path: str | None = None) -> list[str]:
    """Create the view ``S3Object`` (the records ``path`` reaches, for JSON); the names of its columns."""
    if path and "JSON" not in input_details:
        raise SelectError("UnsupportedSyntax", "A path in FROM (S3Object[*]...) is only valid for JSON input.")
    if "Parquet" in input_details:
        if (_text(input_details.get("CompressionType")) or "NONE").upper() != "NONE":
            raise SelectError("InvalidCompressionFormat", "Parquet input supports only CompressionType NONE.")
        path = work / "object.parquet"
        path.write_bytes(body)
        try:
            con.execute(f"CREATE TABLE S3Object AS SELECT * FROM read_parquet('{path}')")
        except Exception as exc:  # noqa: BLE001 - duckdb raises its own error classes
            raise SelectError("InvalidDataSource", f"The object is not a valid Parquet file: {exc}") from None
    else:
        data = _decompress(body, _text(input_details.get("CompressionType")))
        if "JSON" in input_details:
            settings = input_details.get("JSON") or {}
            kind = (_text(settings.get("Type")) or "DOCUMENT").upper()
            if kind not in ("LINES", "DOCUMENT"):
                raise SelectError("InvalidJsonType", f"JSON Type {kind} is invalid; use LINES or DOCUMENT.")
            target = work / "object.json"
            fmt = "newline_delimited" if kind == "LINES" else "auto"
            if path:  # the records the FROM path reaches, one JSON object a line
                records = _json_records(data, path)
                if not records:
                    con.execute("CREATE TABLE S3Object (_1 VARCHAR)")
                    return ["_1"]
                data = "\n".join(json.dumps(r) for r in records).encode()
                fmt = "newline_delimited"
            target.write_bytes(data)
            try:
                con.execute(f"CREATE TABLE S3Object AS SELECT * FROM read_json('{target}', format='{fmt}')")
            except Exception as exc:  # noqa: BLE001
                raise SelectError("JSONParsingError", f"Error parsing JSON file: {exc}") from None
        elif "CSV" in input_details:
            settings = input_details.get("CSV") or {}
            text = data.decode("utf-8", "replace")
            header, rows = _csv_rows(text, settings)
            width = max([len(header or [])] + [len(r) for r in rows]) if (rows or header) else 1
            positional = [f"_{i + 1}" for i in range(width)]
            names = list(header or []) + positional[len(header or []):]
            import pyarrow as pa

            columns = {}
            for i, name in enumerate(names):
                columns[name] = pa.array([r[i] if i < len(r) else None for r in rows], pa.string())
            table = pa.table(columns) if columns else pa.table({"_1": pa.array([], pa.string())})
            con.register("s3object_rows", table)
            # positional names reach the same columns when the header names them
            extra = [f'"{n}" AS "_{i + 1}"' for i, n in enumerate(names) if header and i < len(header)
                     and n != f"_{i + 1}"]
            con.execute("CREATE VIEW S3Object AS SELECT * FROM s3object_rows")
            if extra:
                con.execute("CREATE VIEW S3Object_positional AS SELECT *, " + ", ".join(extra) + " FROM s3object_rows")
            return names
        else:
            raise SelectError("MissingRequiredParameter",
                              "InputSerialization must name one of CSV, JSON or Parquet.")
    return [row[0] for row in con.execute("DESCRIBE S3Object").fetchall()]


def _translate(expression: str, positional: bool) -> str:
    sql = expression.strip().rstrip(";")
    if not re.match(r"^\s*SELECT\b", sql, re.IGNORECASE):
        raise SelectError("ParseUnexpectedToken", "S3 Select expressions must start with SELECT.")
    match = _FROM.search(sql)
    if not match:
        raise SelectError("ParseSelectMissingFrom", "The FROM clause must name S3Object (FROM S3Object s).")
    alias = match.group(3) or "S3Object"
    source = "S3Object_positional" if positional else "S3Object"
    return select_functions.rewrite(_zero_based_indexes(sql[: match.start()]) + f"FROM {source} AS {alias}"
                                    + _zero_based_indexes(sql[match.end():]))


_INDEX = re.compile(r"([\w\])\"])\[(\d+)\]")


def _zero_based_indexes(sql: str) -> str:
    """S3 Select counts array positions from 0 (``s.Rules[0]`` is the first rule), DuckDB from 1; string
    literals are left as they are."""
    pieces = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(piece if index % 2 else _INDEX.sub(lambda m: f"{m.group(1)}[{int(m.group(2)) + 1}]", piece)
                   for index, piece in enumerate(pieces))


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):  # S3 Select writes timestamps in UTC with a Z
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def run_select(body: bytes, expression: str, input_details: dict[str, Any],
               output_details: dict[str, Any]) -> tuple[bytes, int]:
    """The records S3 Select returns for ``expression`` over one object, and the bytes processed."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="s3select-") as tmp:
        con = duckdb.connect()
        try:
            for macro in select_functions.MACROS:
                con.execute(macro)
            match = _FROM.search(expression)
            names = _load_relation(con, body, input_details, Path(tmp), match.group(1) if match else None)
            lock_down(con)  # the object is loaded: the expression reaches no host file (sqlguard)
            if statement_count(con, expression.strip().rstrip(";")) > 1:
                raise SelectError("UnsupportedSyntax", "S3 Select runs exactly one SELECT expression.")
            positional = bool(re.search(r"\b_\d+\b", expression)) and any(not n.startswith("_") for n in names)
            try:
                positional = positional and bool(con.execute(
                    "SELECT count(*) FROM duckdb_views() WHERE view_name = 'S3Object_positional'").fetchone()[0])
            except Exception:  # noqa: BLE001
                positional = False
            sql = _translate(expression, positional)
            try:
                cursor = con.execute(sql)
                rows = cursor.fetchall()
                columns = [d[0] for d in cursor.description]
            except duckdb.ParserException as exc:
                raise SelectError("ParseUnexpectedToken", f"Syntax error in the expression: {exc}") from None
            except duckdb.ConversionException as exc:
                raise SelectError("CastFailed", f"Attempt to convert from one data type to another failed: {exc}") \
                    from None
            except duckdb.CatalogException as exc:
                raise SelectError("UnsupportedFunction", f"{exc}") from None
            except duckdb.BinderException as exc:
                raise SelectError("InvalidColumnIndex" if "not found" in str(exc) else "UnsupportedSyntax",
                                  f"{exc}") from None
            except duckdb.Error as exc:
                raise SelectError("UnsupportedSyntax", f"{exc}") from None
        finally:
            con.close()
    processed = len(_decompress(body, _text(input_details.get("CompressionType")))) \
        if "Parquet" not in input_details else len(body)
    names_out = [c if _IDENTIFIER.match(c) else f"_{i + 1}" for i, c in enumerate(columns)]
    return _serialise(rows, names_out, output_details), processed


def _serialise(rows: list[tuple], names: list[str], output_details: dict[str, Any]) -> bytes:
    if "CSV" in output_details:
        settings = output_details.get("CSV") or {}
        delimiter = _text(settings.get("FieldDelimiter")) or ","
        record = _text(settings.get("RecordDelimiter")) or "\n"
        quote = _text(settings.get("QuoteCharacter")) or '"'
        always = (_text(settings.get("QuoteFields")) or "ASNEEDED").upper() == "ALWAYS"
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, quotechar=quote, lineterminator=record,
                            quoting=csv.QUOTE_ALL if always else csv.QUOTE_MINIMAL)
        for row in rows:
            writer.writerow(["" if v is None else (json.dumps(_json_value(v)) if isinstance(v, (dict, list))
                                                   else _json_value(v)) for v in row])
        return out.getvalue().encode()
    settings = output_details.get("JSON") or {}
    record = _text(settings.get("RecordDelimiter")) or "\n"
    lines = []
    for row in rows:
        item = {name: _json_value(value) for name, value in zip(names, row) if value is not None}
        lines.append(json.dumps(item, separators=(",", ":")) + record)
    return "".join(lines).encode()
