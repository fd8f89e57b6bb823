"""Athena through the API against the same SQL in DuckDB on the same files read from local disk.

- query latency (start_query_execution to the last result page), median of several runs
- bytes scanned with and without a partition filter

    .venv/bin/python benchmarks/bench_athena.py          (BENCH_ATHENA_SIZE=small|medium|large)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Report, client, median, sandbox_cloud  # noqa: E402

SIZE = os.environ.get("BENCH_ATHENA_SIZE", "medium")
RUNS = int(os.environ.get("BENCH_RUNS", 5))
OUTPUT = "s3://bench-athena-results/q/"
QUERY = "SELECT channel, count(*) AS n, round(sum(amount), 2) AS revenue FROM {table} {where} GROUP BY channel"


def athena_query(athena, sql):
    started = time.perf_counter()
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": "bench"},
                                       ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.01)
    if execution["Status"]["State"] != "SUCCEEDED":
        raise RuntimeError(execution["Status"])
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    return time.perf_counter() - started, execution["Statistics"]["DataScannedInBytes"], len(rows) - 1


def main() -> None:
    import duckdb

    from sandbox import datasets

    report = Report("athena")
    with sandbox_cloud() as (config, aws), tempfile.TemporaryDirectory() as local:
        summary = datasets.load_into_lake(aws, "bench-athena-lake", size=SIZE)
        aws.client("s3").create_bucket(Bucket="bench-athena-results")
        # the same files on local disk, for the baseline
        s3 = aws.client("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench-athena-lake", Prefix="raw/orders/"):
            for item in page.get("Contents", []):
                target = Path(local) / item["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket="bench-athena-lake", Key=item["Key"])["Body"].read())
        athena = client(config.endpoint_url, "athena")
        for ddl in ["CREATE DATABASE bench", """CREATE EXTERNAL TABLE bench.orders (order_id bigint,
                    customer_id bigint, product_id bigint, quantity bigint, unit_price double, amount double,
                    order_ts timestamp, status string, channel string)
                    PARTITIONED BY (year string, month string, day string) STORED AS PARQUET
                    LOCATION 's3://bench-athena-lake/raw/orders/'""", "MSCK REPAIR TABLE bench.orders"]:
            athena_query(athena, ddl)
        print(f"athena: {summary['orders']['rows']:,} orders in {summary['orders']['files']} daily Parquet files "
              f"({SIZE}); {RUNS} runs each, median")
        local_glob = f"read_parquet('{local}/raw/orders/**/*.parquet', hive_partitioning = true)"
        con = duckdb.connect()
        for label, where in (("whole table", ""), ("one day", "WHERE year = '2024' AND month = '01' AND day = '15'")):
            api = [athena_query(athena, QUERY.format(table="orders", where=where)) for _ in range(RUNS)]
            direct = []
            for _ in range(RUNS):
                started = time.perf_counter()
                con.execute(QUERY.format(table=local_glob, where=where)).fetchall()
                direct.append(time.perf_counter() - started)
            report.add(f"{label}: query latency (s)", median([a[0] for a in api]), median(direct), "s",
                       note="API vs DuckDB on local files")
            report.add(f"{label}: DataScannedInBytes", api[0][1], None, "bytes")
        report.rows[-1]["note"] = "partition pruning"
        whole, day = report.rows[1]["sandbox"], report.rows[3]["sandbox"]
        print(f"  partition filter scans {whole / max(day, 1):.0f}x fewer bytes ({day:,} vs {whole:,})")
    report.save()


if __name__ == "__main__":
    main()
