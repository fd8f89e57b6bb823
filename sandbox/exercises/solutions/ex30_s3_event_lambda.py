"""Exercise 30: an S3 event notification runs a Lambda function that writes a manifest per upload."""

from sandbox import datasets
from sandbox.exercises._helpers import ensure_bucket, ensure_function, wait_until

BUCKET, FUNCTION = "ex30-uploads", "ex30-register-upload"
CODE = """
import json
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        lines = [l for l in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines() if l.strip()]
        manifest = {"key": key, "rows": max(len(lines) - 1, 0)}
        s3.put_object(Bucket=bucket, Key="manifests/" + key.rsplit("/", 1)[-1] + ".json",
                      Body=json.dumps(manifest).encode())
"""


def solve(aws):
    s3 = aws.client("s3")
    ensure_bucket(s3, BUCKET)
    arn = ensure_function(aws, FUNCTION, CODE, Timeout=30)
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "Id": "register-uploads", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"},
                                               {"Name": "suffix", "Value": ".csv"}]}}}]})
    customers = datasets.generate("tiny")["customers"]
    s3.put_object(Bucket=BUCKET, Key="incoming/customers.csv", Body=customers.to_csv(index=False).encode())
    wait_until(lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix="manifests/customers.csv.json").get("KeyCount", 0),
               bool, 30, "the manifest")
