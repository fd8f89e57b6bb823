"""Step Functions service integrations as the developer guide's "Integrating services with Step Functions" pages
show them: what each optimised integration hands to the next state, the error names it fails with, and the
resources and integration patterns Step Functions offers. Our own state machines, functions and data.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.helpers.stepfunctions import ROLE, wait_for_execution
from tests.helpers.waiting import wait_for

from .response_shapes import checked_responses  # noqa: F401  (autouse)

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"Service": "lambda.amazonaws.com"}}]}
HANDLERS = """
import json

import boto3

class OrderRejected(Exception):
    pass

def main(event, context):
    if event.get("reject"):
        raise OrderRejected("order " + str(event.get("order")) + " is over the limit")
    return {"order": event.get("order"), "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}]}

def slow(event, context):
    import time
    time.sleep(3)

def review(event, context):
    sfn = boto3.client("stepfunctions")
    if event["approve"]:
        sfn.send_task_success(taskToken=event["token"], output=json.dumps({"approved": event["order"]}))
    else:
        sfn.send_task_failure(taskToken=event["token"], error="ReviewRejected", cause="order needs a manager")
"""


@pytest.fixture(scope="module")
def world(aws):
    """One Lambda function, one DynamoDB table, one SNS topic with an SQS subscription, one bucket."""
    tag = uuid.uuid4().hex[:8]
    iam, lam = aws.client("iam"), aws.client("lambda")
    role = iam.create_role(RoleName=f"orch-{tag}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("orders.py", HANDLERS)
    function = lam.create_function(FunctionName=f"orders-{tag}", Runtime="python3.12", Role=role,
                                   Handler="orders.main", Code={"ZipFile": buffer.getvalue()},
                                   Timeout=30)["FunctionArn"]
    review = lam.create_function(FunctionName=f"review-{tag}", Runtime="python3.12", Role=role,
                                 Handler="orders.review", Code={"ZipFile": buffer.getvalue()},
                                 Timeout=30)["FunctionArn"]
    slow = lam.create_function(FunctionName=f"slow-{tag}", Runtime="python3.12", Role=role, Handler="orders.slow",
                               Code={"ZipFile": buffer.getvalue()}, Timeout=1)["FunctionArn"]
    table = f"orders-{tag}"
    aws.client("dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    sqs, sns = aws.client("sqs"), aws.client("sns")
    queue = sqs.create_queue(QueueName=f"orders-{tag}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=f"orders-{tag}")["TopicArn"]
    bucket = f"orch-{tag}"
    aws.client("s3").create_bucket(Bucket=bucket)
    batch = aws.client("batch")
    environment = batch.create_compute_environment(computeEnvironmentName=f"orch-{tag}", type="UNMANAGED",
                                                   serviceRole=role)["computeEnvironmentArn"]
    job_queue = batch.create_job_queue(jobQueueName=f"orch-{tag}", state="ENABLED", priority=1, computeEnvironmentOrder=[
        {"order": 1, "computeEnvironment": environment}])["jobQueueArn"]
    return {"tag": tag, "function": function, "review": review, "slow": slow, "table": table, "queue": queue, "queue_arn": queue_arn,
            "topic": topic, "bucket": bucket, "job_queue": job_queue}


def run(aws, definition: dict, execution_input: dict | None = None, timeout: float = 60) -> dict:
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(name=f"orch-{uuid.uuid4().hex[:10]}", definition=json.dumps(definition),
                                   roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input or {}))["executionArn"]
    return wait_for_execution(sfn, execution, timeout=timeout)


def output(described: dict):
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    return json.loads(described["output"])


def task(resource: str, parameters: dict, **fields) -> dict:
    return {"StartAt": "Task", "States": {"Task": {"Type": "Task", "Resource": resource,
                                                   "Parameters": parameters, "End": True, **fields}}}


def assert_sdk_metadata(result: dict, status: int = 200) -> None:
    assert result["SdkHttpMetadata"]["HttpStatusCode"] == status
    request_id = result["SdkResponseMetadata"]["RequestId"]
    assert result["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"] == request_id


def test_lambda_invoke_payload_event_invocation_and_errors(aws, world):
    """"Invoke an AWS Lambda function with Step Functions" (connect-lambda.html): the task's output is Invoke's
    response (StatusCode, ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata), so tutorials select
    ``$.Payload``; ``InvocationType: Event`` answers 202 at once; a function's exception is the state's error,
    named after its type, and a missing function is ``Lambda.ResourceNotFoundException``. With "Reference
    paths" (amazon-states-language-paths.html): ``$.Payload.items[0].sku`` is a single value."""
    invoke = "arn:aws:states:::lambda:invoke"
    result = output(run(aws, task(invoke, {"FunctionName": world["function"], "Payload.$": "$"}), {"order": 7}))
    assert result["StatusCode"] == 200 and result["ExecutedVersion"] == "$LATEST"
    assert result["Payload"]["order"] == 7
    assert_sdk_metadata(result)

    flow = {"StartAt": "Price", "States": {
        "Price": {"Type": "Task", "Resource": invoke, "OutputPath": "$.Payload", "Next": "FirstItem",
                  "Parameters": {"FunctionName": world["function"], "Payload": {"order.$": "$.order"}}},
        "FirstItem": {"Type": "Choice", "Default": "Other",
                      "Choices": [{"Variable": "$.items[0].sku", "StringEquals": "A-1", "Next": "Summary"}]},
        "Other": {"Type": "Fail", "Error": "UnexpectedItem"},
        "Summary": {"Type": "Pass", "End": True, "Parameters": {
            "first.$": "$.items[0].sku", "skus.$": "$.items[*].sku", "big.$": "$.items[?(@.qty > 1)].sku"}}}}
    assert output(run(aws, flow, {"order": 8})) == {"first": "A-1", "skus": ["A-1", "B-7"], "big": ["A-1"]}

    queued = output(run(aws, task(invoke, {"FunctionName": world["function"], "InvocationType": "Event",
                                           "Payload": {"order": 9}})))
    assert queued["StatusCode"] == 202 and queued["Payload"] == ""
    assert_sdk_metadata(queued, 202)

    caught = {"StartAt": "Price", "States": {
        "Price": {"Type": "Task", "Resource": invoke, "End": True,
                  "Parameters": {"FunctionName": world["function"], "Payload.$": "$"},
                  "Catch": [{"ErrorEquals": ["OrderRejected"], "ResultPath": "$.error", "Next": "Rejected"}]},
        "Rejected": {"Type": "Pass", "End": True}}}
    error = output(run(aws, caught, {"order": 10, "reject": True}))["error"]
    assert error["Error"] == "OrderRejected"
    cause = json.loads(error["Cause"])
    assert cause["errorType"] == "OrderRejected" and cause["errorMessage"] == "order 10 is over the limit"

    missing = run(aws, task(invoke, {"FunctionName": f"no-such-function-{world['tag']}", "Payload": {}}))
    assert missing["status"] == "FAILED" and missing["error"] == "Lambda.ResourceNotFoundException"

    # "Handle Lambda service exceptions" (sfn-best-practices.html): a function that times out is Lambda.Unknown
    timed_out = run(aws, task(invoke, {"FunctionName": world["slow"], "Payload": {}}))
    assert timed_out["status"] == "FAILED" and timed_out["error"] == "Lambda.Unknown"
    assert "timed out" in json.loads(timed_out["cause"])["errorMessage"]


def test_dynamodb_put_get_and_a_failed_condition(aws, world):
    """"Call DynamoDB APIs with Step Functions" (connect-ddb.html): putItem then getItem, whose ``Item`` the next
    state reads by path; a failed ConditionExpression is ``DynamoDB.ConditionalCheckFailedException``."""
    ddb = "arn:aws:states:::dynamodb:"
    flow = {"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": ddb + "putItem", "ResultPath": "$.put", "Next": "Get",
                "Parameters": {"TableName": world["table"],
                               "Item": {"id": {"S.$": "$.id"}, "total": {"N.$": "States.Format('{}', $.total)"}}}},
        "Get": {"Type": "Task", "Resource": ddb + "getItem", "ResultPath": "$.got", "End": True,
                "Parameters": {"TableName": world["table"], "Key": {"id": {"S.$": "$.id"}}}}}}
    result = output(run(aws, flow, {"id": "order-1", "total": 42}))
    assert result["got"]["Item"] == {"id": {"S": "order-1"}, "total": {"N": "42"}}
    assert_sdk_metadata(result["put"])
    assert_sdk_metadata(result["got"])

    again = run(aws, task(ddb + "putItem", {"TableName": world["table"], "Item": {"id": {"S": "order-1"}},
                                            "ConditionExpression": "attribute_not_exists(id)"}))
    assert again["status"] == "FAILED" and again["error"] == "DynamoDB.ConditionalCheckFailedException"


