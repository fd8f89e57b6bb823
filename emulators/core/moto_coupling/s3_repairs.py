"""Repairs of moto's S3 answers and events that live in its response and notification code: listings moto
pages wrongly or not at all (ListBuckets, ListMultipartUploads), ObjectParts, lifecycle rules as written,
checksum headers, HeadObject versions, event records and EventBridge detail, and the version handling of
buckets whose versioning is suspended. Each is installed by the S3 provider."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from emulators.core.moto_coupling.s3 import s3_backend
def repair_s3_notifications() -> None:
    """Event notifications as S3 sends them, and their configuration as S3 answers it.

    The record keeps a key's slashes (S3 form-encodes the key but leaves ``/``: ``raw/2024/a+b.csv``; moto
    sent ``raw%2F2024%2Fa+b.csv``, which a handler using the key as it is could not read) and carries the
    fields of the user guide's event message structure moto leaves out (``userIdentity``,
    ``requestParameters``, ``responseElements``, the bucket's ``ownerIdentity``, the object's ``sequencer``
    and ``versionId``). GetBucketNotificationConfiguration answers ``EventBridgeConfiguration`` when it is on.
    """
    import time
    from urllib.parse import quote_plus

    from moto.s3 import notifications
    from moto.s3.responses import S3Response

    original_event = notifications._get_s3_event
    if getattr(original_event, "__sandbox__", False):
        return

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original_event(event_name, bucket, key, notification_id)
        for record in event["Records"]:
            record["userIdentity"] = {"principalId": "AWS:" + bucket.account_id}
            record["requestParameters"] = {"sourceIPAddress": "127.0.0.1"}
            record["responseElements"] = {"x-amz-request-id": f"{time.time_ns() & 0xFFFFFFFFFFFF:016X}",
                                          "x-amz-id-2": "sandbox"}
            record["s3"]["bucket"]["ownerIdentity"] = {"principalId": bucket.account_id}
            s3_object = record["s3"]["object"]
            s3_object["key"] = quote_plus(key.name, safe="/")
            if str(getattr(event_name, "value", event_name)).startswith("s3:ObjectRemoved"):
                s3_object.pop("size", None)  # a removal names the key and version only
                s3_object.pop("eTag", None)
            if getattr(key, "version_id", None) not in (None, "null"):
                s3_object["versionId"] = key.version_id
            s3_object["sequencer"] = f"{time.time_ns():X}"
        return event

    s3_event.__sandbox__ = True  # type: ignore[attr-defined]
    notifications._get_s3_event = s3_event

    original_get = S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:
        status, headers, body = original_get(self)
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if config is not None and config.event_bridge is not None and isinstance(body, (str, bytes)):
            text = body.decode("utf-8") if isinstance(body, bytes) else body
            closing = "</NotificationConfiguration>"
            if closing in text:
                text = text.replace(closing, "<EventBridgeConfiguration/>" + closing)
            elif text.rstrip().endswith("/>"):  # an empty <NotificationConfiguration .../>
                stripped = text.rstrip()
                text = stripped[:-2] + "><EventBridgeConfiguration/>" + closing
            body = text.encode("utf-8") if isinstance(body, bytes) else text
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return status, headers, body

    S3Response.get_bucket_notification = get_bucket_notification


def route_s3_eventbridge(send: Any) -> None:
    """Send S3's EventBridge notifications through ``send(account, region, detail_type, facts)`` instead of
    moto's sender (which put a fixed sample detail on every rule of every bus). ``facts`` is a plain dict:
    ``event`` ("s3:ObjectCreated:Put", ...), ``bucket``, ``bucket_arn``, ``key``, ``size``, ``etag`` (no
    quotes), ``version_id`` (None in a bucket that never had versioning), ``storage_class``."""
    from moto.s3 import notifications

    def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        version_id = getattr(key, "version_id", None)
        facts = {
            "event": str(getattr(event_name, "value", event_name)), "bucket": bucket.name,
            "bucket_arn": bucket.arn, "key": key.name, "size": getattr(key, "size", 0),
            "etag": str(getattr(key, "etag", "") or "").strip('"'),
            "version_id": None if version_id in (None, "null") and not bucket.versioning_status else version_id,
            "storage_class": getattr(key, "storage_class", None) or "STANDARD",
        }
        send(account_id, bucket.region_name, notifications._detail_type(event_name), facts)

    notifications._send_event_bridge_message = send_event_bridge_message


def replace_s3_upload_listing(render: Any) -> None:
    """Answer ListMultipartUploads with ``render(bucket_name, uploads, params, account_id)`` returning the
    result dict (serialized by moto): ``uploads`` are the bucket's in-progress upload objects, ``params``
    the query values by their wire names (``prefix``, ``delimiter``, ``max-uploads``, ``key-marker``,
    ``upload-id-marker``, ``encoding-type``)."""
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    def list_multipart_uploads(self: Any) -> Any:
        uploads = list(self.backend.list_multipart_uploads(self.bucket_name).values())
        params = {name: values[0] for name, values in self.querystring.items()
                  if name in ("prefix", "delimiter", "max-uploads", "key-marker", "upload-id-marker",
                              "encoding-type") and values}
        result = render(self.bucket_name, uploads, params, self.current_account)
        self.data["Action"] = "ListMultipartUploads"
        return self.serialized(ActionResult(result))

    S3Response.list_multipart_uploads = list_multipart_uploads


def add_s3_object_parts(render: Any) -> None:
    """GetObjectAttributes answers ``ObjectParts`` for an object made by a multipart upload (moto left it out).

    ``render(parts, algorithm, max_parts, part_number_marker)`` gets the upload's parts as
    ``(part number, size, checksum)`` in order (``checksum`` is a part's ``sandbox_checksum``, set by the
    provider when the part was uploaded: moto closes the parts' bodies once the upload completes) and the
    upload's checksum algorithm (or None), and returns the
    ``<ObjectParts>`` children by their XML names in order (a list value repeats its element)."""
    from xml.sax.saxutils import escape

    from moto.s3.responses import S3Response

    original = S3Response.get_object_attributes
    if getattr(original, "__sandbox__", False):
        return

    def xml_of(values: dict[str, Any]) -> str:
        out = []
        for name, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                inner = xml_of(item) if isinstance(item, dict) else escape(
                    str(item).lower() if isinstance(item, bool) else str(item))
                out.append(f"<{name}>{inner}</{name}>")
        return "".join(out)

    def get_object_attributes(self: Any) -> Any:
        status, headers, body = original(self)
        wanted = [a.strip() for a in str(self.headers.get("x-amz-object-attributes", "")).split(",")]
        if status != 200 or "ObjectParts" not in wanted:
            return status, headers, body
        version_id = self.querystring.get("versionId", [None])[0]
        key = self.backend.get_object(self.bucket_name, self.parse_key_name(), version_id=version_id)
        multipart = getattr(key, "multipart", None)
        if multipart is None:
            return status, headers, body
        parts = [(number, multipart.parts[number].size, getattr(multipart.parts[number], "sandbox_checksum", None))
                 for number in sorted(multipart.parts)]
        algorithm = getattr(key, "checksum_algorithm", None) or multipart.metadata.get("x-amz-checksum-algorithm")
        fields = render(parts, algorithm, self.headers.get("x-amz-max-parts"),
                        self.headers.get("x-amz-part-number-marker"))
        text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
        parts_xml = f"<ObjectParts>{xml_of(fields)}</ObjectParts>"
        root = re.search(r"<(GetObjectAttributes(?:Output|Response|Result))([^>]*?)(/?)>", text)
        if root is None:
            return status, headers, body
        if root.group(3):  # nothing else was asked for: moto wrote an empty element
            text = text[:root.start()] + f"<{root.group(1)}{root.group(2)}>{parts_xml}</{root.group(1)}>" \
                + text[root.end():]
        else:
            text = text.replace(f"</{root.group(1)}>", f"{parts_xml}</{root.group(1)}>")
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return status, headers, text.encode("utf-8") if isinstance(body, bytes) else text

    get_object_attributes.__sandbox__ = True  # type: ignore[attr-defined]
    S3Response.get_object_attributes = get_object_attributes


_VERSIONED_HEAD = threading.local()


def _install_suspended_as_versioned() -> None:
    """Buckets with suspended versioning count as versioned while this thread's flag is on (moto's code
    takes "not Enabled" for "never versioned" and drops or refuses the versions such a bucket keeps)."""
    from moto.s3.models import FakeBucket

    plain = FakeBucket.is_versioned
    if getattr(plain.fget, "__sandbox__", False):
        return

    def is_versioned(bucket: Any) -> bool:
        if getattr(_VERSIONED_HEAD, "on", False) and bucket.versioning_status == "Suspended":
            return True
        return bool(plain.fget(bucket))

    is_versioned.__sandbox__ = True  # type: ignore[attr-defined]
    FakeBucket.is_versioned = property(is_versioned)


@contextmanager
def s3_suspended_versions_kept() -> Iterator[None]:
    """Inside, moto appends a write to a versioning-suspended bucket to the key's versions instead of replacing
    them all (the caller then gives the new version the id null and drops the old null version)."""
    _install_suspended_as_versioned()
    _VERSIONED_HEAD.on = True
    try:
        yield
    finally:
        _VERSIONED_HEAD.on = False


def _qualify_composite_checksum(backend: Any, bucket_name: str, key_name: str, query: dict[str, Any],
                                headers: dict[str, Any]) -> None:
    """HeadObject names a multipart object's composite checksum as GetObject does (``<value>-<parts>``, with
    ``x-amz-checksum-type``); moto's HEAD left the part count off, so it looked like a full-object checksum."""
    key = backend.get_object(bucket_name, key_name, version_id=query.get("versionId", [None])[0])
    algorithm = getattr(key, "checksum_algorithm", None)
    if key is None or not algorithm:
        return
    if getattr(key, "checksum_type", None) != "COMPOSITE":
        if f"x-amz-checksum-{algorithm.lower()}" in headers:
            headers.setdefault("x-amz-checksum-type", key.checksum_type or "FULL_OBJECT")
        return
    header = f"x-amz-checksum-{algorithm.lower()}"
    value = headers.get(header)
    if value and "-" not in str(value) and key.checksum_parts:
        headers[header] = f"{value}-{key.checksum_parts}"
    headers["x-amz-checksum-type"] = "COMPOSITE"


