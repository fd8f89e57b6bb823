"""``sandbox demo``: the end-to-end walkthrough on the embedded cloud.

The first step builds the encrypted, tagged, partitioned lake; each service then
adds its own step from ``sandbox/demo_steps/<area>.py`` (a ``run(ctx)`` function),
in the order of a real pipeline: ingest, catalog and ETL, query, warehouse, ML.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.session import SandboxSession

DEMO_BUCKET = "sandbox-demo-lake"
STEP_ORDER = ["streaming", "catalog", "glue", "query", "athena", "redshift", "orchestration", "sagemaker"]


@dataclass
class DemoContext:
    aws: SandboxSession
    bucket: str
    say: Callable[[str], None]
    size: str = "small"
    kms_key_id: str | None = None
    results: dict[str, Any] = field(default_factory=dict)


def lake_step(ctx: DemoContext) -> None:
    """Encrypted, tagged, hive-partitioned data in S3, listed and read back with a filter."""
    from sandbox import datasets, lake

    s3, kms = ctx.aws.client("s3"), ctx.aws.client("kms")
    key = kms.create_key(Description="sandbox demo lake key")["KeyMetadata"]
    alias = "alias/sandbox-demo-lake"
    existing = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    if alias in existing:
        kms.update_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    else:
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ctx.kms_key_id = key["KeyId"]
    lake.ensure_bucket(s3, ctx.bucket)
    s3.put_bucket_encryption(Bucket=ctx.bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": alias},
        "BucketKeyEnabled": True,
    }]})
    ctx.say(f"bucket s3://{ctx.bucket} encrypts new objects with the customer managed key {alias} (SSE-KMS)")
    summary = datasets.load_into_lake(ctx.aws, ctx.bucket, size=ctx.size, create_bucket=False)
    for table, info in summary.items():
        ctx.say(f"  {table:<12} {info['rows']:>7,} rows -> {info['location']}")
    ctx.results["lake"] = summary

    frame = datasets.generate(ctx.size)["orders"]
    ts = frame["order_ts"]
    frame = frame.assign(year=ts.dt.strftime("%Y"), month=ts.dt.strftime("%m"), day=ts.dt.strftime("%d"))
    keys = lake.write_partitioned(ctx.aws, frame, f"s3://{ctx.bucket}/curated/sales/",
                                  partition_cols=["year", "month", "day"], sse="AES256",
                                  tags={"classification": "internal", "owner": "analytics"})
    head = s3.head_object(Bucket=ctx.bucket, Key=keys[0])
    tags = s3.get_object_tagging(Bucket=ctx.bucket, Key=keys[0])["TagSet"]
    raw_head = s3.head_object(Bucket=ctx.bucket, Key=first_key(s3, ctx.bucket, "raw/orders/"))
    ctx.say(f"curated/sales: {len(keys)} partitions, SSE={head['ServerSideEncryption']} (SSE-S3), "
            f"tags={ {t['Key']: t['Value'] for t in tags} }")
    ctx.say(f"raw/orders objects: SSE={raw_head['ServerSideEncryption']} key={raw_head.get('SSEKMSKeyId', '-')}")
    partitions = lake.list_partitions(ctx.aws, f"s3://{ctx.bucket}/curated/sales/")
    ctx.say(f"partitions: {len(partitions)} (first {partitions[0]}, last {partitions[-1]})")
    scan = lake.read_partitioned(ctx.aws, f"s3://{ctx.bucket}/curated/sales/", filters={"day": ["01", "02"]})
    expected = int(frame["day"].isin(["01", "02"]).sum())
    ctx.say(f"read day=01,02 back: {scan.table.num_rows} rows (expected {expected}), "
            f"opened {len(scan.files_read)} of {scan.files_total} files")
    if scan.table.num_rows != expected:
        raise RuntimeError("the partition filter returned the wrong rows")


def first_key(s3: Any, bucket: str, prefix: str) -> str:
    return s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)["Contents"][0]["Key"]


def available_steps() -> list[tuple[str, Callable[[DemoContext], None]]]:
    steps: list[tuple[str, Callable[[DemoContext], None]]] = [("lake", lake_step)]
    for name in STEP_ORDER:
        try:
            module = importlib.import_module(f"sandbox.demo_steps.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sandbox.demo_steps.{name}":
                continue
            raise
        steps.append((name, module.run))
    return steps


def run_demo(aws: SandboxSession, say: Callable[[str], None], only: list[str] | None = None,
             size: str = "small", bucket: str = DEMO_BUCKET) -> dict[str, float]:
    """Run every demo step (or ``only`` those named); returns seconds per step.

    A failing step stops the demo with its error: the demo is also a test.
    """
    ctx = DemoContext(aws=aws, bucket=bucket, say=say, size=size)
    timings: dict[str, float] = {}
    for name, step in available_steps():
        if only and name not in only and name != "lake":
            continue
        say(f"\n== {name} ==")
        started = time.perf_counter()
        step(ctx)
        timings[name] = time.perf_counter() - started
        say(f"({name}: {timings[name]:.1f} s)")
    return timings
