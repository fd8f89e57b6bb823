"""moto's S3 internals: key classes and state, per-bucket key stores, delete markers."""

from __future__ import annotations

from typing import Any

from emulators.core.moto_coupling.backends import DEFAULT_ACCOUNT_ID, backend_for


def s3_key_class() -> type:
    """moto's class for one S3 object version (its body lives in a spooled temp file)."""
    global _fake_key_class
    from moto.s3.models import FakeKey

    _fake_key_class = FakeKey
    return FakeKey


def s3_key_state(key: Any) -> dict[str, Any]:
    """A FakeKey's pickle state without its body (the body is stored as a blob)."""
    state = key.__dict__.copy()
    state.pop("_value_buffer", None)
    state.pop("lock", None)
    return state


def s3_key_body(key: Any) -> bytes:
    try:
        return key.value
    except ValueError:  # buffer closed: the key was disposed of
        return b""


def s3_key_from_state(state: dict[str, Any], body: bytes) -> Any:
    cls = s3_key_class()
    key = cls.__new__(cls)
    key.__setstate__({**state, "value": body})
    return key


def s3_is_delete_marker(version: Any) -> bool:
    """True when an S3 key version is a delete marker (the key is deleted in a versioned bucket)."""
    from moto.s3.models import FakeDeleteMarker

    return isinstance(version, FakeDeleteMarker)


def s3_key_store_class() -> type:
    """moto's per-bucket store of key versions (a dict of key name -> list of versions; ``__sgetitem__``
    reads one list, ``_self_iterable`` copies them all)."""
    from moto.s3.utils import _VersionedKeyStore

    return _VersionedKeyStore


def s3_key_from_state_lazily(state: dict[str, Any], buffer: Any) -> Any:
    """A FakeKey whose body buffer is ``buffer`` (a file-like object that loads the body on first use), so a
    restore does not read every object's body."""
    cls = _fake_key_class or s3_key_class()
    key = cls.__new__(cls)
    state.pop("value", None)
    key.__dict__ = state  # the unpickled state is ours: no copy (a restore makes 100,000 of these)
    key._value_buffer = buffer
    key.lock = _new_lock()
    return key


_fake_key_class: type | None = None
_new_lock = __import__("threading").Lock


def s3_key_fingerprint(key: Any) -> tuple[Any, ...]:
    """Cheap identity of a key's body, used to know a cached blob is still right."""
    return (key.__dict__.get("contentsize"), key.__dict__.get("_etag"), key.__dict__.get("last_modified"))


def is_unknown_s3_post(exc: NotImplementedError) -> bool:
    """moto's S3 raises this for a POST on an object that names no S3 operation (S3 answers 405)."""
    return "Method POST had only been implemented" in str(exc)


def s3_backend(account_id: str = DEFAULT_ACCOUNT_ID) -> Any:
    return backend_for("s3", account_id, "aws")


def s3_key_versions(account_id: str, bucket_name: str, key_name: str) -> list[Any] | None:
    """Every stored version of one key (delete markers included), or None when the bucket is gone."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    if bucket is None:
        return None
    return list(bucket.keys.getlist(key_name, []))


def replace_s3_listing(render: Any) -> None:
    """Answer ListObjects and ListObjectsV2 with ``render(backend, bucket, params, version)`` returning
    ``(status, headers, body)``; ``params`` holds the request's query values by their wire names
    (``prefix``, ``delimiter``, ``max-keys``, ``marker``, ``continuation-token``, ``start-after``,
    ``encoding-type``, ``fetch-owner``, and the ``x-amz-optional-object-attributes`` header as
    ``optional-object-attributes``), decoded; ``bucket`` is moto's bucket (NoSuchBucket raised as moto does)."""
    from moto.s3.exceptions import InvalidContinuationToken
    from moto.s3.responses import S3Response

    def answer(self: Any, version: int) -> Any:
        bucket = self.backend.get_bucket(self.bucket_name)
        raw = self._get_querystring(self.request, self.uri)
        params: dict[str, Any] = {}
        for name in ("delimiter", "max-keys", "marker", "continuation-token", "start-after", "encoding-type",
                     "fetch-owner"):
            value = self.querystring.get(name, [None])[0]
            if value is not None:
                params[name] = value
        optional = self.headers.get("x-amz-optional-object-attributes")
        if optional:
            params["optional-object-attributes"] = str(optional)
        prefix = raw.get("prefix", [None])[0]
        if prefix is not None:
            params["prefix"] = prefix.decode("utf-8") if isinstance(prefix, bytes) else prefix
        if version == 2 and params.get("continuation-token") == "":
            raise InvalidContinuationToken()
        self.data["Action"] = "ListObjectsV2" if version == 2 else "ListObjects"
        status, headers, body = render(self.backend, bucket, params, version)
        headers.update(self.response_headers)
        return status, headers, body

    S3Response.list_objects = lambda self: answer(self, 1)
    S3Response.list_objects_v2 = lambda self: answer(self, 2)


