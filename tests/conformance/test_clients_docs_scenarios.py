"""The data lake's client libraries run exactly as their documentation and AWS's samples show them: the AWS SDK
for pandas (awswrangler), PyAthena and the AWS CLI, with only the endpoint and dummy credentials set in the
environment. Each test's docstring names the page or sample it follows.

One sandbox, one bucket and one Glue database serve the whole module; no test starts Spark or trains a model."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pandas as pd
import pytest

from tests.helpers.cli import aws_cli_runner



@pytest.fixture(scope="module")
def lake(aws):
    """The environment the clients read their endpoint and credentials from, a bucket and a database."""
    import awswrangler as wr

    with pytest.MonkeyPatch.context() as patch:  # the environment as it was, once the module is done
        for key, value in aws.environment().items():
            patch.setenv(key, value)
        wr.config.athena_query_wait_polling_delay = 0.05  # the library polls each query every 1 s by default
        suffix = uuid.uuid4().hex[:8]
        bucket, database = f"clients-{suffix}", f"clients_{suffix}"
        aws.client("s3").create_bucket(Bucket=bucket)
        wr.catalog.create_database(database)
        yield {"bucket": bucket, "database": database, "output": f"s3://{bucket}/athena/", "aws": aws}
        wr.catalog.delete_database(database)
        wr.config.reset("athena_query_wait_polling_delay")


@pytest.fixture(scope="module")
def aws_cli(lake):
    """The AWS CLI as a subprocess with only the endpoint and dummy credentials in its environment."""
    return aws_cli_runner(lake["aws"].environment())


@pytest.mark.slow
def test_glue_lists_databases_and_tables_in_name_order(lake, aws_cli):
    """The AWS CLI's examples of ``aws glue get-tables`` and ``aws glue get-databases`` (awscli
    examples/glue/get-tables.rst, get-databases.rst): the catalog lists by name, not by creation time, and a
    new database carries the default ``CreateTableDefaultPermissions`` (IAM_ALLOWED_PRINCIPALS, ALL); the
    AWS SDK for pandas tutorial "AWS Glue Catalog" lists the same tables with ``wr.catalog.tables``.
    https://aws-sdk-pandas.readthedocs.io/en/stable/tutorials/005%20-%20Glue%20Catalog.html"""
    import awswrangler as wr

    database, bucket = lake["database"], lake["bucket"]
    for name in ("zebra", "apple", "mango"):
        wr.catalog.create_parquet_table(database=database, table=name, path=f"s3://{bucket}/order/{name}/",
                                        columns_types={"id": "bigint"})
    tables = json.loads(aws_cli("glue", "get-tables", "--database-name", database).stdout)["TableList"]
    names = [t["Name"] for t in tables if t["Name"] in ("zebra", "apple", "mango")]
    assert names == ["apple", "mango", "zebra"]
    ours = [t for t in tables if t["Name"] in names]
    assert all(t["Retention"] == 0 and t["UpdateTime"] == t["CreateTime"] for t in ours)  # as the CLI example
    listed = wr.catalog.tables(database=database)["Table"].tolist()
    assert [n for n in listed if n in names] == names
    assert wr.catalog.tables(database=database, name_prefix="ma")["Table"].tolist() == ["mango"]
    glue = lake["aws"].client("glue")
    with pytest.raises(glue.exceptions.InvalidInputException):  # a 400, not a server error
        glue.get_tables(DatabaseName=database, Expression="(")

    glue.create_database(DatabaseInput={"Name": f"{database}_a"})
    try:
        databases = glue.get_databases()["DatabaseList"]
        ours = [d["Name"] for d in databases if d["Name"].startswith(database)]
        assert ours == [database, f"{database}_a"]
        names = [d["Name"] for d in databases]
        assert names == sorted(names)
        created = next(d for d in databases if d["Name"] == f"{database}_a")
        assert created["CreateTableDefaultPermissions"] == [
            {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]
    finally:
        glue.delete_database(Name=f"{database}_a")
    for name in ("zebra", "apple", "mango"):
        assert wr.catalog.delete_table_if_exists(database=database, table=name)


@pytest.mark.slow
def test_partition_projection_settings_of_to_json(lake):
    """``wr.s3.to_json`` with ``athena_partition_projection_settings`` (its API reference's example, "Writing
    partitioned dataset with partition projection") and Athena's "Supported types for partition projection":
    an enum column needs ``projection.<column>.values`` (awswrangler's ``projection_values``); given only a
    range, Athena fails the query with INVALID_TABLE_PROPERTY instead of reading no partitions.
    https://aws-sdk-pandas.readthedocs.io/en/stable/stubs/awswrangler.s3.to_json.html
    https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html"""
    import awswrangler as wr

    database, bucket = lake["database"], lake["bucket"]
    frame = pd.DataFrame({"id": [1, 2, 3], "value": [1000, 1001, 1002], "category": ["A", "B", "C"]})
    common = {"dataset": True, "database": database, "partition_cols": ["value", "category"],
              "orient": "records", "lines": True, "index": False}
    wr.s3.to_json(frame, path=f"s3://{bucket}/projected/", table="projected", **common,
                  athena_partition_projection_settings={
                      "projection_types": {"value": "integer", "category": "enum"},
                      "projection_ranges": {"value": "1000,2000"},
                      "projection_values": {"category": "A,B,C"}})
    found = wr.athena.read_sql_query("SELECT id, value, category FROM projected WHERE value = 1001",
                                     database=database, ctas_approach=False, s3_output=lake["output"])
    assert found.to_dict("list") == {"id": [2], "value": [1001], "category": ["B"]}
    partitions = lake["aws"].client("glue").get_partitions(DatabaseName=database, TableName="projected")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["1000", "A"], ["1001", "B"], ["1002", "C"]]
    assert {p["CatalogId"] for p in partitions} == {lake["aws"].client("sts").get_caller_identity()["Account"]}

    wr.s3.to_json(frame, path=f"s3://{bucket}/misprojected/", table="misprojected", **common,
                  athena_partition_projection_settings={
                      "projection_types": {"value": "integer", "category": "enum"},
                      "projection_ranges": {"value": "1000,2000", "category": "A,B,C"}})
    with pytest.raises(wr.exceptions.QueryFailed, match=r"INVALID_TABLE_PROPERTY: .*projection\.category\.values"):
        wr.athena.read_sql_query("SELECT * FROM misprojected", database=database, ctas_approach=False,
                                 s3_output=lake["output"])


