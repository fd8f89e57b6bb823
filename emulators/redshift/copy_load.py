"""Redshift's COPY from S3 into a warehouse table (DuckDB), with Redshift's load errors.

The files are the objects under the FROM prefix, or the entries of a MANIFEST file. Text input (CSV, or
the default pipe-delimited text with FILLRECORD, NULL AS, REMOVEQUOTES, ESCAPE) and JSON (``'auto'``,
``'auto ignorecase'`` or a JSONPaths file on S3) are read as strings first, one row per input line or
object, then cast to the table's column types: a row with the wrong number of fields or a value that does
not cast is rejected and recorded in ``stl_load_errors`` / ``sys_load_error_detail``
(:mod:`.system_tables`). With more rejected rows than ``MAXERROR`` (0 unless given) nothing is loaded and
the COPY fails with Redshift's message; otherwise the good rows are loaded. Parquet and ORC are loaded as
they are typed, columns by position; Avro is not emulated. Options that only tune Redshift's loader
(COMPUPDATE, STATUPDATE, REGION, TIMEFORMAT 'auto', ...) are accepted; GZIP, BZIP2 and ZSTD input is
read, LZOP refused saying so.

Raises ``ValueError`` with the message the Data API reports (the warehouse adds ``ERROR:``).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from typing import Any

from emulators.redshift import system_tables
from emulators.redshift.dialect import strftime_format

INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


def copy(con: Any, text: str, lake: Any) -> int:
    """Run one COPY statement; the number of rows loaded."""
    flat = " ".join(text.split())
    match = re.match(r"COPY\s+([\w.\"]+)\s*(\([^)]*\))?\s+FROM\s+'([^']+)'(.*)$", flat, re.I)
    if not match:
        raise ValueError("syntax error in COPY: expected COPY table FROM 's3://...' ...")
    table, column_list, source, options = match.group(1), match.group(2), match.group(3), match.group(4)
    if not source.startswith("s3://"):
        kind = source.split("://", 1)[0].upper() if "://" in source else "a local path"
        raise ValueError(f"COPY from {kind} is not emulated by the sandbox: COPY reads s3:// objects (export the "
                         "data to S3 first)")
    files = _source_files(source, options, lake)
    described = {row[0]: row[1] for row in con.execute(f"DESCRIBE {table}").fetchall()}
    columns = [c.strip().strip('"').lower() for c in column_list[1:-1].split(",")] if column_list else list(described)
    unknown = [c for c in columns if c not in described]
    if unknown:
        raise ValueError(f'column "{unknown[0]}" of relation "{table}" does not exist')
    columnar = re.search(r"\b(?:FORMAT\s+(?:AS\s+)?)?(PARQUET|ORC|AVRO)\b", options, re.I)
    fmt = columnar.group(1).lower() if columnar else "json" if re.search(r"\bJSON\b", options, re.I) else "text"
    compression = re.search(r"\b(GZIP|BZIP2|ZSTD|LZOP)\b", options, re.I)
    if compression and compression.group(1).upper() == "LZOP":
        raise ValueError("LZOP-compressed input is not emulated by the sandbox (no LZO codec offline): compress "
                         "the files with GZIP, BZIP2 or ZSTD")
    if fmt == "avro":
        raise ValueError("COPY from Avro is not emulated by the sandbox (CSV, JSON, Parquet and ORC are)")
    if fmt in ("parquet", "orc"):
        return _copy_columnar(con, table, columns, files, lake, fmt)
    jsonpaths = None
    json_option = re.search(r"\bJSON\s+(?:AS\s+)?'([^']*)'", options, re.I)
    if fmt == "json" and json_option and json_option.group(1).startswith("s3://"):
        paths_bucket, _, paths_key = json_option.group(1)[len("s3://"):].partition("/")
        try:
            jsonpaths = json.loads(lake.get(paths_bucket, paths_key))["jsonpaths"]
        except Exception as exc:
            raise ValueError(f"Manifest file is not in correct json format or jsonpaths file {json_option.group(1)} "
                             f"could not be read: {exc}") from None
        if len(jsonpaths) != len(columns):
            raise ValueError(f"Number of jsonpaths and the number of columns should match. JSONPath size: "
                             f"{len(jsonpaths)}, Number of columns in table or column list: {len(columns)}")
    ignorecase = bool(json_option and "ignorecase" in json_option.group(1).lower())
    rows: list[list[Any]] = []
    errors: list[dict[str, Any]] = []
    for bucket, key in files:
        data = lake.get(bucket, key)
        data = _decompress(data, compression.group(1).upper() if compression else
                           "GZIP" if key.endswith(".gz") else None, f"s3://{bucket}/{key}")
        filename = f"s3://{bucket}/{key}"
        if fmt == "json":
            _json_rows(data.decode("utf-8", errors="replace"), columns, jsonpaths, ignorecase, filename, rows, errors)
        else:
            _text_rows(data.decode("utf-8", errors="replace"), columns, options, filename, rows, errors)
    return _load_strings(con, table, columns, described, rows, errors, options)


def _decompress(data: bytes, codec: str | None, filename: str) -> bytes:
    if codec is None:
        return data
    try:
        if codec == "GZIP":
            return gzip.decompress(data)
        if codec == "BZIP2":
            import bz2

            return bz2.decompress(data)
        import pyarrow as pa

        return pa.input_stream(pa.py_buffer(data), compression="zstd").read()
    except Exception as exc:
        raise ValueError(f"{codec} decompression of {filename} failed ({exc}): the file is not {codec}-compressed") \
            from None


def _source_files(source: str, options: str, lake: Any) -> list[tuple[str, str]]:
    """(bucket, key) of every file COPY reads: the objects under the prefix, or a MANIFEST's entries."""
    bucket, _, prefix = source[len("s3://"):].partition("/")
    if re.search(r"\bMANIFEST\b", options, re.I):
        try:
            entries = json.loads(lake.get(bucket, prefix))["entries"]
        except Exception as exc:
            raise ValueError(f"Manifest file is not in correct json format or could not be read: {source} ({exc})") \
                from None
        files = []
        for entry in entries:
            entry_bucket, _, key = str(entry.get("url", "")).replace("s3://", "", 1).partition("/")
            try:
                lake.get(entry_bucket, key)
            except Exception:
                if entry.get("mandatory"):
                    raise ValueError(f"Problem reading manifest file - S3ServiceException: The specified key does not "
                                     f"exist., url: {entry.get('url')}") from None
                continue
            files.append((entry_bucket, key))
        return files
    try:
        objects = [o.key for o in lake.list(bucket, prefix) if not o.key.endswith("/")]
    except Exception as exc:
        raise ValueError(f"S3ServiceException: {exc}") from None
    if not objects:
        raise ValueError(f"The specified S3 prefix '{prefix}' does not exist")
    return [(bucket, key) for key in objects]


