"""Every DuckDB connection that runs a learner's SQL is locked inside the sandbox (core/sqlguard.py).

Athena and Redshift answer host-file functions, COPY/ATTACH/INSTALL and configuration changes with a
failed query, as they would for a statement they cannot run, and no file appears outside the state folder.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from emulators.core.sqlguard import lock_down

ESCAPES = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/*')",
    "COPY (SELECT 1) TO '{outside}/copied.csv'",
    "ATTACH '{outside}/attached.db'",
    "EXPORT DATABASE '{outside}/exported'",
    "INSTALL httpfs",
    "SET enable_external_access=true",
]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside-the-sandbox"
    folder.mkdir()
    return folder


def test_a_locked_connection_still_reads_registered_data_and_nothing_else(outside):
    con = duckdb.connect()
    con.register("lake", pa.table({"v": [1, 2, 3]}))
    lock_down(con)
    assert con.execute("SELECT sum(v) FROM lake").fetchone()[0] == 6
    for sql in ESCAPES:
        with pytest.raises(duckdb.Error):
            con.execute(sql.format(outside=outside))
    assert list(outside.iterdir()) == []


def _athena(aws, sql: str, output: str) -> dict:
    athena = aws.client("athena")
    qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={"OutputLocation": output})[
        "QueryExecutionId"]
    for _ in range(300):
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.1)
    raise AssertionError("query did not finish")


def test_athena_cannot_touch_host_files(aws, s3_bucket, outside):
    output = f"s3://{s3_bucket}/results/"
    assert _athena(aws, "SELECT 1 AS one", output)["Status"]["State"] == "SUCCEEDED"
    for sql in ESCAPES + ["SELECT 1; COPY (SELECT 1) TO '{outside}/two.csv'"]:
        execution = _athena(aws, sql.format(outside=outside), output)
        assert execution["Status"]["State"] == "FAILED", sql
    assert list(outside.iterdir()) == []


def _redshift(aws, cluster: str, sql: str) -> dict:
    data = aws.client("redshift-data")
    statement = data.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sql=sql)
    for _ in range(300):
        described = data.describe_statement(Id=statement["Id"])
        if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return described
        time.sleep(0.1)
    raise AssertionError("statement did not finish")


def test_redshift_cannot_touch_host_files(aws, outside):
    cluster = f"guard-{uuid.uuid4().hex[:8]}"
    aws.client("redshift").create_cluster(ClusterIdentifier=cluster, NodeType="ra3.xlplus", MasterUsername="awsuser",
                                          MasterUserPassword="Sandbox-Passw0rd", DBName="dev",
                                          ClusterType="single-node")
    assert _redshift(aws, cluster, "CREATE TABLE t (a INT)")["Status"] == "FINISHED"
    for sql in ESCAPES + ["SELECT 1; COPY (SELECT 1) TO '{outside}/two.csv'"]:
        described = _redshift(aws, cluster, sql.format(outside=outside))
        assert described["Status"] == "FAILED", sql
    assert "one SQL statement" in _redshift(aws, cluster, "SELECT 1; SELECT 2")["Error"]
    # as Redshift answers any function it does not have
    assert "function read_text does not exist" in _redshift(aws, cluster, "SELECT * FROM read_text('/x')")["Error"]
    assert list(outside.iterdir()) == []


@pytest.mark.slow
def test_s3_select_cannot_touch_host_files(aws, s3_bucket):
    from botocore.exceptions import ClientError

    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="rows.csv", Body=b"a,b\n1,2\n")
    for expression in ("SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM glob('/*')"):
        with pytest.raises(ClientError):
            response = s3.select_object_content(
                Bucket=s3_bucket, Key="rows.csv", Expression=expression, ExpressionType="SQL",
                InputSerialization={"CSV": {"FileHeaderInfo": "USE"}}, OutputSerialization={"CSV": {}})
            list(response["Payload"])


def test_kinesis_analytics_pumps_are_locked():
    from emulators.kinesisanalytics.engine import ApplicationError, Pump, run_pump

    pump = Pump(destination="DESTINATION_SQL_STREAM", query="SELECT * FROM read_text('/etc/hostname')",
                window_seconds=None)
    with pytest.raises(ApplicationError):
        run_pump(pump, [], [("v", "INTEGER")])
