"""Step Functions sample-project patterns, run by the sandbox's interpreter.

Each state machine follows one pattern of the Step Functions developer guide's sample projects and
"Amazon States Language" pages (named in the test's docstring), with our own definitions and data.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tests.helpers.waiting import wait_for

from .response_shapes import checked_responses  # noqa: F401  (autouse)

ROLE = "arn:aws:iam::123456789012:role/service-role/StepFunctions-sample-role"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"Service": "lambda.amazonaws.com"}}]}


def run(sfn, name: str, definition: dict, execution_input: dict | None = None, timeout: float = 60) -> dict:
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input or {}))["executionArn"]
    return wait_for(lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
                    timeout=timeout)


def output(described: dict):
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    return json.loads(described["output"])


def make_function(aws, name: str, source: str) -> str:
    iam = aws.client("iam")
    try:
        role = iam.get_role(RoleName="conformance-sfn-lambda")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="conformance-sfn-lambda",
                               AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("task.py", source)
    return aws.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                                Handler="task.main", Code={"ZipFile": buffer.getvalue()},
                                                Timeout=30)["FunctionArn"]


def test_intrinsic_functions(aws, unique_name):
    """Step Functions developer guide, "Intrinsic functions in Amazon States Language"
    (intrinsic-functions): array, JSON, math, string, hash, encoding and UUID functions in Parameters."""
    definition = {"StartAt": "Compute", "States": {"Compute": {"Type": "Pass", "End": True, "Parameters": {
        "greeting.$": "States.Format('Hello, {}! You have {} items.', $.name, $.count)",
        "parsed.$": "States.StringToJson($.raw)",
        "text.$": "States.JsonToString($.object)",
        "array.$": "States.Array($.name, $.count, 'x')",
        "partitions.$": "States.ArrayPartition($.numbers, 2)",
        "contains.$": "States.ArrayContains($.numbers, 3)",
        "range.$": "States.ArrayRange(1, 9, 2)",
        "item.$": "States.ArrayGetItem($.numbers, 1)",
        "length.$": "States.ArrayLength($.numbers)",
        "unique.$": "States.ArrayUnique($.repeated)",
        "sum.$": "States.MathAdd($.count, 5)",
        "split.$": "States.StringSplit($.csv, ',')",
        "encoded.$": "States.Base64Encode($.name)",
        "decoded.$": "States.Base64Decode('c2FuZGJveA==')",
        "hash.$": "States.Hash($.name, 'SHA-256')",
        "uuid.$": "States.UUID()",
        "random.$": "States.MathRandom(1, 10)",
    }}}}
    result = output(run(aws.client("stepfunctions"), unique_name, definition, {
        "name": "Ana", "count": 3, "raw": "{\"a\": [1, 2]}", "object": {"k": "v"}, "numbers": [1, 2, 3, 4, 5],
        "repeated": [1, 1, 2, 2, 3], "csv": "a,b,c"}))
    assert result["greeting"] == "Hello, Ana! You have 3 items."
    assert result["parsed"] == {"a": [1, 2]}
    assert json.loads(result["text"]) == {"k": "v"}
    assert result["array"] == ["Ana", 3, "x"]
    assert result["partitions"] == [[1, 2], [3, 4], [5]]
    assert result["contains"] is True
    assert result["range"] == [1, 3, 5, 7, 9]
    assert result["item"] == 2 and result["length"] == 5
    assert result["unique"] == [1, 2, 3]
    assert result["sum"] == 8
    assert result["split"] == ["a", "b", "c"]
    assert result["encoded"] == "QW5h" and result["decoded"] == "sandbox"
    assert result["hash"] == hashlib.sha256(b"Ana").hexdigest()
    assert len(result["uuid"]) == 36 and result["uuid"].count("-") == 4
    assert 1 <= result["random"] <= 10


@pytest.mark.slow
def test_parallel_map_retry_and_catch(aws, unique_name):
    """Step Functions sample projects "Parallel" / "Dynamically process data with a Map state" and developer
    guide "Handling errors in Step Functions workflows" (concepts-error-handling): a Map over the input's items,
    a Parallel with two branches, a flaky task retried with backoff, and a Catch to a fallback state."""
    flaky = make_function(aws, unique_name, '''
import boto3, os
def main(event, context):
    # fails the first two attempts of each item (counted in an SQS queue's message count is overkill: use S3)
    s3 = boto3.client("s3")
    key = f"attempts/{event['id']}"
    try:
        count = int(s3.get_object(Bucket=event["bucket"], Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        count = 0
    s3.put_object(Bucket=event["bucket"], Key=key, Body=str(count + 1).encode())
    if event.get("always_fail"):
        raise ValueError("cannot process " + event["id"])
    if count < 2:
        raise ConnectionError("try again")
    return {"id": event["id"], "attempts": count + 1, "total": event["price"] * event["quantity"]}
''')
    bucket = f"{unique_name}-work"
    aws.client("s3").create_bucket(Bucket=bucket)
    definition = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "EachOrder", "States": {"EachOrder": {
                "Type": "Map", "ItemsPath": "$.orders", "MaxConcurrency": 2, "End": True,
                "ItemSelector": {"id.$": "$$.Map.Item.Value.id", "price.$": "$$.Map.Item.Value.price",
                                 "quantity.$": "$$.Map.Item.Value.quantity", "bucket.$": "$.bucket"},
                "ItemProcessor": {"StartAt": "Price", "States": {"Price": {
                    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                    "Parameters": {"FunctionName": flaky, "Payload.$": "$"}, "OutputPath": "$.Payload",
                    "Retry": [{"ErrorEquals": ["ConnectionError"], "IntervalSeconds": 1, "BackoffRate": 1.5,
                               "MaxAttempts": 3}]}}}}}},
            {"StartAt": "Doomed", "States": {
                "Doomed": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Unreachable",
                           "Parameters": {"FunctionName": flaky,
                                          "Payload": {"id": "doomed", "always_fail": True, "price": 0,
                                                      "quantity": 0, "bucket.$": "$.bucket"}},
                           "Retry": [{"ErrorEquals": ["ValueError"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                           "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                      "Next": "Fallback"}]},
                "Unreachable": {"Type": "Succeed"},
                "Fallback": {"Type": "Pass", "Parameters": {"fallback": True, "error.$": "$.error.Error"},
                             "End": True}}}]}}}
    orders = [{"id": "o1", "price": 3, "quantity": 2}, {"id": "o2", "price": 5, "quantity": 1}]
    described = run(aws.client("stepfunctions"), unique_name, definition, {"orders": orders, "bucket": bucket},
                    timeout=120)
    priced, fallback = output(described)
    assert [(p["id"], p["total"], p["attempts"]) for p in priced] == [("o1", 6, 3), ("o2", 5, 3)]
    assert fallback == {"fallback": True, "error": "ValueError"}
    s3 = aws.client("s3")
    assert s3.get_object(Bucket=bucket, Key="attempts/doomed")["Body"].read() == b"2"  # first try + 1 retry
    history = aws.client("stepfunctions").get_execution_history(executionArn=described["executionArn"],
                                                                maxResults=1000)["events"]
    assert sum(e["type"] == "TaskFailed" for e in history) >= 6  # 2 + 2 retried failures, 2 for "doomed"


def test_distributed_map_over_s3_csv_items(aws, s3_bucket, unique_name):
    """Step Functions developer guide, "Using Map state in Distributed mode" and "ItemReader (Map)"
    (input-output-itemreader): a Distributed Map reads a CSV object's rows from S3 and a listObjectsV2 prefix."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="input/ratings.csv", Body=b"user,rating\nann,4\nbob,2\ncid,5\n")
    for name in ("a.json", "b.json"):
        s3.put_object(Bucket=s3_bucket, Key=f"inbox/{name}", Body=b"{}")
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}}
    definition = {"StartAt": "Rows", "States": {
        "Rows": {"Type": "Map", "Next": "Objects", "ResultPath": "$.rows", "MaxConcurrency": 10,
                 "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                                "Parameters": {"Bucket": s3_bucket, "Key": "input/ratings.csv"}},
                 "ItemProcessor": processor},
        "Objects": {"Type": "Map", "End": True, "ResultPath": "$.objects",
                    "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                                   "Parameters": {"Bucket": s3_bucket, "Prefix": "inbox/"}},
                    "ItemSelector": {"key.$": "$$.Map.Item.Value.Key"},
                    "ItemProcessor": processor}}}
    result = output(run(aws.client("stepfunctions"), unique_name, definition, {}, timeout=90))
    assert result["rows"] == [{"user": "ann", "rating": "4"}, {"user": "bob", "rating": "2"},
                              {"user": "cid", "rating": "5"}]
    assert result["objects"] == [{"key": "inbox/a.json"}, {"key": "inbox/b.json"}]