def test_sns_sqs_and_eventbridge_put_events(aws, world):
    """"Publish to SNS", "Send messages to SQS" and "Send custom events to EventBridge" with Step Functions
    (connect-sns.html, connect-sqs.html, connect-eventbridge.html): each answers its service's response; a JSON
    ``Detail`` is sent as text with the state machine and execution ARNs added to ``Resources``; a failed entry
    fails the task with ``EventBridge.FailedEntry`` and the PutEvents response as JSON in the cause."""
    sqs, events = aws.client("sqs"), aws.client("events")
    published = output(run(aws, task("arn:aws:states:::sns:publish",
                                     {"TopicArn": world["topic"], "Message.$": "$"}), {"order": 1}))
    assert published["MessageId"]
    assert_sdk_metadata(published)

    sent = output(run(aws, task("arn:aws:states:::sqs:sendMessage",
                                {"QueueUrl": world["queue"], "MessageBody.$": "$"}), {"order": 2}))
    assert sent["MessageId"] and sent["MD5OfMessageBody"]
    assert_sdk_metadata(sent)
    body = sqs.receive_message(QueueUrl=world["queue"], WaitTimeSeconds=2)["Messages"][0]
    assert json.loads(body["Body"]) == {"order": 2}
    sqs.delete_message(QueueUrl=world["queue"], ReceiptHandle=body["ReceiptHandle"])

    source = f"com.example.orders.{world['tag']}"
    events.put_rule(Name=f"orders-{world['tag']}", EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=f"orders-{world['tag']}", Targets=[{"Id": "queue", "Arn": world["queue_arn"]}])
    put = run(aws, task("arn:aws:states:::events:putEvents", {"Entries": [
        {"Source": source, "DetailType": "OrderPlaced", "Detail": {"order.$": "$.order"}}]}), {"order": 3})
    result = output(put)
    assert result["FailedEntryCount"] == 0 and result["Entries"][0]["EventId"]
    event = json.loads(sqs.receive_message(QueueUrl=world["queue"], WaitTimeSeconds=5)["Messages"][0]["Body"])
    assert event["detail"] == {"order": 3} and event["detail-type"] == "OrderPlaced"
    assert put["executionArn"] in event["resources"]

    refused = run(aws, task("arn:aws:states:::events:putEvents", {"Entries": [
        {"Source": "aws.orders", "DetailType": "OrderPlaced", "Detail": {}}]}))
    assert refused["status"] == "FAILED" and refused["error"] == "EventBridge.FailedEntry"
    assert json.loads(refused["cause"])["FailedEntryCount"] == 1


