"""Exercises on the Glue Data Catalog, crawlers, ETL jobs and triggers."""

from __future__ import annotations

import io

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import check_daily_revenue, list_keys, lookup, need_bucket, read_parquet_prefix

NB_CATALOG = "notebooks/03_glue_catalog_crawlers.ipynb"
NB_ETL = "notebooks/04_glue_etl.ipynb"


def _table(g: Grader, database: str, name: str) -> dict:
    glue = g.client("glue")
    g.need(lookup(glue.get_database, Name=database), f"Glue database {database} does not exist "
                                                     f"(glue.create_database(DatabaseInput={{'Name': '{database}'}}))",
           f"database {database} exists")
    found = lookup(glue.get_table, DatabaseName=database, Name=name)
    g.need(found, f"table {database}.{name} does not exist in the Glue Data Catalog")
    return found["Table"]


def check_manual_table(g: Grader) -> None:
    table = _table(g, "ex07_analytics", "customers")
    sd = table.get("StorageDescriptor", {})
    g.expect(sd.get("Location", "").rstrip("/") == "s3://ex07-catalog/customers",
             f"the table's location is {sd.get('Location')!r}, not s3://ex07-catalog/customers/",
             "location s3://ex07-catalog/customers/")
    serde = sd.get("SerdeInfo", {})
    csv_like = ("LazySimpleSerDe" in serde.get("SerializationLibrary", "") or "OpenCSVSerde" in
                serde.get("SerializationLibrary", "") or table.get("Parameters", {}).get("classification") == "csv")
    g.expect(csv_like, "the table is not declared as CSV (LazySimpleSerDe/OpenCSVSerde or classification=csv)",
             "declared as CSV")
    g.expect(serde.get("Parameters", {}).get("field.delim", ",") == ",",
             "the field delimiter is not a comma")
    g.expect(table.get("Parameters", {}).get("skip.header.line.count") == "1",
             "the CSV has a header line: set the table parameter skip.header.line.count = '1'",
             "header line skipped")
    columns = {c["Name"]: c["Type"] for c in sd.get("Columns", [])}
    for name, kinds in (("customer_id", ("bigint", "int")), ("churned", ("int", "bigint", "tinyint", "boolean")),
                        ("monthly_spend", ("double", "float", "decimal"))):
        g.expect(name in columns and columns[name].split("(")[0] in kinds,
                 f"column {name} missing or not numeric ({columns.get(name, 'absent')})", f"column {name}")
    s3 = g.client("s3")
    g.expect(need_bucket(g, "ex07-catalog") and list_keys(s3, "ex07-catalog", "customers/"),
             "no data under s3://ex07-catalog/customers/: upload customers.csv there")


def check_crawler(g: Grader) -> None:
    glue, name = g.client("glue"), "ex08-clickstream-crawler"
    found = lookup(glue.get_crawler, Name=name)
    g.need(found, f"crawler {name} does not exist (glue.create_crawler)", f"crawler {name} exists")
    crawler = found["Crawler"]
    targets = [t.get("Path", "").rstrip("/") for t in crawler.get("Targets", {}).get("S3Targets", [])]
    g.expect("s3://ex08-clickstream/events" in targets,
             f"the crawler's S3 targets are {targets}, not s3://ex08-clickstream/events/", "targets events/")
    g.expect(crawler.get("DatabaseName") == "ex08_raw",
             f"the crawler writes to database {crawler.get('DatabaseName')!r}, not ex08_raw", "database ex08_raw")
    last = crawler.get("LastCrawl", {})
    g.need(last.get("Status") == "SUCCEEDED",
           f"the crawler has {'never run' if not last else 'last crawl ' + str(last.get('Status'))}: "
           "glue.start_crawler and wait for READY", "the last crawl SUCCEEDED")
    table = _table(g, "ex08_raw", "events")
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    g.expect(keys == ["dt"], f"table ex08_raw.events has partition keys {keys}, expected ['dt'] (folders dt=YYYY-MM-DD)",
             "partition key dt")
    partitions = glue.get_partitions(DatabaseName="ex08_raw", TableName="events")["Partitions"]
    g.expect(len(partitions) >= 3, f"ex08_raw.events has {len(partitions)} partition(s); load at least 3 days of "
                                   "clickstream and re-crawl", f"{len(partitions)} partitions")
    columns = {c["Name"] for c in table["StorageDescriptor"].get("Columns", [])}
    g.expect({"event_type", "customer_id"} <= columns,
             f"the crawled schema lacks event_type/customer_id (columns: {sorted(columns)})", "schema inferred")


