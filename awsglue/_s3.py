"""Moving S3 data to and from local staging folders for Spark (no s3a connector offline)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from awsglue import _bookmarks


def client(service: str = "s3") -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
                        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
                        config=Config(s3={"addressing_style": "path"}))


def split(uri: str) -> tuple[str, str]:
    if not uri.startswith(("s3://", "s3a://", "s3n://")):
        raise ValueError(f"{uri!r} is not an s3:// path")
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def staging_root() -> Path:
    root = Path(os.environ.get("SANDBOX_SPARK_STAGING") or Path(tempfile.gettempdir()) / "sandbox-glue")
    path = root / uuid.uuid4().hex
    path.mkdir(parents=True, exist_ok=True)
    return path


def list_objects(uri: str) -> list[dict[str, Any]]:
    bucket, prefix = split(uri)
    s3 = client()
    found: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix):].lstrip("/")
            if item["Key"].endswith("/") or any(p.startswith(("_", ".")) for p in relative.split("/") if p):
                continue
            found.append({"Bucket": bucket, "Key": item["Key"], "ETag": item["ETag"].strip('"'),
                          "Relative": relative or Path(item["Key"]).name})
    return found


def stage(uris: list[str], transformation_ctx: str = "", exclusions: list[str] | None = None,
          base: str | None = None) -> tuple[Path, int]:
    """Download the objects under ``uris`` (minus bookmarked ones) into a local folder.

    Returns the folder and the number of files staged. Relative paths are kept,
    so ``key=value`` partition folders still read as partitions.
    """
    import fnmatch

    root = staging_root()
    seen = _bookmarks.seen(transformation_ctx)
    read: dict[str, str] = {}
    s3 = client()
    count = 0
    for uri in uris:
        for obj in list_objects(uri):
            if exclusions and any(fnmatch.fnmatch(obj["Relative"], pattern) for pattern in exclusions):
                continue
            if base:
                obj["Relative"] = obj["Key"][len(split(base)[1].rstrip("/")) + 1:] if split(base)[1] else obj["Key"]
            key_id = f"s3://{obj['Bucket']}/{obj['Key']}"
            if seen.get(key_id) == obj["ETag"]:
                continue
            target = root / obj["Relative"]
            if ".." in Path(obj["Relative"]).parts:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(obj["Bucket"], obj["Key"], str(target))
            read[key_id] = obj["ETag"]
            count += 1
    _bookmarks.remember(transformation_ctx, read)
    return root, count


def purge(uris: list[str], options: dict[str, Any]) -> int:
    """Delete objects under ``uris`` older than ``retentionPeriod`` hours (AWS's default: 168)."""
    from datetime import datetime, timedelta, timezone

    hours = float(options.get("retentionPeriod", 168))
    excluded = set(options.get("excludeStorageClasses") or [])
    cutoff = datetime.now(timezone.utc) - timedelta(hours=hours)
    s3 = client()
    deleted = 0
    for uri in uris:
        bucket, prefix = split(uri)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            doomed = [{"Key": o["Key"]} for o in page.get("Contents", [])
                      if o["LastModified"] <= cutoff and o.get("StorageClass", "STANDARD") not in excluded]
            for start in range(0, len(doomed), 1000):
                s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
            deleted += len(doomed)
    return deleted
