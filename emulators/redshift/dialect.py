"""Redshift's SQL spellings that DuckDB writes differently, rewritten before DuckDB sees a statement.

Plain text in, plain text out: result type and column names (``redshift_type``,
``redshift_column_name``), function spellings (GETDATE, NVL, NVL2, DECODE,
CONVERT, DATEADD, DATEDIFF, LISTAGG), ``SELECT TOP n``, and CREATE TABLE's
Redshift-only clauses (DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP: recorded,
then removed; ``IDENTITY(seed, step)``: a sequence behind the column's default;
``(LIKE other)``: the other table's columns).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

REDSHIFT_TYPES = {"BIGINT": "int8", "INTEGER": "int4", "SMALLINT": "int2", "TINYINT": "int2", "HUGEINT": "numeric",
                  "DOUBLE": "float8", "FLOAT": "float4", "VARCHAR": "varchar", "BOOLEAN": "bool", "DATE": "date",
                  "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIME": "time",
                  "BLOB": "varbyte", "UBIGINT": "int8", "UINTEGER": "int8"}


def redshift_type(duck_type: Any) -> str:
    text = str(duck_type).upper()
    if text.startswith("DECIMAL"):
        return "numeric"
    return REDSHIFT_TYPES.get(text, "varchar")


def redshift_column_name(name: str) -> str:
    """The name Redshift gives a result column DuckDB named ``name``.

    Redshift names an unaliased aggregate or function call after the function
    (``count(*)`` -> ``count``), a cast after its column, other expressions ``?column?``.
    """
    if re.fullmatch(r"[A-Za-z_][\w$]*", name):
        return name
    if re.match(r"\(?CASE\b", name, re.I):  # CASE (and DECODE, NVL2, written as CASE)
        return "case"
    cast = re.fullmatch(r"CAST\((\w+) AS .*\)", name)
    if cast and cast.group(1).upper() != "NULL":
        return cast.group(1)
    call = re.fullmatch(r"(\w+)\(.*\)", name, re.S)
    if call:
        return {"count_star": "count"}.get(call.group(1), call.group(1)).lower()
    return "?column?"


def public_schema(sql: str) -> str:
    """Redshift's default schema ``public`` is DuckDB's ``main`` (``public.t`` outside string literals);
    ``information_schema.tables`` / ``.columns`` are read through ``svv_tables`` / ``svv_columns``, which show it
    as ``public``."""
    masked = _masked(sql)
    for match in reversed(list(re.finditer(r'(?<![\w."])("?)public\1\s*\.(?=\s*"?\w)', masked, re.I))):
        sql = sql[:match.start()] + "main." + sql[match.end():]
    masked = _masked(sql)
    for match in reversed(list(re.finditer(r"(?<![\w.\"])information_schema\s*\.\s*(tables|columns)\b", masked,
                                           re.I))):
        sql = sql[:match.start()] + f"svv_{match.group(1).lower()}" + sql[match.end():]
    sql = re.sub(r"(?<![\w.\"])pg_catalog\s*\.\s*pg_tables\b", "pg_tables", sql, flags=re.I)
    return re.sub(r"\bcurrent_schema\s*\(\s*\)", "'public'", sql, flags=re.I)


def show_statement(sql: str) -> str | None:
    """SHOW TABLES FROM SCHEMA db.schema / SHOW COLUMNS FROM TABLE db.schema.table / SHOW SCHEMAS FROM DATABASE db
    [LIKE 'pattern'] as a query of svv_tables / svv_columns / information_schema (None for other statements)."""
    like = re.search(r"\s+LIKE\s+('(?:[^']|'')*')\s*(?:LIMIT\s+(\d+))?\s*$", sql, re.I)
    body = sql[:like.start()] if like else sql
    tail = ""
    tables = re.fullmatch(r"\s*SHOW\s+TABLES\s+FROM\s+SCHEMA\s+(\w+)\.(\w+)\s*", body, re.I)
    if tables:
        tail = f" AND table_name LIKE {like.group(1)}" if like else ""
        return ("SELECT table_catalog AS database_name, table_schema AS schema_name, table_name, "
                "CASE table_type WHEN 'BASE TABLE' THEN 'TABLE' ELSE table_type END AS table_type, "
                "NULL AS table_acl, remarks FROM svv_tables "
                f"WHERE table_schema = '{tables.group(2).lower()}'{tail} ORDER BY table_name")
    columns = re.fullmatch(r"\s*SHOW\s+COLUMNS\s+FROM\s+TABLE\s+(\w+)\.(\w+)\.(\w+)\s*", body, re.I)
    if columns:
        tail = f" AND column_name LIKE {like.group(1)}" if like else ""
        return ("SELECT table_catalog AS database_name, table_schema AS schema_name, table_name, column_name, "
                "ordinal_position, column_default, is_nullable, data_type, character_maximum_length, "
                "numeric_precision, numeric_scale, remarks FROM svv_columns "
                f"WHERE table_schema = '{columns.group(2).lower()}' AND table_name = '{columns.group(3).lower()}'"
                f"{tail} ORDER BY ordinal_position")
    if re.fullmatch(r"\s*SHOW\s+(TABLES|COLUMNS|SCHEMAS)\s*", body, re.I):  # Redshift needs the FROM part
        raise ValueError("syntax error at end of input: SHOW TABLES FROM SCHEMA database.schema, SHOW COLUMNS FROM "
                         "TABLE database.schema.table or SHOW SCHEMAS FROM DATABASE database")
    schemas = re.fullmatch(r"\s*SHOW\s+SCHEMAS\s+FROM\s+DATABASE\s+(\w+)\s*", body, re.I)
    if schemas:
        tail = f" AND schema_name LIKE {like.group(1)}" if like else ""
        return ("SELECT * FROM (SELECT DISTINCT catalog_name AS database_name, CASE schema_name WHEN 'main' THEN "
                "'public' ELSE schema_name END AS schema_name, 'awsuser' AS schema_owner, 'local' AS schema_type, "
                "NULL AS schema_acl, NULL AS source_database, NULL AS schema_option FROM information_schema.schemata "
                "WHERE catalog_name = current_database() AND schema_name NOT IN ('pg_catalog')) s "
                f"WHERE true{tail} ORDER BY schema_name")
    return None


def translate(sql: str, user: str | None = None) -> str:
    """Redshift spellings DuckDB writes differently (``user``: who CURRENT_USER is)."""
    sql = show_statement(sql) or sql
    sql = public_schema(sql)
    # GETDATE() and SYSDATE are timestamps without time zone (UTC) on Redshift
    sql = re.sub(r"\bGETDATE\s*\(\s*\)", "current_localtimestamp()", sql, flags=re.I)
    sql = re.sub(r"\bSYSDATE\b", "current_localtimestamp()", sql, flags=re.I)
    sql = rewrite_calls(sql, "DATE_PART", lambda a: f"date_part('{_datepart(a[0])}', {a[1]})"
                        if len(a) == 2 and re.fullmatch(r"'?\w+'?", a[0]) else None)
    sql = re.sub(r"\bNVL\s*\(", "coalesce(", sql, flags=re.I)
    if user:
        masked = _masked(sql)
        for match in reversed(list(re.finditer(r"(?<![\w.\"])(CURRENT_USER|SESSION_USER)\b(?!\s*\()", masked, re.I))):
            sql = sql[:match.start()] + "'" + user.replace("'", "''") + "'" + sql[match.end():]
    sql = _listagg(sql)
    sql = rewrite_calls(sql, "TO_CHAR", _to_char)
    sql = rewrite_calls(sql, "REGEXP_SUBSTR", lambda a: f"regexp_extract({a[0]}, {a[1]})" if len(a) == 2 else None)
    sql = rewrite_calls(sql, "DATEADD", _dateadd)
    sql = rewrite_calls(sql, "DATEDIFF", _datediff)
    sql = rewrite_calls(sql, "CHARINDEX", lambda a: f"strpos({a[1]}, {a[0]})" if len(a) == 2 else None)
    sql = rewrite_calls(sql, "JSON_EXTRACT_PATH_TEXT", _json_path_text)
    sql = re.sub(r"\bAPPROXIMATE\s+COUNT\s*\(\s*DISTINCT\s+", "approx_count_distinct(", sql, flags=re.I)
    sql = re.sub(r"\bSUPER\b", "VARCHAR", sql, flags=re.I)
    sql = re.sub(r"\bDOUBLE\s+PRECISION\b", "DOUBLE", sql, flags=re.I)
    sql = re.sub(r"\bTIMESTAMPTZ\b", "TIMESTAMP WITH TIME ZONE", sql, flags=re.I)
    sql = re.sub(r"\bBPCHAR\b", "VARCHAR", sql, flags=re.I)
    sql = rewrite_calls(sql, "DECODE", _decode)
    sql = rewrite_calls(sql, "NVL2", _nvl2)
    sql = rewrite_calls(sql, "CONVERT", _convert)
    return select_top(sql)


def _masked(sql: str) -> str:
    """``sql`` with the insides of string literals and quoted names blanked (same length, same positions)."""
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", lambda m: m.group(0)[0] + "_" * (len(m.group(0)) - 2)
                  + m.group(0)[-1], sql)


def call_arguments(sql: str, open_paren: int) -> tuple[list[str], int] | None:
    """The top-level arguments of the call whose ``(`` is at ``open_paren``, and the index after its ``)``."""
    masked = _masked(sql)
    depth, start, args = 0, open_paren + 1, []
    for i in range(open_paren, len(sql)):
        ch = masked[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:i].strip())
                return args, i + 1
        elif ch == "," and depth == 1:
            args.append(sql[start:i].strip())
            start = i + 1
    return None


def rewrite_calls(sql: str, name: str, build: Callable[[list[str]], str | None]) -> str:
    """Every call ``name(...)`` outside string literals replaced by ``build(arguments)`` (None keeps it)."""
    starts = [m for m in re.finditer(rf"(?<![\w.]){name}\s*\(", _masked(sql), re.I)]
    for match in reversed(starts):  # the innermost (last) first: earlier positions stay valid
        found = call_arguments(sql, match.end() - 1)
        if found is None:
            continue
        args, end = found
        replacement = build(args)
        if replacement is not None:
            sql = sql[:match.start()] + replacement + sql[end:]
    return sql


def _listagg(sql: str) -> str:
    """LISTAGG(expr [, delimiter]) [WITHIN GROUP (ORDER BY ...)] is string_agg(expr, delimiter ORDER BY ...)."""
    for match in reversed(list(re.finditer(r"(?<![\w.])LISTAGG\s*\(", _masked(sql), re.I))):
        found = call_arguments(sql, match.end() - 1)
        if found is None:
            continue
        args, end = found
        order = ""
        within = re.match(r"\s*WITHIN\s+GROUP\s*\(", sql[end:], re.I)
        if within:
            ordered = call_arguments(sql, end + within.end() - 1)
            if ordered is not None:
                order, end = " " + ", ".join(ordered[0]), ordered[1]
        if len(args) == 1:  # Redshift's LISTAGG has no delimiter unless given
            args.append("''")
        sql = sql[:match.start()] + f"string_agg({', '.join(args)}{order})" + sql[end:]
    return sql


DATE_FORMAT = [("YYYY", "%Y"), ("YY", "%y"), ("MONTH", "%B"), ("MON", "%b"), ("MM", "%m"), ("DDD", "%j"),
               ("DD", "%d"), ("DAY", "%A"), ("DY", "%a"), ("HH24", "%H"), ("HH12", "%I"), ("HH", "%I"),
               ("MI", "%M"), ("SS", "%S"), ("MS", "%g"), ("US", "%f"), ("AM", "%p"), ("PM", "%p"), ("IW", "%V"),
               ("WW", "%U")]


def strftime_format(text: str, hour: str = "%I") -> str | None:
    """A Redshift datetime format ('YYYY-MM-DD HH24:MI:SS') as strftime/strptime codes; None when it has a field
    strftime has no spelling for. ``hour``: what a bare HH means (12-hour in TO_CHAR, 24-hour in COPY)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == '"':  # quoted literal text
            close = text.find('"', i + 1)
            out.append(text[i + 1:close if close > 0 else len(text)].replace("%", "%%"))
            i = close + 1 if close > 0 else len(text)
            continue
        for token, code in DATE_FORMAT:
            if text[i:i + len(token)].upper() == token:
                out.append(hour if token == "HH" else code)
                i += len(token)
                break
        else:
            if text[i].isalnum():  # a field strftime has no spelling for (Q, D, J, 9, 0, FM, ...)
                return None
            out.append(text[i].replace("%", "%%"))
            i += 1
    return "".join(out)


