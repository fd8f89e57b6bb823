"""Parquet tables read by DuckDB's own reader (``emulators/athena/engine/native.py``) answer exactly as the
general path (a pyarrow dataset read through Python) does, and the connections that read them can open
nothing outside their link folder. No server: a lake whose objects are files, like the state folder's blobs."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import io
import os

import pytest

from emulators.athena.engine import AthenaEngine, native
from emulators.athena.engine.sql import _POOL, _emptied, drop_kept_except, keep_views
from tests.unit.test_athena_engine import DictCatalog, MemoryLake


class FileLake(MemoryLake):
    """A MemoryLake whose objects are also files named by their content, as the sandbox's blobs are."""

    cache_key = ("files",)

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder

    def put(self, bucket: str, key: str, body: bytes, content_type: str | None = None) -> None:
        super().put(bucket, key, body)
        path = os.path.join(self.folder, hashlib.sha256(body).hexdigest())
        with open(path, "wb") as fh:
            fh.write(body)
        self.objects[(bucket, key)] = (body, datetime.datetime.now(datetime.timezone.utc))

    def local_file(self, bucket: str, key: str, etag: str) -> str | None:
        body = self.objects[(bucket, key)][0]
        return os.path.join(self.folder, hashlib.sha256(body).hexdigest())


def parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def day_file(day: int, upper: bool = False):
    import pyarrow as pa

    names = ["ID", "Name"] if upper else ["id", "name"]
    return pa.table({
        names[0]: pa.array([day * 10, day * 10 + 1], pa.int32()),  # the table says bigint
        names[1]: [f"n{day}", None],
        "amount": pa.array([decimal.Decimal("1.25"), decimal.Decimal(day)], pa.decimal128(10, 2)),
        "ts": pa.array([datetime.datetime(2024, 1, day, 9, 30, 1, 123456)] * 2, pa.timestamp("ns")),
        "tags": [["a", "b"], []],
        "attrs": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int64())),
        "point": [{"x": 1.5, "y": day}, None],
        "extra": [1, 2],  # in the files, not in the table
    })


DDL = ("CREATE EXTERNAL TABLE t (id bigint, name string, amount decimal(10,2), ts timestamp, tags array<string>, "
       "attrs map<string,bigint>, point struct<x:double,y:bigint>, missing string) "
       "PARTITIONED BY (day string, n int) STORED AS PARQUET LOCATION 's3://lake/t/'")
QUERIES = [
    "SELECT * FROM t ORDER BY id",
    "SELECT id, name, day, n FROM t WHERE day = '02' ORDER BY id",
    "SELECT day, count(*), sum(amount), max(ts) FROM t GROUP BY day ORDER BY day",
    "SELECT tags, attrs['k'], point.x, missing FROM t WHERE n = 3 ORDER BY id",
    "SELECT typeof(id), typeof(ts), typeof(amount), typeof(n) FROM t LIMIT 1",
    "SELECT id, name, amount FROM up WHERE id > 15 ORDER BY id",  # files spell the columns ID and Name
]


@pytest.fixture
def engines(tmp_path, monkeypatch):
    """The same table twice: on a lake of files (read natively) and in memory (the general path)."""
    os.makedirs(tmp_path / "blobs")
    root = str(tmp_path / "lake-files")
    monkeypatch.setattr(native, "root_for", lambda lake: root if hasattr(lake, "local_file") else None)
    pair = []
    for lake in (FileLake(str(tmp_path / "blobs")), MemoryLake()):
        engine = AthenaEngine(DictCatalog(), lake)
        for day in (1, 2, 3):
            lake.put("lake", f"t/day=0{day}/n={day}/part-0.parquet", parquet(day_file(day)))
            lake.put("lake", f"up/day=0{day}/n={day}/part-0.parquet", parquet(day_file(day, upper=True)))
        engine.execute(DDL, "default")
        engine.execute(DDL.replace("TABLE t", "TABLE up").replace("lake/t/", "lake/up/"), "default")
        engine.execute("MSCK REPAIR TABLE t", "default")
        engine.execute("MSCK REPAIR TABLE up", "default")
        pair.append(engine)
    yield pair
    _POOL.give_back(_POOL.take(None), reusable=True)  # connections for this test's folder are closed


@pytest.mark.parametrize("sql", QUERIES)
def test_native_reads_answer_as_the_general_path(engines, sql):
    files, memory = engines
    read, general = files.execute(sql, "default"), memory.execute(sql, "default")
    assert read.rows == general.rows and read.columns == general.columns
    assert len(os.listdir(files.lake.folder + "/../lake-files")) >= 1  # it was read natively


