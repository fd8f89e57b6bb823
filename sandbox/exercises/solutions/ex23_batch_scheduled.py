"""Exercise 23: a Batch queue and job definition with retries, one successful run, a nightly EventBridge rule."""

import json

from sandbox.exercises._helpers import ensure_bucket, lookup, wait_until

BUCKET = "ex23-reports"
ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
REPORT = ("import boto3, sys, datetime; "
          "boto3.client('s3').put_object(Bucket=sys.argv[1], Key='report.txt', "
          "Body=('report built ' + datetime.datetime.utcnow().isoformat()).encode()); print('report written')")


def solve(aws):
    iam, batch, events = aws.client("iam"), aws.client("batch"), aws.client("events")
    ensure_bucket(aws.client("s3"), BUCKET)
    role = lookup(iam.get_role, RoleName="ex23-batch-service")
    role_arn = (role or iam.create_role(RoleName="ex23-batch-service", AssumeRolePolicyDocument=ROLE_POLICY))["Role"]["Arn"]
    environments = batch.describe_compute_environments(computeEnvironments=["ex23-ce"])["computeEnvironments"]
    env_arn = environments[0]["computeEnvironmentArn"] if environments else batch.create_compute_environment(
        computeEnvironmentName="ex23-ce", type="UNMANAGED", serviceRole=role_arn)["computeEnvironmentArn"]
    queues = batch.describe_job_queues(jobQueues=["ex23-queue"])["jobQueues"]
    queue_arn = queues[0]["jobQueueArn"] if queues else batch.create_job_queue(
        jobQueueName="ex23-queue", state="ENABLED", priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env_arn}])["jobQueueArn"]
    definition = batch.register_job_definition(
        jobDefinitionName="ex23-report", type="container", retryStrategy={"attempts": 2},
        parameters={"bucket": BUCKET},
        containerProperties={"image": "python:3.11-slim", "command": ["python", "-c", REPORT, "Ref::bucket"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "512"}]})["jobDefinitionArn"]
    job_id = batch.submit_job(jobName="ex23-report-now", jobQueue="ex23-queue", jobDefinition=definition)["jobId"]
    job = wait_until(lambda: batch.describe_jobs(jobs=[job_id])["jobs"][0],
                     lambda j: j["status"] in ("SUCCEEDED", "FAILED"), 120, "the Batch job")
    if job["status"] != "SUCCEEDED":
        raise RuntimeError(f"Batch job failed: {job.get('statusReason')}")
    events.put_rule(Name="ex23-nightly", ScheduleExpression="cron(0 2 * * ? *)", State="ENABLED")
    events.put_targets(Rule="ex23-nightly", Targets=[{
        "Id": "report", "Arn": queue_arn, "RoleArn": "arn:aws:iam::123456789012:role/ex23-events",
        "BatchParameters": {"JobDefinition": definition, "JobName": "ex23-report-nightly"}}])
