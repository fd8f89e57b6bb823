"""S3's request checks that moto leaves out, as plain functions of header values, bodies and key facts.

Each returns what failed (or the verified value) and leaves raising to the provider: CopyObject's
``x-amz-copy-source-if-*`` preconditions, the metadata and tagging directives, the ``x-amz-checksum-*``
value a client sends with a body, duplicate tag keys in a tagging document.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ElementTree
import zlib
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

DIRECTIVES = ("COPY", "REPLACE")
MAX_DELETE_KEYS = 1000
MAX_USER_METADATA = 2048  # bytes of x-amz-meta-* names and values a PUT may carry
# the x-amz-checksum-* headers S3 verifies against the body, by algorithm (CRC32C and CRC64NVME need a
# native library botocore does not always have: those values are stored unverified)
_CHECKSUMS = {
    "CRC32": lambda body: zlib.crc32(body).to_bytes(4, "big"),
    "SHA1": lambda body: hashlib.sha1(body).digest(),  # noqa: S324 - S3's checksum, not a password hash
    "SHA256": lambda body: hashlib.sha256(body).digest(),
}
CHECKSUM_ALGORITHMS = ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME")


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _etag_matches(wanted: str, etag: str) -> bool:
    tags = [tag.strip().strip('"') for tag in wanted.split(",")]
    return "*" in tags or etag.strip('"') in tags


def failed_copy_source_condition(headers: Mapping[str, str], etag: str, last_modified: datetime) -> str | None:
    """The ``x-amz-copy-source-if-*`` condition a copy's source fails, or None (the rules of the CopyObject
    API reference: If-Match true with If-Unmodified-Since false copies; If-None-Match false with
    If-Modified-Since true refuses)."""
    modified = last_modified.replace(microsecond=0)
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=timezone.utc)
    if_match = headers.get("x-amz-copy-source-if-match")
    if_none_match = headers.get("x-amz-copy-source-if-none-match")
    unmodified_since = _http_date(headers.get("x-amz-copy-source-if-unmodified-since"))
    modified_since = _http_date(headers.get("x-amz-copy-source-if-modified-since"))
    if if_match is not None and not _etag_matches(if_match, etag):
        return "x-amz-copy-source-If-Match"
    if unmodified_since is not None and if_match is None and modified > unmodified_since:
        return "x-amz-copy-source-If-Unmodified-Since"
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return "x-amz-copy-source-If-None-Match"
    if modified_since is not None and if_none_match is None and modified <= modified_since:
        return "x-amz-copy-source-If-Modified-Since"
    return None


def bad_directive(headers: Mapping[str, str]) -> str | None:
    """S3's message for a metadata or tagging directive other than COPY/REPLACE, or None."""
    for header, what in (("x-amz-metadata-directive", "metadata"), ("x-amz-tagging-directive", "tagging")):
        value = headers.get(header)
        if value is not None and value not in DIRECTIVES:
            return f"Unknown {what} directive."
    return None


