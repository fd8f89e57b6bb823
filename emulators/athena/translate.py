"""Athena (Presto/Trino) SQL rewritten into DuckDB's dialect.

Spellings rewritten here: ``date_parse`` / ``date_format`` (MySQL-style format letters),
``format_datetime`` / ``parse_datetime`` (Joda patterns), ``from_iso8601_*``, ``from_unixtime``,
``to_unixtime``, ``approx_distinct``, ``approx_percentile``, ``array_join``, ``cardinality`` (of an
array or a map), ``reverse`` of an array, ``date_trunc`` and ``sequence`` of DATEs, ``DATE ± INTERVAL``
(stays a DATE), ``listagg ... WITHIN GROUP``, the lambda functions DuckDB has no form for
(``zip_with``, ``map_filter``, ``transform_keys``/``values``, ``map_zip_with``, ``reduce``,
``reduce_agg``), Trino type names in ``CAST`` (``array(T)``, ``row(a T)``, ``varchar(n)``;
``CAST(x AS varchar)`` prints timestamps as Athena does), ``DECIMAL '1.5'`` literals (their own precision
and scale), ``VALUES 1, 2, 3`` without parentheses, backquoted identifiers and the
``AwsDataCatalog.`` qualification. Every call of a function listed in :mod:`functions` becomes a call
of its ``trino_`` implementation. Whether an argument is a DATE, an array or a map comes from its
spelling or from the columns of the tables in scope (:class:`Columns`).

Refused as on Athena: more than one statement, a quoted file name as a table, DuckDB's own file and
catalog functions (``read_csv``, ``glob``, ...) and the Athena functions the sandbox cannot provide
(:data:`GAPS`): ``FUNCTION_NOT_FOUND: line 1:8: Function 'x' not registered``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulators.athena.sqltext import bare_values, decimal_literals, in_string as _in_string, split_args as _split_args
from emulators.athena.timezones import at_time_zone
from emulators.core.sqlguard import DUCKDB_ONLY_FUNCTIONS

# Presto/MySQL date format letters -> strftime
MYSQL_TO_STRFTIME = {
    "%Y": "%Y", "%y": "%y", "%m": "%m", "%c": "%-m", "%d": "%d", "%e": "%-d", "%H": "%H", "%k": "%-H",
    "%h": "%I", "%I": "%I", "%l": "%-I", "%i": "%M", "%s": "%S", "%S": "%S", "%f": "%f", "%p": "%p",
    "%W": "%A", "%a": "%a", "%M": "%B", "%b": "%b", "%j": "%j", "%T": "%H:%M:%S", "%r": "%I:%M:%S %p",
    "%%": "%%",
}


def _convert_format(fmt: str) -> str:
    return re.sub(r"%.", lambda m: MYSQL_TO_STRFTIME.get(m.group(0), m.group(0)), fmt)


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


def _date_add(args: list[str], columns: Columns | None = None) -> str | None:
    """``date_add('unit', n, x)``; a DATE stays a DATE for whole-day units, as in Presto.

    DuckDB's ``date + interval`` is a TIMESTAMP, so the DATE is restored where the
    argument is a date: a literal, ``current_date``, a cast, a date function or a DATE column.
    """
    if len(args) != 3 or not args[0].startswith("'"):
        return None
    unit = args[0].strip("'").strip().lower()
    shifted = f"({args[2]} + ({args[1]}) * INTERVAL 1 {unit.upper()})"
    if unit in _DATE_UNITS and (_DATE_VALUE.match(args[2]) or _is_date(args[2], columns or Columns())):
        return f"CAST{shifted[:-1]} AS DATE)"
    return shifted


class UnknownFunction(ValueError):
    """A call of a function Athena does not have (or the sandbox cannot provide)."""

    def __init__(self, name: str, sql: str) -> None:
        line, column = position_of(sql, name)
        super().__init__(f"FUNCTION_NOT_FOUND: line {line}:{column}: Function '{name.lower()}' not registered")


class StatementError(ValueError):
    """A statement Athena would refuse before running it (the message is Athena's)."""


# DuckDB functions Athena does not have that reach outside the query: files, the catalog, settings
DUCKDB_ONLY = DUCKDB_ONLY_FUNCTIONS  # the list lives once, in core/sqlguard.py
# Athena functions the sandbox cannot provide (see docs/conformance.md): they answer FUNCTION_NOT_FOUND
# rather than a DuckDB function of the same name with other semantics
GAPS = frozenset({"at_timezone", "with_timezone", "timezone_hour", "timezone_minute", "word_stem",
                  "numeric_histogram", "checksum",
                  # HyperLogLog, T-Digest and quantile digest sketches: Trino's own binary formats
                  "approx_set", "empty_approx_set", "merge", "merge_p4hll", "tdigest_agg", "value_at_quantile",
                  "values_at_quantiles", "qdigest_agg", "quantile_at_value", "truncation_bound",
                  "make_set_digest", "merge_set_digest", "intersection_cardinality", "jaccard_index"})

_MAP_MAKERS = ("map", "map_from_entries", "multimap_from_entries", "map_concat", "map_filter", "transform_keys",
               "transform_values", "map_zip_with", "split_to_map", "split_to_multimap", "histogram", "map_agg",
               "multimap_agg", "array_histogram", "approx_most_frequent")
_ARRAY_MAKERS = ("split", "regexp_extract_all", "regexp_split", "sequence", "filter", "transform", "map_keys",
                 "map_values", "slice", "flatten", "repeat", "zip", "zip_with", "ngrams", "combinations", "array_agg",
                 "trim_array", "shuffle", "array_distinct", "array_union", "array_except", "array_intersect",
                 "array_sort", "array_remove", "reverse", "concat", "set_agg", "map_entries")


_BINARY_MAKERS = ("to_utf8", "md5", "sha1", "sha256", "sha512", "xxhash64", "from_hex", "from_base64",
                  "to_big_endian_64", "to_big_endian_32", "hmac_sha256")


@dataclass(frozen=True)
class Columns:
    """What translation knows of the columns in scope: the names of DATE, array and map columns."""

    dates: frozenset[str] = frozenset()
    arrays: frozenset[str] = frozenset()
    maps: frozenset[str] = frozenset()


def position_of(sql: str, name: str) -> tuple[int, int]:
    """(line, column), 1-based, of the first call of ``name`` outside string literals (1:1 if none)."""
    for match in re.finditer(rf"\b{re.escape(name)}\s*\(", sql, re.IGNORECASE):
        if not _in_string(sql, match.start()):
            before = sql[:match.start()]
            return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1
    return 1, 1


def _bare(expr: str) -> str:
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")") and _find_close(expr, 0) == len(expr) - 1:
        expr = expr[1:-1].strip()
    return expr