def test_request_response_outputs_of_batch_glue_and_athena(aws, world):
    """"Run AWS Batch workloads", "Start AWS Glue jobs", "Run Athena queries" and "Start a new state machine
    execution" with Step Functions (connect-batch.html, connect-glue.html, connect-athena.html,
    connect-stepfunctions.html), request-response pattern: submitJob answers the job's id and name, a Glue job
    that does not exist is ``Glue.EntityNotFoundException``, getQueryExecution's and startExecution's times are
    epoch milliseconds as in ``.sync`` outputs."""
    batch = aws.client("batch")
    definition = batch.register_job_definition(
        jobDefinitionName=f"orch-{world['tag']}", type="container",
        containerProperties={"image": "python:3.12", "command": ["python", "-c", "print('ok')"], "vcpus": 1,
                             "memory": 128})["jobDefinitionArn"]
    submitted = output(run(aws, task("arn:aws:states:::batch:submitJob", {
        "JobName": "nightly-report", "JobQueue": world["job_queue"], "JobDefinition": definition})))
    assert submitted["JobName"] == "nightly-report" and submitted["JobId"] in submitted["JobArn"]
    assert_sdk_metadata(submitted)

    missing = run(aws, task("arn:aws:states:::glue:startJobRun", {"JobName": f"no-such-job-{world['tag']}"}))
    assert missing["status"] == "FAILED" and missing["error"] == "Glue.EntityNotFoundException"

    athena = "arn:aws:states:::athena:"
    flow = {"StartAt": "Query", "States": {
        "Query": {"Type": "Task", "Resource": athena + "startQueryExecution.sync", "Next": "Execution",
                  "Parameters": {"QueryString": "SELECT 6 * 7 AS answer",
                                 "ResultConfiguration": {"OutputLocation": f"s3://{world['bucket']}/athena/"}}},
        "Execution": {"Type": "Task", "Resource": athena + "getQueryExecution", "ResultPath": "$.again",
                      "Parameters": {"QueryExecutionId.$": "$.QueryExecution.QueryExecutionId"}, "Next": "Rows"},
        "Rows": {"Type": "Task", "Resource": athena + "getQueryResults", "ResultPath": "$.rows", "Next": "Answer",
                 "Parameters": {"QueryExecutionId.$": "$.QueryExecution.QueryExecutionId"}},
        "Answer": {"Type": "Pass", "End": True, "Parameters": {
            "answer.$": "$.rows.ResultSet.Rows[1].Data[0].VarCharValue",
            "submitted.$": "$.again.QueryExecution.Status.SubmissionDateTime"}}}}
    result = output(run(aws, flow))
    assert result["answer"] == "42"
    assert isinstance(result["submitted"], int)

    child = aws.client("stepfunctions").create_state_machine(
        name=f"orch-child-{world['tag']}", roleArn=ROLE,
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    started = output(run(aws, task("arn:aws:states:::states:startExecution", {"StateMachineArn": child})))
    assert started["ExecutionArn"].startswith(child.replace(":stateMachine:", ":execution:"))
    assert isinstance(started["StartDate"], int)


@pytest.mark.parametrize("resource, parameters, named", [
    ("arn:aws:states:::sagemaker:createEndpoint.sync", {}, "arn:aws:states:::sagemaker:createEndpoint.sync"),
    ("arn:aws:states:::glue:startJobRun.waitForTaskToken", {}, "arn:aws:states:::glue:startJobRun.waitForTaskToken"),
    ("arn:aws:states:::dynamodb:query", {}, "arn:aws:states:::dynamodb:query"),
    ("arn:aws:states:::lambda:invoke.sync", {}, "arn:aws:states:::lambda:invoke.sync"),
    ("arn:aws:states:::lambda:invoke", {"FunctionNam": "orders", "Payload.$": "$"}, '"FunctionNam"'),
])
def test_integrations_step_functions_does_not_offer_are_refused(aws, resource, parameters, named):
    """"Integrating optimized services with Step Functions" (integrate-optimized.html): each optimised
    integration lists its actions, patterns and parameters (SageMaker createEndpoint has no .sync, Glue no
    .waitForTaskToken, DynamoDB offers getItem/putItem/updateItem/deleteItem): others are not valid definitions."""
    sfn = aws.client("stepfunctions")
    definition = json.dumps(task(resource, parameters))
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(name=f"orch-{uuid.uuid4().hex[:10]}", definition=definition, roleArn=ROLE)
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert named in refused.value.response["Error"]["Message"]
    verdict = sfn.validate_state_machine_definition(definition=definition)
    assert verdict["result"] == "FAIL"


def test_aws_sdk_integration_covers_other_actions(aws, world):
    """"AWS SDK integrations" (supported-services-awssdk.html): an action the optimised integration lacks
    (DynamoDB Query) is called through ``arn:aws:states:::aws-sdk:dynamodb:query``."""
    ddb = aws.client("dynamodb")
    ddb.put_item(TableName=world["table"], Item={"id": {"S": "order-sdk"}, "total": {"N": "5"}})
    result = output(run(aws, task("arn:aws:states:::aws-sdk:dynamodb:query", {
        "TableName": world["table"], "KeyConditionExpression": "id = :id",
        "ExpressionAttributeValues": {":id": {"S": "order-sdk"}}}, OutputPath="$.Items[0].total.N")))
    assert result == "5"


def test_scheduler_targets_start_executions_and_submit_batch_jobs(aws, world):
    """EventBridge Scheduler user guide, "Managing targets": a templated Step Functions target and the universal
    targets ``arn:aws:scheduler:::aws-sdk:sfn:startExecution`` (the SDK's service name ``sfn``) and
    ``arn:aws:scheduler:::aws-sdk:batch:submitJob``, whose Input holds the API's parameters in PascalCase."""
    sfn, batch, scheduler = aws.client("stepfunctions"), aws.client("batch"), aws.client("scheduler")
    machine = sfn.create_state_machine(name=f"orch-sched-{world['tag']}", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    definition = batch.register_job_definition(
        jobDefinitionName=f"orch-sched-{world['tag']}", type="container",
        containerProperties={"image": "python:3.12", "command": ["python", "-c", "print('ok')"], "vcpus": 1,
                             "memory": 128})["jobDefinitionArn"]
    at = (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    targets = {
        "templated": {"Arn": machine, "Input": json.dumps({"via": "templated"})},
        "universal": {"Arn": "arn:aws:scheduler:::aws-sdk:sfn:startExecution", "Input": json.dumps(
            {"StateMachineArn": machine, "Input": json.dumps({"via": "universal"})})},
        "batch": {"Arn": "arn:aws:scheduler:::aws-sdk:batch:submitJob", "Input": json.dumps(
            {"JobName": f"scheduled-{world['tag']}", "JobQueue": world["job_queue"], "JobDefinition": definition})},
    }
    for name, target in targets.items():
        scheduler.create_schedule(Name=f"orch-{name}-{world['tag']}", ScheduleExpression=f"at({at})",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target={**target, "RoleArn": ROLE})
    executions = wait_for(lambda: len(runs := sfn.list_executions(stateMachineArn=machine)["executions"]) == 2
                          and runs, timeout=30)
    inputs = sorted(json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])["via"]
                    for e in executions)
    assert inputs == ["templated", "universal"]
    jobs = wait_for(lambda: batch.list_jobs(jobQueue=world["job_queue"], filters=[
        {"name": "JOB_NAME", "values": [f"scheduled-{world['tag']}"]}])["jobSummaryList"], timeout=30)
    assert jobs[0]["jobName"] == f"scheduled-{world['tag']}"


def test_eventbridge_rule_starts_a_glue_workflow_with_an_event_trigger(aws, world):
    """Glue developer guide, "Starting an AWS Glue workflow with an Amazon EventBridge event": the workflow's
    starting trigger has type EVENT and an EventBatchingCondition; a rule targets the workflow's ARN; a run
    starts once BatchSize events arrived, and its ``aws:eventIds`` run property lists them."""
    glue, events = aws.client("glue"), aws.client("events")
    name = f"orders-{world['tag']}"
    aws.client("s3").put_object(Bucket=world["bucket"], Key="jobs/load.py", Body=b"print('loaded')\n")
    glue.create_job(Name=name, Role=ROLE, Command={"Name": "pythonshell", "PythonVersion": "3.9",
                                                   "ScriptLocation": f"s3://{world['bucket']}/jobs/load.py"})
    glue.create_workflow(Name=name)
    glue.create_trigger(Name=f"{name}-files", WorkflowName=name, Type="EVENT", Actions=[{"JobName": name}],
                        EventBatchingCondition={"BatchSize": 2, "BatchWindow": 900})
    source = f"com.example.files.{world['tag']}"
    events.put_rule(Name=f"{name}-files", EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=f"{name}-files", Targets=[
        {"Id": "workflow", "Arn": f"arn:aws:glue:us-east-1:123456789012:workflow/{name}", "RoleArn": ROLE}])
    ids = [events.put_events(Entries=[{"Source": source, "DetailType": "File Arrived",
                                       "Detail": json.dumps({"key": f"raw/{i}.csv"})}])["Entries"][0]["EventId"]
           for i in range(3)]
    runs = wait_for(lambda: glue.get_workflow_runs(Name=name)["Runs"], timeout=20)
    properties = glue.get_workflow_run_properties(Name=name, RunId=runs[0]["WorkflowRunId"])["RunProperties"]
    assert json.loads(properties["aws:eventIds"]) == ids[:2]
    job_run = wait_for(lambda: glue.get_job_runs(JobName=name)["JobRuns"], timeout=20)[0]
    assert job_run["TriggerName"] == f"{name}-files"
    assert len(glue.get_workflow_runs(Name=name)["Runs"]) == 1  # the third event waits for its batch


def test_express_workflows_offer_request_response_only(aws, world):
    """"Choosing workflow type in Step Functions" and "Integrating optimized services": Express workflows support
    the request-response pattern only, so a ``.sync`` task in an EXPRESS state machine is an invalid definition;
    a request-response task runs, and StartSyncExecution answers its result."""
    sfn = aws.client("stepfunctions")
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(name=f"orch-express-{world['tag']}", roleArn=ROLE, type="EXPRESS",
                                 definition=json.dumps(task("arn:aws:states:::glue:startJobRun.sync", {"JobName": "x"})))
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert ".sync" in refused.value.response["Error"]["Message"]
    machine = sfn.create_state_machine(
        name=f"orch-express-{world['tag']}", roleArn=ROLE, type="EXPRESS", definition=json.dumps(task(
            "arn:aws:states:::lambda:invoke", {"FunctionName": world["function"], "Payload.$": "$"},
            OutputPath="$.Payload.items[1].sku")))["stateMachineArn"]
    answer = sfn.start_sync_execution(stateMachineArn=machine, input=json.dumps({"order": 11}))
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == "B-7"
    with pytest.raises(ClientError) as refused:
        sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(task(
            "arn:aws:states:::lambda:invoke.waitForTaskToken", {"FunctionName": world["function"]})))
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"


