"""A bounded, seeded fuzz run over every protocol: malformed bodies, headers and names.

Loopback only, a fixed number of requests. Every answer must be an AWS error of the 4xx family (or a
success), never a 5xx; the server must still answer afterwards; and no file outside the state folder
may change (a sentinel folder that the names try to reach stays as it was).
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
import requests

from tests.helpers.signed_http import send

SEED = 20261203
REQUESTS_PER_PROTOCOL = 400

JSON_TARGETS = [
    ("glue", "AWSGlue", ["CreateJob", "GetJobBookmark", "ResetJobBookmark", "CreateDatabase", "GetTables",
                         "CreateCrawler", "StartJobRun", "GetJobs", "CreateTable"]),
    ("sagemaker", "SageMaker", ["CreateTrainingJob", "DescribeTrainingJob", "CreateEndpoint", "ListModels",
                                "CreateProcessingJob", "CreateModel"]),
    ("athena", "AmazonAthena", ["StartQueryExecution", "GetQueryResults", "CreateWorkGroup"]),
    ("kinesis", "Kinesis_20131202", ["CreateStream", "PutRecord", "GetShardIterator"]),
    ("firehose", "Firehose_20150804", ["CreateDeliveryStream", "PutRecordBatch"]),
    ("redshift-data", "RedshiftData", ["ExecuteStatement", "DescribeStatement", "GetStatementResult"]),
    ("states", "AWSStepFunctions", ["CreateStateMachine", "StartExecution"]),
    ("dynamodb", "DynamoDB_20120810", ["CreateTable", "PutItem", "Query"]),
]
QUERY_ACTIONS = [("iam", "2010-05-08", ["CreateRole", "CreateUser", "CreateAccessKey", "GetRole"]),
                 ("sts", "2011-06-15", ["AssumeRole", "GetCallerIdentity"]),
                 ("sns", "2010-03-31", ["CreateTopic", "Publish"]),
                 ("redshift", "2012-12-01", ["CreateCluster", "DescribeClusters"])]
REST_PATHS = [("lambda", "POST", "/2015-03-31/functions"), ("lambda", "POST", "/2015-03-31/functions/{name}/invocations"),
              ("lambda", "GET", "/2015-03-31/functions/{name}"), ("batch", "POST", "/v1/submitjob"),
              ("emr-serverless", "POST", "/applications"), ("sagemaker", "POST", "/endpoints/{name}/invocations")]
S3_SUBRESOURCES = ["", "tagging", "delete", "lifecycle", "cors", "policy", "versioning", "acl", "uploads",
                   "encryption", "notification", "select&select-type=2", "website", "replication"]


def _names(rng: random.Random, sentinel: Path) -> str:
    return rng.choice([
        "../" * rng.randint(1, 12) + str(sentinel).lstrip("/") + "/victim",
        "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40))),
        "x" * rng.randint(200, 3000), "..", ".", "", "%00", "\u202e\u0000evil", "日本語", "a" * 64,
        str(sentinel / "victim"), "NUL", "con", "-", "--", "valid-name-1",
    ])


def _value(rng: random.Random, sentinel: Path, depth: int = 0):
    kind = rng.randint(0, 9 if depth < 3 else 5)
    if kind <= 2:
        return _names(rng, sentinel)
    if kind == 3:
        return rng.choice([0, -1, 2**63, 1.5, -1e308, True, False, None])
    if kind == 4:
        return rng.choice([[], {}, [None], {"": None}])
    if kind == 5:
        return rng.choice(["s3://" + _names(rng, sentinel), "arn:aws:iam::123456789012:role/" + _names(rng, sentinel)])
    if kind <= 7:
        return {rng.choice(["Name", "JobName", "Role", "Command", "Tags", "Sql", "StreamName", "Database",
                            "TrainingJobName", "ScriptLocation", "ClusterIdentifier", "Key", "X"]):
                _value(rng, sentinel, depth + 1) for _ in range(rng.randint(1, 5))}
    return [_value(rng, sentinel, depth + 1) for _ in range(rng.randint(0, 4))]


def _body(rng: random.Random, sentinel: Path) -> bytes:
    choice = rng.randint(0, 7)
    if choice == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
    if choice == 1:
        text = json.dumps(_value(rng, sentinel))
        return text[: rng.randint(0, len(text))].encode()
    if choice == 2:
        return ("[" * rng.randint(50, 5000)).encode()
    if choice == 3:
        return b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY b SYSTEM 'file:///etc/passwd'>]><a>&b;</a>"
    if choice == 4:
        return "".join(rng.choice("<>/=\"' abc") for _ in range(rng.randint(0, 100))).encode()
    return json.dumps(_value(rng, sentinel), default=str).encode()


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    folder = tmp_path / "sentinel"
    folder.mkdir()
    (folder / "victim.json").write_text("{}")
    (folder / "victim").write_text("do not touch")
    return folder


def _state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.parent.rglob("*")}


@pytest.mark.slow
def test_fuzzed_requests_get_4xx_and_touch_nothing_outside(endpoint, sentinel):
    rng = random.Random(SEED)
    before = _state(sentinel)
    failures: list[str] = []

    def record(label: str, response: requests.Response) -> None:
        if response.status_code >= 500:
            failures.append(f"{label} -> {response.status_code} {response.text[:200]}")

    for _ in range(REQUESTS_PER_PROTOCOL):
        service, prefix, operations = rng.choice(JSON_TARGETS)
        headers = {"X-Amz-Target": f"{prefix}.{rng.choice(operations)}",
                   "Content-Type": rng.choice(["application/x-amz-json-1.1", "application/x-amz-json-1.0",
                                               "text/plain", "application/json", ""])}
        record(headers["X-Amz-Target"], send(endpoint, "POST", "/", _body(rng, sentinel), headers, service=service))
    for _ in range(REQUESTS_PER_PROTOCOL):
        service, version, actions = rng.choice(QUERY_ACTIONS)
        fields = {"Action": rng.choice(actions), "Version": version}
        for name in rng.sample(["RoleName", "UserName", "Name", "ClusterIdentifier", "NodeType", "Message",
                                "TopicArn", "RoleArn", "RoleSessionName", "MasterUsername",
                                "AssumeRolePolicyDocument", "Tags.member.1.Key", "DurationSeconds"],
                               rng.randint(0, 5)):
            fields[name] = _names(rng, sentinel)
        from urllib.parse import urlencode

        body = urlencode(fields).encode() if rng.random() < 0.8 else _body(rng, sentinel)
        record(f"{service}:{fields['Action']}", send(endpoint, "POST", "/", body,
                                                      {"Content-Type": "application/x-www-form-urlencoded"},
                                                      service=service))
    for _ in range(REQUESTS_PER_PROTOCOL):
        service, method, path = rng.choice(REST_PATHS)
        from urllib.parse import quote

        path = path.replace("{name}", quote(_names(rng, sentinel), safe=""))
        record(f"{service} {method} {path[:60]}", send(endpoint, method, path, _body(rng, sentinel),
                                                       {"Content-Type": "application/json"}, service=service))
    for _ in range(REQUESTS_PER_PROTOCOL):
        from urllib.parse import quote

        bucket = rng.choice(["fuzz-bucket", "fuzz-bucket", _names(rng, sentinel)[:70]])
        key = quote(_names(rng, sentinel), safe="/")
        subresource = rng.choice(S3_SUBRESOURCES)
        method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
        path = f"/{quote(bucket, safe='')}/{key}" + (f"?{subresource}" if subresource else "")
        record(f"s3 {method} {path[:60]}", send(endpoint, method, path, _body(rng, sentinel), service="s3"))
    assert requests.get(endpoint + "/_sandbox/health", timeout=10).status_code == 200
    assert _state(sentinel) == before, "a file outside the state folder changed"
    assert not failures, f"{len(failures)} requests got a 5xx:\n" + "\n".join(failures[:20])
