"""Lambda's configuration rules and qualified invocations as the Lambda developer guide states them:
"Configure Lambda function timeout" (1 to 900 seconds), "Configure Lambda function memory" (128 to 10,240 MB),
"Working with Lambda environment variables" (the keys of the defined runtime environment variables are
reserved), "Lambda runtimes" (deprecated runtimes can no longer be created), "Lambda function aliases" and
"Define Lambda function handler in Python" (the context's invoked_function_arn is the ARN that was invoked)."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.helpers.awslambda import create, package, wait_for
from tests.services.awslambda.conftest import TRUST

SOURCE = "def handler(event, context):\n    return {'arn': context.invoked_function_arn}\n"


@pytest.mark.parametrize("kwargs,code", [
    ({"Timeout": 901}, "ValidationException"),
    ({"MemorySize": 10241}, "ValidationException"),
    ({"Runtime": "python3.7"}, "InvalidParameterValueException"),
    ({"Environment": {"Variables": {"AWS_REGION": "eu-west-1", "STAGE": "dev"}}}, "InvalidParameterValueException"),
    ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException"),
    ({"Environment": {"Variables": {"1BAD-NAME": "x"}}}, "ValidationException"),
])
def test_create_and_update_refuse_what_aws_refuses(aws, unique_name, kwargs, code):
    lam = aws.client("lambda")
    with pytest.raises(ClientError) as exc:
        create(lam, unique_name, SOURCE, **dict(kwargs))
    assert exc.value.response["Error"]["Code"] == code
    create(lam, unique_name, SOURCE)
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=unique_name, **kwargs)
    assert exc.value.response["Error"]["Code"] == code
    assert lam.get_function_configuration(FunctionName=unique_name)["Timeout"] == 3


def test_alias_arn_is_the_invoked_function_arn(aws, unique_name):
    lam = aws.client("lambda")
    create(lam, unique_name, SOURCE, Timeout=900, MemorySize=10240)
    lam.publish_version(FunctionName=unique_name)
    alias = lam.create_alias(FunctionName=unique_name, Name="live", FunctionVersion="1")["AliasArn"]
    for name, qualifier in ((alias, None), (f"{unique_name}:live", None), (unique_name, "live")):
        kwargs = {"Qualifier": qualifier} if qualifier else {}
        response = lam.invoke(FunctionName=name, Payload=b"{}", **kwargs)
        assert response["ExecutedVersion"] == "1"
        assert json.loads(response["Payload"].read()) == {"arn": alias}


@pytest.mark.slow
def test_alias_of_a_function_created_after_a_restart(restart_cloud):
    """A restart used to leave moto's alias index a plain dict: CreateAlias then answered a 500."""
    iam, suffix = restart_cloud.client("iam"), uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"alias-{suffix}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = restart_cloud.client("lambda")
    code = {"ZipFile": package({"app.py": SOURCE})}
    lam.create_function(FunctionName=f"before-{suffix}", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code=code)
    restart_cloud.restart()
    lam = restart_cloud.client("lambda")
    for name in (f"before-{suffix}", f"after-{suffix}"):
        if name.startswith("after"):
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code=code)
        version = lam.publish_version(FunctionName=name)["Version"]
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
        assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]


def test_async_retries_and_destinations(aws, unique_name):
    """"Configuring error handling for asynchronous invocation" and "Capturing records of Lambda asynchronous
    invocations": MaximumRetryAttempts, then the invocation record on the OnSuccess / OnFailure queue."""
    lam, sqs = aws.client("lambda"), aws.client("sqs")
    queues = {}
    for kind in ("ok", "failed"):
        url = sqs.create_queue(QueueName=f"{unique_name}-{kind}")["QueueUrl"]
        queues[kind] = (url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"])
    create(lam, unique_name, "def handler(event, context):\n    if event.get('fail'):\n"
                             "        raise ValueError('rejected')\n    return {'seen': event}\n")
    lam.put_function_event_invoke_config(FunctionName=unique_name, MaximumRetryAttempts=1, DestinationConfig={
        "OnSuccess": {"Destination": queues["ok"][1]}, "OnFailure": {"Destination": queues["failed"][1]}})
    assert lam.invoke(FunctionName=unique_name, InvocationType="Event", Payload=b'{"n": 1}')["StatusCode"] == 202
    lam.invoke(FunctionName=unique_name, InvocationType="Event", Payload=b'{"fail": true}')
    records = {}
    for kind, (url, _) in queues.items():
        def arrived(url=url, kind=kind):
            messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
            if messages:
                records[kind] = json.loads(messages[0]["Body"])
            return bool(messages)
        wait_for(arrived)
    ok, failed = records["ok"], records["failed"]
    assert ok["requestContext"]["condition"] == "Success" and ok["requestContext"]["approximateInvokeCount"] == 1
    assert ok["requestPayload"] == {"n": 1} and ok["responsePayload"] == {"seen": {"n": 1}}
    assert failed["requestContext"]["condition"] == "RetriesExhausted"
    assert failed["requestContext"]["approximateInvokeCount"] == 2  # the first attempt and one retry
    assert failed["responseContext"]["functionError"] == "Unhandled"
    assert failed["responsePayload"]["errorType"] == "ValueError"


def test_request_payload_quota(aws, unique_name):
    """"Lambda quotas": 6 MB for a synchronous invocation's request, 1 MB for an asynchronous one; Invoke's
    RequestTooLargeException (413) beyond them."""
    lam = aws.client("lambda")
    create(lam, unique_name, SOURCE)
    for invocation_type, size in (("RequestResponse", 6 * 1024 * 1024), ("Event", 1024 * 1024)):
        with pytest.raises(ClientError) as exc:
            lam.invoke(FunctionName=unique_name, InvocationType=invocation_type,
                       Payload=json.dumps({"data": "x" * size}).encode())
        assert exc.value.response["Error"]["Code"] == "RequestTooLargeException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_versions_of_an_unknown_function(aws, unique_name):
    with pytest.raises(ClientError) as exc:
        aws.client("lambda").list_versions_by_function(FunctionName=unique_name)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
