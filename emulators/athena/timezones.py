"""``x AT TIME ZONE zone`` with Trino's meaning on DuckDB.

Trino reads a TIMESTAMP without a zone in the session's zone (UTC on Athena) and shows that instant's
wall-clock time in ``zone``. DuckDB instead reads the naive timestamp as a wall-clock time *in* ``zone``
and answers the UTC instant: ``TIMESTAMP '2024-01-01 10:00:00' AT TIME ZONE 'America/New_York'`` was
15:00 UTC where Athena answers 05:00 in New York. Casting the operand to TIMESTAMPTZ first (a no-op
for values that already carry a zone) gives Trino's wall-clock time; DuckDB prints it without the zone.
"""

from __future__ import annotations

import re

from emulators.athena.sqltext import in_string as _in_string

AT_TIME_ZONE = re.compile(r"\bAT\s+TIME\s+ZONE\b", re.IGNORECASE)
WORD = re.compile(r"[\w.\"$]")


def _operand_start(sql: str, end: int) -> int | None:
    """Where the operand that ends at ``end`` (exclusive) begins: a name, a call, a literal, a parenthesis."""
    i = end
    while i > 0 and sql[i - 1].isspace():
        i -= 1
    if i == 0:
        return None
    if sql[i - 1] == ")":
        depth = 0
        j = i - 1
        while j >= 0:
            if sql[j] == ")" and not _in_string(sql, j):
                depth += 1
            elif sql[j] == "(" and not _in_string(sql, j):
                depth -= 1
                if depth == 0:
                    break
            j -= 1
        if j < 0:
            return None
        while j > 0 and WORD.match(sql[j - 1]):  # the function's name
            j -= 1
        return j
    if sql[i - 1] == "'":
        j = sql.rfind("'", 0, i - 1)
        while j > 0 and sql[j - 1] == "'":  # '' inside the literal
            j = sql.rfind("'", 0, j - 1)
        if j < 0:
            return None
        keyword = re.search(r"\b(TIMESTAMP|DATE)\s*$", sql[:j], re.IGNORECASE)
        return keyword.start() if keyword else j
    j = i
    while j > 0 and WORD.match(sql[j - 1]):
        j -= 1
    return j if j < i else None


def at_time_zone(sql: str) -> str:
    """Every ``x AT TIME ZONE z`` outside string literals as ``CAST(x AS TIMESTAMPTZ) AT TIME ZONE z``."""
    position = 0
    while True:
        match = AT_TIME_ZONE.search(sql, position)
        if match is None:
            return sql
        start = None if _in_string(sql, match.start()) else _operand_start(sql, match.start())
        if start is None:
            position = match.end()
            continue
        operand = sql[start:match.start()].rstrip()
        if operand.upper().startswith("CAST(") and operand.upper().endswith("AS TIMESTAMPTZ)"):
            position = match.end()
            continue
        replacement = f"CAST({operand} AS TIMESTAMPTZ) "
        sql = sql[:start] + replacement + sql[match.start():]
        position = start + len(replacement) + (match.end() - match.start())
