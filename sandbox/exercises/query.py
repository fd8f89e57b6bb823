"""Exercises on Athena: partitioned tables, workgroups, CTAS."""

from __future__ import annotations

import re

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import list_keys, lookup, need_bucket
from sandbox.lake import parse_s3_uri

NOTEBOOK = "notebooks/05_athena_redshift.ipynb"
DAY_KEYS = ({"dt"}, {"date"}, {"day"}, {"year", "month", "day"}, {"order_date"})


def _is_parquet(table: dict) -> bool:
    sd = table.get("StorageDescriptor", {})
    return ("parquet" in sd.get("InputFormat", "").lower() or
            "parquet" in sd.get("SerdeInfo", {}).get("SerializationLibrary", "").lower() or
            table.get("Parameters", {}).get("classification", "").lower() == "parquet")


def _table(g: Grader, database: str, name: str) -> dict:
    glue = g.client("glue")
    g.need(lookup(glue.get_database, Name=database), f"database {database} does not exist in the Glue Data Catalog",
           f"database {database} exists")
    found = lookup(glue.get_table, DatabaseName=database, Name=name)
    g.need(found, f"table {database}.{name} does not exist in the Glue Data Catalog")
    return found["Table"]


def _executions(athena, limit: int = 200) -> list[dict]:
    """Recent query executions of every workgroup (newest first per workgroup)."""
    groups = [w["Name"] for w in athena.list_work_groups().get("WorkGroups", [])] or ["primary"]
    ids: list[str] = []
    for group in groups:
        for page in athena.get_paginator("list_query_executions").paginate(WorkGroup=group):
            ids.extend(i for i in page.get("QueryExecutionIds", []) if i not in ids)
            if len(ids) >= limit:
                break
    found: list[dict] = []
    for start in range(0, len(ids), 50):
        batch = athena.batch_get_query_execution(QueryExecutionIds=ids[start:start + 50])
        found.extend(batch.get("QueryExecutions", []))
    return found


def check_partitioned_table(g: Grader) -> None:
    database, name = "ex11_sales", "sales"
    table = _table(g, database, name)
    keys = {k["Name"] for k in table.get("PartitionKeys", [])}
    g.expect(keys in DAY_KEYS, f"{database}.{name} is partitioned by {sorted(keys) or 'nothing'}; a one-day query "
                               "can only skip files if the table is partitioned by day (dt, or year/month/day)",
             f"partitioned by {sorted(keys)}")
    g.expect(_is_parquet(table), f"{database}.{name} is not stored as Parquet: a columnar format reads only the "
                                 "columns a query needs", "stored as Parquet")
    glue = g.client("glue")
    partitions = glue.get_partitions(DatabaseName=database, TableName=name)["Partitions"]
    g.need(len(partitions) >= 5, f"{database}.{name} has {len(partitions)} registered partition(s): load at least "
                                 "5 days and register them (MSCK REPAIR TABLE, a crawler, or "
                                 "batch_create_partition)", f"{len(partitions)} partitions registered")
    location = table["StorageDescriptor"].get("Location", "")
    bucket, prefix = parse_s3_uri(location)
    s3 = need_bucket(g, bucket)
    total = sum(o["Size"] for o in list_keys(s3, bucket, prefix.rstrip("/") + "/"))
    g.need(total > 0, f"no data under {location}")
    athena = g.client("athena")
    pattern = re.compile(rf"\b{name}\b", re.I)
    best = None
    for execution in _executions(athena):
        query = execution.get("Query", "")
        if (execution.get("Status", {}).get("State") == "SUCCEEDED" and pattern.search(query)
                and re.search(r"\bwhere\b", query, re.I)
                and any(re.search(rf"\b{k}\b", re.split(r"\bwhere\b", query, maxsplit=1, flags=re.I)[-1], re.I)
                        for k in keys)):
            scanned = execution.get("Statistics", {}).get("DataScannedInBytes", total)
            best = scanned if best is None else min(best, scanned)
    g.need(best is not None, f"no successful Athena query on {name} filters on a partition column "
                             f"({', '.join(sorted(keys))}): run one for a single day")
    g.expect(best * 3 <= total, f"your best one-day query scanned {best:,} bytes of the table's {total:,}: "
                                "partition pruning should read a small fraction",
             f"a one-day query scanned {best:,} of {total:,} bytes")


