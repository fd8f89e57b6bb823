"""Demo step: clickstream into Kinesis, Firehose from the stream into the lake partitioned by event type,
and a windowed SQL aggregation (Kinesis Analytics style) over the same events."""

from __future__ import annotations

import time
from typing import Any

STREAM = "sandbox-demo-clicks"
ROLE = "arn:aws:iam::123456789012:role/sandbox-firehose"


def run(ctx: Any) -> None:
    from sandbox import datasets, streaming

    kinesis, firehose, s3 = ctx.aws.client("kinesis"), ctx.aws.client("firehose"), ctx.aws.client("s3")
    if STREAM not in kinesis.list_streams()["StreamNames"]:
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    arn = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["StreamARN"]
    if STREAM not in firehose.list_delivery_streams()["DeliveryStreamNames"]:
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM, DeliveryStreamType="KinesisStreamAsSource",
            KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{ctx.bucket}",
                "Prefix": "streaming/clicks/event_type=!{partitionKeyFromQuery:event_type}/",
                "ErrorOutputPrefix": "streaming/errors/!{firehose:error-output-type}/",
                "CompressionFormat": "GZIP", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 2},
                "DynamicPartitioningConfiguration": {"Enabled": True},
                "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "MetadataExtraction",
                    "Parameters": [{"ParameterName": "MetadataExtractionQuery",
                                    "ParameterValue": "{event_type: .event_type}"},
                                   {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]}})
    clicks = datasets.clickstream(2_000)
    result = streaming.replay(ctx.aws, clicks, STREAM, partition_key="session_id", progress=False)
    ctx.say(f"replayed {result['records']:,} clickstream events into Kinesis {STREAM} (2 shards) "
            f"at {result['records_per_second']:,.0f} records/s")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ctx.bucket, Prefix="streaming/clicks/").get("Contents", [])]
        if {k.split("/")[2] for k in keys} >= {"event_type=view", "event_type=add_to_cart", "event_type=purchase"}:
            break
        time.sleep(0.5)
    else:
        raise RuntimeError("Firehose did not deliver the clicks within 60 s")
    partitions = sorted({k.split("/")[2] for k in keys})
    ctx.say(f"Firehose (Kinesis source, dynamic partitioning, GZIP) wrote {len(keys)} objects under "
            f"s3://{ctx.bucket}/streaming/clicks/: {', '.join(partitions)}")
    top = streaming.run_windowed_sql(clicks, '''
        SELECT STREAM product_id, COUNT(*) AS views,
               STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' DAY) AS day
        FROM "SOURCE_SQL_STREAM_001" WHERE event_type = 'view'
        GROUP BY product_id, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' DAY)''', rowtime="event_ts")
    best = top.sort_values("views", ascending=False).head(3)
    ctx.say("windowed SQL (tumbling 1-day windows, Kinesis Analytics style) -- most viewed products:")
    for row in best.itertuples():
        ctx.say(f"  {str(row.day)[:10]} product {row.product_id}: {row.views} views")
