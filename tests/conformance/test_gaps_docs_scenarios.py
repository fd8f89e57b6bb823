"""Scenarios from AWS's public pages for gaps other sessions found: Lambda stream windows and record ages,
Lambda error stack traces, AWS Batch name rules and the Content-Type of JSON-protocol answers.

Every test names the AWS page it follows. They share the session's sandbox and one bucket, and run no
Spark job and no training.
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.helpers.awslambda import package, wait_for

from .response_shapes import checked_responses  # noqa: F401  (autouse)


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"Service": "lambda.amazonaws.com"}}]}


def _code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def bucket(aws):
    name = f"gaps-{uuid.uuid4().hex[:8]}"
    aws.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def role(aws):
    iam = aws.client("iam")
    return iam.create_role(RoleName=f"gaps-lambda-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"]["Arn"]


def test_json_protocol_answers_carry_the_models_content_type(aws):
    """AWS's JSON protocols (botocore ``protocol``/``jsonVersion`` of each service-2.json, "Amazon EventBridge
    API Reference: Making API requests"): a JSON-protocol answer is ``application/x-amz-json-1.1`` (1.0 for
    DynamoDB-style services), a REST-JSON one ``application/json``; XML services keep XML."""
    seen: dict[str, str] = {}

    def record(http_response, model, **_):
        seen[f"{model.service_model.service_name}.{model.name}"] = http_response.headers.get("Content-Type", "")

    calls = {"events": [("list_event_buses", {}), ("put_events", {"Entries": [
                {"Source": "gaps.test", "DetailType": "probe", "Detail": "{}"}]})],
             "logs": [("describe_log_groups", {})], "kms": [("list_keys", {})],
             "secretsmanager": [("list_secrets", {})], "dynamodb": [("list_tables", {})],
             "lambda": [("list_functions", {})], "batch": [("describe_job_queues", {})],
             "sts": [("get_caller_identity", {})], "s3": [("list_buckets", {})]}
    for service, operations in calls.items():
        client = aws.client(service)
        client.meta.events.register("after-call", record)
        for operation, kwargs in operations:
            getattr(client, operation)(**kwargs)
        version = client.meta.service_model.metadata.get("jsonVersion")
        protocol = client.meta.service_model.protocol
        for operation, _ in operations:
            answered = seen[f"{service}.{client.meta.method_to_api_mapping[operation]}"]
            if protocol == "json":
                assert answered == f"application/x-amz-json-{version}", (service, operation, answered)
            elif protocol == "rest-json":
                assert answered.startswith("application/json"), (service, operation, answered)
            else:
                assert "xml" in answered, (service, operation, answered)
    # an error answer of a JSON-protocol service too
    events = aws.client("events")
    with pytest.raises(ClientError) as excinfo:
        events.describe_rule(Name="no-such-rule-gaps")
    assert _code(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    dynamodb = aws.client("dynamodb")  # jsonVersion 1.0: a service error and a refused request
    for table in ("no-such-table-gaps", "ab"):
        with pytest.raises(ClientError) as excinfo:
            dynamodb.describe_table(TableName=table)
        assert _code(excinfo) in ("ResourceNotFoundException", "ValidationException")
        assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == \
            "application/x-amz-json-1.0", table


def test_batch_names_follow_awss_rules(aws):
    """AWS Batch API Reference, SubmitJob ``jobName`` ("up to 128 characters ... The first character must be
    alphanumeric") and CreateComputeEnvironment / CreateJobQueue / RegisterJobDefinition names ("up to 128
    characters ... letters, numbers, hyphens (-), and underscores (_)")."""
    batch = aws.client("batch")
    env = batch.create_compute_environment(computeEnvironmentName="e", type="UNMANAGED")["computeEnvironmentArn"]
    queue = batch.create_job_queue(jobQueueName="q", state="ENABLED", priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])["jobQueueArn"]
    definition = batch.register_job_definition(
        jobDefinitionName="d", type="container",
        containerProperties={"image": "python:3.12-slim", "command": ["python", "-c", "print('one')"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "512"}]})
    assert definition["jobDefinitionName"] == "d"
    job = batch.submit_job(jobName="j", jobQueue=queue, jobDefinition=definition["jobDefinitionArn"])
    assert job["jobName"] == "j"
    longest = "J" + "-_9" * 42 + "x"  # 128 characters
    assert batch.submit_job(jobName=longest, jobQueue=queue,
                            jobDefinition=definition["jobDefinitionArn"])["jobName"] == longest
    assert batch.create_compute_environment(computeEnvironmentName="_env-", type="UNMANAGED")[
        "computeEnvironmentName"] == "_env-"
    bad = [("submit_job", {"jobName": "-starts-with-hyphen", "jobQueue": queue,
                           "jobDefinition": definition["jobDefinitionArn"]}),
           ("submit_job", {"jobName": longest + "x", "jobQueue": queue,
                           "jobDefinition": definition["jobDefinitionArn"]}),
           ("submit_job", {"jobName": "has space", "jobQueue": queue, "jobDefinition": definition["jobDefinitionArn"]}),
           ("create_compute_environment", {"computeEnvironmentName": "bad.name", "type": "UNMANAGED"}),
           ("create_job_queue", {"jobQueueName": "bad/queue", "state": "ENABLED", "priority": 1,
                                 "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": env}]}),
           ("register_job_definition", {"jobDefinitionName": "x" * 129, "type": "container",
                                        "containerProperties": {"image": "python:3.12-slim"}})]
    for operation, kwargs in bad:
        with pytest.raises(ClientError) as excinfo:
            getattr(batch, operation)(**kwargs)
        assert _code(excinfo) == "ClientException", operation
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


