"""Demo step: batch processing orchestrated by Step Functions, and a Spark step on EMR.

- An AWS Batch job (its container command runs locally) computes revenue per
  channel from the lake; a Step Functions state machine runs it with the
  ``batch:submitJob.sync`` integration and waits for it.
- An EMR cluster runs a PySpark step (spark-submit) that writes daily revenue
  back to the lake as partitioned Parquet.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sandbox.demo_steps import wait_until

BATCH_SCRIPT = """
import io, sys
import boto3, pyarrow.parquet as pq, pyarrow as pa
bucket = sys.argv[1]
s3 = boto3.client("s3")
keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="raw/orders/")
        for o in p.get("Contents", [])]
frame = pa.concat_tables([pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
                          for k in keys]).to_pandas()
report = frame[frame.status == "completed"].groupby("channel")["amount"].sum().round(2)
s3.put_object(Bucket=bucket, Key="reports/revenue_by_channel.csv", Body=report.to_csv().encode())
print("revenue by channel:", report.to_dict())
"""

EMR_SCRIPT = """
import sys
from pyspark.sql import SparkSession, functions as F
source, target = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.appName("daily-revenue").getOrCreate()
orders = spark.read.parquet(source)
daily = (orders.where(F.col("status") == "completed")
         .groupBy("year", "month", "day").agg(F.round(F.sum("amount"), 2).alias("revenue"),
                                              F.count("*").alias("orders")))
daily.write.mode("overwrite").partitionBy("year", "month").parquet(target)
print("days written:", daily.count())
"""

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": ["batch.amazonaws.com", "states.amazonaws.com",
                                                  "elasticmapreduce.amazonaws.com"]},
     "Action": "sts:AssumeRole"}]})



def _role(aws: Any, name: str) -> str:
    iam = aws.client("iam")
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def run(ctx: Any) -> None:
    aws, bucket = ctx.aws, ctx.bucket
    role = _role(aws, "sandbox-demo-orchestration")
    batch, sfn, emr, s3 = aws.client("batch"), aws.client("stepfunctions"), aws.client("emr"), aws.client("s3")

    suffix = str(int(time.time()))
    env = batch.create_compute_environment(computeEnvironmentName=f"demo-ce-{suffix}", type="UNMANAGED",
                                           serviceRole=role)["computeEnvironmentArn"]
    queue = batch.create_job_queue(jobQueueName=f"demo-queue-{suffix}", state="ENABLED", priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])["jobQueueArn"]
    job_definition = batch.register_job_definition(
        jobDefinitionName="demo-revenue-report", type="container",
        containerProperties={"image": "public.ecr.aws/docker/library/python:3.11",
                             "command": ["python", "-c", BATCH_SCRIPT, "Ref::bucket"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "1024"}]})["jobDefinitionArn"]
    machine = {
        "Comment": "Nightly report: run the Batch job, then confirm the report exists",
        "StartAt": "RevenueReport",
        "States": {
            "RevenueReport": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
                              "Parameters": {"JobName": "revenue-report", "JobQueue": queue,
                                             "JobDefinition": job_definition,
                                             "Parameters": {"bucket.$": "$.bucket"}},
                              "ResultPath": "$.job", "Next": "CheckReport"},
            "CheckReport": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
                            "Parameters": {"Bucket.$": "$.bucket", "Key": "reports/revenue_by_channel.csv"},
                            "ResultSelector": {"bytes.$": "$.ContentLength"}, "ResultPath": "$.report",
                            "End": True},
        },
    }
    machine_arn = sfn.create_state_machine(name=f"demo-nightly-report-{suffix}", definition=json.dumps(machine),
                                           roleArn=role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps({"bucket": bucket}))["executionArn"]

    def finished() -> Any:
        described = sfn.describe_execution(executionArn=execution)
        return described if described["status"] != "RUNNING" else None

    result = wait_until(finished, 120, "the Step Functions execution")
    if result["status"] != "SUCCEEDED":
        raise RuntimeError(f"state machine {result['status']}: {result.get('error')} {result.get('cause')}")
    output = json.loads(result["output"])
    report = s3.get_object(Bucket=bucket, Key="reports/revenue_by_channel.csv")["Body"].read().decode()
    ctx.say(f"Step Functions ran Batch job {output['job']['JobId'][:8]}... (.sync) -> "
            f"reports/revenue_by_channel.csv ({output['report']['bytes']} bytes):")
    for line in report.strip().splitlines()[1:]:
        ctx.say(f"  {line}")

    s3.put_object(Bucket=bucket, Key="jobs/daily_revenue.py", Body=EMR_SCRIPT.encode())
    cluster = emr.run_job_flow(
        Name="demo-spark", ReleaseLabel="emr-7.1.0", LogUri=f"s3://{bucket}/emr-logs/",
        Applications=[{"Name": "Spark"}], JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": False},
        Steps=[{"Name": "daily revenue", "ActionOnFailure": "TERMINATE_CLUSTER",
                "HadoopJarStep": {"Jar": "command-runner.jar",
                                  "Args": ["spark-submit", "--deploy-mode", "cluster", f"s3://{bucket}/jobs/daily_revenue.py",
                                           f"s3://{bucket}/raw/orders/", f"s3://{bucket}/curated/daily_revenue/"]}}],
    )["JobFlowId"]
    step_id = emr.list_steps(ClusterId=cluster)["Steps"][0]["Id"]

    def step_done() -> Any:
        status = emr.describe_step(ClusterId=cluster, StepId=step_id)["Step"]["Status"]
        return status if status["State"] in ("COMPLETED", "FAILED", "CANCELLED") else None

    status = wait_until(step_done, 180, "the EMR step")
    if status["State"] != "COMPLETED":
        raise RuntimeError(f"EMR step {status['State']}: {status.get('FailureDetails')}")
    written = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="curated/daily_revenue/")["Contents"]
               if o["Key"].endswith(".parquet")]
    ctx.say(f"EMR cluster {cluster} ran spark-submit: {len(written)} Parquet file(s) in curated/daily_revenue/; "
            f"cluster state {emr.describe_cluster(ClusterId=cluster)['Cluster']['Status']['State']}")
