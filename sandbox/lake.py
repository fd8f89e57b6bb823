"""The S3 data lake basics: hive-partitioned Parquet in, filtered reads out.

    from sandbox import lake
    lake.write_partitioned(aws, frame, "s3://lake/sales/", partition_cols=["year", "month", "day"],
                           sse="aws:kms", kms_key_id=key_id, tags={"team": "analytics"})
    lake.list_partitions(aws, "s3://lake/sales/")          # [{'year': '2024', 'month': '01', ...}, ...]
    scan = lake.read_partitioned(aws, "s3://lake/sales/", filters={"year": "2024", "month": "01"})
    scan.frame, scan.files_read                            # only January's files were opened

Writes go through plain boto3 ``put_object``, so every object carries the
encryption and tags asked for, exactly as a learner would set them on AWS.
Reads use ``pyarrow.dataset`` over ``pyarrow.fs.S3FileSystem`` pointed at the
sandbox; partition values are kept as strings (``month='01'``), as Athena and
Glue see them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlparse

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from sandbox.session import SandboxSession


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` -> ("bucket", "some/prefix/")."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a") or not parsed.netloc:
        raise ValueError(f"not an S3 URI: {uri!r} (expected s3://bucket/prefix/)")
    return parsed.netloc, parsed.path.lstrip("/")


def _prefix(uri: str) -> tuple[str, str]:
    bucket, prefix = parse_s3_uri(uri)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def ensure_bucket(s3: Any, bucket: str) -> None:
    """Create ``bucket`` unless it exists already (and is ours)."""
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchBucket", "NotFound"):
            s3.create_bucket(Bucket=bucket)
        else:
            raise


def s3_filesystem(session: SandboxSession) -> Any:
    """A pyarrow S3 filesystem on the sandbox endpoint (dummy credentials)."""
    from pyarrow import fs

    endpoint = session.endpoint_for("s3")
    parsed = urlparse(endpoint)
    return fs.S3FileSystem(
        endpoint_override=parsed.netloc,
        scheme=parsed.scheme or "http",
        access_key="test",
        secret_key="test",
        region=session.region_name,
        allow_bucket_creation=False,
    )


def _to_arrow(data: Any) -> pa.Table:
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    return pa.Table.from_pandas(data, preserve_index=False)


def write_partitioned(
    session: SandboxSession,
    data: pd.DataFrame | pa.Table,
    uri: str,
    partition_cols: list[str],
    *,
    sse: str | None = None,
    kms_key_id: str | None = None,
    tags: dict[str, str] | None = None,
    compression: str = "snappy",
    file_name: str = "part-0.parquet",
) -> list[str]:
    """Write ``data`` as hive-partitioned Parquet under ``uri``; returns the keys written.

    One file per partition (``col=value/.../part-0.parquet``); the partition
    columns are in the path, not in the file, as Athena and Glue expect. A
    partition written again is replaced. ``sse`` is ``"AES256"`` (SSE-S3) or
    ``"aws:kms"`` (SSE-KMS, with ``kms_key_id`` or the AWS managed key).
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    bucket, prefix = _prefix(uri)
    table = _to_arrow(data)
    missing = [c for c in partition_cols if c not in table.column_names]
    if missing:
        raise ValueError(f"partition columns {missing} are not in the data ({table.column_names})")
    if not partition_cols:
        groups = [((), table)]
    else:
        keys = table.select(partition_cols).group_by(partition_cols).aggregate([])
        groups = []
        for row in keys.to_pylist():
            mask = None
            for col in partition_cols:
                value = row[col]
                cond = pc.is_null(table[col]) if value is None else pc.equal(table[col], value)
                mask = cond if mask is None else pc.and_(mask, cond)
            groups.append((tuple(row[c] for c in partition_cols), table.filter(mask).drop_columns(partition_cols)))
    extra: dict[str, Any] = {}
    if sse:
        extra["ServerSideEncryption"] = sse
        if kms_key_id:
            extra["SSEKMSKeyId"] = kms_key_id
    if tags:
        extra["Tagging"] = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in tags.items())
    s3 = session.client("s3")
    written = []
    for values, part in sorted(groups, key=lambda g: tuple("" if v is None else str(v) for v in g[0])):
        path = "".join(
            f"{col}={'__HIVE_DEFAULT_PARTITION__' if v is None else quote(str(v), safe='')}/"
            for col, v in zip(partition_cols, values)
        )
        buf = io.BytesIO()
        pq.write_table(part, buf, compression=compression)
        key = f"{prefix}{path}{file_name}"
        s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue(), ContentType="application/octet-stream", **extra)
        written.append(key)
    return written


