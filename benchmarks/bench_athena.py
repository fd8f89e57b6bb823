"""Athena through the API against the same SQL in DuckDB on the same files read from local disk.

- query latency (start_query_execution to the last result page, polling as awswrangler and PyAthena
  do: GetQueryExecution at once, then every ``BENCH_ATHENA_POLL`` seconds, 1.0 like awswrangler's
  default), median of several runs, each run of the API query followed by the same query in DuckDB
  (so both see the same machine load), for the whole table and for one day (a partition filter), in
  an otherwise empty bucket and again once the same bucket also holds ``BENCH_ATHENA_UNRELATED``
  (default 100,000) unrelated small objects
- bytes scanned with and without a partition filter
- the server process's CPU per query (all threads, background work included) against DuckDB's CPU
- where an API query's time goes: EngineExecutionTime (listing, datasets, DuckDB, result file) against
  the whole latency, and what one API call costs by itself (S3 ListBuckets)
- what else reads the lake and must cost what it reads, not what the bucket holds: a crawl of the
  table's folder (listing + schema inference, the crawler's engine), the dataset Redshift Spectrum
  gets for an external table (the ``lake_table_dataset`` port), and Glue GetPartitions

The sandbox runs as its own server process (``sandbox.cloud.up``, the default snapshot loop), as a
user runs it, so the boto3 client and the DuckDB baseline do not share the server's interpreter (GIL).
The unrelated objects go into the same state folder between two runs of the server: an embedded cloud
in this process restores it, puts them straight into its S3 backend (a few seconds instead of 100,000
PUTs over HTTP), measures the in-process lake readers and writes the final snapshot; the server then
starts again from that folder (the objects restored, as after any restart) and the queries are
measured again. Queries always go through the HTTP API with signed boto3 clients.

    .venv/bin/python benchmarks/bench_athena.py          (BENCH_ATHENA_SIZE=small|medium|large)
    .venv/bin/python benchmarks/bench_athena.py --profile   (cProfile of the engine, top entries)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import Report, client, free_port, median  # noqa: E402

SIZE = os.environ.get("BENCH_ATHENA_SIZE", "medium")
RUNS = int(os.environ.get("BENCH_RUNS", 7))
UNRELATED = int(os.environ.get("BENCH_ATHENA_UNRELATED", 100_000))
POLL = float(os.environ.get("BENCH_ATHENA_POLL", 1.0))  # awswrangler's default polling delay
OUTPUT = "s3://bench-athena-results/q/"
QUERY = "SELECT channel, count(*) AS n, round(sum(amount), 2) AS revenue FROM {table} {where} GROUP BY channel"
QUERIES = (("whole table", ""), ("one day", "WHERE year = '2024' AND month = '01' AND day = '15'"))


def athena_query(athena, sql):
    """(seconds, bytes scanned, rows, engine seconds, GetQueryExecution calls) of one query through the API."""
    started = time.perf_counter()
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": "bench"},
                                       ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    polls = 0
    while True:  # as awswrangler's wait_query and PyAthena's _poll: ask at once, then every POLL seconds
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        polls += 1
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(POLL)
    if execution["Status"]["State"] != "SUCCEEDED":
        raise RuntimeError(execution["Status"])
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    statistics = execution["Statistics"]
    return (time.perf_counter() - started, statistics["DataScannedInBytes"], len(rows) - 1,
            statistics["EngineExecutionTimeInMillis"] / 1000, polls)


class _Session:
    """Just enough of SandboxSession for ``datasets.load_into_lake``."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str):
        return client(self.endpoint, service)


def add_unrelated_objects(bucket: str, count: int) -> float:
    """``count`` small objects under ``other/`` of ``bucket``, straight into the S3 backend of the embedded
    cloud running in this process."""
    from emulators.core import moto_coupling
    from emulators.core.server import current_cloud

    backend = moto_coupling.backend_for("s3", moto_coupling.DEFAULT_ACCOUNT_ID, "aws")
    started = time.perf_counter()
    with current_cloud().mutating():
        for i in range(count):
            backend.put_object(bucket, f"other/{i % 97:02d}/object-{i:07d}.json", b'{"n": %d}' % i)
    return time.perf_counter() - started