def check_workgroup(g: Grader) -> None:
    athena, name = g.client("athena"), "ex12-analysts"
    # AWS answers InvalidRequestException for an unknown workgroup; moto answers {"WorkGroup": null}
    group = (lookup(athena.get_work_group, WorkGroup=name) or {}).get("WorkGroup")
    g.need(group, f"Athena workgroup {name} does not exist (athena.create_work_group)", f"workgroup {name} exists")
    config = group.get("Configuration", {})
    g.expect(group.get("State", "ENABLED") == "ENABLED", f"workgroup {name} is {group.get('State')}")
    output = config.get("ResultConfiguration", {}).get("OutputLocation", "")
    g.expect(output.rstrip("/") == "s3://ex12-athena-results/analysts",
             f"the workgroup's query results go to {output or 'nowhere'}, not s3://ex12-athena-results/analysts/",
             "results in s3://ex12-athena-results/analysts/")
    g.expect(config.get("EnforceWorkGroupConfiguration") is True,
             "EnforceWorkGroupConfiguration is not true: users could override the output location and limits",
             "workgroup settings enforced")
    cutoff = config.get("BytesScannedCutoffPerQuery")
    g.expect(cutoff is not None and cutoff <= 1024 ** 3,
             f"BytesScannedCutoffPerQuery is {cutoff or 'unset'}; cap every query at 1 GB (1073741824 bytes) or less",
             f"queries capped at {cutoff:,} bytes" if cutoff else None)


def check_ctas(g: Grader) -> None:
    database, name = "ex13_reports", "revenue_by_channel"
    table = _table(g, database, name)
    g.expect(_is_parquet(table), f"{database}.{name} is not Parquet: use WITH (format = 'PARQUET') in the CTAS",
             "Parquet")
    location = table["StorageDescriptor"].get("Location", "").rstrip("/")
    g.expect(location == "s3://ex13-reports/revenue_by_channel",
             f"{database}.{name} lives in {location or 'no location'}, not s3://ex13-reports/revenue_by_channel/ "
             "(external_location)", "external_location as asked")
    columns = {c["Name"] for c in table["StorageDescriptor"].get("Columns", [])}
    g.expect({"channel", "revenue"} <= columns, f"the table's columns are {sorted(columns)}; expected channel "
                                                "and revenue", "columns channel, revenue")
    athena = g.client("athena")
    ctas = re.compile(rf"^\s*create\s+table\s+(?:\w+\.)?\"?{name}\"?\b.*?\bas\s+(?:\(\s*)?(?:select|with)\b",
                      re.I | re.S)
    ran = [e for e in _executions(athena)
           if e.get("Status", {}).get("State") == "SUCCEEDED" and ctas.search(e.get("Query", ""))]
    g.expect(ran, f"no successful Athena query CREATE TABLE {name} ... AS SELECT: the table must come from a CTAS "
                  "query, not from glue.create_table", "the table was created by a CTAS query that SUCCEEDED")
    s3 = need_bucket(g, "ex13-reports")
    files = [o for o in list_keys(s3, "ex13-reports", "revenue_by_channel/") if o["Size"] > 0]
    g.need(files, "no data files under s3://ex13-reports/revenue_by_channel/: CREATE TABLE AS SELECT writes them")
    import io

    import pyarrow.parquet as pq

    rows, channels = 0, set()
    for item in files:
        try:
            table = pq.read_table(io.BytesIO(s3.get_object(Bucket="ex13-reports", Key=item["Key"])["Body"].read()))
        except Exception:  # noqa: BLE001 - not Parquet
            g.stop(f"{item['Key']} is not a Parquet file")
        rows += table.num_rows
        if "channel" in table.column_names:
            channels |= set(table.column("channel").to_pylist())
    g.expect(rows > 0 and channels, f"the table's files under s3://ex13-reports/revenue_by_channel/ hold {rows} "
                                    "rows: the CTAS SELECT returned nothing",
             f"{len(files)} Parquet file(s), {rows} rows ({len(channels)} channels)")


