"""The shortcuts that used to pass a check now fail it, naming what is missing (issue 13).

Each test builds the shortcut a learner could take (a Pass-only workflow, a table made by hand instead of
a CTAS query, rows in the wrong partition, ...) in a sandbox of this module's own, and asserts the check
fails on precisely that. The module's sandbox keeps the shortcuts away from the session sandbox, where
tests/learning/test_exercises.py runs the reference solutions.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox import datasets
from sandbox.exercises import get, run_check
from sandbox.exercises._helpers import ROLE_GLUE, ROLE_STATES, redshift_sql, wait_until


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A sandbox of this module's own, and a session on it."""
    from sandbox.session import SandboxSession
    from tests.helpers.cloud import PrivateCloud

    import os

    # an earlier test's sagemaker_session() may have pointed AWS_ENDPOINT_URL at the session sandbox, and
    # clients follow that variable first: this module's checks must reach this module's sandbox
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("AWS_ENDPOINT_URL")}
    cloud = PrivateCloud(tmp_path_factory.mktemp("hardened-state"))
    cloud.up()
    try:
        yield SandboxSession(cloud.config)
    finally:
        cloud.down()
        os.environ.update(saved)


def _parquet(frame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()


def _orders():
    return datasets.generate("tiny")["orders"]


def test_ex04_rows_outside_their_day_partition_fail(own):
    s3 = own.client("s3")
    s3.create_bucket(Bucket="ex04-sales-lake")
    body = _parquet(_orders())   # every order copied into five day folders
    for day in range(1, 6):
        s3.put_object(Bucket="ex04-sales-lake", Key=f"sales/year=2024/month=01/day={day:02d}/part-0.parquet", Body=body)
    result = run_check(get(4), own)
    assert not result.passed
    assert any(p.startswith("rows are in the wrong partition: their order_ts is not the day of their folder")
               for p in result.problems), result.problems
    assert "5 day partitions" in result.confirmed   # the layout itself is right: only the rows are wrong


@pytest.mark.slow
def test_ex09_any_successful_run_and_any_parquet_fail(own):
    s3, glue = own.client("s3"), own.client("glue")
    s3.create_bucket(Bucket="ex09-etl")
    orders = _orders()
    s3.put_object(Bucket="ex09-etl", Key="raw/orders/orders.parquet", Body=_parquet(orders))
    s3.put_object(Bucket="ex09-etl", Key="scripts/noop.py", Body=b"print('nothing transformed')\n")
    glue.create_job(Name="ex09-clean-orders", Role=ROLE_GLUE, GlueVersion="4.0",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://ex09-etl/scripts/noop.py"})
    run = glue.start_job_run(JobName="ex09-clean-orders")["JobRunId"]
    wait_until(lambda: glue.get_job_run(JobName="ex09-clean-orders", RunId=run)["JobRun"],
               lambda r: r["JobRunState"] == "SUCCEEDED", 60, "the no-op job")
    kept = orders[orders["status"] != "cancelled"]
    s3.put_object(Bucket="ex09-etl", Key="clean/orders/part-0.parquet", Body=_parquet(kept.head(5)))
    result = run_check(get(9), own)
    assert not result.passed
    assert result.problems == [
        f"the output holds 5 rows but the input has {len(kept)} orders that are not cancelled "
        f"({len(kept) - 5} missing, 0 not in the input, 0 duplicated): the output must be exactly the input minus "
        "the cancelled orders"], result.problems
    # a Parquet file of other columns is named too
    s3.put_object(Bucket="ex09-etl", Key="clean/orders/part-0.parquet", Body=_parquet(kept[["order_id"]]))
    problems = run_check(get(9), own).problems
    assert problems[0].startswith("the output lacks the input's columns ['customer_id'"), problems


def test_ex13_table_made_without_ctas_fails(own):
    s3, glue = own.client("s3"), own.client("glue")
    s3.create_bucket(Bucket="ex13-reports")
    s3.put_object(Bucket="ex13-reports", Key="revenue_by_channel/data.parquet",
                  Body=_parquet(_orders()[["channel", "amount"]].rename(columns={"amount": "revenue"})))
    glue.create_database(DatabaseInput={"Name": "ex13_reports"})
    glue.create_table(DatabaseName="ex13_reports", TableInput={
        "Name": "revenue_by_channel", "Parameters": {"classification": "parquet"},
        "StorageDescriptor": {"Columns": [{"Name": "channel", "Type": "string"}, {"Name": "revenue", "Type": "double"}],
                              "Location": "s3://ex13-reports/revenue_by_channel/",
                              "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"}})
    result = run_check(get(13), own)
    assert not result.passed
    assert result.problems == ["no successful Athena query CREATE TABLE revenue_by_channel ... AS SELECT: the table "
                               "must come from a CTAS query, not from glue.create_table"], result.problems


def _cluster(own, name):
    own.client("redshift").create_cluster(ClusterIdentifier=name, NodeType="ra3.xlplus", ClusterType="single-node",
                                          MasterUsername="awsuser", MasterUserPassword="Exercise-Passw0rd",
                                          DBName="dev")


@pytest.mark.slow
def test_ex14_insert_without_distkey_fails(own):
    data = own.client("redshift-data")
    _cluster(own, "ex14-warehouse")
    redshift_sql(data, "ex14-warehouse", "CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, status VARCHAR(16))")
    redshift_sql(data, "ex14-warehouse", "INSERT INTO orders SELECT i, i % 50, CASE WHEN i % 3 = 0 THEN 'completed' "
                                         "ELSE 'cancelled' END FROM range(200) t(i)")
    result = run_check(get(14), own)
    assert not result.passed
    assert result.problems == [
        "orders is distributed by no DISTKEY (EVEN/AUTO): declare DISTKEY(customer_id) in CREATE TABLE so joins and "
        "aggregations by customer stay on one slice",
        "no FINISHED COPY orders FROM 's3://...' statement on ex14-warehouse: load the table with COPY (parallel load "
        "from S3), not INSERT"], result.problems
    assert "orders holds 200 rows" in result.confirmed


@pytest.mark.slow
def test_ex15_local_table_named_like_spectrum_fails(own):
    data = own.client("redshift-data")
    _cluster(own, "ex15-warehouse")
    for sql in ("CREATE SCHEMA spectrum", "CREATE TABLE spectrum.customers (customer_id BIGINT)",
                "INSERT INTO spectrum.customers VALUES (1), (2)"):
        redshift_sql(data, "ex15-warehouse", sql)
    assert redshift_sql(data, "ex15-warehouse", "SELECT COUNT(*) FROM spectrum.customers")["Status"] == "FINISHED"
    result = run_check(get(15), own)
    assert not result.passed
    assert result.problems == ["spectrum is not an external schema: CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG "
                               "DATABASE 'ex15_lake' IAM_ROLE '...' (a local schema with a copy of the data is not "
                               "Spectrum)"], result.problems


@pytest.mark.slow
def test_ex16_pass_states_fail(own):
    sfn = own.client("stepfunctions")
    definition = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.day", "IsPresent": True, "Next": "Work"}],
                  "Default": "Bad"},
        "Bad": {"Type": "Fail", "Error": "BadInput"},
        "Work": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]}}}
    arn = sfn.create_state_machine(name="ex16-daily-pipeline", definition=json.dumps(definition),
                                   roleArn=ROLE_STATES)["stateMachineArn"]
    for payload in ('{"day": "2024-01-03"}', "{}"):
        run = sfn.start_execution(stateMachineArn=arn, input=payload)["executionArn"]
        wait_until(lambda: sfn.describe_execution(executionArn=run), lambda e: e["status"] != "RUNNING", 30, "run")
    result = run_check(get(16), own)
    assert not result.passed
    assert result.problems == ["the workflow has no Task state (states: ['Choice', 'Fail', 'Parallel', 'Pass', "
                               "'Pass']): Pass states only move JSON; the parallel work must be done by Task states "
                               "(e.g. arn:aws:states:::lambda:invoke)"], result.problems
    assert {"an execution SUCCEEDED", "the error path was exercised"} <= set(result.confirmed)