@contextmanager
def served(config):
    """The sandbox's server process on ``config``'s state folder, stopped (final snapshot) at the end."""
    from sandbox import cloud as cloud_control

    cloud_control.up(config)
    try:
        yield
    finally:
        cloud_control.down(config)


def server_cpu_seconds(state_dir: Path) -> float | None:
    """CPU time (user + system) the sandbox's server process has used so far (Linux's /proc), or None."""
    import json

    try:
        pid = json.loads((state_dir / "server.json").read_text())["pid"]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, KeyError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(report: Report, athena, con, local_glob: str, label: str, s3=None, state_dir: Path | None = None) -> None:
    if s3 is not None:  # what any one API call costs here (signing, the security gate, HTTP): the floor under 3 calls
        calls = []
        for _ in range(RUNS):
            started = time.perf_counter()
            s3.list_buckets()
            calls.append(time.perf_counter() - started)
        report.add("one API call (S3 ListBuckets) (s)", median(calls), None, "s",
                   note="an Athena query needs at least 3 calls")
    for name, where in QUERIES:
        athena_query(athena, QUERY.format(table="orders", where=where))  # warm-up
        con.execute(QUERY.format(table=local_glob, where=where)).fetchall()
        api, direct = [], []
        cpu, duck_cpu = 0.0, 0.0
        for _ in range(RUNS):  # alternating, so that both see the same load of a shared machine
            before = server_cpu_seconds(state_dir) if state_dir else None
            api.append(athena_query(athena, QUERY.format(table="orders", where=where)))
            after = server_cpu_seconds(state_dir) if state_dir else None
            if before is not None and after is not None:
                cpu += after - before
            started, started_cpu = time.perf_counter(), time.process_time()
            con.execute(QUERY.format(table=local_glob, where=where)).fetchall()
            direct.append(time.perf_counter() - started)
            duck_cpu += time.process_time() - started_cpu
        report.add(f"{name}{label}: query latency (s)", median([a[0] for a in api]), median(direct), "s",
                   note="API vs DuckDB on local files")
        if state_dir is not None and cpu:
            report.add(f"{name}{label}: server CPU per query (s)", cpu / RUNS, duck_cpu / RUNS, "s",
                       note="the server process's CPU (all its threads, incl. background work) vs DuckDB's")
        report.add(f"{name}{label}: engine time (s)", median([a[3] for a in api]), median(direct), "s",
                   note="EngineExecutionTime vs DuckDB")
        report.add(f"{name}{label}: done at the first GetQueryExecution (%)",
                   100 * sum(a[4] == 1 for a in api) / len(api), None, "%",
                   note=f"else the client sleeps {POLL:g} s; most polls {max(a[4] for a in api)}")
        if not label:
            report.add(f"{name}: DataScannedInBytes", api[0][1], None, "bytes",
                       note="partition pruning" if where else "")


def measure_lake_readers(report: Report, label: str) -> None:
    """A crawl of the table's folder, Spectrum's dataset of the table and Glue GetPartitions, in-process."""
    from emulators.core import moto_coupling, ports
    from emulators.core.s3access import s3_access
    from emulators.glue import crawler

    access = s3_access(moto_coupling.DEFAULT_ACCOUNT_ID)

    def crawl() -> int:
        objects = [(o.key, o.size) for o in access.list("bench-athena-lake", "raw/orders/")]
        tables, _ = crawler.infer_tables("bench-athena-lake", "raw/orders/", objects,
                                         lambda key: access.get("bench-athena-lake", key))
        return len(tables)

    def spectrum() -> int:
        dataset = ports.lake_table_dataset(moto_coupling.DEFAULT_ACCOUNT_ID, "us-east-1", "bench", "orders")
        return len(dataset.files)

    def partitions() -> int:
        return len(ports.glue_catalog(moto_coupling.DEFAULT_ACCOUNT_ID, "us-east-1").get_partitions("bench", "orders"))

    for metric, fn in (("crawl of the table's folder (list + infer)", crawl),
                       ("Spectrum: the table's dataset (lake_table_dataset)", spectrum),
                       ("Glue catalog: the table's partitions", partitions)):
        fn()
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        report.add(f"{metric}{label} (s)", median(times), None, "s")


