"""Athena (Presto/Trino) spellings that DuckDB writes differently.

Covered: ``date_parse`` / ``date_format`` (MySQL-style format letters),
``from_iso8601_timestamp``, ``from_iso8601_date``, ``from_unixtime``,
``to_unixtime``, ``approx_distinct``, ``approx_percentile``, ``array_join``,
``cardinality``, ``regexp_like``, ``json_extract_scalar``, ``date_add('unit', n, x)``,
``element_at``, ``arbitrary``, ``chr``/``codepoint``, ``day_of_week``/``dow``,
``day_of_year``/``doy``, ``week_of_year``, backquoted identifiers, the ``varchar(n)``
type and the ``AwsDataCatalog.`` qualification of table names. Everything else is passed to DuckDB as written; functions
the two share (``date_trunc``, ``date_diff``, ``split_part``, ``coalesce``, window
functions, ...) need nothing.
"""

from __future__ import annotations

import re

# Presto/MySQL date format letters -> strftime
MYSQL_TO_STRFTIME = {
    "%Y": "%Y", "%y": "%y", "%m": "%m", "%c": "%-m", "%d": "%d", "%e": "%-d", "%H": "%H", "%k": "%-H",
    "%h": "%I", "%I": "%I", "%l": "%-I", "%i": "%M", "%s": "%S", "%S": "%S", "%f": "%f", "%p": "%p",
    "%W": "%A", "%a": "%a", "%M": "%B", "%b": "%b", "%j": "%j", "%T": "%H:%M:%S", "%r": "%I:%M:%S %p",
    "%%": "%%",
}


def _convert_format(fmt: str) -> str:
    return re.sub(r"%.", lambda m: MYSQL_TO_STRFTIME.get(m.group(0), m.group(0)), fmt)


def _split_args(text: str) -> list[str]:
    args, depth, current, quote = [], 0, [], ""
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if current:
        args.append("".join(current).strip())
    return args


def _find_call(sql: str, name: str, start: int = 0) -> tuple[int, int, list[str]] | None:
    """(start, end, args) of the next call of ``name(...)`` outside string literals."""
    pattern = re.compile(rf"\b{name}\s*\(", re.IGNORECASE)
    for match in pattern.finditer(sql, start):
        if _in_string(sql, match.start()):
            continue
        depth, i, quote = 0, match.end() - 1, ""
        while i < len(sql):
            ch = sql[i]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return match.start(), i + 1, _split_args(sql[match.end():i])
            i += 1
        return None
    return None


def _in_string(sql: str, position: int) -> bool:
    return sql.count("'", 0, position) % 2 == 1


def _rewrite_calls(sql: str, name: str, build: callable) -> str:  # type: ignore[valid-type]
    position = 0
    while True:
        found = _find_call(sql, name, position)
        if found is None:
            return sql
        start, end, args = found
        replacement = build(args)
        if replacement is None:
            position = end
            continue
        sql = sql[:start] + replacement + sql[end:]
        position = start + len(replacement)


def _literal_format(arg: str) -> str:
    if arg.startswith("'") and arg.endswith("'"):
        return "'" + _convert_format(arg[1:-1]) + "'"
    return arg


def _list_literal(arg: str) -> str:
    """``ARRAY[0.25, 0.75]`` as DuckDB's constant list ``[0.25, 0.75]`` (approx_quantile wants a constant)."""
    return re.sub(r"^ARRAY\s*\[", "[", arg.strip(), flags=re.IGNORECASE)


_DATE_VALUE = re.compile(r"^\s*(date\s*'[^']*'|current_date|cast\s*\(.*\bas\s+date\s*\))\s*$", re.IGNORECASE | re.DOTALL)
_DATE_UNITS = {"day", "week", "month", "quarter", "year"}


