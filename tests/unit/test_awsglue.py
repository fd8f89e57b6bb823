"""Our ``awsglue`` package on the test session's Spark (no sandbox server, no Glue job process).

The transforms of a Glue ETL script (AWS Glue developer guide: DynamicFrame class and the transform
classes DropFields, SelectFields, RenameField, Filter, Map, Join, ApplyMapping, SplitRows, UnnestFrame),
``getResolvedOptions`` and job bookmarks. ``tests/services/glue/test_jobs.py`` keeps one whole job run per behaviour
family (catalog read and partitioned write, failures, bookmarks across runs, triggers, workflows, sinks);
resolveChoice, relationalize, split_fields, unbox and spigot are in ``test_awsglue_dynamicframe.py``.
"""

from __future__ import annotations

import json

import pytest

SPARK = pytest.mark.slow  # the session's Spark


@pytest.fixture(scope="module")
def glue_ctx(spark):
    from awsglue.context import GlueContext

    return GlueContext(spark.sparkContext)


@pytest.fixture
def orders(spark, glue_ctx):
    from awsglue.dynamicframe import DynamicFrame

    rows = [(1, 10, 120.5, "completed", 3.0, 7, "01"), (2, 11, 15.0, "cancelled", 1.5, 8, "01"),
            (3, 10, 99.99, "completed", 2.0, 9, "02"), (4, 12, 250.0, "completed", 5.0, 7, "02")]
    df = spark.createDataFrame(rows, "order_id long, customer_id long, amount double, status string, "
                                     "unit_price double, product_id long, day string")
    return DynamicFrame(df, glue_ctx, "orders")


@pytest.fixture
def customers(spark, glue_ctx):
    from awsglue.dynamicframe import DynamicFrame

    df = spark.createDataFrame([(10, "consumer", "DE", "a"), (11, "corporate", "FR", "b"), (12, "consumer", "US", "c")],
                               "customer_id long, segment string, country string, name string")
    return DynamicFrame(df, glue_ctx, "customers")


# -- getResolvedOptions and bookmarks: plain Python ---------------------------------------------------------
def test_get_resolved_options_reads_glue_arguments():
    from awsglue.utils import getResolvedOptions

    argv = ["script.py", "--JOB_NAME", "nightly", "--JOB_RUN_ID", "jr_1", "--target", "s3://b/out/",
            "--day=2024-01-02", "--job-bookmark-option", "job-bookmark-enable", "--flag"]
    assert getResolvedOptions(argv, ["JOB_NAME", "target", "day"]) == {
        "JOB_NAME": "nightly", "target": "s3://b/out/", "day": "2024-01-02"}
    assert getResolvedOptions(argv, ["flag", "job-bookmark-option"]) == {
        "flag": "", "job-bookmark-option": "job-bookmark-enable"}
    assert getResolvedOptions(argv[1:], ["JOB_RUN_ID"]) == {"JOB_RUN_ID": "jr_1"}  # without the script name


def test_a_missing_option_ends_the_job_as_on_glue(capsys):
    from awsglue.utils import GlueArgumentError, getResolvedOptions

    with pytest.raises(SystemExit) as ended:
        getResolvedOptions(["script.py", "--JOB_NAME", "j"], ["JOB_NAME", "database", "target"])
    assert isinstance(ended.value, GlueArgumentError) and ended.value.code == 2
    assert capsys.readouterr().err == "error: the following arguments are required: --database, --target\n"