def test_wait_for_task_token_callbacks_and_context_object(aws, world):
    """"Wait for a Callback with Task Token" (connect-to-resource.html#connect-wait-token) through
    ``lambda:invoke.waitForTaskToken``: SendTaskSuccess's output is the task's result, SendTaskFailure's error and
    cause reach the Catch; "Context object" (input-output-contextobject.html): ``$$.Task.Token`` in the payload,
    ``$$.Execution.StartTime`` and ``$$.State.EnteredTime`` as ISO 8601 text with milliseconds and ``Z``."""
    flow = {"StartAt": "Review", "States": {
        "Review": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                   "Parameters": {"FunctionName": world["review"], "Payload": {
                       "token.$": "$$.Task.Token", "order.$": "$.order", "approve.$": "$.approve"}},
                   "ResultPath": "$.review", "Next": "Times",
                   "Catch": [{"ErrorEquals": ["ReviewRejected"], "ResultPath": "$.review", "Next": "Times"}]},
        "Times": {"Type": "Pass", "End": True, "Parameters": {
            "review.$": "$.review", "started.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"}}}}
    approved = output(run(aws, flow, {"order": 12, "approve": True}))
    assert approved["review"] == {"approved": 12}
    rejected = output(run(aws, flow, {"order": 13, "approve": False}))
    assert rejected["review"] == {"Error": "ReviewRejected", "Cause": "order needs a manager"}
    for moment in (rejected["started"], rejected["entered"]):
        assert datetime.strptime(moment, "%Y-%m-%dT%H:%M:%S.%fZ") and len(moment) == 24


