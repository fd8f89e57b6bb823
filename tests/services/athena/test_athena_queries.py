"""Athena queries really run: partitions pruned, results in S3, DDL in the Glue catalog (plain boto3)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from sandbox import datasets


def run_query(athena, sql, database=None, output=None, wait=True, timeout=60):
    kwargs = {"QueryString": sql, "ResultConfiguration": {"OutputLocation": output}}
    if database:
        kwargs["QueryExecutionContext"] = {"Database": database}
    qid = athena.start_query_execution(**kwargs)["QueryExecutionId"]
    if not wait:
        return qid, None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return qid, execution
        time.sleep(0.1)
    raise AssertionError(f"query still {execution['Status']['State']}")


def rows_of(athena, qid):
    rows, token = [], None
    while True:
        kwargs = {"QueryExecutionId": qid, **({"NextToken": token} if token else {})}
        page = athena.get_query_results(**kwargs)
        rows.extend([d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"])
        token = page.get("NextToken")
        if not token:
            return rows


@pytest.fixture(scope="module")
def sales(aws):
    """The tiny lake, crawled-free: registered with Athena DDL and MSCK REPAIR."""
    s3, athena = aws.client("s3"), aws.client("athena")
    bucket = "athena-test-lake"
    datasets.load_into_lake(aws, bucket, size="tiny")
    s3.create_bucket(Bucket="athena-test-results")
    output = "s3://athena-test-results/queries/"
    for sql in [
        "CREATE DATABASE IF NOT EXISTS shop",
        f"""CREATE EXTERNAL TABLE shop.orders (
              order_id bigint, customer_id bigint, product_id bigint, quantity bigint,
              unit_price double, amount double, order_ts timestamp, status string, channel string)
            PARTITIONED BY (year string, month string, day string)
            STORED AS PARQUET LOCATION 's3://{bucket}/raw/orders/'""",
        f"""CREATE EXTERNAL TABLE shop.customers (
              customer_id bigint, name string, email string, country string, segment string,
              signup_date string, age int, tenure_months int, monthly_spend double, support_calls int,
              churned int)
            ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
            STORED AS TEXTFILE LOCATION 's3://{bucket}/raw/customers/'
            TBLPROPERTIES ('skip.header.line.count'='1')""",
        "MSCK REPAIR TABLE shop.orders",
    ]:
        _, execution = run_query(athena, sql, output=output)
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    return {"bucket": bucket, "output": output, "data": datasets.generate("tiny")}


def test_ddl_registers_tables_in_glue(aws, sales):
    glue = aws.client("glue")
    table = glue.get_table(DatabaseName="shop", Name="orders")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day"]
    assert len(glue.get_partitions(DatabaseName="shop", TableName="orders")["Partitions"]) == 7


def test_query_with_and_without_partition_filter(aws, sales):
    athena = aws.client("athena")
    orders = sales["data"]["orders"]
    qid_all, all_exec = run_query(athena, "SELECT count(*) AS n, round(sum(amount), 2) AS revenue FROM orders",
                                  database="shop", output=sales["output"])
    assert all_exec["Status"]["State"] == "SUCCEEDED", all_exec["Status"]
    header, values = rows_of(athena, qid_all)
    assert header == ["n", "revenue"]
    assert int(values[0]) == len(orders)
    assert float(values[1]) == pytest.approx(orders["amount"].sum(), abs=0.01)

    qid_day, day_exec = run_query(athena, "SELECT count(*) FROM shop.orders WHERE day = '03'",
                                  output=sales["output"])
    assert int(rows_of(athena, qid_day)[1][0]) == int((orders["order_ts"].dt.day == 3).sum())
    scanned_all = all_exec["Statistics"]["DataScannedInBytes"]
    scanned_day = day_exec["Statistics"]["DataScannedInBytes"]
    assert 0 < scanned_day < scanned_all / 3
    assert all_exec["Statistics"]["TotalExecutionTimeInMillis"] >= 0

    columns = athena.get_query_results(QueryExecutionId=qid_all)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in columns] == [("n", "bigint"), ("revenue", "double")]


def test_results_csv_is_in_the_output_location(aws, sales):
    athena, s3 = aws.client("athena"), aws.client("s3")
    qid, execution = run_query(athena, "SELECT channel, count(*) AS n FROM orders GROUP BY channel ORDER BY channel",
                               database="shop", output=sales["output"])
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"{sales['output']}{qid}.csv"
    body = s3.get_object(Bucket="athena-test-results", Key=f"queries/{qid}.csv")["Body"].read().decode()
    assert body.splitlines()[0] == '"channel","n"'
    want = sales["data"]["orders"].groupby("channel").size()
    assert body.splitlines()[1] == f'"mobile","{want["mobile"]}"'


def test_join_window_cte_and_presto_functions(aws, sales):
    athena = aws.client("athena")
    sql = """
        WITH spend AS (
            SELECT c.segment, o.customer_id, sum(o.amount) AS total
            FROM orders o JOIN customers c ON o.customer_id = c.customer_id
            WHERE o.status = 'completed'
            GROUP BY c.segment, o.customer_id)
        SELECT segment, customer_id, total,
               rank() OVER (PARTITION BY segment ORDER BY total DESC) AS rnk,
               approx_distinct(customer_id) OVER (PARTITION BY segment) AS customers,
               date_format(date_parse('2024-01-05 10:30:00', '%Y-%m-%d %H:%i:%s'), '%Y/%m/%d') AS d
        FROM spend ORDER BY segment, rnk LIMIT 3"""
    qid, execution = run_query(athena, sql, database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = rows_of(athena, qid)
    assert rows[0] == ["segment", "customer_id", "total", "rnk", "customers", "d"]
    data = sales["data"]
    merged = data["orders"][data["orders"].status == "completed"].merge(data["customers"], on="customer_id")
    totals = merged.groupby(["segment", "customer_id"])["amount"].sum().reset_index()
    top = totals.sort_values(["segment", "amount"], ascending=[True, False]).iloc[0]
    assert rows[1][0] == top["segment"] and int(rows[1][1]) == top["customer_id"]
    assert float(rows[1][2]) == pytest.approx(top["amount"])
    assert rows[1][3] == "1" and rows[1][5] == "2024/01/05"


def test_ctas_then_query_the_new_table(aws, sales):
    athena, glue = aws.client("athena"), aws.client("glue")
    sql = f"""CREATE TABLE shop.daily_revenue
              WITH (format = 'PARQUET', external_location = 's3://{sales["bucket"]}/curated/daily_revenue/',
                    partitioned_by = ARRAY['day'])
              AS SELECT channel, round(sum(amount), 2) AS revenue, day FROM orders GROUP BY channel, day"""
    _, execution = run_query(athena, sql, database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    table = glue.get_table(DatabaseName="shop", Name="daily_revenue")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["day"]
    qid, _ = run_query(athena, "SELECT sum(revenue) FROM daily_revenue WHERE day = '02'", database="shop",
                       output=sales["output"])
    orders = sales["data"]["orders"]
    want = orders[orders.order_ts.dt.day == 2].groupby("channel")["amount"].sum().round(2).sum()
    assert float(rows_of(athena, qid)[1][0]) == pytest.approx(want, abs=0.05)


def test_msck_repair_finds_a_new_partition(aws, sales):
    athena, s3 = aws.client("athena"), aws.client("s3")
    source = s3.get_object(Bucket=sales["bucket"], Key="raw/orders/year=2024/month=01/day=01/part-0.parquet")
    s3.put_object(Bucket=sales["bucket"], Key="raw/orders/year=2024/month=02/day=01/part-0.parquet",
                  Body=source["Body"].read())
    qid, execution = run_query(athena, "MSCK REPAIR TABLE orders", database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED"
    qid, _ = run_query(athena, "SHOW PARTITIONS orders", database="shop", output=sales["output"])
    partitions = [r[0] for r in rows_of(athena, qid)]
    assert "year=2024/month=02/day=01" in partitions and len(partitions) == 8
    qid, _ = run_query(athena, "SELECT count(*) FROM orders WHERE month = '02'", database="shop",
                       output=sales["output"])
    day1 = int((sales["data"]["orders"].order_ts.dt.day == 1).sum())
    assert int(rows_of(athena, qid)[1][0]) == day1
    run_query(athena, "ALTER TABLE orders DROP PARTITION (year='2024', month='02', day='01')", database="shop",
              output=sales["output"])
    qid, _ = run_query(athena, "SELECT count(*) FROM orders WHERE month = '02'", database="shop",
                       output=sales["output"])
    assert rows_of(athena, qid)[1][0] == "0"


def test_bad_sql_and_unknown_table_fail_with_reasons(aws, sales):
    athena = aws.client("athena")
    _, execution = run_query(athena, "SELEC nothing FROM", database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "FAILED"
    assert "mismatched input 'SELEC'" in execution["Status"]["StateChangeReason"]
    _, execution = run_query(athena, "SELECT FROM WHERE", database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "FAILED"
    assert "syntax error" in execution["Status"]["StateChangeReason"].lower()
    _, execution = run_query(athena, "SELECT * FROM no_such_table", database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "FAILED"
    assert "no_such_table" in execution["Status"]["StateChangeReason"]
    assert "does not exist" in execution["Status"]["StateChangeReason"]
    qid, _ = run_query(athena, "SELECT 1 FROM no_such_table", database="shop", output=sales["output"])
    with pytest.raises(ClientError) as exc:
        athena.get_query_results(QueryExecutionId=qid)
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"


def test_missing_output_location_is_refused_synchronously(aws):
    with pytest.raises(ClientError) as exc:
        aws.client("athena").start_query_execution(QueryString="SELECT 1")
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "output location" in exc.value.response["Error"]["Message"]


def test_workgroup_output_location_and_pagination(aws, sales):
    athena = aws.client("athena")
    athena.create_work_group(Name="analysts", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://athena-test-results/analysts/"}})
    qid = athena.start_query_execution(QueryString="SELECT order_id FROM orders ORDER BY order_id",
                                       QueryExecutionContext={"Database": "shop"},
                                       WorkGroup="analysts")["QueryExecutionId"]
    deadline = time.monotonic() + 30
    while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] in ("QUEUED", "RUNNING"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    first = athena.get_query_results(QueryExecutionId=qid, MaxResults=100)
    assert len(first["ResultSet"]["Rows"]) == 100 and "NextToken" in first
    ids = [r[0] for r in rows_of(athena, qid)[1:]]
    assert len(ids) == len(sales["data"]["orders"]) and ids[:3] == ["1", "2", "3"]
    assert qid in athena.list_query_executions(WorkGroup="analysts")["QueryExecutionIds"]


def test_table_metadata(aws, sales):
    athena = aws.client("athena")
    meta = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="shop", TableName="orders")
    assert [c["Name"] for c in meta["TableMetadata"]["PartitionKeys"]] == ["year", "month", "day"]
    names = [t["Name"] for t in athena.list_table_metadata(CatalogName="AwsDataCatalog",
                                                          DatabaseName="shop")["TableMetadataList"]]
    assert {"orders", "customers"} <= set(names)


def test_unload_writes_parquet(aws, sales):
    athena, s3 = aws.client("athena"), aws.client("s3")
    sql = (f"UNLOAD (SELECT customer_id, churned FROM customers WHERE churned = 1) "
           f"TO 's3://{sales['bucket']}/exports/churned/' WITH (format = 'PARQUET')")
    _, execution = run_query(athena, sql, database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sales["bucket"], Prefix="exports/churned/")["Contents"]]
    import io

    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=sales["bucket"], Key=keys[0])["Body"].read()))
    assert table.num_rows == int(sales["data"]["customers"]["churned"].sum())


def test_crawled_table_is_queryable(aws, s3_bucket, unique_name):
    """A table made by a Glue crawler over CSV, queried with Athena."""
    s3, glue, athena = aws.client("s3"), aws.client("glue"), aws.client("athena")
    frame = pd.DataFrame({"id": [1, 2, 3], "score": [0.5, 1.5, 2.5], "label": ["a", "b", "a"]})
    s3.put_object(Bucket=s3_bucket, Key="scores/part=x/data.csv", Body=frame.to_csv(index=False).encode())
    glue.create_crawler(Name=unique_name, Role="arn:aws:iam::123456789012:role/r", DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/scores/"}]})
    glue.start_crawler(Name=unique_name)
    deadline = time.monotonic() + 30
    while glue.get_crawler(Name=unique_name)["Crawler"]["State"] != "READY" or \
            "LastCrawl" not in glue.get_crawler(Name=unique_name)["Crawler"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    qid, execution = run_query(athena, "SELECT label, sum(score) FROM scores GROUP BY label ORDER BY label",
                               database=unique_name, output=f"s3://{s3_bucket}/results/")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert rows_of(athena, qid)[1:] == [["a", "3.0"], ["b", "1.5"]]


def test_partition_projection_needs_no_catalog_partitions(aws, sales):
    athena, glue = aws.client("athena"), aws.client("glue")
    sql = f"""CREATE EXTERNAL TABLE shop.orders_projected (
              order_id bigint, customer_id bigint, product_id bigint, quantity bigint, unit_price double,
              amount double, order_ts timestamp, status string, channel string)
            PARTITIONED BY (year string, month string, day string)
            STORED AS PARQUET LOCATION 's3://{sales["bucket"]}/raw/orders/'
            TBLPROPERTIES ('projection.enabled'='true',
              'projection.year.type'='integer', 'projection.year.range'='2023,2025',
              'projection.month.type'='integer', 'projection.month.range'='1,12', 'projection.month.digits'='2',
              'projection.day.type'='integer', 'projection.day.range'='1,31', 'projection.day.digits'='2',
              'storage.location.template'='s3://{sales["bucket"]}/raw/orders/year=${{year}}/month=${{month}}/day=${{day}}/')"""
    _, execution = run_query(athena, sql, database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert glue.get_partitions(DatabaseName="shop", TableName="orders_projected")["Partitions"] == []
    orders = sales["data"]["orders"]
    qid, whole = run_query(athena, "SELECT count(*) FROM orders_projected", database="shop", output=sales["output"])
    assert int(rows_of(athena, qid)[1][0]) >= len(orders)  # the February copy from the MSCK test may be there too
    qid, day = run_query(athena, "SELECT count(*) FROM orders_projected WHERE year = '2024' AND month = '01' "
                                 "AND day = '04'", database="shop", output=sales["output"])
    assert int(rows_of(athena, qid)[1][0]) == int((orders.order_ts.dt.day == 4).sum())
    assert day["Statistics"]["DataScannedInBytes"] < whole["Statistics"]["DataScannedInBytes"] / 3


def test_workgroup_errors_updates_and_scan_cutoff(aws, sales):
    athena = aws.client("athena")
    with pytest.raises(ClientError) as exc:
        athena.get_work_group(WorkGroup="no-such-workgroup")
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    athena.create_work_group(Name="capped", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://athena-test-results/capped/"}})
    athena.update_work_group(WorkGroup="capped", ConfigurationUpdates={"BytesScannedCutoffPerQuery": 10_000_000,
                                                                       "EnforceWorkGroupConfiguration": True})
    config = athena.get_work_group(WorkGroup="capped")["WorkGroup"]["Configuration"]
    assert config["BytesScannedCutoffPerQuery"] == 10_000_000 and config["EnforceWorkGroupConfiguration"]
    athena.update_work_group(WorkGroup="capped", ConfigurationUpdates={"BytesScannedCutoffPerQuery": 10_485_760})
    group = athena.get_work_group(WorkGroup="capped")["WorkGroup"]
    assert group["Configuration"]["BytesScannedCutoffPerQuery"] == 10_485_760
    # AWS's smallest cutoff is 10 MB, more than the tiny lake scans: the query runs (a larger scan is CANCELLED)
    athena.create_work_group(Name="tiny-cap", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://athena-test-results/tiny/"},
        "BytesScannedCutoffPerQuery": 10_485_760})
    qid = athena.start_query_execution(QueryString="SELECT count(*) FROM orders",
                                       QueryExecutionContext={"Database": "shop"}, WorkGroup="tiny-cap")[
        "QueryExecutionId"]
    deadline = time.monotonic() + 30
    while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] in ("QUEUED", "RUNNING"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "SUCCEEDED"


def test_unnamed_columns_are_col_n_as_on_athena(aws, sales):
    athena = aws.client("athena")
    qid, execution = run_query(athena, "SELECT channel, count(*), sum(amount) AS revenue, max(quantity) + 1 "
                                       "FROM orders GROUP BY channel", database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert rows_of(athena, qid)[0] == ["channel", "_col1", "revenue", "_col3"]
    columns = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [c["Name"] for c in columns] == ["channel", "_col1", "revenue", "_col3"]


def test_presto_spellings_unnest_and_catalog_qualification(aws, sales):
    athena = aws.client("athena")
    orders = sales["data"]["orders"]
    cases = [
        ('SELECT count(*) FROM "AwsDataCatalog"."shop"."orders"', [str(len(orders))]),
        ("SELECT count(*) FROM awsdatacatalog.shop.orders WHERE year = '2024'", [str(len(orders))]),
        ("SELECT x, n FROM UNNEST(ARRAY['a', 'b']) WITH ORDINALITY AS t(x, n)", ["a", "1"]),
        ("SELECT t.v FROM (SELECT ARRAY[3, 4] AS arr) CROSS JOIN UNNEST(arr) AS t(v)", ["3"]),
        ("SELECT element_at(ARRAY[10, 20], 2), element_at(MAP(ARRAY['k'], ARRAY[7]), 'k'), "
         "array_join(ARRAY['a', 'b'], '-'), day_of_week(DATE '2024-01-07')", ["20", "7", "a-b", "7"]),
        ("SELECT approx_percentile(x, ARRAY[0.0, 1.0]) FROM (VALUES (1), (5), (9)) AS v(x)", ["[1, 9]"]),
        ("SELECT date_add('day', 1, DATE '2024-01-31'), date_add('month', 1, DATE '2024-01-31'), "
         "date_add('hour', 2, TIMESTAMP '2024-01-01 00:00:00')",
         ["2024-02-01", "2024-02-29", "2024-01-01 02:00:00.000"]),
    ]
    for sql, first_row in cases:
        qid, execution = run_query(athena, sql, database="shop", output=sales["output"])
        assert execution["Status"]["State"] == "SUCCEEDED", (sql, execution["Status"])
        assert rows_of(athena, qid)[1] == first_row, sql


def test_show_create_table_and_error_categories(aws, sales):
    athena = aws.client("athena")
    qid, execution = run_query(athena, "SHOW CREATE TABLE orders", database="shop", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    ddl = "\n".join(r[0] for r in rows_of(athena, qid))
    assert ddl.startswith("CREATE EXTERNAL TABLE `orders`(")
    assert "PARTITIONED BY" in ddl and f"'s3://{sales['bucket']}/raw/orders/'" in ddl
    for sql, prefix in [("SELECT nope FROM orders", "COLUMN_NOT_FOUND"),
                        ("SELECT no_such_function(1)", "FUNCTION_NOT_FOUND")]:
        _, execution = run_query(athena, sql, database="shop", output=sales["output"])
        assert execution["Status"]["State"] == "FAILED"
        assert execution["Status"]["StateChangeReason"].startswith(prefix), execution["Status"]


def test_nested_json_table_is_queried_and_a_slow_scan_does_not_block_the_sandbox(aws, sales):
    s3, athena = aws.client("s3"), aws.client("athena")
    s3.put_object(Bucket=sales["bucket"], Key="raw/events/part-0.json", Body=(
        b'{"id": 1, "user": {"name": "a", "address": {"city": "x"}}, "tags": ["t1", "t2"], '
        b'"items": [{"sku": "s", "qty": 2}], "score": 1.5}\n'
        b'{"id": 2, "user": {"name": "b", "address": {"city": "y"}}, "tags": [], "items": [], "score": null}\n'))
    _, execution = run_query(athena, f"""CREATE EXTERNAL TABLE shop.events (
        id bigint, `user` struct<name:string,address:struct<city:string>>, tags array<string>,
        items array<struct<sku:string,qty:bigint>>, score double)
        ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
        LOCATION 's3://{sales['bucket']}/raw/events/'""", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    # pyarrow's JSON scanner used to deadlock here, holding the state lock and freezing every request
    qid, execution = run_query(athena, "SELECT id, user.name, user.address.city, cardinality(tags), items[1].sku "
                                       "FROM events WHERE score > 1", database="shop", output=sales["output"],
                               timeout=30)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert rows_of(athena, qid)[1:] == [["1", "a", "x", "2", "s"]]
    qid, _ = run_query(athena, "SELECT count(*) FROM events", database="shop", output=sales["output"])
    assert rows_of(athena, qid)[1:] == [["2"]]


def test_backquoted_database_context_and_describe_columns(aws, sales):
    athena = aws.client("athena")
    # awswrangler sends QueryExecutionContext={"Database": "`shop`"}
    qid, execution = run_query(athena, "DESCRIBE `orders`;", database="`shop`", output=sales["output"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    result = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]
    assert [c["Name"] for c in result["ResultSetMetadata"]["ColumnInfo"]] == ["col_name", "data_type", "comment"]
    assert result["Rows"][0]["Data"][0]["VarCharValue"].split("\t")[:2] == ["order_id", "bigint"]


def test_athena_catalog_metadata_comes_from_glue(aws, sales):
    athena = aws.client("athena")
    names = [d["Name"] for p in athena.get_paginator("list_databases").paginate(CatalogName="AwsDataCatalog")
             for d in p["DatabaseList"]]
    assert "shop" in names
    assert athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="shop")["Database"]["Name"] == "shop"
    with pytest.raises(ClientError) as exc:
        athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="no_such_db")
    assert exc.value.response["Error"]["Code"] == "MetadataException"
    page = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="shop", MaxResults=1)
    assert len(page["TableMetadataList"]) == 1 and page["NextToken"]
    only = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="shop", Expression="cust*")
    assert [t["Name"] for t in only["TableMetadataList"]] == ["customers"]


def test_quoted_csv_under_lazy_simple_serde_fails_with_a_hint(aws, sales):
    s3, athena = aws.client("s3"), aws.client("athena")
    s3.put_object(Bucket=sales["bucket"], Key="raw/quoted/a.csv", Body=b'id,name\n1,"Smith, John"\n')
    run_query(athena, f"""CREATE EXTERNAL TABLE shop.quoted (id bigint, name string)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{sales['bucket']}/raw/quoted/'
        TBLPROPERTIES ('skip.header.line.count'='1')""", output=sales["output"])
    _, execution = run_query(athena, "SELECT * FROM shop.quoted", output=sales["output"])
    assert execution["Status"]["State"] == "FAILED"
    assert "OpenCSVSerde" in execution["Status"]["StateChangeReason"]
    run_query(athena, f"""CREATE EXTERNAL TABLE shop.quoted_ok (id bigint, name string)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' LOCATION 's3://{sales['bucket']}/raw/quoted/'
        TBLPROPERTIES ('skip.header.line.count'='1')""", output=sales["output"])
    qid, execution = run_query(athena, "SELECT name FROM shop.quoted_ok", output=sales["output"])
    assert rows_of(athena, qid)[1:] == [["Smith, John"]]


def test_views_are_stored_in_glue_and_expanded_at_query_time(aws, sales):
    athena, glue = aws.client("athena"), aws.client("glue")
    orders = sales["data"]["orders"]
    out = sales["output"]

    def ok(sql, database="shop"):
        qid, execution = run_query(athena, sql, database=database, output=out)
        assert execution["Status"]["State"] == "SUCCEEDED", (sql, execution["Status"])
        return rows_of(athena, qid)

    ok("CREATE VIEW completed_orders AS SELECT order_id, customer_id, amount, year FROM orders "
       "WHERE status = 'completed'")
    # a view over a view, from another database, with a qualified name
    ok("CREATE DATABASE IF NOT EXISTS reports", database=None)
    ok("CREATE OR REPLACE VIEW reports.revenue_by_customer AS SELECT customer_id, sum(amount) AS revenue, "
       "count(*) AS n FROM shop.completed_orders GROUP BY customer_id")
    table = glue.get_table(DatabaseName="shop", Name="completed_orders")["Table"]
    assert table["TableType"] == "VIRTUAL_VIEW" and table["ViewOriginalText"].startswith("/* Presto View: ")
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("order_id", "bigint"), ("customer_id", "bigint"), ("amount", "double"), ("year", "string")]

    completed = orders[orders.status == "completed"]
    assert ok("SELECT count(*), round(sum(amount), 2) FROM completed_orders")[1] == [
        str(len(completed)), str(round(completed.amount.sum(), 2))]
    top = completed.groupby("customer_id").amount.sum().sort_values(ascending=False)
    rows = ok("SELECT customer_id, revenue FROM revenue_by_customer ORDER BY revenue DESC LIMIT 1", "reports")
    assert rows[1][0] == str(top.index[0]) and float(rows[1][1]) == pytest.approx(top.iloc[0])
    assert ok("SHOW VIEWS")[0:] == [["completed_orders"]]
    assert ok("SHOW CREATE VIEW completed_orders")[0] == ['CREATE VIEW "shop"."completed_orders" AS']
    assert ok("DESCRIBE completed_orders")[0] == ["order_id\tbigint\t"]

    for sql, message in [("CREATE VIEW completed_orders AS SELECT 1 AS x", "View already exists"),
                         ("CREATE VIEW orders AS SELECT 1 AS x", "Table already exists"),
                         ("CREATE VIEW broken AS SELECT nope FROM orders", "COLUMN_NOT_FOUND"),
                         ("DROP VIEW orders", "does not exist")]:
        _, execution = run_query(athena, sql, database="shop", output=out)
        assert execution["Status"]["State"] == "FAILED", sql
        assert message in execution["Status"]["StateChangeReason"], execution["Status"]
    ok("DROP VIEW reports.revenue_by_customer")
    ok("DROP VIEW IF EXISTS reports.revenue_by_customer")
    ok("DROP VIEW completed_orders")
    assert ok("SHOW VIEWS") == []
