"""Glue: databases -> tables (columns, partition keys, partitions, location, classification,
schema versions with a diff); crawlers with their last crawl; jobs -> runs with logs; triggers
and workflows."""

from __future__ import annotations

import difflib
from typing import Any

from emulators.console import ui
from emulators.console.app import Context, Redirect, safe
from emulators.console.pages import route
from emulators.console.pages.cloudwatch import log_panel

CRUMB = ("AWS Glue", "/glue/")


@route("/glue/")
def home(ctx: Context) -> ui.Markup:
    glue = ctx.client("glue")
    dbs, db_error = safe(ctx, lambda: glue.get_databases()["DatabaseList"], "Glue Data Catalog")
    crawlers, c_error = safe(ctx, lambda: glue.get_crawlers()["Crawlers"], "Crawlers")
    jobs, j_error = safe(ctx, lambda: glue.get_jobs()["Jobs"], "Jobs")
    triggers, t_error = safe(ctx, lambda: glue.get_triggers()["Triggers"], "Triggers")
    workflows, w_error = safe(ctx, lambda: glue.list_workflows()["Workflows"], "Workflows")
    body = (db_error + ui.panel(f"Databases ({len(dbs or [])})", ui.table(
        ["Name", "Description", "Location", "Creation time"],
        [(ui.link(d["Name"], ui.url("/glue/database", name=d["Name"])), d.get("Description", ""),
          d.get("LocationUri", ""), ui.when(d.get("CreateTime"))) for d in dbs or []])) +
        c_error + ui.panel(f"Crawlers ({len(crawlers or [])})", ui.table(
            ["Name", "State", "Last run", "Last run status", "Database", "Schedule"],
            [(ui.link(c["Name"], ui.url("/glue/crawler", name=c["Name"])), ui.status(c.get("State")),
              ui.when((c.get("LastCrawl") or {}).get("StartTime")), ui.status((c.get("LastCrawl") or {}).get("Status")),
              c.get("DatabaseName", ""), (c.get("Schedule") or {}).get("ScheduleExpression", ""))
             for c in crawlers or []])) +
        j_error + ui.panel(f"ETL jobs ({len(jobs or [])})", ui.table(
            ["Name", "Type", "Glue version", "Worker type", "Last modified"],
            [(ui.link(j["Name"], ui.url("/glue/job", name=j["Name"])), (j.get("Command") or {}).get("Name", ""),
              j.get("GlueVersion", ""), j.get("WorkerType", ""), ui.when(j.get("LastModifiedOn"))) for j in jobs or []])) +
        t_error + ui.panel(f"Triggers ({len(triggers or [])})", ui.table(
            ["Name", "Type", "State", "Schedule / predicate", "Actions"],
            [(t["Name"], t.get("Type"), ui.status(t.get("State")),
              t.get("Schedule") or ", ".join(f"{c.get('JobName') or c.get('CrawlerName')} {c.get('State') or c.get('CrawlState')}"
                                             for c in (t.get("Predicate") or {}).get("Conditions", [])),
              ", ".join(a.get("JobName") or a.get("CrawlerName") or "" for a in t.get("Actions", [])))
             for t in triggers or []])) +
        w_error + ui.panel(f"Workflows ({len(workflows or [])})", ui.table(["Name"], [(w,) for w in workflows or []])))
    return ui.page("AWS Glue", body, [CRUMB], "Glue")


@route("/glue/database")
def database(ctx: Context) -> ui.Markup:
    name = ctx.arg("name")
    if not name:
        raise Redirect(ui.url("/glue/"))
    glue = ctx.client("glue")

    def tables() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=name):
            found += page["TableList"]
        return found

    found, error = safe(ctx, tables, f"Database {name}")
    rows = [(ui.link(t["Name"], ui.url("/glue/table", db=name, name=t["Name"])), t.get("TableType", ""),
             (t.get("Parameters") or {}).get("classification", "-"),
             (t.get("StorageDescriptor") or {}).get("Location", ""), ui.when(t.get("UpdateTime") or t.get("CreateTime")))
            for t in found or []]
    body = error + ui.panel(f"Tables ({len(rows)})", ui.table(["Name", "Type", "Classification", "Location",
                                                               "Last updated"], rows))
    return ui.page(name, body, [CRUMB, ("Databases", "/glue/"), (name, None)], "Glue")


