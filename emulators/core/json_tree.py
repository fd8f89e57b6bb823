"""Walking parsed JSON documents (state machine definitions, DuckDB's parse trees)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def json_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object of a parsed document, each before the ones inside it (a caller may change its values)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from json_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from json_objects(value)
