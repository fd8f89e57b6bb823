"""EventBridge through the sandbox: PutEvents and service events reach each target kind; schedules fire."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile

import pytest

from .conftest import ACCOUNT, wait_for

REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sandbox-events"


def make_queue(aws, name):
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(aws, url, timeout=30.0, count=1):
    sqs, got = aws.client("sqs"), []

    def check():
        got.extend(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                       WaitTimeSeconds=0).get("Messages", []))
        return len(got) >= count

    wait_for(check, timeout)
    return got


def rule(aws, name, targets, pattern=None, **kwargs):
    events = aws.client("events")
    pattern = pattern or {"source": [f"sandbox.{name}"]}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), **kwargs)
    result = events.put_targets(Rule=name, Targets=targets)
    assert result["FailedEntryCount"] == 0
    return name


def put(aws, name, detail, detail_type="test"):
    out = aws.client("events").put_events(Entries=[{"Source": f"sandbox.{name}", "DetailType": detail_type,
                                                    "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0
    return out["Entries"][0]["EventId"]


def test_input_transformer_input_and_inputpath_reach_sqs_exactly(aws, unique_name):
    url, arn = make_queue(aws, unique_name)
    rule(aws, unique_name, [
        {"Id": "transformed", "Arn": arn, "InputTransformer": {
            "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state"},
            "InputTemplate": '{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}'}},
        {"Id": "text", "Arn": arn, "InputTransformer": {
            "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state"},
            "InputTemplate": '"instance <instance> is in <state>"'}},
        {"Id": "constant", "Arn": arn, "Input": '{"fixed": true}'},
        {"Id": "path", "Arn": arn, "InputPath": "$.detail.tags"},
        {"Id": "whole", "Arn": arn}])
    event_id = put(aws, unique_name, {"instance-id": "i-0123456789", "state": "RUNNING", "tags": {"team": "data"}})
    bodies = sorted(m["Body"] for m in receive(aws, url, count=5))
    whole = next(json.loads(b) for b in bodies if b.startswith('{"version"'))
    assert sorted(b for b in bodies if not b.startswith('{"version"')) == sorted([
        '{"instance": "i-0123456789", "state": [9, "RUNNING", true], "Transformed": "Yes"}',
        '"instance i-0123456789 is in RUNNING"', '{"fixed": true}', '{"team": "data"}'])
    assert whole["id"] == event_id and whole["source"] == f"sandbox.{unique_name}"
    assert whole["account"] == ACCOUNT and whole["time"].endswith("Z")
    assert whole["detail"]["state"] == "RUNNING"


def test_disabled_and_schedule_only_rules_do_not_match(aws, unique_name):
    events = aws.client("events")
    url, arn = make_queue(aws, unique_name)
    rule(aws, unique_name, [{"Id": "q", "Arn": arn}], State="DISABLED")
    events.put_rule(Name=unique_name + "-sched", ScheduleExpression="rate(1 day)")
    events.put_targets(Rule=unique_name + "-sched", Targets=[{"Id": "q", "Arn": arn}])
    put(aws, unique_name, {"n": 1})
    time.sleep(1.5)
    assert not aws.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")
    events.enable_rule(Name=unique_name)
    put(aws, unique_name, {"n": 2})
    assert [json.loads(m["Body"])["detail"] for m in receive(aws, url)] == [{"n": 2}]
    events.remove_targets(Rule=unique_name + "-sched", Ids=["q"])
    events.delete_rule(Name=unique_name + "-sched")


def test_sns_topic_target_reaches_its_sqs_subscription(aws, unique_name):
    sns = aws.client("sns")
    topic = sns.create_topic(Name=unique_name)["TopicArn"]
    url, arn = make_queue(aws, unique_name)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    rule(aws, unique_name, [{"Id": "topic", "Arn": topic, "InputPath": "$.detail"}])
    put(aws, unique_name, {"order": 42})
    assert json.loads(receive(aws, url)[0]["Body"]) == {"order": 42}


def lambda_zip(code: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", code)
    return buffer.getvalue()


WRITER = """
import json, boto3

