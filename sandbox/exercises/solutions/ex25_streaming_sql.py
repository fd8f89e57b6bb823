"""Exercise 25: a Kinesis Data Analytics SQL application counting views per product in tumbling windows."""

import json

from sandbox import datasets
from sandbox.exercises._helpers import wait_until

APP, SOURCE, TARGET = "ex25-view-counter", "ex25-clicks-in", "ex25-view-counts"
CODE = """
CREATE OR REPLACE STREAM "DEST_SQL_STREAM" (product_id BIGINT, views BIGINT);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DEST_SQL_STREAM"
  SELECT STREAM product_id, COUNT(*) AS views
  FROM "SOURCE_SQL_STREAM_001"
  WHERE event_type = 'view'
  GROUP BY product_id, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);
"""


def solve(aws):
    kinesis, kda = aws.client("kinesis"), aws.client("kinesisanalyticsv2")
    arns = {}
    for name in (SOURCE, TARGET):
        if name not in kinesis.list_streams()["StreamNames"]:
            kinesis.create_stream(StreamName=name, ShardCount=1)
        arns[name] = wait_until(lambda: kinesis.describe_stream(StreamName=name)["StreamDescription"],
                                lambda d: d["StreamStatus"] == "ACTIVE", 30, "the stream")["StreamARN"]
    # (list, not describe: the sandbox answers DescribeApplication on an unknown name with InternalFailure)
    if APP not in [a["ApplicationName"] for a in kda.list_applications()["ApplicationSummaries"]]:
        kda.create_application(
            ApplicationName=APP, RuntimeEnvironment="SQL-1_0",
            ServiceExecutionRole="arn:aws:iam::123456789012:role/exercise-kda",
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {"CodeContent": {"TextContent": CODE}, "CodeContentType": "PLAINTEXT"},
                "SqlApplicationConfiguration": {
                    "Inputs": [{"NamePrefix": "SOURCE_SQL_STREAM", "KinesisStreamsInput": {"ResourceARN": arns[SOURCE]},
                                "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON", "MappingParameters": {
                                    "JSONMappingParameters": {"RecordRowPath": "$"}}},
                                    "RecordColumns": [
                                        {"Name": "product_id", "SqlType": "BIGINT", "Mapping": "$.product_id"},
                                        {"Name": "event_type", "SqlType": "VARCHAR(16)", "Mapping": "$.event_type"}]}}],
                    "Outputs": [{"Name": "DEST_SQL_STREAM", "KinesisStreamsOutput": {"ResourceARN": arns[TARGET]},
                                 "DestinationSchema": {"RecordFormatType": "JSON"}}]}})
    if kda.describe_application(ApplicationName=APP)["ApplicationDetail"]["ApplicationStatus"] != "RUNNING":
        kda.start_application(ApplicationName=APP, RunConfiguration={})
    events = json.loads(datasets.clickstream(200).to_json(orient="records"))
    kinesis.put_records(StreamName=SOURCE, Records=[{"Data": json.dumps(e).encode(), "PartitionKey": e["session_id"]}
                                                    for e in events])
    shard = kinesis.describe_stream(StreamName=TARGET)["StreamDescription"]["Shards"][0]["ShardId"]

    def output():
        iterator = kinesis.get_shard_iterator(StreamName=TARGET, ShardId=shard,
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        return kinesis.get_records(ShardIterator=iterator, Limit=100)["Records"]

    wait_until(output, bool, 60, "the application's output", interval=1)
