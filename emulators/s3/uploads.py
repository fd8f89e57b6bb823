"""ListMultipartUploads as the S3 API reference describes it (moto answered every upload at once, each
initiated on 2010-11-10, without Prefix/Delimiter/MaxUploads/KeyMarker paging).

Uploads come sorted by key, then by the time they were initiated; ``Delimiter`` rolls keys up into
``CommonPrefixes``; a page holds at most ``MaxUploads`` (1,000) uploads and common prefixes together and
ends with ``NextKeyMarker``/``NextUploadIdMarker`` when ``IsTruncated``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

MAX_UPLOADS = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"  # moto's canonical owner


def initiated(upload: Any) -> datetime:
    """When an upload was created (uploads made before the sandbox stamped them sort first)."""
    return getattr(upload, "sandbox_initiated", None) or _EPOCH


def list_uploads(bucket_name: str, uploads: list[Any], params: dict[str, str], account_id: str) -> dict[str, Any]:
    """The ListMultipartUploads result for ``uploads`` (moto's upload objects) and the request's query
    values by their wire names (``prefix``, ``delimiter``, ``max-uploads``, ``key-marker``,
    ``upload-id-marker``, ``encoding-type``)."""
    prefix = params.get("prefix") or ""
    delimiter = params.get("delimiter") or ""
    key_marker = params.get("key-marker") or ""
    upload_id_marker = params.get("upload-id-marker") or ""
    try:
        max_uploads = max(0, min(MAX_UPLOADS, int(params.get("max-uploads") or MAX_UPLOADS)))
    except ValueError:
        max_uploads = MAX_UPLOADS
    ordered = sorted((u for u in uploads if u.key_name.startswith(prefix)), key=lambda u: (u.key_name, initiated(u)))
    if key_marker:
        marker_time = next((initiated(u) for u in ordered if u.key_name == key_marker and u.id == upload_id_marker),
                           None)
        ordered = [u for u in ordered if u.key_name > key_marker or (
            u.key_name == key_marker and marker_time is not None and initiated(u) > marker_time)]
    shown: list[Any] = []
    prefixes: list[str] = []
    truncated = False
    for upload in ordered:
        if delimiter:
            cut = upload.key_name.find(delimiter, len(prefix))
            if cut >= 0:
                common = upload.key_name[:cut + len(delimiter)]
                if common in prefixes:
                    continue
                if len(shown) + len(prefixes) >= max_uploads:
                    truncated = True
                    break
                prefixes.append(common)
                continue
        if len(shown) + len(prefixes) >= max_uploads:
            truncated = True
            break
        shown.append(upload)
    owner = {"ID": _OWNER_ID, "DisplayName": "webfile"}
    result: dict[str, Any] = {
        "Bucket": bucket_name, "KeyMarker": key_marker, "UploadIdMarker": upload_id_marker,
        "MaxUploads": max_uploads, "IsTruncated": truncated,
        "Uploads": [{
            "UploadId": u.id, "Key": u.key_name, "Initiated": initiated(u),
            "StorageClass": u.storage or "STANDARD", "Owner": owner, "Initiator": owner,
            **({"ChecksumAlgorithm": u.metadata.get("x-amz-checksum-algorithm")}
               if u.metadata.get("x-amz-checksum-algorithm") else {}),
        } for u in shown],
        "CommonPrefixes": [{"Prefix": p} for p in prefixes],
    }
    if prefix:
        result["Prefix"] = prefix
    if delimiter:
        result["Delimiter"] = delimiter
    if truncated:
        last_key = shown[-1].key_name if shown and (not prefixes or shown[-1].key_name > prefixes[-1]) \
            else prefixes[-1]
        result["NextKeyMarker"] = last_key
        result["NextUploadIdMarker"] = shown[-1].id if shown and shown[-1].key_name == last_key else ""
    if params.get("encoding-type"):
        result["EncodingType"] = params["encoding-type"]
    del account_id  # one canonical owner for every account, as moto's other listings answer
    return result


def object_parts(parts: list[tuple[int, int, str | None]], algorithm: str | None, max_parts: str | None,
                 part_number_marker: str | None) -> dict[str, Any]:
    """GetObjectAttributes' ``ObjectParts`` of a multipart object from its parts' (number, size, checksum):
    the part count always, and a page of ``Part`` elements only when the upload used an additional
    checksum, as the API reference says for general purpose buckets."""
    try:
        limit = max(0, min(MAX_UPLOADS, int(max_parts or MAX_UPLOADS)))
        marker = int(part_number_marker or 0)
    except ValueError:
        limit, marker = MAX_UPLOADS, 0
    fields: dict[str, Any] = {"PartsCount": len(parts)}
    if not algorithm:
        return fields
    after = [part for part in parts if part[0] > marker]
    page = after[:limit]
    fields.update({
        "PartNumberMarker": marker,
        "NextPartNumberMarker": page[-1][0] if page else marker,
        "MaxParts": limit,
        "IsTruncated": len(after) > len(page),
    })
    shown = []
    for number, size, checksum in page:
        part: dict[str, Any] = {"PartNumber": number, "Size": size}
        if checksum:
            part[f"Checksum{algorithm.upper()}"] = checksum
        shown.append(part)
    fields["Part"] = shown
    return fields