def profile_engine(database: str, where: str) -> None:
    """cProfile of the engine alone (catalog, listing, datasets, DuckDB), in-process."""
    import cProfile
    import pstats

    from emulators.athena.engine import AthenaEngine
    from emulators.athena.listing import IndexedLake
    from emulators.glue.catalog import GlueCatalog
    from emulators.core import moto_coupling
    from emulators.core.s3access import s3_access

    engine = AthenaEngine(GlueCatalog(moto_coupling.DEFAULT_ACCOUNT_ID, "us-east-1"),
                          IndexedLake(s3_access(moto_coupling.DEFAULT_ACCOUNT_ID)))
    sql = QUERY.format(table="orders", where=where)
    engine.execute(sql, database)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(RUNS):
        engine.execute(sql, database)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    import logging

    import duckdb

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from emulators.core.server import EmbeddedCloud
    from sandbox import datasets
    from sandbox.config import SandboxConfig

    report = Report("athena")
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as local:
        config = SandboxConfig(state_dir=Path(state), port=free_port())
        con = duckdb.connect()
        local_glob = f"read_parquet('{local}/raw/orders/**/*.parquet', hive_partitioning = true)"
        with served(config):
            aws = _Session(config.endpoint_url)
            summary = datasets.load_into_lake(aws, "bench-athena-lake", size=SIZE)
            s3 = aws.client("s3")
            s3.create_bucket(Bucket="bench-athena-results")
            # the same files on local disk, for the baseline
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench-athena-lake",
                                                                     Prefix="raw/orders/"):
                for item in page.get("Contents", []):
                    target = Path(local) / item["Key"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(s3.get_object(Bucket="bench-athena-lake", Key=item["Key"])["Body"].read())
            athena = aws.client("athena")
            for ddl in ["CREATE DATABASE bench", """CREATE EXTERNAL TABLE bench.orders (order_id bigint,
                        customer_id bigint, product_id bigint, quantity bigint, unit_price double, amount double,
                        order_ts timestamp, status string, channel string)
                        PARTITIONED BY (year string, month string, day string) STORED AS PARQUET
                        LOCATION 's3://bench-athena-lake/raw/orders/'""", "MSCK REPAIR TABLE bench.orders"]:
                athena_query(athena, ddl)
            print(f"athena: {summary['orders']['rows']:,} orders in {summary['orders']['files']} daily Parquet "
                  f"files ({SIZE}); {RUNS} runs each, median; the sandbox in its own process")
            measure(report, athena, con, local_glob, "", s3, Path(state))
        # the in-process readers, and the unrelated objects, on the same state folder while the server is down
        cloud = EmbeddedCloud(state, port=free_port(), snapshot_interval=3600)
        cloud.start()
        try:
            measure_lake_readers(report, "")
            if "--profile" in sys.argv:
                profile_engine("bench", QUERIES[1][1])
            if UNRELATED:
                seconds = add_unrelated_objects("bench-athena-lake", UNRELATED)
                print(f"  + {UNRELATED:,} unrelated objects in the same bucket ({seconds:.1f} s)")
                measure_lake_readers(report, f", +{UNRELATED // 1000}k objects")
                if "--profile" in sys.argv:
                    profile_engine("bench", QUERIES[1][1])
        finally:
            cloud.shutdown()  # the final snapshot holds the unrelated objects
        if UNRELATED:
            with served(config):  # restored from the state folder, as after any restart
                athena = client(config.endpoint_url, "athena")
                measure(report, athena, con, local_glob, f", +{UNRELATED // 1000}k objects", state_dir=Path(state))
        scanned = [r["sandbox"] for r in report.rows if r["metric"].endswith("DataScannedInBytes")]
        print(f"  partition filter scans {scanned[0] / max(scanned[1], 1):.0f}x fewer bytes "
              f"({scanned[1]:,.0f} vs {scanned[0]:,.0f})")
    report.save()


if __name__ == "__main__":
    main()