def test_pyathena_decimal_parameters_and_bare_values(lake):
    """PyAthena's README, "Query with parameter": a ``Decimal`` parameter is sent as ``DECIMAL '1.5'``, which
    Athena (Trino) types with the literal's own precision and scale (``decimal(2,1)``), not a default scale;
    and Athena's "VALUES" reference: rows of one column need no parentheses (``VALUES 1, 2, 3``).
    https://github.com/laughingman7743/PyAthena#query-with-parameter
    https://docs.aws.amazon.com/athena/latest/ug/values-statement.html"""
    from pyathena import connect

    cursor = connect(s3_staging_dir=lake["output"], region_name="us-east-1").cursor()
    cursor.execute("SELECT %(price)s AS price, %(price)s * 2 AS twice, %(rate)s AS rate",
                   {"price": Decimal("1.5"), "rate": Decimal("-0.05")})
    assert cursor.fetchall() == [(Decimal("1.5"), Decimal("3.0"), Decimal("-0.05"))]
    assert [d[4:6] for d in cursor.description] == [(2, 1), (12, 1), (2, 2)]
    cursor.execute("SELECT id * 10 AS tens FROM (VALUES 1, 2, 3) AS t (id) WHERE id > %(low)d", {"low": 1})
    assert cursor.fetchall() == [(20,), (30,)]


def test_pyathena_sqlalchemy_has_table_and_pandas_to_sql(lake):
    """PyAthena's SQLAlchemy documentation: ``inspect(engine).has_table`` answers False for a missing table
    (Athena's GetTableMetadata reports Glue's EntityNotFoundException inside its MetadataException), so
    ``DataFrame.to_sql(..., method="multi")`` creates the table and inserts the rows.
    https://laughingman7743.github.io/PyAthena/sqlalchemy.html"""
    import sqlalchemy as sa
    from pyathena.error import OperationalError

    database = lake["database"]
    engine = sa.create_engine(f"awsathena+rest://:@athena.us-east-1.amazonaws.com:443/{database}"
                              f"?s3_staging_dir={lake['output']}sqla/")
    inspector = sa.inspect(engine)
    assert inspector.has_table("scores", schema=database) is False
    frame = pd.DataFrame({"id": [1, 2], "name": ["a", "b"]})
    frame.to_sql("scores", engine, schema=database, index=False, if_exists="replace", method="multi")
    assert sa.inspect(engine).has_table("scores", schema=database) is True
    assert pd.read_sql("SELECT id, name FROM scores ORDER BY id", engine).to_dict("list") == frame.to_dict("list")

    athena = lake["aws"].client("athena")
    for missing in ({"DatabaseName": database, "TableName": "nope"}, {"DatabaseName": "nope", "TableName": "x"}):
        with pytest.raises(athena.exceptions.MetadataException, match="Error Code: EntityNotFoundException"):
            athena.get_table_metadata(CatalogName="AwsDataCatalog", **missing)
    with pytest.raises(OperationalError):
        from pyathena import connect

        connect(s3_staging_dir=lake["output"]).cursor().get_table_metadata("nope", schema_name=database)


