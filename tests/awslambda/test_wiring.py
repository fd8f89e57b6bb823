"""Where AWS calls Lambda: Firehose transformations, Step Functions tasks, S3 event notifications."""

from __future__ import annotations

import base64
import json

from tests.awslambda.test_functions import create, wait_for

TRANSFORM = """
import base64, json

def handler(event, context):
    assert event["deliveryStreamArn"].startswith("arn:aws:firehose:") and event["region"] == "us-east-1"
    assert event["invocationId"]
    out = []
    for record in event["records"]:
        assert record["approximateArrivalTimestamp"] > 0
        doc = json.loads(base64.b64decode(record["data"]))
        if doc["kind"] == "drop":
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
        elif doc["kind"] == "bad":
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
        elif doc["kind"] == "lost":
            continue  # no answer for this record: Firehose reports it as missing
        else:
            doc["enriched"] = True
            data = base64.b64encode((json.dumps(doc) + "\\n").encode()).decode()
            out.append({"recordId": record["recordId"], "result": "Ok", "data": data})
    return {"records": out}
"""


def objects(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_firehose_transformation_ok_dropped_failed_and_missing(aws, s3_bucket, unique_name):
    lam, firehose, s3 = aws.client("lambda"), aws.client("firehose"), aws.client("s3")
    arn = create(lam, unique_name, TRANSFORM)["FunctionArn"]
    firehose.create_delivery_stream(
        DeliveryStreamName=unique_name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose", "BucketARN": f"arn:aws:s3:::{s3_bucket}",
            "Prefix": "ok/", "ErrorOutputPrefix": "failed/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [
                {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": arn}]}]}})
    kinds = ["keep", "drop", "bad", "keep", "lost"]
    firehose.put_record_batch(DeliveryStreamName=unique_name,
                              Records=[{"Data": json.dumps({"id": i, "kind": k}).encode()} for i, k in enumerate(kinds)])
    delivered = wait_for(lambda: objects(s3, s3_bucket, "ok/"))
    failed = wait_for(lambda: objects(s3, s3_bucket, "failed/"))
    lines = s3.get_object(Bucket=s3_bucket, Key=delivered[0])["Body"].read().decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"id": 0, "kind": "keep", "enriched": True},
                                                    {"id": 3, "kind": "keep", "enriched": True}]
    errors = [json.loads(line) for key in failed
              for line in s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read().decode().splitlines()]
    by_id = {json.loads(base64.b64decode(e["rawData"]))["id"]: e for e in errors}
    assert sorted(by_id) == [2, 4]  # the dropped record is gone, not an error
    assert by_id[2]["errorCode"] == "Lambda.ProcessingFailedStatus" and by_id[2]["lambdaArn"] == arn
    assert by_id[4]["errorCode"] == "Lambda.MissingRecordId"
    assert all(key.startswith("failed/") for key in failed)


def test_firehose_transformation_function_error(aws, s3_bucket, unique_name):
    lam, firehose, s3 = aws.client("lambda"), aws.client("firehose"), aws.client("s3")
    arn = create(lam, unique_name, "def handler(event, context):\n    raise RuntimeError('cannot transform')\n")[
        "FunctionArn"]
    firehose.create_delivery_stream(
        DeliveryStreamName=unique_name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose", "BucketARN": f"arn:aws:s3:::{s3_bucket}",
            "Prefix": "ok/", "ErrorOutputPrefix": "failed/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [
                {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": arn},
                                                  {"ParameterName": "NumberOfRetries", "ParameterValue": "1"}]}]}})
    firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": b'{"id": 1}'})
    key = wait_for(lambda: objects(s3, s3_bucket, "failed/"))[0]
    error = json.loads(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read())
    assert error["errorCode"] == "Lambda.FunctionError" and "cannot transform" in error["errorMessage"]
    assert error["attemptsMade"] == 2
    assert objects(s3, s3_bucket, "ok/") == []
