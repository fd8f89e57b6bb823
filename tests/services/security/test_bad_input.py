"""Bad input gets the protocol's AWS error (4xx), never a 200 or a 500, and the server stays up.

Each case is one finding of the security review, reproduced as a request.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.signed_http import error_code, json_call, send


def test_malformed_json_is_a_serialization_exception(endpoint):
    lam = send(endpoint, "POST", "/2015-03-31/functions", b"{not json", {"Content-Type": "application/json"},
               service="lambda")
    assert lam.status_code == 400 and error_code(lam) == "SerializationException"
    glue = json_call(endpoint, "glue", "AWSGlue.GetJobs", b"{not json")
    assert glue.status_code == 400 and error_code(glue) == "SerializationException"


def test_a_body_that_is_not_utf8_is_refused(endpoint):
    response = json_call(endpoint, "sagemaker", "SageMaker.ListTrainingJobs", b"\xff\xfe\x00{")
    assert response.status_code == 400 and error_code(response) == "SerializationException"


def test_wrong_member_types_are_refused(endpoint):
    response = json_call(endpoint, "redshift-data", "RedshiftData.ExecuteStatement",
                         json.dumps({"Sql": 123, "ClusterIdentifier": ["x"], "Database": "dev"}))
    assert response.status_code == 400 and error_code(response) == "SerializationException"


def test_unknown_operations_are_refused(endpoint):
    response = json_call(endpoint, "glue", "AWSGlue.DropEverything", b"{}")
    assert response.status_code == 400 and error_code(response) == "UnknownOperationException"


@pytest.mark.parametrize("subresource,method,body", [
    ("tagging", "PUT", b"<Tagging><TagSet><Tag>"),
    ("delete", "POST", b"<<<"),
    ("lifecycle", "PUT", b"not xml"),
    ("tagging", "PUT", b""),
])
def test_malformed_xml_is_refused(endpoint, s3_bucket, subresource, method, body):
    response = send(endpoint, method, f"/{s3_bucket}?{subresource}", body, service="s3")
    assert response.status_code == 400 and error_code(response) == "MalformedXML"


def test_a_negative_content_length_stores_nothing(aws, endpoint, s3_bucket):
    import socket
    from urllib.parse import urlsplit

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="PUT", url=f"{endpoint}/{s3_bucket}/negative", data=b"",
                         headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    parts = urlsplit(endpoint)
    lines = [f"PUT /{s3_bucket}/negative HTTP/1.1", f"Host: {parts.netloc}", "Content-Length: -5",
             "Connection: close"] + [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = sock.recv(4096).decode(errors="replace")
    assert answer.split()[1].startswith("4")
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert "negative" not in keys


def test_keys_that_are_not_utf8_or_too_long_are_refused(endpoint, s3_bucket):
    long_key = send(endpoint, "PUT", f"/{s3_bucket}/{'k' * 1100}", b"x", service="s3")
    assert long_key.status_code == 400 and error_code(long_key) == "KeyTooLongError"