@pytest.mark.slow
def test_ctas_approach_needs_named_distinct_typed_columns(lake):
    """The AWS SDK for pandas tutorial "Amazon Athena" and ``wr.athena.read_sql_query``'s reference: with
    ``ctas_approach=True`` the query runs as a CTAS, so Athena (Trino) refuses unnamed columns ("Column name not
    specified at position 1"), repeated names ("Column name 'a' specified more than once") and a bare NULL
    ("Column type is unknown"), which the library turns into its own hints; ``ctas_approach=False`` runs them.
    https://aws-sdk-pandas.readthedocs.io/en/stable/tutorials/006%20-%20Amazon%20Athena.html"""
    import awswrangler as wr

    common = {"database": lake["database"], "s3_output": lake["output"]}
    for sql, error, hint in (
            ("SELECT 1, 'x'", wr.exceptions.InvalidArgumentValue, "define all columns names"),
            ("SELECT 1 AS a, 2 AS a", wr.exceptions.InvalidCtasApproachQuery, "define distinct names"),
            ("SELECT NULL AS n", wr.exceptions.InvalidArgumentValue, "don't leave undefined columns types")):
        with pytest.raises(error, match=hint):
            wr.athena.read_sql_query(sql, ctas_approach=True, **common)
    assert wr.athena.read_sql_query("SELECT 1, 'x'", ctas_approach=False, **common).to_dict("list") == {
        "_col0": [1], "_col1": ["x"]}
    # the library pastes the query after AS: a leading comment and a parenthesised UNION stay one query
    for sql in ("-- daily numbers\nSELECT 1 AS n", "(SELECT 1 AS n) UNION ALL (SELECT 2 AS n)"):
        assert sorted(wr.athena.read_sql_query(sql, ctas_approach=True, **common)["n"]) == [1, 2][:sql.count("SELECT")]
    athena = lake["aws"].client("athena")
    started = athena.start_query_execution(
        QueryString=f"CREATE TABLE {lake['database']}.unnamed AS SELECT 1 AS id, count(*) FROM (VALUES (1)) AS t(x)",
        ResultConfiguration={"OutputLocation": lake["output"]})
    with pytest.raises(wr.exceptions.QueryFailed, match="Column name not specified at position 2$"):
        wr.athena.wait_query(started["QueryExecutionId"])
    assert not wr.catalog.does_table_exist(database=lake["database"], table="unnamed")


def test_result_file_tells_null_from_the_empty_string(lake):
    """Athena's "Working with query results" (the ``<QueryExecutionId>.csv`` in the output location) as PyAthena
    reads it: every value is quoted and NULL is an empty field without quotes, so ``S3FSCursor`` (which reads
    the file itself) answers None for NULL and '' for the empty string, as the default cursor does.
    https://docs.aws.amazon.com/athena/latest/ug/querying.html
    https://laughingman7743.github.io/PyAthena/s3fs.html"""
    from pyathena import connect
    from pyathena.s3fs.cursor import S3FSCursor

    sql = "SELECT 1 AS id, NULL AS missing, '' AS empty, 'say \"hi\", bye' AS quoted"
    want = [(1, None, "", 'say "hi", bye')]
    assert connect(s3_staging_dir=lake["output"]).cursor().execute(sql).fetchall() == want
    cursor = connect(s3_staging_dir=lake["output"], cursor_class=S3FSCursor).cursor()
    assert cursor.execute(sql).fetchall() == want
    key = cursor.output_location.split("/", 3)[3]
    body = lake["aws"].client("s3").get_object(Bucket=lake["bucket"], Key=key)["Body"].read().decode()
    assert body == '"id","missing","empty","quoted"\n"1",,"","say ""hi"", bye"\n'


