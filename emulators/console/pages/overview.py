"""Console Home: resource counts per service, recent activity, exercise and quiz progress."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from emulators.console import ui
from emulators.console.app import Context, describe_error
from emulators.console.pages import route

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="console-overview")


def _count(ctx: Context, service: str, call: str, key: str, **params: Any) -> Callable[[], int]:
    return lambda: len(getattr(ctx.client(service), call)(**params).get(key, []))


# (service label, console path, what is counted, counter)
def _counters(ctx: Context) -> list[tuple[str, str, str, Callable[[], int]]]:
    return [
        ("S3", "/s3/", "buckets", _count(ctx, "s3", "list_buckets", "Buckets")),
        ("Glue", "/glue/", "databases", _count(ctx, "glue", "get_databases", "DatabaseList")),
        ("Glue", "/glue/", "crawlers", _count(ctx, "glue", "get_crawlers", "Crawlers")),
        ("Glue", "/glue/", "ETL jobs", _count(ctx, "glue", "get_jobs", "Jobs")),
        ("Athena", "/athena/", "queries run", _count(ctx, "athena", "list_query_executions", "QueryExecutionIds",
                                                     MaxResults=50)),
        ("Redshift", "/redshift/", "clusters", _count(ctx, "redshift", "describe_clusters", "Clusters")),
        ("Kinesis", "/kinesis/", "data streams", _count(ctx, "kinesis", "list_streams", "StreamNames")),
        ("Firehose", "/firehose/", "Firehose streams", _count(ctx, "firehose", "list_delivery_streams",
                                                              "DeliveryStreamNames")),
        ("Lambda", "/lambda/", "functions", _count(ctx, "lambda", "list_functions", "Functions")),
        ("EventBridge", "/events/", "rules", _count(ctx, "events", "list_rules", "Rules")),
        ("Step Functions", "/stepfunctions/", "state machines", _count(ctx, "stepfunctions", "list_state_machines",
                                                                       "stateMachines")),
        ("SageMaker AI", "/sagemaker/?tab=training", "training jobs", _count(ctx, "sagemaker", "list_training_jobs",
                                                                             "TrainingJobSummaries", MaxResults=100)),
        ("SageMaker AI", "/sagemaker/?tab=endpoints", "endpoints", _count(ctx, "sagemaker", "list_endpoints", "Endpoints",
                                                                          MaxResults=100)),
        ("CloudWatch", "/cloudwatch/", "alarms", _count(ctx, "cloudwatch", "describe_alarms", "MetricAlarms")),
        ("CloudWatch", "/cloudwatch/logs", "log groups", _count(ctx, "logs", "describe_log_groups", "logGroups")),
    ]


def _activity(ctx: Context) -> list[tuple[dt.datetime, str, str, Any, str]]:
    """Recent events across services: (time, service, what, status, console path)."""
    items: list[tuple[dt.datetime, str, str, Any, str]] = []

    def athena() -> None:
        client = ctx.client("athena")
        ids = client.list_query_executions(MaxResults=10).get("QueryExecutionIds", [])
        if ids:
            for e in client.batch_get_query_execution(QueryExecutionIds=ids)["QueryExecutions"]:
                items.append((e["Status"].get("SubmissionDateTime"), "Athena", (e.get("Query") or "")[:70],
                              e["Status"]["State"], ui.url("/athena/", query=e["QueryExecutionId"])))

    def training() -> None:
        for kind, call, key, name_key, status_key in (
                ("training", "list_training_jobs", "TrainingJobSummaries", "TrainingJobName", "TrainingJobStatus"),
                ("processing", "list_processing_jobs", "ProcessingJobSummaries", "ProcessingJobName", "ProcessingJobStatus"),
                ("endpoints", "list_endpoints", "Endpoints", "EndpointName", "EndpointStatus")):
            for job in getattr(ctx.client("sagemaker"), call)(MaxResults=10, SortBy="CreationTime",
                                                             SortOrder="Descending")[key]:
                items.append((job.get("CreationTime"), "SageMaker AI", f"{kind}: {job[name_key]}", job.get(status_key),
                              ui.url("/sagemaker/detail", kind=kind, name=job[name_key])))

    def executions() -> None:
        client = ctx.client("stepfunctions")
        for machine in client.list_state_machines(maxResults=20)["stateMachines"][:10]:
            for e in client.list_executions(stateMachineArn=machine["stateMachineArn"], maxResults=5)["executions"]:
                items.append((e.get("startDate"), "Step Functions", f"{machine['name']}: {e['name']}", e["status"],
                              ui.url("/stepfunctions/execution", arn=e["executionArn"])))

    def crawlers() -> None:
        for c in ctx.client("glue").get_crawlers()["Crawlers"]:
            last = c.get("LastCrawl") or {}
            if last.get("StartTime"):
                items.append((last["StartTime"], "Glue", f"crawler {c['Name']}", last.get("Status"),
                              ui.url("/glue/crawler", name=c["Name"])))

    def buckets() -> None:
        for b in ctx.client("s3").list_buckets()["Buckets"]:
            items.append((b.get("CreationDate"), "S3", f"bucket {b['Name']} created", "", ui.url("/s3/bucket", name=b["Name"])))

    for future in [_pool.submit(fn) for fn in (athena, training, executions, crawlers, buckets)]:
        try:
            future.result(timeout=10)
        except Exception:  # a service that is down just adds nothing here; its counter says why
            pass
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

    def key(item: tuple[Any, ...]) -> dt.datetime:
        value = item[0]
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return epoch

    return sorted(items, key=key, reverse=True)[:15]


def _progress(state_dir: Path | None) -> ui.Markup:
    """Exercise and quiz progress from ``<state>/quiz/*.json`` (read defensively: any shape)."""
    folder = state_dir / "quiz" if state_dir else None
    files = sorted(folder.glob("*.json")) if folder and folder.is_dir() else []
    if not files:
        return ui.Markup('<p class="muted">No exercise or quiz progress yet: try <code>sandbox exercises list</code>.</p>')
    rows = []
    for path in files[:50]:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            rows.append((path.stem, "(unreadable)"))
            continue
        cards = data.get("cards") if isinstance(data, dict) else None
        if isinstance(cards, dict) and all(isinstance(c, dict) for c in cards.values()):  # sandbox quiz's answers
            today = dt.date.today().isoformat()
            seen = sum(int(c.get("seen") or 0) for c in cards.values())
            right = sum(int(c.get("right") or 0) for c in cards.values())
            summary = (f"{len(cards)} questions answered, {right} of {seen} answers right"
                       f"{f' ({right / seen:.0%})' if seen else ''}, "
                       f"{sum(1 for c in cards.values() if int(c.get('box') or 1) >= 5)} in the top box, "
                       f"{sum(1 for c in cards.values() if str(c.get('due') or '') <= today)} due for review")
        elif isinstance(data, dict):
            summary = ", ".join(f"{k}: {v}" for k, v in data.items() if isinstance(v, (str, int, float, bool)))[:300]
            if not summary:
                summary = ", ".join(f"{k}: {len(v)} item(s)" for k, v in data.items() if isinstance(v, (list, dict)))
        elif isinstance(data, list):
            summary = f"{len(data)} item(s)"
        else:
            summary = str(data)[:300]
        rows.append((path.stem, summary))
    return ui.table(["Progress file", "Summary"], rows)


@route("/")
def overview(ctx: Context) -> ui.Markup:
    counters = _counters(ctx)
    futures = [_pool.submit(fn) for _, _, _, fn in counters]
    activity_future = _pool.submit(_activity, ctx)
    cards = []
    for (label, path, what, _), future in zip(counters, futures):
        try:
            value: Any = future.result(timeout=15)
            extra = ""
        except Exception as exc:
            value, extra = "-", f'<div class="what">not available: {ui.esc(describe_error(exc))[:120]}</div>'
        cards.append(f'<div class="card" data-service="{ui.esc(label)}"><div class="what">{ui.esc(label)}</div>'
                     f'<div class="n">{ui.esc(value)}</div><div><a href="{ui.esc(ui.BASE + path)}">{ui.esc(what)}</a>'
                     f'</div>{extra}</div>')
    activity = activity_future.result(timeout=20)
    rows = [(ui.when(t), service, ui.link(what, href), ui.status(status) if status else "") for t, service, what, status, href in activity]
    body = (ui.panel("Resources", ui.Markup('<div class="cards">' + "".join(cards) + "</div>")) +
            ui.panel("Recent activity", ui.table(["Time", "Service", "Resource", "Status"], rows, "Nothing yet.")) +
            ui.panel("Exercises and quizzes", _progress(ctx.state_dir)))
    return ui.page("Console Home", body, [("Console Home", None)], "Console Home")