@pytest.mark.slow
def test_ex24_step_whose_output_is_not_the_daily_revenue_fails(own):
    s3, emr = own.client("s3"), own.client("emr")
    s3.create_bucket(Bucket="ex24-emr")
    orders = _orders()
    s3.put_object(Bucket="ex24-emr", Key="raw/orders/orders.parquet", Body=_parquet(orders))
    s3.put_object(Bucket="ex24-emr", Key="jobs/noop.py", Body=b"print('no revenue computed')\n")
    cluster = emr.run_job_flow(
        Name="ex24-spark", ReleaseLabel="emr-7.1.0", Applications=[{"Name": "Spark"}],
        JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": False},
        Steps=[{"Name": "noop", "ActionOnFailure": "TERMINATE_CLUSTER", "HadoopJarStep": {
            "Jar": "command-runner.jar", "Args": ["spark-submit", "s3://ex24-emr/jobs/noop.py"]}}])["JobFlowId"]
    step = emr.list_steps(ClusterId=cluster)["Steps"][0]["Id"]
    wait_until(lambda: emr.describe_step(ClusterId=cluster, StepId=step)["Step"]["Status"],
               lambda s: s["State"] == "COMPLETED", 120, "the no-op step", interval=1)
    # any Parquet with the right column names: one day, the revenue of every order (cancelled ones included)
    wrong = pa.table({"day": ["2024-01-01"], "revenue": [float(orders["amount"].sum())]})
    buffer = io.BytesIO()
    pq.write_table(wrong, buffer)
    s3.put_object(Bucket="ex24-emr", Key="output/daily_revenue/part-0.parquet", Body=buffer.getvalue())
    result = run_check(get(24), own)
    assert not result.passed
    days = orders[orders["status"] == "completed"]["order_ts"].dt.strftime("%Y-%m-%d").nunique()
    assert len(result.problems) == 1 and result.problems[0].startswith(
        f"the output has 1 day(s) for {days} days of completed orders, and {days} day(s) with a revenue that is not the "
        "sum of that day's completed orders"), result.problems


def test_ex31_policy_without_the_kms_deny_lets_a_plain_upload_through(own):
    s3 = own.client("s3")
    s3.create_bucket(Bucket="ex31-confidential")
    s3.put_bucket_policy(Bucket="ex31-confidential", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::ex31-confidential", "arn:aws:s3:::ex31-confidential/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    result = run_check(get(31), own)
    assert not result.passed
    assert result.problems == [
        "no Deny statement for s3:PutObject with the condition StringNotEquals s3:x-amz-server-side-encryption = "
        "aws:kms: uploads without SSE-KMS are still allowed",
        "an upload without SSE-KMS still succeeds: the policy does not deny it"], result.problems
    assert "requests without TLS are denied" in result.confirmed
    assert s3.list_objects_v2(Bucket="ex31-confidential").get("KeyCount", 0) == 0   # the probe was removed
