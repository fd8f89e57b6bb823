"""How engines inside the cloud read and write the lake.

By default S3 is the embedded cloud's own moto backend, used in-process (no HTTP,
no copies through sockets). When ``SANDBOX_S3_ENDPOINT`` is set -- the docker
compose topology, where LocalStack holds S3 -- the same calls go to that endpoint
with boto3. Engines take what this module returns (bytes, listings, a pyarrow
filesystem) and stay unaware of where S3 lives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from emulators.core.moto_coupling import DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    etag: str
    last_modified: datetime


class S3Error(Exception):
    """A lake access failed; ``code`` is the S3 error code (NoSuchBucket, NoSuchKey, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def safe_file_name(key: str, default: str = "object") -> str:
    """The last part of an S3 key as a file name that cannot leave its folder."""
    name = key.rstrip("/").rsplit("/", 1)[-1]
    return default if name in ("", ".", "..") or "\\" in name else name


def external_endpoint() -> str | None:
    return os.environ.get("SANDBOX_S3_ENDPOINT") or None


class S3Access:
    """The lake as engines see it; see :func:`s3_access`."""

    def get(self, bucket: str, key: str) -> bytes:
        raise NotImplementedError

    def put(self, bucket: str, key: str, body: bytes, content_type: str | None = None, durable: bool = True) -> None:
        """Write an object; ``durable=False``: in the sandbox, on disk with the next snapshot rather than now
        (``EmbeddedCloud.writing_s3``)."""
        raise NotImplementedError

    def list(self, bucket: str, prefix: str = "") -> list[S3Object]:
        raise NotImplementedError

    def bucket_exists(self, bucket: str) -> bool:
        raise NotImplementedError

    def delete(self, bucket: str, key: str) -> None:
        raise NotImplementedError

    def local_file(self, bucket: str, key: str, etag: str) -> str | None:
        """A file of the state folder that holds exactly this object's body (while its ETag is ``etag``), for an
        engine that reads files itself; None when there is none (no state folder, S3 elsewhere, a changed object).
        The file is the object's blob: never write to it."""
        return None

    def endpoint_url(self) -> str:
        raise NotImplementedError

    def filesystem(self) -> Any:
        """A ``pyarrow.fs.S3FileSystem`` on the same S3 (for datasets and DuckDB)."""
        from pyarrow import fs

        parsed = urlparse(self.endpoint_url())
        return fs.S3FileSystem(endpoint_override=parsed.netloc, scheme=parsed.scheme or "http",
                               access_key="test", secret_key="test", region="us-east-1",
                               allow_bucket_creation=False)


class _InProcessS3(S3Access):
    """The embedded cloud's moto S3 backend, called directly."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def _backend(self) -> Any:
        from emulators.core.moto_coupling import backend_for

        return backend_for("s3", self.account_id, "aws")

    def _translate(self, exc: Exception) -> S3Error:
        code = getattr(exc, "code", None) or type(exc).__name__
        return S3Error(str(code), str(getattr(exc, "message", exc)))

    def get(self, bucket: str, key: str) -> bytes:
        try:
            obj = self._backend().get_object(bucket, key)
        except Exception as exc:
            raise self._translate(exc) from None
        if obj is None:
            raise S3Error("NoSuchKey", f"s3://{bucket}/{key} does not exist")
        return obj.value

    def put(self, bucket: str, key: str, body: bytes, content_type: str | None = None, durable: bool = True) -> None:
        from emulators.core.lifecycle import running_cloud

        cloud = running_cloud()

        def write() -> None:
            try:
                new_key = self._backend().put_object(bucket, key, body)
            except Exception as exc:
                raise self._translate(exc) from None
            if content_type:
                new_key.set_metadata({"Content-Type": content_type})

        if cloud is not None:
            with cloud.writing_s3(self.account_id, bucket, key, durable):
                write()
        else:
            write()

    def local_file(self, bucket: str, key: str, etag: str) -> str | None:
        from emulators.core.lifecycle import running_cloud

        store = getattr(running_cloud(), "store", None)
        return store.blob_file(self.account_id, bucket, key, etag) if store is not None else None

    def list(self, bucket: str, prefix: str = "") -> list[S3Object]:
        try:
            bucket_obj = self._backend().get_bucket(bucket)
        except Exception as exc:
            raise self._translate(exc) from None
        from emulators.core.moto_coupling import s3_is_delete_marker
        from emulators.core.s3index import latest_under  # sorted names per bucket: costs what the prefix holds

        return [S3Object(name, key.size, key.etag.strip('"'), key.last_modified)
                for name, key in latest_under(bucket_obj.keys, prefix, s3_is_delete_marker)]

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self._backend().get_bucket(bucket)
        except Exception:
            return False
        return True

    def delete(self, bucket: str, key: str) -> None:
        from emulators.core.lifecycle import running_cloud

        cloud = running_cloud()

        if cloud is not None:
            with cloud.writing_s3(self.account_id, bucket, key):
                self._backend().delete_object(bucket, key)
        else:
            self._backend().delete_object(bucket, key)

    def endpoint_url(self) -> str:
        from emulators.core.server import current_cloud

        return current_cloud().endpoint_url


class _RemoteS3(S3Access):
    """Another S3 endpoint (LocalStack), through boto3."""

    def __init__(self, endpoint: str) -> None:
        import boto3
        from botocore.config import Config

        self._endpoint = endpoint
        self._client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                    aws_access_key_id="test", aws_secret_access_key="test",
                                    config=Config(s3={"addressing_style": "path"}))

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            raise S3Error(exc.response["Error"]["Code"], exc.response["Error"].get("Message", str(exc))) from None

    def get(self, bucket: str, key: str) -> bytes:
        return self._call(self._client.get_object, Bucket=bucket, Key=key)["Body"].read()

    def put(self, bucket: str, key: str, body: bytes, content_type: str | None = None, durable: bool = True) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self._call(self._client.put_object, Bucket=bucket, Key=key, Body=body, **extra)

    def list(self, bucket: str, prefix: str = "") -> list[S3Object]:
        found = []
        token: dict[str, str] = {}
        while True:
            page = self._call(self._client.list_objects_v2, Bucket=bucket, Prefix=prefix, **token)
            found.extend(S3Object(o["Key"], o["Size"], o["ETag"].strip('"'), o["LastModified"])
                         for o in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return found
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self._call(self._client.head_bucket, Bucket=bucket)
        except S3Error:
            return False
        return True

    def delete(self, bucket: str, key: str) -> None:
        self._call(self._client.delete_object, Bucket=bucket, Key=key)

    def endpoint_url(self) -> str:
        return self._endpoint


def s3_access(account_id: str = DEFAULT_ACCOUNT_ID) -> S3Access:
    """The lake for ``account_id``: the embedded S3, or ``SANDBOX_S3_ENDPOINT`` when set."""
    endpoint = external_endpoint()
    return _RemoteS3(endpoint) if endpoint else _InProcessS3(account_id)
