"""When a Kinesis Analytics SQL application emits a tumbling window, driven in-process with a clock of the test's
own so the windows fall where the test says."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from emulators.core import clock, moto_coupling
from emulators.kinesisanalytics import provider as analytics
from tests.helpers.cloud import in_process_cloud

ACCOUNT, REGION = "123456789012", "us-east-1"
CODE = '''
    CREATE OR REPLACE STREAM "DEST_SQL_STREAM" (product_id BIGINT, clicks BIGINT);
    CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DEST_SQL_STREAM"
      SELECT STREAM product_id, COUNT(*) AS clicks
      FROM "SOURCE_SQL_STREAM_001"
      GROUP BY product_id, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '2' SECOND);'''


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    with in_process_cloud(tmp_path_factory.mktemp("analytics-windows")) as cloud:
        yield cloud


def test_two_windows_with_equal_results_are_two_results(cloud, monkeypatch):
    """Product 7 clicked once in one window and once in the next: two rows {7, 1} go out, one per window (the
    second was taken for a repeat of the first and dropped). A record read after its window closed joins the
    open window (ROWTIME is when the application reads a row, as on AWS), so it is not lost either."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    kinesis = session.client("kinesis", endpoint_url=cloud.endpoint_url)
    kda = session.client("kinesisanalyticsv2", endpoint_url=cloud.endpoint_url)
    for name in ("clicks-in", "clicks-out"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = {name: kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
           for name in ("clicks-in", "clicks-out")}
    kda.create_application(
        ApplicationName="windows", RuntimeEnvironment="SQL-1_0", ServiceExecutionRole=f"arn:aws:iam::{ACCOUNT}:role/kda",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {"CodeContent": {"TextContent": CODE}, "CodeContentType": "PLAINTEXT"},
            "SqlApplicationConfiguration": {
                "Inputs": [{"NamePrefix": "SOURCE_SQL_STREAM", "KinesisStreamsInput": {"ResourceARN": arn["clicks-in"]},
                            "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON", "MappingParameters": {
                                "JSONMappingParameters": {"RecordRowPath": "$"}}},
                                "RecordColumns": [{"Name": "product_id", "SqlType": "BIGINT",
                                                   "Mapping": "$.product_id"}]}}],
                "Outputs": [{"Name": "DEST_SQL_STREAM", "KinesisStreamsOutput": {"ResourceARN": arn["clicks-out"]},
                             "DestinationSchema": {"RecordFormatType": "JSON"}}]}})
    backend = moto_coupling.backend_for("kinesisanalyticsv2", ACCOUNT, REGION)  # not RUNNING: no tick runs it
    start = clock.utcnow()
    click = {"StreamName": "clicks-in", "Data": json.dumps({"product_id": 7}).encode(), "PartitionKey": "p"}

    kinesis.put_record(**click)
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=10))
    analytics._run_application(ACCOUNT, REGION, backend, "windows")  # the window of the first click has closed
    kinesis.put_record(**click)  # read at +10 s or later: in the window from +10 s on
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=20))
    analytics._run_application(ACCOUNT, REGION, backend, "windows")
    analytics._run_application(ACCOUNT, REGION, backend, "windows")  # nothing new: nothing more goes out

    shard = kinesis.describe_stream(StreamName="clicks-out")["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="clicks-out", ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    rows = [json.loads(r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    assert rows == [{"product_id": 7, "clicks": 1}, {"product_id": 7, "clicks": 1}]