def test_bookmarks_record_what_a_committed_run_read(tmp_path, monkeypatch):
    from awsglue import _bookmarks
    from awsglue.job import Job

    state = tmp_path / "bookmark.json"
    monkeypatch.setenv("SANDBOX_GLUE_BOOKMARK_FILE", str(state))
    monkeypatch.setattr("sys.argv", ["job.py", "--JOB_NAME", "j"])
    monkeypatch.setattr(_bookmarks, "_pending", {})

    monkeypatch.setenv("SANDBOX_GLUE_BOOKMARK_OPTION", "job-bookmark-disable")
    assert not Job.continuation_enabled()
    _bookmarks.remember("source", {"in/a.csv": "etag-a"})
    Job(None).commit()
    assert not state.exists() and _bookmarks.seen("source") == {}

    monkeypatch.setenv("SANDBOX_GLUE_BOOKMARK_OPTION", "job-bookmark-enable")
    job = Job(None)
    job.init("j", {"JOB_NAME": "j"})
    _bookmarks.remember("source", {"in/a.csv": "etag-a"})
    _bookmarks.remember("", {"in/ignored.csv": "x"})  # no transformation_ctx: never bookmarked
    assert _bookmarks.seen("source") == {}  # nothing until the commit
    job.commit()
    assert json.loads(state.read_text()) == {"source": {"in/a.csv": "etag-a"}}
    _bookmarks.remember("source", {"in/b.csv": "etag-b"})
    job.commit()
    assert _bookmarks.seen("source") == {"in/a.csv": "etag-a", "in/b.csv": "etag-b"}

    # pause: reads skip what is recorded, but the run records nothing; the argument wins over the default
    monkeypatch.setattr("sys.argv", ["job.py", "--job-bookmark-option", "job-bookmark-pause"])
    assert Job.continuation_enabled() and _bookmarks.seen("source")
    _bookmarks.remember("source", {"in/c.csv": "etag-c"})
    job.commit()
    assert "in/c.csv" not in json.loads(state.read_text())["source"]


# -- transforms on the session's Spark ----------------------------------------------------------------------
@SPARK
def test_drop_select_rename_filter_map_and_join_as_in_an_etl_script(orders, customers):
    """The steps of tests/services/glue/test_jobs.py's ETL script, checked value by value."""
    from awsglue.transforms import DropFields, Filter, Join, Map, RenameField, SelectFields

    dropped = DropFields.apply(frame=orders, paths=["unit_price", "product_id"])
    assert dropped.toDF().columns == ["order_id", "customer_id", "amount", "status", "day"]
    completed = Filter.apply(frame=dropped, f=lambda r: r["status"] == "completed")
    assert sorted(r["order_id"] for r in completed.toDF().collect()) == [1, 3, 4]
    picked = SelectFields.apply(frame=customers, paths=["customer_id", "segment", "country", "missing"])
    assert picked.toDF().columns == ["customer_id", "segment", "country"]  # unknown paths are skipped
    renamed = RenameField.apply(frame=picked, old_name="customer_id", new_name="cust_id")
    assert renamed.toDF().columns == ["cust_id", "segment", "country"]
    assert RenameField.apply(frame=picked, old_name="nope", new_name="x").toDF().columns == picked.toDF().columns

    joined = Join.apply(completed, renamed, "customer_id", "cust_id")
    assert joined.count() == 3
    assert set(joined.toDF().columns) == {"order_id", "customer_id", "amount", "status", "day", "cust_id", "segment",
                                          "country"}

    def add_band(record):
        record["band"] = "big" if record["amount"] >= 100 else "small"
        return record

    banded = Map.apply(frame=joined, f=add_band)
    assert {(r["order_id"], r["segment"], r["band"]) for r in banded.toDF().collect()} == {
        (1, "consumer", "big"), (3, "consumer", "small"), (4, "consumer", "big")}


@SPARK
def test_join_on_same_named_keys_keeps_one_key_column(orders, customers):
    from awsglue.transforms import Join, SelectFields

    names = SelectFields.apply(frame=customers, paths=["customer_id", "name"])
    joined = Join.apply(frame1=names, frame2=orders, keys1=["customer_id"], keys2=["customer_id"])
    assert sorted(joined.toDF().columns) == ["amount", "customer_id", "day", "name", "order_id", "product_id",
                                             "status", "unit_price"]
    assert joined.count() == 4