def _columns(table: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["Name"], c.get("Type", ""), c.get("Comment", "")) for c in
            (table.get("StorageDescriptor") or {}).get("Columns", [])]


@route("/glue/table")
def table(ctx: Context) -> ui.Markup:
    db, name = ctx.arg("db"), ctx.arg("name")
    glue = ctx.client("glue")
    found, error = safe(ctx, lambda: glue.get_table(DatabaseName=db, Name=name)["Table"], f"Table {db}.{name}")
    crumbs = [CRUMB, ("Databases", "/glue/"), (db, ui.url("/glue/database", name=db)[len(ui.BASE):]), (name, None)]
    if found is None:
        return ui.page(name, error, crumbs, "Glue")
    sd = found.get("StorageDescriptor") or {}
    overview = ui.pairs([("Database", db), ("Type", found.get("TableType")), ("Location", sd.get("Location")),
                         ("Classification", (found.get("Parameters") or {}).get("classification")),
                         ("Input format", sd.get("InputFormat")),
                         ("Serde", (sd.get("SerdeInfo") or {}).get("SerializationLibrary")),
                         ("Last updated", ui.when(found.get("UpdateTime"))), ("Version", found.get("VersionId"))])
    keys = [(k["Name"], k.get("Type", "")) for k in found.get("PartitionKeys", [])]

    def partitions() -> list[dict[str, Any]]:
        return glue.get_partitions(DatabaseName=db, TableName=name, MaxResults=100)["Partitions"]

    parts, p_error = safe(ctx, partitions, "Partitions") if keys else ([], ui.Markup(""))
    part_rows = [(", ".join(p.get("Values", [])), (p.get("StorageDescriptor") or {}).get("Location", ""),
                  ui.when(p.get("CreationTime"))) for p in parts or []]
    body = (ui.panel("Table overview", overview) +
            ui.panel(f"Schema ({len(_columns(found))})", ui.table(["Column name", "Data type", "Comment"], _columns(found))) +
            ui.panel(f"Partition keys ({len(keys)})", ui.table(["Name", "Data type"], keys, "Not partitioned.")) +
            p_error + (ui.panel(f"Partitions ({len(part_rows)}{'+' if len(part_rows) == 100 else ''})",
                                ui.table(["Values", "Location", "Creation time"], part_rows)) if keys else "") +
            _versions(ctx, glue, db, name))
    if found.get("ViewOriginalText"):
        body += ui.panel("View", ui.code_block(found.get("ViewExpandedText") or found["ViewOriginalText"]))
    return ui.page(name, error + body, crumbs, "Glue")


def _versions(ctx: Context, glue: Any, db: str, name: str) -> ui.Markup:
    found, error = safe(ctx, lambda: glue.get_table_versions(DatabaseName=db, TableName=name)["TableVersions"],
                        "Schema versions")
    versions = sorted(found or [], key=lambda v: int(v.get("VersionId") or 0))
    rows = [(v.get("VersionId"), len(_columns(v["Table"])), ui.when(v["Table"].get("UpdateTime") or v["Table"].get("CreateTime")))
            for v in versions]
    diff = ui.Markup("")
    if len(versions) >= 2:
        before, after = versions[-2], versions[-1]
        lines = difflib.unified_diff([f"{c} {t}" for c, t, _ in _columns(before["Table"])],
                                     [f"{c} {t}" for c, t, _ in _columns(after["Table"])],
                                     f"version {before.get('VersionId')}", f"version {after.get('VersionId')}", lineterm="")
        rendered = []
        for line in lines:
            cls = "diff-add" if line.startswith("+") and not line.startswith("+++") else \
                "diff-del" if line.startswith("-") and not line.startswith("---") else ""
            rendered.append(f'<div class="{cls}">{ui.esc(line)}</div>')
        diff = ui.Markup("<h3>Changes in the latest version</h3><pre class=\"diff\">" +
                         ("".join(rendered) or "no column changes") + "</pre>")
    return error + ui.panel(f"Schema versions ({len(rows)})", ui.table(["Version", "Columns", "Updated"], rows) + diff)