FAILING_HANDLER = '''import helper


def lambda_handler(event, context):
    return helper.divide(event["a"], event["b"])
'''

HELPER = '''import json


def divide(a, b):
    if isinstance(b, str):
        return json.loads(b)
    return a / b
'''


def test_lambda_error_stack_trace_shows_var_task(aws, role):
    """Lambda Developer Guide, "AWS Lambda function errors in Python": the invoke response's ``stackTrace``
    and the log show the handler's frames under ``/var/task``, with their line numbers, and no runtime frames."""
    lam, logs = aws.client("lambda"), aws.client("logs")
    name = f"gaps-trace-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="lambda_function.lambda_handler",
                        Code={"ZipFile": package({"lambda_function.py": FAILING_HANDLER, "helper.py": HELPER})})
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"a": 1, "b": 0}))
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ZeroDivisionError"
    assert error["errorMessage"] == "division by zero"
    trace = error["stackTrace"]
    assert len(trace) == 2, trace
    assert trace[0].startswith('  File "/var/task/lambda_function.py", line 5, in lambda_handler\n')
    assert 'return helper.divide(event["a"], event["b"])' in trace[0]
    assert trace[1].startswith('  File "/var/task/helper.py", line 7, in divide\n')
    # a library frame shows the runtime's path of that library, not the host's
    error = json.loads(lam.invoke(FunctionName=name, Payload=json.dumps({"a": 1, "b": "{"}))["Payload"].read())
    assert error["errorType"] == "JSONDecodeError"
    assert error["stackTrace"][1].startswith('  File "/var/task/helper.py", line 6, in divide\n')
    assert all(frame.startswith(('  File "/var/task/', '  File "/var/lang/lib/python3.12/json/'))
               for frame in error["stackTrace"]), error["stackTrace"]
    broken = f"gaps-syntax-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=broken, Runtime="python3.12", Role=role, Handler="lambda_function.lambda_handler",
                        Code={"ZipFile": package({"lambda_function.py": "def lambda_handler(event, context):\n"
                                                                        "    return (\n"})})
    error = json.loads(lam.invoke(FunctionName=broken)["Payload"].read())
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["stackTrace"][0].startswith('  File "/var/task/lambda_function.py" Line '), error["stackTrace"]
    group = f"/aws/lambda/{name}"

    def logged():
        events = logs.filter_log_events(logGroupName=group).get("events", [])
        text = "\n".join(e["message"] for e in events)
        return text if "ZeroDivisionError" in text else None

    text = wait_for(logged)
    assert 'File "/var/task/helper.py", line 7, in divide' in text
    assert "bootstrap" not in text and "/work/" not in text and "emulators" not in text


WINDOW_HANDLER = '''import base64, json, os
import boto3


def lambda_handler(event, context):
    state = dict(event["state"])
    for record in event["Records"]:
        key = record["kinesis"]["partitionKey"]
        state[key] = state.get(key, 0) + 1
    if event["isFinalInvokeForWindow"]:
        summary = {k: event[k] for k in ("window", "shardId", "eventSourceARN", "isWindowTerminatedEarly")}
        summary["state"] = state
        boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=f"windows/{event['window']['start']}.json",
                                      Body=json.dumps(summary))
    return {"state": state}
'''

STATELESS_HANDLER = '''def lambda_handler(event, context):
    return None
'''


