"""Exercises on the Glue Data Catalog, crawlers, ETL jobs and triggers."""

from __future__ import annotations

import io

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import list_keys, lookup, need_bucket

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
    files = [o["Key"] for o in list_keys(s3, "ex09-etl", "clean/orders/")
             if o["Key"].endswith(".parquet") or "part-" in o["Key"].rsplit("/", 1)[-1]]
    g.need(files, "no Parquet output under s3://ex09-etl/clean/orders/")
    import pyarrow.parquet as pq

    rows, statuses = 0, set()
    for key in files:
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket="ex09-etl", Key=key)["Body"].read()))
        rows += table.num_rows
        if "status" in table.column_names:
            statuses |= set(table.column("status").to_pylist())
    g.expect(rows > 0, "the output Parquet files hold no rows")
    g.expect(statuses and "cancelled" not in statuses,
             f"the output still has cancelled orders (statuses {sorted(s for s in statuses if s)})"
             if statuses else "the output has no status column to show cancelled orders were dropped",
             f"{rows} rows, no cancelled orders")


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
             "Write a Glue Spark ETL job `ex09-clean-orders` that reads the orders, drops the cancelled ones "
             "(Filter) and writes Parquet to `s3://ex09-etl/clean/orders/`. Run it successfully.",
             ("Glue ETL on serverless Spark", "DynamicFrame transforms: Filter, DropFields, Join, Map"),
             ("put the script in S3, glue.create_job(Command={'Name': 'glueetl', 'ScriptLocation': ...})",
              "awsglue.transforms.Filter"), check_etl_job, NB_ETL, ("glue", "s3")),
    Exercise(10, "conditional-trigger", "Glue triggers", "Chain two jobs with an event-based trigger",
             "Whenever the job `ex10-ingest` succeeds, the job `ex10-report` must start automatically. Create "
             "the trigger `ex10-after-ingest` and show that it fired.",
             ("Glue triggers: scheduled vs conditional (event based)", "job orchestration"),
             ("glue.create_trigger(Type='CONDITIONAL', Predicate=..., Actions=..., StartOnCreation=True)",),
             check_trigger, NB_ETL, ("glue",)),
]
