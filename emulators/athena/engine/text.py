"""Small helpers that read statement text: parentheses, qualified names, column definitions, properties."""

from __future__ import annotations

import re

from emulators.athena.engine.types import QueryFailed, QueryResult, _split_top

LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.S)


def strip_leading_comments(sql: str) -> str:
    """``sql`` without the blank lines and ``--`` / ``/* */`` comments before its first word (saved and console
    queries often start with one)."""
    return LEADING_COMMENTS.sub("", sql, count=1)


def _ddl() -> QueryResult:
    return QueryResult([], [], "DDL", header=False)


def _qualified(name: str, database: str) -> tuple[str, str]:
    parts = [p.strip('`"').lower() for p in name.split(".")]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return database, parts[0]


def _parenthesised(text: str, open_index: int) -> tuple[str, str]:
    depth, quote, escaped = 0, "", False
    for i in range(open_index, len(text)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":  # Hive's '...' and "..." strings escape with a backslash ('\'' is a quote)
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[open_index + 1:i], text[i + 1:].strip()
    raise QueryFailed("line 1:1: unbalanced parentheses")


def _column_def(text: str) -> tuple[str, str]:
    text = re.sub(r"\s+COMMENT\s+'[^']*'\s*$", "", text.strip(), flags=re.I)
    name, _, kind = text.partition(" ")
    if not kind.strip():
        raise QueryFailed(f"line 1:1: column definition {text!r} needs a type")
    return name.strip('`"').lower(), re.sub(r"\s+", "", kind.strip().lower())


def _properties(text: str, keyword: str) -> dict[str, str]:
    match = re.search(keyword + r"\s*\(", text, re.I)
    if not match:
        return {}
    body, _ = _parenthesised(text, match.end() - 1)
    # 'key' = 'value' or "key" = "value" (the Hive DDL of the CloudFront log pages quotes with ")
    pairs = re.findall(r"""(['"])(.*?)\1\s*=\s*(['"])((?:\\.|(?!\3).)*)\3""", body, re.S)
    return {k: v.encode().decode("unicode_escape") for _, k, _, v in pairs}


def _with_properties(body: str) -> dict[str, str]:
    props = {}
    for item in _split_top(body):
        key, _, value = item.partition("=")
        value = value.strip()
        if value.upper().startswith("ARRAY"):
            props[key.strip().lower()] = value
        else:
            props[key.strip().lower()] = value.strip("'\"")
    return props


def _like(name: str, pattern: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace("%", ".*").replace(r"\|", "|") + "$"
    return re.match(regex, name, re.I) is not None

