"""Glue ETL jobs really run scripts written for AWS Glue, on local PySpark (plain boto3)."""

from __future__ import annotations

import io
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sandbox import datasets

pytestmark = pytest.mark.slow
ROLE = "arn:aws:iam::123456789012:role/glue-etl"

ETL_SCRIPT = '''
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "target"])
sc = SparkContext()
glue_context = GlueContext(sc)
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

orders = glue_context.create_dynamic_frame.from_catalog(database=args["database"], table_name="orders",
                                                        transformation_ctx="orders")
customers = glue_context.create_dynamic_frame.from_catalog(database=args["database"], table_name="customers",
                                                           transformation_ctx="customers")
orders = DropFields.apply(frame=orders, paths=["unit_price", "product_id"])
orders = Filter.apply(frame=orders, f=lambda r: r["status"] == "completed")
customers = SelectFields.apply(frame=customers, paths=["customer_id", "segment", "country"])
customers = RenameField.apply(frame=customers, old_name="customer_id", new_name="cust_id")
joined = Join.apply(orders, customers, "customer_id", "cust_id")
def add_band(record):
    record["band"] = "big" if record["amount"] >= 100 else "small"
    return record
joined = Map.apply(frame=joined, f=add_band)
result = ApplyMapping.apply(frame=joined, mappings=[
    ("order_id", "long", "order_id", "long"),
    ("amount", "double", "amount", "double"),
    ("segment", "string", "segment", "string"),
    ("band", "string", "band", "string"),
    ("day", "string", "day", "string"),
])
print("rows out:", result.count())
glue_context.write_dynamic_frame.from_options(frame=result, connection_type="s3",
    connection_options={"path": args["target"], "partitionKeys": ["segment"]}, format="parquet")
job.commit()
'''

BOOKMARK_SCRIPT = '''
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
frame = glue_context.create_dynamic_frame.from_options(connection_type="s3",
    connection_options={"paths": [args["source"]]}, format="csv", format_options={"withHeader": True},
    transformation_ctx="source")
print("processed", frame.count())
glue_context.write_dynamic_frame.from_options(frame=frame, connection_type="s3",
    connection_options={"path": args["target"]}, format="json")
job.commit()
'''


def wait_for_run(glue, job, run_id, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"job run still {run['JobRunState']}")


def make_job(aws, bucket, name, script, command="glueetl", **extra):
    aws.client("s3").put_object(Bucket=bucket, Key=f"scripts/{name}.py", Body=script.encode())
    aws.client("glue").create_job(Name=name, Role=ROLE, GlueVersion="4.0",
                                  Command={"Name": command, "ScriptLocation": f"s3://{bucket}/scripts/{name}.py",
                                           "PythonVersion": "3" if command == "glueetl" else "3.9"}, **extra)


def test_aws_style_script_with_catalog_transforms_and_partitioned_output(aws, s3_bucket, unique_name):
    glue, s3 = aws.client("glue"), aws.client("s3")
    datasets.load_into_lake(aws, s3_bucket, size="tiny", create_bucket=False)
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/raw/orders/"},
                                               {"Path": f"s3://{s3_bucket}/raw/customers/"}]})
    glue.start_crawler(Name=unique_name)
    deadline = time.monotonic() + 60
    while glue.get_crawler(Name=unique_name)["Crawler"].get("LastCrawl", {}).get("Status") != "SUCCEEDED":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    make_job(aws, s3_bucket, unique_name, ETL_SCRIPT)
    run_id = glue.start_job_run(JobName=unique_name, Arguments={
        "--database": unique_name, "--target": f"s3://{s3_bucket}/curated/enriched/"})["JobRunId"]
    run = wait_for_run(glue, unique_name, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["ExecutionTime"] >= 1

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="curated/enriched/")["Contents"]]
    parts = [k for k in keys if k.endswith(".parquet")]
    assert any("/segment=consumer/" in k for k in parts)
    frames = []
    for key in parts:
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read())).to_pandas()
        frames.append(table.assign(segment=key.split("segment=")[1].split("/")[0]))
    got = pd.concat(frames).sort_values("order_id").reset_index(drop=True)

    data = datasets.generate("tiny")
    orders, customers = data["orders"], data["customers"]
    want = orders[orders.status == "completed"].merge(customers[["customer_id", "segment"]], on="customer_id")
    want = want.assign(band=want.amount.map(lambda a: "big" if a >= 100 else "small"),
                       day=want.order_ts.dt.strftime("%d")).sort_values("order_id").reset_index(drop=True)
    assert list(got.columns) == ["order_id", "amount", "band", "day", "segment"]
    pd.testing.assert_frame_equal(got[["order_id", "amount", "segment", "band", "day"]],
                                  want[["order_id", "amount", "segment", "band", "day"]], check_dtype=False)

    logs = aws.client("logs").get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"]
    assert any(f"rows out: {len(want)}" in e["message"] for e in logs)