def check_etl_job(g: Grader) -> None:
    glue, name = g.client("glue"), "ex09-clean-orders"
    found = lookup(glue.get_job, JobName=name)
    g.need(found, f"Glue job {name} does not exist (glue.create_job with Command Name glueetl)", f"job {name} exists")
    g.expect(found["Job"]["Command"]["Name"] == "glueetl",
             f"job {name} is a {found['Job']['Command']['Name']} job, not a Spark ETL (glueetl) job")
    runs = glue.get_job_runs(JobName=name)["JobRuns"]
    g.need(any(r["JobRunState"] == "SUCCEEDED" for r in runs),
           f"job {name} has no SUCCEEDED run ({[r['JobRunState'] for r in runs] or 'never started'}): "
           "glue.start_job_run", "a run SUCCEEDED")
    s3 = need_bucket(g, "ex09-etl")
    source = read_parquet_prefix(s3, "ex09-etl", "raw/orders/")
    g.need(source is not None and source.num_rows,
           "no orders under s3://ex09-etl/raw/orders/ (Parquet): the job's input must be there")
    g.need({"order_id", "status"} <= set(source.column_names),
           f"the input under s3://ex09-etl/raw/orders/ has no order_id/status columns ({source.column_names})")
    files = [o["Key"] for o in list_keys(s3, "ex09-etl", "clean/orders/")
             if o["Key"].endswith(".parquet") or "part-" in o["Key"].rsplit("/", 1)[-1]]
    g.need(files, "no Parquet output under s3://ex09-etl/clean/orders/")
    output = read_parquet_prefix(s3, "ex09-etl", "clean/orders/", files)
    g.need(output is not None and output.num_rows, "the output Parquet files hold no rows")
    missing = [c for c in source.column_names if c not in output.column_names]
    g.need(not missing, f"the output lacks the input's columns {missing}: the job should only drop rows",
           "the output keeps every input column")
    statuses = set(output.column("status").to_pylist())
    g.expect("cancelled" not in statuses, f"the output still has cancelled orders (statuses {sorted(statuses)})",
             "no cancelled orders")
    kept = {i for i, s in zip(source.column("order_id").to_pylist(), source.column("status").to_pylist())
            if s != "cancelled"}
    written = output.column("order_id").to_pylist()
    g.expect(len(written) == len(kept) and set(written) == kept,
             f"the output holds {len(written)} rows but the input has {len(kept)} orders that are not cancelled "
             f"({len(kept - set(written))} missing, {len(set(written) - kept)} not in the input, "
             f"{len(written) - len(set(written))} duplicated): the output must be exactly the input minus the "
             "cancelled orders", f"{len(written)} rows: exactly the input's orders that are not cancelled")


def check_trigger(g: Grader) -> None:
    glue, name = g.client("glue"), "ex10-after-ingest"
    found = lookup(glue.get_trigger, Name=name)
    g.need(found, f"Glue trigger {name} does not exist (glue.create_trigger Type='CONDITIONAL')",
           f"trigger {name} exists")
    trigger = found["Trigger"]
    g.expect(trigger.get("Type") == "CONDITIONAL", f"trigger {name} is {trigger.get('Type')}, not CONDITIONAL")
    g.expect(trigger.get("State") == "ACTIVATED", f"trigger {name} is {trigger.get('State')}, not ACTIVATED "
                                                  "(StartOnCreation=True or start_trigger)", "ACTIVATED")
    conditions = trigger.get("Predicate", {}).get("Conditions", [])
    g.expect(any(c.get("JobName") == "ex10-ingest" and c.get("State") == "SUCCEEDED" for c in conditions),
             f"the predicate does not wait for job ex10-ingest to be SUCCEEDED ({conditions})",
             "fires when ex10-ingest SUCCEEDED")
    g.expect(any(a.get("JobName") == "ex10-report" for a in trigger.get("Actions", [])),
             "the trigger does not start job ex10-report", "starts ex10-report")
    runs = (lookup(glue.get_job_runs, JobName="ex10-report") or {}).get("JobRuns", [])
    g.expect(any(r.get("TriggerName") == name and r["JobRunState"] == "SUCCEEDED" for r in runs),
             "job ex10-report has no SUCCEEDED run started by the trigger: run ex10-ingest and let the trigger fire",
             "ex10-report ran because of the trigger")


