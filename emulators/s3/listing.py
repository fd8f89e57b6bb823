"""ListObjects and ListObjectsV2 that cost the page, not the bucket.

moto answers a listing by walking every key of the bucket, sorting them all and then cutting out the
page (and it unpacks every key a restore left packed), so paging through a bucket of 100,000 objects
cost 100 full walks. Here a page comes from the bucket's sorted name index (``emulators.core.s3index``):
a bisect to the prefix or the marker, then only the names the page shows (plus the names a common
prefix rolls up, skipped by a second bisect).

AWS's contract, as the S3 API reference states it: keys and common prefixes come in UTF-8 binary order
and count together against ``MaxKeys`` (at most 1,000); ``IsTruncated`` says whether more follow;
``NextMarker`` (ListObjects) is returned only with a delimiter; ``NextContinuationToken`` is opaque, and
one this bucket did not give out is refused with ``InvalidArgument``.
"""

from __future__ import annotations

import base64
import binascii
import sys
from typing import Any

from emulators.core import moto_coupling, s3index

MAX_KEYS = 1000


class ListingError(moto_coupling.S3ClientError):
    """A 400 S3 error with its code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def continuation_token(bucket: str, last: str) -> str:
    return base64.urlsafe_b64encode(f"{bucket}\n{last}".encode()).decode()


def _resume_after(bucket: str, token: str) -> str:
    try:
        owner, _, last = base64.urlsafe_b64decode(token.encode()).decode().partition("\n")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        owner, last = "", ""
    if owner != bucket or not last:
        raise ListingError("InvalidArgument", "The continuation token provided is incorrect")
    return last


def page(bucket: Any, prefix: str | None, delimiter: str | None, after: str | None,
         max_keys: int | None) -> tuple[list[Any], list[str], bool, str | None]:
    """Keys, common prefixes, whether more follow and the last item shown (a key or a prefix)."""
    # a request's MaxKeys is capped at 1,000; moto's own callers (DynamoDB's import from S3) ask for everything
    limit = sys.maxsize if max_keys is None else min(max(int(max_keys), 0), MAX_KEYS)
    items, truncated = s3index.list_page(bucket.keys, prefix or "", delimiter or "", after or "", limit,
                                         moto_coupling.s3_is_delete_marker)
    keys = [key for _, key in items if key is not None]
    folders = [name for name, key in items if key is None]
    return keys, folders, truncated, (items[-1][0] if items else None)


def list_objects(bucket: Any, prefix: str | None, delimiter: str | None, marker: str | None,
                 max_keys: int | None) -> tuple[list[Any], list[str], bool, str | None]:
    """moto's ``list_objects`` result: keys, common prefixes, IsTruncated, NextMarker."""
    keys, folders, truncated, last = page(bucket, prefix, delimiter, marker, max_keys)
    return keys, folders, truncated, (last if truncated and delimiter else None)


def list_objects_v2(bucket: Any, prefix: str | None, delimiter: str | None, token: str | None,
                    start_after: str | None, max_keys: int) -> tuple[list[Any], bool, str | None]:
    """moto's ``list_objects_v2`` result: keys and common prefixes in order, IsTruncated, the next token."""
    after = _resume_after(bucket.name, token) if token else start_after
    keys, folders, truncated, last = page(bucket, prefix, delimiter, after, max_keys)
    merged = sorted([*keys, *folders], key=lambda item: item if isinstance(item, str) else item.name)
    return merged, truncated, (continuation_token(bucket.name, last) if truncated and last else None)
