"""Demo step: a Glue ETL job (a script written for AWS Glue) enriches the orders, then a crawler catalogs the result."""

from __future__ import annotations

from typing import Any

from sandbox.demo_steps import wait_until

from sandbox.demo_steps.catalog import DATABASE

JOB = "sandbox-demo-enrich-orders"
SCRIPT = '''
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, Filter, Join, SelectFields
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "target"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
orders = glue_context.create_dynamic_frame.from_catalog(database=args["database"], table_name="orders")
customers = glue_context.create_dynamic_frame.from_catalog(database=args["database"], table_name="customers")
completed = Filter.apply(frame=orders, f=lambda row: row["status"] == "completed")
customers = SelectFields.apply(frame=customers, paths=["customer_id", "segment", "country"])
enriched = Join.apply(completed, customers, "customer_id", "customer_id")
enriched = ApplyMapping.apply(frame=enriched, mappings=[
    ("order_id", "long", "order_id", "long"), ("order_ts", "timestamp", "order_ts", "timestamp"),
    ("amount", "double", "amount", "double"), ("channel", "string", "channel", "string"),
    ("country", "string", "country", "string"), ("segment", "string", "segment", "string")])
print("enriched rows:", enriched.count())
glue_context.write_dynamic_frame.from_options(frame=enriched, connection_type="s3",
    connection_options={"path": args["target"], "partitionKeys": ["segment"]}, format="parquet")
job.commit()
'''



def run(ctx: Any) -> None:
    glue, s3 = ctx.aws.client("glue"), ctx.aws.client("s3")
    target = f"s3://{ctx.bucket}/curated/orders_enriched/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ctx.bucket, Prefix="curated/orders_enriched/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=ctx.bucket, Key=item["Key"])
    s3.put_object(Bucket=ctx.bucket, Key="scripts/enrich_orders.py", Body=SCRIPT.encode())
    try:
        glue.get_job(JobName=JOB)
    except glue.exceptions.EntityNotFoundException:
        glue.create_job(Name=JOB, Role="arn:aws:iam::123456789012:role/sandbox-glue", GlueVersion="4.0",
                        Command={"Name": "glueetl", "ScriptLocation": f"s3://{ctx.bucket}/scripts/enrich_orders.py"},
                        DefaultArguments={"--database": DATABASE, "--target": target})
    run_id = glue.start_job_run(JobName=JOB)["JobRunId"]

    def finished() -> Any:
        current = glue.get_job_run(JobName=JOB, RunId=run_id)["JobRun"]
        return current if current["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT") else None

    result = wait_until(finished, 300, "the Glue job")
    if result["JobRunState"] != "SUCCEEDED":
        raise RuntimeError(f"Glue job {result['JobRunState']}: {result.get('ErrorMessage')}")
    output = ctx.aws.client("logs").get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)
    line = next((e["message"] for e in output["events"] if e["message"].startswith("enriched rows")), "")
    ctx.say(f"Glue job {JOB} ({result['ExecutionTime']} s on local Spark): Filter, SelectFields, Join, "
            f"ApplyMapping -> {target} partitioned by segment; {line}")
    crawler = "sandbox-demo-curated"
    try:
        glue.get_crawler(Name=crawler)
    except glue.exceptions.EntityNotFoundException:
        glue.create_crawler(Name=crawler, Role="arn:aws:iam::123456789012:role/sandbox-glue", DatabaseName=DATABASE,
                            Targets={"S3Targets": [{"Path": target}]})
    glue.start_crawler(Name=crawler)
    wait_until(lambda: True if glue.get_crawler(Name=crawler)["Crawler"]["State"] == "READY" and
          glue.get_crawler(Name=crawler)["Crawler"].get("LastCrawl", {}).get("Status") not in (None, "RUNNING")
          else None, 120, "the crawler")
    table = glue.get_table(DatabaseName=DATABASE, Name="orders_enriched")["Table"]
    ctx.say(f"crawled {DATABASE}.orders_enriched: partition keys "
            f"{[k['Name'] for k in table['PartitionKeys']]}, {len(table['StorageDescriptor']['Columns'])} columns")
