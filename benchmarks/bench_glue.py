"""Glue job runs against the same work without the service: Spark start-up paid per run, and crawler speed.

- a trivial job (count 1,000 rows; start_job_run to SUCCEEDED) vs the same PySpark script run cold as a
  subprocess (the issue's "half the time" figure)
- the BENCH_GLUE_ROWS-row job (catalog read from S3, ApplyMapping, DropFields, partitioned Parquet back to
  S3) vs the same steps in plain PySpark on local files on a warm session (the "1.5x" figure)
- each Glue figure twice in one run: before (``SANDBOX_WARM_SPARK=0``: every run starts its own Spark) and
  after (a warm driver waits for the run; the benchmark waits for it to be ready, as a learner's next run
  finds it after editing the script)
- crawler wall time per 1,000 objects

    .venv/bin/python benchmarks/bench_glue.py        (BENCH_GLUE_ROWS, default 1,000,000)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Report, client, sandbox_cloud  # noqa: E402

ROWS = int(os.environ.get("BENCH_GLUE_ROWS", 1_000_000))
CRAWL_OBJECTS = int(os.environ.get("BENCH_CRAWL_OBJECTS", 1000))
ROLE = "arn:aws:iam::123456789012:role/bench"
TRIVIAL_SCRIPT = """
from awsglue.context import GlueContext
from pyspark.context import SparkContext
ctx = GlueContext(SparkContext.getOrCreate())
print("rows", ctx.spark_session.range(1000).count())
"""
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


def cold_script_seconds(folder: Path) -> float:
    """The trivial job's script run as a plain PySpark program in a fresh process (Glue's Spark settings)."""
    from emulators.glue.jobs import SPARK_SUBMIT_ARGS

    script = folder / "trivial.py"
    script.write_text(TRIVIAL_SCRIPT)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "PYSPARK_SUBMIT_ARGS": SPARK_SUBMIT_ARGS.format(master=os.environ.get("SPARK_MASTER", "local[*]")),
           "SPARK_LOCAL_IP": "127.0.0.1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script)], env=env, check=True, capture_output=True, cwd=folder)
    return time.perf_counter() - started


def run_job(glue: Any, name: str, arguments: dict[str, str] | None = None) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    run_id = glue.start_job_run(JobName=name, Arguments=arguments or {})["JobRunId"]

    def finished():
        current = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        return current if current["JobRunState"] in ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED") else None

    run = wait(finished)
    seconds = time.perf_counter() - started
    if run["JobRunState"] != "SUCCEEDED":
        raise RuntimeError(run.get("ErrorMessage"))
    return seconds, run


def wait_for_warm_driver(state_dir: Path, since: float) -> None:
    """Until the driver warmed after ``since`` (wall clock) says it is ready (its log in the state folder)."""
    folder = state_dir / "services" / "spark" / "warm"

    def ready() -> bool:
        for log in folder.glob("warm-driver-*.log"):
            if log.stat().st_mtime >= since and "warm driver ready" in log.read_text(errors="replace"):
                return True
        return False

    wait(ready, timeout=900)


def measure(report: Report, warm: bool, orders: Any, cold_seconds: float) -> float:
    """One sandbox with warm Spark on or off: the trivial job and the big job; returns the big job's seconds."""
    from sandbox import lake

    os.environ["SANDBOX_WARM_SPARK"] = "1" if warm else "0"
    mode = "warm Spark on" if warm else "SANDBOX_WARM_SPARK=0"
    with sandbox_cloud() as (config, aws):
        s3, glue = client(config.endpoint_url, "s3"), client(config.endpoint_url, "glue")
        s3.create_bucket(Bucket="bench-glue")
        s3.put_object(Bucket="bench-glue", Key="scripts/trivial.py", Body=TRIVIAL_SCRIPT.encode())
        glue.create_job(Name="trivial", Role=ROLE, Command={"Name": "glueetl",
                                                            "ScriptLocation": "s3://bench-glue/scripts/trivial.py"})
        first, _ = run_job(glue, "trivial")
        if warm:
            wait_for_warm_driver(config.state_dir, time.time() - 1)
        second, run = run_job(glue, "trivial")
        trivial_done = time.time() - 1
        report.add(f"trivial job, first run, {mode} (s)", first, cold_seconds, "s",
                   note="vs the same script cold as a subprocess")
        report.add(f"trivial job, next run, {mode} (s)", second, cold_seconds, "s",
                   note="vs the same script cold as a subprocess")

        lake.write_partitioned(aws, orders, "s3://bench-glue/orders/", ["year", "month", "day"])
        glue.create_crawler(Name="bench-orders", Role=ROLE, DatabaseName="bench",
                            Targets={"S3Targets": [{"Path": "s3://bench-glue/orders/"}]})
        glue.start_crawler(Name="bench-orders")
        wait(lambda: glue.get_crawler(Name="bench-orders")["Crawler"].get("LastCrawl", {}).get("Status")
             == "SUCCEEDED")
        s3.put_object(Bucket="bench-glue", Key="scripts/job.py", Body=SCRIPT.encode())
        glue.create_job(Name="bench-job", Role=ROLE, Command={"Name": "glueetl",
                                                              "ScriptLocation": "s3://bench-glue/scripts/job.py"})
        if warm:
            wait_for_warm_driver(config.state_dir, trivial_done)
        big, run = run_job(glue, "bench-job", {"--target": "s3://bench-glue/out/"})
        report.add(f"  of which the job process (ExecutionTime), {mode} (s)", run["ExecutionTime"], None, "s",
                   note="includes Spark start-up when cold, and S3 staging")
        if warm:
            crawl_speed(report, s3, glue)
    return big


def crawl_speed(report: Report, s3: Any, glue: Any) -> None:
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


def main() -> None:
    from sandbox import datasets

    report = Report("glue")
    saved = os.environ.get("SANDBOX_WARM_SPARK")
    with tempfile.TemporaryDirectory() as local:
        orders = datasets.orders(ROWS, n_customers=max(1000, ROWS // 10), n_products=500, days=90)
        ts = orders["order_ts"]
        orders = orders.assign(year=ts.dt.strftime("%Y"), month=ts.dt.strftime("%m"), day=ts.dt.strftime("%d"))
        local_orders = Path(local) / "orders"
        for (year, month, day), part in orders.groupby(["year", "month", "day"]):
            folder = local_orders / f"year={year}" / f"month={month}" / f"day={day}"
            folder.mkdir(parents=True)
            part.drop(columns=["year", "month", "day"]).to_parquet(folder / "part-0.parquet", index=False)
        print(f"glue: {ROWS:,} orders in {orders.groupby(['year', 'month', 'day']).ngroups} partitions")
        cold = cold_script_seconds(Path(local))
        report.add("trivial script cold as a subprocess (s)", cold, None, "s", note="the baseline of the trivial job")
        baseline = plain_pyspark(local_orders, Path(local) / "out")
        report.add(f"{ROWS:,}-row transforms, plain PySpark, warm session (s)", baseline, None, "s",
                   note="the baseline of the big job")
        try:
            for warm in (False, True):
                big = measure(report, warm, orders, cold)
                mode = "warm Spark on" if warm else "SANDBOX_WARM_SPARK=0"
                report.add(f"{ROWS:,}-row Glue job, {mode} (s)", big, baseline, "s",
                           note="start_job_run to SUCCEEDED vs plain PySpark, warm session")
        finally:
            if saved is None:
                os.environ.pop("SANDBOX_WARM_SPARK", None)
            else:
                os.environ["SANDBOX_WARM_SPARK"] = saved
    report.save()


if __name__ == "__main__":
    main()
