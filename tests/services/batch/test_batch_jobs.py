"""Batch jobs run their container command locally: output, failures, dependencies, arrays, retries."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def queue(aws):
    iam, batch = aws.client("iam"), aws.client("batch")
    role = iam.create_role(RoleName="sandbox-batch-service", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    env = batch.create_compute_environment(computeEnvironmentName="sandbox-ce", type="UNMANAGED",
                                           serviceRole=role)["computeEnvironmentArn"]
    return batch.create_job_queue(jobQueueName="sandbox-queue", state="ENABLED", priority=1,
                                  computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])["jobQueueArn"]


def job_definition(batch, name, command, **extra):
    return batch.register_job_definition(
        jobDefinitionName=name, type="container",
        containerProperties={"image": "python:3.11-slim", "command": command,
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "512"}],
                             "environment": [{"name": "GREETING", "value": "hello"}]}, **extra)["jobDefinitionArn"]


def wait_for_job(batch, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']}")


def log_lines(aws, job):
    stream = job["container"]["logStreamName"]
    events = aws.client("logs").get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
    return [e["message"] for e in events]


def test_command_runs_with_parameters_environment_and_sandbox_access(aws, queue, s3_bucket, unique_name):
    batch = aws.client("batch")
    script = ("import boto3, os, sys; "
              "boto3.client('s3').put_object(Bucket=sys.argv[1], Key='out.txt', "
              "Body=(os.environ['GREETING'] + ' ' + os.environ['AWS_BATCH_JOB_ID']).encode()); "
              "print('done', sys.argv[1])")
    definition = job_definition(batch, unique_name, ["python", "-c", script, "Ref::bucket"])
    job_id = batch.submit_job(jobName=unique_name, jobQueue=queue, jobDefinition=definition,
                              parameters={"bucket": s3_bucket})["jobId"]
    job = wait_for_job(batch, job_id)
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert job["container"]["exitCode"] == 0
    body = aws.client("s3").get_object(Bucket=s3_bucket, Key="out.txt")["Body"].read().decode()
    assert body == f"hello {job_id}"
    assert f"done {s3_bucket}" in log_lines(aws, job)


def test_failing_command_fails_after_its_retries(aws, queue, unique_name):
    batch = aws.client("batch")
    definition = job_definition(batch, unique_name, ["python", "-c", "import sys; print('boom'); sys.exit(3)"],
                                retryStrategy={"attempts": 2})
    job = wait_for_job(batch, batch.submit_job(jobName=unique_name, jobQueue=queue,
                                               jobDefinition=definition)["jobId"])
    assert job["status"] == "FAILED"
    assert job["container"]["exitCode"] == 3
    assert len(job["attempts"]) == 2


def test_dependencies_and_array_jobs(aws, queue, unique_name):
    batch = aws.client("batch")
    first_def = job_definition(batch, unique_name + "a", ["python", "-c", "print('first')"])
    array_def = job_definition(batch, unique_name + "b",
                               ["python", "-c", "import os; print('index', os.environ['AWS_BATCH_JOB_ARRAY_INDEX'])"])
    first = batch.submit_job(jobName="first", jobQueue=queue, jobDefinition=first_def)["jobId"]
    array = batch.submit_job(jobName="fanout", jobQueue=queue, jobDefinition=array_def,
                             arrayProperties={"size": 3}, dependsOn=[{"jobId": first}])["jobId"]
    assert wait_for_job(batch, first)["status"] == "SUCCEEDED"
    children = [wait_for_job(batch, f"{array}:{i}") for i in range(3)]
    assert all(child["status"] == "SUCCEEDED" for child in children)
    assert [log_lines(aws, c) for c in children] == [[f"index {i}"] for i in range(3)]


def test_timeout_and_terminate(aws, queue, unique_name):
    batch = aws.client("batch")
    sleeper = job_definition(batch, unique_name, ["python", "-c", "import time; time.sleep(60)"])
    timed = batch.submit_job(jobName="timed", jobQueue=queue, jobDefinition=sleeper,
                             timeout={"attemptDurationSeconds": 1})["jobId"]
    killed = batch.submit_job(jobName="killed", jobQueue=queue, jobDefinition=sleeper)["jobId"]
    time.sleep(0.5)
    batch.terminate_job(jobId=killed, reason="no longer needed")
    assert wait_for_job(batch, timed, timeout=20)["status"] == "FAILED"
    done = wait_for_job(batch, killed, timeout=20)
    assert done["status"] == "FAILED" and done["statusReason"] == "no longer needed"


def test_missing_program_is_a_clear_failure(aws, queue, unique_name):
    batch = aws.client("batch")
    definition = job_definition(batch, unique_name, ["definitely-not-installed-tool", "--help"])
    job = wait_for_job(batch, batch.submit_job(jobName=unique_name, jobQueue=queue, jobDefinition=definition)["jobId"])
    assert job["status"] == "FAILED"
    assert "not installed on this machine" in job["attempts"][-1]["statusReason"]


def test_unknown_queue_is_a_client_error(aws, unique_name):
    batch = aws.client("batch")
    definition = job_definition(batch, unique_name, ["python", "-c", "pass"])
    with pytest.raises(ClientError) as exc:
        batch.submit_job(jobName="x", jobQueue="no-such-queue", jobDefinition=definition)
    assert exc.value.response["Error"]["Code"] == "ClientException"


@pytest.mark.slow
def test_finished_jobs_survive_a_restart(tmp_path):
    import boto3

    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig
    from tests.helpers.cloud import free_port

    config = SandboxConfig(state_dir=tmp_path / "state", port=free_port())
    cloud_control.up(config)
    try:
        kw = dict(endpoint_url=config.endpoint_url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test")
        batch, iam = boto3.client("batch", **kw), boto3.client("iam", **kw)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
        env = batch.create_compute_environment(computeEnvironmentName="restart-ce", type="UNMANAGED",
                                               serviceRole=role)["computeEnvironmentArn"]
        batch.create_job_queue(jobQueueName="restart-q", state="ENABLED", priority=1,
                               computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])
        definition = job_definition(batch, "persisted", ["python", "-c", "print(1)"])
        job_id = batch.submit_job(jobName="persisted", jobQueue="restart-q", jobDefinition=definition)["jobId"]
        assert wait_for_job(batch, job_id)["status"] == "SUCCEEDED"
        cloud_control.down(config)
        cloud_control.up(config)
        batch = boto3.client("batch", **kw)
        job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
        assert job["status"] == "SUCCEEDED" and job["container"]["exitCode"] == 0
        again = batch.submit_job(jobName="again", jobQueue="restart-q", jobDefinition=definition)["jobId"]
        assert wait_for_job(batch, again)["status"] == "SUCCEEDED"
    finally:
        cloud_control.down(config)
