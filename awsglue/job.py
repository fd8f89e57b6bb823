"""``Job``: init/commit around a job run; commit saves job bookmarks."""

from __future__ import annotations

from typing import Any

from awsglue import _bookmarks


class Job:
    def __init__(self, glue_context: Any) -> None:
        self.glue_context = glue_context
        self.name: str | None = None
        self.args: dict[str, str] = {}

    def init(self, job_name: str, args: dict[str, str] | None = None) -> None:
        self.name = job_name
        self.args = dict(args or {})

    def commit(self) -> None:
        """Record what this run processed, so a bookmarked job skips it next time."""
        _bookmarks.commit()

    @classmethod
    def continuation_enabled(cls, args: dict[str, str] | None = None) -> bool:
        return _bookmarks.enabled()
