"""``moto_coupling.Request``: the request as plain values, decoded per protocol as moto's ``_get_param`` did.

boto3 calls go through moto in process (``mock_aws``); a stand-in for one operation keeps the response
object, builds the ``Request`` a handler would receive, and refuses the call. Each parameter must read the
same through ``request.get`` as through moto's ``_get_param`` (same value, same type), and list members of
the query protocol (IAM, Redshift) must arrive as lists.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from emulators.core import moto_coupling


@contextmanager
def captured(service: str, response_class: str, operation: str) -> Iterator[list[tuple[Any, Any]]]:
    """(Request, moto's response object) of each call of ``operation`` while inside."""
    cls = getattr(importlib.import_module(f"moto.{service}.responses"), response_class)
    had = operation in vars(cls)
    original = vars(cls).get(operation)
    seen: list[tuple[Any, Any]] = []

    def method(self: Any) -> Any:
        seen.append((moto_coupling.request_of(self), self))
        raise moto_coupling.AwsError("ValidationException", "captured")

    setattr(cls, operation, method)
    try:
        yield seen
    finally:
        if had:
            setattr(cls, operation, original)
        else:
            delattr(cls, operation)


def _call(call: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError, match="captured"):
        call(**kwargs)


def _same_as_moto(request: Any, response: Any, names: list[str]) -> None:
    for name in names:
        ours, moto_value = request.get(name), response._get_param(name)
        assert ours == moto_value and type(ours) is type(moto_value), name
    assert request.get("NoSuchMember", "fallback") == response._get_param("NoSuchMember", "fallback") == "fallback"


@pytest.fixture
def aws(monkeypatch):
    import os

    # another test in this worker may have pointed the process at a live sandbox (sagemaker_session() does,
    # as documented): these clients must reach moto in process
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(key)
    with mock_aws():
        yield lambda service: boto3.client(service, region_name="eu-west-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                           aws_secret_access_key="secret")


def test_json_protocol_params_are_the_body(aws):
    with captured("glue", "GlueResponse", "get_tables") as seen:
        _call(aws("glue").get_tables, DatabaseName="db", Expression="sales_*", MaxResults=5, NextToken="abc")
    (request, response), = seen
    assert dict(request.params) == {"DatabaseName": "db", "Expression": "sales_*", "MaxResults": 5, "NextToken": "abc"}
    assert (request.account_id, request.region, request.partition) == ("123456789012", "eu-west-1", "aws")
    assert request.get_int("MaxResults") == 5 and request.get_int("Missing") is None
    _same_as_moto(request, response, ["DatabaseName", "Expression", "MaxResults", "NextToken", "CatalogId"])


def test_json_blobs_stay_base64_text_as_moto_handed_them_on(aws):
    with captured("kinesis", "KinesisResponse", "put_record") as seen:
        _call(aws("kinesis").put_record, StreamName="s", Data=b"\x00payload", PartitionKey="p")
    (request, response), = seen
    assert request.get("Data") == base64.b64encode(b"\x00payload").decode()
    _same_as_moto(request, response, ["StreamName", "Data", "PartitionKey", "ExplicitHashKey"])


def test_query_protocol_list_members_are_lists(aws):
    with captured("iam", "IamResponse", "simulate_custom_policy") as seen:
        _call(aws("iam").simulate_custom_policy, PolicyInputList=['{"Version": "2012-10-17"}'],
              ActionNames=["s3:GetObject", "s3:PutObject"], MaxItems=7)
    (request, response), = seen
    assert request.get("ActionNames") == ["s3:GetObject", "s3:PutObject"]
    assert request.get("PolicyInputList") == ['{"Version": "2012-10-17"}']
    assert request.get_int("MaxItems") == 7
    _same_as_moto(request, response, ["ActionNames", "PolicyInputList", "MaxItems", "ResourceArns"])

    with captured("redshift", "RedshiftResponse", "describe_clusters") as seen:
        _call(aws("redshift").describe_clusters, TagKeys=["team", "env"], MaxRecords=20)
    (request, response), = seen
    assert request.get("TagKeys") == ["team", "env"] and request.get_int("MaxRecords") == 20
    _same_as_moto(request, response, ["TagKeys", "MaxRecords", "ClusterIdentifier"])


def test_rest_json_members_come_from_their_locations_and_the_payload_stays_the_body(aws):
    event = {"Qualifier": "not-a-parameter", "n": 1}
    with captured("awslambda", "LambdaResponse", "invoke") as seen:
        _call(aws("lambda").invoke, FunctionName="fn", Qualifier="3", InvocationType="Event",
              Payload=json.dumps(event).encode())
    (request, _), = seen
    assert dict(request.params) == {"FunctionName": "fn", "Qualifier": "3", "InvocationType": "Event"}
    assert json.loads(request.body) == event
    assert request.query == {"Qualifier": ["3"]} and request.path.endswith("/functions/fn/invocations")
    assert request.headers.get("X-Amz-Invocation-Type") == "Event" and request.method == "POST"


def test_bool_and_int_read_as_moto_read_them():
    request = moto_coupling.Request(params={"on": "TRUE", "off": False, "other": "yes", "n": "12", "none": None})
    assert (request.get_bool("on"), request.get_bool("off"), request.get_bool("other", "d")) == (True, False, "d")
    assert request.get_bool("missing") is None and request.get_bool("none", True) is True
    assert request.get_int("n") == 12 and request.get_int("none", 3) == 3
    assert request.get("none", "d") is None  # an explicit null is not a missing parameter
    with pytest.raises(ValueError):
        request.get_int("other")
