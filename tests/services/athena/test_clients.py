"""The usual Athena clients work with only endpoint settings changed: PyAthena and awswrangler."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from sandbox import datasets


CUSTOMERS_DDL = """CREATE EXTERNAL TABLE IF NOT EXISTS clients.customers (
        customer_id bigint, name string, email string, country string, segment string, signup_date string,
        age int, tenure_months int, monthly_spend double, support_calls int, churned int)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://clients-lake/raw/customers/'
        TBLPROPERTIES ('skip.header.line.count'='1')"""


@pytest.fixture(scope="module")
def client_env(aws):
    import os

    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION")}
    os.environ.update(aws.environment())
    datasets.load_into_lake(aws, "clients-lake", size="tiny")
    aws.client("s3").create_bucket(Bucket="clients-results")
    # the `clients` database is there whichever test of the module runs first (xdist may split the module)
    athena = aws.client("athena")
    for sql in ("CREATE DATABASE IF NOT EXISTS clients", CUSTOMERS_DDL):
        qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={
            "OutputLocation": "s3://clients-results/setup/"})["QueryExecutionId"]
        for _ in range(600):
            state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
            if state not in ("QUEUED", "RUNNING"):
                break
            time.sleep(0.05)
        assert state == "SUCCEEDED", sql
    yield aws
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_pyathena_cursors(client_env):
    from pyathena import connect
    from pyathena.pandas.cursor import PandasCursor

    cursor = connect(s3_staging_dir="s3://clients-results/pyathena/", region_name="us-east-1").cursor()
    cursor.execute("CREATE DATABASE IF NOT EXISTS clients")
    cursor.execute(CUSTOMERS_DDL)
    cursor.execute("SELECT segment, count(*) AS n FROM clients.customers GROUP BY segment ORDER BY segment")
    assert [d[0] for d in cursor.description] == ["segment", "n"]
    want = datasets.customers(200, seed=42).groupby("segment").size()
    assert cursor.fetchall() == [(segment, int(n)) for segment, n in want.items()]

    pandas_cursor = connect(s3_staging_dir="s3://clients-results/pyathena/", region_name="us-east-1",
                            cursor_class=PandasCursor).cursor()
    frame = pandas_cursor.execute("SELECT customer_id, monthly_spend FROM clients.customers ORDER BY customer_id").as_pandas()
    assert len(frame) == 200 and frame["monthly_spend"].dtype.kind == "f"


@pytest.mark.slow
def test_awswrangler_dataset_catalog_and_queries(client_env):
    import awswrangler as wr

    endpoint = client_env.endpoint_url
    wr.config.s3_endpoint_url = endpoint
    wr.config.athena_endpoint_url = endpoint
    wr.config.glue_endpoint_url = endpoint
    if "wrangler" not in wr.catalog.databases()["Database"].tolist():
        wr.catalog.create_database("wrangler")
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "value": [1.0, 2.0, 3.0, 4.5], "part": ["a", "b", "a", "b"]})
    wr.s3.to_parquet(frame, path="s3://clients-lake/wrangler/scores/", dataset=True, database="wrangler",
                     table="scores", partition_cols=["part"], mode="overwrite")
    table = wr.catalog.table(database="wrangler", table="scores")
    assert table.set_index("Column Name").loc["part", "Partition"]

    sql = "SELECT part, sum(value) AS total FROM scores GROUP BY part ORDER BY part"
    for ctas in (False, True):
        result = wr.athena.read_sql_query(sql, database="wrangler", ctas_approach=ctas,
                                          s3_output="s3://clients-results/wrangler/")
        assert result["part"].tolist() == ["a", "b"], ctas
        assert result["total"].tolist() == [4.0, 6.5], ctas


@pytest.mark.slow
def test_awswrangler_metadata_helpers_and_sqlalchemy(client_env):
    import awswrangler as wr
    import sqlalchemy as sa

    endpoint = client_env.endpoint_url
    wr.config.s3_endpoint_url = endpoint
    wr.config.athena_endpoint_url = endpoint
    wr.config.glue_endpoint_url = endpoint
    wr.catalog.create_database("wrangler_meta", exist_ok=True)
    frame = pd.DataFrame({"id": [1, 2], "day": ["d1", "d2"]})
    wr.s3.to_parquet(frame, path="s3://clients-lake/wrangler_meta/t/", dataset=True, database="wrangler_meta",
                     table="t", partition_cols=["day"], mode="overwrite")
    # these send QueryExecutionContext={"Database": "`wrangler_meta`"}
    assert wr.athena.repair_table("t", database="wrangler_meta", s3_output="s3://clients-results/w/") == "SUCCEEDED"
    described = wr.athena.describe_table("t", database="wrangler_meta", s3_output="s3://clients-results/w/")
    assert described.set_index("Column Name")["Partition"].to_dict() == {"id": False, "day": True}
    assert wr.catalog.delete_table_if_exists(database="wrangler_meta", table="t") is True
    assert wr.catalog.delete_table_if_exists(database="wrangler_meta", table="t") is False

    engine = sa.create_engine("awsathena+rest://:@athena.us-east-1.amazonaws.com:443/clients"
                              "?s3_staging_dir=s3://clients-results/sqla/")
    assert "clients" in sa.inspect(engine).get_schema_names()
    assert "customers" in sa.inspect(engine).get_table_names(schema="clients")
    counted = pd.read_sql("SELECT count(*) AS n FROM customers", engine)
    assert counted["n"].tolist() == [200]
