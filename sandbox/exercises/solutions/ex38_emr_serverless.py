"""Exercise 38: an EMR Serverless Spark application with a capacity cap runs the daily revenue job."""

from sandbox import datasets, lake
from sandbox.exercises._helpers import empty_prefix, ensure_bucket, wait_until
from sandbox.exercises.solutions.ex24_emr_spark_step import JOB

BUCKET, NAME = "ex38-serverless", "ex38-analytics"
ROLE = "arn:aws:iam::123456789012:role/exercise-emr-serverless"


def solve(aws):
    s3, client = aws.client("s3"), aws.client("emr-serverless")
    ensure_bucket(s3, BUCKET)
    lake.write_partitioned(aws, datasets.generate("tiny")["orders"], f"s3://{BUCKET}/raw/orders/", partition_cols=[])
    s3.put_object(Bucket=BUCKET, Key="jobs/daily_revenue.py", Body=JOB.encode())
    empty_prefix(s3, BUCKET, "output/daily_revenue/")
    apps = [a for a in client.list_applications()["applications"] if a["name"] == NAME and a["state"] != "TERMINATED"]
    if apps:
        app = apps[0]["id"]
    else:
        app = client.create_application(name=NAME, releaseLabel="emr-7.1.0", type="SPARK",
                                        maximumCapacity={"cpu": "8 vCPU", "memory": "32 GB"},
                                        autoStopConfiguration={"enabled": True, "idleTimeoutMinutes": 15})[
            "applicationId"]
    run_id = client.start_job_run(
        applicationId=app, executionRoleArn=ROLE, name="daily-revenue",
        jobDriver={"sparkSubmit": {"entryPoint": f"s3://{BUCKET}/jobs/daily_revenue.py",
                                   "entryPointArguments": [f"s3://{BUCKET}/raw/orders/",
                                                           f"s3://{BUCKET}/output/daily_revenue/"]}})["jobRunId"]
    run = wait_until(lambda: client.get_job_run(applicationId=app, jobRunId=run_id)["jobRun"],
                     lambda r: r["state"] in ("SUCCESS", "FAILED", "CANCELLED"), 300, "the job run", interval=1)
    if run["state"] != "SUCCESS":
        raise RuntimeError(f"job run {run['state']}: {run.get('stateDetails')}")