def test_bytes_scanned_follow_columns_and_partitions_and_repeat(engines):
    files, _ = engines
    whole = files.execute("SELECT * FROM t", "default").data_scanned_bytes
    one_column = files.execute("SELECT name FROM t", "default").data_scanned_bytes
    one_day = files.execute("SELECT * FROM t WHERE day = '01'", "default").data_scanned_bytes
    assert 0 < one_column < whole and 0 < one_day < whole
    assert files.execute("SELECT * FROM t", "default").data_scanned_bytes == whole


def test_a_rewritten_object_is_read_anew_and_its_old_links_go(engines, tmp_path):
    import pyarrow as pa

    files, _ = engines
    assert files.execute("SELECT count(*) FROM t WHERE day = '01'", "default").rows == [["2"]]
    before = set(os.listdir(tmp_path / "lake-files"))
    bigger = day_file(1).slice(0, 1)
    bigger = pa.concat_tables([bigger] * 5)
    files.lake.put("lake", "t/day=01/n=1/part-0.parquet", parquet(bigger))
    assert files.execute("SELECT count(*) FROM t WHERE day = '01'", "default").rows == [["5"]]
    after = set(os.listdir(tmp_path / "lake-files"))
    assert len(after) == 1 and after != before  # the replaced link set was removed once no query read it


def test_files_of_differing_schemas_go_the_general_way(tmp_path, monkeypatch):
    import pyarrow as pa

    root = str(tmp_path / "lake-files")
    monkeypatch.setattr(native, "root_for", lambda lake: root)
    os.makedirs(tmp_path / "blobs")
    lake = FileLake(str(tmp_path / "blobs"))
    engine = AthenaEngine(DictCatalog(), lake)
    lake.put("lake", "s/a.parquet", parquet(pa.table({"id": [1], "v": ["x"]})))
    lake.put("lake", "s/b.parquet", parquet(pa.table({"id": [2]})))  # written before the column was added
    engine.execute("CREATE EXTERNAL TABLE s (id bigint, v string) STORED AS PARQUET LOCATION 's3://lake/s/'",
                   "default")
    assert engine.execute("SELECT id, v FROM s ORDER BY id", "default").rows == [["1", "x"], ["2", None]]
    assert not os.path.exists(root) or not os.listdir(root)


def test_a_connection_for_native_reads_opens_nothing_outside_its_folder(tmp_path):
    import duckdb

    root = tmp_path / "lake-files"
    (root / "set").mkdir(parents=True)
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n1\n")
    os.link(outside, root / "set" / "linked.csv")  # a hard link made by the engine is its own file
    os.symlink(outside, root / "set" / "leads-out.csv")
    con = _POOL.take(str(root))
    try:
        assert con.execute(f"SELECT * FROM read_csv('{root}/set/linked.csv')").fetchall() == [(1,)]
        for path in (outside, root / "set" / "leads-out.csv", f"{root}/set/../../secret.csv", "/etc/passwd"):
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"SELECT * FROM read_text('{path}')").fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("SET allowed_directories=['/']")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access=true")
    finally:
        _POOL.give_back(con, reusable=False)
    _POOL.give_back(_POOL.take(None), reusable=True)


def test_kept_views_outlive_their_statement_but_not_the_next_one_that_does_not_name_them(tmp_path):
    import duckdb

    con = _POOL.take(str(tmp_path))
    try:
        used: set = set()
        con.execute("CREATE SCHEMA IF NOT EXISTS db")
        keep_views(con, "", {("db", "t"): "SELECT 1 AS x"}, used)
        con.execute("CREATE VIEW db.own AS SELECT 2 AS y")  # a statement's own view
        assert used == {("db", "t")}
        assert _emptied(con)  # between statements: the kept view stays, the statement's own goes
        assert con.execute("SELECT x FROM db.t").fetchall() == [(1,)]
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT y FROM db.own")
        drop_kept_except(con, set())  # the next statement does not name db.t: it cannot read it
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT x FROM db.t")
        assert _emptied(con) and not con.execute(
            "SELECT * FROM duckdb_schemas() WHERE NOT internal AND schema_name <> 'main'").fetchall()
    finally:
        _POOL.give_back(con, reusable=False)
    _POOL.give_back(_POOL.take(None), reusable=True)


