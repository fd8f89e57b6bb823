"""Exercise 9: a Glue ETL job filters out cancelled orders."""

import io

import pyarrow.parquet as pq

from sandbox import datasets
from sandbox.exercises._helpers import ROLE_GLUE, empty_prefix, ensure_bucket, lookup, wait_until

BUCKET, JOB = "ex09-etl", "ex09-clean-orders"
SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import Filter
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
orders = glue_context.create_dynamic_frame.from_options(
    connection_type="s3", connection_options={"paths": [args["source"]]}, format="parquet")
kept = Filter.apply(frame=orders, f=lambda row: row["status"] != "cancelled")
glue_context.write_dynamic_frame.from_options(frame=kept, connection_type="s3",
    connection_options={"path": args["target"]}, format="parquet")
job.commit()
"""


def solve(aws):
    s3, glue = aws.client("s3"), aws.client("glue")
    ensure_bucket(s3, BUCKET)
    buf = io.BytesIO()
    import pyarrow as pa

    pq.write_table(pa.Table.from_pandas(datasets.generate("tiny")["orders"], preserve_index=False), buf)
    s3.put_object(Bucket=BUCKET, Key="raw/orders/orders.parquet", Body=buf.getvalue())
    s3.put_object(Bucket=BUCKET, Key="scripts/clean_orders.py", Body=SCRIPT.encode())
    empty_prefix(s3, BUCKET, "clean/orders/")
    if not lookup(glue.get_job, JobName=JOB):
        glue.create_job(Name=JOB, Role=ROLE_GLUE, GlueVersion="4.0",
                        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/clean_orders.py"},
                        DefaultArguments={"--source": f"s3://{BUCKET}/raw/orders/",
                                          "--target": f"s3://{BUCKET}/clean/orders/"})
    run_id = glue.start_job_run(JobName=JOB)["JobRunId"]
    run = wait_until(lambda: glue.get_job_run(JobName=JOB, RunId=run_id)["JobRun"],
                     lambda r: r["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"),
                     300, "the Glue job", interval=1)
    if run["JobRunState"] != "SUCCEEDED":
        raise RuntimeError(f"job {JOB} {run['JobRunState']}: {run.get('ErrorMessage')}")