def test_lambda_kinesis_tumbling_window_aggregates_state(aws, bucket, role):
    """Lambda Developer Guide, "Implementing stateful Kinesis Data Streams processing in Lambda" (tumbling
    windows): each invocation gets ``window``, ``state``, ``shardId``, ``eventSourceARN``,
    ``isFinalInvokeForWindow``; the state the function returns comes back in the next invocation of the window;
    an answer without ``state`` is a failed invocation. Also the CreateEventSourceMapping API reference's
    ranges for MaximumRecordAgeInSeconds and ParallelizationFactor, and the stream-only parameters."""
    lam, kinesis, s3, sqs = aws.client("lambda"), aws.client("kinesis"), aws.client("s3"), aws.client("sqs")
    suffix = uuid.uuid4().hex[:6]
    stream = f"gaps-window-{suffix}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    dlq = sqs.create_queue(QueueName=f"gaps-window-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    functions = {}
    for name, code in (("agg", WINDOW_HANDLER), ("stateless", STATELESS_HANDLER)):
        functions[name] = lam.create_function(
            FunctionName=f"gaps-{name}-{suffix}", Runtime="python3.12", Role=role, Timeout=30,
            Handler="lambda_function.lambda_handler", Environment={"Variables": {"BUCKET": bucket}},
            Code={"ZipFile": package({"lambda_function.py": code})})["FunctionArn"]
    aggregate = lam.create_event_source_mapping(
        FunctionName=functions["agg"], EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON", BatchSize=2,
        TumblingWindowInSeconds=2, ParallelizationFactor=4, MaximumRecordAgeInSeconds=3600)
    assert aggregate["TumblingWindowInSeconds"] == 2 and aggregate["ParallelizationFactor"] == 4
    assert aggregate["MaximumRecordAgeInSeconds"] == 3600
    stateless = lam.create_event_source_mapping(
        FunctionName=functions["stateless"], EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON",
        BatchSize=10, TumblingWindowInSeconds=2, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    # "Lambda parameters for Amazon Kinesis Data Streams event source mappings": the defaults are shown
    shown = ("ParallelizationFactor", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
             "MaximumBatchingWindowInSeconds", "TumblingWindowInSeconds")
    assert {k: stateless[k] for k in shown} == \
        {"ParallelizationFactor": 1, "MaximumRecordAgeInSeconds": -1, "BisectBatchOnFunctionError": False,
         "MaximumBatchingWindowInSeconds": 0, "TumblingWindowInSeconds": 2}
    try:
        for key in ("a", "b", "a", "a", "b"):
            kinesis.put_record(StreamName=stream, Data=key.encode(), PartitionKey=key)

        def summaries():
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="windows/").get("Contents", [])]
            found = [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]
            return found if sum(sum(f["state"].values()) for f in found) >= 5 else None

        found = wait_for(summaries, timeout=90)  # about ten invocations, each a fresh process
        totals: dict[str, int] = {}
        for summary in found:
            for key, count in summary["state"].items():
                totals[key] = totals.get(key, 0) + count
            start, end = summary["window"]["start"], summary["window"]["end"]
            assert start.endswith("Z") and end.endswith("Z")
            from datetime import datetime
            span = datetime.fromisoformat(end[:-1]) - datetime.fromisoformat(start[:-1])
            assert span.total_seconds() == 2
            assert summary["shardId"].startswith("shardId-") and summary["eventSourceARN"] == stream_arn
            assert summary["isWindowTerminatedEarly"] is False
        assert totals == {"a": 3, "b": 2}  # batches of 2: the state went from one invocation to the next

        def failure():
            return sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages")

        record = json.loads(wait_for(failure, timeout=60)[0]["Body"])
        assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert record["KinesisBatchInfo"]["streamArn"] == stream_arn
    finally:
        lam.delete_event_source_mapping(UUID=stateless["UUID"])
        lam.delete_event_source_mapping(UUID=aggregate["UUID"])

    queue_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    refused = [{"EventSourceArn": stream_arn, "StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 30},
               {"EventSourceArn": queue_arn, "TumblingWindowInSeconds": 60},
               {"EventSourceArn": queue_arn, "ParallelizationFactor": 2}]
    for spec in refused:
        with pytest.raises(ClientError) as excinfo:
            lam.create_event_source_mapping(FunctionName=functions["agg"], **spec)
        assert _code(excinfo) == "InvalidParameterValueException", spec


def test_lambda_stream_records_past_maximum_record_age_are_skipped():
    """CreateEventSourceMapping API reference, MaximumRecordAgeInSeconds: "Discard records older than the
    specified age" (-1: no limit). Records older than 60 s cannot be written in a cheap test, so this checks the
    poller's rule on records with arrival times in the past."""
    from emulators.awslambda.event_sources import StreamRecord, split_expired

    now = 10_000.0
    records = [StreamRecord(str(i), now - age, {}) for i, age in enumerate((400, 90, 61, 60, 5))]
    expired, kept = split_expired(records, 60, now)
    assert [r.sequence_number for r in expired] == ["0", "1", "2"]
    assert [r.sequence_number for r in kept] == ["3", "4"]
    assert split_expired(records, -1, now) == ([], records)
    assert split_expired(records, None, now) == ([], records)