# statements over t alone whose WHERE conditions on partition columns keep some partitions, and how many files
# each reads (Athena prunes with the catalog's partitions before it reads anything)
PRUNED = [
    ("SELECT id FROM t WHERE day = '02' ORDER BY id", 1),
    ("SELECT id FROM t AS x WHERE x.day IN ('01', '03') AND id > 0 ORDER BY id", 2),
    ("SELECT count(*) FROM t WHERE n BETWEEN 2 AND 3", 2),
    ("SELECT id FROM default.t WHERE NOT (day = '01' OR n IS NULL) ORDER BY id", 2),
    ("SELECT sum(amount) FROM t WHERE CAST(day AS integer) > 1 AND name IS NOT NULL", 2),
    ("SELECT id, n FROM t WHERE t.n = 2 AND day <> '09' ORDER BY id", 1),
]
# statements that read every file (DuckDB prunes what it can itself), and still answer as the general path
NOT_PRUNED = [
    "SELECT count(*) FROM t WHERE day = '09'",  # keeps no partition
    "SELECT id FROM t WHERE day = '01' OR id > 25 ORDER BY id",  # a condition on data as well
    "SELECT id FROM t WHERE lower(day) = '01' ORDER BY id",  # a function
    "SELECT a.id FROM t a JOIN t b ON a.id = b.id WHERE a.day = '01' ORDER BY 1",  # t twice
    "WITH c AS (SELECT * FROM t) SELECT id FROM c WHERE day = '01' ORDER BY id",  # a CTE
    "SELECT id FROM t WHERE day = (SELECT max(day) FROM up) ORDER BY id",  # another table
    "SELECT id FROM t WHERE day = '01' UNION ALL SELECT id FROM t WHERE day = '02' ORDER BY id",
]


@pytest.fixture
def files_read(monkeypatch):
    """How many files each statement's own (pruned) view of a natively read table reads."""
    counts: list[int] = []
    original = native.NativeTable.select_of

    def select_of(self, files):
        if not isinstance(files, range):  # not the whole table's (kept) view
            counts.append(len(files))
        return original(self, files)

    monkeypatch.setattr(native.NativeTable, "select_of", select_of)
    return counts


@pytest.mark.parametrize("sql,files", PRUNED)
def test_a_partition_filter_reads_only_the_partitions_it_keeps(engines, files_read, sql, files):
    native_engine, memory = engines
    for _ in range(2):  # the second time from what the first remembered
        files_read.clear()
        read, general = native_engine.execute(sql, "default"), memory.execute(sql, "default")
        assert read.rows == general.rows and read.columns == general.columns
        assert files_read == [files]


@pytest.mark.parametrize("sql", NOT_PRUNED)
def test_other_statements_read_every_partition_and_answer_the_same(engines, files_read, sql):
    native_engine, memory = engines
    read, general = native_engine.execute(sql, "default"), memory.execute(sql, "default")
    assert read.rows == general.rows and read.columns == general.columns
    assert files_read == []


def test_a_count_from_metadata_scans_the_footers_of_the_partitions_it_reads(engines):
    native_engine, _ = engines
    every = native_engine.execute("SELECT count(*) FROM t", "default")
    one = native_engine.execute("SELECT count(*) FROM t WHERE day = '02'", "default")
    assert (every.rows, one.rows) == ([["6"]], [["2"]])
    assert 0 < one.data_scanned_bytes < every.data_scanned_bytes  # DuckDB counts from the footers it read at bind


def test_a_connection_opened_for_another_folder_is_never_handed_out(tmp_path):
    import threading
    import time

    from emulators.athena.engine.sql import _ConnectionPool

    pool = _ConnectionPool(size=2, spare=1)
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    opening, go = threading.Event(), threading.Event()
    original = pool._new

    def slow_new(root):
        if root == first:
            opening.set()
            go.wait(10)
        return original(root)

    pool._new = slow_new
    try:
        pool.warm(first)  # the worker opens one for the first folder ...
        assert opening.wait(10)
        con = pool.take(second)  # ... while a statement for the second takes one
        go.set()
        deadline = time.monotonic() + 10
        while pool.wanted > 0 and time.monotonic() < deadline:  # the worker has opened it, and placed it
            time.sleep(0.01)
        assert pool.roots[id(con)] == second
        assert all(pool.roots[id(c)] == second for c in pool.ready)
    finally:
        pool.close()


def test_a_null_partition_is_kept_by_a_filter_that_takes_nulls(engines, files_read):
    native_engine, _ = engines
    lake = native_engine.lake
    lake.put("lake", "t/day=__HIVE_DEFAULT_PARTITION__/n=4/part-0.parquet", parquet(day_file(4)))
    native_engine.execute("ALTER TABLE t ADD PARTITION (day = '__HIVE_DEFAULT_PARTITION__', n = 4) "
                          "LOCATION 's3://lake/t/day=__HIVE_DEFAULT_PARTITION__/n=4/'", "default")
    read = native_engine.execute("SELECT id, day FROM t WHERE day IS NULL OR day = '01' ORDER BY id", "default")
    assert read.rows == [["10", "01"], ["11", "01"], ["40", None], ["41", None]]  # Hive's folder for NULL
    assert files_read == [2]