def test_failing_script_fails_the_run_with_its_error(aws, s3_bucket, unique_name):
    glue = aws.client("glue")
    make_job(aws, s3_bucket, unique_name, "from awsglue.utils import getResolvedOptions\n"
                                          "raise ValueError('input table is empty')\n")
    run = wait_for_run(glue, unique_name, glue.start_job_run(JobName=unique_name)["JobRunId"])
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: input table is empty"
    errors = aws.client("logs").get_log_events(logGroupName="/aws-glue/jobs/error", logStreamName=run["Id"])
    assert any("input table is empty" in e["message"] for e in errors["events"])


def test_syntax_error_fails_the_run_and_the_sandbox_is_fine(aws, s3_bucket, unique_name):
    glue = aws.client("glue")
    make_job(aws, s3_bucket, unique_name, "def broken(:\n    pass\n")
    run = wait_for_run(glue, unique_name, glue.start_job_run(JobName=unique_name)["JobRunId"])
    assert run["JobRunState"] == "FAILED" and "SyntaxError" in run["ErrorMessage"]
    assert glue.get_job(JobName=unique_name)["Job"]["Name"] == unique_name
    missing = f"{unique_name}-missing"
    glue.create_job(Name=missing, Role=ROLE, Command={"Name": "glueetl",
                                                      "ScriptLocation": f"s3://{s3_bucket}/scripts/nope.py"})
    run = wait_for_run(glue, missing, glue.start_job_run(JobName=missing)["JobRunId"])
    assert run["JobRunState"] == "FAILED" and "cannot be read" in run["ErrorMessage"]


def test_bookmarks_skip_processed_files_and_reset(aws, s3_bucket, unique_name):
    glue, s3 = aws.client("glue"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="incoming/a.csv", Body=b"id,v\n1,a\n2,b\n")
    make_job(aws, s3_bucket, unique_name, BOOKMARK_SCRIPT,
             DefaultArguments={"--job-bookmark-option": "job-bookmark-enable",
                               "--source": f"s3://{s3_bucket}/incoming/", "--target": f"s3://{s3_bucket}/out/"})

    def processed():
        run = wait_for_run(glue, unique_name, glue.start_job_run(JobName=unique_name)["JobRunId"])
        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        events = aws.client("logs").get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run["Id"])
        return [int(e["message"].split()[1]) for e in events["events"] if e["message"].startswith("processed")][0]

    assert processed() == 2
    s3.put_object(Bucket=s3_bucket, Key="incoming/b.csv", Body=b"id,v\n3,c\n")
    assert processed() == 1  # only the new file
    bookmark = glue.get_job_bookmark(JobName=unique_name)["JobBookmarkEntry"]
    assert "incoming/b.csv" in bookmark["JobBookmark"]
    glue.reset_job_bookmark(JobName=unique_name)
    assert processed() == 3