def _text_rows(text: str, columns: list[str], options: str, filename: str, rows: list[list[Any]],
               errors: list[dict[str, Any]]) -> None:
    import csv

    is_csv = re.search(r"\bCSV\b", options, re.I) is not None
    given = re.search(r"DELIMITER\s+(?:AS\s+)?'((?:\\.|[^'])*)'", options, re.I)
    delimiter = given.group(1) if given else "," if is_csv else "|"
    delimiter = delimiter.encode().decode("unicode_escape")
    ignore = int((re.search(r"IGNOREHEADER\s+(?:AS\s+)?(\d+)", options, re.I) or [None, "0"])[1])
    blanks = re.search(r"\bBLANKSASNULL\b", options, re.I) is not None
    fill = re.search(r"\bFILLRECORD\b", options, re.I) is not None
    null = re.search(r"\bNULL\s+(?:AS\s+)?'((?:''|[^'])*)'", options, re.I)
    null_text = null.group(1).encode().decode("unicode_escape") if null else None
    quoted = is_csv or re.search(r"\bREMOVEQUOTES\b", options, re.I) is not None
    escape = "\\" if not is_csv and re.search(r"\bESCAPE\b", options, re.I) else None
    lines = text.splitlines()
    quote = re.search(r"\bQUOTE\s+(?:AS\s+)?'([^']|'')'", options, re.I)  # CSV QUOTE AS 'c'
    reader = csv.reader(lines[ignore:], delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE,
                        escapechar=escape, quotechar=quote.group(1)[0] if quote else '"')
    for offset, fields in enumerate(reader):
        number = ignore + offset + 1
        if not fields or (len(fields) == 1 and not fields[0].strip() and len(columns) > 1):
            continue  # a blank line
        raw = lines[number - 1] if number - 1 < len(lines) else delimiter.join(fields)
        if fill and len(fields) < len(columns):  # FILLRECORD: missing trailing columns are NULL
            fields = fields + [""] * (len(columns) - len(fields))
        if len(fields) != len(columns):
            fewer = len(fields) < len(columns)
            errors.append({"filename": filename, "line_number": number, "raw_line": raw,
                           "colname": columns[len(fields)] if fewer else "", "err_code": 1214 if fewer else 1202,
                           "err_reason": "Delimiter not found" if fewer else "Extra column(s) found"})
            continue
        rows.append([(filename, number)] + [None if f == "" or f == null_text or (blanks and not f.strip()) else f
                                            for f in fields])


