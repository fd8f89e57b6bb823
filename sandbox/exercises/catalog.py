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
    source = _read_parquet_prefix(s3, "ex09-etl", "raw/orders/")
    g.need(source is not None and source.num_rows,
           "no orders under s3://ex09-etl/raw/orders/ (Parquet): the job's input must be there")
    g.need({"order_id", "status"} <= set(source.column_names),
           f"the input under s3://ex09-etl/raw/orders/ has no order_id/status columns ({source.column_names})")
    files = [o["Key"] for o in list_keys(s3, "ex09-etl", "clean/orders/")
             if o["Key"].endswith(".parquet") or "part-" in o["Key"].rsplit("/", 1)[-1]]
    g.need(files, "no Parquet output under s3://ex09-etl/clean/orders/")
    output = _read_parquet_prefix(s3, "ex09-etl", "clean/orders/", files)
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


def _read_parquet_prefix(s3, bucket: str, prefix: str, keys: list[str] | None = None):
    """All Parquet files under a prefix as one Arrow table (columns as in the first file); None when there are none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if keys is None:
        keys = [o["Key"] for o in list_keys(s3, bucket, prefix) if o["Size"] > 0]
    tables = []
    for key in keys:
        try:
            tables.append(pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())))
        except Exception:  # noqa: BLE001 - a non-Parquet file (e.g. _SUCCESS) is skipped
            continue
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


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
]
