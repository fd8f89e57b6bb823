"""S3's events on the default EventBridge bus, in the detail shape of the S3 User Guide's "EventBridge
event message structure" (``reason`` names the API call, ``etag`` is lower case, ``version-id`` only for
versioned buckets, ``deletion-type`` on deletions), sent through the ``emit_event`` port so rules are
matched and delivered by the sandbox's EventBridge like any other service event."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from emulators.core import ports

log = logging.getLogger("emulators.s3")

_REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
    "s3:LifecycleExpiration:Delete": "Lifecycle Expiration",
    "s3:LifecycleExpiration:DeleteMarkerCreated": "Lifecycle Expiration",
    "s3:ObjectRestore:Post": "RestoreObject",
}


def event_detail(account: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The ``detail`` of an S3 event from the facts the coupling gathers about the object."""
    event = facts["event"]
    s3_object: dict[str, Any] = {"key": facts["key"]}
    if not event.startswith("s3:ObjectRemoved"):
        s3_object["size"] = facts["size"]
    if facts.get("etag") and "DeleteMarker" not in event:
        s3_object["etag"] = facts["etag"]
    if facts.get("version_id"):
        s3_object["version-id"] = facts["version_id"]
    s3_object["sequencer"] = f"{time.time_ns():016X}"
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": facts["bucket"]},
        "object": s3_object,
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": account,
        "source-ip-address": "127.0.0.1",
        "reason": _REASONS.get(event, event.split(":")[1] if ":" in event else event),
    }
    if event.startswith(("s3:ObjectRemoved", "s3:LifecycleExpiration")):
        detail["deletion-type"] = "Delete Marker Created" if event.endswith("DeleteMarkerCreated") \
            else "Permanently Deleted"
    if event.startswith("s3:ObjectRestore"):
        detail["source-storage-class"] = facts.get("storage_class") or "GLACIER"
    return detail


def send(account: str, region: str, detail_type: str, facts: dict[str, Any]) -> None:
    """Put one S3 event on the account's default bus (delivery runs in the background)."""
    try:
        ports.emit_event(account, region, "aws.s3", detail_type, event_detail(account, facts),
                         [facts["bucket_arn"]])
    except ports.PortUnavailable:
        log.warning("S3: EventBridge is not available; the %s event for %s was dropped", detail_type,
                    facts.get("key"))