def _json_rows(text: str, columns: list[str], jsonpaths: list[str] | None, ignorecase: bool, filename: str,
               rows: list[list[Any]], errors: list[dict[str, Any]]) -> None:
    decoder = json.JSONDecoder()
    position, number = 0, 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        number += 1
        line = text.count("\n", 0, position) + 1
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            errors.append({"filename": filename, "line_number": line, "raw_line": text[position:position + 200],
                           "err_code": 1216, "err_reason": f"Invalid JSON: {exc.msg}"})
            return
        if not isinstance(document, dict):
            errors.append({"filename": filename, "line_number": line, "raw_line": json.dumps(document)[:1024],
                           "err_code": 1224, "err_reason": "Top level element is not an object"})
            continue
        if jsonpaths is not None:
            values = [_json_path(document, path) for path in jsonpaths]
        else:
            fields = {k.lower(): v for k, v in document.items()} if ignorecase else document
            values = [fields.get(column) for column in columns]
        rows.append([(filename, line)] + [None if v is None else v if isinstance(v, str) else json.dumps(v)
                                          for v in values])


def _json_path(document: Any, path: str) -> Any:
    """A JSONPaths expression (``$.a.b``, ``$['a']['b']``, ``$.a[0]``) applied to one object."""
    steps = re.findall(r"\.(\w+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(\d+)\s*\]", path.strip()[1:])
    value = document
    for name, quoted, double_quoted, index in steps:
        key = name or quoted or double_quoted
        if index:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _reason(kind: str, value: str) -> tuple[int, str]:
    if kind.startswith(INTEGER_TYPES) or kind.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return 1207, f"Invalid digit, Value '{value[:20]}', Pos 0, Type: {kind.title()}"
    if kind == "DATE":
        return 1205, f"Invalid Date Format - length must be 10 or more: {value[:20]}"
    if kind.startswith("TIMESTAMP"):
        return 1206, f"Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]: {value[:20]}"
    if kind == "BOOLEAN":
        return 1216, f"Invalid boolean value: {value[:20]}"
    return 1216, f"Invalid input: {value[:20]}"


AUTO_DATES = ["%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%d-%b-%Y", "%b %d %Y", "%Y%m%d", "%d.%m.%Y"]
AUTO_TIMES = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d"]


def _cast(value: str, kind: str, options: str) -> str:
    """SQL that turns the text ``value`` into ``kind``, or NULL: DATE and TIMESTAMP columns follow DATEFORMAT /
    TIMEFORMAT ('auto' or absent: ISO and the common spellings Redshift recognises; 'epochsecs',
    'epochmillisecs')."""
    upper = kind.upper()
    if upper == "DATE":
        given = re.search(r"\bDATEFORMAT\s+(?:AS\s+)?'([^']*)'", options, re.I)
        fmt = given.group(1) if given else "auto"
        if fmt.lower() != "auto":
            codes = strftime_format(fmt, hour="%H")
            if codes is None:
                raise ValueError(f"DATEFORMAT '{fmt}' is not supported by the sandbox")
            return f"CAST(try_strptime({value}, '{codes}') AS DATE)"
        formats = ", ".join(f"'{f}'" for f in AUTO_DATES)
        return f"coalesce(TRY_CAST({value} AS DATE), CAST(try_strptime({value}, [{formats}]) AS DATE))"
    if upper.startswith("TIMESTAMP"):
        given = re.search(r"\bTIMEFORMAT\s+(?:AS\s+)?'([^']*)'", options, re.I)
        fmt = given.group(1) if given else "auto"
        if fmt.lower() == "epochsecs":
            return f"CAST(to_timestamp(TRY_CAST({value} AS DOUBLE)) AS {kind})"
        if fmt.lower() == "epochmillisecs":
            return f"CAST(to_timestamp(TRY_CAST({value} AS DOUBLE) / 1000) AS {kind})"
        if fmt.lower() != "auto":
            codes = strftime_format(fmt, hour="%H")
            if codes is None:
                raise ValueError(f"TIMEFORMAT '{fmt}' is not supported by the sandbox")
            return f"CAST(try_strptime({value}, '{codes}') AS {kind})"
        formats = ", ".join(f"'{f}'" for f in AUTO_TIMES)
        return f"coalesce(TRY_CAST({value} AS {kind}), CAST(try_strptime({value}, [{formats}]) AS {kind}))"
    return f"TRY_CAST({value} AS {kind})"


