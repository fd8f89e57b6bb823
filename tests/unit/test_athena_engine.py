"""The Athena engine alone: a dict catalog and an in-memory lake, no server (fast)."""

from __future__ import annotations

import contextlib
import datetime
import io
from dataclasses import dataclass

import pytest

from emulators.athena.engine import AthenaEngine, QueryFailed, java_double


@dataclass(frozen=True)
class Obj:
    key: str
    size: int
    etag: str
    last_modified: datetime.datetime


class MemoryLake:
    """The lake access engines get (get/put/list), over a dict; counts the listings it answers."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, datetime.datetime]] = {}
        self.listed: list[tuple[str, str]] = []

    def get(self, bucket: str, key: str) -> bytes:
        return self.objects[(bucket, key)][0]

    def put(self, bucket: str, key: str, body: bytes, content_type: str | None = None) -> None:
        self.objects[(bucket, key)] = (body, datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc))

    def list(self, bucket: str, prefix: str = "") -> list[Obj]:
        self.listed.append((bucket, prefix))
        return sorted((Obj(k, len(v[0]), "e", v[1]) for (b, k), v in self.objects.items()
                       if b == bucket and k.startswith(prefix)), key=lambda o: o.key)


class DictCatalog:
    def __init__(self) -> None:
        self.databases: dict[str, dict[str, dict]] = {"default": {}}
        self.partitions: dict[tuple[str, str], list[dict]] = {}

    def database_exists(self, name):
        return name in self.databases

    def create_database(self, name, description, location):
        self.databases[name] = {}

    def drop_database(self, name):
        del self.databases[name]

    def list_databases(self):
        return list(self.databases)

    def get_table(self, database, name):
        return self.databases.get(database, {}).get(name)

    def list_tables(self, database):
        return list(self.databases[database])

    def create_table(self, database, table_input):
        self.databases[database][table_input["Name"]] = table_input

    def delete_table(self, database, name):
        del self.databases[database][name]

    def get_partitions(self, database, name):
        return self.partitions.get((database, name), [])

    def add_partitions(self, database, name, partitions):
        self.partitions.setdefault((database, name), []).extend(partitions)

    def changing(self):
        return contextlib.nullcontext()

    def delete_partition(self, database, name, values):
        self.partitions[(database, name)] = [p for p in self.get_partitions(database, name) if p["Values"] != values]


def parquet(rows: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(rows), buf)
    return buf.getvalue()


@pytest.fixture
def engine():
    lake, catalog = MemoryLake(), DictCatalog()
    eng = AthenaEngine(catalog, lake)
    for day in ("01", "02", "03"):
        lake.put("lake", f"events/day={day}/part-0.parquet",
                 parquet({"id": [int(day) * 10, int(day) * 10 + 1], "url": [f"https://shop.example.com:8443/p?d={day}",
                                                                             "http://other.example.org/x"],
                          "ts": [datetime.datetime(2024, 1, int(day), 9, 30)] * 2,
                          "d": [datetime.date(2024, 1, int(day))] * 2}))
    for i in range(50):  # unrelated objects in the same bucket
        lake.put("lake", f"unrelated/{i:03d}.json", b"{}")
    eng.execute("CREATE EXTERNAL TABLE events (id bigint, url string, ts timestamp, d date) "
                "PARTITIONED BY (day string) STORED AS PARQUET LOCATION 's3://lake/events/'", "default")
    eng.execute("MSCK REPAIR TABLE events", "default")
    lake.listed.clear()
    return eng


def rows(engine, sql):
    return engine.execute(sql, "default").rows


def test_a_query_lists_only_the_tables_folder_once(engine):
    assert rows(engine, "SELECT count(*) FROM events WHERE day = '02'") == [["2"]]
    assert engine.lake.listed == [("lake", "events/")]


def test_pseudo_columns_name_the_file_its_size_and_time(engine):
    result = rows(engine, 'SELECT "$path", "$file_size", "$file_modified_time" FROM events WHERE day = \'03\' LIMIT 1')
    path, size, modified = result[0]
    assert path == "s3://lake/events/day=03/part-0.parquet"
    assert int(size) == len(engine.lake.get("lake", "events/day=03/part-0.parquet"))
    assert modified == "2024-05-01 12:00:00.000 UTC"
    # a filter on "$path" prunes files like a partition filter; SELECT * does not show pseudo-columns
    one = engine.execute("SELECT id FROM events WHERE \"$path\" LIKE '%day=01%'", "default")
    assert sorted(r[0] for r in one.rows) == ["10", "11"]
    assert [c for c, _ in engine.execute("SELECT * FROM events LIMIT 1", "default").columns] == ["id", "url", "ts", "d",
                                                                                                   "day"]


def test_athena_formatting_of_timestamps_dates_and_doubles(engine):
    result = rows(engine, "SELECT CAST(ts AS varchar), d + INTERVAL '1' DAY, date_trunc('month', d), ts, "
                          "CAST(id AS double) * 1e9, url_extract_host(url), date_add('month', 1, d), 7 / 2 "
                          "FROM events WHERE id = 10")
    assert result == [["2024-01-01 09:30:00.000", "2024-01-02", "2024-01-01", "2024-01-01 09:30:00.000", "1.0E10",
                       "shop.example.com", "2024-02-01", "3"]]


def test_java_double_printing():
    assert [java_double(v) for v in (2.0, 0.125, 1e10, 1.5e-5, 1234567.0, 12345678.0, -0.001, float("nan"))] == [
        "2.0", "0.125", "1.0E10", "1.5E-5", "1234567.0", "1.2345678E7", "-0.001", "NaN"]


def test_unknown_and_duckdb_only_functions_are_function_not_found(engine):
    with pytest.raises(QueryFailed, match=r"^FUNCTION_NOT_FOUND: line 1:8: Function 'no_such_fn' not registered$"):
        engine.execute("SELECT no_such_fn(1)", "default")
    with pytest.raises(QueryFailed, match=r"^FUNCTION_NOT_FOUND: line 1:15: Function 'read_csv' not registered$"):
        engine.execute("SELECT * FROM read_csv('/etc/passwd')", "default")
    with pytest.raises(QueryFailed, match="Only one sql statement"):
        engine.execute("SELECT 1; SELECT 2", "default")


def test_views_over_views_with_athena_functions(engine):
    engine.execute("CREATE VIEW hosts AS SELECT url_extract_host(url) AS host, d FROM events", "default")
    engine.execute("CREATE DATABASE reports", "default")
    engine.execute("CREATE VIEW reports.per_host AS SELECT host, count(*) AS n, max(d) AS last FROM \"default\".hosts "
                   "GROUP BY host", "default")
    result = rows(engine, "SELECT host, n, last FROM reports.per_host ORDER BY host")
    assert result == [["other.example.org", "3", "2024-01-03"], ["shop.example.com", "3", "2024-01-03"]]


def test_a_reused_dataset_follows_new_files_partitions_and_counts_each_query(engine):
    engine.lake.cache_key = ("memory",)  # the lake lets the engine reuse a table's dataset between queries
    sql = "SELECT day, count(*) FROM events GROUP BY day ORDER BY day"
    first = engine.execute(sql, "default")
    again = engine.execute(sql, "default")
    assert again.rows == first.rows == [["01", "2"], ["02", "2"], ["03", "2"]]
    assert again.data_scanned_bytes == first.data_scanned_bytes > 0
    # a new file in a known partition, then a new partition: both are read by the next query
    engine.lake.put("lake", "events/day=02/part-1.parquet",
                    parquet({"id": [99], "url": ["x"], "ts": [datetime.datetime(2024, 1, 2)],
                             "d": [datetime.date(2024, 1, 2)]}))
    assert rows(engine, sql) == [["01", "2"], ["02", "3"], ["03", "2"]]
    engine.lake.put("lake", "events/day=04/part-0.parquet",
                    parquet({"id": [40], "url": ["y"], "ts": [datetime.datetime(2024, 1, 4)],
                             "d": [datetime.date(2024, 1, 4)]}))
    engine.execute("MSCK REPAIR TABLE events", "default")
    assert rows(engine, sql) == [["01", "2"], ["02", "3"], ["03", "2"], ["04", "1"]]
    # a pruned query counts only its own partition, whichever query the dataset served before
    one = engine.execute("SELECT count(*) FROM events WHERE day = '01'", "default")
    assert one.rows == [["2"]]
    assert one.data_scanned_bytes == len(engine.lake.get("lake", "events/day=01/part-0.parquet"))


def test_concurrent_ctas_over_csv_partitions_finishes():
    """Arrow opens a CSV table's first file while the scan starts; when that start held the GIL, the open
    (through the lake's Python filesystem) waited for it forever and CTAS queries running side by side hung."""
    import threading

    lake, catalog = MemoryLake(), DictCatalog()
    eng = AthenaEngine(catalog, lake)
    for day in range(1, 21):
        lake.put("lake", f"clicks/day={day:02d}/part-0.csv",
                 "\n".join(f"{i},{i % 7}" for i in range(day * 100, day * 100 + 200)).encode())
    eng.execute("CREATE EXTERNAL TABLE clicks (id bigint, product int) PARTITIONED BY (day string) "
                "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE "
                "LOCATION 's3://lake/clicks/'", "default")
    eng.execute("MSCK REPAIR TABLE clicks", "default")
    counts: dict[str, list[list[str]]] = {}

    def run(worker: int) -> None:
        for i in range(25):  # without the fix, 3 of 3 runs hung within 20 rounds
            name = f"per_day_{worker}_{i}"
            eng.execute(f"CREATE TABLE {name} WITH (format = 'PARQUET', external_location = 's3://lake/out/{name}/') "
                        "AS SELECT day, count(*) AS n, sum(product) AS s FROM clicks WHERE day > '02' GROUP BY day", "default")
            counts[name] = eng.execute(f"SELECT count(*), sum(n) FROM {name}", "default").rows

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a CTAS query hung"
    assert len(counts) == 75 and all(rows == [["18", "3600"]] for rows in counts.values())


def test_cancel_interrupts_a_running_statement_and_a_cancelled_ctas_writes_nothing():
    """StopQueryExecution: the engine's DuckDB work stops (a 10^10-row cross join would run for minutes)."""
    import threading

    lake, catalog = MemoryLake(), DictCatalog()
    eng = AthenaEngine(catalog, lake)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            eng.execute("CREATE TABLE big WITH (external_location = 's3://lake/big/') AS SELECT sum(x * y) AS s "
                        "FROM UNNEST(sequence(1, 100000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 100000)) AS b(y)",
                        "default")
        except BaseException as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while not eng._running and worker.is_alive():
        worker.join(0.01)
    worker.join(0.3)  # well inside the statement
    eng.cancel()
    worker.join(30)
    assert not worker.is_alive(), "the statement went on after cancel()"
    assert len(outcome) == 1 and isinstance(outcome[0], QueryFailed) and "cancelled" in str(outcome[0])
    assert catalog.get_table("default", "big") is None and not lake.list("lake", "big/")
    with pytest.raises(QueryFailed, match="cancelled"):  # a cancelled engine runs nothing more
        eng.execute("SELECT 1", "default")


def test_a_pooled_connection_keeps_nothing_of_the_statement_before(engine):
    """Connections are reused between statements (opening a DuckDB database costs more than a small query):
    the next statement must not see the tables, views or schemas the last one registered, and a connection
    is locked down before any statement runs on it."""
    import duckdb

    from emulators.athena.engine import sql

    engine.catalog.create_database("other", "", None)
    assert rows(engine, "SELECT count(*) FROM events") == [["6"]]  # registers default.events and main.events
    with pytest.raises(QueryFailed, match="events"):  # unqualified in another database: not found
        engine.execute("SELECT count(*) FROM events", "other")
    assert rows(engine, "SELECT count(*) FROM default.events WHERE day = '01'") == [["2"]]
    con = sql._fresh_connection()
    try:
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM duckdb_schemas() WHERE NOT internal AND schema_name <> 'main'"
                           ).fetchall() == [(0,)]
        with pytest.raises(duckdb.Error, match="(?i)permission|external access|disabled"):
            con.execute("SELECT * FROM read_csv('/etc/hostname')").fetchall()
        con.execute('CREATE SCHEMA "leftover"; CREATE TABLE "leftover".t AS SELECT 1 AS x').fetchall()
    finally:
        sql._discard(con)
    con = sql._fresh_connection()  # emptied on the way back (or closed and replaced)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'leftover'").fetchall() == [(0,)]
    finally:
        sql._discard(con)