def _to_char(args: list[str]) -> str | None:
    """TO_CHAR(datetime, 'YYYY-MM-DD HH24:MI:SS') is strftime with the same fields; numeric formats stay."""
    if len(args) != 2 or not re.fullmatch(r"'[^']*'", args[1]):
        return None
    converted = strftime_format(args[1][1:-1])
    return None if converted is None else f"strftime({args[0]}, '{converted}')"


def _datepart(part: str) -> str:
    return part.strip().strip("'").lower()


def _dateadd(args: list[str]) -> str | None:
    """DATEADD(part, n, date): a string literal date is cast, as Redshift casts it."""
    if len(args) != 3:
        return None
    return f"date_add_rs('{_datepart(args[0])}', {args[1]}, CAST({args[2]} AS TIMESTAMP))"


def _datediff(args: list[str]) -> str | None:
    if len(args) != 3:
        return None
    return f"date_diff('{_datepart(args[0])}', CAST({args[1]} AS TIMESTAMP), CAST({args[2]} AS TIMESTAMP))"


def _json_path_text(args: list[str]) -> str | None:
    """JSON_EXTRACT_PATH_TEXT(json, 'a', 'b') is the text at $.a.b (NULL when absent)."""
    if len(args) < 2 or not all(re.fullmatch(r"'[^'.\\\"]*'", a) for a in args[1:]):
        return None
    path = "$" + "".join(f'."{a[1:-1]}"' for a in args[1:])
    return f"json_extract_string({args[0]}, '{path}')"


