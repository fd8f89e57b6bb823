"""Athena's result file, ``<QueryExecutionId>.csv``: a header line, every value double-quoted, and NULL an
empty field without quotes, so that a reader can tell NULL (``,,``) from the empty string (``,"",``), as
PyAthena's ``AthenaCSVReader`` and the S3FS cursor do. Read back after a restart the same way."""

from __future__ import annotations

from collections.abc import Iterable


def _field(value: str | None) -> str:
    return "" if value is None else '"' + str(value).replace('"', '""') + '"'


def csv_text(header: list[str], rows: Iterable[Iterable[str | None]]) -> str:
    lines = [",".join(_field(name) for name in header)]
    lines += [",".join(_field(value) for value in row) for row in rows]
    return "\n".join(lines) + "\n"


def csv_rows(text: str) -> list[list[str | None]]:
    """The rows of a result file, header included; an unquoted empty field is None."""
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':  # a quoted field: "" inside is one quote, newlines are part of the value
            i += 1
            parts = []
            while i < n:
                end = text.find('"', i)
                if end < 0:
                    parts.append(text[i:])
                    i = n
                    break
                parts.append(text[i:end])
                if text.startswith('""', end):
                    parts.append('"')
                    i = end + 2
                    continue
                i = end + 1
                break
            value: str | None = "".join(parts)
        else:
            end = i
            while end < n and text[end] not in ",\n":
                end += 1
            value = text[i:end] or None
            i = end
        row.append(value)
        if i >= n or text[i] == "\n":
            rows.append(row)
            row = []
        i += 1  # past the comma or the newline
    return rows
