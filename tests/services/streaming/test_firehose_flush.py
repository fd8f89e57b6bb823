"""When a Firehose buffer is flushed, decided in-process (no HTTP) so the order of events is exact."""

from __future__ import annotations

import boto3
import pytest

from emulators.firehose import provider as firehose
from tests.helpers.cloud import in_process_cloud

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    with in_process_cloud(tmp_path_factory.mktemp("firehose-flush")) as cloud:
        yield cloud


def test_a_flush_decided_while_another_delivered_sends_nothing_that_is_not_due(cloud):
    """The periodic tick decides a buffer is due, then waits while a size-triggered flush delivers it.
    Records that arrive meanwhile start a new interval: the waiting flush must not send them at once
    (it did, as a second object within a second of the first)."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    s3 = session.client("s3", endpoint_url=cloud.endpoint_url)
    hose = session.client("firehose", endpoint_url=cloud.endpoint_url)
    s3.create_bucket(Bucket="flush-check")
    hose.create_delivery_stream(
        DeliveryStreamName="flush-check", DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::flush-check",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}})
    record = b"x" * 1023 + b"\n"
    firehose.accept(ACCOUNT, REGION, "flush-check", [record] * 1100)  # past the 1 MiB hint
    delivered = firehose.flush(ACCOUNT, REGION, "flush-check")
    assert delivered in (0, 1100)  # 0 when the flush the size hint submitted got there first
    keys = lambda: [o["Key"] for o in s3.list_objects_v2(Bucket="flush-check").get("Contents", [])]
    firehose.accept(ACCOUNT, REGION, "flush-check", [record])
    assert firehose.flush(ACCOUNT, REGION, "flush-check") == 0, "one record, 60 s interval: not due"
    assert len(keys()) == 1
    assert firehose.flush(ACCOUNT, REGION, "flush-check", force=True) == 1
    assert len(keys()) == 2