def _load_strings(con: Any, table: str, columns: list[str], described: dict[str, str], rows: list[list[Any]],
                  errors: list[dict[str, Any]], options: str) -> int:
    """Cast the rows' strings to the table's types; load them, or fail with the load errors recorded."""
    import pyarrow as pa

    names = ["__row"] + [f"c{i}" for i in range(len(columns))]
    arrow = pa.table({name: pa.array([n if i == 0 else row[i] for n, row in enumerate(rows)],
                                     type=pa.int64() if i == 0 else pa.string())
                      for i, name in enumerate(names)})
    casts = [_cast(f"c{i}", described[c], options) for i, c in enumerate(columns)]
    checks = [f"(c{i} IS NOT NULL AND {cast} IS NULL)" for i, cast in enumerate(casts)]
    con.register("__copy_source", arrow)
    try:
        bad_rows = set()
        for row_number, *values in con.execute(f"SELECT __row, {', '.join(names[1:])} FROM __copy_source "
                                         f"WHERE {' OR '.join(checks)}").fetchall():
            for i, value in enumerate(values):
                ok = con.execute(f"SELECT {_cast('$1', described[columns[i]], options)} IS NOT NULL",
                                 [value]).fetchone()[0]
                if value is not None and not ok:
                    code, reason = _reason(described[columns[i]].upper(), value)
                    filename, line = rows[row_number][0]
                    errors.append({"filename": filename, "line_number": line, "colname": columns[i],
                                   "type": described[columns[i]].lower(), "raw_field_value": value,
                                   "raw_line": "|".join("" if v is None else str(v) for v in values),
                                   "err_code": code, "err_reason": reason})
                    break
            bad_rows.add(row_number)
        max_errors = int((re.search(r"MAXERROR\s+(?:AS\s+)?(\d+)", options, re.I) or [None, "0"])[1])
        system_tables.record_load_errors(con, table, errors)
        if len(errors) > max_errors:
            raise ValueError(f"Load into table '{table.strip(chr(34)).lower()}' failed. Check 'stl_load_errors' "
                             f"system table for details.")
        target = ", ".join(f'"{c}"' for c in columns)
        keep = f"WHERE __row NOT IN ({', '.join(str(n) for n in bad_rows)})" if bad_rows else ""
        con.execute(f"INSERT INTO {table} ({target}) SELECT {', '.join(casts)} FROM __copy_source {keep}")
        return len(rows) - len(bad_rows)
    finally:
        con.unregister("__copy_source")


def _copy_columnar(con: Any, table: str, columns: list[str], files: list[tuple[str, str]], lake: Any,
                   fmt: str) -> int:
    """Parquet or ORC, columns matched by position as Redshift matches them."""
    import pyarrow as pa
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    loaded = 0
    for bucket, key in files:
        body = io.BytesIO(lake.get(bucket, key))
        arrow = pq.read_table(body) if fmt == "parquet" else orc.read_table(body)
        if arrow.num_columns != len(columns):
            raise ValueError(f"Load into table '{table}' failed. File s3://{bucket}/{key} has {arrow.num_columns} "
                             f"columns, the table {len(columns)} ({fmt.title()} columns are matched by position)")
        arrow = arrow.rename_columns(columns)
        con.register("__copy_source", pa.Table.from_batches(arrow.to_batches(), arrow.schema))
        try:
            cols = ", ".join(f'"{c}"' for c in columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM __copy_source")
        finally:
            con.unregister("__copy_source")
        loaded += arrow.num_rows
    return loaded
