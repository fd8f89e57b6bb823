"""A Glue job over many rows against the same transforms in plain PySpark, and crawler speed.

- Glue job (start_job_run to SUCCEEDED; catalog read from S3, ApplyMapping, DropFields,
  partitioned Parquet back to S3) vs the same steps in plain PySpark on local files
- crawler wall time per 1,000 objects

    .venv/bin/python benchmarks/bench_glue.py        (BENCH_GLUE_ROWS, default 1,000,000)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Report, client, sandbox_cloud  # noqa: E402

ROWS = int(os.environ.get("BENCH_GLUE_ROWS", 1_000_000))
CRAWL_OBJECTS = int(os.environ.get("BENCH_CRAWL_OBJECTS", 1000))
ROLE = "arn:aws:iam::123456789012:role/bench"
SCRIPT = '''
import sys
from awsglue.context import GlueContext
from awsglue.transforms import ApplyMapping, DropFields
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
args = getResolvedOptions(sys.argv, ["JOB_NAME", "target"])
ctx = GlueContext(SparkContext.getOrCreate())
frame = ctx.create_dynamic_frame.from_catalog(database="bench", table_name="orders")
frame = DropFields.apply(frame=frame, paths=["unit_price", "product_id"])
frame = ApplyMapping.apply(frame=frame, mappings=[("order_id", "long", "order_id", "long"),
    ("customer_id", "long", "customer_id", "long"), ("amount", "double", "amount", "double"),
    ("status", "string", "status", "string"), ("channel", "string", "channel", "string"),
    ("day", "string", "day", "string")])
ctx.write_dynamic_frame.from_options(frame=frame, connection_type="s3",
    connection_options={"path": args["target"], "partitionKeys": ["channel"]}, format="parquet")
'''


def wait(check, timeout=900):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise RuntimeError("timed out")


def plain_pyspark(local_orders: Path, out: Path) -> float:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (SparkSession.builder.master("local[*]").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false").getOrCreate())
    spark.range(1).count()  # warm up: the Glue side pays its own start-up, reported separately
    started = time.perf_counter()
    df = spark.read.option("basePath", str(local_orders)).parquet(str(local_orders))
    df = df.drop("unit_price", "product_id").select(
        F.col("order_id").cast("bigint"), F.col("customer_id").cast("bigint"), F.col("amount").cast("double"),
        F.col("status"), F.col("channel"), F.col("day"))
    df.write.mode("overwrite").partitionBy("channel").parquet(str(out))
    seconds = time.perf_counter() - started
    spark.stop()
    return seconds


def main() -> None:
    from sandbox import datasets, lake

    report = Report("glue")
    with sandbox_cloud() as (config, aws), tempfile.TemporaryDirectory() as local:
        s3, glue = client(config.endpoint_url, "s3"), client(config.endpoint_url, "glue")
        s3.create_bucket(Bucket="bench-glue")
        orders = datasets.orders(ROWS, n_customers=max(1000, ROWS // 10), n_products=500, days=90)
        ts = orders["order_ts"]
        orders = orders.assign(year=ts.dt.strftime("%Y"), month=ts.dt.strftime("%m"), day=ts.dt.strftime("%d"))
        lake.write_partitioned(aws, orders, "s3://bench-glue/orders/", ["year", "month", "day"])
        local_orders = Path(local) / "orders"
        for (year, month, day), part in orders.groupby(["year", "month", "day"]):
            folder = local_orders / f"year={year}" / f"month={month}" / f"day={day}"
            folder.mkdir(parents=True)
            part.drop(columns=["year", "month", "day"]).to_parquet(folder / "part-0.parquet", index=False)
        print(f"glue: {ROWS:,} orders in {orders.groupby(['year', 'month', 'day']).ngroups} partitions")

        glue.create_crawler(Name="bench-orders", Role=ROLE, DatabaseName="bench",
                            Targets={"S3Targets": [{"Path": "s3://bench-glue/orders/"}]})
        glue.start_crawler(Name="bench-orders")
        wait(lambda: glue.get_crawler(Name="bench-orders")["Crawler"].get("LastCrawl", {}).get("Status")
             == "SUCCEEDED")
        s3.put_object(Bucket="bench-glue", Key="scripts/job.py", Body=SCRIPT.encode())
        glue.create_job(Name="bench-job", Role=ROLE, Command={"Name": "glueetl",
                                                              "ScriptLocation": "s3://bench-glue/scripts/job.py"})
        started = time.perf_counter()
        run_id = glue.start_job_run(JobName="bench-job",
                                    Arguments={"--target": "s3://bench-glue/out/"})["JobRunId"]
        def finished():
            current = glue.get_job_run(JobName="bench-job", RunId=run_id)["JobRun"]
            return current if current["JobRunState"] in ("SUCCEEDED", "FAILED") else None

        run = wait(finished)
        glue_seconds = time.perf_counter() - started
        if run["JobRunState"] != "SUCCEEDED":
            raise RuntimeError(run.get("ErrorMessage"))
        baseline = plain_pyspark(local_orders, Path(local) / "out")
        report.add("Glue job, start_job_run to SUCCEEDED (s)", glue_seconds, baseline, "s",
                   note="vs plain PySpark on local files, warm session")
        report.add("  of which the job process (ExecutionTime) (s)", run["ExecutionTime"], None, "s",
                   note="includes Spark start-up and S3 staging")
        shutil.rmtree(Path(local) / "out", ignore_errors=True)

        for i in range(CRAWL_OBJECTS):
            s3.put_object(Bucket="bench-glue", Key=f"many/dt=2024-01-{i % 10 + 1:02d}/part-{i:05d}.csv",
                          Body=f"id,value\n{i},{i * 0.5}\n".encode())
        glue.create_crawler(Name="bench-many", Role=ROLE, DatabaseName="bench",
                            Targets={"S3Targets": [{"Path": "s3://bench-glue/many/"}]})
        started = time.perf_counter()
        glue.start_crawler(Name="bench-many")
        wait(lambda: glue.get_crawler(Name="bench-many")["Crawler"].get("LastCrawl", {}).get("Status")
             == "SUCCEEDED")
        crawl = time.perf_counter() - started
        report.add("crawler wall time per 1,000 objects (s)", crawl * 1000 / CRAWL_OBJECTS, None, "s",
                   note=f"{CRAWL_OBJECTS} CSV objects, 10 partitions")
    report.save()


if __name__ == "__main__":
    main()