def test_wait_for_task_token_callback(aws, unique_name):
    """Step Functions sample project "Callback pattern example" (callback-task-sample-sqs): an SQS
    sendMessage.waitForTaskToken task pauses until a worker calls SendTaskSuccess / SendTaskFailure."""
    sqs, sfn = aws.client("sqs"), aws.client("stepfunctions")
    url = sqs.create_queue(QueueName=unique_name)["QueueUrl"]
    definition = {"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
                "Parameters": {"QueueUrl": url, "MessageBody": {"order.$": "$.order", "token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Refused"}]},
        "Refused": {"Type": "Pass", "Result": "refused", "End": True}}}
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition),
                                   roleArn=ROLE)["stateMachineArn"]
    outcomes = {}
    for order, approve in (("o-1", True), ("o-2", False)):
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"order": order}))["executionArn"]
        message = wait_for(lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"))[0]
        body = json.loads(message["Body"])
        assert body["order"] == order
        assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
        if approve:
            sfn.send_task_success(taskToken=body["token"], output=json.dumps({"approved": order}))
        else:
            sfn.send_task_failure(taskToken=body["token"], error="Rejected", cause="out of stock")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        outcomes[order] = wait_for(lambda: (d := sfn.describe_execution(executionArn=execution))["status"]
                                   != "RUNNING" and d)
    assert output(outcomes["o-1"]) == {"approved": "o-1"}
    assert output(outcomes["o-2"]) == "refused"


@pytest.mark.slow
def test_nested_workflow_start_execution_sync(aws, unique_name):
    """Step Functions sample project "Start a workflow within a workflow" (sample-start-workflow): a parent
    runs a child state machine with ``states:startExecution.sync:2`` and gets its output."""
    sfn = aws.client("stepfunctions")
    child = {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": True,
                                                         "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}}}}
    child_arn = sfn.create_state_machine(name=f"{unique_name}-child", definition=json.dumps(child),
                                         roleArn=ROLE)["stateMachineArn"]
    parent = {"StartAt": "RunChild", "States": {"RunChild": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True,
        "Parameters": {"StateMachineArn": child_arn, "Input": {"n.$": "$.n"}}, "OutputPath": "$.Output"}}}
    assert output(run(sfn, unique_name, parent, {"n": 21})) == {"twice": 42}
