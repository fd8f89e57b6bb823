"""Exercise 37: a bookmarked Glue job appends each incoming CSV file to the Parquet output once."""

from sandbox import datasets
from sandbox.exercises._helpers import ROLE_GLUE, empty_prefix, ensure_bucket, lookup, wait_until

BUCKET, JOB = "ex37-etl", "ex37-incremental-orders"
SCRIPT = """
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
orders = glue_context.create_dynamic_frame.from_options(
    connection_type="s3", connection_options={"paths": [args["source"]]}, format="csv",
    format_options={"withHeader": True}, transformation_ctx="incoming_orders")
print("new rows:", orders.count())
glue_context.write_dynamic_frame.from_options(frame=orders, connection_type="s3",
    connection_options={"path": args["target"]}, format="parquet", transformation_ctx="processed_orders")
job.commit()
"""


def _run(glue):
    run_id = glue.start_job_run(JobName=JOB)["JobRunId"]
    run = wait_until(lambda: glue.get_job_run(JobName=JOB, RunId=run_id)["JobRun"],
                     lambda r: r["JobRunState"] in ("SUCCEEDED", "FAILED", "ERROR", "TIMEOUT", "STOPPED"), 300,
                     "the job run", interval=1)
    if run["JobRunState"] != "SUCCEEDED":
        raise RuntimeError(f"{JOB} {run['JobRunState']}: {run.get('ErrorMessage')}")


def solve(aws):
    s3, glue = aws.client("s3"), aws.client("glue")
    ensure_bucket(s3, BUCKET)
    orders = datasets.generate("tiny")["orders"][["order_id", "customer_id", "amount", "status", "channel"]]
    s3.put_object(Bucket=BUCKET, Key="scripts/incremental_orders.py", Body=SCRIPT.encode())
    if not lookup(glue.get_job, JobName=JOB):
        glue.create_job(Name=JOB, Role=ROLE_GLUE, GlueVersion="4.0",
                        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/incremental_orders.py"},
                        DefaultArguments={"--job-bookmark-option": "job-bookmark-enable",
                                          "--source": f"s3://{BUCKET}/incoming/",
                                          "--target": f"s3://{BUCKET}/processed/"})
    # start from a clean slate so that running the solution twice stays exact
    glue.reset_job_bookmark(JobName=JOB)
    empty_prefix(s3, BUCKET, "incoming/")
    empty_prefix(s3, BUCKET, "processed/")
    s3.put_object(Bucket=BUCKET, Key="incoming/orders-1.csv", Body=orders.iloc[:300].to_csv(index=False).encode())
    _run(glue)
    s3.put_object(Bucket=BUCKET, Key="incoming/orders-2.csv", Body=orders.iloc[300:450].to_csv(index=False).encode())
    _run(glue)
