"""S3 Select (SelectObjectContent) on DuckDB.

One object in, one SQL statement over it: ``SELECT ... FROM S3Object [AS] s
[WHERE ...] [LIMIT n]``. CSV (FileHeaderInfo USE / IGNORE / NONE, field and
record delimiters, quote character, comments), JSON (LINES or DOCUMENT) and
Parquet inputs, GZIP/BZIP2 compression; CSV or JSON output. As on S3, CSV
fields are strings (CAST them to compare numbers), columns are also reachable
by position (``s._1``), and an output column that is not a plain column or an
alias is named ``_1``, ``_2``... in JSON output.

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
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from emulators.core.sqlguard import lock_down, statement_count

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FROM = re.compile(r"\bFROM\s+S3Object\b(\[\*\][\w.\[\]*]*)?(\s+(?:AS\s+)?(?!WHERE\b|LIMIT\b)([A-Za-z_]\w*))?",
                   re.IGNORECASE)


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


def _load_relation(con: Any, body: bytes, input_details: dict[str, Any], work: Path) -> list[str]:
    """Create the view ``S3Object``; the names of its columns."""
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
            path = work / "object.json"
            path.write_bytes(data)
            fmt = "newline_delimited" if kind == "LINES" else "auto"
            try:
                con.execute(f"CREATE TABLE S3Object AS SELECT * FROM read_json('{path}', format='{fmt}')")
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
    if match.group(1):
        raise SelectError("UnsupportedSyntax", "JSON paths in FROM (S3Object[*].path) are not supported by the "
                                               "sandbox; select the nested fields with s.a.b instead.")
    alias = match.group(3) or "S3Object"
    source = "S3Object_positional" if positional else "S3Object"
    return sql[: match.start()] + f"FROM {source} AS {alias}" + sql[match.end():]


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
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
            names = _load_relation(con, body, input_details, Path(tmp))
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