EX35_BUCKET, EX35_CRAWLER, EX35_DATABASE = "ex35-landing", "ex35-orders-crawler", "ex35_raw"


def _ex35_day(day: int) -> bytes:
    """One day of orders as JSON lines; from the 4th day on the app sends five more fields."""
    import json

    lines = []
    for i in range(25):
        row = {"order_id": day * 1000 + i, "customer_id": 1 + (i * 7) % 40, "amount": round(5 + i * 1.25, 2),
               "status": "cancelled" if i % 9 == 0 else "completed"}
        if day >= 4:
            row.update({"coupon_code": "WINTER" if i % 4 == 0 else None, "app_version": "2.1",
                        "device": ("ios", "android", "web")[i % 3], "referrer": "newsletter", "basket_size": 1 + i % 5})
        lines.append(json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


def _run_crawler(glue, name: str, timeout: float = 120) -> dict:
    from sandbox.exercises._helpers import wait_until

    glue.start_crawler(Name=name)
    return wait_until(lambda: glue.get_crawler(Name=name)["Crawler"],
                      lambda c: c["State"] == "READY" and c.get("LastCrawl", {}).get("Status") != "RUNNING",
                      timeout, f"the crawler {name}", interval=0.3)


def setup_crawler_many_tables(aws) -> None:
    """Six days of orders whose schema grew on day 4, a crawler with default settings, and its crawl: six tables."""
    from sandbox.exercises._helpers import ROLE_GLUE, empty_prefix, ensure_bucket

    s3, glue = aws.client("s3"), aws.client("glue")
    ensure_bucket(s3, EX35_BUCKET)
    empty_prefix(s3, EX35_BUCKET, "orders/")
    for day in range(1, 7):
        s3.put_object(Bucket=EX35_BUCKET, Key=f"orders/dt=2024-01-{day:02d}/orders-{day}.json", Body=_ex35_day(day))
    if lookup(glue.get_database, Name=EX35_DATABASE):
        for table in glue.get_tables(DatabaseName=EX35_DATABASE)["TableList"]:
            glue.delete_table(DatabaseName=EX35_DATABASE, Name=table["Name"])
    else:
        glue.create_database(DatabaseInput={"Name": EX35_DATABASE})
    if lookup(glue.get_crawler, Name=EX35_CRAWLER):
        glue.delete_crawler(Name=EX35_CRAWLER)
    glue.create_crawler(Name=EX35_CRAWLER, Role=ROLE_GLUE, DatabaseName=EX35_DATABASE,
                        Targets={"S3Targets": [{"Path": f"s3://{EX35_BUCKET}/orders/"}]})
    _run_crawler(glue, EX35_CRAWLER)


def check_crawler_one_table(g: Grader) -> None:
    import json

    glue = g.client("glue")
    found = lookup(glue.get_crawler, Name=EX35_CRAWLER)
    g.need(found, f"crawler {EX35_CRAWLER} does not exist: run `sandbox exercises setup 35` first",
           f"crawler {EX35_CRAWLER} exists")
    crawler = found["Crawler"]
    try:
        configuration = json.loads(crawler.get("Configuration") or "{}")
    except ValueError:
        configuration = {}
    grouping = configuration.get("Grouping", {})
    g.expect(grouping.get("TableGroupingPolicy") == "CombineCompatibleSchemas" or grouping.get(
        "TableLevelConfiguration") == 1,
             "the crawler still decides tables by schema similarity: the days before and after the app's new "
             "fields differ too much, so every dt= folder becomes a table of its own. Set its Configuration "
             "Grouping TableGroupingPolicy=CombineCompatibleSchemas (or TableLevelConfiguration=1 for orders/)",
             f"the crawler groups by {grouping}")
    last = crawler.get("LastCrawl", {})
    g.need(last.get("Status") == "SUCCEEDED", f"the crawler's last crawl is {last.get('Status', 'missing')}: "
                                              "re-run it after fixing its configuration")
    tables = glue.get_tables(DatabaseName=EX35_DATABASE)["TableList"]
    stale = sorted(t["Name"] for t in tables if "/orders/dt=" in t.get("StorageDescriptor", {}).get("Location", ""))
    orders = [t for t in tables if t["Name"] == "orders"]
    g.need(orders, f"{EX35_DATABASE} has no table orders over s3://{EX35_BUCKET}/orders/ (tables: "
                   f"{sorted(t['Name'] for t in tables)})", f"table {EX35_DATABASE}.orders exists")
    table = orders[0]
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    g.expect(keys == ["dt"], f"{EX35_DATABASE}.orders has partition keys {keys}, expected ['dt']", "partitioned by dt")
    partitions = glue.get_partitions(DatabaseName=EX35_DATABASE, TableName="orders")["Partitions"]
    g.expect(len(partitions) >= 6, f"{EX35_DATABASE}.orders has {len(partitions)} partition(s); all 6 days belong "
                                   "in it", f"{len(partitions)} partitions")
    columns = {c["Name"] for c in table["StorageDescriptor"].get("Columns", [])}
    g.expect({"order_id", "amount", "coupon_code", "basket_size"} <= columns,
             f"the orders table lacks the columns of the newer days (columns {sorted(columns)})",
             "one schema with the old and the new fields")
    g.expect(not stale, f"the per-day tables the broken crawls made are still in the catalog: {stale} "
                        "(glue.delete_table; the crawler does not delete them by default)",
             "no per-day tables left")


EX36_BUCKET, EX36_JOB = "ex36-etl", "ex36-daily-revenue"
EX36_SCRIPT = """
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
orders = spark.read.parquet(args["source"])
daily = (orders.where(F.col("status") == "completed")
         .groupBy(F.to_date("order_date").alias("day"))
         .agg(F.round(F.sum("amount"), 2).alias("revenue")))
daily.write.mode("overwrite").parquet(args["target"])
job.commit()
"""


def setup_failing_glue_job(aws) -> None:
    """The daily revenue job as it was handed over: its run fails (read the run's ErrorMessage)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from sandbox import datasets
    from sandbox.exercises._helpers import ROLE_GLUE, empty_prefix, ensure_bucket, wait_until

    s3, glue = aws.client("s3"), aws.client("glue")
    ensure_bucket(s3, EX36_BUCKET)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(datasets.generate("tiny")["orders"], preserve_index=False), buffer)
    s3.put_object(Bucket=EX36_BUCKET, Key="raw/orders/orders.parquet", Body=buffer.getvalue())
    s3.put_object(Bucket=EX36_BUCKET, Key="scripts/daily_revenue.py", Body=EX36_SCRIPT.encode())
    empty_prefix(s3, EX36_BUCKET, "output/")
    job = {"Role": ROLE_GLUE, "GlueVersion": "4.0",
           "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{EX36_BUCKET}/scripts/daily_revenue.py"},
           "DefaultArguments": {"--source": f"s3://{EX36_BUCKET}/raw/orders/"}}
    if lookup(glue.get_job, JobName=EX36_JOB):
        glue.update_job(JobName=EX36_JOB, JobUpdate=job)
    else:
        glue.create_job(Name=EX36_JOB, **job)
    run = glue.start_job_run(JobName=EX36_JOB)["JobRunId"]
    wait_until(lambda: glue.get_job_run(JobName=EX36_JOB, RunId=run)["JobRun"],
               lambda r: r["JobRunState"] in ("SUCCEEDED", "FAILED", "ERROR", "TIMEOUT", "STOPPED"), 300,
               "the job run", interval=1)


def check_fixed_glue_job(g: Grader) -> None:
    glue = g.client("glue")
    found = lookup(glue.get_job, JobName=EX36_JOB)
    g.need(found, f"Glue job {EX36_JOB} does not exist: run `sandbox exercises setup 36` first",
           f"job {EX36_JOB} exists")
    arguments = found["Job"].get("DefaultArguments") or {}
    g.expect(arguments.get("--target", "").rstrip("/") == f"s3://{EX36_BUCKET}/output/daily_revenue",
             f"the job's DefaultArguments give no --target s3://{EX36_BUCKET}/output/daily_revenue/ (found "
             f"{arguments.get('--target')!r}): every run needs it", "--target is a default argument")
    runs = sorted(glue.get_job_runs(JobName=EX36_JOB)["JobRuns"], key=lambda r: r["StartedOn"], reverse=True)
    g.need(runs, f"job {EX36_JOB} never ran")
    latest = runs[0]
    g.need(latest["JobRunState"] == "SUCCEEDED",
           f"the latest run of {EX36_JOB} {latest['JobRunState']}: {latest.get('ErrorMessage') or 'no message'}",
           f"the latest run SUCCEEDED (after {sum(r['JobRunState'] != 'SUCCEEDED' for r in runs)} failed)")
    s3 = need_bucket(g, EX36_BUCKET)
    check_daily_revenue(g, s3, EX36_BUCKET, "raw/orders/", "output/daily_revenue/")


EX37_BUCKET, EX37_JOB = "ex37-etl", "ex37-incremental-orders"


def check_bookmarks(g: Grader) -> None:
    import json

    glue = g.client("glue")
    found = lookup(glue.get_job, JobName=EX37_JOB)
    g.need(found, f"Glue job {EX37_JOB} does not exist (glue.create_job)", f"job {EX37_JOB} exists")
    option = (found["Job"].get("DefaultArguments") or {}).get("--job-bookmark-option", "job-bookmark-disable")
    g.expect(option == "job-bookmark-enable", f"job bookmarks are {option} for {EX37_JOB}: set the default "
                                              "argument --job-bookmark-option job-bookmark-enable",
             "bookmarks enabled")
    runs = [r for r in glue.get_job_runs(JobName=EX37_JOB)["JobRuns"] if r["JobRunState"] == "SUCCEEDED"]
    g.need(len(runs) >= 2, f"{EX37_JOB} has {len(runs)} SUCCEEDED run(s): run it, add a new file under "
                           f"s3://{EX37_BUCKET}/incoming/, run it again", f"{len(runs)} successful runs")
    entry = glue.get_job_bookmark(JobName=EX37_JOB)["JobBookmarkEntry"]
    try:
        bookmark = json.loads(entry.get("JobBookmark") or "{}")
    except ValueError:
        bookmark = {}
    g.expect(bookmark, f"{EX37_JOB} has no bookmark state: the reads need a transformation_ctx and the script "
                       "must call job.init and job.commit", "the job keeps a bookmark")
    s3 = need_bucket(g, EX37_BUCKET)
    incoming = [o["Key"] for o in list_keys(s3, EX37_BUCKET, "incoming/") if o["Key"].endswith(".csv")]
    g.need(len(incoming) >= 2, f"{len(incoming)} CSV file(s) under s3://{EX37_BUCKET}/incoming/: the second run "
                               "needs a file the first did not see")
    expected = 0
    for key in incoming:
        lines = [x for x in s3.get_object(Bucket=EX37_BUCKET, Key=key)["Body"].read().decode().splitlines() if x]
        expected += max(len(lines) - 1, 0)
    processed = read_parquet_prefix(s3, EX37_BUCKET, "processed/")
    g.need(processed is not None and "order_id" in processed.column_names,
           f"no Parquet with an order_id column under s3://{EX37_BUCKET}/processed/")
    ids = processed.column("order_id").to_pylist()
    duplicated = len(ids) - len(set(ids))
    g.expect(duplicated == 0 and len(ids) == expected,
             f"s3://{EX37_BUCKET}/processed/ holds {len(ids)} rows for {expected} incoming rows ({duplicated} "
             "duplicated): each run must process only the files no earlier run processed",
             f"{len(ids)} rows, each incoming row processed exactly once over {len(runs)} runs")


EXERCISES = [
    Exercise(7, "catalog-table", "Glue Data Catalog", "Define a CSV table in the catalog by hand",
             "Create the Glue database `ex07_analytics` and in it a table `customers` over the CSV files in "
             "`s3://ex07-catalog/customers/` (the customers dataset, with its header line) so that Athena can "
             "query customer_id, churned and monthly_spend as numbers.",
             ("Glue Data Catalog: databases, tables, SerDe", "CSV header handling (skip.header.line.count)"),
             ("glue.create_database, glue.create_table with StorageDescriptor.SerdeInfo LazySimpleSerDe",),
             check_manual_table, NB_CATALOG, ("glue", "s3")),
    Exercise(8, "crawler", "Glue crawlers", "Catalog the clickstream with a crawler",
             "The clickstream lands as JSON lines in `s3://ex08-clickstream/events/dt=YYYY-MM-DD/`. Create the "
             "crawler `ex08-clickstream-crawler` that catalogs it into the database `ex08_raw` as a table "
             "`events` partitioned by `dt`, and run it (at least 3 days of data).",
             ("crawlers infer schemas and partitions", "hive-style partition folders"),
             ("glue.create_crawler(Targets={'S3Targets': [...]})", "glue.start_crawler, then wait for READY"),
             check_crawler, NB_CATALOG, ("glue", "s3")),
    Exercise(9, "etl-job", "Glue ETL", "Drop cancelled orders with a Glue job",
             "Write a Glue Spark ETL job `ex09-clean-orders` that reads the orders (Parquet) from "
             "`s3://ex09-etl/raw/orders/`, drops the cancelled ones (Filter) and writes the remaining orders, "
             "with all their columns, as Parquet to `s3://ex09-etl/clean/orders/`. Run it successfully.",
             ("Glue ETL on serverless Spark", "DynamicFrame transforms: Filter, DropFields, Join, Map"),
             ("put the script in S3, glue.create_job(Command={'Name': 'glueetl', 'ScriptLocation': ...})",
              "awsglue.transforms.Filter"), check_etl_job, NB_ETL, ("glue", "s3")),
    Exercise(10, "conditional-trigger", "Glue triggers", "Chain two jobs with an event-based trigger",
             "Whenever the job `ex10-ingest` succeeds, the job `ex10-report` must start automatically. Create "
             "the trigger `ex10-after-ingest` and show that it fired.",
             ("Glue triggers: scheduled vs conditional (event based)", "job orchestration"),
             ("glue.create_trigger(Type='CONDITIONAL', Predicate=..., Actions=..., StartOnCreation=True)",),
             check_trigger, NB_ETL, ("glue",)),
    Exercise(35, "crawler-many-tables", "Glue crawlers", "Diagnose and fix: a crawler that made a table per day",
             "Diagnose and fix. `sandbox exercises setup 35` lands six days of orders as JSON lines under "
             "`s3://ex35-landing/orders/dt=YYYY-MM-DD/` and crawls them with `ex35-orders-crawler` into the "
             "database `ex35_raw`: analysts expected one table `orders` partitioned by `dt`, and found one table "
             "per day. Find out why, change the crawler (not the data) so that it makes one table with every "
             "field, remove the tables the broken crawls left behind, and crawl again.",
             ("how crawlers group folders into tables (schema similarity) and partitions",
              "crawler configuration: TableGroupingPolicy CombineCompatibleSchemas, TableLevelConfiguration, "
              "exclusion patterns", "schema evolution in a data lake"),
             ("compare the per-day tables' columns (glue.get_tables)",
              "glue.update_crawler(Name=..., Configuration=json.dumps({'Version': 1.0, 'Grouping': "
              "{'TableGroupingPolicy': 'CombineCompatibleSchemas'}}))", "glue.delete_table, glue.start_crawler"),
             check_crawler_one_table, NB_CATALOG, ("glue",), setup=setup_crawler_many_tables),
    Exercise(36, "failing-glue-job", "Glue ETL", "Diagnose and fix: a Glue job that fails every night",
             "Diagnose and fix. `sandbox exercises setup 36` creates the Glue job `ex36-daily-revenue` (its script "
             "is `s3://ex36-etl/scripts/daily_revenue.py`) and runs it: the run FAILED. Read why (the job run's "
             "ErrorMessage, the logs in /aws-glue/jobs/error), fix the job's configuration and script, and run it "
             "until it writes, as Parquet in `s3://ex36-etl/output/daily_revenue/`, the revenue per day (`day`, "
             "`revenue`) of the completed orders in `s3://ex36-etl/raw/orders/`.",
             ("troubleshooting Glue jobs: job run ErrorMessage, CloudWatch logs", "job parameters "
              "(DefaultArguments vs run Arguments, getResolvedOptions)", "schema mismatches in Spark transforms"),
             ("glue.get_job_runs(JobName=...)['JobRuns'][0]['ErrorMessage']",
              "glue.update_job(JobUpdate={... 'DefaultArguments': {..., '--target': ...}})",
              "compare the script's columns with the data's (order_ts, amount, status)"),
             check_fixed_glue_job, NB_ETL, ("glue", "s3"), setup=setup_failing_glue_job),
    Exercise(37, "glue-bookmarks", "Glue ETL", "Process only new files with job bookmarks",
             "Orders arrive as CSV files (with a header, including an `order_id`) under "
             "`s3://ex37-etl/incoming/`. The Glue job `ex37-incremental-orders` must append each file's rows as "
             "Parquet to `s3://ex37-etl/processed/` exactly once, however often it runs. Run it, add a new file, "
             "and run it again.",
             ("Glue job bookmarks: incremental processing of S3 data", "transformation_ctx, job.init/job.commit",
              "reset_job_bookmark to reprocess"),
             ("DefaultArguments {'--job-bookmark-option': 'job-bookmark-enable'}",
              "create_dynamic_frame.from_options(..., transformation_ctx='orders')",
              "write_dynamic_frame.from_options(..., format='parquet') appends", "glue.get_job_bookmark"),
             check_bookmarks, NB_ETL, ("glue", "s3")),
]
