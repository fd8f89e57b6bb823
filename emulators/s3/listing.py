"""ListObjects and ListObjectsV2 that cost the page, not the bucket.

moto answers a listing by walking every key of the bucket, sorting them all and then cutting out the
page (and it unpacks every key a restore left packed), so paging through a bucket of 100,000 objects
cost 100 full walks. Here a page comes from the bucket's sorted name index (``emulators.core.s3index``):
a bisect to the prefix or the marker, then only the names the page shows (plus the names a common
prefix rolls up, skipped by a second bisect).

The response XML is written here as well (``render``): moto's generic serializer spent about 0.15 ms per
listed key, so a 1,000-key page cost more to serialize than to find.

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
from urllib.parse import quote
from xml.sax.saxutils import escape

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


# the owner moto reports for every object (the sandbox has one account)
OWNER_ID, OWNER_NAME = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "webfile"


def render(backend: Any, bucket: Any, params: dict[str, Any], version: int) -> tuple[int, dict[str, str], bytes]:
    """The ListObjects (``version`` 1) or ListObjectsV2 response for a request's query ``params``."""
    prefix, delimiter = params.get("prefix"), params.get("delimiter")
    try:
        max_keys = int(params.get("max-keys", MAX_KEYS))
    except ValueError:
        raise ListingError("InvalidArgument", "Provided max-keys not an integer or within integer range") from None
    if max_keys < 0:
        raise ListingError("InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647")
    url = params.get("encoding-type") == "url"

    def text(value: str) -> str:
        return escape(quote(value) if url else value)

    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
           f"<Name>{escape(bucket.name)}</Name>", f"<Prefix>{text(prefix or '')}</Prefix>"]
    if version == 2:
        token, start_after = params.get("continuation-token"), params.get("start-after")
        entries, truncated, next_token = backend.list_objects_v2(bucket, prefix, delimiter, token, start_after,
                                                                 max_keys)
        keys = [e for e in entries if not isinstance(e, str)]
        folders = [e for e in entries if isinstance(e, str)]
        out.append(f"<KeyCount>{len(entries)}</KeyCount>")
        if token:
            out.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if next_token:
            out.append(f"<NextContinuationToken>{escape(next_token)}</NextContinuationToken>")
        if start_after and not token:
            out.append(f"<StartAfter>{text(start_after)}</StartAfter>")
        owner = params.get("fetch-owner", "").lower() == "true"
    else:
        marker = params.get("marker")
        keys, folders, truncated, next_marker = backend.list_objects(bucket, prefix, delimiter, marker, max_keys)
        out.append(f"<Marker>{text(marker or '')}</Marker>")
        if next_marker:
            out.append(f"<NextMarker>{text(next_marker)}</NextMarker>")
        owner = True  # ListObjects always names the owner
    out.append(f"<MaxKeys>{max_keys}</MaxKeys>")
    if delimiter:
        out.append(f"<Delimiter>{text(delimiter)}</Delimiter>")
    out.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    if url:
        out.append("<EncodingType>url</EncodingType>")
    owner_xml = f"<Owner><ID>{OWNER_ID}</ID><DisplayName>{OWNER_NAME}</DisplayName></Owner>" if owner else ""
    restore_wanted = "RestoreStatus" in params.get("optional-object-attributes", "")
    for key in keys:
        checksum = getattr(key, "checksum_algorithm", None)
        out.append(f"<Contents><Key>{text(key.name)}</Key><LastModified>{key.last_modified_ISO8601}</LastModified>"
                   f"<ETag>{escape(key.etag)}</ETag>"
                   + (f"<ChecksumAlgorithm>{escape(checksum)}</ChecksumAlgorithm>" if checksum else "")
                   + f"<Size>{key.size}</Size><StorageClass>{escape(key.storage_class)}</StorageClass>"
                   f"{owner_xml}{_restore_status(key) if restore_wanted else ''}</Contents>")
    for folder in folders:
        out.append(f"<CommonPrefixes><Prefix>{text(folder)}</Prefix></CommonPrefixes>")
    out.append("</ListBucketResult>")
    return 200, {"Content-Type": "application/xml"}, "".join(out).encode("utf-8")


def _restore_status(key: Any) -> str:
    """``<RestoreStatus>`` of an archived object that was restored or is being restored (OptionalObjectAttributes
    RestoreStatus); nothing for other objects."""
    restore = moto_coupling.s3_key_restore(key)
    if restore is None:
        return ""
    in_progress, expiry = restore
    expiry_xml = "" if in_progress else \
        f"<RestoreExpiryDate>{expiry.strftime('%Y-%m-%dT%H:%M:%S.000Z')}</RestoreExpiryDate>"
    return (f"<RestoreStatus><IsRestoreInProgress>{'true' if in_progress else 'false'}</IsRestoreInProgress>"
            f"{expiry_xml}</RestoreStatus>")


MAX_BUCKETS = 10000


def list_buckets(buckets: list[Any], params: dict[str, str]) -> dict[str, Any]:
    """The ListBuckets result: buckets by name (``Prefix``, ``BucketRegion`` filters), ``MaxBuckets`` a page,
    an opaque ``ContinuationToken`` while more follow."""
    prefix, region = params.get("prefix") or "", params.get("bucket-region")
    try:
        limit = int(params.get("max-buckets") or MAX_BUCKETS)
    except ValueError:
        raise ListingError("InvalidArgument", "Provided max-buckets not an integer or within integer range") from None
    if not 1 <= limit <= MAX_BUCKETS:
        raise ListingError("InvalidArgument", f"Argument max-buckets must be an integer between 1 and {MAX_BUCKETS}")
    after = _resume_after("", params["continuation-token"]) if params.get("continuation-token") else ""
    chosen = sorted((b for b in buckets if b.name.startswith(prefix) and b.name > after
                     and (not region or b.region_name == region)), key=lambda b: b.name)
    page_of = chosen[:limit]
    result: dict[str, Any] = {
        "Buckets": [{"Name": b.name, "CreationDate": b.creation_date_ISO8601, "BucketRegion": b.region_name}
                    for b in page_of],
        "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
    }
    if len(chosen) > limit:
        result["ContinuationToken"] = continuation_token("", page_of[-1].name)
    if params.get("prefix") is not None:
        result["Prefix"] = prefix
    return result