def sent_checksum(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """The (algorithm, base64 value) of the ``x-amz-checksum-<algorithm>`` header a request carries."""
    for algorithm in CHECKSUM_ALGORITHMS:
        value = headers.get(f"x-amz-checksum-{algorithm.lower()}")
        if value:
            return algorithm, value
    return None


def checksum_of(algorithm: str, body: bytes) -> str | None:
    """The base64 ``algorithm`` checksum of ``body`` (None for algorithms not computed here)."""
    compute = _CHECKSUMS.get(algorithm.upper())
    return base64.b64encode(compute(body)).decode("ascii") if compute is not None else None


def checksum_mismatch(algorithm: str, value: str, body: bytes) -> bool:
    """Whether ``value`` is not the body's ``algorithm`` checksum (False for algorithms not computed here)."""
    expected = checksum_of(algorithm, body)
    return expected is not None and expected != value.strip()


def md5_mismatch(content_md5: str, body: bytes) -> bool:
    """Whether a ``Content-MD5`` header is not the body's MD5 (base64 of the digest)."""
    digest = hashlib.md5(body).digest()  # noqa: S324 - the integrity check HTTP defines, not security
    return base64.b64encode(digest).decode("ascii") != content_md5.strip()


def user_metadata_size(headers: Mapping[str, str]) -> int:
    """The size S3 counts against the 2 KB user-defined metadata limit: each ``x-amz-meta-`` name (without
    the prefix) and value, in UTF-8 bytes."""
    total = 0
    for name, value in headers.items():
        if name.lower().startswith("x-amz-meta-"):
            total += len(name[len("x-amz-meta-"):].encode()) + len(str(value).encode())
    return total


def has_duplicate_tag_keys(body: bytes | str) -> bool:
    """Whether a ``<Tagging><TagSet>`` document names one key twice (a parsed dict would hide it)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return False
    keys = [element.text or "" for element in root.iter() if element.tag.split("}")[-1] == "Key"]
    return len(keys) != len(set(keys))


# transitions S3 refuses before an object is 30 days old (and 30 days in the previous class)
_MIN_30_DAYS = ("STANDARD_IA", "ONEZONE_IA")


def as_list(value: Any) -> list[Any]:
    """A parsed XML element that may repeat, as a list (xmltodict gives one element as itself)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _days(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _transition_problem(rule: Mapping[str, Any]) -> str | None:
    """S3's InvalidArgument message for a rule's transition and expiration days, or None."""
    rule_filter = rule.get("Filter") or {}
    prefix = (rule_filter.get("Prefix") if isinstance(rule_filter, dict) else None) or rule.get("Prefix") or ""
    where = f"filter '(prefix={prefix})'"
    by_class: dict[str, int] = {}
    for transition in (t for t in as_list(rule.get("Transition")) if isinstance(t, dict)):
        days, storage = _days(transition.get("Days")), transition.get("StorageClass")
        if days is None:
            continue
        if storage in _MIN_30_DAYS and days < 30:
            return f"'Days' in Transition action must be greater than or equal to 30 for storageClass '{storage}'"
        by_class[str(storage)] = days
    for ia in _MIN_30_DAYS:
        if ia not in by_class:
            continue
        for later in ("GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"):
            if later in by_class and by_class[later] - by_class[ia] < 30:
                return (f"'Days' in the Transition action for StorageClass '{later}' for {where} must be 30 days "
                        f"more than {where}'s 'Days' in the Transition action for StorageClass '{ia}'")
    expiration = rule.get("Expiration") if isinstance(rule.get("Expiration"), dict) else {}
    expire_days = _days(expiration.get("Days"))
    if expire_days is not None and by_class and expire_days <= max(by_class.values()):
        return f"'Days' in the Expiration action for {where} must be greater than 'Days' in the Transition action"
    return None


def lifecycle_rule_problem(rule: Mapping[str, Any]) -> tuple[str, str] | None:
    """(error code, message) for a lifecycle rule S3 refuses on its status or its day counts, or None."""
    if rule.get("Status") not in ("Enabled", "Disabled"):
        return "MalformedXML", ("The XML you provided was not well-formed or did not validate against our "
                                "published schema")
    expiration = rule.get("Expiration") if isinstance(rule.get("Expiration"), dict) else {}
    days = expiration.get("Days")
    if days is not None and (not str(days).lstrip("-").isdigit() or int(days) <= 0):
        return "InvalidArgument", "'Days' for Expiration action must be a positive integer"
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if isinstance(noncurrent, dict) and noncurrent.get("NoncurrentDays") is not None:
        value = str(noncurrent["NoncurrentDays"])
        if not value.lstrip("-").isdigit() or int(value) <= 0:
            return ("InvalidArgument",
                    "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
    transition = _transition_problem(rule)
    return ("InvalidArgument", transition) if transition else None


def _filter_value(item: Mapping[str, Any], name: str) -> str:
    rules = as_list(((item.get("Filter") or {}).get("S3Key") or {}).get("FilterRule"))
    return next((str(r.get("Value") or "") for r in rules
                 if isinstance(r, dict) and str(r.get("Name", "")).lower() == name), "")


def _events_meet(first: list[str], second: list[str]) -> bool:
    for one in first:
        for other in second:
            if one == other or (one.endswith("*") and other.startswith(one[:-1])) or \
                    (other.endswith("*") and one.startswith(other[:-1])):
                return True
    return False


def notification_configurations_overlap(config: Mapping[str, Any]) -> bool:
    """Whether two destinations of a notification configuration share an event type for keys both filters
    match (S3 refuses that: "Configurations overlap")."""
    entries = []
    for section in ("QueueConfiguration", "TopicConfiguration", "CloudFunctionConfiguration"):
        for item in as_list(config.get(section)):
            if isinstance(item, dict):
                entries.append(([str(e) for e in as_list(item.get("Event"))], _filter_value(item, "prefix"),
                                _filter_value(item, "suffix")))
    for index, (events, prefix, suffix) in enumerate(entries):
        for other_events, other_prefix, other_suffix in entries[index + 1:]:
            if _events_meet(events, other_events) \
                    and (prefix.startswith(other_prefix) or other_prefix.startswith(prefix)) \
                    and (suffix.endswith(other_suffix) or other_suffix.endswith(suffix)):
                return True
    return False


def repeated_filter_rule(config: Mapping[str, Any]) -> str | None:
    """``prefix`` or ``suffix`` when one destination's filter names it twice (S3 allows one of each)."""
    for section in ("QueueConfiguration", "TopicConfiguration", "CloudFunctionConfiguration"):
        for item in as_list(config.get(section)):
            rules = as_list(((item.get("Filter") or {}).get("S3Key") or {}).get("FilterRule")) \
                if isinstance(item, dict) else []
            names = [str(r.get("Name", "")).lower() for r in rules if isinstance(r, dict)]
            for name in ("prefix", "suffix"):
                if names.count(name) > 1:
                    return name
    return None
