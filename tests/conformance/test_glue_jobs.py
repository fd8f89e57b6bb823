"""Glue job runs of the kinds AWS's guides show: a script in the shape Glue Studio generates for a visual
job, and a Python shell job. Both run through the Glue API (CreateJob, StartJobRun) end to end.
"""

from __future__ import annotations

import io
import time

import pyarrow.parquet as pq
import pytest

from tests.helpers.glue_samples import crawl, medicare_csv

pytestmark = pytest.mark.slow
ROLE = "arn:aws:iam::123456789012:role/AWSGlueServiceRole-studio"

# The layout Glue Studio generates for a visual job (AWS Glue Studio user guide, "Viewing the script"):
# the standard imports, the sparkSqlQuery helper, job.init, one block per node named
# "<NodeType>_node<timestamp>", a getSink that updates the catalog, job.commit. Written here for this test.
STUDIO_SCRIPT = '''import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue import DynamicFrame


def sparkSqlQuery(glueContext, query, mapping, transformation_ctx) -> DynamicFrame:
    for alias, frame in mapping.items():
        frame.toDF().createOrReplaceTempView(alias)
    result = spark.sql(query)
    return DynamicFrame.fromDF(result, glueContext, transformation_ctx)


args = getResolvedOptions(sys.argv, ["JOB_NAME"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

# Script generated for node AWS Glue Data Catalog
AWSGlueDataCatalog_node1712000000001 = glueContext.create_dynamic_frame.from_catalog(
    database="@DATABASE@", table_name="medicare", transformation_ctx="AWSGlueDataCatalog_node1712000000001")

# Script generated for node Change Schema
ChangeSchema_node1712000000002 = ApplyMapping.apply(frame=AWSGlueDataCatalog_node1712000000001, mappings=[
    ("provider id", "long", "provider_id", "long"), ("provider state", "string", "provider_state", "string"),
    ("total discharges", "long", "total_discharges", "long")], transformation_ctx="ChangeSchema_node1712000000002")

# Script generated for node Drop Null Fields
DropNullFields_node1712000000003 = DropNullFields.apply(frame=ChangeSchema_node1712000000002,
                                                        transformation_ctx="DropNullFields_node1712000000003")

# Script generated for node SQL Query
SqlQuery0 = """
select provider_state, count(provider_id) as providers, sum(total_discharges) as discharges
from myDataSource where provider_id is not null group by provider_state
"""
SQLQuery_node1712000000004 = sparkSqlQuery(glueContext, query=SqlQuery0,
                                           mapping={"myDataSource": DropNullFields_node1712000000003},
                                           transformation_ctx="SQLQuery_node1712000000004")

# Script generated for node Amazon S3
AmazonS3_node1712000000005 = glueContext.getSink(path="s3://@BUCKET@/curated/by_state/", connection_type="s3",
                                                 updateBehavior="UPDATE_IN_DATABASE", partitionKeys=[],
                                                 enableUpdateCatalog=True,
                                                 transformation_ctx="AmazonS3_node1712000000005")
AmazonS3_node1712000000005.setCatalogInfo(catalogDatabase="@DATABASE@", catalogTableName="medicare_by_state")
AmazonS3_node1712000000005.setFormat("glueparquet", compression="snappy")
AmazonS3_node1712000000005.writeFrame(SQLQuery_node1712000000004)
job.commit()
'''

PYTHON_SHELL_SCRIPT = '''import sys
import boto3
import pandas as pd
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["bucket"])
s3 = boto3.client("s3")
body = s3.get_object(Bucket=args["bucket"], Key="in/payments.csv")["Body"]
frame = pd.read_csv(body)
totals = frame.groupby("state")["amount"].sum().sort_index()
s3.put_object(Bucket=args["bucket"], Key="out/totals.csv", Body=totals.to_csv().encode())
print("states:", len(totals))
'''


def wait_for_run(glue, job: str, run_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"job run {run_id} still {run['JobRunState']}")


def test_glue_studio_generated_script_runs(aws, s3_bucket, unique_name):
    """AWS Glue Studio user guide ("Creating visual ETL jobs", "Viewing the script"): a Data Catalog
    source node, Change Schema, Drop Null Fields, SQL Query and an S3 target that updates the catalog,
    as the script Glue Studio writes for them; run with StartJobRun as a glueetl job."""
    s3, glue = aws.client("s3"), aws.client("glue")
    s3.put_object(Bucket=s3_bucket, Key="examples/medicare/Medicare_Hospital_Provider.csv",
                  Body=medicare_csv(rows=300, bad_tail=2))
    crawler, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/examples/medicare/"])
    assert "medicare" in tables, crawler["LastCrawl"]
    script = STUDIO_SCRIPT.replace("@DATABASE@", unique_name).replace("@BUCKET@", s3_bucket)
    s3.put_object(Bucket=s3_bucket, Key="scripts/studio_job.py", Body=script.encode())
    glue.create_job(Name=unique_name, Role=ROLE, GlueVersion="4.0", WorkerType="G.1X", NumberOfWorkers=2,
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{s3_bucket}/scripts/studio_job.py",
                             "PythonVersion": "3"},
                    DefaultArguments={"--job-language": "python", "--enable-metrics": "true",
                                      "--job-bookmark-option": "job-bookmark-disable",
                                      "--TempDir": f"s3://{s3_bucket}/temporary/"})
    run_id = glue.start_job_run(JobName=unique_name)["JobRunId"]
    run = wait_for_run(glue, unique_name, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")

    table = glue.get_table(DatabaseName=unique_name, Name="medicare_by_state")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["provider_state", "providers", "discharges"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="curated/by_state/")["Contents"]
            if o["Key"].endswith(".parquet")]
    rows = [r for k in keys for r in pq.read_table(io.BytesIO(
        s3.get_object(Bucket=s3_bucket, Key=k)["Body"].read())).to_pylist()]
    assert rows and rows[0]["provider_state"] == "AL"
    assert sum(r["providers"] for r in rows) == 300  # the two text provider ids became null and were not counted


def test_python_shell_job_runs(aws, s3_bucket, unique_name):
    """AWS Glue developer guide, "Python shell jobs in AWS Glue": Command Name pythonshell, MaxCapacity
    0.0625, a plain Python script with boto3, pandas and getResolvedOptions."""
    s3, glue, logs = aws.client("s3"), aws.client("glue"), aws.client("logs")
    s3.put_object(Bucket=s3_bucket, Key="in/payments.csv",
                  Body=b"state,amount\nAL,10.5\nWI,3\nAL,2.5\nTX,7\n")
    s3.put_object(Bucket=s3_bucket, Key="scripts/shell.py", Body=PYTHON_SHELL_SCRIPT.encode())
    glue.create_job(Name=unique_name, Role=ROLE, MaxCapacity=0.0625,
                    Command={"Name": "pythonshell", "ScriptLocation": f"s3://{s3_bucket}/scripts/shell.py",
                             "PythonVersion": "3.9"},
                    DefaultArguments={"--bucket": s3_bucket})
    job = glue.get_job(JobName=unique_name)["Job"]
    assert job["Command"]["Name"] == "pythonshell" and job["MaxCapacity"] == 0.0625
    run_id = glue.start_job_run(JobName=unique_name)["JobRunId"]
    run = wait_for_run(glue, unique_name, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    totals = s3.get_object(Bucket=s3_bucket, Key="out/totals.csv")["Body"].read().decode()
    assert totals.splitlines() == ["state,amount", "AL,13.0", "TX,7.0", "WI,3.0"]
    output = "\n".join(e["message"] for e in logs.get_log_events(
        logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"])
    assert "states: 3" in output