def check_view(g: Grader) -> None:
    import base64
    import json

    database, name = "ex28_analytics", "completed_revenue"
    table = _table(g, database, name)
    g.need(table.get("TableType") == "VIRTUAL_VIEW",
           f"{database}.{name} is a {table.get('TableType', 'table')}, not a view: CREATE VIEW keeps no data "
           "of its own", "it is a view")
    text = table.get("ViewOriginalText", "")
    try:
        sql = json.loads(base64.b64decode(text[len("/* Presto View: "):-3]))["originalSql"].lower()
    except (ValueError, KeyError):
        g.stop(f"{database}.{name} is not an Athena view (ViewOriginalText is not a Presto view)")
    g.expect("completed" in sql and "group by" in sql,
             "the view should aggregate completed orders only (WHERE status = 'completed' ... GROUP BY)",
             "aggregates completed orders")
    columns = {c["Name"] for c in table["StorageDescriptor"].get("Columns", [])}
    g.expect({"channel", "revenue"} <= columns, f"the view's columns are {sorted(columns)}; expected channel "
                                                "and revenue", "columns channel, revenue")
    athena = g.client("athena")
    used = [e for e in _executions(athena)
            if e.get("Status", {}).get("State") == "SUCCEEDED" and e.get("StatementType") == "DML"
            and name in e.get("Query", "").lower() and "create" not in e.get("Query", "").lower()[:20]]
    g.expect(used, f"no successful Athena query reads {name} yet: SELECT from the view once",
             "the view was queried")


def check_partition_projection(g: Grader) -> None:
    database, name = "ex33_web", "events"
    table = _table(g, database, name)
    params = {k.lower(): v for k, v in table.get("Parameters", {}).items()}
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    g.need(keys == ["dt"], f"{database}.{name} is partitioned by {keys or 'nothing'}, not by dt")
    g.need(str(params.get("projection.enabled", "")).lower() == "true",
           f"{database}.{name} has no partition projection (TBLPROPERTIES 'projection.enabled'='true'): every new "
           "day would need MSCK REPAIR TABLE, a crawler run or batch_create_partition before Athena sees it")
    kind = params.get("projection.dt.type")
    g.expect(kind == "date", f"projection.dt.type is {kind!r}: a day column is projected as type 'date' "
                             "(with projection.dt.format 'yyyy-MM-dd')", "dt is projected as a date")
    span = str(params.get("projection.dt.range", "")).replace(" ", "").split(",")
    g.expect(len(span) == 2 and span[0] <= "2024-01-01" and span[1].upper().startswith("NOW"),
             f"projection.dt.range is {params.get('projection.dt.range')!r}: cover 2024-01-01 up to NOW so that "
             "tomorrow's folder is queryable without any change", f"days {span[0]} to {span[-1]}")
    g.expect(params.get("projection.dt.format") == "yyyy-MM-dd",
             f"projection.dt.format is {params.get('projection.dt.format')!r}, not yyyy-MM-dd (the folders are "
             "dt=2024-01-03)", "format yyyy-MM-dd")
    registered = g.client("glue").get_partitions(DatabaseName=database, TableName=name)["Partitions"]
    g.expect(not registered, f"{len(registered)} partition(s) of {database}.{name} are registered in the catalog: "
                             "with projection none is needed (and Athena ignores them), drop them",
             "no partition registered in the catalog")
    location = table["StorageDescriptor"].get("Location", "")
    bucket, prefix = parse_s3_uri(location)
    s3 = need_bucket(g, bucket)
    objects = list_keys(s3, bucket, prefix.rstrip("/") + "/")
    days = {k["Key"].split("dt=", 1)[1][:10] for k in objects if "dt=" in k["Key"]}
    g.need(len(days) >= 3, f"{location} holds {len(days)} dt= folder(s); land at least 3 days of clickstream")
    total = sum(o["Size"] for o in objects)
    athena = g.client("athena")
    best = None
    for execution in _executions(athena):
        query = execution.get("Query", "")
        where = re.split(r"\bwhere\b", query, maxsplit=1, flags=re.I)
        if (execution.get("Status", {}).get("State") == "SUCCEEDED" and re.search(rf"\b{name}\b", query, re.I)
                and len(where) == 2 and re.search(r"\bdt\b", where[1], re.I)):
            scanned = execution.get("Statistics", {}).get("DataScannedInBytes", total)
            best = scanned if best is None else min(best, scanned)
    g.need(best is not None, f"no successful Athena query on {name} filters on dt: run one for a single day")
    g.expect(best * 2 <= total, f"your best one-day query scanned {best:,} of the table's {total:,} bytes: the "
                                "projected partitions should prune the other days",
             f"a one-day query scanned {best:,} of {total:,} bytes with no partition in the catalog")