def _find_close(text: str, open_index: int) -> int:
    depth, quote = 0, ""
    for i in range(open_index, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _column_name(expr: str) -> str | None:
    match = re.fullmatch(r'(?:(?:"[^"]+"|\w+)\s*\.\s*)*("([^"]+)"|([A-Za-z_]\w*))', expr)
    if not match:
        return None
    return (match.group(2) or match.group(3)).lower()


def _called(expr: str) -> str | None:
    match = re.match(r"(\w+)\s*\(", expr)
    return match.group(1).lower() if match and _find_close(expr, match.end() - 1) == len(expr) - 1 else None


def _is_date(expr: str, columns: Columns) -> bool:
    expr = _bare(expr)
    if re.fullmatch(r"date\s*'[^']*'|current_date", expr, re.IGNORECASE):
        return True
    if re.fullmatch(r"(?:try_)?cast\s*\(.*\bas\s+date\s*\)", expr, re.IGNORECASE | re.DOTALL):
        return True
    if _called(expr) in ("date", "from_iso8601_date", "last_day_of_month", "last_day"):
        return True
    if _called(expr) in ("date_add", "date_trunc") and _is_date(_split_args(expr[expr.index("(") + 1:-1])[-1], columns):
        return True
    return _column_name(expr) in columns.dates


def _kind(expr: str, columns: Columns) -> str | None:
    expr = _bare(expr)
    if re.match(r"array\s*\[", expr, re.IGNORECASE) or expr.startswith("["):
        return "array"
    called = _called(expr)
    if called in _MAP_MAKERS:
        return "map"
    if called in _BINARY_MAKERS:
        return "binary"
    if called in _ARRAY_MAKERS or (called or "").startswith("array_") and called not in ("array_join", "array_max",
                                                                                          "array_min", "array_position"):
        return "array"
    name = _column_name(expr)
    if name in columns.maps:
        return "map"
    if name in columns.arrays:
        return "array"
    return None


def _lambda(text: str) -> tuple[list[str], str] | None:
    match = re.match(r"\s*(?:\(([^()]*)\)|(\w+))\s*->\s*(.*)$", text, re.DOTALL)
    if not match:
        return None
    params = [p.strip() for p in (match.group(1) if match.group(1) is not None else match.group(2)).split(",")]
    return params, match.group(3)


def _substitute(body: str, values: dict[str, str]) -> str:
    """``body`` with each lambda parameter (outside string literals) replaced by an expression."""
    out, i = [], 0
    for match in re.finditer(r"'(?:[^']|'')*'|\"[^\"]*\"|\b\w+\b", body):
        token = match.group(0)
        if token in values and not body[match.end():].lstrip().startswith("("):
            out.append(body[i:match.start()] + f"({values[token]})")
            i = match.end()
    out.append(body[i:])
    return "".join(out)


def _lambda_calls(sql: str) -> str:
    """Trino's lambda functions DuckDB has no form for, spelled with list comprehensions."""

    def zip_with(a: list[str]) -> str | None:
        fn = _lambda(a[2]) if len(a) == 3 else None
        if not fn or len(fn[0]) != 2:
            return None
        body = _substitute(fn[1], {fn[0][0]: f"({a[0]})[__i]", fn[0][1]: f"({a[1]})[__i]"})
        return f"[{body} FOR __i IN range(1, greatest(len({a[0]}), len({a[1]})) + 1)]"

    def map_filter(a: list[str]) -> str | None:
        fn = _lambda(a[1]) if len(a) == 2 else None
        if not fn or len(fn[0]) != 2:
            return None
        body = _substitute(fn[1], {fn[0][0]: "__e.key", fn[0][1]: "__e.value"})
        return f"map_from_entries(list_filter(__duck_map_entries({a[0]}), __e -> {body}))"

    def transform_entries(which: str) -> callable:  # type: ignore[valid-type]
        def build(a: list[str]) -> str | None:
            fn = _lambda(a[1]) if len(a) == 2 else None
            if not fn or len(fn[0]) != 2:
                return None
            body = _substitute(fn[1], {fn[0][0]: "__e.key", fn[0][1]: "__e.value"})
            key, value = (body, "__e.value") if which == "keys" else ("__e.key", body)
            return f"map_from_entries([{{'key': {key}, 'value': {value}}} FOR __e IN __duck_map_entries({a[0]})])"
        return build

    def map_zip_with(a: list[str]) -> str | None:
        fn = _lambda(a[2]) if len(a) == 3 else None
        if not fn or len(fn[0]) != 3:
            return None
        body = _substitute(fn[1], {fn[0][0]: "__k", fn[0][1]: f"({a[0]})[__k]", fn[0][2]: f"({a[1]})[__k]"})
        return (f"map_from_entries([{{'key': __k, 'value': {body}}} FOR __k IN "
                f"trino_array_distinct(list_concat(map_keys({a[0]}), map_keys({a[1]})))])")

    def reduce(a: list[str]) -> str | None:
        step = _lambda(a[2]) if len(a) == 4 else None
        out = _lambda(a[3]) if len(a) == 4 else None
        if not step or not out or len(step[0]) != 2 or len(out[0]) != 1:
            return None
        reduced = f"list_reduce({a[0]}, ({', '.join(step[0])}) -> {step[1]}, {a[1]})"
        return _substitute(out[1], {out[0][0]: reduced})

    def array_sort(a: list[str]) -> str | None:
        fn = _lambda(a[1]) if len(a) == 2 else None
        if not fn or len(fn[0]) != 2:
            return None
        # rank of element i = elements the comparator puts before it (ties keep their order)
        before = _substitute(fn[1], {fn[0][0]: f"({a[0]})[__j]", fn[0][1]: f"({a[0]})[__i]"})
        ranks = (f"[len(list_filter(range(1, len({a[0]}) + 1), __j -> ({before}) < 0 OR (({before}) = 0 AND __j < __i))) "
                 f"FOR __i IN range(1, len({a[0]}) + 1)]")
        return f"[({a[0]})[list_position({ranks}, __r)] FOR __r IN range(0, len({a[0]}))]"

    def reduce_agg(a: list[str]) -> str | None:
        step = _lambda(a[2]) if len(a) == 4 else None
        if not step or len(step[0]) != 2:
            return None
        return f"list_reduce(list({a[0]}), ({', '.join(step[0])}) -> {step[1]}, {a[1]})"

    for name, build in (("zip_with", zip_with), ("map_filter", map_filter),
                        ("transform_keys", transform_entries("keys")),
                        ("transform_values", transform_entries("values")), ("map_zip_with", map_zip_with),
                        ("reduce", reduce), ("reduce_agg", reduce_agg), ("array_sort", array_sort)):
        sql = _rewrite_calls(sql, name, build)
    return sql


def _duck_type(text: str) -> str:
    """A Trino type name as DuckDB spells it: array(T) -> T[], row(a T) -> STRUCT(a T), varchar(n) -> VARCHAR."""
    text = text.strip()
    match = re.match(r"(\w+)\s*(?:\((.*)\))?\s*$", text, re.DOTALL)
    if not match:
        return text
    base, inner = match.group(1).lower(), match.group(2)
    if base == "array" and inner is not None:
        return _duck_type(inner) + "[]"
    if base == "map" and inner is not None:
        key, value = _split_args(inner)
        return f"MAP({_duck_type(key)}, {_duck_type(value)})"
    if base == "row" and inner is not None:
        fields = []
        for item in _split_args(inner):
            name, _, kind = item.strip().partition(" ")
            fields.append(f"{name} {_duck_type(kind)}" if kind else _duck_type(name))
        return f"STRUCT({', '.join(fields)})"
    if base in ("varchar", "char"):
        return "VARCHAR"
    if base in ("timestamp", "time") and inner is not None and " " not in text.split(")", 1)[-1].strip():
        return base.upper()
    if base == "real":
        return "FLOAT"
    return text


def _cast(kind: str) -> callable:  # type: ignore[valid-type]
    def build(args: list[str]) -> str | None:
        if len(args) != 1:
            return None
        parts = re.split(r"\s+AS\s+", args[0], flags=re.IGNORECASE)
        if len(parts) < 2:
            return None
        value, target = " AS ".join(parts[:-1]), parts[-1]
        duck = _duck_type(target)
        if kind == "cast" and duck.upper() == "VARCHAR":
            return f"trino_varchar({value})"
        return f"{kind.upper()}({value} AS {duck})"
    return build


_JODA = [("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("M", "%-m"), ("dd", "%d"),
         ("d", "%-d"), ("HH", "%H"), ("H", "%-H"), ("hh", "%I"), ("h", "%-I"), ("mm", "%M"), ("m", "%-M"),
         ("ss", "%S"), ("s", "%-S"), ("SSSSSS", "%f"), ("SSS", "%g"), ("EEEE", "%A"), ("EEE", "%a"), ("a", "%p"),
         ("DDD", "%j"), ("ZZ", "%z"), ("Z", "%z"), ("z", "%Z")]


def _joda_format(arg: str) -> str:
    if not (arg.startswith("'") and arg.endswith("'")):
        return arg
    text, out, i = arg[1:-1], "", 0
    while i < len(text):
        if text[i] == "%":
            out, i = out + "%%", i + 1
            continue
        for joda, strf in _JODA:
            if text.startswith(joda, i):
                out, i = out + strf, i + len(joda)
                break
        else:
            out, i = out + text[i], i + 1
    return f"'{out}'"


def _date_interval(sql: str, columns: Columns) -> str:
    """``date ± INTERVAL 'n' DAY|WEEK|MONTH|QUARTER|YEAR`` stays a DATE, as on Athena."""
    pattern = re.compile(r"(date\s*'[^']*'|\bcurrent_date\b|(?:\"[^\"]+\"|[A-Za-z_]\w*)(?:\s*\.\s*(?:\"[^\"]+\"|\w+))*)"
                         r"(\s*[-+]\s*)(interval\s*'[^']*'\s*(?:day|week|month|quarter|year)s?\b)", re.IGNORECASE)

    def replace(match: re.Match) -> str:
        operand = match.group(1)
        if _in_string(sql, match.start()) or not _is_date(operand, columns):
            return match.group(0)
        return f"CAST(({operand}{match.group(2)}{match.group(3)}) AS DATE)"

    return pattern.sub(replace, sql)


def _rename_calls(sql: str) -> str:
    """``f(`` -> ``trino_f(`` for the functions in :mod:`emulators.athena.functions` (outside literals)."""
    from emulators.athena.functions import RENAMED

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token[0] in "'\"":
            return token
        name = match.group(1).lower()
        if name not in RENAMED or match.start() > 0 and sql[match.start() - 1] == ".":
            return token
        if name == "filter" and re.match(r"\s*\(\s*where\b", sql[match.end(1):], re.IGNORECASE):
            return token
        if re.search(r"\bAS\s+$", sql[:match.start()], re.IGNORECASE):
            return token  # a table alias with column names: AS t(a, b)
        return f"trino_{name}" + token[len(match.group(1)):]

    return re.sub(r"'(?:[^']|'')*'|\"[^\"]*\"|\b(\w+)(?=\s*\()", replace, sql)


def check_functions(sql: str) -> None:
    """Refuse DuckDB-only functions and Athena functions the sandbox cannot provide (FUNCTION_NOT_FOUND)."""
    for match in re.finditer(r"'(?:[^']|'')*'|\"[^\"]*\"|\b(\w+)\s*\(", sql):
        name = (match.group(1) or "").lower()
        if name and (name in DUCKDB_ONLY or name in GAPS or name.startswith(("duckdb_", "pragma_"))):
            if match.start() > 0 and sql[match.start() - 1] == ".":
                continue
            raise UnknownFunction(name, sql)


def check_single_statement(sql: str) -> None:
    for match in re.finditer(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|/\*.*?\*/|;", sql, re.DOTALL):
        if match.group(0) == ";" and sql[match.end():].strip():
            raise StatementError(f"line 1:{match.start() + 1}: mismatched input ';'. Only one sql statement is "
                                 "allowed")
    for match in re.finditer(r"\bFROM\s+'", sql, re.IGNORECASE):
        if _in_string(sql, match.start()) or _inside_call(sql, match.start(), ("trim", "substring", "extract")):
            continue  # trim(BOTH 'x' FROM s), substring(s FROM 2): FROM inside a function's arguments
        # DuckDB reads a quoted file name as a table; Athena does not
        raise StatementError(f"line 1:{match.end()}: mismatched input ''. Expecting: <identifier>")


def _inside_call(sql: str, position: int, names: tuple[str, ...]) -> bool:
    depth = 0
    for i in range(position - 1, -1, -1):
        ch = sql[i]
        if ch == ")" and not _in_string(sql, i):
            depth += 1
        elif ch == "(" and not _in_string(sql, i):
            if depth == 0:
                word = re.search(r"(\w+)\s*$", sql[:i])
                return bool(word) and word.group(1).lower() in names
            depth -= 1
    return False


def to_duckdb(sql: str, columns: Columns | None = None) -> str:
    """Rewrite an Athena SQL statement into DuckDB's dialect.

    ``columns`` names the DATE, array and map columns of the tables in scope, so that functions whose
    DuckDB spelling depends on the argument's type (``date_trunc`` of a DATE stays a DATE,
    ``cardinality`` of a map, ``reverse`` of an array, ``date + INTERVAL``) pick the right one.
    """
    columns = columns or Columns()
    check_single_statement(sql)
    check_functions(sql)
    sql = re.sub(r"`([^`]*)`", r'"\1"', sql)
    # "AwsDataCatalog"."db"."table": the Glue catalog is the only catalog
    sql = re.sub(r'(?<![\w."])"?awsdatacatalog"?\s*\.\s*(?=["\w])', lambda m: "" if not _in_string(sql, m.start())
                 else m.group(0), sql, flags=re.IGNORECASE)
    # default.table: `default` (every Glue catalog's first database) is reserved in DuckDB, not in Trino
    sql = re.sub(r'(?<![\w."])default(?=\s*\.\s*["\w])', lambda m: m.group(0) if _in_string(sql, m.start())
                 else '"default"', sql, flags=re.IGNORECASE)
    sql = _lambda_calls(sql)
    sql = _listagg(sql)
    sql = _rewrite_calls(sql, "date_parse", lambda a: f"strptime({a[0]}, {_literal_format(a[1])})" if len(a) == 2 else None)
    sql = _rewrite_calls(sql, "date_format", lambda a: f"strftime({a[0]}, {_literal_format(a[1])})" if len(a) == 2 else None)
    sql = _rewrite_calls(sql, "format_datetime", lambda a: f"strftime({a[0]}, {_joda_format(a[1])})"
                         if len(a) == 2 else None)
    sql = _rewrite_calls(sql, "parse_datetime", lambda a: f"CAST(strptime({a[0]}, {_joda_format(a[1])}) AS TIMESTAMPTZ)"
                         if len(a) == 2 else None)
    sql = _rewrite_calls(sql, "from_iso8601_timestamp", lambda a: f"CAST({a[0]} AS TIMESTAMPTZ)")
    sql = _rewrite_calls(sql, "from_iso8601_date", lambda a: f"CAST({a[0]} AS DATE)")
    sql = _rewrite_calls(sql, "from_unixtime", lambda a: f"to_timestamp({a[0]})" if len(a) == 1 else
                         f"(to_timestamp({a[0]}) AT TIME ZONE {a[1]})" if len(a) == 2 else None)
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
    sql = _rewrite_calls(sql, "cardinality", lambda a: (f"cardinality({a[0]})" if _kind(a[0], columns) == "map"
                                                        else f"len({a[0]})") if len(a) == 1 else None)
    sql = _rewrite_calls(sql, "length", lambda a: f"octet_length({a[0]})" if len(a) == 1 and
                         _kind(a[0], columns) == "binary" else None)
    sql = _rewrite_calls(sql, "reverse", lambda a: f"list_reverse({a[0]})" if len(a) == 1 and
                         _kind(a[0], columns) == "array" else None)
    sql = _rewrite_calls(sql, "date_trunc", lambda a: f"CAST(date_trunc({a[0]}, {a[1]}) AS DATE)"
                         if len(a) == 2 and _is_date(a[1], columns) else None)
    sql = _rewrite_calls(sql, "sequence", lambda a: (
        f"[CAST(__d AS DATE) FOR __d IN generate_series(CAST({a[0]} AS TIMESTAMP), CAST({a[1]} AS TIMESTAMP), "
        f"{a[2] if len(a) == 3 else 'INTERVAL 1 DAY'})]") if len(a) in (2, 3) and _is_date(a[0], columns) else None)
    sql = _rewrite_calls(sql, "regexp_like", lambda a: f"regexp_matches({a[0]}, {a[1]})")
    sql = _rewrite_calls(sql, "json_extract_scalar", lambda a: f"json_extract_string({a[0]}, {a[1]})")
    sql = _rewrite_calls(sql, "arbitrary", lambda a: f"any_value({a[0]})")
    sql = _rewrite_calls(sql, "codepoint", lambda a: f"unicode({a[0]})")
    sql = _rewrite_calls(sql, "date_add", lambda a: _date_add(a, columns))
    sql = _date_interval(sql, columns)
    sql = re.sub(r"\bvarchar\s*\(\s*\d+\s*\)", "VARCHAR", sql, flags=re.IGNORECASE)
    # TABLESAMPLE BERNOULLI (10): Trino's number is a percentage (DuckDB would read it as a count of rows)
    sql = re.sub(r"\bTABLESAMPLE\s+(BERNOULLI|SYSTEM)\s*\(\s*([\d.]+)\s*\)",
                 lambda m: m.group(0) if _in_string(sql, m.start())
                 else f"TABLESAMPLE {m.group(2)}% ({m.group(1).lower()})", sql, flags=re.IGNORECASE)
    sql = decimal_literals(sql)
    sql = bare_values(sql)
    sql = _rewrite_calls(sql, "try_cast", _cast("try_cast"))
    sql = _rewrite_calls(sql, "cast", _cast("cast"))
    # __duck_f( marks DuckDB's own f where Athena's f of the same name is renamed to trino_f
    return at_time_zone(_rename_calls(sql).replace("__duck_", ""))


def _listagg(sql: str) -> str:
    """``listagg(x, sep) WITHIN GROUP (ORDER BY y)`` -> ``string_agg(x, sep ORDER BY y)``."""
    position = 0
    while True:
        found = _find_call(sql, "listagg", position)
        if found is None:
            return sql
        start, end, args = found
        within = re.match(r"\s*WITHIN\s+GROUP\s*\(", sql[end:], re.IGNORECASE)
        order = ""
        if within:
            close = _find_close(sql, end + within.end() - 1)
            order = " " + sql[end + within.end():close].strip()
            end = close + 1
        separator = args[1] if len(args) > 1 else "''"
        replacement = f"string_agg({args[0]}, {separator}{order})"
        sql = sql[:start] + replacement + sql[end:]
        position = start + len(replacement)
