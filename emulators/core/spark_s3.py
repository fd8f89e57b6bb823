"""``s3://`` paths for Spark jobs, without the s3a connector.

Spark's S3 connector (hadoop-aws) is a Maven download, which an offline machine
cannot make. Job processes (EMR steps, and any script run by the sandbox) call
:func:`install` before the user's code runs; it wraps ``DataFrameReader`` and
``DataFrameWriter`` so that:

- reading ``s3://bucket/prefix`` copies the objects under the prefix into a local
  staging folder (same relative layout, so hive ``key=value`` partitions are still
  discovered) and reads from there;
- writing to ``s3://bucket/prefix`` writes locally, then uploads the files
  (``.crc`` files skipped), honouring the save mode: ``overwrite`` deletes what was
  under the prefix (only the partitions written when
  ``spark.sql.sources.partitionOverwriteMode=dynamic``), ``append`` adds,
  ``error``/``errorifexists`` fails if the prefix holds objects, ``ignore`` skips.

The S3 endpoint is ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` (set by the
sandbox for every job process). Reads through RDD APIs (``sc.textFile``) are not
covered; the DataFrame API is.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

S3_SCHEMES = ("s3://", "s3a://", "s3n://")
TRANSFER_THREADS = 8  # objects moved at once: each PUT waits for its fsync, which the server commits in groups
WHOLE_PUT_BYTES = 64 * 1024 * 1024  # larger files go up as multipart uploads
_installed = False


def _is_s3(path: Any) -> bool:
    return isinstance(path, str) and path.startswith(S3_SCHEMES)


def _split(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def _client() -> Any:
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise RuntimeError("s3:// paths need AWS_ENDPOINT_URL pointing at the sandbox")
    return boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
                        config=Config(s3={"addressing_style": "path"}, max_pool_connections=TRANSFER_THREADS))


def _each_at_once(work: Callable[[Any], None], items: Iterable[Any]) -> None:
    """``work`` on every item, :data:`TRANSFER_THREADS` at a time; the first failure is raised."""
    items = list(items)
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(min(TRANSFER_THREADS, len(items))) as pool:
        for _ in pool.map(work, items):
            pass


def _download(client: Any, bucket: str, key: str, target: Path) -> None:
    """One GET streamed to ``target`` (``download_file`` would add a HeadObject and a thread pool per file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    with open(target, "wb") as out:
        shutil.copyfileobj(body, out, 1024 * 1024)


def _upload(client: Any, path: Path, bucket: str, key: str) -> None:
    if path.stat().st_size > WHOLE_PUT_BYTES:
        client.upload_file(str(path), bucket, key)
        return
    with open(path, "rb") as body:
        client.put_object(Bucket=bucket, Key=key, Body=body)


def _staging_root() -> Path:
    root = Path(os.environ.get("SANDBOX_SPARK_STAGING") or Path(tempfile.gettempdir()) / "sandbox-spark-s3")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _list(client: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.extend(page.get("Contents", []))
    return found


def stage_in(uri: str) -> str:
    """Download what ``uri`` names (one object, or everything under a prefix); return a local path."""
    client = _client()
    bucket, key = _split(uri)
    local_root = _staging_root() / "in" / uuid.uuid4().hex
    objects = [o for o in _list(client, bucket, key) if o["Key"] == key or o["Key"].startswith(key.rstrip("/") + "/")
               or not key]
    if not objects:
        raise FileNotFoundError(f"Path does not exist: {uri}")
    if len(objects) == 1 and objects[0]["Key"] == key:
        target = local_root / Path(key).name
        _download(client, bucket, key, target)
        return str(target)
    base = key.rstrip("/") + "/" if key else ""
    wanted = []
    for obj in objects:
        relative = obj["Key"][len(base):]
        if not relative or relative.endswith("/") or ".." in Path(relative).parts:
            continue
        wanted.append((obj["Key"], local_root / relative))
    _each_at_once(lambda item: _download(client, bucket, *item), wanted)
    return str(local_root)


def stage_out(local_dir: str, uri: str, mode: str, dynamic_partitions: bool) -> None:
    """Upload a locally written Spark output folder to ``uri`` according to the save mode."""
    client = _client()
    bucket, key = _split(uri)
    prefix = key.rstrip("/") + "/" if key else ""
    files = [p for p in Path(local_dir).rglob("*") if p.is_file() and not p.name.endswith(".crc")]
    existing = _list(client, bucket, prefix)
    if mode == "overwrite":
        if dynamic_partitions:
            written_dirs = {str(p.parent.relative_to(local_dir)) for p in files if p.name != "_SUCCESS"}
            doomed = [o for o in existing if str(Path(o["Key"][len(prefix):]).parent) in written_dirs]
        else:
            doomed = existing
        for start in range(0, len(doomed), 1000):
            chunk = doomed[start:start + 1000]
            client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": o["Key"]} for o in chunk]})
    _each_at_once(lambda path: _upload(client, path, bucket, prefix + str(path.relative_to(local_dir))), files)


def install() -> None:
    """Teach pyspark's DataFrameReader/Writer to read and write ``s3://`` paths."""
    global _installed
    if _installed:
        return
    from pyspark.sql.readwriter import DataFrameReader, DataFrameWriter

    def wrap_reader(name: str) -> None:
        original = getattr(DataFrameReader, name)

        @functools.wraps(original)
        def read(self: Any, path: Any = None, *args: Any, **kwargs: Any) -> Any:
            if _is_s3(path):
                path = stage_in(path)
            elif isinstance(path, (list, tuple)) and any(_is_s3(p) for p in path):
                path = [stage_in(p) if _is_s3(p) else p for p in path]
            if path is None and "path" in kwargs and _is_s3(kwargs["path"]):
                kwargs["path"] = stage_in(kwargs["path"])
            if path is None:
                return original(self, *args, **kwargs)
            return original(self, path, *args, **kwargs)

        setattr(DataFrameReader, name, read)

    for reader in ("load", "parquet", "csv", "json", "orc", "text"):
        wrap_reader(reader)

    def wrap_writer(name: str) -> None:
        original = getattr(DataFrameWriter, name)

        @functools.wraps(original)
        def write(self: Any, path: Any = None, *args: Any, **kwargs: Any) -> Any:
            target = path if path is not None else kwargs.get("path")
            if not _is_s3(target):
                return original(self, path, *args, **kwargs) if path is not None else original(self, *args, **kwargs)
            mode = (kwargs.get("mode") or _writer_mode(self)).lower()
            if mode in ("error", "errorifexists", "default", "ignore"):
                bucket, key = _split(target)
                has_objects = bool(_list(_client(), bucket, key.rstrip("/") + "/" if key else ""))
                if has_objects and mode == "ignore":
                    return None
                if has_objects:
                    raise RuntimeError(f"[PATH_ALREADY_EXISTS] Path {target} already exists. "
                                       "Set mode as \"overwrite\" to overwrite the existing path.")
            local = _staging_root() / "out" / uuid.uuid4().hex
            kwargs.pop("path", None)
            kwargs["mode"] = "overwrite"
            try:
                original(self, str(local), *args, **kwargs)
                spark = self._spark
                dynamic = str(spark.conf.get("spark.sql.sources.partitionOverwriteMode", "static")).lower() == "dynamic"
                stage_out(str(local), target, "append" if mode == "append" else "overwrite", dynamic)
            finally:
                shutil.rmtree(local, ignore_errors=True)
            return None

        setattr(DataFrameWriter, name, write)

    for writer in ("save", "parquet", "csv", "json", "orc", "text"):
        wrap_writer(writer)

    original_mode = DataFrameWriter.mode

    @functools.wraps(original_mode)
    def mode(self: Any, saveMode: Any) -> Any:  # noqa: N803 (pyspark's name)
        self._sandbox_mode = str(saveMode or "errorifexists")
        return original_mode(self, saveMode)

    DataFrameWriter.mode = mode
    _installed = True


def _writer_mode(writer: Any) -> str:
    return getattr(writer, "_sandbox_mode", "errorifexists")
