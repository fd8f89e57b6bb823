"""Demo step: a Redshift warehouse loaded with COPY, joined with the lake through Spectrum, UNLOADed back."""

from __future__ import annotations

import time
from typing import Any

CLUSTER = "sandbox-demo-warehouse"
ROLE = "arn:aws:iam::123456789012:role/sandbox-redshift"


def _run(data: Any, sql: str) -> dict[str, Any]:
    statement_id = data.execute_statement(ClusterIdentifier=CLUSTER, Database="dev", DbUser="awsuser", Sql=sql)["Id"]
    deadline = time.monotonic() + 120
    while True:
        described = data.describe_statement(Id=statement_id)
        if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"statement still {described['Status']} after 120 s")
        time.sleep(0.1)
    if described["Status"] != "FINISHED":
        raise RuntimeError(f"Redshift statement failed: {described.get('Error')}")
    return described


def _rows(data: Any, statement_id: str) -> list[list[Any]]:
    result = data.get_statement_result(Id=statement_id)
    return [[next(iter(field.values())) for field in row] for row in result["Records"]]


def run(ctx: Any) -> None:
    redshift, data = ctx.aws.client("redshift"), ctx.aws.client("redshift-data")
    if not any(c["ClusterIdentifier"] == CLUSTER for c in redshift.describe_clusters()["Clusters"]):
        redshift.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", ClusterType="single-node",
                                MasterUsername="awsuser", MasterUserPassword="Sandbox-Passw0rd", DBName="dev")
    _run(data, "DROP TABLE IF EXISTS orders_fact")
    _run(data, """CREATE TABLE orders_fact (
        order_id BIGINT, customer_id BIGINT, product_id BIGINT, quantity BIGINT, unit_price DOUBLE PRECISION,
        amount DOUBLE PRECISION, order_ts TIMESTAMPTZ, status VARCHAR(16), channel VARCHAR(16))
        DISTKEY (customer_id) SORTKEY (order_ts)""")
    copied = _run(data, f"COPY orders_fact FROM 's3://{ctx.bucket}/raw/orders/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET")
    ctx.say(f"cluster {CLUSTER}: COPY loaded {copied['ResultRows']:,} rows from s3://{ctx.bucket}/raw/orders/ "
            "into orders_fact (DISTKEY customer_id, SORTKEY order_ts)")
    existing = _rows(data, _run(data, "SELECT schema_name FROM sandbox_external_schemas")["Id"])
    if ["lake"] not in existing:
        _run(data, f"CREATE EXTERNAL SCHEMA lake FROM DATA CATALOG DATABASE 'sandbox_demo' IAM_ROLE '{ROLE}'")
    spectrum = _run(data, """SELECT c.segment, COUNT(*) AS orders, ROUND(SUM(o.amount), 2) AS revenue
        FROM orders_fact o JOIN lake.customers c ON o.customer_id = c.customer_id
        WHERE o.status = 'completed' GROUP BY c.segment ORDER BY revenue DESC""")
    ctx.say("Spectrum join of warehouse orders with the lake's customers (read from S3, not loaded):")
    for segment, orders, revenue in _rows(data, spectrum["Id"]):
        ctx.say(f"  {segment:<15} {orders:>6} orders {float(revenue):>12,.2f}")
    s3 = ctx.aws.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ctx.bucket, Prefix="curated/redshift_unload/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=ctx.bucket, Key=item["Key"])
    unloaded = _run(data, f"""UNLOAD ('SELECT channel, COUNT(*) AS orders FROM orders_fact GROUP BY channel')
        TO 's3://{ctx.bucket}/curated/redshift_unload/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET""")
    ctx.say(f"UNLOAD wrote {unloaded['ResultRows']} rows to s3://{ctx.bucket}/curated/redshift_unload/")
