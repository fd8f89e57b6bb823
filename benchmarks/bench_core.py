"""The local cloud against a bare moto server, in the same run.

- time from `sandbox up` to the first answered request (vs. starting moto's server), and idle memory (RSS)
  of both servers after that first answer
- S3 small-object PUT and GET operations per second (1 KiB objects)
- S3 large-object PUT and GET throughput in MB/s (64 MiB, multipart as boto3 does it)

    .venv/bin/python benchmarks/bench_core.py
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BareMoto, Report, client, free_port, rss_mb  # noqa: E402

SMALL_OBJECTS = int(os.environ.get("BENCH_SMALL_OBJECTS", 300))
LARGE_MB = int(os.environ.get("BENCH_LARGE_MB", 64))


def small_objects(s3, bucket: str) -> tuple[float, float]:
    body = os.urandom(1024)
    started = time.perf_counter()
    for i in range(SMALL_OBJECTS):
        s3.put_object(Bucket=bucket, Key=f"small/{i:05d}", Body=body)
    put_rate = SMALL_OBJECTS / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(SMALL_OBJECTS):
        s3.get_object(Bucket=bucket, Key=f"small/{i:05d}")["Body"].read()
    get_rate = SMALL_OBJECTS / (time.perf_counter() - started)
    return put_rate, get_rate


def large_object(s3, bucket: str) -> tuple[float, float]:
    payload = os.urandom(LARGE_MB * 1024 * 1024)
    started = time.perf_counter()
    s3.upload_fileobj(io.BytesIO(payload), bucket, "large/blob.bin")
    put_mbs = LARGE_MB / (time.perf_counter() - started)
    sink = io.BytesIO()
    started = time.perf_counter()
    s3.download_fileobj(bucket, "large/blob.bin", sink)
    get_mbs = LARGE_MB / (time.perf_counter() - started)
    assert sink.getvalue() == payload
    return put_mbs, get_mbs


def main() -> None:
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    report = Report("core")
    print(f"core: {SMALL_OBJECTS} small objects, one {LARGE_MB} MiB object; sandbox vs bare moto")
    with tempfile.TemporaryDirectory() as state, BareMoto() as moto:
        config = SandboxConfig(state_dir=Path(state), port=free_port())
        sandbox_s3 = client(config.endpoint_url, "s3")  # boto3's own set-up is not the server's start
        moto_s3 = client(moto.endpoint, "s3")
        moto_s3.list_buckets()
        started = time.perf_counter()
        status = cloud_control.up(config)
        sandbox_s3.list_buckets()
        up_seconds = time.perf_counter() - started
        try:
            report.add("start to first answered request (s)", up_seconds, moto.ready_seconds, "s",
                       note="sandbox: `up` + ListBuckets; moto: process start to first answer")
            time.sleep(1.0)
            report.add("idle memory after the first answer (RSS, MB)", rss_mb(status.pid),
                       rss_mb(moto.process.pid), "MB")
            health = cloud_control.status(config).details or {}
            print(f"  providers installed at idle: {health.get('providers')}")
            results = {}
            for name, s3 in (("sandbox", sandbox_s3), ("moto", moto_s3)):
                s3.create_bucket(Bucket="bench-bucket")
                results[name] = small_objects(s3, "bench-bucket") + large_object(s3, "bench-bucket")
            sb, mo = results["sandbox"], results["moto"]
            report.add("S3 PUT 1 KiB objects (ops/s)", sb[0], mo[0], "ops/s", True)
            report.add("S3 GET 1 KiB objects (ops/s)", sb[1], mo[1], "ops/s", True)
            report.add(f"S3 PUT {LARGE_MB} MiB multipart (MB/s)", sb[2], mo[2], "MB/s", True)
            report.add(f"S3 GET {LARGE_MB} MiB (MB/s)", sb[3], mo[3], "MB/s", True)
            time.sleep(1.5)
            health = cloud_control.status(config).details or {}
            report.add("last snapshot duration (s)", health.get("last_snapshot_seconds", 0.0), None, "s",
                       note=f"after {health.get('snapshots_written')} snapshots")
            started = time.perf_counter()
            cloud_control.down(config)
            report.add("down (final snapshot + exit) (s)", time.perf_counter() - started, None, "s")
            started = time.perf_counter()
            cloud_control.up(config)
            sandbox_s3.head_object(Bucket="bench-bucket", Key="large/blob.bin")
            report.add("up with restore of the above (s)", time.perf_counter() - started, up_seconds, "s")
            health = cloud_control.status(config).details or {}
            report.add("restore (s)", health.get("restore_seconds", 0.0), None, "s")
        finally:
            cloud_control.down(config)
    report.save()


if __name__ == "__main__":
    main()