def accept_empty_object_tag_sets() -> None:
    """PutObjectTagging with an empty ``<TagSet/>`` removes the object's tags, as S3 does (moto fails to read it)."""
    from moto.s3.responses import S3Response

    original = S3Response._tagging_from_xml
    if getattr(original, "__sandbox__", False):
        return

    def tagging_from_xml(self: Any) -> dict[str, str]:
        try:
            return original(self)
        except TypeError:  # moto reads an empty <TagSet/> as None and fails on it
            import xmltodict

            tagging = xmltodict.parse(self.body).get("Tagging")
            if isinstance(tagging, dict) and "TagSet" in tagging and not tagging["TagSet"]:
                return {}
            raise

    tagging_from_xml.__sandbox__ = True  # type: ignore[attr-defined]
    S3Response._tagging_from_xml = tagging_from_xml


def s3_key_stores() -> list[Any]:
    """The key store of every bucket of every account moto holds (a snapshot of the list)."""
    from moto.s3.models import s3_backends

    stores = []
    for _, account in list(s3_backends.items()):
        for _, backend in list(account.items()):
            stores.extend(bucket.keys for bucket in list(backend.buckets.values()))
    return stores


def s3_bucket_key_store(account_id: str, bucket_name: str, replace_with: Any = None) -> Any:
    """A bucket's key store (see :func:`s3_key_store_class`), or None without such a bucket; with
    ``replace_with``, that store takes the old one's place (journal replay packs keys into it)."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    if bucket is None:
        return None
    if replace_with is not None:
        bucket.keys = replace_with
    return bucket.keys


def s3_set_key_versions(account_id: str, bucket_name: str, key_name: str, versions: list[Any]) -> bool:
    """Put back the versions of one key (journal replay); False when the bucket does not exist."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    if bucket is None:
        return False
    if versions:
        bucket.keys.setlist(key_name, list(versions))
    elif key_name in bucket.keys:
        bucket.keys.pop(key_name)
    return True


def s3_bucket_exists(account_id: str, bucket_name: str) -> bool:
    return bucket_name in s3_backend(account_id).buckets


def s3_bucket_notifies(account_id: str, bucket_name: str) -> bool:
    """Whether writes to the bucket send event notifications (they change other services' state)."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    return bool(bucket is not None and bucket.notification_configuration)


def s3_create_bucket(account_id: str, bucket_name: str, region: str) -> None:
    s3_backend(account_id).create_bucket(bucket_name, region)


def s3_error(name: str, *args: Any) -> Exception:
    """moto's S3 exception class ``name`` (``PreconditionFailed``, ``MalformedXML``, ``InvalidPartOrder``, ...)
    built with ``args``: it carries the HTTP status and extra XML fields (``Condition``) S3 answers with."""
    from moto.s3 import exceptions

    return getattr(exceptions, name)(*args)


def s3_key_restore(key: Any) -> tuple[bool, Any] | None:
    """An archived object's restore: (still in progress, expiry datetime), or None when none was asked for."""
    expiry = getattr(key, "_expiry", None)
    if expiry is None:
        return None
    return getattr(key, "status", None) == "IN_PROGRESS", expiry