def _date_add(args: list[str]) -> str | None:
    """``date_add('unit', n, x)``; a DATE stays a DATE for whole-day units, as in Presto.

    DuckDB's ``date + interval`` is a TIMESTAMP, so the DATE is restored where the
    argument is visibly a date (a literal, ``current_date`` or a cast); a DATE column
    comes back as a midnight TIMESTAMP, which compares equal to the date.
    """
    if len(args) != 3 or not args[0].startswith("'"):
        return None
    unit = args[0].strip("'").strip().lower()
    shifted = f"({args[2]} + ({args[1]}) * INTERVAL 1 {unit.upper()})"
    if unit in _DATE_UNITS and _DATE_VALUE.match(args[2]):
        return f"CAST{shifted[:-1]} AS DATE)"
    return shifted


def to_duckdb(sql: str) -> str:
    """Rewrite an Athena SQL statement into DuckDB's dialect."""
    sql = re.sub(r"`([^`]*)`", r'"\1"', sql)
    # "AwsDataCatalog"."db"."table": the Glue catalog is the only catalog
    sql = re.sub(r'(?<![\w."])"?awsdatacatalog"?\s*\.\s*(?=["\w])', lambda m: "" if not _in_string(sql, m.start())
                 else m.group(0), sql, flags=re.IGNORECASE)
    sql = _rewrite_calls(sql, "date_parse", lambda a: f"strptime({a[0]}, {_literal_format(a[1])})" if len(a) == 2 else None)
    sql = _rewrite_calls(sql, "date_format", lambda a: f"strftime({a[0]}, {_literal_format(a[1])})" if len(a) == 2 else None)
    sql = _rewrite_calls(sql, "from_iso8601_timestamp", lambda a: f"CAST({a[0]} AS TIMESTAMPTZ)")
    sql = _rewrite_calls(sql, "from_iso8601_date", lambda a: f"CAST({a[0]} AS DATE)")
    sql = _rewrite_calls(sql, "from_unixtime", lambda a: f"to_timestamp({a[0]})" if len(a) == 1 else None)
    sql = _rewrite_calls(sql, "to_unixtime", lambda a: f"epoch({a[0]})")
    sql = _rewrite_calls(sql, "approx_distinct", lambda a: f"approx_count_distinct({a[0]})")
    sql = _rewrite_calls(sql, "approx_percentile", lambda a: f"approx_quantile({a[0]}, {_list_literal(a[1])})"
                         if len(a) == 2 else None)
    # element_at(array, i) and element_at(map, key): DuckDB's subscript does both (1-based, NULL when missing)
    sql = _rewrite_calls(sql, "element_at", lambda a: f"({a[0]})[{a[1]}]" if len(a) == 2 else None)
    for presto, duck in (("day_of_week", "isodow"), ("dow", "isodow"), ("day_of_year", "dayofyear"),
                         ("doy", "dayofyear"), ("week_of_year", "week"), ("year_of_week", "isoyear")):
        sql = _rewrite_calls(sql, presto, lambda a, d=duck: f"{d}({a[0]})" if len(a) == 1 else None)
    sql = _rewrite_calls(sql, "array_join", lambda a: f"array_to_string({', '.join(a[:2])})")
    sql = _rewrite_calls(sql, "cardinality", lambda a: f"len({a[0]})")
    sql = _rewrite_calls(sql, "regexp_like", lambda a: f"regexp_matches({a[0]}, {a[1]})")
    sql = _rewrite_calls(sql, "json_extract_scalar", lambda a: f"json_extract_string({a[0]}, {a[1]})")
    sql = _rewrite_calls(sql, "arbitrary", lambda a: f"any_value({a[0]})")
    sql = _rewrite_calls(sql, "codepoint", lambda a: f"unicode({a[0]})")
    sql = _rewrite_calls(sql, "date_add", _date_add)
    sql = re.sub(r"\bvarchar\s*\(\s*\d+\s*\)", "VARCHAR", sql, flags=re.IGNORECASE)
    return sql
