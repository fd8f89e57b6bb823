"""The lake access the Athena engine gets, with the key it may cache table datasets under.

In process, the lake's listing (``emulators.core.s3access``) reads the sorted name index per bucket
(``emulators.core.s3index``), so a listing of a table's folder costs what the folder holds, whatever
else the bucket holds; with S3 elsewhere (LocalStack) it lists through that S3's own API.
"""

from __future__ import annotations

from typing import Any


class IndexedLake:
    """The lake access, plus the cache key under which the engine may reuse a table's dataset."""

    def __init__(self, lake: Any) -> None:
        self._lake = lake
        # the engine may reuse a table's dataset between queries on the same lake (checked against a listing)
        account = getattr(lake, "account_id", None) if hasattr(lake, "_backend") else None
        self.cache_key = ("in-process", account) if account else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lake, name)