def handler(event, context):
    boto3.client("s3").put_object(Bucket=event["detail"]["bucket"], Key="from-eventbridge.json",
                                  Body=json.dumps(event).encode())
    return "ok"
"""


@pytest.fixture(scope="module")
def lambda_role(aws):
    iam = aws.client("iam")
    try:
        return iam.get_role(RoleName="sandbox-events-lambda")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName="sandbox-events-lambda", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]


def test_lambda_target_is_invoked_asynchronously_with_the_event(aws, unique_name, s3_bucket, lambda_role):
    fn = aws.client("lambda").create_function(
        FunctionName=unique_name, Runtime="python3.12", Role=lambda_role, Handler="app.handler",
        Code={"ZipFile": lambda_zip(WRITER)}, Timeout=30)["FunctionArn"]
    rule(aws, unique_name, [{"Id": "fn", "Arn": fn}])
    event_id = put(aws, unique_name, {"bucket": s3_bucket})
    s3 = aws.client("s3")

    def written():
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
        return "from-eventbridge.json" in keys

    wait_for(written, timeout=60)
    body = json.loads(s3.get_object(Bucket=s3_bucket, Key="from-eventbridge.json")["Body"].read())
    assert body["id"] == event_id and body["detail-type"] == "test"
    s3.delete_object(Bucket=s3_bucket, Key="from-eventbridge.json")


@pytest.mark.slow
def test_missing_target_goes_to_the_dead_letter_queue(aws, unique_name):
    url, dlq = make_queue(aws, unique_name + "-dlq")
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{unique_name}-missing"
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{unique_name}-none"
    rule(aws, unique_name, [{"Id": "fn", "Arn": missing, "DeadLetterConfig": {"Arn": dlq}},
                            {"Id": "sfn", "Arn": machine, "RoleArn": ROLE, "DeadLetterConfig": {"Arn": dlq}}])
    event_id = put(aws, unique_name, {"x": 1})
    messages = receive(aws, url, count=2)
    assert {json.loads(m["Body"])["id"] for m in messages} == {event_id}
    targets = {m["MessageAttributes"]["TARGET_ARN"]["StringValue"] for m in messages}
    assert missing in targets and len(targets) == 2
    for m in messages:
        assert m["MessageAttributes"]["RULE_ARN"]["StringValue"].endswith(f":rule/{unique_name}")
        assert m["MessageAttributes"]["ERROR_CODE"]["StringValue"]


def test_step_functions_target_starts_an_execution_with_the_transformed_input(aws, unique_name):
    sfn = aws.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    rule(aws, unique_name, [{"Id": "sm", "Arn": machine, "RoleArn": ROLE, "InputTransformer": {
        "InputPathsMap": {"file": "$.detail.key"}, "InputTemplate": '{"file": <file>, "rule": "<aws.events.rule-name>"}'}}])
    put(aws, unique_name, {"key": "raw/2024/data.csv"})
    executions = wait_for(lambda: sfn.list_executions(stateMachineArn=machine)["executions"])
    described = wait_for(lambda: (d := sfn.describe_execution(executionArn=executions[0]["executionArn"]))
                         ["status"] != "RUNNING" and d)
    assert json.loads(described["input"]) == {"file": "raw/2024/data.csv", "rule": unique_name}
    assert described["status"] == "SUCCEEDED"


@pytest.fixture(scope="module")
def batch_queue(aws):
    iam, batch = aws.client("iam"), aws.client("batch")
    role = iam.create_role(RoleName="sandbox-events-batch", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    env = batch.create_compute_environment(computeEnvironmentName="sandbox-events-ce", type="UNMANAGED",
                                           serviceRole=role)["computeEnvironmentArn"]
    return batch.create_job_queue(jobQueueName="sandbox-events-queue", state="ENABLED", priority=1,
                                  computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])["jobQueueArn"]


def test_batch_target_submits_a_job_that_runs_and_reports_its_state_change(aws, unique_name, batch_queue):
    batch, events = aws.client("batch"), aws.client("events")
    definition = batch.register_job_definition(
        jobDefinitionName=unique_name, type="container",
        containerProperties={"image": "python:3.11-slim", "command": ["python", "-c", "import sys; print(sys.argv[1])",
                                                                      "Ref::greeting"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "512"}]})["jobDefinitionArn"]
    url, arn = make_queue(aws, unique_name)
    events.put_rule(Name=unique_name + "-done", EventPattern=json.dumps({
        "source": ["aws.batch"], "detail-type": ["Batch Job State Change"],
        "detail": {"jobName": [unique_name], "status": ["SUCCEEDED", "FAILED"]}}))
    events.put_targets(Rule=unique_name + "-done", Targets=[{"Id": "q", "Arn": arn}])
    rule(aws, unique_name, [{"Id": "job", "Arn": batch_queue, "RoleArn": ROLE,
                             "Input": json.dumps({"Parameters": {"greeting": "hello-from-eventbridge"}}),
                             "BatchParameters": {"JobDefinition": definition, "JobName": unique_name}}])
    put(aws, unique_name, {"go": True})
    jobs = wait_for(lambda: [j for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED",
                                              "FAILED")
                             for j in batch.list_jobs(jobQueue=batch_queue, jobStatus=status)["jobSummaryList"]
                             if j["jobName"] == unique_name])
    job_id = jobs[0]["jobId"]
    job = wait_for(lambda: (j := batch.describe_jobs(jobs=[job_id])["jobs"][0])["status"] in ("SUCCEEDED", "FAILED")
                   and j, timeout=60)
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert job["parameters"]["greeting"] == "hello-from-eventbridge"
    change = json.loads(receive(aws, url)[0]["Body"])
    assert change["source"] == "aws.batch" and change["detail-type"] == "Batch Job State Change"
    assert change["detail"]["jobId"] == job_id and change["detail"]["status"] == "SUCCEEDED"
    assert change["resources"] == [job["jobArn"]]


def test_kinesis_target_record_is_readable(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    stream = kinesis.describe_stream(StreamName=unique_name)["StreamDescription"]
    rule(aws, unique_name, [{"Id": "k", "Arn": stream["StreamARN"], "RoleArn": ROLE, "InputPath": "$.detail",
                             "KinesisParameters": {"PartitionKeyPath": "$.detail.customer"}}])
    put(aws, unique_name, {"customer": "c-7", "amount": 12.5})
    iterator = kinesis.get_shard_iterator(StreamName=unique_name, ShardId=stream["Shards"][0]["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = wait_for(lambda: kinesis.get_records(ShardIterator=iterator)["Records"])
    assert json.loads(records[0]["Data"]) == {"customer": "c-7", "amount": 12.5}
    assert records[0]["PartitionKey"] == "c-7"


def test_firehose_target_delivers_to_s3(aws, unique_name, s3_bucket):
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    firehose.create_delivery_stream(
        DeliveryStreamName=unique_name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{s3_bucket}", "Prefix": "events/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})
    stream = firehose.describe_delivery_stream(DeliveryStreamName=unique_name)["DeliveryStreamDescription"]
    rule(aws, unique_name, [{"Id": "f", "Arn": stream["DeliveryStreamARN"], "InputPath": "$.detail"}])
    put(aws, unique_name, {"row": 1})
    keys = wait_for(lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="events/")
                             .get("Contents", [])])
    assert json.loads(s3.get_object(Bucket=s3_bucket, Key=keys[0])["Body"].read()) == {"row": 1}
    for key in keys:
        s3.delete_object(Bucket=s3_bucket, Key=key)


def test_sagemaker_pipeline_target_starts_an_execution_with_parameters(aws, unique_name):
    sm = aws.client("sagemaker")
    body = {"Version": "2020-12-01", "Parameters": [{"Name": "Rows", "Type": "Integer", "DefaultValue": 1}],
            "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Parameters.Rows"}}}]}
    arn = sm.create_pipeline(PipelineName=unique_name, RoleArn=ROLE,
                             PipelineDefinition=json.dumps(body))["PipelineArn"]
    rule(aws, unique_name, [{"Id": "p", "Arn": arn, "RoleArn": ROLE, "SageMakerPipelineParameters": {
        "PipelineParameterList": [{"Name": "Rows", "Value": "7"}]}}])
    put(aws, unique_name, {"retrain": True})
    executions = wait_for(lambda: sm.list_pipeline_executions(PipelineName=unique_name)["PipelineExecutionSummaries"])
    parameters = sm.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=executions[0]["PipelineExecutionArn"])["PipelineParameters"]
    assert {"Name": "Rows", "Value": "7"} in parameters


def test_glue_job_state_change_event(aws, unique_name, s3_bucket):
    glue = aws.client("glue")
    url, arn = make_queue(aws, unique_name)
    aws.client("events").put_rule(Name=unique_name, EventPattern=json.dumps({
        "source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": [unique_name], "state": ["FAILED", "SUCCEEDED", "TIMEOUT", "STOPPED"]}}))
    aws.client("events").put_targets(Rule=unique_name, Targets=[{"Id": "q", "Arn": arn}])
    glue.create_job(Name=unique_name, Role=ROLE, Command={"Name": "glueetl",
                                                          "ScriptLocation": f"s3://{s3_bucket}/scripts/nope.py"})
    run_id = glue.start_job_run(JobName=unique_name)["JobRunId"]
    event = json.loads(receive(aws, url)[0]["Body"])
    assert event["source"] == "aws.glue" and event["detail-type"] == "Glue Job State Change"
    assert event["detail"]["jobName"] == unique_name and event["detail"]["jobRunId"] == run_id
    assert event["detail"]["state"] == "FAILED" and event["detail"]["severity"] == "ERROR"
    assert "cannot be read" in event["detail"]["message"]


@pytest.mark.slow
def test_cron_schedule_fires_its_targets_and_disabled_rules_do_not(aws, unique_name):
    """One real fire: ``cron(* * * * ? *)`` fires at the next minute boundary (at most ~62 s away)."""
    events = aws.client("events")
    url, arn = make_queue(aws, unique_name)
    off_url, off_arn = make_queue(aws, unique_name + "-off")
    events.put_rule(Name=unique_name, ScheduleExpression="cron(* * * * ? *)")
    events.put_targets(Rule=unique_name, Targets=[{"Id": "q", "Arn": arn}])
    events.put_rule(Name=unique_name + "-off", ScheduleExpression="cron(* * * * ? *)", State="DISABLED")
    events.put_targets(Rule=unique_name + "-off", Targets=[{"Id": "q", "Arn": off_arn}])
    rule_arn = events.describe_rule(Name=unique_name)["Arn"]
    event = json.loads(receive(aws, url, timeout=75)[0]["Body"])
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == [rule_arn] and event["detail"] == {}
    assert event["account"] == ACCOUNT and event["region"] == REGION
    assert event["time"].endswith(":00Z")
    events.disable_rule(Name=unique_name)
    assert not aws.client("sqs").receive_message(QueueUrl=off_url, WaitTimeSeconds=0).get("Messages")
    for name in (unique_name, unique_name + "-off"):
        events.remove_targets(Rule=name, Ids=["q"])
        events.delete_rule(Name=name)


def test_cloudwatch_logs_target_gets_the_event(aws, unique_name):
    logs = aws.client("logs")
    group = f"/aws/events/{unique_name}"
    logs.create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
    rule(aws, unique_name, [{"Id": "log", "Arn": arn}])
    event_id = put(aws, unique_name, {"level": "info"})
    found = wait_for(lambda: logs.filter_log_events(logGroupName=group)["events"])
    event = json.loads(found[0]["message"])
    assert event["id"] == event_id and event["detail"] == {"level": "info"}