def test_sagemaker_model_config_and_a_failing_transform_job(aws, world):
    """"Create and manage Amazon SageMaker AI jobs with Step Functions" (connect-sagemaker.html): createModel and
    createEndpointConfig answer the new resource's ARN; ``createTransformJob.sync`` waits for the job, and a job
    that fails (here its model's artifacts are missing) fails the task with ``States.TaskFailed`` and
    DescribeTransformJob's answer, FailureReason included, as the cause."""
    name = f"orders-{world['tag']}"
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    aws.client("s3").put_object(Bucket=world["bucket"], Key="batch/in/orders.csv", Body=b"1,2\n3,4\n")
    flow = {"StartAt": "Model", "States": {
        "Model": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createModel", "ResultPath": "$.model",
                  "Next": "Config", "Parameters": {"ModelName": name, "ExecutionRoleArn": ROLE, "PrimaryContainer": {
                      "Image": image, "ModelDataUrl": f"s3://{world['bucket']}/missing/model.tar.gz"}}},
        "Config": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createEndpointConfig",
                   "ResultPath": "$.config", "Next": "Transform", "Parameters": {
                       "EndpointConfigName": name, "ProductionVariants": [{
                           "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
                           "InstanceType": "ml.m5.large"}]}},
        "Transform": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync", "End": True,
                      "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Failed"}],
                      "Parameters": {"TransformJobName": name, "ModelName": name, "TransformInput": {
                          "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                              "S3DataType": "S3Prefix", "S3Uri": f"s3://{world['bucket']}/batch/in/"}}},
                          "TransformOutput": {"S3OutputPath": f"s3://{world['bucket']}/batch/out/"},
                          "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}},
        "Failed": {"Type": "Pass", "End": True}}}
    result = output(run(aws, flow))
    assert result["model"]["ModelArn"].endswith(f":model/{name}")
    assert result["config"]["EndpointConfigArn"].endswith(f":endpoint-config/{name}")
    assert result["failure"]["Error"] == "States.TaskFailed"
    described = json.loads(result["failure"]["Cause"])
    assert described["TransformJobStatus"] == "Failed" and "model.tar.gz" in described["FailureReason"]
    assert isinstance(described["CreationTime"], int)