def _decode(args: list[str]) -> str | None:
    """Redshift's DECODE(expr, search, result [, search, result]... [, default]) (DuckDB's decode is for blobs)."""
    if len(args) < 3:
        return None
    expr, rest = args[0], args[1:]
    default = rest.pop() if len(rest) % 2 else None
    whens = " ".join(f"WHEN {rest[i]} THEN {rest[i + 1]}" for i in range(0, len(rest), 2))
    return f"(CASE {expr} {whens}{f' ELSE {default}' if default is not None else ''} END)"


def _nvl2(args: list[str]) -> str | None:
    if len(args) != 3:
        return None
    return f"(CASE WHEN {args[0]} IS NOT NULL THEN {args[1]} ELSE {args[2]} END)"


def _convert(args: list[str]) -> str | None:
    """CONVERT(type, expression) is CAST(expression AS type)."""
    if len(args) != 2 or not re.fullmatch(r"[A-Za-z][\w ]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?", args[0]):
        return None
    return f"CAST({args[1]} AS {args[0]})"


def select_top(sql: str) -> str:
    """``SELECT [DISTINCT] TOP n ...`` is ``SELECT ... LIMIT n`` (the outermost SELECT only)."""
    match = re.match(r"(\s*SELECT\s+(?:DISTINCT\s+)?)TOP\s+(\d+)\s+", sql, re.I)
    if not match:
        return sql
    return f"{match.group(1)}{sql[match.end():].rstrip().rstrip(';')} LIMIT {match.group(2)}"


