"""Athena: the query editor (database and workgroup pickers, run, cancel), results, history,
saved queries."""

from __future__ import annotations

from typing import Any

from emulators.console import ui
from emulators.console.app import Context, Redirect, safe
from emulators.console.pages import route

RESULT_ROWS = 100
HISTORY = 25
DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


def _databases(glue: Any) -> list[str]:
    names: list[str] = []
    for page in glue.get_paginator("get_databases").paginate():
        names += [d["Name"] for d in page.get("DatabaseList", [])]
    return names


@route("/athena/")
def editor(ctx: Context) -> ui.Markup:
    athena, glue = ctx.client("athena"), ctx.client("glue")
    qid = ctx.arg("query")
    groups, groups_error = safe(ctx, lambda: [w["Name"] for w in athena.list_work_groups()["WorkGroups"]],
                                "Athena workgroups")
    databases, db_error = safe(ctx, lambda: _databases(glue), "Glue Data Catalog")
    execution = None
    parts: list[Any] = [groups_error, db_error]
    if qid:
        execution, error = safe(ctx, lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"],
                                "The query")
        parts.append(error)
    workgroup = ctx.arg("workgroup") or (execution or {}).get("WorkGroup") or "primary"
    database = ctx.arg("database") or ((execution or {}).get("QueryExecutionContext") or {}).get("Database") or \
        (databases[0] if databases else "default")
    sql = ctx.arg("sql") or (execution or {}).get("Query") or ""
    output = ctx.arg("output") or ((execution or {}).get("ResultConfiguration") or {}).get("OutputLocation", "")
    if not output:
        group, _ = safe(ctx, lambda: athena.get_work_group(WorkGroup=workgroup)["WorkGroup"], "Workgroup")
        output = (((group or {}).get("Configuration") or {}).get("ResultConfiguration") or {}).get("OutputLocation", "")
        if output:  # the workgroup's location is used by Athena itself
            output = ""
    saved_sql = ""
    if ctx.arg("saved"):
        saved, error = safe(ctx, lambda: athena.get_named_query(NamedQueryId=ctx.arg("saved"))["NamedQuery"],
                            "Saved query")
        parts.append(error)
        if saved:
            saved_sql, database = saved["QueryString"], saved.get("Database", database)
    form_body = ui.Markup('<div class="row">') + ui.select("database", databases or ["default"], database, "Database") + \
        ui.select("workgroup", groups or ["primary"], workgroup, "Workgroup") + \
        ui.text_input("output", output, "Query result location",
                      "s3://bucket/prefix/ (blank: the workgroup's)") + ui.Markup("</div>") + \
        ui.textarea("sql", saved_sql or sql, 8, "Query")
    parts.append(ui.panel("Query editor", ui.form(ui.url("/athena/run"), form_body, ctx.csrf, "Run", form_id="run")))
    refresh = None
    if execution:
        parts.append(_execution_panel(ctx, athena, execution))
        if execution["Status"]["State"] not in DONE:
            refresh = 1
    parts.append(_history(ctx, athena))
    parts.append(_saved(ctx, athena))
    return ui.page("Query editor", ui.join(parts), [("Amazon Athena", "/athena/"), ("Query editor", None)], "Athena",
                   refresh=refresh)


