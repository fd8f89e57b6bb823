"""S3 Select's date functions and MISSING on DuckDB (the S3 Select SQL reference, "Date functions").

``TO_TIMESTAMP(s)``, ``UTCNOW()``, ``DATE_ADD(part, n, ts)``, ``DATE_DIFF(part, a, b)``, ``TO_STRING(ts,
'pattern')`` (the reference's pattern letters: ``y``, ``M``, ``d``, ``H``, ``h``, ``m``, ``s``, ``a``, quoted
literals) and ``IS [NOT] MISSING`` are rewritten to DuckDB before the expression runs; ``EXTRACT(part FROM
ts)`` is DuckDB's own. String literals are never rewritten.
"""

from __future__ import annotations

import re

# created on each S3 Select connection before it is locked down
MACROS = (
    # the reference's timestamp literals include '2007T', '2007-02T' and '2007-02-23T'
    "CREATE MACRO s3select_to_timestamp(value) AS CAST(CASE length(regexp_replace(value, 'T$', '')) "
    "WHEN 4 THEN regexp_replace(value, 'T$', '') || '-01-01' WHEN 7 THEN regexp_replace(value, 'T$', '') || '-01' "
    "ELSE regexp_replace(value, 'T$', '') END AS TIMESTAMP)",
    "CREATE MACRO s3select_utcnow() AS CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)",
    "CREATE MACRO s3select_date_add(part, n, ts) AS CASE lower(part) "
    "WHEN 'year' THEN ts + to_years(n) WHEN 'month' THEN ts + to_months(n) WHEN 'day' THEN ts + to_days(n) "
    "WHEN 'hour' THEN ts + to_hours(n) WHEN 'minute' THEN ts + to_minutes(n) "
    "WHEN 'second' THEN ts + to_seconds(n) END",
)
_PARTS = r"(year|month|day|hour|minute|second)"
_SIMPLE = (
    (re.compile(r"\bTO_TIMESTAMP\s*\(", re.I), "s3select_to_timestamp("),
    (re.compile(r"\bUTCNOW\s*\(", re.I), "s3select_utcnow("),
    (re.compile(r"\bDATE_ADD\s*\(\s*" + _PARTS + r"\s*,", re.I), r"s3select_date_add('\1',"),
    (re.compile(r"\bDATE_DIFF\s*\(\s*" + _PARTS + r"\s*,", re.I), r"date_diff('\1',"),
    (re.compile(r"\bIS\s+NOT\s+MISSING\b", re.I), "IS NOT NULL"),
    (re.compile(r"\bIS\s+MISSING\b", re.I), "IS NULL"),
)
_PATTERN_LETTERS = (
    ("yyyy", "%Y"), ("yy", "%y"), ("y", "%Y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("M", "%-m"),
    ("dd", "%d"), ("d", "%-d"), ("HH", "%H"), ("H", "%-H"), ("hh", "%I"), ("h", "%-I"), ("mm", "%M"),
    ("m", "%-M"), ("ss", "%S"), ("s", "%-S"), ("a", "%p"),
)


def strftime_pattern(pattern: str) -> str:
    """A TO_STRING pattern (``y-MM-dd'T'HH:mm``) as a strftime format."""
    out, at = [], 0
    while at < len(pattern):
        if pattern[at] == "'":
            end = pattern.find("'", at + 1)
            end = len(pattern) if end < 0 else end
            out.append(pattern[at + 1:end].replace("%", "%%") or "'")
            at = end + 1
            continue
        for letters, directive in _PATTERN_LETTERS:
            if pattern.startswith(letters, at):
                out.append(directive)
                at += len(letters)
                break
        else:
            out.append("%%" if pattern[at] == "%" else pattern[at])
            at += 1
    return "".join(out)


def _rewrite_to_string(sql: str) -> str:
    """``TO_STRING(expr, 'pattern')`` as ``strftime(expr, 'format')`` (the expression may nest calls)."""
    while True:
        match = re.search(r"\bTO_STRING\s*\(", sql, re.I)
        if not match:
            return sql
        depth, at, quoted, comma = 1, match.end(), False, -1
        while at < len(sql) and depth:
            char = sql[at]
            if char == "'":
                quoted = not quoted
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth -= 1
            elif not quoted and char == "," and depth == 1:
                comma = at
            at += 1
        literal = sql[comma + 1:at - 1].strip() if comma >= 0 else ""
        if depth or not (len(literal) >= 2 and literal[0] == literal[-1] == "'"):
            return sql  # not the two-argument form: DuckDB reports the call
        fmt = strftime_pattern(literal[1:-1].replace("''", "'")).replace("'", "''")
        sql = f"{sql[:match.start()]}strftime({sql[match.end():comma]}, '{fmt}'){sql[at:]}"


def rewrite(sql: str) -> str:
    """The expression with S3 Select's date functions and MISSING in DuckDB's terms."""
    pieces = re.split(r"('(?:[^']|'')*')", sql)
    for index in range(0, len(pieces), 2):  # outside string literals
        for pattern, replacement in _SIMPLE:
            pieces[index] = pattern.sub(replacement, pieces[index])
    return _rewrite_to_string("".join(pieces))
