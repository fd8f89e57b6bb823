"""Exercise 24: a transient EMR cluster runs one spark-submit step (revenue per day as Parquet)."""

from sandbox import datasets, lake
from sandbox.exercises._helpers import empty_prefix, ensure_bucket, wait_until

BUCKET = "ex24-emr"
JOB = """
import sys
from pyspark.sql import SparkSession, functions as F

source, target = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.appName("ex24-daily-revenue").getOrCreate()
orders = spark.read.parquet(source)
daily = (orders.where(F.col("status") == "completed")
         .groupBy(F.to_date("order_ts").alias("day")).agg(F.round(F.sum("amount"), 2).alias("revenue")))
daily.write.mode("overwrite").parquet(target)
print("days:", daily.count())
"""


def solve(aws):
    s3, emr = aws.client("s3"), aws.client("emr")
    ensure_bucket(s3, BUCKET)
    lake.write_partitioned(aws, datasets.generate("tiny")["orders"], f"s3://{BUCKET}/raw/orders/", partition_cols=[])
    s3.put_object(Bucket=BUCKET, Key="jobs/daily_revenue.py", Body=JOB.encode())
    empty_prefix(s3, BUCKET, "output/daily_revenue/")
    cluster = emr.run_job_flow(
        Name="ex24-spark", ReleaseLabel="emr-7.1.0", LogUri=f"s3://{BUCKET}/logs/", Applications=[{"Name": "Spark"}],
        JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": False},
        Steps=[{"Name": "daily revenue", "ActionOnFailure": "TERMINATE_CLUSTER", "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": ["spark-submit", "--deploy-mode", "cluster", f"s3://{BUCKET}/jobs/daily_revenue.py",
                     f"s3://{BUCKET}/raw/orders/", f"s3://{BUCKET}/output/daily_revenue/"]}}])["JobFlowId"]
    step = emr.list_steps(ClusterId=cluster)["Steps"][0]["Id"]
    status = wait_until(lambda: emr.describe_step(ClusterId=cluster, StepId=step)["Step"]["Status"],
                        lambda s: s["State"] in ("COMPLETED", "FAILED", "CANCELLED"), 300, "the EMR step", interval=1)
    if status["State"] != "COMPLETED":
        raise RuntimeError(f"EMR step {status['State']}: {status.get('FailureDetails')}")
