"""An endpoint's inference code may call back into the sandbox (read S3, a DynamoDB table) and take its time:
InvokeEndpoint lets go of the state lock while that code runs. Holding it, a snapshot waiting for the lock
held the code's own requests, and the endpoint, the request and the sandbox waited on each other for good."""

from __future__ import annotations

import io
import tarfile

import boto3
from botocore.config import Config

from tests.helpers.sagemaker import SKLEARN_IMAGE, deploy, source_archive

INFERENCE = '''
import time
import boto3

def model_fn(model_dir):
    return "no model: the code itself answers"

def input_fn(body, content_type):
    return body.strip()

def predict_fn(endpoint_url, model):
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="endpoint-callback-made")  # a change: the next snapshot comes within a second
    time.sleep(1.5)  # ... and waits for the state lock meanwhile
    return sorted(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("endpoint-callback"))

def output_fn(prediction, accept):
    return ",".join(prediction)
'''


def _empty_model() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("README")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"none"))
    return buffer.getvalue()


def test_inference_code_that_calls_the_sandbox_answers(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="model/model.tar.gz", Body=_empty_model())
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz", Body=source_archive({"inference.py": INFERENCE}))
    endpoint = deploy(sm, unique_name, f"s3://{s3_bucket}/model/model.tar.gz", image=SKLEARN_IMAGE, environment={
        "SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{s3_bucket}/code/sourcedir.tar.gz"})
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    runtime = boto3.client("sagemaker-runtime", endpoint_url=aws.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test",
                           config=Config(read_timeout=30, retries={"max_attempts": 1}))
    for _ in range(2):
        answer = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Accept="text/csv",
                                         Body=aws.endpoint_url.encode())
        assert answer["Body"].read() == b"endpoint-callback-made"
    sm.delete_endpoint(EndpointName=unique_name)
    s3.delete_bucket(Bucket="endpoint-callback-made")
