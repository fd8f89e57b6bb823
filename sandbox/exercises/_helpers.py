"""Small AWS look-ups shared by the checks and the reference solutions."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
ROLE_GLUE = f"arn:aws:iam::{ACCOUNT}:role/exercise-glue"
ROLE_SAGEMAKER = f"arn:aws:iam::{ACCOUNT}:role/exercise-sagemaker"
ROLE_REDSHIFT = f"arn:aws:iam::{ACCOUNT}:role/exercise-redshift"
ROLE_STATES = f"arn:aws:iam::{ACCOUNT}:role/exercise-states"


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except ClientError as exc:
        if error_code(exc) in ("404", "NoSuchBucket", "NotFound", "403"):
            return False
        raise


def need_bucket(g: Any, bucket: str) -> Any:
    s3 = g.client("s3")
    g.need(bucket_exists(s3, bucket), f"bucket {bucket} does not exist (s3.create_bucket(Bucket='{bucket}'))",
           f"bucket {bucket} exists")
    return s3


def list_keys(s3: Any, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        items.extend(page.get("Contents", []))
    return items


def empty_prefix(s3: Any, bucket: str, prefix: str) -> None:
    for item in list_keys(s3, bucket, prefix):
        s3.delete_object(Bucket=bucket, Key=item["Key"])


def ensure_bucket(s3: Any, bucket: str) -> None:
    if not bucket_exists(s3, bucket):
        s3.create_bucket(Bucket=bucket)


def wait_until(describe: Any, done: Any, timeout: float, what: str, interval: float = 0.3) -> Any:
    """Call ``describe()`` until ``done(result)`` is true; bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = describe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not finish within {timeout:.0f} s")
        time.sleep(interval)


def not_found(exc: ClientError) -> bool:
    code = error_code(exc)
    return code.endswith("NotFoundException") or code in (
        "ResourceNotFound", "ResourceNotFoundException", "ValidationException", "NoSuchEntity",
        "InvalidRequestException", "ClusterNotFound", "StateMachineDoesNotExist", "NoSuchKey", "404")


def lookup(call: Any, **kwargs: Any) -> Any | None:
    """``call(**kwargs)``, or None when AWS says the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if not_found(exc):
            return None
        raise


def athena_query(athena: Any, sql: str, database: str | None, output: str | None, timeout: float = 120,
                 workgroup: str | None = None) -> dict[str, Any]:
    """Run one Athena query to the end; raises with Athena's reason when it fails."""
    kwargs: dict[str, Any] = {"QueryString": sql}
    if database:
        kwargs["QueryExecutionContext"] = {"Database": database}
    if output:
        kwargs["ResultConfiguration"] = {"OutputLocation": output}
    if workgroup:
        kwargs["WorkGroup"] = workgroup
    qid = athena.start_query_execution(**kwargs)["QueryExecutionId"]
    execution = wait_until(lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"],
                           lambda e: e["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"),
                           timeout, "the Athena query", interval=0.1)
    if execution["Status"]["State"] != "SUCCEEDED":
        raise RuntimeError(f"query failed: {execution['Status'].get('StateChangeReason')}\n{sql}")
    return execution


def redshift_sql(data: Any, cluster: str, sql: str, database: str = "dev", user: str = "awsuser",
                 timeout: float = 120) -> dict[str, Any]:
    """Run one Redshift Data API statement to the end; raises with the error when it fails."""
    statement = data.execute_statement(ClusterIdentifier=cluster, Database=database, DbUser=user, Sql=sql)["Id"]
    described = wait_until(lambda: data.describe_statement(Id=statement),
                           lambda d: d["Status"] in ("FINISHED", "FAILED", "ABORTED"), timeout,
                           "the Redshift statement", interval=0.1)
    if described["Status"] != "FINISHED":
        raise RuntimeError(f"Redshift statement {described['Status']}: {described.get('Error')}\n{sql}")
    return described


ROLE_LAMBDA_NAME = "exercise-lambda"
ROLE_LAMBDA = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_LAMBDA_NAME}"


def ensure_lambda_role(aws: Any) -> str:
    """The execution role the reference solutions give their functions (CreateFunction checks it exists)."""
    import json

    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}
    try:
        iam.create_role(RoleName=ROLE_LAMBDA_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    return ROLE_LAMBDA


def zip_code(files: dict[str, str]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def ensure_function(aws: Any, name: str, code: str, **settings: Any) -> str:
    """Create the Python function ``name`` (handler ``app.handler``) or replace its code; returns its ARN."""
    lam = aws.client("lambda")
    archive = zip_code({"app.py": code})
    found = lookup(lam.get_function, FunctionName=name)
    if found:
        lam.update_function_code(FunctionName=name, ZipFile=archive)
        if settings:
            lam.update_function_configuration(FunctionName=name, **settings)
        return found["Configuration"]["FunctionArn"]
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=ensure_lambda_role(aws),
                               Handler="app.handler", Code={"ZipFile": archive}, **settings)["FunctionArn"]


def read_parquet_prefix(s3: Any, bucket: str, prefix: str, keys: list[str] | None = None) -> Any:
    """All Parquet files under a prefix as one Arrow table; None when there is none (other files are skipped)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    if keys is None:
        keys = [o["Key"] for o in list_keys(s3, bucket, prefix) if o["Size"] > 0]
    tables = []
    for key in keys:
        try:
            tables.append(pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())))
        except Exception:  # noqa: BLE001 - not Parquet (a _SUCCESS marker, a log): skipped
            continue
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def check_daily_revenue(g: Any, s3: Any, bucket: str, source: str, output: str) -> None:
    """The Parquet under ``output`` must be, per day (``day``), the revenue (sum of ``amount``) of the completed
    orders under ``source``; used by the exercises whose Spark job computes it (EMR, EMR Serverless, Glue)."""
    parquet = [o["Key"] for o in list_keys(s3, bucket, output) if o["Key"].endswith(".parquet")]
    g.need(parquet, f"no Parquet files under s3://{bucket}/{output}")
    written = read_parquet_prefix(s3, bucket, output, parquet)
    g.need(written is not None and {"day", "revenue"} <= set(written.column_names),
           f"the output's columns are {written.column_names if written is not None else 'unreadable'}; expected "
           "day and revenue")
    orders = read_parquet_prefix(s3, bucket, source)
    g.need(orders is not None and {"order_ts", "amount", "status"} <= set(orders.column_names),
           f"no orders (order_ts, amount, status) under s3://{bucket}/{source}: the job's input must be there")
    frame = orders.select(["order_ts", "amount", "status"]).to_pandas()
    completed = frame[frame["status"] == "completed"]
    expected = completed.groupby(completed["order_ts"].dt.strftime("%Y-%m-%d"))["amount"].sum()
    table = written.to_pandas()
    got = dict(zip(table["day"].astype(str).str[:10], table["revenue"].astype(float)))
    wrong = [day for day, revenue in expected.items() if abs(got.get(day, -1.0) - revenue) > 0.01 + 1e-6 * revenue]
    g.expect(len(got) == len(expected) and not wrong,
             f"the output has {len(got)} day(s) for {len(expected)} days of completed orders, and "
             f"{len(wrong)} day(s) with a revenue that is not the sum of that day's completed orders "
             f"(e.g. {wrong[:2]})", f"{len(got)} days, each the revenue of that day's completed orders")
