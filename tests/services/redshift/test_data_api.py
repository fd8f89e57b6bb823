"""Redshift Data API on a persistent DuckDB warehouse: COPY, queries, UNLOAD, Spectrum (plain boto3)."""

from __future__ import annotations

import io
import time

import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from sandbox import datasets
from tests.helpers.waiting import wait_for_statement as wait

ROLE = "arn:aws:iam::123456789012:role/redshift-s3"




def run(data, cluster, sql, **extra):
    statement_id = data.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sql=sql,
                                          **extra)["Id"]
    described = wait(data, statement_id)
    assert described["Status"] == "FINISHED", described.get("Error")
    return statement_id, described


def records(data, statement_id):
    result = data.get_statement_result(Id=statement_id)
    return [[list(field.values())[0] if "isNull" not in field else None for field in row]
            for row in result["Records"]], result


@pytest.fixture(scope="module")
def warehouse(aws):
    redshift, s3 = aws.client("redshift"), aws.client("s3")
    redshift.create_cluster(ClusterIdentifier="analytics", NodeType="ra3.xlplus", MasterUsername="awsuser",
                            MasterUserPassword="Sandbox-Passw0rd", DBName="dev", ClusterType="single-node")
    datasets.load_into_lake(aws, "redshift-lake", size="tiny")
    s3.create_bucket(Bucket="redshift-exports")
    return {"cluster": "analytics", "data": datasets.generate("tiny")}


def test_create_copy_and_query(aws, warehouse):
    data = aws.client("redshift-data")
    cluster = warehouse["cluster"]
    run(data, cluster, """CREATE TABLE customers (
            customer_id BIGINT ENCODE az64, name VARCHAR(64), email VARCHAR(128), country CHAR(2),
            segment VARCHAR(32), signup_date DATE, age INTEGER, tenure_months INTEGER,
            monthly_spend DOUBLE PRECISION, support_calls INTEGER, churned SMALLINT)
        DISTSTYLE KEY DISTKEY (customer_id) COMPOUND SORTKEY (signup_date, customer_id)""")
    _, copied = run(data, cluster, f"COPY customers FROM 's3://redshift-lake/raw/customers/' "
                                   f"IAM_ROLE '{ROLE}' FORMAT AS CSV IGNOREHEADER 1")
    assert copied["ResultRows"] == 200
    statement_id, described = run(data, cluster, """
        SELECT segment, COUNT(*) AS customers, ROUND(AVG(monthly_spend), 2) AS spend,
               NVL(SUM(churned), 0) AS churned
        FROM customers GROUP BY segment ORDER BY segment""")
    assert described["HasResultSet"] and described["ResultRows"] == 3
    rows, result = records(data, statement_id)
    assert [c["name"] for c in result["ColumnMetadata"]] == ["segment", "customers", "spend", "churned"]
    assert result["ColumnMetadata"][1]["typeName"] == "int8"
    frame = warehouse["data"]["customers"]
    want = frame.groupby("segment").agg(n=("customer_id", "size"), churned=("churned", "sum"))
    assert [(r[0], r[1], r[3]) for r in rows] == [(s, int(w.n), int(w.churned)) for s, w in want.iterrows()]
    attributes, _ = records(data, run(data, cluster, "SELECT distkey, sortkey FROM sandbox_table_attributes "
                                                     "WHERE table_name = 'customers'")[0])
    assert attributes == [["customer_id", "signup_date, customer_id"]]