@pytest.mark.slow
def test_partition_projection_tutorial_in_the_default_database(lake):
    """The AWS SDK for pandas tutorial "Partition Projection" as written: tables registered in the ``default``
    database (there in every account; the sandbox makes it when a request first names it) with integer, enum
    (a value with a non-ASCII letter) and injected projections, then read with ``wr.athena.read_sql_query``.
    https://aws-sdk-pandas.readthedocs.io/en/stable/tutorials/017%20-%20Partition%20Projection.html"""
    import awswrangler as wr

    bucket, suffix = lake["bucket"], uuid.uuid4().hex[:6]
    tables = {name: f"{name}_{suffix}" for name in ("table_integer", "table_enum", "table_injected")}
    try:
        wr.s3.to_parquet(
            df=pd.DataFrame({"value": [1, 2, 3], "year": [2019, 2020, 2021], "month": [10, 11, 12], "day": [25, 26, 27]}),
            path=f"s3://{bucket}/table_integer/", dataset=True, partition_cols=["year", "month", "day"],
            database="default", table=tables["table_integer"],
            athena_partition_projection_settings={
                "projection_types": {"year": "integer", "month": "integer", "day": "integer"},
                "projection_ranges": {"year": "2000,2025", "month": "1,12", "day": "1,31"}})
        found = wr.athena.read_sql_query(f"SELECT * FROM {tables['table_integer']} ORDER BY value", database="default",
                                         s3_output=lake["output"])
        assert found.to_dict("list") == {"value": [1, 2, 3], "year": [2019, 2020, 2021], "month": [10, 11, 12],
                                         "day": [25, 26, 27]}

        wr.s3.to_parquet(df=pd.DataFrame({"value": [1, 2, 3], "city": ["São Paulo", "Tokio", "Seattle"]}),
                         path=f"s3://{bucket}/table_enum/", dataset=True, partition_cols=["city"], database="default",
                         table=tables["table_enum"],
                         athena_partition_projection_settings={"projection_types": {"city": "enum"},
                                                               "projection_values": {"city": "São Paulo,Tokio,Seattle"}})
        found = wr.athena.read_sql_query(f"SELECT * FROM {tables['table_enum']} ORDER BY value", database="default",
                                         ctas_approach=False, s3_output=lake["output"])
        assert found["city"].tolist() == ["São Paulo", "Tokio", "Seattle"]

        uuids = ["761e2488-a078-11ea-bb37-0242ac130002", "b89ed095-8179-4635-9537-88592c0f6bc3"]
        wr.s3.to_parquet(df=pd.DataFrame({"value": [1, 2], "uuid": uuids}), path=f"s3://{bucket}/table_injected/",
                         dataset=True, partition_cols=["uuid"], database="default", table=tables["table_injected"],
                         athena_partition_projection_settings={"projection_types": {"uuid": "injected"}})
        found = wr.athena.read_sql_query(f"SELECT * FROM {tables['table_injected']} WHERE uuid='{uuids[1]}'",
                                         database="default", ctas_approach=False, s3_output=lake["output"])
        assert found.to_dict("list") == {"value": [2], "uuid": [uuids[1]]}
        default = lake["aws"].client("glue").get_database(Name="default")["Database"]
        assert default["Name"] == "default"
    finally:
        for table in tables.values():
            wr.catalog.delete_table_if_exists(database="default", table=table)


def test_awswrangler_cloudwatch_read_logs(lake, unique_name):
    """``wr.cloudwatch.read_logs`` and ``wr.cloudwatch.run_query`` as their API reference shows them: the library
    starts a Logs Insights query with ``logGroupIdentifiers`` (names or ARNs), which StartQuery takes as AWS
    does, and a log group that does not exist is ResourceNotFoundException, not a server error.
    https://aws-sdk-pandas.readthedocs.io/en/stable/stubs/awswrangler.cloudwatch.read_logs.html"""
    import time

    import awswrangler as wr
    from botocore.exceptions import ClientError

    logs = lake["aws"].client("logs")
    group = f"/clients/{unique_name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="app")
    logs.put_log_events(logGroupName=group, logStreamName="app",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "started"}])
    try:
        frame = wr.cloudwatch.read_logs("fields @timestamp, @message", log_group_names=[group], limit=10)
        assert frame["message"].tolist() == ["started"] and frame["timestamp"].dt.year.iloc[0] > 2000
        arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"].removesuffix(":*")
        assert logs.start_query(logGroupIdentifiers=[arn], startTime=0, endTime=int(time.time()),
                                queryString="fields @message")["queryId"]
        with pytest.raises(ClientError) as missing:  # the library's own client: its own exception classes
            wr.cloudwatch.start_query("fields @message", log_group_names=[f"{group}-missing"])
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
        with pytest.raises(logs.exceptions.InvalidParameterException):
            logs.start_query(logGroupName=group, logGroupNames=[group], startTime=0, endTime=1, queryString="x")
    finally:
        logs.delete_log_group(logGroupName=group)
