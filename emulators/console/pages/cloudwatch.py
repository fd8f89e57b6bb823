"""CloudWatch: metric charts, alarms with their state history, log groups and a log viewer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from emulators.console import charts, ui
from emulators.console.app import Context, Redirect, safe
from emulators.console.pages import route

CRUMB = ("CloudWatch", "/cloudwatch/")
LOG_LINES = 200


def log_panel(ctx: Context, group: str, stream_prefix: str, title: str = "Logs") -> ui.Markup:
    """The last lines of the newest streams of ``group`` whose name starts with ``stream_prefix``."""
    logs = ctx.client("logs")

    def load() -> tuple[list[str], list[str]]:
        streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream_prefix)["logStreams"]
        names = [s["logStreamName"] for s in streams][:5]
        lines = []
        for stream in names:
            events = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=LOG_LINES,
                                         startFromHead=False)["events"]
            lines += [f"{ui.when(e['timestamp'])[11:19]}  {e['message'].rstrip()}" for e in events]
        return names, lines[-LOG_LINES:]

    found, error = safe(ctx, load, f"Log group {group}")
    if error and "ResourceNotFound" in error:
        return ui.panel(title, ui.Markup(f'<p class="muted">No log group {ui.esc(group)} yet.</p>'))
    if not found:
        return error + ui.panel(title, ui.Markup('<p class="muted">No log streams.</p>'))
    names, lines = found
    links = ui.join([ui.link(n, ui.url("/cloudwatch/stream", group=group, stream=n)) for n in names], " \u00b7 ")
    return ui.panel(title, ui.Markup(f'<p class="muted">{ui.esc(group)}: {links}</p>') +
                    ui.code_block("\n".join(lines) or "(empty)"))


def _tabs(current: str) -> ui.Markup:
    return ui.tabs([("Alarms", ui.url("/cloudwatch/")), ("Metrics", ui.url("/cloudwatch/metrics")),
                    ("Log groups", ui.url("/cloudwatch/logs"))], current)


@route("/cloudwatch/")
def alarms(ctx: Context) -> ui.Markup:
    cw = ctx.client("cloudwatch")
    found, error = safe(ctx, lambda: cw.describe_alarms(MaxRecords=100)["MetricAlarms"], "CloudWatch alarms")
    rows = [(ui.link(a["AlarmName"], ui.url("/cloudwatch/alarm", name=a["AlarmName"])), ui.status(a.get("StateValue")),
             ui.when(a.get("StateUpdatedTimestamp")),
             f"{a.get('MetricName', '-')} {a.get('ComparisonOperator', '')} {a.get('Threshold', '')}",
             a.get("Namespace", "-")) for a in found or []]
    body = _tabs("Alarms") + error + ui.panel(f"Alarms ({len(rows)})", ui.table(
        ["Name", "State", "Last state update", "Conditions", "Namespace"], rows))
    return ui.page("Alarms", body, [CRUMB, ("Alarms", None)], "CloudWatch")


@route("/cloudwatch/alarm")
def alarm(ctx: Context) -> ui.Markup:
    name = ctx.arg("name")
    cw = ctx.client("cloudwatch")
    found, error = safe(ctx, lambda: cw.describe_alarms(AlarmNames=[name])["MetricAlarms"], "The alarm")
    if not found:
        return ui.page(name, error or ui.message(f"No alarm {name}.", "error"), [CRUMB], "CloudWatch")
    a = found[0]
    history, h_error = safe(ctx, lambda: cw.describe_alarm_history(AlarmName=name, MaxRecords=100)["AlarmHistoryItems"],
                            "Alarm history")
    rows = [(ui.when(h.get("Timestamp")), h.get("HistoryItemType"), h.get("HistorySummary")) for h in history or []]
    dims = a.get("Dimensions") or []
    chart = _metric_chart(ctx, a.get("Namespace", ""), a.get("MetricName", ""), dims, a.get("Statistic") or "Average",
                          int(a.get("Period") or 60))
    body = (ui.panel("Details", ui.pairs([("State", ui.status(a.get("StateValue"))), ("Reason", a.get("StateReason")),
                                          ("Metric", f"{a.get('Namespace')} {a.get('MetricName')}"),
                                          ("Dimensions", ", ".join(f"{d['Name']}={d['Value']}" for d in dims)),
                                          ("Threshold", f"{a.get('ComparisonOperator')} {a.get('Threshold')}"),
                                          ("Period", a.get("Period")), ("Evaluation periods", a.get("EvaluationPeriods")),
                                          ("Actions", ", ".join(a.get("AlarmActions") or []))])) +
            ui.panel("Metric", chart) + h_error + ui.panel("History", ui.table(["Date", "Type", "Description"], rows)))
    return ui.page(name, body, [CRUMB, ("Alarms", "/cloudwatch/"), (name, None)], "CloudWatch")


def _metric_chart(ctx: Context, namespace: str, metric: str, dims: list[dict[str, str]], stat: str = "Average",
                  period: int = 60, hours: int = 3) -> ui.Markup:
    cw = ctx.client("cloudwatch")
    end = dt.datetime.now(dt.timezone.utc)
    data, error = safe(ctx, lambda: cw.get_metric_statistics(
        Namespace=namespace, MetricName=metric, Dimensions=dims, StartTime=end - dt.timedelta(hours=hours),
        EndTime=end + dt.timedelta(minutes=1), Period=max(period, 1), Statistics=[stat])["Datapoints"], "Metric data")
    points = [(p["Timestamp"], p[stat]) for p in data or [] if stat in p]
    return error + charts.line_chart(points, f"{metric} ({stat}, {period} s, last {hours} h)")


@route("/cloudwatch/metrics")
def metrics(ctx: Context) -> ui.Markup:
    cw = ctx.client("cloudwatch")
    found, error = safe(ctx, lambda: cw.list_metrics()["Metrics"], "CloudWatch metrics")
    rows = []
    for m in (found or [])[:300]:
        dims = m.get("Dimensions") or []
        rows.append((m["Namespace"], ui.link(m["MetricName"], ui.url("/cloudwatch/metric", ns=m["Namespace"],
                                                                     name=m["MetricName"], dims=json.dumps(dims))),
                     ", ".join(f"{d['Name']}={d['Value']}" for d in dims)))
    body = _tabs("Metrics") + error + ui.panel(f"Metrics ({len(rows)})", ui.table(["Namespace", "Metric name",
                                                                                   "Dimensions"], rows))
    return ui.page("Metrics", body, [CRUMB, ("Metrics", None)], "CloudWatch")


@route("/cloudwatch/metric")
def metric(ctx: Context) -> ui.Markup:
    namespace, name = ctx.arg("ns"), ctx.arg("name")
    try:
        dims = [{"Name": str(d["Name"]), "Value": str(d["Value"])} for d in json.loads(ctx.arg("dims") or "[]")]
    except (ValueError, KeyError, TypeError):
        dims = []
    stat = ctx.arg("stat") if ctx.arg("stat") in ("Average", "Sum", "Minimum", "Maximum", "SampleCount") else "Average"
    chart = _metric_chart(ctx, namespace, name, dims, stat, 60)
    stats = ui.join([ui.link(s, ui.url("/cloudwatch/metric", ns=namespace, name=name, dims=ctx.arg("dims"), stat=s))
                     for s in ("Average", "Sum", "Minimum", "Maximum", "SampleCount")], " \u00b7 ")
    body = ui.panel(f"{namespace} {name}", ui.Markup(f"<p>Statistic: {stats}</p>") + chart)
    return ui.page(name, body, [CRUMB, ("Metrics", "/cloudwatch/metrics"), (name, None)], "CloudWatch")


@route("/cloudwatch/logs")
def log_groups(ctx: Context) -> ui.Markup:
    logs = ctx.client("logs")
    found, error = safe(ctx, lambda: logs.describe_log_groups(limit=50, **({"nextToken": ctx.arg("page")}
                                                                           if ctx.arg("page") else {})), "CloudWatch Logs")
    rows = [(ui.link(g["logGroupName"], ui.url("/cloudwatch/group", name=g["logGroupName"])),
             g.get("retentionInDays", "Never expire"), ui.size(g.get("storedBytes")), ui.when(g.get("creationTime")))
            for g in (found or {}).get("logGroups", [])]
    pager = ui.link("Next page \u203a", ui.url("/cloudwatch/logs", page=found["nextToken"])) \
        if found and found.get("nextToken") else ""
    body = _tabs("Log groups") + error + ui.panel("Log groups", ui.table(
        ["Log group", "Retention", "Stored bytes", "Creation time"], rows) + ui.Markup(f'<div class="pager">{pager}</div>'))
    return ui.page("Log groups", body, [CRUMB, ("Log groups", None)], "CloudWatch")


@route("/cloudwatch/group")
def log_group(ctx: Context) -> ui.Markup:
    name = ctx.arg("name")
    if not name:
        raise Redirect(ui.url("/cloudwatch/logs"))
    logs = ctx.client("logs")
    found, error = safe(ctx, lambda: logs.describe_log_streams(logGroupName=name, orderBy="LastEventTime",
                                                               descending=True, limit=50)["logStreams"], "The log group")
    rows = [(ui.link(s["logStreamName"], ui.url("/cloudwatch/stream", group=name, stream=s["logStreamName"])),
             ui.when(s.get("lastEventTimestamp") or s.get("creationTime"))) for s in found or []]
    body = error + ui.panel(f"Log streams ({len(rows)})", ui.table(["Log stream", "Last event time"], rows))
    return ui.page(name, body, [CRUMB, ("Log groups", "/cloudwatch/logs"), (name, None)], "CloudWatch")


@route("/cloudwatch/stream")
def log_stream(ctx: Context) -> ui.Markup:
    group, stream = ctx.arg("group"), ctx.arg("stream")
    logs = ctx.client("logs")
    params: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "limit": LOG_LINES, "startFromHead": True}
    if ctx.arg("page"):
        params["nextToken"] = ctx.arg("page")
    found, error = safe(ctx, lambda: logs.get_log_events(**params), "The log stream")
    rows = [(ui.when(e["timestamp"]), ui.Markup(f'<code>{ui.esc(e["message"].rstrip())}</code>'))
            for e in (found or {}).get("events", [])]
    pager = ""
    if found and found.get("nextForwardToken") and rows:
        pager = ui.link("Newer events \u203a", ui.url("/cloudwatch/stream", group=group, stream=stream,
                                                     page=found["nextForwardToken"]))
    body = error + ui.panel("Log events", ui.table(["Timestamp", "Message"], rows, "No events.") +
                            ui.Markup(f'<div class="pager">{pager}</div>'))
    return ui.page(stream, body, [CRUMB, ("Log groups", "/cloudwatch/logs"),
                                  (group, ui.url("/cloudwatch/group", name=group)[len(ui.BASE):]), (stream, None)],
                   "CloudWatch")