@SPARK
def test_apply_mapping_renames_casts_and_drops_unmapped_fields(orders):
    from awsglue.transforms import ApplyMapping

    mapped = ApplyMapping.apply(frame=orders, mappings=[
        ("order_id", "long", "id", "string"), ("amount", "double", "amount", "long"),
        ("day", "string", "day", "int"), ("status", "string", "status", "string")])
    df = mapped.toDF()
    assert df.columns == ["id", "amount", "day", "status"]
    assert dict(df.dtypes) == {"id": "string", "amount": "bigint", "day": "int", "status": "string"}
    assert df.orderBy("id").first().asDict() == {"id": "1", "amount": 120, "day": 1, "status": "completed"}


@SPARK
def test_a_cast_that_does_not_convert_gives_null(spark, glue_ctx):
    """As on Glue 4 (ANSI mode off): ``x20`` cast to long is null, the other values convert."""
    from awsglue.dynamicframe import DynamicFrame

    df = spark.createDataFrame([("1", "alice", "10"), ("2", "bob", "x20"), ("3", "carol", "30")],
                               "id string, name string, amount string")
    people = DynamicFrame(df, glue_ctx, "people").resolveChoice(specs=[("amount", "cast:long"), ("id", "cast:int")])
    assert dict(people.toDF().dtypes)["amount"] == "bigint"
    assert {r["id"]: r["amount"] for r in people.toDF().collect()} == {1: 10, 2: None, 3: 30}


@SPARK
def test_split_rows_unnest_and_the_frame_helpers(spark, glue_ctx, capsys):
    from awsglue.dynamicframe import DynamicFrame
    from awsglue.transforms import SplitRows, UnnestFrame

    df = spark.createDataFrame([(1, 15, ("Berlin", "10115")), (2, 30, ("Paris", "75001")), (3, None, None)],
                               "id long, age long, address struct<city:string,zip:string>")
    people = DynamicFrame(df, glue_ctx, "people")
    parts = SplitRows.apply(frame=people, comparison_dict={"age": {">": 10, "<": 20}}, name1="teens",
                            name2="others")
    assert parts.keys() == ["teens", "others"]
    assert [r["id"] for r in parts["teens"].toDF().collect()] == [1]
    assert sorted(r["id"] for r in parts.select("others").toDF().collect()) == [2, 3]  # null age included
    flat = UnnestFrame.apply(frame=people).toDF()
    assert flat.columns == ["id", "age", "address.city", "address.zip"]
    assert flat.orderBy("id").first()["address.city"] == "Berlin"
    assert people.repartition(3).getNumPartitions() == 3
    assert people.coalesce(1).getNumPartitions() == 1
    round_trip = DynamicFrame.fromDF(people.toDF(), glue_ctx, "again")
    assert round_trip.name == "again" and round_trip.count() == 3
    people.show(1)
    assert "Berlin" in capsys.readouterr().out


def test_push_down_predicate_keeps_the_partitions_spark_sql_selects(glue_ctx):
    """Glue's "Pre-filtering using pushdown predicates": the predicate is Spark SQL over the partition columns,
    evaluated before any file is read; the frame of partition values reaches Spark as Arrow (no Python worker)."""
    partitions = [{"Values": [year, month]} for year in ("2023", "2024") for month in ("01", "02", "12")]
    kept = glue_ctx._prune(partitions, ["year", "month"], "year = '2024' AND month IN ('01', '12')")
    assert [p["Values"] for p in kept] == [["2024", "01"], ["2024", "12"]]
    assert glue_ctx._prune(partitions, ["year", "month"], "int(month) > 11") == [partitions[2], partitions[5]]
    assert glue_ctx._prune([], ["year", "month"], "year = '2024'") == []


def test_an_empty_source_is_a_frame_with_the_catalog_columns(glue_ctx):
    empty = glue_ctx._empty([("id", "bigint"), ("name", "string"), ("amount", "double")])
    assert [(f.name, f.dataType.simpleString()) for f in empty.schema.fields] == \
        [("id", "bigint"), ("name", "string"), ("amount", "double")]
    assert empty.count() == 0
    assert glue_ctx._empty([]).columns == []