def test_execution_status_changes_reach_eventbridge_rules(aws, world):
    """"Automating Step Functions event delivery with EventBridge" (eventbridge-integration.html): a Standard
    execution sends "Step Functions Execution Status Change" events (source aws.states) when it starts and when
    it ends; a rule on FAILED executions forwards them to a queue, with the error and cause in the detail."""
    sqs, events = aws.client("sqs"), aws.client("events")
    alerts = sqs.create_queue(QueueName=f"failed-executions-{world['tag']}")["QueueUrl"]
    alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=f"failed-executions-{world['tag']}", EventPattern=json.dumps({
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED"], "stateMachineArn": [{"prefix": f"arn:aws:states:us-east-1:123456789012:"
                                                                        f"stateMachine:orch-watched-{world['tag']}"}]}}))
    events.put_targets(Rule=f"failed-executions-{world['tag']}", Targets=[{"Id": "alerts", "Arn": alerts_arn}])
    sfn = aws.client("stepfunctions")
    # "Amazon EventBridge targets": a state machine target is started with the role given in RoleArn
    with pytest.raises(ClientError) as refused:
        events.put_targets(Rule=f"failed-executions-{world['tag']}", Targets=[
            {"Id": "rerun", "Arn": f"arn:aws:states:us-east-1:123456789012:stateMachine:orch-{world['tag']}"}])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "RoleArn is required" in refused.value.response["Error"]["Message"]
    machine = sfn.create_state_machine(name=f"orch-watched-{world['tag']}", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "Check", "States": {"Check": {"Type": "Choice", "Default": "Reject", "Choices": [
            {"Variable": "$.total", "NumericLessThan": 100, "Next": "Accept"}]},
            "Accept": {"Type": "Succeed"}, "Reject": {"Type": "Fail", "Error": "OrderTooLarge", "Cause": "total"}}}))
    ok = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"total": 5}))
    bad = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"total": 500}))
    for started in (ok, bad):
        wait_for_execution(sfn, started["executionArn"])
    message = wait_for(lambda: sqs.receive_message(QueueUrl=alerts, WaitTimeSeconds=1).get("Messages"), timeout=20)
    event = json.loads(message[0]["Body"])
    assert event["source"] == "aws.states" and event["resources"] == [bad["executionArn"]]
    detail = event["detail"]
    assert detail["status"] == "FAILED" and detail["error"] == "OrderTooLarge" and detail["cause"] == "total"
    assert json.loads(detail["input"]) == {"total": 500} and detail["stopDate"] >= detail["startDate"]
    assert not sqs.receive_message(QueueUrl=alerts, WaitTimeSeconds=1).get("Messages")  # SUCCEEDED/RUNNING not
