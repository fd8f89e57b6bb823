"""The lake access the Athena engine gets: prefix listings from the sorted name index per bucket.

The index itself (``emulators.core.s3index``) keeps each bucket's object names sorted, so a listing
of a table's folder bisects to the prefix and reads only the keys under it, whatever else the
bucket holds. :class:`IndexedLake` wraps the lake access (``emulators.core.s3access``); with S3
elsewhere (LocalStack) it lists through that S3's own API.
"""

from __future__ import annotations

from typing import Any

from emulators.core import s3index
from emulators.core.s3access import S3Object


class IndexedLake:
    """The in-process lake access with prefix listings from a sorted name index per bucket."""

    def __init__(self, lake: Any) -> None:
        self._lake = lake
        # the engine may reuse a table's dataset between queries on the same lake (checked against a listing)
        account = getattr(lake, "account_id", None) if hasattr(lake, "_backend") else None
        self.cache_key = ("in-process", account) if account else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lake, name)

    def list(self, bucket: str, prefix: str = "") -> list[S3Object]:
        backend = getattr(self._lake, "_backend", None)
        if backend is None:  # S3 elsewhere (LocalStack): its own listing
            return self._lake.list(bucket, prefix)
        try:
            store = backend().get_bucket(bucket).keys
        except Exception:
            return self._lake.list(bucket, prefix)  # raises the lake's own S3Error
        return [S3Object(name, key.size, key.etag.strip('"'), key.last_modified)
                for name, key in s3index.latest_under(store, prefix)]