def test_conditional_trigger_starts_the_second_job(aws, s3_bucket, unique_name):
    glue = aws.client("glue")
    first, second = f"{unique_name}-first", f"{unique_name}-second"
    # the trigger is what is tested: Python shell jobs, which start no Spark driver (about 5 s of CPU each)
    make_job(aws, s3_bucket, first, "print('first job ran')\n", command="pythonshell")
    make_job(aws, s3_bucket, second, "print('second job ran')\n", command="pythonshell")
    glue.create_trigger(Name=unique_name, Type="CONDITIONAL", StartOnCreation=True,
                        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": first,
                                                   "State": "SUCCEEDED"}]},
                        Actions=[{"JobName": second}])
    run = wait_for_run(glue, first, glue.start_job_run(JobName=first)["JobRunId"])
    assert run["JobRunState"] == "SUCCEEDED"
    deadline = time.monotonic() + 30
    while not glue.get_job_runs(JobName=second)["JobRuns"]:
        assert time.monotonic() < deadline, "the conditional trigger did not start the second job"
        time.sleep(0.3)
    started = glue.get_job_runs(JobName=second)["JobRuns"][0]
    assert wait_for_run(glue, second, started["Id"])["JobRunState"] == "SUCCEEDED"
    assert glue.get_job_run(JobName=second, RunId=started["Id"])["JobRun"]["TriggerName"] == unique_name


def test_workflow_chains_crawler_job_crawler(aws, s3_bucket, unique_name):
    glue, s3 = aws.client("glue"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="wf/raw/data.csv", Body=b"id,amount\n1,10.5\n2,20.0\n3,7.25\n")
    script = '''
import sys
from awsglue.context import GlueContext
from awsglue.transforms import Filter
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "target"])
ctx = GlueContext(SparkContext.getOrCreate())
frame = ctx.create_dynamic_frame.from_catalog(database=args["database"], table_name="raw")
big = Filter.apply(frame=frame, f=lambda r: r["amount"] > 8)
ctx.write_dynamic_frame.from_options(frame=big, connection_type="s3", connection_options={"path": args["target"]},
                                     format="parquet")
'''
    make_job(aws, s3_bucket, f"{unique_name}-job", script, DefaultArguments={
        "--database": unique_name, "--target": f"s3://{s3_bucket}/wf/clean/"})
    glue.create_crawler(Name=f"{unique_name}-raw", Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/wf/raw/"}]})
    glue.create_crawler(Name=f"{unique_name}-clean", Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/wf/clean/"}]})
    glue.create_workflow(Name=unique_name)
    glue.create_trigger(Name=f"{unique_name}-start", WorkflowName=unique_name, Type="ON_DEMAND",
                        Actions=[{"CrawlerName": f"{unique_name}-raw"}])
    glue.create_trigger(Name=f"{unique_name}-etl", WorkflowName=unique_name, Type="CONDITIONAL",
                        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "CrawlerName": f"{unique_name}-raw",
                                                   "CrawlState": "SUCCEEDED"}]},
                        Actions=[{"JobName": f"{unique_name}-job"}])
    glue.create_trigger(Name=f"{unique_name}-recrawl", WorkflowName=unique_name, Type="CONDITIONAL",
                        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": f"{unique_name}-job",
                                                   "State": "SUCCEEDED"}]},
                        Actions=[{"CrawlerName": f"{unique_name}-clean"}])
    run_id = glue.start_workflow_run(Name=unique_name)["RunId"]
    deadline = time.monotonic() + 240
    while glue.get_workflow_run(Name=unique_name, RunId=run_id)["Run"]["Status"] != "COMPLETED":
        assert time.monotonic() < deadline, "the workflow did not complete"
        time.sleep(1)
    clean = glue.get_table(DatabaseName=unique_name, Name="clean")["Table"]
    assert {c["Name"] for c in clean["StorageDescriptor"]["Columns"]} == {"id", "amount"}
    assert clean["Parameters"]["classification"] == "parquet"