def accept_null_version_heads() -> None:
    """HeadObject with a version id answers that version as GetObject does: ``null`` in a bucket that never
    had versioning is its one object, and a bucket whose versioning is suspended keeps its versions (moto
    refused every version id unless versioning was Enabled, with a bodiless 400)."""
    from moto.s3.responses import S3Response

    original = S3Response.head_object
    if getattr(original, "__sandbox__", False):
        return
    _install_suspended_as_versioned()

    def head_object(self: Any, bucket_name: str, query: dict[str, Any], key_name: str, headers: Any) -> Any:
        version_id = query.get("versionId", [None])[0]
        if version_id == "null" and not self.backend.get_bucket(bucket_name).versioning_status:
            query = {name: values for name, values in query.items() if name != "versionId"}
        _VERSIONED_HEAD.on = bool(version_id)
        try:
            status, answer_headers, body = original(self, bucket_name, query, key_name, headers)
        finally:
            _VERSIONED_HEAD.on = False
        if status == 200 and headers.get("x-amz-checksum-mode") == "ENABLED":
            _qualify_composite_checksum(self.backend, bucket_name, key_name, query, answer_headers)
        return status, answer_headers, body

    head_object.__sandbox__ = True  # type: ignore[attr-defined]
    S3Response.head_object = head_object