EXERCISES = [
    Exercise(11, "partition-pruning", "Athena", "Make the sales table queryable by day with the least data scanned",
             "Analysts query one day of sales at a time and pay per byte scanned. Make the table `ex11_sales.sales` "
             "queryable by day with the least data scanned (at least 5 days of orders), and run a one-day query "
             "in Athena that shows it.",
             ("Athena pricing: bytes scanned", "partitioning + Parquet", "registering partitions (MSCK REPAIR)"),
             ("CREATE EXTERNAL TABLE ... PARTITIONED BY (dt string) STORED AS PARQUET", "MSCK REPAIR TABLE sales",
              "SELECT ... WHERE dt = '2024-01-03'"), check_partitioned_table, NOTEBOOK, ("glue", "s3", "athena")),
    Exercise(12, "workgroup-limits", "Athena", "Control query cost with a workgroup",
             "Give the analysts a workgroup `ex12-analysts` whose results always go to "
             "`s3://ex12-athena-results/analysts/`, that users cannot override, and that cancels any query "
             "scanning more than 1 GB.",
             ("Athena workgroups", "per-query data usage controls", "cost control"),
             ("athena.create_work_group(Configuration={... 'EnforceWorkGroupConfiguration': True, "
              "'BytesScannedCutoffPerQuery': ...})",), check_workgroup, NOTEBOOK, ("athena",)),
    Exercise(13, "ctas-report", "Athena", "Materialise a report with CTAS",
             "Create the table `ex13_reports.revenue_by_channel` (channel, revenue of completed orders) with a "
             "single CREATE TABLE AS SELECT that writes Parquet to `s3://ex13-reports/revenue_by_channel/`.",
             ("CTAS: format conversion and materialised results", "Athena writing to S3"),
             ("CREATE TABLE t WITH (format = 'PARQUET', external_location = 's3://...') AS SELECT ...",),
             check_ctas, NOTEBOOK, ("glue", "s3", "athena")),
    Exercise(28, "athena-view", "Athena", "Give analysts a view instead of a copy",
             "Analysts keep rewriting the same aggregation. Without copying any data, give them "
             "`ex28_analytics.completed_revenue` (channel, revenue of completed orders, over a table "
             "`ex28_analytics.orders` on the orders in `s3://ex28-lake/orders/`) and query it once.",
             ("Athena views: saved queries in the Glue Data Catalog, no data of their own",
              "views vs CTAS (a view re-reads the source on every query)"),
             ("CREATE EXTERNAL TABLE orders ... LOCATION 's3://ex28-lake/orders/'",
              "CREATE OR REPLACE VIEW completed_revenue AS SELECT channel, sum(amount) AS revenue FROM orders "
              "WHERE status = 'completed' GROUP BY channel"), check_view, NOTEBOOK, ("glue", "athena")),
    Exercise(33, "partition-projection", "Athena", "Query new days without registering partitions",
             "Clickstream lands every day as Parquet in `s3://ex33-clicks/events/dt=YYYY-MM-DD/`, and the team is "
             "tired of running MSCK REPAIR TABLE or a crawler before each day can be queried. Define "
             "`ex33_web.events` (partitioned by `dt`) so that Athena finds any day from 2024-01-01 up to today on "
             "its own, with no partition registered in the Glue Data Catalog, and run a one-day query that reads "
             "only that day.",
             ("Athena partition projection vs MSCK REPAIR / crawlers / ALTER TABLE ADD PARTITION",
              "highly partitioned tables and query planning time"),
             ("TBLPROPERTIES ('projection.enabled'='true', 'projection.dt.type'='date', 'projection.dt.range'="
              "'2024-01-01,NOW', 'projection.dt.format'='yyyy-MM-dd', 'storage.location.template'="
              "'s3://ex33-clicks/events/dt=${dt}/')",), check_partition_projection, NOTEBOOK, ("glue", "s3", "athena")),
]
