"""Kinesis routing and order, the replay helper, and windowed SQL that matches pandas."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pandas as pd

from sandbox import datasets, streaming


def test_partition_keys_route_by_hash_range_and_order_is_kept_per_shard(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=3)
    shards = kinesis.describe_stream(StreamName=unique_name)["StreamDescription"]["Shards"]
    expected: dict[str, list[int]] = {s["ShardId"]: [] for s in shards}
    for i in range(60):
        key = f"user-{i % 7}"
        put = kinesis.put_record(StreamName=unique_name, Data=json.dumps({"i": i}).encode(), PartitionKey=key)
        hashed = int(hashlib.md5(key.encode()).hexdigest(), 16)
        owner = next(s["ShardId"] for s in shards if int(s["HashKeyRange"]["StartingHashKey"]) <= hashed
                     <= int(s["HashKeyRange"]["EndingHashKey"]))
        assert put["ShardId"] == owner
        expected[owner].append(i)
    for shard_id, wanted in expected.items():
        iterator = kinesis.get_shard_iterator(StreamName=unique_name, ShardId=shard_id,
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = [json.loads(r["Data"])["i"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
        assert got == wanted  # in order per shard


def test_latest_and_at_sequence_number_iterators(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    shard = kinesis.describe_stream(StreamName=unique_name)["StreamDescription"]["Shards"][0]["ShardId"]
    first = kinesis.put_record(StreamName=unique_name, Data=b"a", PartitionKey="k")
    latest = kinesis.get_shard_iterator(StreamName=unique_name, ShardId=shard,
                                        ShardIteratorType="LATEST")["ShardIterator"]
    kinesis.put_record(StreamName=unique_name, Data=b"b", PartitionKey="k")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=latest)["Records"]] == [b"b"]
    at = kinesis.get_shard_iterator(StreamName=unique_name, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=first["SequenceNumber"])["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=at)["Records"]] == [b"a", b"b"]


def test_replay_helper_puts_every_row(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=2)
    clicks = datasets.clickstream(300)
    result = streaming.replay(aws, clicks, unique_name, partition_key="session_id", progress=False)
    assert result["records"] == 300 and result["failed"] == 0
    total = 0
    for shard in kinesis.describe_stream(StreamName=unique_name)["StreamDescription"]["Shards"]:
        iterator = kinesis.get_shard_iterator(StreamName=unique_name, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        total += len(kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"])
    assert total == 300


def test_tumbling_window_counts_match_pandas():
    clicks = datasets.clickstream(3_000)
    result = streaming.run_windowed_sql(clicks, '''
        SELECT STREAM product_id, COUNT(*) AS clicks,
               STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' MINUTE) AS window_start
        FROM "SOURCE_SQL_STREAM_001"
        WHERE event_type = 'view'
        GROUP BY product_id, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' MINUTE)''', rowtime="event_ts")
    views = clicks[clicks.event_type == "view"].assign(
        window_start=pd.to_datetime(clicks.event_ts, utc=True).dt.tz_localize(None).dt.floor("60min"))
    want = views.groupby(["product_id", "window_start"]).size().rename("clicks").reset_index()
    got = result.sort_values(["product_id", "window_start"]).reset_index(drop=True)
    want = want.sort_values(["product_id", "window_start"]).reset_index(drop=True)
    assert len(got) == len(want)
    assert (got["clicks"].to_numpy() == want["clicks"].to_numpy()).all()
    assert (pd.to_datetime(got["window_start"]).to_numpy() == want["window_start"].to_numpy()).all()


def test_sliding_window_runs_as_a_window_frame():
    frame = pd.DataFrame({"v": [1, 2, 3, 4], "t": pd.to_datetime(["2024-01-01 00:00:00", "2024-01-01 00:00:30",
                                                                  "2024-01-01 00:01:10", "2024-01-01 00:03:00"])})
    result = streaming.run_windowed_sql(frame, '''
        SELECT STREAM v, SUM(v) OVER (ORDER BY ROWTIME RANGE INTERVAL '1' MINUTE PRECEDING) AS last_minute
        FROM "SOURCE_SQL_STREAM_001"''', rowtime="t")
    assert result.sort_values("v")["last_minute"].tolist() == [1, 3, 5, 4]


def test_sql_application_aggregates_a_stream_into_another(aws, unique_name):
    kinesis, kda = aws.client("kinesis"), aws.client("kinesisanalyticsv2")
    kinesis.create_stream(StreamName=f"{unique_name}-in", ShardCount=1)
    kinesis.create_stream(StreamName=f"{unique_name}-out", ShardCount=1)
    source = kinesis.describe_stream(StreamName=f"{unique_name}-in")["StreamDescription"]["StreamARN"]
    target = kinesis.describe_stream(StreamName=f"{unique_name}-out")["StreamDescription"]["StreamARN"]
    code = '''
        CREATE OR REPLACE STREAM "DEST_SQL_STREAM" (product_id BIGINT, clicks BIGINT);
        CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DEST_SQL_STREAM"
          SELECT STREAM product_id, COUNT(*) AS clicks
          FROM "SOURCE_SQL_STREAM_001"
          GROUP BY product_id, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '2' SECOND);'''
    kda.create_application(
        ApplicationName=unique_name, RuntimeEnvironment="SQL-1_0",
        ServiceExecutionRole="arn:aws:iam::123456789012:role/kda",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {"CodeContent": {"TextContent": code}, "CodeContentType": "PLAINTEXT"},
            "SqlApplicationConfiguration": {
                "Inputs": [{"NamePrefix": "SOURCE_SQL_STREAM", "KinesisStreamsInput": {"ResourceARN": source},
                            "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON", "MappingParameters": {
                                "JSONMappingParameters": {"RecordRowPath": "$"}}},
                                "RecordColumns": [{"Name": "product_id", "SqlType": "BIGINT",
                                                   "Mapping": "$.product_id"}]}}],
                "Outputs": [{"Name": "DEST_SQL_STREAM", "KinesisStreamsOutput": {"ResourceARN": target},
                             "DestinationSchema": {"RecordFormatType": "JSON"}}]}})
    kda.start_application(ApplicationName=unique_name, RunConfiguration={})
    for product in [1, 1, 2, 1, 2, 3]:
        kinesis.put_record(StreamName=f"{unique_name}-in", Data=json.dumps({"product_id": product}).encode(),
                           PartitionKey="p")
    shard = kinesis.describe_stream(StreamName=f"{unique_name}-out")["StreamDescription"]["Shards"][0]["ShardId"]
    deadline = time.monotonic() + 15
    totals: dict[int, int] = {}
    while time.monotonic() < deadline and sum(totals.values()) < 6:
        time.sleep(1)
        iterator = kinesis.get_shard_iterator(StreamName=f"{unique_name}-out", ShardId=shard,
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        totals = {}
        for record in kinesis.get_records(ShardIterator=iterator)["Records"]:
            row = json.loads(record["Data"])
            totals[row["product_id"]] = totals.get(row["product_id"], 0) + row["clicks"]
    assert totals == {1: 3, 2: 2, 3: 1}
    assert kda.describe_application(ApplicationName=unique_name)["ApplicationDetail"]["ApplicationStatus"] == "RUNNING"


def test_describe_unknown_application_is_resource_not_found(aws):
    import pytest
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as exc:
        aws.client("kinesisanalyticsv2").describe_application(ApplicationName="no-such-app")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