def s3_notify(account_id: str, event: str, bucket_name: str, key_name: str, version_id: str | None) -> None:
    """Send one S3 event notification (``s3:ObjectRemoved:DeleteMarkerCreated``, ...) for a key moto does not
    notify about itself, to the bucket's configured destinations."""
    from types import SimpleNamespace

    from moto.s3 import notifications

    bucket = s3_backend(account_id).buckets.get(bucket_name)
    if bucket is None or not bucket.notification_configuration:
        return
    subject = SimpleNamespace(name=key_name, etag="", size=0, version_id=version_id, storage_class="STANDARD")
    notifications.send_event(account_id, notifications.S3NotificationEvent(event), bucket, subject)


_MUTED = threading.local()


@contextmanager
def s3_notifications_muted() -> Iterator[None]:
    """No S3 event notification leaves moto's code while this thread is inside (S3 sends none for the
    tags a PutObject, copy or completed upload sets: those writes have their own ObjectCreated event)."""
    _install_mutable_send()
    _MUTED.on = True
    try:
        yield
    finally:
        _MUTED.on = False


def _install_mutable_send() -> None:
    from moto.s3 import notifications

    original = notifications.send_event
    if getattr(original, "__sandbox__", False):
        return

    def send_event(*args: Any, **kwargs: Any) -> None:
        if getattr(_MUTED, "on", False):
            return
        original(*args, **kwargs)

    send_event.__sandbox__ = True  # type: ignore[attr-defined]
    notifications.send_event = send_event


def answer_s3_lifecycle_as_written(rules_of: Any) -> None:
    """GetBucketLifecycleConfiguration answers the rules as they were written, from ``rules_of(bucket)`` (the
    parsed ``<Rule>`` elements the provider kept, or None): moto rebuilt them from its rule objects and lost
    what those do not hold (``ObjectSizeGreaterThan``/``ObjectSizeLessThan`` filters,
    ``NewerNoncurrentVersions``)."""
    import xmltodict
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_lifecycle
    if getattr(original, "__sandbox__", False):
        return

    def get_bucket_lifecycle(self: Any) -> Any:
        status, headers, body = original(self)  # NoSuchLifecycleConfiguration when there are no rules
        rules = rules_of(self.backend.get_bucket(self.bucket_name))
        if status != 200 or not rules:
            return status, headers, body
        document = {"LifecycleConfiguration": {"@xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Rule": rules}}
        text = xmltodict.unparse(document)
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return status, headers, text.encode("utf-8") if isinstance(body, bytes) else text

    get_bucket_lifecycle.__sandbox__ = True  # type: ignore[attr-defined]
    S3Response.get_bucket_lifecycle = get_bucket_lifecycle



