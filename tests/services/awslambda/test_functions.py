"""Lambda runs Python handlers locally: results, errors, timeouts, logs, boto3 inside, safe zips."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from tests.helpers.awslambda import ROLE, create, package, wait_for


def test_invoke_returns_the_handler_result(aws, unique_name):
    lam = aws.client("lambda")
    create(lam, unique_name, "import os\n"
                             "def handler(event, context):\n"
                             "    return {'sum': event['a'] + event['b'], 'name': context.function_name,\n"
                             "            'arn': context.invoked_function_arn, 'memory': context.memory_limit_in_mb,\n"
                             "            'remaining': context.get_remaining_time_in_millis(),\n"
                             "            'group': context.log_group_name, 'request': context.aws_request_id,\n"
                             "            'region': os.environ['AWS_REGION'], 'env': os.environ['STAGE'],\n"
                             "            'fn_env': os.environ['AWS_LAMBDA_FUNCTION_NAME']}\n",
           MemorySize=256, Timeout=5, Environment={"Variables": {"STAGE": "test"}})
    started = time.monotonic()
    response = lam.invoke(FunctionName=unique_name, Payload=json.dumps({"a": 2, "b": 3}))
    assert time.monotonic() - started < 2
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    result = json.loads(response["Payload"].read())
    assert result["sum"] == 5 and result["name"] == unique_name and result["memory"] == "256"
    assert result["arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{unique_name}"
    assert 0 < result["remaining"] <= 5000
    assert result["group"] == f"/aws/lambda/{unique_name}" and len(result["request"]) == 36
    assert (result["region"], result["env"], result["fn_env"]) == ("us-east-1", "test", unique_name)


def test_handler_in_a_package_with_a_none_result(aws, unique_name):
    lam = aws.client("lambda")
    create(lam, unique_name, {"pkg/__init__.py": "", "pkg/jobs/__init__.py": "",
                              "pkg/jobs/main.py": "def run(event, context):\n    return None\n"},
           handler="pkg/jobs/main.run")
    response = lam.invoke(FunctionName=unique_name)
    assert response["Payload"].read() == b"null"


def test_exception_is_an_unhandled_function_error(aws, unique_name):
    lam = aws.client("lambda")
    create(lam, unique_name, "def handler(event, context):\n    raise ValueError('bad record ' + str(event['id']))\n")
    response = lam.invoke(FunctionName=unique_name, Payload=b'{"id": 7}')
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "bad record 7"
    assert len(error["requestId"]) == 36
    assert any("app.py" in frame and "handler" in frame for frame in error["stackTrace"])
    assert not any("bootstrap" in frame for frame in error["stackTrace"])


@pytest.mark.parametrize("handler, error_type", [
    ("missing.handler", "Runtime.ImportModuleError"),
    ("app.nothing_here", "Runtime.HandlerNotFound"),
])
def test_missing_module_or_function(aws, unique_name, handler, error_type):
    lam = aws.client("lambda")
    create(lam, unique_name, "def handler(event, context):\n    return 1\n", handler=handler)
    response = lam.invoke(FunctionName=unique_name)
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == error_type


def test_timeout_kills_the_handler(aws, unique_name):
    lam = aws.client("lambda")
    create(lam, unique_name, "import time\ndef handler(event, context):\n    time.sleep(30)\n", Timeout=1)
    started = time.monotonic()
    response = lam.invoke(FunctionName=unique_name, LogType="Tail")
    assert time.monotonic() - started < 3
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()


def test_log_tail_and_cloudwatch_logs(aws, unique_name):
    lam, logs = aws.client("lambda"), aws.client("logs")
    create(lam, unique_name, "import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n"
                             "def handler(event, context):\n    print('hello from print')\n"
                             "    logger.info('hello from logging')\n    return 'ok'\n")
    response = lam.invoke(FunctionName=unique_name, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.startswith("START RequestId: ") and "Version: $LATEST" in tail
    assert "hello from print" in tail and "[INFO]" in tail and "hello from logging" in tail
    assert "\nEND RequestId: " in tail and "\nREPORT RequestId: " in tail and "Duration: " in tail
    assert "LogResult" not in lam.invoke(FunctionName=unique_name)  # only with LogType Tail
    group = f"/aws/lambda/{unique_name}"
    events = wait_for(lambda: logs.filter_log_events(logGroupName=group).get("events"))
    messages = [e["message"] for e in events]
    assert any("hello from print" in m for m in messages) and any(m.startswith("REPORT") for m in messages)
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    assert "[$LATEST]" in stream


def test_boto3_inside_the_handler_writes_to_the_sandbox(aws, unique_name, s3_bucket):
    lam, s3 = aws.client("lambda"), aws.client("s3")
    create(lam, unique_name, "import boto3, json\n"
                             "def handler(event, context):\n"
                             "    boto3.client('s3').put_object(Bucket=event['bucket'], Key='out/result.json',\n"
                             "                                  Body=json.dumps({'from': context.function_name}))\n"
                             "    return 'written'\n", Timeout=10)
    response = lam.invoke(FunctionName=unique_name, Payload=json.dumps({"bucket": s3_bucket}))
    assert json.loads(response["Payload"].read()) == "written", response
    body = json.loads(s3.get_object(Bucket=s3_bucket, Key="out/result.json")["Body"].read())
    assert body == {"from": unique_name}


def test_code_from_s3_and_a_published_version(aws, unique_name, s3_bucket):
    lam, s3 = aws.client("lambda"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="code.zip", Body=package({"app.py": "def handler(e, c):\n    return 'v1'\n"}))
    lam.create_function(FunctionName=unique_name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"S3Bucket": s3_bucket, "S3Key": "code.zip"}, Publish=True)
    assert json.loads(lam.invoke(FunctionName=unique_name)["Payload"].read()) == "v1"
    response = lam.invoke(FunctionName=unique_name, Qualifier="1")
    assert response["ExecutedVersion"] == "1" and json.loads(response["Payload"].read()) == "v1"


def test_event_and_dry_run_invocations(aws, unique_name, s3_bucket):
    lam, s3 = aws.client("lambda"), aws.client("s3")
    create(lam, unique_name, "import boto3\ndef handler(event, context):\n"
                             "    boto3.client('s3').put_object(Bucket=event['bucket'], Key='async', Body=b'x')\n")
    assert lam.invoke(FunctionName=unique_name, InvocationType="DryRun")["StatusCode"] == 204
    response = lam.invoke(FunctionName=unique_name, InvocationType="Event", Payload=json.dumps({"bucket": s3_bucket}))
    assert response["StatusCode"] == 202
    wait_for(lambda: s3.list_objects_v2(Bucket=s3_bucket).get("KeyCount"))


def test_unknown_function_and_bad_payload(aws, unique_name):
    lam = aws.client("lambda")
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="no-such-function")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    create(lam, unique_name, "def handler(e, c):\n    return 1\n")
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=unique_name, Payload=b"{not json")
    assert exc.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_non_python_runtime_names_what_is_supported(aws, unique_name):
    lam = aws.client("lambda")
    create(lam, unique_name, {"index.js": "exports.handler = async () => 1;"}, handler="index.handler",
           Runtime="nodejs20.x")
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=unique_name)
    assert exc.value.response["Error"]["Code"] == "InvalidRuntimeException"
    assert "python3.12" in exc.value.response["Error"]["Message"]


@pytest.mark.parametrize("member", ["../escape.py", "/etc/evil.py", "a/../../evil.py"])
def test_unsafe_zip_is_refused(aws, unique_name, member):
    lam = aws.client("lambda")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
        archive.writestr(zipfile.ZipInfo(member), "print('escaped')\n")
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName=unique_name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": buf.getvalue()})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=unique_name)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_layer_is_on_the_path(aws, unique_name):
    lam = aws.client("lambda")
    layer = lam.publish_layer_version(LayerName=unique_name, Content={"ZipFile": package(
        {"python/shared_helpers.py": "def greet(name):\n    return 'hi ' + name\n"})},
        CompatibleRuntimes=["python3.12"])
    create(lam, unique_name, "from shared_helpers import greet\ndef handler(e, c):\n    return greet('layer')\n",
           Layers=[layer["LayerVersionArn"]])
    assert json.loads(lam.invoke(FunctionName=unique_name)["Payload"].read()) == "hi layer"


def test_unsafe_layer_is_refused(aws, unique_name):
    lam = aws.client("lambda")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo("python/../../escape.py"), "x = 1\n")
    with pytest.raises(ClientError) as exc:
        lam.publish_layer_version(LayerName=unique_name, Content={"ZipFile": buf.getvalue()})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"


@pytest.mark.slow
def test_handler_calling_back_while_snapshots_run_does_not_deadlock(aws, unique_name, s3_bucket):
    """Each write marks the state dirty, so snapshots (exclusive lock) keep wanting to run during the invoke."""
    lam = aws.client("lambda")
    create(lam, unique_name, "import boto3, time\n"
                             "def handler(event, context):\n"
                             "    s3 = boto3.client('s3')\n"
                             "    deadline = time.time() + 2.5\n"
                             "    n = 0\n"
                             "    while time.time() < deadline:\n"
                             "        s3.put_object(Bucket=event['bucket'], Key=f'k{n}', Body=b'x')\n"
                             "        n += 1\n"
                             "        time.sleep(0.05)\n"
                             "    return n\n", Timeout=8)
    response = lam.invoke(FunctionName=unique_name, Payload=json.dumps({"bucket": s3_bucket}))
    assert "FunctionError" not in response, response["Payload"].read()
    assert json.loads(response["Payload"].read()) > 10
