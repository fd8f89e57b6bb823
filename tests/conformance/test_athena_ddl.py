"""The Athena user guide's DDL, CTAS, INSERT INTO, UNLOAD, partition projection and view examples, end to end.

Each test follows one page of the Athena user guide (docs.aws.amazon.com/athena/latest/ug/), named in
its docstring, with data of the same shape written by the test, and checks what Athena returns: the
statement type, GetQueryResults' shape for DDL (no header row; the column Athena names), UpdateCount,
the Glue catalog entries and the files written.
"""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest


def run(athena, sql, database="guide", output=None):
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": database},
                                       ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    assert execution["Status"]["State"] == "SUCCEEDED", (execution["Status"].get("StateChangeReason"), sql)
    return execution, athena.get_query_results(QueryExecutionId=qid)


def values(results):
    return [[d.get("VarCharValue") for d in row["Data"]] for row in results["ResultSet"]["Rows"]]


def column_names(results):
    return [c["Name"] for c in results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]


def parquet(rows: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(rows), buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def guide(aws):
    """A bucket with daily CSV sales files (dt=YYYY-MM-DD folders) and the `guide` database."""
    s3, athena = aws.client("s3"), aws.client("athena")
    bucket = f"athena-guide-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        body = "".join(f"{day}T0{h}:15:00,{'web' if h % 2 else 'store'},{h * 10 + int(day[-1])}.5\n"
                       for h in range(1, 5))
        s3.put_object(Bucket=bucket, Key=f"sales/dt={day}/sales.csv", Body=body.encode())
    output = f"s3://{bucket}/results/"
    run(athena, "CREATE DATABASE IF NOT EXISTS guide", database="default", output=output)
    return {"bucket": bucket, "output": output, "athena": athena, "s3": s3, "glue": aws.client("glue")}


