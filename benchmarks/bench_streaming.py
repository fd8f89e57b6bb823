"""Records per second into Kinesis (PutRecords) and through Firehose to S3, against a bare moto server.

    .venv/bin/python benchmarks/bench_streaming.py     (BENCH_RECORDS, default 20,000)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BareMoto, Report, client, free_port  # noqa: E402

RECORDS = int(os.environ.get("BENCH_RECORDS", 20_000))
BATCH = 500


def put_records(kinesis, stream: str, payloads: list[bytes]) -> float:
    started = time.perf_counter()
    for start in range(0, len(payloads), BATCH):
        kinesis.put_records(StreamName=stream, Records=[{"Data": p, "PartitionKey": str(start + i)}
                                                        for i, p in enumerate(payloads[start:start + BATCH])])
    return len(payloads) / (time.perf_counter() - started)


def firehose_end_to_end(endpoint: str, payloads: list[bytes], wait_for_s3: bool) -> float:
    firehose, s3 = client(endpoint, "firehose"), client(endpoint, "s3")
    s3.create_bucket(Bucket="bench-firehose")
    firehose.create_delivery_stream(DeliveryStreamName="bench", ExtendedS3DestinationConfiguration={
        "RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::bench-firehose",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}})
    started = time.perf_counter()
    for start in range(0, len(payloads), BATCH):
        firehose.put_record_batch(DeliveryStreamName="bench", Records=[{"Data": p} for p in payloads[start:start + BATCH]])
    if wait_for_s3:  # end to end: until every record is in S3
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            delivered = 0
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench-firehose"):
                for item in page.get("Contents", []):
                    delivered += s3.get_object(Bucket="bench-firehose", Key=item["Key"])["Body"].read().count(b"\n")
            if delivered >= len(payloads):
                break
            time.sleep(0.2)
    return len(payloads) / (time.perf_counter() - started)


def main() -> None:
    from sandbox import cloud as cloud_control
    from sandbox import datasets
    from sandbox.config import SandboxConfig

    report = Report("streaming")
    clicks = datasets.clickstream(RECORDS)
    payloads = [(json.dumps(r) + "\n").encode() for r in json.loads(clicks.to_json(orient="records"))]
    print(f"streaming: {len(payloads):,} clickstream records (~{sum(map(len, payloads)) / 1e6:.1f} MB), "
          f"batches of {BATCH}")
    with tempfile.TemporaryDirectory() as state, BareMoto() as moto:
        config = SandboxConfig(state_dir=Path(state), port=free_port())
        cloud_control.up(config)
        try:
            rates, later = {}, {}
            for name, endpoint in (("sandbox", config.endpoint_url), ("moto", moto.endpoint)):
                kinesis = client(endpoint, "kinesis")
                kinesis.create_stream(StreamName="bench", ShardCount=4)
                time.sleep(0.2)
                rates[name] = put_records(kinesis, "bench", payloads)
                for _ in range(3):  # the stream keeps what it was given: the state grows to 4x the first block
                    later[name] = put_records(kinesis, "bench", payloads)
            report.add("Kinesis PutRecords (records/s)", rates["sandbox"], rates["moto"], "rec/s", True)
            report.add(f"Kinesis PutRecords, {3 * len(payloads):,} to {4 * len(payloads):,} stored (records/s)",
                       later["sandbox"], later["moto"], "rec/s", True,
                       note="the sandbox reads a shard's last sequence number from its end and snapshots only "
                            "new chunks of records; moto lists every sequence number on each put")
            sandbox_rate = firehose_end_to_end(config.endpoint_url, payloads, wait_for_s3=True)
            moto_rate = firehose_end_to_end(moto.endpoint, payloads, wait_for_s3=False)
            report.add("Firehose to S3, end to end (records/s)", sandbox_rate, moto_rate, "rec/s", True,
                       note="sandbox: until all are in S3 (buffered, durable); moto: writes one object per call")
        finally:
            cloud_control.down(config)
    report.save()


if __name__ == "__main__":
    main()
