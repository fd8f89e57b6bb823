"""Step Functions' execution APIs and definition checks as AWS documents them: the StopExecution and
GetExecutionHistory API references, "Learning to use AWS service SDK integrations in Step Functions"
(supported-services-awssdk: errors named ``ServiceName.ErrorName`` in Pascal case), and CreateStateMachine's
InvalidDefinition for unreachable states."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from emulators.stepfunctions.executions import pascal_service_name
from tests.helpers.stepfunctions import ROLE, wait_for_execution


def _machine(sfn, name, definition):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def test_stop_execution_records_error_and_cause(aws, unique_name):
    sfn = aws.client("stepfunctions")
    arn = _machine(sfn, unique_name, {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 60, "End": True}}})
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    stopped = sfn.stop_execution(executionArn=run, error="Operator.Cancelled", cause="no longer needed")
    assert "stopDate" in stopped
    described = wait_for_execution(sfn, run)
    assert described["status"] == "ABORTED"
    assert (described["error"], described["cause"]) == ("Operator.Cancelled", "no longer needed")
    events = sfn.get_execution_history(executionArn=run)["events"]
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Operator.Cancelled", "cause": "no longer needed"}
    assert [e["previousEventId"] for e in events] == [0] + [e["id"] - 1 for e in events[1:]]


def test_execution_history_reverse_order_and_pages(aws, unique_name):
    sfn = aws.client("stepfunctions")
    arn = _machine(sfn, unique_name, {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                                                 "B": {"Type": "Pass", "End": True}}})
    run = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert wait_for_execution(sfn, run)["status"] == "SUCCEEDED"
    forward = sfn.get_execution_history(executionArn=run)["events"]
    assert [e["type"] for e in forward][:2] == ["ExecutionStarted", "PassStateEntered"]
    backward = sfn.get_execution_history(executionArn=run, reverseOrder=True)["events"]
    assert [e["id"] for e in backward] == [e["id"] for e in reversed(forward)]
    assert backward[0]["type"] == "ExecutionSucceeded"
    first = sfn.get_execution_history(executionArn=run, maxResults=2)
    assert [e["id"] for e in first["events"]] == [1, 2] and first["nextToken"]
    rest = sfn.get_execution_history(executionArn=run, maxResults=100, nextToken=first["nextToken"])
    assert [e["id"] for e in rest["events"]] == [e["id"] for e in forward[2:]] and "nextToken" not in rest
    with pytest.raises(ClientError) as exc:
        sfn.get_execution_history(executionArn=run + "-missing")
    assert exc.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_aws_sdk_errors_are_named_as_the_developer_guide_says(aws, unique_name):
    sfn = aws.client("stepfunctions")
    arn = _machine(sfn, unique_name, {"StartAt": "Read", "States": {
        "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                 "Parameters": {"Bucket": f"{unique_name}-missing", "Key": "x"},
                 "Catch": [{"ErrorEquals": ["S3.NoSuchBucketException"], "ResultPath": "$.error", "Next": "Gone"}],
                 "End": True},
        "Gone": {"Type": "Pass", "End": True}}})
    described = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    error = json.loads(described["output"])["error"]
    assert error["Error"] == "S3.NoSuchBucketException"
    assert "(Service: S3, Status Code: 404" in error["Cause"]


def test_sdk_service_names_in_pascal_case():
    assert [pascal_service_name(s) for s in ("S3", "DynamoDB", "ACM PCA", "SFN", "Secrets Manager", "EC2",
                                             "SageMaker", "CloudWatch Logs")] == [
        "S3", "DynamoDb", "AcmPca", "Sfn", "SecretsManager", "Ec2", "SageMaker", "CloudWatchLogs"]


@pytest.mark.parametrize("definition,message", [
    ({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True}}},
     'State "B" is not reachable'),
    ({"States": {"A": {"Type": "Pass", "End": True}}}, "[StartAt]"),
    ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": ["B"]}, "B": {"Type": "Pass", "End": True}}},
     "MISSING_TRANSITION_TARGET"),
])
def test_definition_errors_on_create_and_update(aws, unique_name, definition, message):
    sfn = aws.client("stepfunctions")
    with pytest.raises(ClientError) as exc:
        _machine(sfn, unique_name, definition)
    assert exc.value.response["Error"]["Code"] == "InvalidDefinition"
    assert message in exc.value.response["Error"]["Message"]
    arn = _machine(sfn, unique_name, {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(definition))
    assert exc.value.response["Error"]["Code"] == "InvalidDefinition"


@pytest.mark.parametrize("definition", [
    {"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% 1 + 1 %}",
                                                                 "End": True}}},
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"x": 1}, "End": True}}},
])
def test_jsonata_and_variables_are_refused_with_a_clear_message(aws, unique_name, definition):
    with pytest.raises(ClientError) as exc:
        _machine(aws.client("stepfunctions"), unique_name, definition)
    assert exc.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "does not emulate" in exc.value.response["Error"]["Message"]


def _run(sfn, name, definition, execution_input):
    arn = _machine(sfn, name, definition)
    return wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))[
        "executionArn"])


def test_no_choice_matched_fails_the_execution_and_is_catchable_around_a_branch(aws, unique_name):
    """"Error handling in Step Functions" (concepts-error-handling): States.NoChoiceMatched."""
    sfn = aws.client("stepfunctions")
    choice = {"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.kind", "StringEquals": "csv", "Next": "Csv"}]},
        "Csv": {"Type": "Pass", "End": True}}}
    failed = _run(sfn, unique_name, choice, {"kind": "xml"})
    assert (failed["status"], failed["error"]) == ("FAILED", "States.NoChoiceMatched")
    wrapped = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [choice], "End": True,
                 "Catch": [{"ErrorEquals": ["States.NoChoiceMatched"], "ResultPath": "$.error", "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}
    caught = _run(sfn, f"{unique_name}-p", wrapped, {"kind": "xml"})
    assert caught["status"] == "SUCCEEDED", caught
    assert json.loads(caught["output"])["error"]["Error"] == "States.NoChoiceMatched"


def test_states_errors_of_map_iterations_reach_the_maps_catch(aws, unique_name):
    """"Error handling in Step Functions": a Map state's Catch sees its iterations' States.TaskFailed."""
    sfn = aws.client("stepfunctions")
    definition = {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                 "ItemProcessor": {"StartAt": "Fail", "States": {
                     "Fail": {"Type": "Fail", "Error": "States.TaskFailed", "Cause": "item rejected"}}},
                 "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}
    described = _run(sfn, unique_name, definition, {"items": [1, 2]})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["error"] == {"Error": "States.TaskFailed", "Cause": "item rejected"}


def test_states_all_does_not_catch_states_runtime(aws, unique_name):
    """"Error handling in Step Functions": a catcher on States.ALL does not catch States.Runtime."""
    sfn = aws.client("stepfunctions")
    definition = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "End": True,
                 "Branches": [{"StartAt": "Read", "States": {"Read": {"Type": "Pass", "InputPath": "$.missing",
                                                                        "End": True}}}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}
    described = _run(sfn, unique_name, definition, {"present": 1})
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert "$.missing" in described["cause"] and "Custom Error Names" not in described["cause"]


def test_start_sync_execution_runs_an_express_machine(aws, unique_name):
    """StartSyncExecution API reference: an EXPRESS state machine's result in the response; a STANDARD one is
    StateMachineTypeNotSupported. (sandbox.connect() clients do not put the operation's "sync-" host prefix
    before the sandbox's address.)"""
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(name=unique_name, roleArn=ROLE, type="EXPRESS", definition=json.dumps(
        {"StartAt": "Add", "States": {"Add": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
                                              "End": True}}}))["stateMachineArn"]
    done = sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"a": 2, "b": 3}))
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"sum": 5}
    assert done["stateMachineArn"] == arn and done["stopDate"] >= done["startDate"]
    failing = sfn.create_state_machine(name=f"{unique_name}-f", roleArn=ROLE, type="EXPRESS", definition=json.dumps(
        {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Rejected", "Cause": "bad order"}}}))
    failed = sfn.start_sync_execution(stateMachineArn=failing["stateMachineArn"])
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Rejected", "bad order")
    standard = _machine(sfn, f"{unique_name}-s", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(ClientError) as exc:
        sfn.start_sync_execution(stateMachineArn=standard)
    assert exc.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"


def test_send_task_success_needs_json_output(aws, unique_name):
    """SendTaskSuccess API reference: output that is not JSON is InvalidOutput; a token no task waits for is
    InvalidToken."""
    sfn, sqs = aws.client("stepfunctions"), aws.client("sqs")
    url = sqs.create_queue(QueueName=unique_name)["QueueUrl"]
    arn = _machine(sfn, unique_name, {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}})
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    messages: list = []
    while not messages:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    token = json.loads(messages[0]["Body"])["token"]
    with pytest.raises(ClientError) as exc:
        sfn.send_task_success(taskToken=token, output="{not json")
    assert exc.value.response["Error"]["Code"] == "InvalidOutput"
    sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    described = wait_for_execution(sfn, run)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"approved": True}
    with pytest.raises(ClientError) as exc:
        sfn.send_task_success(taskToken=token, output="{}")
    assert exc.value.response["Error"]["Code"] == "InvalidToken"


def test_result_path_that_does_not_fit_the_input(aws, unique_name):
    """"Error handling in Step Functions": States.ResultPathMatchFailure when a ResultPath cannot be applied to
    the state's input; a Catch on the Task state handles it."""
    sfn = aws.client("stepfunctions")
    failing = _run(sfn, unique_name, {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": 1, "ResultPath": "$.rows.count", "End": True}}}, {"rows": [1, 2]})
    assert (failing["status"], failing["error"]) == ("FAILED", "States.ResultPathMatchFailure")
    caught = _run(sfn, f"{unique_name}-c", {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Parameters": {},
              "ResultPath": "$.rows.count", "End": True,
              "Catch": [{"ErrorEquals": ["States.ResultPathMatchFailure"], "ResultPath": "$.error", "Next": "H"}]},
        "H": {"Type": "Pass", "End": True}}}, {"rows": [1, 2]})
    assert caught["status"] == "SUCCEEDED"
    assert json.loads(caught["output"])["error"]["Error"] == "States.ResultPathMatchFailure"


def test_aws_sdk_outputs_carry_iso_timestamps(aws, s3_bucket, unique_name):
    """"Learning to use AWS service SDK integrations": the output is the service's response; its timestamps are
    ISO 8601 instants in UTC, as the AWS SDK writes them."""
    import re

    aws.client("s3").put_object(Bucket=s3_bucket, Key="in.json", Body=b'{"rows": 3}')
    sfn = aws.client("stepfunctions")
    described = _run(sfn, unique_name, {"StartAt": "Get", "States": {"Get": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {"Bucket": s3_bucket, "Key": "in.json"}, "End": True}}}, {})
    output = json.loads(described["output"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", output["LastModified"]), output["LastModified"]
    assert json.loads(output["Body"]) == {"rows": 3}


def test_states_format_escapes_and_placeholders(aws, unique_name):
    """"Intrinsic functions in Amazon States Language": States.Format replaces each {} with the next argument;
    reserved characters escaped with a backslash (written \\\\{ in the JSON definition) are kept literally."""
    sfn = aws.client("stepfunctions")
    definition = ('{"StartAt": "F", "States": {"F": {"Type": "Pass", "End": true, "Parameters": {'
                  '"text.$": "States.Format(\'{} wrote \\\\{json\\\\} for {}\', $.who, $.count)"}}}}')
    arn = sfn.create_state_machine(name=unique_name, definition=definition, roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"who": "Ana", "count": 3}))["executionArn"]
    described = wait_for_execution(sfn, run)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"text": "Ana wrote {json} for 3"}
    short = _run(sfn, f"{unique_name}-s", {"StartAt": "F", "States": {"F": {
        "Type": "Pass", "End": True, "Parameters": {"text.$": "States.Format('{} and {}', $.who)"}}}}, {"who": "Ana"})
    assert (short["status"], short["error"]) == ("FAILED", "States.Runtime")
    quoted = _run(sfn, f"{unique_name}-q", {"StartAt": "F", "States": {"F": {
        "Type": "Pass", "End": True, "Parameters": {"text.$": "States.Format('It\\'s {}', $.who)"}}}}, {"who": "Ana"})
    assert json.loads(quoted["output"]) == {"text": "It's Ana"}