def test_create_table_partitions_and_the_result_shapes_of_ddl(guide):
    """Source: Athena user guide, "Create tables in Athena", "ALTER TABLE ADD PARTITION", "SHOW PARTITIONS",
    "SHOW TABLES", "SHOW COLUMNS", "DESCRIBE": DDL answers with no header row and Athena's column names."""
    athena, bucket, out = guide["athena"], guide["bucket"], guide["output"]
    execution, results = run(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales (
        sold_at string, channel string, amount double)
        PARTITIONED BY (dt string)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{bucket}/sales/'""", output=out)
    assert execution["StatementType"] == "DDL"
    assert results["ResultSet"]["Rows"] == [] and column_names(results) == []
    run(athena, f"ALTER TABLE sales ADD PARTITION (dt = '2024-01-01') LOCATION 's3://{bucket}/sales/dt=2024-01-01/' "
                f"PARTITION (dt = '2024-01-02') LOCATION 's3://{bucket}/sales/dt=2024-01-02/'", output=out)
    _, shown = run(athena, "SHOW PARTITIONS sales", output=out)
    assert column_names(shown) == ["partition"]
    assert values(shown) == [["dt=2024-01-01"], ["dt=2024-01-02"]]  # no header row for DDL
    _, tables = run(athena, "SHOW TABLES IN guide 'sal*'", output=out)
    assert column_names(tables) == ["tab_name"] and ["sales"] in values(tables)
    _, columns = run(athena, "SHOW COLUMNS IN sales", output=out)
    assert values(columns) == [["sold_at"], ["channel"], ["amount"], ["dt"]]
    _, described = run(athena, "DESCRIBE sales", output=out)
    assert column_names(described) == ["col_name", "data_type", "comment"]
    assert values(described)[0] == ["sold_at\tstring\t"]
    _, counted = run(athena, "SELECT dt, count(*) AS n, sum(amount) AS total FROM sales GROUP BY dt ORDER BY dt",
                     output=out)
    assert values(counted) == [["dt", "n", "total"], ["2024-01-01", "4", "106.0"], ["2024-01-02", "4", "110.0"]]
    _, paths = run(athena, 'SELECT DISTINCT "$path" FROM sales WHERE dt = \'2024-01-02\'', output=out)
    assert values(paths)[1:] == [[f"s3://{bucket}/sales/dt=2024-01-02/sales.csv"]]


def test_ctas_examples(guide):
    """Source: Athena user guide, "Examples of CTAS queries": Parquet with external_location and
    partitioned_by (partition columns last), and WITH NO DATA for an empty copy of the columns."""
    athena, bucket, out, glue = guide["athena"], guide["bucket"], guide["output"], guide["glue"]
    run(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales_all (sold_at string, channel string, amount double)
        PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{bucket}/sales/'""", output=out)
    run(athena, "MSCK REPAIR TABLE sales_all", output=out)
    execution, _ = run(athena, f"""CREATE TABLE sales_by_channel
        WITH (format = 'PARQUET', write_compression = 'SNAPPY',
              external_location = 's3://{bucket}/ctas/sales_by_channel/', partitioned_by = ARRAY['channel'])
        AS SELECT dt, sum(amount) AS total, channel FROM sales_all GROUP BY dt, channel""", output=out)
    assert execution["SubstatementType"] == "CREATE_TABLE_AS_SELECT"
    assert athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["UpdateCount"] == 6
    table = glue.get_table(DatabaseName="guide", Name="sales_by_channel")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["channel"]
    assert "parquet" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].lower()
    parts = glue.get_partitions(DatabaseName="guide", TableName="sales_by_channel")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == ["store", "web"]
    _, totals = run(athena, "SELECT channel, sum(total) FROM sales_by_channel GROUP BY channel ORDER BY channel",
                    output=out)
    assert values(totals)[1:] == [["store", "195.0"], ["web", "135.0"]]
    run(athena, f"CREATE TABLE sales_empty WITH (format = 'PARQUET', external_location = "
                f"'s3://{bucket}/ctas/sales_empty/') AS SELECT * FROM sales_all WITH NO DATA", output=out)
    _, empty = run(athena, "SELECT count(*) FROM sales_empty", output=out)
    assert values(empty)[1:] == [["0"]]
    assert glue.get_table(DatabaseName="guide", Name="sales_empty")["Table"]["StorageDescriptor"]["Columns"][2] == {
        "Name": "amount", "Type": "double"}


def test_insert_into_select_and_values(guide):
    """Source: Athena user guide, "INSERT INTO": rows from a SELECT and from VALUES, into a partitioned
    Parquet table; UpdateCount is the number of rows and new partitions are registered."""
    athena, bucket, out, glue = guide["athena"], guide["bucket"], guide["output"], guide["glue"]
    run(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales_src (sold_at string, channel string, amount double)
        PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{bucket}/sales/'""", output=out)
    run(athena, "MSCK REPAIR TABLE sales_src", output=out)
    run(athena, f"""CREATE EXTERNAL TABLE daily (channel string, total double) PARTITIONED BY (dt string)
        STORED AS PARQUET LOCATION 's3://{bucket}/daily/'""", output=out)
    execution, results = run(athena, "INSERT INTO daily SELECT channel, sum(amount), dt FROM sales_src "
                                     "WHERE dt = '2024-01-03' GROUP BY channel, dt", output=out)
    assert execution["SubstatementType"] == "INSERT" and results["UpdateCount"] == 2
    _, results = run(athena, "INSERT INTO daily VALUES ('phone', 12.5, '2024-01-04')", output=out)
    assert results["UpdateCount"] == 1
    parts = glue.get_partitions(DatabaseName="guide", TableName="daily")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == ["2024-01-03", "2024-01-04"]
    _, rows = run(athena, "SELECT dt, channel, total FROM daily ORDER BY dt, channel", output=out)
    assert values(rows)[1:] == [["2024-01-03", "store", "67.0"], ["2024-01-03", "web", "47.0"],
                                ["2024-01-04", "phone", "12.5"]]


def test_unload_to_json(guide):
    """Source: Athena user guide, "UNLOAD": a SELECT written to S3 as JSON, partitioned by a column;
    the target folder must be empty; UpdateCount is the number of rows."""
    athena, bucket, out, s3 = guide["athena"], guide["bucket"], guide["output"], guide["s3"]
    run(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales_unload (sold_at string, channel string, amount double)
        PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{bucket}/sales/'""", output=out)
    run(athena, "MSCK REPAIR TABLE sales_unload", output=out)
    execution, results = run(athena, f"UNLOAD (SELECT sold_at, amount, channel FROM sales_unload WHERE dt = '2024-01-01') "
                                     f"TO 's3://{bucket}/unloaded/' WITH (format = 'JSON', partitioned_by = ARRAY['channel'])",
                             output=out)
    assert execution["SubstatementType"] == "UNLOAD" and results["UpdateCount"] == 4
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="unloaded/")["Contents"]]
    assert sorted(k.split("/")[1] for k in keys) == ["channel=store", "channel=web"]
    lines = [json.loads(line) for k in keys for line in
             s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode().splitlines()]
    assert sorted(line["amount"] for line in lines) == [11.5, 21.5, 31.5, 41.5]


def test_partition_projection_with_dates(guide):
    """Source: Athena user guide, "Partition projection with Amazon Athena" and "Supported types for partition
    projection" (date type, range, format, storage.location.template): no partitions in Glue, and a filter
    reads only its day."""
    athena, bucket, out, glue = guide["athena"], guide["bucket"], guide["output"], guide["glue"]
    for day in ("2024-01-01", "2024-01-02"):
        guide["s3"].put_object(Bucket=bucket, Key=f"events/{day}/part-0.parquet",
                               Body=parquet({"user_id": [1, 2, 3], "action": ["view", "buy", "view"]}))
    run(athena, f"""CREATE EXTERNAL TABLE events (user_id bigint, action string)
        PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://{bucket}/events/'
        TBLPROPERTIES ('projection.enabled' = 'true', 'projection.dt.type' = 'date',
                       'projection.dt.range' = '2024-01-01,2024-01-31', 'projection.dt.format' = 'yyyy-MM-dd',
                       'storage.location.template' = 's3://{bucket}/events/${{dt}}/')""", output=out)
    assert glue.get_partitions(DatabaseName="guide", TableName="events")["Partitions"] == []
    whole, everything = run(athena, "SELECT count(*) FROM events", output=out)
    day, one = run(athena, "SELECT action, count(*) AS n FROM events WHERE dt = '2024-01-02' GROUP BY action "
                           "ORDER BY action", output=out)
    assert values(everything)[1:] == [["6"]]
    assert values(one)[1:] == [["buy", "1"], ["view", "2"]]
    every_day, _ = run(athena, "SELECT action, count(*) AS n FROM events GROUP BY action", output=out)
    # the same columns of one day read fewer bytes than of both (files this small are mostly footer, which
    # DuckDB reads for the table's schema whatever the filter keeps)
    assert 0 < day["Statistics"]["DataScannedInBytes"] < every_day["Statistics"]["DataScannedInBytes"]


def test_views(guide):
    """Source: Athena user guide, "Work with views": CREATE VIEW, SHOW VIEWS, SHOW CREATE VIEW, DESCRIBE of a
    view, a query through it, CREATE OR REPLACE VIEW and DROP VIEW, with the result shapes Athena returns."""
    athena, bucket, out = guide["athena"], guide["bucket"], guide["output"]
    run(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales_v (sold_at string, channel string, amount double)
        PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{bucket}/sales/'""", output=out)
    run(athena, "MSCK REPAIR TABLE sales_v", output=out)
    execution, results = run(athena, "CREATE VIEW web_sales AS SELECT dt, amount, date_parse(sold_at, "
                                     "'%Y-%m-%dT%H:%i:%s') AS sold FROM sales_v WHERE channel = 'web'", output=out)
    assert execution["StatementType"] == "DDL" and results["ResultSet"]["Rows"] == []
    _, views = run(athena, "SHOW VIEWS", output=out)
    assert column_names(views) == ["views"] and ["web_sales"] in values(views)
    _, create = run(athena, "SHOW CREATE VIEW web_sales", output=out)
    assert values(create)[0] == ['CREATE VIEW "guide"."web_sales" AS']
    _, described = run(athena, "DESCRIBE web_sales", output=out)
    assert [r[0].split("\t")[:2] for r in values(described)] == [["dt", "string"], ["amount", "double"],
                                                                 ["sold", "timestamp"]]
    _, rows = run(athena, "SELECT sold, amount FROM web_sales WHERE dt = '2024-01-01' ORDER BY sold LIMIT 1",
                  output=out)
    assert values(rows) == [["sold", "amount"], ["2024-01-01 01:15:00.000", "11.5"]]
    run(athena, "CREATE OR REPLACE VIEW web_sales AS SELECT dt, sum(amount) AS total FROM sales_v "
                "WHERE channel = 'web' GROUP BY dt", output=out)
    _, totals = run(athena, "SELECT total FROM web_sales WHERE dt = '2024-01-02'", output=out)
    assert values(totals) == [["total"], ["45.0"]]
    run(athena, "DROP VIEW web_sales", output=out)
    _, views = run(athena, "SHOW VIEWS", output=out)
    assert ["web_sales"] not in values(views)