def test_copy_parquet_batch_and_spectrum_join(aws, warehouse):
    data, athena = aws.client("redshift-data"), aws.client("athena")
    cluster = warehouse["cluster"]
    batch = data.batch_execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sqls=[
        "CREATE TABLE products (product_id BIGINT, name VARCHAR, category VARCHAR, price DOUBLE PRECISION)",
        f"COPY products FROM 's3://redshift-lake/raw/products/' IAM_ROLE '{ROLE}' FORMAT AS JSON 'auto'",
        "SELECT COUNT(*) FROM products",
    ])["Id"]
    described = wait(data, batch)
    assert described["Status"] == "FINISHED", described
    assert [s["Status"] for s in described["SubStatements"]] == ["FINISHED"] * 3
    count, _ = records(data, f"{batch}:3")
    assert count == [[40]]

    # Spectrum: the lake's orders (in the Glue catalog) joined with a warehouse table, without loading them
    athena.start_query_execution(QueryString="CREATE DATABASE IF NOT EXISTS spectrum_lake",
                                 ResultConfiguration={"OutputLocation": "s3://redshift-exports/athena/"})
    time.sleep(0.5)
    qid = athena.start_query_execution(QueryString="""
        CREATE EXTERNAL TABLE spectrum_lake.orders (order_id bigint, customer_id bigint, product_id bigint,
            quantity bigint, unit_price double, amount double, order_ts timestamp, status string, channel string)
        PARTITIONED BY (year string, month string, day string)
        STORED AS PARQUET LOCATION 's3://redshift-lake/raw/orders/'""",
        ResultConfiguration={"OutputLocation": "s3://redshift-exports/athena/"})["QueryExecutionId"]
    deadline = time.monotonic() + 30
    while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] != "SUCCEEDED":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    athena.start_query_execution(QueryString="MSCK REPAIR TABLE spectrum_lake.orders",
                                 ResultConfiguration={"OutputLocation": "s3://redshift-exports/athena/"})
    time.sleep(1.0)
    run(data, cluster, f"CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG DATABASE 'spectrum_lake' IAM_ROLE '{ROLE}'")
    statement_id, _ = run(data, cluster, """
        SELECT p.category, ROUND(SUM(o.amount), 2) AS revenue
        FROM spectrum.orders o JOIN products p ON o.product_id = p.product_id
        WHERE o.status = 'completed'
        GROUP BY p.category ORDER BY revenue DESC""")
    rows, _ = records(data, statement_id)
    tables = warehouse["data"]
    merged = tables["orders"][tables["orders"].status == "completed"].merge(tables["products"], on="product_id")
    want = merged.groupby("category")["amount"].sum().round(2).sort_values(ascending=False)
    assert [r[0] for r in rows] == list(want.index)
    assert [float(r[1]) for r in rows] == pytest.approx(list(want.values), abs=0.05)


def test_unload_writes_parquet_to_s3(aws, warehouse):
    data, s3 = aws.client("redshift-data"), aws.client("s3")
    run(data, warehouse["cluster"], "CREATE TABLE IF NOT EXISTS scores (id INT, score DOUBLE PRECISION)")
    run(data, warehouse["cluster"], "INSERT INTO scores VALUES (1, 0.5), (2, 0.75), (3, 0.25)")
    _, unloaded = run(data, warehouse["cluster"],
                      f"UNLOAD ('SELECT * FROM scores WHERE score > 0.3') TO 's3://redshift-exports/scores/' "
                      f"IAM_ROLE '{ROLE}' FORMAT AS PARQUET")
    body = s3.get_object(Bucket="redshift-exports", Key="scores/0000_part_00.parquet")["Body"].read()
    assert sorted(pq.read_table(io.BytesIO(body)).column("id").to_pylist()) == [1, 2]
    failed = data.execute_statement(ClusterIdentifier=warehouse["cluster"], Database="dev", DbUser="awsuser",
                                    Sql=f"UNLOAD ('SELECT 1') TO 's3://redshift-exports/scores/' IAM_ROLE '{ROLE}'")
    described = wait(data, failed["Id"])
    assert described["Status"] == "FAILED" and "ALLOWOVERWRITE" in described["Error"]


def test_errors(aws, warehouse):
    data = aws.client("redshift-data")
    bad = wait(data, data.execute_statement(ClusterIdentifier=warehouse["cluster"], Database="dev",
                                            DbUser="awsuser", Sql="SELECT * FROM no_such_table")["Id"])
    assert bad["Status"] == "FAILED" and "no_such_table" in bad["Error"]
    with pytest.raises(ClientError) as exc:
        data.get_statement_result(Id=bad["Id"])
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        data.execute_statement(ClusterIdentifier="no-such-cluster", Database="dev", DbUser="u", Sql="SELECT 1")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        data.describe_statement(Id="00000000-0000-0000-0000-000000000000")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_parameters_and_list_statements(aws, warehouse):
    data = aws.client("redshift-data")
    statement_id, _ = run(data, warehouse["cluster"], "SELECT :a || '-' || :b AS joined",
                          Parameters=[{"name": "a", "value": "x"}, {"name": "b", "value": "y"}],
                          StatementName="params-demo")
    assert records(data, statement_id)[0] == [["x-y"]]
    listed = data.list_statements(StatementName="params-demo")["Statements"]
    assert [s["Id"] for s in listed] == [statement_id]


@pytest.mark.slow
def test_warehouse_and_statements_survive_a_restart(private_cloud):
    private_cloud.client("redshift").create_cluster(
        ClusterIdentifier="durable", NodeType="ra3.xlplus", MasterUsername="awsuser",
        MasterUserPassword="Sandbox-Passw0rd", ClusterType="single-node")
    data = private_cloud.client("redshift-data")
    run(data, "durable", "CREATE TABLE kept (id INT)")
    run(data, "durable", "INSERT INTO kept VALUES (1), (2)")
    selected, _ = run(data, "durable", "SELECT SUM(id) FROM kept")
    private_cloud.restart()
    data = private_cloud.client("redshift-data")
    assert records(data, selected)[0] == [[3]]
    again, _ = run(data, "durable", "SELECT COUNT(*) FROM kept")
    assert records(data, again)[0] == [[2]]


