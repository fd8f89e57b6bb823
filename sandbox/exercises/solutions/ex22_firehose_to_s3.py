"""Exercise 22: Firehose (direct PUT) delivering GZIP to s3://ex22-lake/clicks/ every few seconds."""

import json

from sandbox import datasets
from sandbox.exercises._helpers import ensure_bucket, list_keys, wait_until

NAME, BUCKET = "ex22-clicks-to-lake", "ex22-lake"
ROLE = "arn:aws:iam::123456789012:role/exercise-firehose"


def solve(aws):
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    ensure_bucket(s3, BUCKET)
    if NAME not in firehose.list_delivery_streams()["DeliveryStreamNames"]:
        firehose.create_delivery_stream(
            DeliveryStreamName=NAME, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}", "Prefix": "clicks/",
                "ErrorOutputPrefix": "errors/", "CompressionFormat": "GZIP",
                "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 2}})
    wait_until(lambda: firehose.describe_delivery_stream(DeliveryStreamName=NAME)["DeliveryStreamDescription"],
               lambda d: d["DeliveryStreamStatus"] == "ACTIVE", 30, "the delivery stream")
    events = json.loads(datasets.clickstream(200).to_json(orient="records"))
    firehose.put_record_batch(DeliveryStreamName=NAME,
                              Records=[{"Data": (json.dumps(e) + "\n").encode()} for e in events])
    wait_until(lambda: list_keys(s3, BUCKET, "clicks/"), bool, 60, "the Firehose delivery")