IDENTITY = re.compile(r"(\"[^\"]+\"|\w+)(\s+\w+(?:\s*\([^)]*\))?(?:\s+\w+)*?)\s+(?:GENERATED\s+BY\s+DEFAULT\s+AS\s+)?"
                      r"IDENTITY\s*\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)", re.I)


def identity_columns(sql: str, table: str) -> tuple[str, list[tuple[str, int, int]]]:
    """CREATE TABLE text whose ``IDENTITY(seed, step)`` columns take ``nextval`` of a sequence each, and
    ``[(sequence name, seed, step)]`` to create first (Redshift numbers such a column by itself)."""
    sequences: list[tuple[str, int, int]] = []

    def column(match: re.Match[str]) -> str:
        name = match.group(1).strip('"').lower()
        sequence = "sandbox_identity_" + re.sub(r"\W", "_", f"{table}_{name}")
        sequences.append((sequence, int(match.group(3)), int(match.group(4))))
        return f"{match.group(1)}{match.group(2)} DEFAULT nextval('{sequence}')"

    return IDENTITY.sub(column, sql), sequences


def create_table_like(sql: str) -> tuple[str, str, bool] | None:
    """``CREATE TABLE t (LIKE other [INCLUDING|EXCLUDING DEFAULTS])``: (new table, source table, if not exists)."""
    match = re.match(r"\s*CREATE\s+(?:TEMP\w*\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([\w.\"]+)\s*\(\s*LIKE\s+([\w.\"]+)"
                     r"(?:\s+(?:INCLUDING|EXCLUDING)\s+DEFAULTS)?\s*\)", sql, re.I)
    if not match:
        return None
    return match.group(2), match.group(3), bool(match.group(1))