def test_intrinsic_null_argument(aws, unique_name):
    """"Intrinsic functions in Amazon States Language", States.Array: ``States.Array('Foo', 2020, $.someJson,
    null)`` gives ``["Foo", 2020, {...}, null]``; the stored definition is left as it was sent."""
    sfn = aws.client("stepfunctions")
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Parameters": {
        "BuildId.$": "States.Array('Foo', 2020, $.someJson, null)"}}}}
    described = _run(sfn, unique_name, definition, {"someJson": {"random": "abcdefg"}})
    assert json.loads(described["output"]) == {"BuildId": ["Foo", 2020, {"random": "abcdefg"}, None]}
    stored = sfn.describe_state_machine(stateMachineArn=described["stateMachineArn"])["definition"]
    assert json.loads(stored) == definition


def test_heartbeat_timeout_is_its_own_error(aws, unique_name):
    """"Error handling in Step Functions": a task that sends no heartbeat within HeartbeatSeconds fails with
    States.HeartbeatTimeout (TimeoutSeconds gives States.Timeout)."""
    sfn, sqs = aws.client("stepfunctions"), aws.client("sqs")
    url = sqs.create_queue(QueueName=unique_name)["QueueUrl"]
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                 "HeartbeatSeconds": 1, "TimeoutSeconds": 30,
                 "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
                 "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.error", "Next": "Late"}],
                 "End": True},
        "Late": {"Type": "Pass", "End": True}}}
    described = _run(sfn, unique_name, definition, {})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["error"]["Error"] == "States.HeartbeatTimeout"