def test_metadata_operations_list_and_describe(aws, warehouse):
    data = aws.client("redshift-data")
    cluster = warehouse["cluster"]
    target = {"ClusterIdentifier": cluster, "Database": "dev", "DbUser": "awsuser"}
    run(data, cluster, "CREATE TABLE IF NOT EXISTS meta_demo (id INT NOT NULL, label VARCHAR(20), "
                       "price DECIMAL(10,2)) DISTSTYLE EVEN")
    assert "dev" in data.list_databases(**target)["Databases"]
    schemas = data.list_schemas(**target)["Schemas"]
    assert "public" in schemas and "main" not in schemas
    assert data.list_schemas(**target, SchemaPattern="pub%")["Schemas"] == ["public"]
    tables = data.list_tables(**target, SchemaPattern="public", TablePattern="meta%")["Tables"]
    assert tables == [{"name": "meta_demo", "schema": "public", "type": "TABLE"}]
    assert not [t for t in data.list_tables(**target)["Tables"] if t["name"].startswith("sandbox_")]
    described = data.describe_table(**target, Schema="public", Table="meta_demo")
    assert described["TableName"] == "public.meta_demo"
    columns = {c["name"]: c for c in described["ColumnList"]}
    assert list(columns) == ["id", "label", "price"]
    assert columns["id"]["typeName"] == "int4" and columns["id"]["nullable"] == 0
    assert columns["price"]["typeName"] == "numeric" and columns["price"]["scale"] == 2
    with pytest.raises(ClientError) as exc:
        data.list_tables(ClusterIdentifier="no-such-cluster", Database="dev", DbUser="u")
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_result_column_names_ddl_and_partitioned_unload(aws, warehouse):
    data, s3 = aws.client("redshift-data"), aws.client("s3")
    cluster = warehouse["cluster"]
    _, created = run(data, cluster, "CREATE TABLE sales_by_region (region VARCHAR, amount INT)")
    assert created["HasResultSet"] is False
    run(data, cluster, "INSERT INTO sales_by_region VALUES ('eu', 1), ('eu', 2), ('us', 5)")
    statement_id, _ = run(data, cluster, "SELECT count(*), sum(amount), max(amount) AS top, amount + 1 "
                                         "FROM sales_by_region GROUP BY amount ORDER BY 4 LIMIT 1")
    _, result = records(data, statement_id)
    assert [c["name"] for c in result["ColumnMetadata"]] == ["count", "sum", "top", "?column?"]
    run(data, cluster, f"UNLOAD ('SELECT * FROM sales_by_region') TO 's3://redshift-exports/by_region/' "
                       f"IAM_ROLE '{ROLE}' FORMAT AS PARQUET PARTITION BY (region)")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="redshift-exports",
                                                        Prefix="by_region/")["Contents"])
    assert keys == ["by_region/region=eu/0000_part_00.parquet", "by_region/region=us/0000_part_00.parquet"]
    eu = pq.read_table(io.BytesIO(s3.get_object(Bucket="redshift-exports", Key=keys[0])["Body"].read()))
    assert eu.column_names == ["amount"] and sorted(eu.column("amount").to_pylist()) == [1, 2]
    bad = wait(data, data.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser",
                                            Sql="SELECT * FROM missing_relation")["Id"])
    assert bad["Error"] == 'ERROR: relation "missing_relation" does not exist'


def test_listings_page_with_tokens_and_refuse_a_bad_one(aws, warehouse):
    data = aws.client("redshift-data")
    target = {"ClusterIdentifier": warehouse["cluster"], "Database": "dev", "DbUser": "awsuser"}
    for name in ("page_a", "page_b", "page_c"):
        run(data, warehouse["cluster"], f"CREATE TABLE IF NOT EXISTS {name} (id INT)")
    first = data.list_tables(**target, TablePattern="page%", MaxResults=2)
    assert len(first["Tables"]) == 2 and first["NextToken"]
    second = data.list_tables(**target, TablePattern="page%", MaxResults=2, NextToken=first["NextToken"])
    assert [t["name"] for t in first["Tables"] + second["Tables"]] == ["page_a", "page_b", "page_c"]
    assert "NextToken" not in second
    statements = data.list_statements(MaxResults=1)
    assert len(statements["Statements"]) == 1 and statements["NextToken"]
    for call in (lambda: data.list_tables(**target, NextToken="not-a-token"),
                 lambda: data.list_statements(NextToken="not-a-token"),
                 lambda: data.list_schemas(**target, NextToken=first["NextToken"])):  # another listing's token
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "ValidationException"
