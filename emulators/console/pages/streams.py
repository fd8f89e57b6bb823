"""Kinesis (streams, shards, recent records), Firehose (destinations, buffering), Lambda
(functions, an invoke form, recent logs) and EventBridge (rules with targets)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from emulators.console import ui
from emulators.console.app import Context, Redirect, safe
from emulators.console.pages import route
from emulators.console.pages.cloudwatch import log_panel

RECENT_RECORDS = 25


@route("/kinesis/")
def kinesis(ctx: Context) -> ui.Markup:
    client = ctx.client("kinesis")
    found, error = safe(ctx, lambda: client.list_streams(Limit=100).get("StreamSummaries", []), "Kinesis Data Streams")
    rows = [(ui.link(s["StreamName"], ui.url("/kinesis/stream", name=s["StreamName"])), ui.status(s.get("StreamStatus")),
             (s.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED"), ui.when(s.get("StreamCreationTimestamp")))
            for s in found or []]
    return ui.page("Data streams", error + ui.panel(f"Data streams ({len(rows)})", ui.table(
        ["Name", "Status", "Capacity mode", "Creation time"], rows)), [("Amazon Kinesis", "/kinesis/")], "Kinesis")


@route("/kinesis/stream")
def stream(ctx: Context) -> ui.Markup:
    name = ctx.arg("name")
    client = ctx.client("kinesis")
    summary, error = safe(ctx, lambda: client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"],
                          f"Stream {name}")
    crumbs = [("Amazon Kinesis", "/kinesis/"), (name, None)]
    if summary is None:
        return ui.page(name, error, crumbs, "Kinesis")
    shards, s_error = safe(ctx, lambda: client.list_shards(StreamName=name)["Shards"], "Shards")

    def recent() -> list[tuple[Any, ...]]:
        rows = []
        since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=24)
        for shard in (shards or [])[:8]:
            iterator = client.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="AT_TIMESTAMP",
                                                 Timestamp=since)["ShardIterator"]
            records = client.get_records(ShardIterator=iterator, Limit=1000)["Records"]
            for r in records[-RECENT_RECORDS:]:
                rows.append((shard["ShardId"], r["SequenceNumber"][-12:], r.get("PartitionKey"),
                             ui.when(r.get("ApproximateArrivalTimestamp")), _data_text(r["Data"])))
        rows.sort(key=lambda row: row[3], reverse=True)
        return rows[:RECENT_RECORDS]

    records, r_error = safe(ctx, recent, "Recent records")
    body = (ui.panel("Stream details", ui.pairs([("Status", ui.status(summary.get("StreamStatus"))),
                                                 ("ARN", summary.get("StreamARN")),
                                                 ("Open shards", summary.get("OpenShardCount")),
                                                 ("Retention (hours)", summary.get("RetentionPeriodHours")),
                                                 ("Encryption", summary.get("EncryptionType"))])) +
            s_error + ui.panel("Shards", ui.table(["Shard ID", "Starting hash key", "Ending hash key"], [
                (s["ShardId"], s["HashKeyRange"]["StartingHashKey"][:12], s["HashKeyRange"]["EndingHashKey"][:12])
                for s in shards or []])) +
            r_error + ui.panel("Recent records (last 24 hours)", ui.table(
                ["Shard", "Sequence number (end)", "Partition key", "Arrival time", "Data"], records or [], "No records.")))
    return ui.page(name, error + body, crumbs, "Kinesis")


def _data_text(data: bytes) -> str:
    if isinstance(data, str):
        data = base64.b64decode(data)
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= 300 else text[:300] + "\u2026"


@route("/firehose/")
def firehose(ctx: Context) -> ui.Markup:
    client = ctx.client("firehose")

    def load() -> list[dict[str, Any]]:
        names = client.list_delivery_streams(Limit=100)["DeliveryStreamNames"]
        return [client.describe_delivery_stream(DeliveryStreamName=n)["DeliveryStreamDescription"] for n in names[:50]]

    found, error = safe(ctx, load, "Amazon Data Firehose")
    rows = []
    for s in found or []:
        dest = (s.get("Destinations") or [{}])[0]
        s3 = dest.get("ExtendedS3DestinationDescription") or dest.get("S3DestinationDescription") or {}
        hints = s3.get("BufferingHints") or {}
        source = s.get("Source", {}).get("KinesisStreamSourceDescription", {}).get("KinesisStreamARN", "Direct PUT")
        kind = next((k.replace("DestinationDescription", "") for k in dest if k.endswith("DestinationDescription")), "-")
        rows.append((s["DeliveryStreamName"], ui.status(s.get("DeliveryStreamStatus")), source, kind,
                     s3.get("BucketARN", "-") + (("/" + s3["Prefix"]) if s3.get("Prefix") else ""),
                     f"{hints.get('SizeInMBs', '-')} MB / {hints.get('IntervalInSeconds', '-')} s",
                     ui.when(s.get("CreateTimestamp"))))
    return ui.page("Firehose streams", error + ui.panel(f"Firehose streams ({len(rows)})", ui.table(
        ["Name", "Status", "Source", "Destination", "Location", "Buffer (size / interval)", "Creation time"], rows)),
        [("Amazon Data Firehose", "/firehose/")], "Firehose")


@route("/lambda/")
def functions(ctx: Context) -> ui.Markup:
    client = ctx.client("lambda")
    found, error = safe(ctx, lambda: client.list_functions(MaxItems=200)["Functions"], "AWS Lambda")
    rows = [(ui.link(f["FunctionName"], ui.url("/lambda/function", name=f["FunctionName"])), f.get("Runtime", ""),
             f.get("Handler", ""), ui.size(f.get("CodeSize")), f.get("LastModified", "")) for f in found or []]
    return ui.page("Functions", error + ui.panel(f"Functions ({len(rows)})", ui.table(
        ["Function name", "Runtime", "Handler", "Code size", "Last modified"], rows)), [("Lambda", "/lambda/")], "Lambda")


def _function_page(ctx: Context, name: str, result: Any = "") -> ui.Markup:
    client = ctx.client("lambda")
    found, error = safe(ctx, lambda: client.get_function(FunctionName=name)["Configuration"], f"Function {name}")
    crumbs = [("Lambda", "/lambda/"), ("Functions", "/lambda/"), (name, None)]
    if found is None:
        return ui.page(name, error, crumbs, "Lambda")
    form_body = ui.textarea("payload", ctx.field("payload") or "{}", 6, "Event JSON") + ui.hidden("name", name)
    body = (ui.panel("Function overview", ui.pairs([
        ("Runtime", found.get("Runtime")), ("Handler", found.get("Handler")), ("Timeout", f"{found.get('Timeout')} s"),
        ("Memory", f"{found.get('MemorySize')} MB"), ("Role", found.get("Role")),
        ("Environment", ", ".join(f"{k}={v}" for k, v in ((found.get("Environment") or {}).get("Variables") or {}).items()))])) +
        ui.panel("Test", ui.form(ui.url("/lambda/invoke"), form_body, ctx.csrf, "Test", form_id="invoke") + result) +
        log_panel(ctx, f"/aws/lambda/{name}", "", "Recent logs"))
    return ui.page(name, body, crumbs, "Lambda")


@route("/lambda/function")
def function(ctx: Context) -> ui.Markup:
    if not ctx.arg("name"):
        raise Redirect(ui.url("/lambda/"))
    return _function_page(ctx, ctx.arg("name"))


@route("/lambda/invoke", "POST")
def invoke(ctx: Context) -> ui.Markup:
    name = ctx.field("name")
    payload = ctx.field("payload") or "{}"
    try:
        json.loads(payload)
    except ValueError as exc:
        return _function_page(ctx, name, ui.message(f"The event is not valid JSON: {exc}", "error"))
    client = ctx.client("lambda")

    def call() -> dict[str, Any]:
        response = client.invoke(FunctionName=name, Payload=payload.encode(), LogType="Tail")
        log = base64.b64decode(response.get("LogResult", "")).decode("utf-8", errors="replace")
        return {"status": response.get("StatusCode"), "error": response.get("FunctionError"),
                "payload": response["Payload"].read().decode("utf-8", errors="replace"), "log": log}

    answer, error = safe(ctx, call, "Invoke")
    result = error
    if answer:
        result += ui.Markup('<div id="invoke-result">') + ui.message(
            f"Executing function: {'failed (' + answer['error'] + ')' if answer['error'] else 'succeeded'}",
            "error" if answer["error"] else "success") + ui.Markup("<h3>Response</h3>") + \
            ui.code_block(answer["payload"]) + ui.Markup("<h3>Log output</h3>") + ui.code_block(answer["log"]) + \
            ui.Markup("</div>")
    return _function_page(ctx, name, result)


@route("/events/")
def rules(ctx: Context) -> ui.Markup:
    client = ctx.client("events")

    def load() -> list[tuple[Any, ...]]:
        rows = []
        for rule in client.list_rules(Limit=100)["Rules"]:
            targets = client.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            rows.append((rule["Name"], ui.status(rule.get("State")), rule.get("EventBusName", "default"),
                         rule.get("ScheduleExpression") or rule.get("EventPattern", "")[:120],
                         ", ".join(t["Arn"].split(":", 5)[-1] for t in targets)))
        return rows

    found, error = safe(ctx, load, "Amazon EventBridge")
    return ui.page("Rules", error + ui.panel(f"Rules ({len(found or [])})", ui.table(
        ["Name", "Status", "Event bus", "Schedule / event pattern", "Targets"], found or [])),
        [("Amazon EventBridge", "/events/"), ("Rules", None)], "EventBridge")
