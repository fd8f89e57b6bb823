"""Spellings of Athena (Trino) SQL text that DuckDB reads differently, rewritten before the function calls are:
``DECIMAL '1.5'`` literals and ``VALUES 1, 2, 3`` rows without parentheses; and the two scanners the
rewriters share (top-level arguments, whether a position is inside a string literal)."""

from __future__ import annotations

import re


def split_args(text: str) -> list[str]:
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


def in_string(sql: str, position: int) -> bool:
    return sql.count("'", 0, position) % 2 == 1


_VALUES = re.compile(r"\bVALUES\s+(?=[^\s(])", re.IGNORECASE)
_VALUES_END = re.compile(r"\s(?:ORDER|LIMIT|OFFSET|UNION|INTERSECT|EXCEPT|FETCH)\b", re.IGNORECASE)


def bare_values(sql: str) -> str:
    """Trino's ``VALUES 1, 2, 3`` (one column, no parentheses) as DuckDB's ``VALUES (1), (2), (3)``."""
    position = 0
    while True:
        match = _VALUES.search(sql, position)
        if match is None:
            return sql
        position = match.end()
        if in_string(sql, match.start()):
            continue
        depth, quote, end = 0, "", len(sql)
        for i in range(match.end(), len(sql)):
            ch = sql[i]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    end = i
                    break
            elif ch == ";" and depth == 0:
                end = i
                break
        body = sql[match.end():end]
        if _VALUES_END.search(body):
            continue  # a clause after the rows: leave the statement as it is
        rows = ", ".join(f"({item})" for item in split_args(body.strip()))
        sql = sql[:match.end()] + rows + (" " if body.endswith(" ") else "") + sql[end:]


_DECIMAL_LITERAL = re.compile(r"\bDECIMAL\s*'\s*([+-]?)(\d*)(?:\.(\d*))?\s*'", re.IGNORECASE)


def decimal_literals(sql: str) -> str:
    """``DECIMAL '1.5'`` has the literal's own precision and scale on Trino (``decimal(2,1)``), where DuckDB
    would make it ``decimal(18,3)``: PyAthena sends a ``Decimal`` parameter this way."""
    def replace(match: re.Match) -> str:
        sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
        if in_string(sql, match.start()) or not (whole or fraction):
            return match.group(0)
        precision = max(1, len(whole.lstrip("0")) + len(fraction))
        if precision > 38:
            return match.group(0)
        digits = (whole or "0") + (f".{fraction}" if fraction else "")
        return f"CAST('{sign}{digits}' AS DECIMAL({precision},{len(fraction)}))"
    return _DECIMAL_LITERAL.sub(replace, sql)
