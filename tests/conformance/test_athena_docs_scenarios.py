"""Athena user guide and API reference pages, followed as a new user would, where the sandbox used to differ.

Each test names the page it follows (docs.aws.amazon.com/athena/latest/ug/ or /APIReference/) and checks
what Athena answers: results, the files written, the catalog, the response shapes and the error codes.
"""

from __future__ import annotations

import gzip
import time
import uuid

import pytest
from botocore.exceptions import ClientError


def start(athena, sql, output, database="docs", **kwargs):
    return athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": database},
                                        ResultConfiguration={"OutputLocation": output}, **kwargs)["QueryExecutionId"]


def wait(athena, qid):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.05)
    raise AssertionError(f"query {qid} still running")


def run(athena, sql, output, **kwargs):
    """(execution, rows) of a query that must succeed."""
    execution = wait(athena, start(athena, sql, output, **kwargs))
    assert execution["Status"]["State"] == "SUCCEEDED", (execution["Status"].get("StateChangeReason"), sql)
    results = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    return execution, [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]


def fails(athena, sql, output, **kwargs):
    """The StateChangeReason of a query that must fail."""
    execution = wait(athena, start(athena, sql, output, **kwargs))
    assert execution["Status"]["State"] == "FAILED", sql
    return execution["Status"]["StateChangeReason"]


