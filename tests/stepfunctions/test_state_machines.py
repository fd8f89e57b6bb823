"""Step Functions executions really walk their states and call other services."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/sandbox-sfn"


def wait_for_execution(sfn, arn, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2)
    raise AssertionError(f"execution still RUNNING after {timeout} s")


def test_choice_and_pass_states_compute_the_output(aws, unique_name):
    sfn = aws.client("stepfunctions")
    definition = {
        "StartAt": "Classify",
        "States": {
            "Classify": {"Type": "Choice", "Choices": [
                {"Variable": "$.amount", "NumericGreaterThan": 100, "Next": "Large"}], "Default": "Small"},
            "Large": {"Type": "Pass", "Result": "large", "ResultPath": "$.size", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
        },
    }
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"]
    big = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"amount": 250}))["executionArn"]
    small = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"amount": 5}))["executionArn"]
    assert json.loads(wait_for_execution(sfn, big)["output"]) == {"amount": 250, "size": "large"}
    assert json.loads(wait_for_execution(sfn, small)["output"]) == {"amount": 5, "size": "small"}
    events = [e["type"] for e in sfn.get_execution_history(executionArn=big)["events"]]
    assert events[0] == "ExecutionStarted" and events[-1] == "ExecutionSucceeded"


def test_sdk_integration_task_writes_to_s3(aws, s3_bucket, unique_name):
    sfn = aws.client("stepfunctions")
    definition = {
        "StartAt": "Save",
        "States": {"Save": {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {"Bucket": s3_bucket, "Key": "reports/run.json", "Body.$": "States.JsonToString($)"},
            "End": True}},
    }
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"rows": 42}))["executionArn"]
    result = wait_for_execution(sfn, run)
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    body = aws.client("s3").get_object(Bucket=s3_bucket, Key="reports/run.json")["Body"].read()
    assert json.loads(body) == {"rows": 42}


def test_fail_state_and_catch(aws, unique_name):
    sfn = aws.client("stepfunctions")
    definition = {
        "StartAt": "Read",
        "States": {
            "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                     "Parameters": {"Bucket": "no-such-bucket-anywhere", "Key": "x"},
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": "$.error"}],
                     "End": True},
            "Failed": {"Type": "Fail", "Error": "InputMissing", "Cause": "the input object is not there"},
        },
    }
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"]
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert result["status"] == "FAILED"
    assert result["error"] == "InputMissing"


def test_invalid_definition_is_rejected(aws, unique_name):
    with pytest.raises(ClientError) as exc:
        aws.client("stepfunctions").create_state_machine(
            name=unique_name, definition=json.dumps({"StartAt": "Nowhere", "States": {}}), roleArn=ROLE)
    assert exc.value.response["Error"]["Code"] == "InvalidDefinition"


def test_state_machine_orchestrates_a_batch_job(aws, s3_bucket, unique_name):
    """The exam pattern: Step Functions runs a Batch job and waits for it (.sync)."""
    iam, batch, sfn = aws.client("iam"), aws.client("batch"), aws.client("stepfunctions")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName=unique_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    env = batch.create_compute_environment(computeEnvironmentName=unique_name, type="UNMANAGED",
                                           serviceRole=role)["computeEnvironmentArn"]
    queue = batch.create_job_queue(jobQueueName=unique_name, state="ENABLED", priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])["jobQueueArn"]
    script = ("import boto3, sys; boto3.client('s3').put_object(Bucket=sys.argv[1], Key='batch/report.txt', "
              "Body=b'daily report')")
    definition_arn = batch.register_job_definition(
        jobDefinitionName=unique_name, type="container",
        containerProperties={"image": "python:3.11", "command": ["python", "-c", script, "Ref::bucket"],
                             "vcpus": 1, "memory": 256})["jobDefinitionArn"]
    machine = {
        "StartAt": "Report",
        "States": {"Report": {
            "Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
            "Parameters": {"JobName": "report", "JobQueue": queue, "JobDefinition": definition_arn,
                           "Parameters": {"bucket.$": "$.bucket"}},
            "End": True}},
    }
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(machine), roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"bucket": s3_bucket}))["executionArn"]
    result = wait_for_execution(sfn, run, timeout=90)
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    assert json.loads(result["output"])["Status"] == "SUCCEEDED"
    body = aws.client("s3").get_object(Bucket=s3_bucket, Key="batch/report.txt")["Body"].read()
    assert body == b"daily report"