def _execution_panel(ctx: Context, athena: Any, execution: dict[str, Any]) -> ui.Markup:
    state = execution["Status"]["State"]
    stats = execution.get("Statistics") or {}
    info = ui.pairs([
        ("Query ID", execution["QueryExecutionId"]),
        ("Status", ui.status(state)),
        ("Run time", ui.duration((stats.get("TotalExecutionTimeInMillis") or 0) / 1000) if state in DONE else "-"),
        ("Data scanned", ui.size(stats.get("DataScannedInBytes")) if "DataScannedInBytes" in stats else "-"),
        ("Submitted", ui.when(execution["Status"].get("SubmissionDateTime"))),
        ("Result location", (execution.get("ResultConfiguration") or {}).get("OutputLocation", "-")),
    ])
    body = ui.Markup('<div id="query-status">') + info + ui.Markup("</div>")
    reason = execution["Status"].get("StateChangeReason")
    if reason and state != "SUCCEEDED":
        body += ui.message(reason, "error")
    actions = ""
    if state not in DONE:
        actions = ui.form(ui.url("/athena/cancel"), ui.hidden("query", execution["QueryExecutionId"]), ctx.csrf,
                          "Cancel", cls="inline", button_cls="danger")
    if state == "SUCCEEDED":
        results, error = safe(ctx, lambda: athena.get_query_results(
            QueryExecutionId=execution["QueryExecutionId"], MaxResults=RESULT_ROWS + 1), "Query results")
        body += error
        if results:
            rows = [[c.get("VarCharValue", "") for c in r["Data"]] for r in results["ResultSet"]["Rows"]]
            columns = [c["Name"] for c in results["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])]
            if rows and columns and rows[0] == columns:
                rows = rows[1:]
            more = " (first 100)" if results.get("NextToken") else ""
            body += ui.Markup(f"<h3>Results ({len(rows)}{more})</h3>") + ui.table(columns, rows, "No rows.",
                                                                                  cls="results")
    return ui.panel("Query results", body, actions)


def _history(ctx: Context, athena: Any) -> ui.Markup:
    def load() -> list[dict[str, Any]]:
        ids = athena.list_query_executions(MaxResults=50).get("QueryExecutionIds", [])
        if not ids:
            return []
        found = athena.batch_get_query_execution(QueryExecutionIds=ids[:50])["QueryExecutions"]
        found.sort(key=lambda e: e["Status"].get("SubmissionDateTime") or 0, reverse=True)
        return found[:HISTORY]

    executions, error = safe(ctx, load, "Query history")
    rows = []
    for e in executions or []:
        stats = e.get("Statistics") or {}
        rows.append((ui.link(e["QueryExecutionId"][:8] + "\u2026", ui.url("/athena/", query=e["QueryExecutionId"])),
                     (e.get("Query") or "")[:90], ui.status(e["Status"]["State"]),
                     ui.duration((stats.get("TotalExecutionTimeInMillis") or 0) / 1000),
                     ui.size(stats.get("DataScannedInBytes")), ui.when(e["Status"].get("SubmissionDateTime"))))
    return error + ui.panel("Recent queries", ui.table(["Execution ID", "Query", "Status", "Run time", "Data scanned",
                                                        "Time submitted"], rows, "No queries yet."))


def _saved(ctx: Context, athena: Any) -> ui.Markup:
    def load() -> list[dict[str, Any]]:
        ids = athena.list_named_queries(MaxResults=50).get("NamedQueryIds", [])
        return athena.batch_get_named_query(NamedQueryIds=ids)["NamedQueries"] if ids else []

    saved, error = safe(ctx, load, "Saved queries")
    rows = [(ui.link(q["Name"], ui.url("/athena/", saved=q["NamedQueryId"])), q.get("Description", ""),
             q.get("Database", ""), q.get("WorkGroup", "")) for q in saved or []]
    return error + ui.panel("Saved queries", ui.table(["Name", "Description", "Database", "Workgroup"], rows,
                                                      "No saved queries."))


@route("/athena/run", "POST")
def run(ctx: Context) -> Any:
    athena = ctx.client("athena")
    sql, database, workgroup, output = (ctx.field("sql"), ctx.field("database"), ctx.field("workgroup") or "primary",
                                        ctx.field("output").strip())
    params: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup}
    if database:
        params["QueryExecutionContext"] = {"Database": database}
    if output:
        params["ResultConfiguration"] = {"OutputLocation": output}
    started, error = safe(ctx, lambda: athena.start_query_execution(**params), "Run")
    if error:
        return ui.page("Query editor", error + ui.panel("Query", ui.code_block(sql)) +
                       ui.Markup(f'<p>{ui.link("Back to the editor", ui.url("/athena/", sql=sql, database=database, workgroup=workgroup, output=output))}</p>'),
                       [("Amazon Athena", "/athena/"), ("Query editor", None)], "Athena")
    raise Redirect(ui.url("/athena/", query=started["QueryExecutionId"]))


@route("/athena/cancel", "POST")
def cancel(ctx: Context) -> Any:
    qid = ctx.field("query")
    _, error = safe(ctx, lambda: ctx.client("athena").stop_query_execution(QueryExecutionId=qid), "Cancel")
    if error:
        return ui.page("Query editor", error, [("Amazon Athena", "/athena/")], "Athena")
    raise Redirect(ui.url("/athena/", query=qid))