def echo_s3_checksums() -> None:
    """PutObject and UploadPart answer the ``x-amz-checksum-*`` value the client sent (S3 verified it), as S3
    does; moto answered it only when the SDK also named the algorithm."""
    from moto.s3.responses import S3Response

    for operation in ("put_object", "upload_part"):
        original = getattr(S3Response, operation)
        if getattr(original, "__sandbox__", False):
            continue

        def answer(self: Any, _original: Any = original) -> Any:
            status, headers, body = _original(self)
            if status == 200:
                for name in ("crc32", "crc32c", "sha1", "sha256", "crc64nvme"):
                    header = f"x-amz-checksum-{name}"
                    value = self.headers.get(header)
                    if value and not any(k.lower() == header for k in headers):
                        headers[header] = value
            return status, headers, body

        answer.__sandbox__ = True  # type: ignore[attr-defined]
        answer.__name__ = operation
        setattr(S3Response, operation, answer)


def replace_s3_bucket_listing(render: Any) -> None:
    """Answer ListBuckets with ``render(buckets, params)`` returning the result dict (serialized by moto):
    ``buckets`` are moto's bucket objects (``name``, ``creation_date_ISO8601``, ``region_name``), ``params``
    the query values by their wire names (``prefix``, ``bucket-region``, ``max-buckets``,
    ``continuation-token``). moto cut the list at MaxBuckets without a ContinuationToken, so paging stopped
    after the first page."""
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    def all_buckets(self: Any) -> Any:
        self.data["Action"] = "ListAllMyBuckets"
        self._authenticate_and_authorize_s3_action()
        params = {name: values[0] for name, values in self.querystring.items()
                  if name in ("prefix", "bucket-region", "max-buckets", "continuation-token") and values}
        result = render(list(self.backend.buckets.values()), params)
        self.data["Action"] = "ListBuckets"
        return self.serialized(ActionResult(result))

    S3Response.all_buckets = all_buckets


def s3_make_null_version(bucket: Any, key_name: str, key: Any) -> None:
    """Turn ``key`` (just appended while versioning is suspended) into the key's null version, replacing the
    old null version and keeping every other version."""
    key._version_id, key._is_versioned = "null", False
    bucket.keys.setlist(key_name, [v for v in bucket.keys.getlist(key_name, [])
                                   if v is key or str(v.version_id) != "null"])


def s3_put_null_delete_marker(bucket: Any, key_name: str) -> None:
    """A delete while versioning is suspended: a delete marker with the version id null takes the null
    version's place; the other versions stay."""
    from moto.s3.models import FakeDeleteMarker

    versions = bucket.keys.getlist(key_name, [])
    marker = FakeDeleteMarker(key=bucket.keys[key_name])
    marker._version_id = "null"
    bucket.keys.setlist(key_name, [v for v in versions if str(v.version_id) != "null"] + [marker])


def refuse_bad_notification_filters() -> None:
    """A PutBucketNotificationConfiguration whose filter rule is not ``prefix``/``suffix`` or has no value is
    InvalidArgument, as S3 answers; moto's parser failed an assertion there (a 500)."""
    import xmltodict
    from moto.s3.exceptions import S3ClientError
    from moto.s3.responses import S3Response

    original = S3Response._notification_config_from_body
    if getattr(original, "__sandbox__", False):
        return

    def parse(self: Any) -> dict[str, Any]:
        try:
            return original(self)
        except (AssertionError, KeyError, TypeError):
            pass
        try:
            document = xmltodict.parse(self.body).get("NotificationConfiguration") or {}
        except Exception:  # noqa: BLE001 - not XML at all
            raise S3ClientError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                "against our published schema") from None
        for section in document.values():
            for item in section if isinstance(section, list) else [section]:
                rules = (((item or {}).get("Filter") or {}).get("S3Key") or {}).get("FilterRule") \
                    if isinstance(item, dict) else None
                for rule in rules if isinstance(rules, list) else [rules] if rules else []:
                    name = str((rule or {}).get("Name", ""))
                    if name not in ("prefix", "suffix"):
                        raise S3ClientError("InvalidArgument", "filter rule name must be either prefix or suffix")
                    if not (rule or {}).get("Value"):
                        raise S3ClientError("InvalidArgument", f"The {name} filter rule value cannot be empty")
        raise S3ClientError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                                            "our published schema")

    parse.__sandbox__ = True  # type: ignore[attr-defined]
    S3Response._notification_config_from_body = parse
