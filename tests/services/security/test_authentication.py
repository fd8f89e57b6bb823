"""Requests carry AWS authentication, and signatures of keys the sandbox knows are verified.

Follows the Signature Version 4 rules of the IAM user guide ("Elements of an AWS API request signature",
"Create a signed AWS API request") and S3's ("Authenticating Requests: Using Query Parameters",
"Browser-Based Uploads Using POST"): a wrong secret is SignatureDoesNotMatch, an expired presigned URL
is AccessDenied "Request has expired", an unsigned request is refused unless the bucket is public.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.helpers.signed_http import error_code, send


def client(endpoint: str, name: str, key: str = "test", secret: str = "test", **config):
    return boto3.client(name, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}, **config))


@pytest.mark.slow
def test_default_keys_and_iam_created_keys_work(aws, endpoint, unique_name):
    iam = aws.client("iam")
    iam.create_user(UserName=unique_name)
    created = iam.create_access_key(UserName=unique_name)["AccessKey"]
    for name, call in (("s3", lambda c: c.list_buckets()), ("glue", lambda c: c.get_databases()),
                       ("sts", lambda c: c.get_caller_identity()), ("lambda", lambda c: c.list_functions())):
        call(client(endpoint, name))
        call(client(endpoint, name, created["AccessKeyId"], created["SecretAccessKey"]))


@pytest.mark.parametrize("service,call,code", [
    ("s3", lambda c: c.list_buckets(), "SignatureDoesNotMatch"),
    ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
    ("glue", lambda c: c.get_databases(), "InvalidSignatureException"),
    ("lambda", lambda c: c.list_functions(), "InvalidSignatureException"),
])
def test_a_known_key_with_a_wrong_secret_is_refused(endpoint, service, call, code):
    with pytest.raises(ClientError) as caught:
        call(client(endpoint, service, "test", "not-the-secret"))
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_iam_key_with_a_wrong_secret_or_deactivated_is_refused(aws, endpoint, unique_name):
    iam = aws.client("iam")
    iam.create_user(UserName=unique_name)
    created = iam.create_access_key(UserName=unique_name)["AccessKey"]
    with pytest.raises(ClientError) as caught:
        client(endpoint, "s3", created["AccessKeyId"], "wrong").list_buckets()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    iam.update_access_key(UserName=unique_name, AccessKeyId=created["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as caught:
        client(endpoint, "sts", created["AccessKeyId"], created["SecretAccessKey"]).get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_unknown_keys_are_accepted_by_default(endpoint):
    client(endpoint, "s3", "AKIAEXAMPLEUNKNOWN01", "whatever").list_buckets()


def test_unsigned_requests_are_refused(endpoint):
    s3 = requests.get(endpoint + "/", timeout=10)
    assert s3.status_code == 403 and error_code(s3) == "AccessDenied"
    glue = requests.post(endpoint + "/", data="{}", timeout=10,
                         headers={"X-Amz-Target": "AWSGlue.GetDatabases", "Content-Type": "application/x-amz-json-1.1"})
    assert glue.status_code == 403 and error_code(glue) == "MissingAuthenticationTokenException"
    iam = requests.post(endpoint + "/", data="Action=ListUsers&Version=2010-05-08", timeout=10,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert iam.status_code == 403 and error_code(iam) == "MissingAuthenticationToken"


@pytest.mark.slow
@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_a_presigned_url_works_until_it_expires(aws, endpoint, s3_bucket, signature_version):
    aws.client("s3").put_object(Bucket=s3_bucket, Key="report.csv", Body=b"x,y\n")
    s3 = client(endpoint, "s3", signature_version=signature_version) if signature_version else client(endpoint, "s3")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": s3_bucket, "Key": "report.csv"}, ExpiresIn=2)
    assert requests.get(url, timeout=10).content == b"x,y\n"
    tampered = url.replace("report.csv", "other.csv")
    assert requests.get(tampered, timeout=10).status_code == 403
    time.sleep(3.2)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403 and "Request has expired" in expired.text


def test_public_reads_need_a_public_policy_and_honour_block_public_access(aws, endpoint, s3_bucket):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="site/index.html", Body=b"<h1>hi</h1>")
    assert requests.get(f"{endpoint}/{s3_bucket}/site/index.html", timeout=10).status_code == 403
    s3.put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{s3_bucket}/site/*"}]}))
    assert requests.get(f"{endpoint}/{s3_bucket}/site/index.html", timeout=10).content == b"<h1>hi</h1>"
    # the policy makes reads public, not writes, and not other prefixes
    assert requests.put(f"{endpoint}/{s3_bucket}/site/evil.html", data=b"x", timeout=10).status_code == 403
    s3.put_object(Bucket=s3_bucket, Key="private/a.txt", Body=b"secret")
    assert requests.get(f"{endpoint}/{s3_bucket}/private/a.txt", timeout=10).status_code == 403
    s3.put_public_access_block(Bucket=s3_bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    assert requests.get(f"{endpoint}/{s3_bucket}/site/index.html", timeout=10).status_code == 403
    s3.delete_bucket_policy(Bucket=s3_bucket)


def test_browser_post_uploads_need_a_signed_policy(aws, endpoint, s3_bucket):
    s3 = aws.client("s3")
    unsigned = requests.post(f"{endpoint}/{s3_bucket}", data={"key": "evil.txt"}, files={"file": b"x"}, timeout=10)
    assert unsigned.status_code == 403
    post = s3.generate_presigned_post(s3_bucket, "uploads/ok.txt")
    done = requests.post(post["url"], data=post["fields"], files={"file": b"hello"}, timeout=10)
    assert done.status_code in (200, 204)
    assert s3.get_object(Bucket=s3_bucket, Key="uploads/ok.txt")["Body"].read() == b"hello"
    forged = dict(post["fields"], signature="AAAA" + post["fields"].get("signature", "")[4:])
    assert requests.post(post["url"], data=forged, files={"file": b"x"}, timeout=10).status_code == 403
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert "evil.txt" not in keys


def test_strict_mode_refuses_unknown_keys(tmp_path):
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig
    from tests.helpers.cloud import free_port

    config = SandboxConfig(state_dir=tmp_path / "state", port=free_port())
    cloud_control.up(config, extra_env={"SANDBOX_STRICT_AUTH": "1"})
    try:
        with pytest.raises(ClientError) as caught:
            client(config.endpoint_url, "s3", "AKIAEXAMPLEUNKNOWN01", "x").list_buckets()
        assert caught.value.response["Error"]["Code"] == "InvalidAccessKeyId"
        with pytest.raises(ClientError) as caught:
            client(config.endpoint_url, "glue", "AKIAEXAMPLEUNKNOWN01", "x").get_databases()
        assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
        client(config.endpoint_url, "s3").list_buckets()  # the default keys still work
    finally:
        cloud_control.down(config)
