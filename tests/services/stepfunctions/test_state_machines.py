"""Step Functions executions really walk their states and call other services."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers.stepfunctions import ROLE, wait_for_execution


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


def _client_error(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


@pytest.mark.slow
def test_glue_job_run_sync_waits_for_the_run(aws, s3_bucket, unique_name):
    glue, sfn = aws.client("glue"), aws.client("stepfunctions")
    aws.client("s3").put_object(Bucket=s3_bucket, Key="jobs/hello.py", Body=b"print('hello from glue')\n")
    glue.create_job(Name=unique_name, Role=ROLE, Command={"Name": "pythonshell", "PythonVersion": "3.9",
                                                          "ScriptLocation": f"s3://{s3_bucket}/jobs/hello.py"})
    machine = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": unique_name}, "End": True}}}
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(machine), roleArn=ROLE)["stateMachineArn"]
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"], timeout=120)
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    output = json.loads(result["output"])
    assert output["JobName"] == unique_name and output["JobRunState"] == "SUCCEEDED"
    assert isinstance(output["StartedOn"], int)  # timestamps as epoch milliseconds


def test_athena_query_sync_then_results_and_a_failing_query(aws, s3_bucket, unique_name):
    s3, athena, sfn = aws.client("s3"), aws.client("athena"), aws.client("stepfunctions")
    s3.put_object(Bucket=s3_bucket, Key="lake/t/part.csv", Body=b"1,a\n2,b\n3,c\n")
    database = unique_name.replace("-", "_")
    for sql in (f"CREATE DATABASE {database}",
                f"CREATE EXTERNAL TABLE {database}.t (id int, name string) ROW FORMAT DELIMITED FIELDS "
                f"TERMINATED BY ',' LOCATION 's3://{s3_bucket}/lake/t/'"):
        qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={
            "OutputLocation": f"s3://{s3_bucket}/q/"})["QueryExecutionId"]
        while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] in (
                "QUEUED", "RUNNING"):
            time.sleep(0.1)

    def machine(query):
        return {"StartAt": "Query", "States": {
            "Query": {"Type": "Task", "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
                      "Parameters": {"QueryString": query, "QueryExecutionContext": {"Database": database},
                                     "ResultConfiguration": {"OutputLocation": f"s3://{s3_bucket}/q/"}},
                      "Next": "Results"},
            "Results": {"Type": "Task", "Resource": "arn:aws:states:::athena:getQueryResults",
                        "Parameters": {"QueryExecutionId.$": "$.QueryExecution.QueryExecutionId"}, "End": True}}}

    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(machine("SELECT sum(id) FROM t")),
                                   roleArn=ROLE)["stateMachineArn"]
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    rows = json.loads(result["output"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "6"

    arn = sfn.create_state_machine(name=f"{unique_name}-bad", definition=json.dumps(machine("SELECT nope FROM t")),
                                   roleArn=ROLE)["stateMachineArn"]
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert result["status"] == "FAILED" and result["error"] == "States.TaskFailed"
    assert json.loads(result["cause"])["QueryExecution"]["Status"]["State"] == "FAILED"


def test_emr_cluster_and_step_sync_with_step_failure_caught(aws, unique_name):
    sfn = aws.client("stepfunctions")
    machine = {"StartAt": "Create", "States": {
        "Create": {"Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:createCluster.sync",
                   "Parameters": {"Name": unique_name, "ReleaseLabel": "emr-7.1.0", "Applications": [{"Name": "Spark"}],
                                  "JobFlowRole": "EMR_EC2_DefaultRole", "ServiceRole": "EMR_DefaultRole",
                                  "Instances": {"MasterInstanceType": "m5.xlarge", "InstanceCount": 1,
                                                "KeepJobFlowAliveWhenNoSteps": True}},
                   "ResultPath": "$.cluster", "Next": "Step"},
        # a Hive step fails at once in the sandbox: enough to see .sync wait for the step and fail the task
        "Step": {"Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:addStep.sync",
                 "Parameters": {"ClusterId.$": "$.cluster.ClusterId", "Step": {
                     "Name": "hive", "ActionOnFailure": "CONTINUE",
                     "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["hive-script", "--run-hive-script"]}}},
                 "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Terminate"}],
                 "Next": "Terminate"},
        "Terminate": {"Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:terminateCluster.sync",
                      "Parameters": {"ClusterId.$": "$.cluster.ClusterId"}, "ResultPath": None, "End": True}}}
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(machine), roleArn=ROLE)["stateMachineArn"]
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    output = json.loads(result["output"])
    step = json.loads(output["error"]["Cause"])["Step"]
    assert step["Status"]["State"] == "FAILED" and "is not emulated" in step["Status"]["FailureDetails"]["Message"]
    cluster = aws.client("emr").describe_cluster(ClusterId=output["cluster"]["ClusterId"])["Cluster"]
    assert cluster["Status"]["State"] == "TERMINATED"


@pytest.mark.slow
def test_sagemaker_training_job_sync(aws, s3_bucket, unique_name):
    import io
    import tarfile

    s3, sfn = aws.client("s3"), aws.client("stepfunctions")
    script = b"import os\nopen(os.path.join(os.environ['SM_MODEL_DIR'], 'model.txt'), 'w').write('trained')\n"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(script)
        tar.addfile(info, io.BytesIO(script))
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz", Body=archive.getvalue())
    s3.put_object(Bucket=s3_bucket, Key="data/train/train.csv", Body=b"1,2\n0,3\n")
    task = {
        "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync", "End": True,
        "Parameters": {
            "TrainingJobName.$": "$.job",
            "AlgorithmSpecification": {"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/"
                                                        "sagemaker-scikit-learn:1.2-1-cpu-py3",
                                       "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "HyperParameters": {"sagemaker_program": '"train.py"',
                                "sagemaker_submit_directory": f'"s3://{s3_bucket}/code/sourcedir.tar.gz"'},
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://{s3_bucket}/data/train/"}}}],
            "OutputDataConfig": {"S3OutputPath": f"s3://{s3_bucket}/output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 120}}}
    machine = {"StartAt": "Train", "States": {"Train": task}}
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(machine), roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"job": unique_name}))["executionArn"]
    result = wait_for_execution(sfn, run, timeout=180)
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    output = json.loads(result["output"])
    assert output["TrainingJobStatus"] == "Completed"
    assert output["ModelArtifacts"]["S3ModelArtifacts"].startswith(f"s3://{s3_bucket}/output/")
    # a training job that cannot start fails the task with States.TaskFailed
    broken = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"job": unique_name + "-x"}))["executionArn"]
    task["Parameters"]["HyperParameters"]["sagemaker_submit_directory"] = '"s3://no-such-bucket/x.tar.gz"'
    arn2 = sfn.create_state_machine(name=unique_name + "-broken", definition=json.dumps(machine),
                                    roleArn=ROLE)["stateMachineArn"]
    failed = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn2, input=json.dumps(
        {"job": unique_name + "-y"}))["executionArn"], timeout=120)
    assert failed["status"] == "FAILED" and failed["error"] == "States.TaskFailed"
    assert json.loads(failed["cause"])["TrainingJobStatus"] == "Failed"
    wait_for_execution(sfn, broken, timeout=180)


def test_definition_and_input_errors_are_aws_shaped(aws, unique_name):
    sfn = aws.client("stepfunctions")
    no_resource = {"StartAt": "T", "States": {"T": {"Type": "Task", "End": True}}}
    assert _client_error(sfn.create_state_machine, name=unique_name, definition=json.dumps(no_resource),
                         roleArn=ROLE) == "InvalidDefinition"
    unknown_service = {"StartAt": "T", "States": {"T": {"Type": "Task", "End": True,
                                                        "Resource": "arn:aws:states:::nosuchservice:doIt"}}}
    assert _client_error(sfn.create_state_machine, name=unique_name, definition=json.dumps(unknown_service),
                         roleArn=ROLE) == "InvalidDefinition"
    verdict = sfn.validate_state_machine_definition(definition=json.dumps(no_resource))
    assert verdict["result"] == "FAIL" and verdict["diagnostics"][0]["severity"] == "ERROR"
    good = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    assert sfn.validate_state_machine_definition(definition=json.dumps(good))["result"] == "OK"

    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(good), roleArn=ROLE)["stateMachineArn"]
    assert _client_error(sfn.start_execution, stateMachineArn=arn, input="{not json") == "InvalidExecutionInput"
    first = sfn.start_execution(stateMachineArn=arn, name="once", input="{}")["executionArn"]
    wait_for_execution(sfn, first)
    # a finished execution's name cannot be reused (a running one with the same input is idempotent)
    assert _client_error(sfn.start_execution, stateMachineArn=arn, name="once", input="{}") == "ExecutionAlreadyExists"
    missing = arn.replace(unique_name, unique_name + "-missing")
    assert _client_error(sfn.start_execution, stateMachineArn=missing) == "StateMachineDoesNotExist"