@route("/glue/crawler")
def crawler(ctx: Context) -> ui.Markup:
    name = ctx.arg("name")
    glue = ctx.client("glue")
    found, error = safe(ctx, lambda: glue.get_crawler(Name=name)["Crawler"], f"Crawler {name}")
    crumbs = [CRUMB, ("Crawlers", "/glue/"), (name, None)]
    if found is None:
        return ui.page(name, error, crumbs, "Glue")
    metrics, _ = safe(ctx, lambda: glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"], "Metrics")
    m = (metrics or [{}])[0]
    last = found.get("LastCrawl") or {}
    targets = [t.get("Path") for t in (found.get("Targets") or {}).get("S3Targets", [])]
    body = (ui.panel("Crawler properties", ui.pairs([
        ("State", ui.status(found.get("State"))), ("Database", found.get("DatabaseName")),
        ("Data sources", ", ".join(filter(None, targets))), ("Schedule", (found.get("Schedule") or {}).get("ScheduleExpression")),
        ("Table prefix", found.get("TablePrefix"))])) +
        ui.panel("Last crawl", ui.pairs([
            ("Status", ui.status(last.get("Status"))), ("Started", ui.when(last.get("StartTime"))),
            ("Error", last.get("ErrorMessage")), ("Tables created", m.get("TablesCreated")),
            ("Tables updated", m.get("TablesUpdated")), ("Tables deleted", m.get("TablesDeleted")),
            ("Duration", ui.duration(m.get("LastRuntimeSeconds")))])) +
        log_panel(ctx, last.get("LogGroup") or "/aws-glue/crawlers", last.get("LogStream") or name, "Crawler log"))
    return ui.page(name, error + body, crumbs, "Glue")


@route("/glue/job")
def job(ctx: Context) -> ui.Markup:
    name = ctx.arg("name")
    glue = ctx.client("glue")
    found, error = safe(ctx, lambda: glue.get_job(JobName=name)["Job"], f"Job {name}")
    crumbs = [CRUMB, ("ETL jobs", "/glue/"), (name, None)]
    if found is None:
        return ui.page(name, error, crumbs, "Glue")
    runs, r_error = safe(ctx, lambda: glue.get_job_runs(JobName=name, MaxResults=50)["JobRuns"], "Job runs")
    rows = [(ui.link(r["Id"], ui.url("/glue/run", job=name, id=r["Id"])), ui.status(r.get("JobRunState")),
             ui.when(r.get("StartedOn")), ui.duration(r.get("ExecutionTime")), r.get("ErrorMessage", ""))
            for r in runs or []]
    body = (ui.panel("Job details", ui.pairs([
        ("Type", (found.get("Command") or {}).get("Name")), ("Script", (found.get("Command") or {}).get("ScriptLocation")),
        ("Glue version", found.get("GlueVersion")), ("IAM role", found.get("Role")),
        ("Default arguments", ", ".join(f"{k}={v}" for k, v in (found.get("DefaultArguments") or {}).items()))])) +
        r_error + ui.panel(f"Runs ({len(rows)})", ui.table(["Run ID", "Run status", "Start time", "Execution time",
                                                           "Error message"], rows)))
    return ui.page(name, error + body, crumbs, "Glue")


@route("/glue/run")
def run(ctx: Context) -> ui.Markup:
    name, run_id = ctx.arg("job"), ctx.arg("id")
    glue = ctx.client("glue")
    found, error = safe(ctx, lambda: glue.get_job_run(JobName=name, RunId=run_id)["JobRun"], "The job run")
    crumbs = [CRUMB, ("ETL jobs", "/glue/"), (name, ui.url("/glue/job", name=name)[len(ui.BASE):]), (run_id, None)]
    if found is None:
        return ui.page(run_id, error, crumbs, "Glue")
    body = (ui.panel("Run details", ui.pairs([
        ("Status", ui.status(found.get("JobRunState"))), ("Started", ui.when(found.get("StartedOn"))),
        ("Completed", ui.when(found.get("CompletedOn"))), ("Execution time", ui.duration(found.get("ExecutionTime"))),
        ("Attempt", found.get("Attempt")), ("Error", found.get("ErrorMessage")), ("Trigger", found.get("TriggerName"))])) +
        ui.panel("Arguments", ui.table(["Key", "Value"], sorted((found.get("Arguments") or {}).items()), "No arguments.")) +
        log_panel(ctx, "/aws-glue/jobs/output", run_id, "Output log") +
        log_panel(ctx, "/aws-glue/jobs/error", run_id, "Error log"))
    refresh = 3 if found.get("JobRunState") in ("STARTING", "RUNNING", "STOPPING", "WAITING") else None
    return ui.page(run_id, body, crumbs, "Glue", refresh=refresh)