def _list_keys(session: SandboxSession, bucket: str, prefix: str) -> list[tuple[str, int]]:
    s3 = session.client("s3")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend((item["Key"], item["Size"]) for item in page.get("Contents", []))
    return keys


def _partition_of(relative_key: str) -> dict[str, str]:
    values = {}
    for segment in relative_key.split("/")[:-1]:
        if "=" in segment:
            name, value = segment.split("=", 1)
            values[name] = unquote(value)
    return values


def list_partitions(session: SandboxSession, uri: str) -> list[dict[str, str]]:
    """The distinct ``key=value`` partitions under ``uri``, sorted."""
    bucket, prefix = _prefix(uri)
    seen: dict[tuple, dict[str, str]] = {}
    for key, _ in _list_keys(session, bucket, prefix):
        part = _partition_of(key[len(prefix):])
        if part:
            seen.setdefault(tuple(part.items()), part)
    return [seen[k] for k in sorted(seen)]


@dataclass
class Scan:
    """What a filtered read returned and what it had to open."""

    table: Any
    files_read: list[str] = field(default_factory=list)
    bytes_read: int = 0
    files_total: int = 0

    @property
    def frame(self) -> pd.DataFrame:
        return self.table.to_pandas()


def read_partitioned(
    session: SandboxSession,
    uri: str,
    filters: dict[str, Any] | None = None,
    columns: list[str] | None = None,
) -> Scan:
    """Read hive-partitioned Parquet under ``uri``, opening only the partitions that match.

    ``filters`` maps a partition column to a value or a list of accepted values
    (``{"year": "2024", "month": ["01", "02"]}``). Partition columns come back as
    strings. Files whose path does not match are never opened: see
    ``Scan.files_read``.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    bucket, prefix = _prefix(uri)
    objects = [(k, size) for k, size in _list_keys(session, bucket, prefix)
               if not k.endswith("/") and not k.rsplit("/", 1)[-1].startswith(("_", "."))]
    accepted = {col: {str(v) for v in (vals if isinstance(vals, (list, tuple, set)) else [vals])}
                for col, vals in (filters or {}).items()}
    chosen, partition_cols = [], []
    for key, size in objects:
        part = _partition_of(key[len(prefix):])
        for col in part:
            if col not in partition_cols:
                partition_cols.append(col)
        unknown = [c for c in accepted if c not in part]
        if unknown:
            raise ValueError(f"{unknown} are not partition columns of {uri} (it has {list(part)})")
        if all(part.get(col) in values for col, values in accepted.items()):
            chosen.append((key, size))
    if not chosen:
        return Scan(pa.table({}), [], 0, len(objects))
    partitioning = ds.partitioning(pa.schema([(c, pa.string()) for c in partition_cols]), flavor="hive")
    dataset = ds.dataset(
        [f"{bucket}/{key}" for key, _ in chosen],
        format="parquet",
        filesystem=s3_filesystem(session),
        partitioning=partitioning,
        partition_base_dir=f"{bucket}/{prefix}".rstrip("/"),
    )
    table = dataset.to_table(columns=columns)
    return Scan(table, [k for k, _ in chosen], sum(size for _, size in chosen), len(objects))
