"""Demo step: Athena SQL on the crawled tables -- what a partition filter saves, and a CTAS."""

from __future__ import annotations

import time
from typing import Any

from sandbox.demo_steps.catalog import DATABASE


def _run(athena: Any, sql: str, output: str) -> tuple[str, dict[str, Any]]:
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": DATABASE},
                                       ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    deadline = time.monotonic() + 120
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        state = execution["Status"]["State"]
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"query {qid} still {state} after 120 s")
        time.sleep(0.1)
    if state != "SUCCEEDED":
        raise RuntimeError(f"query failed: {execution['Status'].get('StateChangeReason')}")
    return qid, execution


def run(ctx: Any) -> None:
    athena = ctx.aws.client("athena")
    output = f"s3://{ctx.bucket}/athena-results/"
    whole_sql = "SELECT channel, count(*) AS orders, round(sum(amount), 2) AS revenue FROM orders GROUP BY channel"
    day_sql = whole_sql.replace("GROUP BY", "WHERE year = '2024' AND month = '01' AND day = '05' GROUP BY")
    _, whole = _run(athena, whole_sql, output)
    qid, day = _run(athena, day_sql, output)
    scanned_whole = whole["Statistics"]["DataScannedInBytes"]
    scanned_day = day["Statistics"]["DataScannedInBytes"]
    ctx.say(f"all days:    scanned {scanned_whole:>9,} bytes in {whole['Statistics']['EngineExecutionTimeInMillis']} ms")
    ctx.say(f"one day:     scanned {scanned_day:>9,} bytes ({scanned_whole / max(scanned_day, 1):.0f}x less: "
            "partition pruning)")
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    for row in rows:
        ctx.say("  " + " | ".join(f"{d.get('VarCharValue', ''):>10}" for d in row["Data"]))
    ctx.say(f"results CSV: {day['ResultConfiguration']['OutputLocation']}")
    glue = ctx.aws.client("glue")
    try:
        glue.delete_table(DatabaseName=DATABASE, Name="revenue_by_segment")
    except glue.exceptions.EntityNotFoundException:
        pass
    s3 = ctx.aws.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ctx.bucket, Prefix="curated/revenue_by_segment/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=ctx.bucket, Key=item["Key"])
    _run(athena, f"""CREATE TABLE revenue_by_segment
        WITH (format = 'PARQUET', external_location = 's3://{ctx.bucket}/curated/revenue_by_segment/',
              partitioned_by = ARRAY['segment'])
        AS SELECT o.channel, round(sum(o.amount), 2) AS revenue, c.segment
           FROM orders o JOIN customers c ON o.customer_id = c.customer_id
           WHERE o.status = 'completed' GROUP BY o.channel, c.segment""", output)
    qid, _ = _run(athena, "SELECT segment, sum(revenue) FROM revenue_by_segment GROUP BY segment ORDER BY 2 DESC",
                  output)
    best = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1]["Data"]
    ctx.say(f"CTAS revenue_by_segment (Parquet, partitioned by segment): top segment "
            f"{best[0]['VarCharValue']} with {float(best[1]['VarCharValue']):,.2f}")