def test_escaped_delimiters_in_text_tables(engine):
    """Athena's LazySimpleSerDe ``ESCAPED BY`` (``escape.delim``, what awswrangler's ``to_csv`` registers) and
    OpenCSVSerDe's ``escapeChar``/``quoteChar`` (Athena User Guide, "LazySimpleSerDe for CSV, TSV, and
    custom-delimited files" and "Open CSV SerDe for processing CSV")."""
    engine.lake.put("lake", "escaped/a.csv", b"1,x\\,y\n2,plain\n")
    engine.execute("CREATE EXTERNAL TABLE escaped (id int, v string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                   "ESCAPED BY '\\\\' LOCATION 's3://lake/escaped/'", "default")
    assert engine.catalog.get_table("default", "escaped")["StorageDescriptor"]["SerdeInfo"]["Parameters"][
        "escape.delim"] == "\\"
    assert rows(engine, "SELECT id, v FROM escaped ORDER BY id") == [["1", "x,y"], ["2", "plain"]]
    engine.lake.put("lake", "quoted/a.csv", b"1|'a|b'\n2|'it\\'s'\n")
    engine.execute("CREATE EXTERNAL TABLE quoted (id int, v string) ROW FORMAT SERDE "
                   "'org.apache.hadoop.hive.serde2.OpenCSVSerde' WITH SERDEPROPERTIES ('separatorChar' = '|', "
                   "'quoteChar' = '\\'', 'escapeChar' = '\\\\') LOCATION 's3://lake/quoted/'", "default")
    assert rows(engine, "SELECT id, v FROM quoted ORDER BY id") == [["1", "a|b"], ["2", "it's"]]


def test_a_values_list_names_its_columns_as_trino_does(engine):
    """Trino names the columns of an unaliased VALUES list ``_col0``, ``_col1`` (Athena's ``VALUES`` examples);
    an alias keeps its name, also when it is spelled ``col0``."""
    assert [c for c, _ in engine.execute("VALUES (1, 'a'), (2, 'b')", "default").columns] == ["_col0", "_col1"]
    assert [c for c, _ in engine.execute("SELECT * FROM (VALUES (1, 2)) AS t(a, b)", "default").columns] == ["a", "b"]
    assert [c for c, _ in engine.execute("SELECT 1 AS col0, 2", "default").columns] == ["col0", "_col1"]