TABLE_ATTRIBUTES = [
    (r"\bDISTSTYLE\s+(EVEN|KEY|ALL|AUTO)\b", "diststyle"),
    (r"\bDISTKEY\s*\(\s*([\w\"]+)\s*\)", "distkey"),
    (r"\b(?:COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*\(([^)]*)\)", "sortkey"),
]


def _column_attributes(sql: str) -> dict[str, str]:
    """Column-level ``DISTKEY`` / ``SORTKEY`` of a CREATE TABLE (``id INT NOT NULL DISTKEY SORTKEY``)."""
    opening = re.match(r"\s*CREATE\s+(?:TEMP\w*\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w.\"]+\s*\(", sql, re.I)
    found = call_arguments(sql, opening.end() - 1) if opening else None
    attributes: dict[str, str] = {}
    for definition in found[0] if found else []:
        name = definition.split(None, 1)[0].strip('"').lower() if definition else ""
        if re.search(r"\bDISTKEY\b(?!\s*\()", definition, re.I):
            attributes["distkey"] = name
        if re.search(r"\bSORTKEY\b(?!\s*\()", definition, re.I):
            attributes["sortkey"] = name
    return attributes


def strip_table_attributes(sql: str) -> tuple[str, dict[str, str]]:
    attributes: dict[str, str] = _column_attributes(sql)
    for pattern, name in TABLE_ATTRIBUTES:
        match = re.search(pattern, sql, re.I)
        if match:
            attributes[name] = match.group(1).strip().strip('"').lower()
            sql = sql[:match.start()] + sql[match.end():]
    sql = re.sub(r"\bSORTKEY\s+AUTO\b", "", sql, flags=re.I)
    sql = re.sub(r"\s+DISTKEY\b", "", sql, flags=re.I)  # column-level DISTKEY
    sql = re.sub(r"\s+SORTKEY\b", "", sql, flags=re.I)
    sql = re.sub(r"\s+ENCODE\s+\w+", "", sql, flags=re.I)
    sql = re.sub(r"\s+IDENTITY\s*\(\s*\d+\s*,\s*\d+\s*\)", "", sql, flags=re.I)
    sql = re.sub(r"\bBACKUP\s+(YES|NO)\b", "", sql, flags=re.I)
    return sql, attributes
