"""Exercise 32: Firehose runs a Lambda transformation, then converts to Parquet with a Glue schema."""

import json

from sandbox import datasets
from sandbox.exercises._helpers import empty_prefix, ensure_bucket, ensure_function, list_keys, lookup, wait_until

BUCKET, STREAM, DATABASE = "ex32-lake", "ex32-clicks-parquet", "ex32_lake"
ROLE = "arn:aws:iam::123456789012:role/exercise-firehose"
NORMALISE = """
import base64
import json


def handler(event, context):
    out = []
    for record in event["records"]:
        raw = json.loads(base64.b64decode(record["data"]))
        clean = {"event_id": raw["EventId"], "customer_id": raw["Customer"], "event_type": raw["Type"].lower(),
                 "event_ts": raw["Timestamp"], "device": raw.get("Device")}
        data = base64.b64encode((json.dumps(clean) + "\\n").encode()).decode()
        out.append({"recordId": record["recordId"], "result": "Ok", "data": data})
    return {"records": out}
"""
COLUMNS = [("event_id", "string"), ("customer_id", "bigint"), ("event_type", "string"), ("event_ts", "timestamp"),
           ("device", "string")]


def solve(aws):
    s3, glue, firehose = aws.client("s3"), aws.client("glue"), aws.client("firehose")
    ensure_bucket(s3, BUCKET)
    empty_prefix(s3, BUCKET, "clicks/")
    if not lookup(glue.get_database, Name=DATABASE):
        glue.create_database(DatabaseInput={"Name": DATABASE})
    if not lookup(glue.get_table, DatabaseName=DATABASE, Name="clicks"):
        glue.create_table(DatabaseName=DATABASE, TableInput={"Name": "clicks", "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in COLUMNS], "Location": f"s3://{BUCKET}/clicks/"}})
    arn = ensure_function(aws, "ex32-normalise", NORMALISE, Timeout=60)
    if not lookup(firehose.describe_delivery_stream, DeliveryStreamName=STREAM):
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}", "Prefix": "clicks/",
                "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
                "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 5},
                "ProcessingConfiguration": {"Enabled": True, "Processors": [
                    {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": arn}]}]},
                "DataFormatConversionConfiguration": {
                    "Enabled": True,
                    "SchemaConfiguration": {"DatabaseName": DATABASE, "TableName": "clicks", "RoleARN": ROLE,
                                            "Region": "us-east-1"},
                    "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                    "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}}}})
    clicks = datasets.generate("tiny")["clickstream"].head(200)
    raw = [{"EventId": r.event_id, "Customer": int(r.customer_id), "Type": r.event_type.upper(),
            "Timestamp": r.event_ts, "Device": r.device} for r in clicks.itertuples()]
    for start in range(0, len(raw), 100):
        firehose.put_record_batch(DeliveryStreamName=STREAM, Records=[
            {"Data": json.dumps(event).encode()} for event in raw[start:start + 100]])
    wait_until(lambda: [o for o in list_keys(s3, BUCKET, "clicks/") if o["Size"] > 0], bool, 60, "the delivery")