SINK_SCRIPT = '''
import sys
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "bucket", "database"])
glueContext = GlueContext(SparkContext())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
b = args["bucket"]
people = glueContext.create_dynamic_frame.from_options(connection_type="s3",
    connection_options={"paths": [f"s3://{b}/in/"], "recurse": True}, format="csv",
    format_options={"withHeader": True, "separator": ","})
people = people.resolveChoice(specs=[("amount", "cast:long")])  # "x20" does not convert: null, as on Glue
names = RenameField.apply(frame=SelectFields.apply(frame=people, paths=["id", "name"]), old_name="name",
                          new_name="customer")
joined = Join.apply(frame1=names, frame2=people, keys1=["id"], keys2=["id"])
print("joined columns", sorted(joined.toDF().columns))
view = joined.toDF()
view.createOrReplaceTempView("people")
out = glueContext.spark_session.sql(
    "SELECT id, customer, amount, CASE WHEN id % 2 = 0 THEN 'even' ELSE 'odd' END AS parity FROM people")
sink = glueContext.getSink(connection_type="s3", path=f"s3://{b}/curated/", enableUpdateCatalog=True,
                           updateBehavior="UPDATE_IN_DATABASE", partitionKeys=["parity"])
sink.setFormat("glueparquet")
sink.setCatalogInfo(catalogDatabase=args["database"], catalogTableName="people")
sink.writeFrame(DynamicFrame.fromDF(out, glueContext, "out"))
glueContext.purge_s3_path(f"s3://{b}/scratch/", {"retentionPeriod": 0})
glueContext.purge_s3_path(f"s3://{b}/recent/")  # the default retention (7 days) keeps new objects
job.commit()
'''


def test_sink_updates_the_catalog_casts_do_not_fail_and_purge(aws, s3_bucket, unique_name):
    s3, glue, logs = aws.client("s3"), aws.client("glue"), aws.client("logs")
    s3.put_object(Bucket=s3_bucket, Key="in/a.csv", Body=b"id,name,amount\n1,alice,10\n2,bob,x20\n3,carol,30\n")
    s3.put_object(Bucket=s3_bucket, Key="in/sub/b.csv", Body=b"id,name,amount\n4,dan,40\n")
    s3.put_object(Bucket=s3_bucket, Key="scratch/tmp.txt", Body=b"x")
    s3.put_object(Bucket=s3_bucket, Key="recent/keep.txt", Body=b"x")
    glue.create_database(DatabaseInput={"Name": unique_name})
    make_job(aws, s3_bucket, unique_name, SINK_SCRIPT, WorkerType="G.1X", NumberOfWorkers=2,
             DefaultArguments={"--bucket": s3_bucket, "--database": unique_name,
                               "--additional-python-modules": "scikit-learn==1.5.0"})
    job = glue.get_job(JobName=unique_name)["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"], job["GlueVersion"]) == ("G.1X", 2, "4.0")
    run_id = glue.start_job_run(JobName=unique_name)["JobRunId"]
    run = wait_for_run(glue, unique_name, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    output = "\n".join(e["message"] for e in logs.get_log_events(
        logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"])
    assert "joined columns ['amount', 'customer', 'id', 'name']" in output
    errors = "\n".join(e["message"] for e in logs.get_log_events(
        logGroupName="/aws-glue/jobs/error", logStreamName=run_id)["events"])
    assert "--additional-python-modules=scikit-learn==1.5.0 is not installed" in errors

    table = glue.get_table(DatabaseName=unique_name, Name="people")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "customer", "amount"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["parity"]
    parts = glue.get_partitions(DatabaseName=unique_name, TableName="people")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == ["even", "odd"]
    frames = []
    for item in s3.list_objects_v2(Bucket=s3_bucket, Prefix="curated/")["Contents"]:
        if item["Key"].endswith(".parquet"):
            frames.append(pq.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=item["Key"])["Body"].read()))
                          .to_pandas())
    amounts = pd.concat(frames).set_index("id")["amount"].to_dict()
    assert amounts[2] is None or pd.isna(amounts[2])
    assert {k: v for k, v in amounts.items() if k != 2} == {1: 10, 3: 30, 4: 40}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert "scratch/tmp.txt" not in keys and "recent/keep.txt" in keys
