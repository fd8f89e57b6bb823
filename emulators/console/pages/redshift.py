"""Redshift: clusters, a query editor through the Data API, external schemas."""

from __future__ import annotations

from typing import Any

from emulators.console import ui
from emulators.console.app import Context, Redirect, safe
from emulators.console.pages import route

CRUMB = ("Amazon Redshift", "/redshift/")
DONE = ("FINISHED", "FAILED", "ABORTED")


@route("/redshift/")
def home(ctx: Context) -> ui.Markup:
    redshift, data = ctx.client("redshift"), ctx.client("redshift-data")
    clusters, error = safe(ctx, lambda: redshift.describe_clusters()["Clusters"], "Amazon Redshift")
    names = [c["ClusterIdentifier"] for c in clusters or []]
    rows = [(c["ClusterIdentifier"], ui.status(c.get("ClusterStatus")), c.get("NodeType"), c.get("NumberOfNodes"),
             c.get("DBName"), ui.when(c.get("ClusterCreateTime"))) for c in clusters or []]
    parts: list[Any] = [error, ui.panel(f"Clusters ({len(rows)})", ui.table(
        ["Cluster", "Status", "Node type", "Nodes", "Database", "Creation time"], rows))]
    statement_id = ctx.arg("statement")
    statement = None
    if statement_id:
        statement, s_error = safe(ctx, lambda: data.describe_statement(Id=statement_id), "The statement")
        parts.append(s_error)
    cluster = ctx.arg("cluster") or (statement or {}).get("ClusterIdentifier") or (names[0] if names else "")
    chosen = next((c for c in clusters or [] if c["ClusterIdentifier"] == cluster), {})
    database = ctx.arg("database") or (statement or {}).get("Database") or chosen.get("DBName", "dev")
    user = ctx.arg("user") or chosen.get("MasterUsername", "awsuser")
    sql = (statement or {}).get("QueryString", "")
    if names:
        editor = ui.Markup('<div class="row">') + ui.select("cluster", names, cluster, "Cluster") + \
            ui.text_input("database", database, "Database") + ui.text_input("user", user, "Database user") + \
            ui.Markup("</div>") + ui.textarea("sql", sql, 6, "Query")
        parts.append(ui.panel("Query editor (Data API)", ui.form(ui.url("/redshift/run"), editor, ctx.csrf, "Run")))
    else:
        parts.append(ui.message("Create a cluster (CreateCluster) to query it here."))
    refresh = None
    if statement:
        parts.append(_statement_panel(ctx, data, statement))
        refresh = 1 if statement.get("Status") not in DONE else None
    if cluster:
        schemas, x_error = safe(ctx, lambda: data.list_schemas(ClusterIdentifier=cluster, Database=database,
                                                               DbUser=user)["Schemas"], "Schemas")
        parts.append(x_error + ui.panel("Schemas", ui.table(["Schema"], [(s,) for s in schemas or []])))
    history, h_error = safe(ctx, lambda: data.list_statements(MaxResults=20)["Statements"], "Statement history")
    parts.append(h_error + ui.panel("Recent statements", ui.table(["Statement", "Status", "Query", "Created"], [
        (ui.link(s["Id"][:8] + "\u2026", ui.url("/redshift/", statement=s["Id"])), ui.status(s.get("Status")),
         (s.get("QueryString") or "")[:90], ui.when(s.get("CreatedAt"))) for s in history or []])))
    return ui.page("Amazon Redshift", ui.join(parts), [CRUMB], "Redshift", refresh=refresh)


def _statement_panel(ctx: Context, data: Any, statement: dict[str, Any]) -> ui.Markup:
    body = ui.pairs([("Status", ui.status(statement.get("Status"))),
                     ("Duration", ui.duration((statement.get("Duration") or 0) / 1e9)),
                     ("Rows", statement.get("ResultRows")), ("Error", statement.get("Error"))])
    if statement.get("Status") == "FINISHED" and statement.get("HasResultSet"):
        result, error = safe(ctx, lambda: data.get_statement_result(Id=statement["Id"]), "Result")
        body += error
        if result:
            columns = [c.get("name", "") for c in result.get("ColumnMetadata", [])]
            rows = [[next(iter(cell.values())) if cell and not cell.get("isNull") else "NULL" for cell in record]
                    for record in result.get("Records", [])[:100]]
            body += ui.table(columns, rows, "No rows.", cls="results")
    return ui.panel("Result", body)


@route("/redshift/run", "POST")
def run(ctx: Context) -> Any:
    data = ctx.client("redshift-data")
    params = {"ClusterIdentifier": ctx.field("cluster"), "Database": ctx.field("database"),
              "DbUser": ctx.field("user"), "Sql": ctx.field("sql")}
    started, error = safe(ctx, lambda: data.execute_statement(**params), "Run")
    if error:
        return ui.page("Amazon Redshift", error + ui.code_block(params["Sql"]), [CRUMB], "Redshift")
    raise Redirect(ui.url("/redshift/", statement=started["Id"]))