@pytest.fixture(scope="module")
def docs(aws):
    """A bucket with a small CSV table ``docs.sales`` (id, name, city, amount)."""
    s3, athena = aws.client("s3"), aws.client("athena")
    bucket = f"athena-docs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    body = "id,name,city,amount\n" + "".join(f"{i},name{i},{['Seattle', 'Boston', 'Austin'][i % 3]},{i * 1.5}\n"
                                               for i in range(1, 13))
    s3.put_object(Bucket=bucket, Key="sales/part-0.csv", Body=body.encode())
    output = f"s3://{bucket}/results/"
    run(athena, "CREATE DATABASE IF NOT EXISTS docs", output, database="default")
    run(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales (id int, name string, city string, amount double)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/sales/'
        TBLPROPERTIES ('skip.header.line.count'='1')""", output)
    return {"athena": athena, "s3": s3, "glue": aws.client("glue"), "bucket": bucket, "output": output}


def _objects(s3, bucket, prefix):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def test_ctas_and_unload_with_a_comma_field_delimiter(docs):
    """Source: "Examples of CTAS queries" (format = 'TEXTFILE', field_delimiter = ',') and "UNLOAD" (TEXTFILE with
    field_delimiter = ','): a quoted comma inside WITH (...) is the delimiter, not a property separator; CTAS text
    is GZIP-compressed by default and, without field_delimiter, \\001-delimited."""
    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    run(athena, f"CREATE TABLE csv_copy WITH (format = 'TEXTFILE', field_delimiter = ',', "
                f"external_location = 's3://{bucket}/csv_copy/') AS SELECT id, city FROM sales", out)
    _, rows = run(athena, "SELECT id, city FROM csv_copy ORDER BY id LIMIT 2", out)
    assert rows == [["id", "city"], ["1", "Boston"], ["2", "Austin"]]
    keys = _objects(s3, bucket, "csv_copy/")
    assert len(keys) == 1 and keys[0].endswith(".gz")
    text = gzip.decompress(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()).decode()
    assert "1,Boston\n" in text

    run(athena, f"CREATE TABLE ctrl_a WITH (format = 'TEXTFILE', external_location = 's3://{bucket}/ctrl_a/') "
                "AS SELECT id, city FROM sales", out)
    key = _objects(s3, bucket, "ctrl_a/")[0]
    assert "1\x01Boston\n" in gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).decode()
    _, rows = run(athena, "SELECT count(*) FROM ctrl_a WHERE city = 'Boston'", out)
    assert rows[1] == ["4"]

    run(athena, f"UNLOAD (SELECT id, name FROM sales WHERE id < 3) TO 's3://{bucket}/unloaded_csv/' "
                "WITH (format = 'TEXTFILE', field_delimiter = ',')", out)
    key = _objects(s3, bucket, "unloaded_csv/")[0]
    assert sorted(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().split()) == ["1,name1", "2,name2"]


def test_orc_tables_and_ctas_and_avro_refused(docs):
    """Source: "Examples of CTAS queries" (format = 'ORC' with write_compression, format = 'AVRO'), "Use columnar
    storage formats" and "CREATE TABLE" (STORED AS ORC; STORED AS INPUTFORMAT ... as SHOW CREATE TABLE prints it):
    ORC files are read and written (a STORED AS ORC table used to be read as text); AVRO output fails with
    NOT_SUPPORTED instead of CSV files under an Avro-looking table."""
    import io

    import pyarrow as pa
    import pyarrow.orc as orc

    athena, s3, bucket, out, glue = docs["athena"], docs["s3"], docs["bucket"], docs["output"], docs["glue"]
    execution, _ = run(athena, f"CREATE TABLE sales_orc WITH (format = 'ORC', write_compression = 'SNAPPY', "
                               f"external_location = 's3://{bucket}/sales_orc/') AS SELECT * FROM sales", out)
    assert _objects(s3, bucket, "sales_orc/")[0].endswith(".orc")
    table = glue.get_table(DatabaseName="docs", Name="sales_orc")["Table"]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
    _, rows = run(athena, "SELECT city, count(*), sum(amount) FROM sales_orc GROUP BY city ORDER BY city", out)
    assert rows[1:] == [["Austin", "4", "39.0"], ["Boston", "4", "33.0"], ["Seattle", "4", "45.0"]]

    buf = io.BytesIO()
    orc.write_table(pa.table({"sku": ["a-1", "b-2"], "qty": pa.array([3, 4], pa.int32())}), buf)
    s3.put_object(Bucket=bucket, Key="stock/part-0.orc", Body=buf.getvalue())
    run(athena, f"CREATE EXTERNAL TABLE stock (sku string, qty int) STORED AS ORC LOCATION 's3://{bucket}/stock/'", out)
    _, rows = run(athena, "SELECT sku, qty FROM stock ORDER BY sku", out)
    assert rows[1:] == [["a-1", "3"], ["b-2", "4"]]
    run(athena, f"""CREATE EXTERNAL TABLE stock_copy (sku string, qty int)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.orc.OrcSerde'
        STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat'
        OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat' LOCATION 's3://{bucket}/stock/'""", out)
    _, rows = run(athena, "SELECT sum(qty) FROM stock_copy", out)
    assert rows[1] == ["7"]

    reason = fails(athena, "CREATE TABLE as_avro WITH (format = 'AVRO') AS SELECT id FROM sales", out)
    assert reason.startswith("NOT_SUPPORTED") and "AVRO" in reason
    with pytest.raises(ClientError):
        glue.get_table(DatabaseName="docs", Name="as_avro")


def test_insert_into_with_a_column_list_and_type_checks(docs):
    """Source: "INSERT INTO" (INSERT INTO destination_table [(col1, col2, ...)] VALUES / SELECT): the column list
    maps values by name, unnamed columns are NULL, and a query whose types do not match the table's fails with
    TYPE_MISMATCH before anything is written."""
    athena, out = docs["athena"], docs["output"]
    run(athena, "CREATE TABLE people WITH (format = 'PARQUET') AS SELECT id, name, city FROM sales WHERE id = 1", out)
    execution, rows = run(athena, "INSERT INTO people (name, id, city) VALUES ('Li Juan', 1000, 'Toronto')", out)
    assert execution["SubstatementType"] == "INSERT"
    run(athena, "INSERT INTO people (id, name) VALUES (1001, 'Jane Doe')", out)
    run(athena, "INSERT INTO people SELECT id, name, city FROM sales WHERE id = 2", out)
    reason = fails(athena, "INSERT INTO people VALUES ('x', 2, 'y')", out)
    assert reason.startswith("TYPE_MISMATCH") and "Table: [integer, varchar, varchar]" in reason
    assert fails(athena, "INSERT INTO people VALUES (3, 'too few')", out).startswith("TYPE_MISMATCH")
    assert fails(athena, "INSERT INTO people (nope) VALUES (1)", out).startswith("COLUMN_NOT_FOUND")
    assert fails(athena, "INSERT INTO no_such_table VALUES (1)", out).startswith("TABLE_NOT_FOUND")
    _, rows = run(athena, "SELECT id, name, city FROM people ORDER BY id", out)
    assert rows[1:] == [["1", "name1", "Boston"], ["2", "name2", "Austin"], ["1000", "Li Juan", "Toronto"],
                        ["1001", "Jane Doe", None]]


def test_prepared_statements_in_sql_and_through_the_api(docs):
    """Source: "Querying with prepared statements" / "Use parameterized queries" (PREPARE ... FROM, EXECUTE ... USING,
    DEALLOCATE PREPARE, ExecutionParameters) and the API reference of CreatePreparedStatement,
    GetPreparedStatement, ListPreparedStatements, UpdatePreparedStatement, BatchGetPreparedStatement and
    DeletePreparedStatement (a missing statement is ResourceNotFoundException)."""
    athena, out = docs["athena"], docs["output"]
    run(athena, "PREPARE by_city FROM SELECT id FROM sales WHERE city = ? AND amount > ? ORDER BY id", out)
    _, rows = run(athena, "EXECUTE by_city USING 'Boston', 5.0", out)
    assert rows == [["id"], ["4"], ["7"], ["10"]]
    qid = start(athena, "EXECUTE by_city", out, ExecutionParameters=["'Austin'", "10"])
    assert wait(athena, qid)["Status"]["State"] == "SUCCEEDED"
    statement = athena.get_prepared_statement(StatementName="by_city", WorkGroup="primary")["PreparedStatement"]
    assert statement["QueryStatement"].startswith("SELECT id FROM sales") and "LastModifiedTime" in statement
    names = [s["StatementName"] for s in athena.list_prepared_statements(WorkGroup="primary")["PreparedStatements"]]
    assert "by_city" in names
    athena.update_prepared_statement(StatementName="by_city", WorkGroup="primary",
                                     QueryStatement="SELECT count(*) FROM sales WHERE city = ?")
    _, rows = run(athena, "EXECUTE by_city USING 'Seattle'", out)
    assert rows[1] == ["4"]
    batch = athena.batch_get_prepared_statement(PreparedStatementNames=["by_city", "nope"], WorkGroup="primary")
    assert [s["StatementName"] for s in batch["PreparedStatements"]] == ["by_city"]
    assert batch["UnprocessedPreparedStatementNames"][0]["StatementName"] == "nope"
    assert fails(athena, "EXECUTE by_city USING 'a', 'b'", out).startswith("INVALID_PARAMETER_USAGE")
    run(athena, "DEALLOCATE PREPARE by_city", out)
    with pytest.raises(ClientError) as missing:
        athena.get_prepared_statement(StatementName="by_city", WorkGroup="primary")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert fails(athena, "EXECUTE by_city USING 'x'", out).startswith("NOT_FOUND")
    athena.create_prepared_statement(StatementName="api_made", WorkGroup="primary", QueryStatement="SELECT ?")
    athena.delete_prepared_statement(StatementName="api_made", WorkGroup="primary")
    with pytest.raises(ClientError) as gone:
        athena.delete_prepared_statement(StatementName="api_made", WorkGroup="primary")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_execution_parameters_skip_question_marks_in_literals(docs):
    """Source: "Use parameterized queries" (ExecutionParameters): only placeholders are bound, a '?' inside a
    string literal is text."""
    athena, out = docs["athena"], docs["output"]
    qid = start(athena, "SELECT 'who?' AS q, id FROM sales WHERE id = ?", out, ExecutionParameters=["3"])
    assert wait(athena, qid)["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert [d["VarCharValue"] for d in rows[1]["Data"]] == ["who?", "3"]


def test_named_queries_update_delete_and_batch_get(docs):
    """Source: API reference, CreateNamedQuery, GetNamedQuery, UpdateNamedQuery, BatchGetNamedQuery,
    ListNamedQueries and DeleteNamedQuery: an unknown id is InvalidRequestException (it used to be a
    ValidationException naming a Python AttributeError)."""
    athena = docs["athena"]
    query_id = athena.create_named_query(Name="top cities", Database="docs", Description="d",
                                         QueryString="SELECT city, count(*) FROM sales GROUP BY city")["NamedQueryId"]
    athena.update_named_query(NamedQueryId=query_id, Name="top cities v2", QueryString="SELECT 1")
    named = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
    assert (named["Name"], named["QueryString"], named["WorkGroup"]) == ("top cities v2", "SELECT 1", "primary")
    batch = athena.batch_get_named_query(NamedQueryIds=[query_id, "00000000-0000-0000-0000-000000000000"])
    assert [q["NamedQueryId"] for q in batch["NamedQueries"]] == [query_id]
    assert len(batch["UnprocessedNamedQueryIds"]) == 1
    assert query_id in athena.list_named_queries(WorkGroup="primary")["NamedQueryIds"]
    athena.delete_named_query(NamedQueryId=query_id)
    with pytest.raises(ClientError) as missing:
        athena.get_named_query(NamedQueryId=query_id)
    assert missing.value.response["Error"]["Code"] == "InvalidRequestException"


def test_list_query_executions_pages_per_workgroup(docs):
    """Source: API reference, ListQueryExecutions (MaxResults up to 50, NextToken; without WorkGroup the primary
    workgroup's queries) and DeleteWorkGroup / GetWorkGroup errors."""
    athena, out = docs["athena"], docs["output"]
    group = f"wg{uuid.uuid4().hex[:8]}"
    athena.create_work_group(Name=group, Configuration={"ResultConfiguration": {"OutputLocation": out}})
    ids = [athena.start_query_execution(QueryString=f"SELECT {i}", WorkGroup=group)["QueryExecutionId"]
           for i in range(3)]
    first = athena.list_query_executions(WorkGroup=group, MaxResults=2)
    assert len(first["QueryExecutionIds"]) == 2 and first["NextToken"]
    second = athena.list_query_executions(WorkGroup=group, MaxResults=2, NextToken=first["NextToken"])
    assert sorted(first["QueryExecutionIds"] + second["QueryExecutionIds"]) == sorted(ids)
    assert first["QueryExecutionIds"][0] == ids[-1]  # newest first
    assert not set(ids) & set(athena.list_query_executions(MaxResults=50)["QueryExecutionIds"])
    for call, kwargs in ((athena.list_query_executions, {"WorkGroup": "no-such-group"}),
                         (athena.delete_work_group, {"WorkGroup": "no-such-group"}),
                         (athena.delete_work_group, {"WorkGroup": "primary"})):
        with pytest.raises(ClientError) as refused:
            call(**kwargs)
        assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    created = athena.get_work_group(WorkGroup=group)["WorkGroup"]["CreationTime"]
    time.sleep(0.05)
    assert athena.get_work_group(WorkGroup=group)["WorkGroup"]["CreationTime"] == created
    athena.delete_work_group(WorkGroup=group)


def test_alter_table_columns_properties_and_locations(docs):
    """Source: "ALTER TABLE ADD COLUMNS", "ALTER TABLE REPLACE COLUMNS", "ALTER TABLE CHANGE COLUMN",
    "ALTER TABLE SET TBLPROPERTIES", "SHOW TBLPROPERTIES", "ALTER TABLE SET LOCATION" and "ALTER TABLE RENAME
    PARTITION": the catalog changes, partitions are kept, and queries see the new columns (NULL where the
    files have none)."""
    athena, s3, bucket, out, glue = docs["athena"], docs["s3"], docs["bucket"], docs["output"], docs["glue"]
    for dt in ("2024-01-01", "2024-01-02"):
        s3.put_object(Bucket=bucket, Key=f"events/dt={dt}/e.csv", Body=f"1,view,{dt}\n2,buy,{dt}\n".encode())
    run(athena, f"""CREATE EXTERNAL TABLE events (user_id int, action string) PARTITIONED BY (dt string)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/events/'""", out)
    run(athena, "MSCK REPAIR TABLE events", out)
    run(athena, "ALTER TABLE events ADD COLUMNS (day_seen string COMMENT 'the day, again')", out)
    _, rows = run(athena, "SELECT user_id, action, day_seen, dt FROM events WHERE dt = '2024-01-02' ORDER BY 1", out)
    assert rows[1:] == [["1", "view", "2024-01-02", "2024-01-02"], ["2", "buy", "2024-01-02", "2024-01-02"]]
    run(athena, "ALTER TABLE events CHANGE COLUMN action event_type string", out)
    run(athena, "ALTER TABLE events SET TBLPROPERTIES ('has_encrypted_data'='false', 'owner'='analytics')", out)
    _, props = run(athena, "SHOW TBLPROPERTIES events", out)
    assert ["owner\tanalytics"] in props
    table = glue.get_table(DatabaseName="docs", Name="events")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["user_id", "event_type", "day_seen"]
    assert table["Parameters"]["owner"] == "analytics"
    assert len(glue.get_partitions(DatabaseName="docs", TableName="events")["Partitions"]) == 2
    run(athena, "ALTER TABLE events PARTITION (dt = '2024-01-01') RENAME TO PARTITION (dt = '2023-12-31')", out)
    _, parts = run(athena, "SHOW PARTITIONS events", out)
    assert sorted(parts) == [["dt=2023-12-31"], ["dt=2024-01-02"]]
    run(athena, "ALTER TABLE events REPLACE COLUMNS (user_id int, event_type string)", out)
    _, columns = run(athena, "SHOW COLUMNS IN events", out)
    assert [c[0].strip() for c in columns] == ["user_id", "event_type", "dt"]
    run(athena, f"ALTER TABLE events SET LOCATION 's3://{bucket}/events_moved/'", out)
    assert glue.get_table(DatabaseName="docs", Name="events")["Table"]["StorageDescriptor"]["Location"] == \
        f"s3://{bucket}/events_moved/"


def test_column_not_found_is_worded_as_athena(docs):
    """Source: "Troubleshooting in Athena" (COLUMN_NOT_FOUND: Column '...' cannot be resolved)."""
    reason = fails(docs["athena"], "SELECT nocol FROM sales", docs["output"])
    assert reason.startswith("COLUMN_NOT_FOUND: line 1:8: Column 'nocol' cannot be resolved")


def test_data_catalog_and_engine_versions(docs):
    """Source: API reference, GetDataCatalog / ListDataCatalogs (AwsDataCatalog is the Glue catalog) and
    ListEngineVersions."""
    athena = docs["athena"]
    catalog = athena.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"]
    assert (catalog["Name"], catalog["Type"]) == ("AwsDataCatalog", "GLUE")
    assert {"CatalogName": "AwsDataCatalog", "Type": "GLUE"} in athena.list_data_catalogs()["DataCatalogsSummary"]
    versions = athena.list_engine_versions()["EngineVersions"]
    assert any(v["EffectiveEngineVersion"] == "Athena engine version 3" for v in versions)


def test_information_schema_and_partitions_metadata_come_from_glue(docs):
    """Source: "Query the AWS Glue Data Catalog" (information_schema.schemata, .tables, .columns, .views) and
    "Query a table's partitions" ("table$partitions"): answered from the Glue catalog, not DuckDB's own schema."""
    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    _, rows = run(athena, "SELECT schema_name FROM information_schema.schemata", out)
    assert ["docs"] in rows and ["information_schema"] in rows
    _, rows = run(athena, "SELECT table_name, table_type FROM information_schema.tables "
                          "WHERE table_schema = 'docs' AND table_name = 'sales'", out)
    assert rows == [["table_name", "table_type"], ["sales", "BASE TABLE"]]
    _, rows = run(athena, "SELECT column_name, ordinal_position, data_type FROM information_schema.columns "
                          "WHERE table_schema = 'docs' AND table_name = 'sales' ORDER BY ordinal_position", out)
    assert rows[1:] == [["id", "1", "integer"], ["name", "2", "varchar"], ["city", "3", "varchar"],
                        ["amount", "4", "double"]]
    for day in ("2024-02-01", "2024-02-02"):
        s3.put_object(Bucket=bucket, Key=f"clicks/day={day}/c.csv", Body=b"1\n")
    run(athena, f"CREATE EXTERNAL TABLE clicks (n int) PARTITIONED BY (day string) "
                f"LOCATION 's3://{bucket}/clicks/'", out)
    run(athena, "MSCK REPAIR TABLE clicks", out)
    _, rows = run(athena, 'SELECT * FROM "docs"."clicks$partitions" ORDER BY day', out)
    assert rows == [["day"], ["2024-02-01"], ["2024-02-02"]]


def test_explain_and_tablesample(docs):
    """Source: "Using EXPLAIN and EXPLAIN ANALYZE in Athena" (a "Query Plan" column; TYPE VALIDATE answers Valid)
    and "SELECT" (TABLESAMPLE BERNOULLI | SYSTEM (percentage)): the sample's number is a percentage of rows."""
    athena, out = docs["athena"], docs["output"]
    execution, rows = run(athena, "EXPLAIN SELECT city FROM sales WHERE id = 1", out)
    assert rows[0] == ["Query Plan"] and len(rows) > 1
    _, rows = run(athena, "EXPLAIN (TYPE VALIDATE) SELECT city FROM sales", out)
    assert rows == [["Valid"], ["true"]]
    _, rows = run(athena, "EXPLAIN ANALYZE SELECT count(*) FROM sales", out)
    assert rows[0] == ["Query Plan"]
    _, rows = run(athena, "SELECT count(*) FROM sales TABLESAMPLE SYSTEM (100)", out)
    assert rows[1] == ["12"]
    _, rows = run(athena, "SELECT count(*) FROM sales TABLESAMPLE BERNOULLI (0)", out)
    assert rows[1] == ["0"]


def test_client_request_token_runtime_statistics_and_athena_error(docs):
    """Source: API reference, StartQueryExecution (ClientRequestToken: the same token answers the same query, no
    second one is created), GetQueryRuntimeStatistics (the query's timeline and rows), and the "Athena error
    catalog" (AthenaError: category 2 USER for a missing table, 1 SYSTEM with type 401 when results cannot be
    written to S3)."""
    athena, out = docs["athena"], docs["output"]
    token = f"token-{uuid.uuid4().hex}"
    first = athena.start_query_execution(QueryString="SELECT id FROM docs.sales", ClientRequestToken=token,
                                         ResultConfiguration={"OutputLocation": out})["QueryExecutionId"]
    again = athena.start_query_execution(QueryString="SELECT id FROM docs.sales", ClientRequestToken=token,
                                         ResultConfiguration={"OutputLocation": out})["QueryExecutionId"]
    assert first == again
    execution = wait(athena, first)
    statistics = athena.get_query_runtime_statistics(QueryExecutionId=first)["QueryRuntimeStatistics"]
    assert statistics["Rows"]["OutputRows"] == 12
    assert statistics["Rows"]["InputBytes"] == execution["Statistics"]["DataScannedInBytes"] > 0
    assert statistics["Timeline"]["TotalExecutionTimeInMillis"] == execution["Statistics"]["TotalExecutionTimeInMillis"]
    reuse = {"ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 60}}
    reused = wait(athena, start(athena, "SELECT 1", out, ResultReuseConfiguration=reuse))
    assert reused["ResultReuseConfiguration"] == reuse  # echoed (result reuse itself is not emulated)
    missing = wait(athena, start(athena, "SELECT * FROM no_such_table", out))["Status"]["AthenaError"]
    assert missing["ErrorCategory"] == 2 and missing["Retryable"] is False
    unwritable = wait(athena, start(athena, "SELECT 1", f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/r/"))
    assert (unwritable["Status"]["AthenaError"]["ErrorCategory"], unwritable["Status"]["AthenaError"]["ErrorType"]) \
        == (1, 401)


def test_injected_partition_projection_takes_values_from_the_where_clause(docs):
    """Source: "Supported types for partition projection" (injected type): the partition values come from the
    query's static equality conditions; a query without one fails with CONSTRAINT_VIOLATION."""
    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    for device, n in (("sensor-a", 3), ("sensor-b", 5)):
        s3.put_object(Bucket=bucket, Key=f"readings/{device}/r.csv", Body="".join(f"{i}\n" for i in range(n)).encode())
    run(athena, f"""CREATE EXTERNAL TABLE readings (value int) PARTITIONED BY (device string)
        LOCATION 's3://{bucket}/readings/'
        TBLPROPERTIES ('projection.enabled' = 'true', 'projection.device.type' = 'injected',
                       'storage.location.template' = 's3://{bucket}/readings/${{device}}/')""", out)
    _, rows = run(athena, "SELECT count(*) FROM readings WHERE device = 'sensor-b'", out)
    assert rows[1] == ["5"]
    _, rows = run(athena, "SELECT device, count(*) FROM readings WHERE device IN ('sensor-a', 'sensor-b') "
                          "GROUP BY device ORDER BY device", out)
    assert rows[1:] == [["sensor-a", "3"], ["sensor-b", "5"]]
    assert fails(athena, "SELECT count(*) FROM readings", out).startswith("CONSTRAINT_VIOLATION")


def test_regex_serde_log_table_and_null_format(docs):
    """Source: "Query Application Load Balancer logs" (ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
    with 'input.regex', more than nine groups; a line that does not match gives NULLs) and "LazySimpleSerDe for CSV,
    TSV, and custom-delimited files" ('serialization.null.format'). A RegexSerDe table used to be read as CSV and
    fail with HIVE_BAD_DATA."""
    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    lines = ["2024-01-05T23:39:43Z 10.0.0.1:2817 GET /index.html 200 512 0.004 a b c d e",
             "2024-01-05T23:40:01Z 10.0.0.2:3001 POST /api/orders 500 17 0.120 a b c d e",
             "garbage line"]
    s3.put_object(Bucket=bucket, Key="weblogs/2024/01/05/log.txt", Body=("\n".join(lines) + "\n").encode())
    run(athena, f"""CREATE EXTERNAL TABLE weblogs (time string, client_ip string, client_port int, verb string,
        url string, status int, bytes bigint, duration double, c1 string, c2 string, c3 string, c4 string,
        c5 string)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
        WITH SERDEPROPERTIES ('serialization.format' = '1',
          'input.regex' = '([^ ]*) ([^ ]*):([0-9]*) ([A-Z]+) ([^ ]*) ([0-9]*) ([0-9]*) ([-.0-9]*) (.) (.) (.) (.) (.)')
        LOCATION 's3://{bucket}/weblogs/'""", out)
    _, rows = run(athena, "SELECT client_ip, client_port, verb, url, status, bytes, duration, c5 FROM weblogs "
                          "ORDER BY time NULLS LAST", out)
    assert rows[1:] == [["10.0.0.1", "2817", "GET", "/index.html", "200", "512", "0.004", "e"],
                        ["10.0.0.2", "3001", "POST", "/api/orders", "500", "17", "0.12", "e"],
                        [None] * 8]
    _, rows = run(athena, "SELECT count(*) FROM weblogs WHERE status >= 500", out)
    assert rows[1] == ["1"]
    assert fails(athena, "INSERT INTO weblogs (time) VALUES ('x')", out).startswith("NOT_SUPPORTED")

    # "Query Amazon CloudFront logs": double-quoted SERDEPROPERTIES and a Java regex lookahead (RE2 has none)
    s3.put_object(Bucket=bucket, Key="cf/log", Body=b"#Version: 1.0\n2014-07-05\t20:00:09\tDFW3\t4260\n")
    run(athena, f"""CREATE EXTERNAL TABLE cf_logs (`Date` DATE, Time STRING, Location STRING, Bytes INT)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
        WITH SERDEPROPERTIES ("input.regex" = "^(?!#)([^ ]+)\\\\s+([^ ]+)\\\\s+([^ ]+)\\\\s+([^ ]+)$")
        LOCATION 's3://{bucket}/cf/'""", out)
    _, rows = run(athena, "SELECT \"date\", location, bytes FROM cf_logs WHERE \"date\" IS NOT NULL", out)
    assert rows[1:] == [["2014-07-05", "DFW3", "4260"]]

    s3.put_object(Bucket=bucket, Key="scores/s.tsv", Body=b"1\tNA\n2\t7\n")
    run(athena, f"""CREATE EXTERNAL TABLE scores (id int, score string) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t'
        LOCATION 's3://{bucket}/scores/' TBLPROPERTIES ('serialization.null.format' = 'NA')""", out)
    _, rows = run(athena, "SELECT id, score FROM scores ORDER BY id", out)
    assert rows[1:] == [["1", None], ["2", "7"]]


def test_query_execution_context_catalog(docs):
    """Source: API reference, QueryExecutionContext (Catalog): AwsDataCatalog is the Glue Data Catalog; a catalog
    that does not exist fails the query with CATALOG_NOT_FOUND instead of silently reading Glue."""
    athena, out = docs["athena"], docs["output"]
    context = {"Database": "docs", "Catalog": "AwsDataCatalog"}
    qid = athena.start_query_execution(QueryString="SELECT count(*) FROM sales", QueryExecutionContext=context,
                                       ResultConfiguration={"OutputLocation": out})["QueryExecutionId"]
    assert wait(athena, qid)["Status"]["State"] == "SUCCEEDED"
    qid = athena.start_query_execution(QueryString="SELECT count(*) FROM sales",
                                       QueryExecutionContext={"Database": "docs", "Catalog": "no_such_catalog"},
                                       ResultConfiguration={"OutputLocation": out})["QueryExecutionId"]
    status = wait(athena, qid)["Status"]
    assert status["State"] == "FAILED" and status["StateChangeReason"].startswith("CATALOG_NOT_FOUND")


def test_row_level_changes_say_iceberg_is_not_emulated(docs):
    """Source: "UPDATE", "DELETE", "MERGE INTO", "OPTIMIZE" and "VACUUM" (Iceberg tables only): the query fails with
    NOT_SUPPORTED naming Iceberg, not with a parse error about the first word."""
    athena, out = docs["athena"], docs["output"]
    for sql in ("UPDATE sales SET amount = 0 WHERE id = 1", "DELETE FROM sales WHERE id = 1",
                "MERGE INTO sales t USING sales s ON t.id = s.id WHEN MATCHED THEN DELETE",
                "OPTIMIZE sales REWRITE DATA USING BIN_PACK", "VACUUM sales"):
        reason = fails(athena, sql, out)
        assert reason.startswith("NOT_SUPPORTED") and "Iceberg" in reason, reason


def test_at_time_zone_reads_a_timestamp_in_utc(docs):
    """Source: "Athena engine version 3 functions" / Trino's AT TIME ZONE: a TIMESTAMP without a zone is read in
    the session zone (UTC) and shown at the wall-clock time of the target zone (10:00 UTC is 05:00 in New York;
    the sandbox answered 15:00, reading 10:00 as New York time). DuckDB keeps no zone, so no zone is printed."""
    _, rows = run(docs["athena"], "SELECT TIMESTAMP '2024-01-01 10:00:00' AT TIME ZONE 'America/New_York' AS ny",
                  docs["output"])
    assert rows[1][0].startswith("2024-01-01 05:00:00.000")


def test_show_and_describe_are_utility_statements(docs):
    """Source: API reference, QueryExecution.StatementType ("UTILITY indicates query statements other than DDL and
    DML, such as SHOW CREATE TABLE, or DESCRIBE TABLE"): their answers stay header-less .txt files."""
    athena, out = docs["athena"], docs["output"]
    for sql in ("SHOW CREATE TABLE sales", "DESCRIBE sales", "SHOW TABLES", "SHOW COLUMNS IN sales"):
        execution, rows = run(athena, sql, out)
        assert execution["StatementType"] == "UTILITY", sql
        assert execution["ResultConfiguration"]["OutputLocation"].endswith(".txt") and rows, sql
    execution, _ = run(athena, "CREATE EXTERNAL TABLE IF NOT EXISTS sales (id int) LOCATION 's3://x/y/'", out)
    assert execution["StatementType"] == "DDL"


def test_describe_view_describe_column_and_missing_schema(docs):
    """Source: "DESCRIBE VIEW", "DESCRIBE" (DESCRIBE table_name col_name answers that column) and Trino's
    SCHEMA_NOT_FOUND for a query on a database that does not exist."""
    athena, out = docs["athena"], docs["output"]
    run(athena, "CREATE OR REPLACE VIEW city_counts AS SELECT city, count(*) AS n FROM sales GROUP BY city", out)
    _, rows = run(athena, "DESCRIBE VIEW city_counts", out)
    assert [r[0].split("\t")[0] for r in rows if r[0]] == ["city", "n"]
    _, rows = run(athena, "DESCRIBE sales amount", out)
    assert rows == [["amount\tdouble\t"]]
    assert fails(athena, "SELECT * FROM no_such_db.sales", out).startswith("SCHEMA_NOT_FOUND")


def test_ctas_and_insert_write_at_most_100_partitions(docs):
    """Source: "Use CTAS and INSERT INTO to work around the 100 partition limit": a CTAS that would write more than
    100 partitions fails with HIVE_TOO_MANY_OPEN_PARTITIONS (and makes no table); writing them in batches of at most
    100 with CTAS then INSERT INTO works."""
    athena, out, glue = docs["athena"], docs["output"], docs["glue"]
    source = "SELECT n AS value, n AS part FROM UNNEST(sequence(1, 150)) AS t(n)"
    reason = fails(athena, f"CREATE TABLE many_parts WITH (partitioned_by = ARRAY['part']) AS {source}", out)
    assert reason.startswith("HIVE_TOO_MANY_OPEN_PARTITIONS")
    with pytest.raises(ClientError):
        glue.get_table(DatabaseName="docs", Name="many_parts")
    run(athena, f"CREATE TABLE many_parts WITH (partitioned_by = ARRAY['part']) AS {source} WHERE n <= 100", out)
    run(athena, f"INSERT INTO many_parts {source} WHERE n > 100", out)
    _, rows = run(athena, "SELECT count(*), count(DISTINCT part) FROM many_parts", out)
    assert rows[1] == ["150", "150"]


def test_json_serde_case_mapping_and_malformed_lines(docs):
    """Source: "JSON SerDe libraries" / "OpenX JSON SerDe" (keys match columns ignoring case; 'mapping.<column>';
    'ignore.malformed.json' = 'true' reads a malformed line as NULLs, without it the query fails with
    HIVE_CURSOR_ERROR instead of a Python traceback)."""
    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    body = b'{"Id": 1, "UserName": "a", "ts_text": "2024-01-01 00:00:00"}\n{not json\n{"ID": 2, "USERNAME": "b"}\n'
    s3.put_object(Bucket=bucket, Key="events_json/e.json", Body=body)
    run(athena, f"""CREATE EXTERNAL TABLE events_json (id int, username string, ts timestamp)
        ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
        WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'mapping.ts' = 'ts_text')
        LOCATION 's3://{bucket}/events_json/'""", out)
    _, rows = run(athena, "SELECT id, username, ts FROM events_json ORDER BY id", out)
    assert rows[1:] == [["1", "a", "2024-01-01 00:00:00.000"], ["2", "b", None], [None, None, None]]
    run(athena, f"""CREATE EXTERNAL TABLE events_strict (id int, username string)
        ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{bucket}/events_json/'""", out)
    assert fails(athena, "SELECT * FROM events_strict", out).startswith("HIVE_CURSOR_ERROR: Row is not a valid JSON")


def test_parquet_columns_match_ignoring_case_and_widen_to_the_table_type(docs):
    """Source: "Schema updates and data formats" / Parquet tables (columns are read by name, case-insensitively;
    the table's type is what queries see): a file written with UserId fills column userid (it read NULL), and files
    written as int and as bigint both read as the table's bigint (a large value overflowed int)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    for key, table in (("a", pa.table({"UserId": pa.array([1], pa.int32()), "EventName": ["view"]})),
                       ("b", pa.table({"UserId": pa.array([2 ** 40], pa.int64()), "EventName": ["buy"]}))):
        buf = io.BytesIO()
        pq.write_table(table, buf)
        s3.put_object(Bucket=bucket, Key=f"clicks_pq/{key}.parquet", Body=buf.getvalue())
    run(athena, f"CREATE EXTERNAL TABLE clicks_pq (userid bigint, eventname string) STORED AS PARQUET "
                f"LOCATION 's3://{bucket}/clicks_pq/'", out)
    _, rows = run(athena, "SELECT * FROM clicks_pq ORDER BY userid", out)
    assert rows == [["userid", "eventname"], ["1", "view"], [str(2 ** 40), "buy"]]


def test_queries_may_start_with_comments(docs):
    """Source: the Athena user guide's sample queries and saved queries, which start with -- or /* */ comments: the
    statement after them runs (it failed with "mismatched input '--'")."""
    athena, out = docs["athena"], docs["output"]
    _, rows = run(athena, "-- how many sales?\n-- per city\nSELECT count(*) FROM sales", out)
    assert rows[1] == ["12"]
    execution, _ = run(athena, "/* list them */\nSHOW TABLES", out)
    assert execution["StatementType"] == "UTILITY"
    execution, _ = run(athena, "-- a view\nCREATE OR REPLACE VIEW commented AS SELECT 1 AS x", out)
    assert execution["StatementType"] == "DDL"


def test_ctas_compression_property_spellings(docs):
    """Source: "CREATE TABLE AS" (write_compression, and the older parquet_compression / orc_compression): each
    sets the codec of the files written."""
    import io

    import pyarrow.parquet as pq

    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    run(athena, f"CREATE TABLE sales_zstd WITH (format = 'PARQUET', parquet_compression = 'ZSTD', "
                f"external_location = 's3://{bucket}/sales_zstd/') AS SELECT id FROM sales", out)
    key = _objects(s3, bucket, "sales_zstd/")[0]
    metadata = pq.ParquetFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"


def test_the_default_database(aws, docs):
    """Source: "Create tables in Athena" / the console's default database: without a database named, a table is
    created in `default` (it failed with "Database does not exist: default"), and SHOW DATABASES lists it."""
    athena, bucket, out = docs["athena"], docs["bucket"], docs["output"]
    name = f"t{uuid.uuid4().hex[:8]}"
    run(athena, f"CREATE EXTERNAL TABLE {name} (id int, name string, city string, amount double) "
                f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/sales/' "
                "TBLPROPERTIES ('skip.header.line.count'='1')", out, database="default")
    _, rows = run(athena, f"SELECT count(*) FROM {name}", out, database="default")
    assert rows[1] == ["12"]
    _, databases = run(athena, "SHOW DATABASES", out)
    assert ["default"] in databases and ["docs"] in databases
    listed = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog", MaxResults=50)["DatabaseList"]]
    assert "default" in listed
    assert athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="default")["Database"]["Name"] == "default"
    assert aws.client("glue").get_table(DatabaseName="default", Name=name)["Table"]["Name"] == name


def test_bucketed_ctas_is_recorded_and_from_unixtime_with_a_zone(docs):
    """Source: "Examples of CTAS queries" (bucketed_by and bucket_count are recorded on the Glue table) and
    "Athena engine version 3 functions" (from_unixtime(unixtime, zone) gives that zone's wall-clock time; it was
    FUNCTION_NOT_FOUND)."""
    athena, out, glue = docs["athena"], docs["output"], docs["glue"]
    run(athena, "CREATE TABLE sales_bucketed WITH (format = 'PARQUET', bucketed_by = ARRAY['id'], bucket_count = 4) "
                "AS SELECT id, city FROM sales", out)
    descriptor = glue.get_table(DatabaseName="docs", Name="sales_bucketed")["Table"]["StorageDescriptor"]
    assert (descriptor["BucketColumns"], descriptor["NumberOfBuckets"]) == (["id"], 4)
    _, rows = run(athena, "SELECT count(*) FROM sales_bucketed", out)
    assert rows[1] == ["12"]
    _, rows = run(athena, "SELECT from_unixtime(1704067200, 'America/New_York') AS t", out)
    assert rows[1][0].startswith("2023-12-31 19:00:00.000")


def test_gzip_json_tables_read_back(docs):
    """Source: "Examples of CTAS queries" (format = 'JSON' is GZIP-compressed by default) and "JSON SerDe
    libraries" (a .gz file whose keys need the SerDe's case folding): both read back."""
    import gzip

    athena, s3, bucket, out = docs["athena"], docs["s3"], docs["bucket"], docs["output"]
    run(athena, f"CREATE TABLE sales_json WITH (format = 'JSON', external_location = 's3://{bucket}/sales_json/') "
                "AS SELECT id, city FROM sales", out)
    assert _objects(s3, bucket, "sales_json/")[0].endswith(".json.gz")
    _, rows = run(athena, "SELECT count(*), max(id) FROM sales_json WHERE city = 'Austin'", out)
    assert rows[1] == ["4", "11"]
    s3.put_object(Bucket=bucket, Key="upper_json/u.json.gz", Body=gzip.compress(b'{"Id": 7, "City": "Oslo"}\n'))
    run(athena, f"CREATE EXTERNAL TABLE upper_json (id int, city string) "
                f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{bucket}/upper_json/'", out)
    _, rows = run(athena, "SELECT id, city FROM upper_json", out)
    assert rows[1] == ["7", "Oslo"]


def test_describe_formatted_shows_location_and_storage(docs):
    """Source: "DESCRIBE" (DESCRIBE FORMATTED adds the table's detailed information: location, table type,
    parameters, SerDe and formats; it answered the plain column list)."""
    athena, bucket, out = docs["athena"], docs["bucket"], docs["output"]
    _, rows = run(athena, "DESCRIBE FORMATTED sales", out)
    lines = [r[0] for r in rows]
    assert "# Detailed Table Information" in lines and "# Storage Information" in lines
    assert any(line.startswith("Location:") and line.endswith(f"s3://{bucket}/sales/") for line in lines)
    assert any(line.startswith("SerDe Library:") and "LazySimpleSerDe" in line for line in lines)
    _, plain = run(athena, "DESCRIBE sales", out)
    assert "# Detailed Table Information" not in [r[0] for r in plain]


def test_result_column_precision_and_scale(docs):
    """Source: API reference, ColumnInfo (Precision, Scale) as Athena fills them: varchar 2147483647, bigint 19,
    integer 10, a DECIMAL(10,2) its precision and scale (all were 0)."""
    athena, out = docs["athena"], docs["output"]
    execution, _ = run(athena, "SELECT name, count(*) AS n, id, CAST(amount AS DECIMAL(10,2)) AS price FROM sales "
                               "GROUP BY name, id, amount", out)
    info = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], MaxResults=1)
    columns = {c["Name"]: (c["Type"], c["Precision"], c["Scale"])
               for c in info["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]}
    assert columns == {"name": ("varchar", 2147483647, 0), "n": ("bigint", 19, 0), "id": ("integer", 10, 0),
                       "price": ("decimal", 10, 2)}
