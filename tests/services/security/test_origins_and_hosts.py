"""A web page in the learner's browser, or a DNS-rebinding name, never reaches a service.

Follows S3's CORS rules as the S3 user guide describes them ("Using cross-origin resource sharing
(CORS)": the first rule whose AllowedOrigin, AllowedMethod and AllowedHeader all match answers the
preflight), and the rule that nothing else answers a foreign origin at all.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers.signed_http import error_code, json_call, send

EVIL = "http://evil.example"


def test_a_rebinding_host_reaches_no_service(aws, endpoint):
    role = f"rebind-{uuid.uuid4().hex[:8]}"
    body = f"Action=CreateRole&Version=2010-05-08&RoleName={role}&AssumeRolePolicyDocument=%7B%7D"
    response = send(endpoint, "POST", "/", body, {"Host": "rebind.evil.example:4566",
                                                  "Content-Type": "application/x-www-form-urlencoded"}, service="iam")
    assert response.status_code == 403 and "loopback" in response.text
    names = [r["RoleName"] for r in aws.client("iam").list_roles()["Roles"]]
    assert role not in names


@pytest.mark.parametrize("host", ["127.0.0.1:1234", "localhost", "[::1]:4566", "bucket.localhost:4566"])
def test_loopback_hosts_are_served(endpoint, host):
    response = send(endpoint, "GET", "/", headers={"Host": host}, service="s3")
    assert response.status_code != 403 or "loopback" not in response.text


def test_a_foreign_page_cannot_start_a_processing_job(aws, endpoint):
    """The finding: a page POSTing SageMaker.CreateProcessingJob with a python3 -c entrypoint ran code."""
    name = f"evil-{uuid.uuid4().hex[:8]}"
    body = json.dumps({
        "ProcessingJobName": name, "RoleArn": "arn:aws:iam::123456789012:role/r",
        "AppSpecification": {"ImageUri": "python", "ContainerEntrypoint": ["python3", "-c", "open('/tmp/pwn','w')"]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 1}}})
    preflight = send(endpoint, "OPTIONS", "/", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST",
                                                        "Access-Control-Request-Headers": "x-amz-target,content-type"})
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    response = json_call(endpoint, "sagemaker", "SageMaker.CreateProcessingJob", body, headers={"Origin": EVIL})
    assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response.headers
    names = [j["ProcessingJobName"] for j in aws.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"]]
    assert name not in names


def test_cross_site_fetch_metadata_is_refused(endpoint):
    response = send(endpoint, "GET", "/", headers={"Sec-Fetch-Site": "cross-site"}, service="s3")
    assert response.status_code == 403


def test_the_sandbox_own_origin_gets_its_own_origin_back(endpoint):
    own = endpoint.replace("127.0.0.1", "localhost")
    preflight = send(endpoint, "OPTIONS", "/", headers={"Origin": own, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == own  # never "*"


def test_no_response_echoes_a_foreign_origin_or_a_wildcard(aws, endpoint, s3_bucket):
    response = send(endpoint, "GET", f"/{s3_bucket}", headers={"Origin": EVIL}, service="s3")
    assert response.status_code == 403
    assert response.headers.get("Access-Control-Allow-Origin") is None


def test_bucket_cors_rules_answer_preflights_as_s3_does(aws, endpoint, s3_bucket):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="public/data.csv", Body=b"a,b\n1,2\n")
    s3.put_bucket_cors(Bucket=s3_bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"],
         "AllowedHeaders": ["x-amz-*", "content-type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}]})
    ok = send(endpoint, "OPTIONS", f"/{s3_bucket}/public/data.csv", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-amz-meta-owner"})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "PUT" in ok.headers["Access-Control-Allow-Methods"]
    assert ok.headers["Access-Control-Max-Age"] == "300"
    wrong_method = send(endpoint, "OPTIONS", f"/{s3_bucket}/public/data.csv", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"})
    assert wrong_method.status_code == 403 and error_code(wrong_method) == "AccessForbidden"
    wrong_origin = send(endpoint, "OPTIONS", f"/{s3_bucket}/public/data.csv", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "GET"})
    assert wrong_origin.status_code == 403
    # the actual request from the allowed origin, presigned, gets S3's CORS headers
    url = s3.generate_presigned_url("get_object", Params={"Bucket": s3_bucket, "Key": "public/data.csv"})
    import requests

    got = requests.get(url, headers={"Origin": "https://app.example.com"}, timeout=30)
    assert got.status_code == 200 and got.content == b"a,b\n1,2\n"
    assert got.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert got.headers["Access-Control-Expose-Headers"] == "ETag"


def test_the_server_runs_with_mlflow_telemetry_off(cloud):
    """MLflow 3 sends usage events to its makers' servers unless MLFLOW_DISABLE_TELEMETRY is set; the sandbox's
    server keeps SageMaker jobs' runs in MLflow, so it starts with it set (its children inherit it)."""
    from pathlib import Path

    environ = Path(f"/proc/{cloud.pid}/environ").read_bytes().split(b"\0")
    assert b"MLFLOW_DISABLE_TELEMETRY=true" in environ
