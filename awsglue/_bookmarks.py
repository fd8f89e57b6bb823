"""Job bookmarks: which S3 objects each ``transformation_ctx`` has processed.

The sandbox passes ``--job-bookmark-option`` and a state file
(``SANDBOX_GLUE_BOOKMARK_FILE``). Reads with a ``transformation_ctx`` skip
objects recorded there (same key and ETag); ``Job.commit()`` records the objects
this run read. ``job-bookmark-pause`` reads as enabled but does not record.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

_pending: dict[str, dict[str, str]] = {}


def option() -> str:
    args = sys.argv
    for i, item in enumerate(args):
        if item == "--job-bookmark-option" and i + 1 < len(args):
            return args[i + 1]
        if item.startswith("--job-bookmark-option="):
            return item.split("=", 1)[1]
    return os.environ.get("SANDBOX_GLUE_BOOKMARK_OPTION", "job-bookmark-disable")


def enabled() -> bool:
    return option() in ("job-bookmark-enable", "job-bookmark-pause")


def _file() -> Path | None:
    path = os.environ.get("SANDBOX_GLUE_BOOKMARK_FILE")
    return Path(path) if path else None


def _state() -> dict[str, dict[str, str]]:
    path = _file()
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text())


def seen(ctx: str) -> dict[str, str]:
    return _state().get(ctx, {}) if enabled() and ctx else {}


def remember(ctx: str, objects: dict[str, str]) -> None:
    if ctx and enabled():
        _pending.setdefault(ctx, {}).update(objects)


def commit() -> None:
    path = _file()
    if path is None or option() != "job-bookmark-enable" or not _pending:
        return
    state = _state()
    for ctx, objects in _pending.items():
        state.setdefault(ctx, {}).update(objects)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)
    _pending.clear()
