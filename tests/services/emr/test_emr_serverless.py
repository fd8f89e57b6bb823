"""EMR Serverless job runs really run their PySpark entry point (moto marked them SUCCESS at once)."""

from __future__ import annotations

import gzip
import io
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from .test_emr_steps import SCRIPT

pytestmark = pytest.mark.slow

ROLE = "arn:aws:iam::123456789012:role/emr-serverless-job"


def wait_for_run(client, application_id, run_id, timeout=180):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        run = client.get_job_run(applicationId=application_id, jobRunId=run_id)["jobRun"]
        if not seen or seen[-1] != run["state"]:
            seen.append(run["state"])
        if run["state"] in ("SUCCESS", "FAILED", "CANCELLED"):
            return run, seen
        time.sleep(0.3)
    raise AssertionError(f"job run {run_id} still {seen[-1]} after {timeout} s")


def test_spark_job_run_reads_and_writes_s3_and_a_failing_script_fails(aws, s3_bucket):
    s3, client = aws.client("s3"), aws.client("emr-serverless")
    orders = pd.DataFrame({"country": ["DE", "FR", "DE", "IT"], "amount": [10.0, 5.0, 2.5, 4.0]})
    s3.put_object(Bucket=s3_bucket, Key="in/orders.csv", Body=orders.to_csv(index=False).encode())
    s3.put_object(Bucket=s3_bucket, Key="code/job.py", Body=SCRIPT.encode())
    app = client.create_application(name="analytics", releaseLabel="emr-7.1.0", type="SPARK")["applicationId"]

    def start(entry_point, *arguments):
        return client.start_job_run(
            applicationId=app, executionRoleArn=ROLE, name="by-country",
            jobDriver={"sparkSubmit": {"entryPoint": entry_point, "entryPointArguments": list(arguments),
                                       "sparkSubmitParameters": "--conf spark.sql.shuffle.partitions=2"}},
            configurationOverrides={"monitoringConfiguration": {
                "s3MonitoringConfiguration": {"logUri": f"s3://{s3_bucket}/logs/"}}})["jobRunId"]

    run_id = start(f"s3://{s3_bucket}/code/job.py", f"s3://{s3_bucket}/in/", f"s3://{s3_bucket}/out/")
    assert client.get_job_run(applicationId=app, jobRunId=run_id)["jobRun"]["state"] != "SUCCESS"
    with pytest.raises(ClientError) as exc:  # running jobs must finish (or be cancelled) before StopApplication
        client.stop_application(applicationId=app)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    run, seen = wait_for_run(client, app, run_id)
    assert run["state"] == "SUCCESS", run.get("stateDetails")
    assert "RUNNING" in seen
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="out/")["Contents"]]
    written = pd.concat(pq.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=k)["Body"].read())).to_pandas()
                        .assign(country=k.split("country=")[1].split("/")[0])
                        for k in keys if k.endswith(".parquet"))
    revenue = dict(zip(written.country, written.revenue))
    assert revenue == {"DE": 12.5, "FR": 5.0, "IT": 4.0}
    log_key = f"logs/applications/{app}/jobs/{run_id}/SPARK_DRIVER/stdout.gz"
    assert b"wrote 3 countries" in gzip.decompress(s3.get_object(Bucket=s3_bucket, Key=log_key)["Body"].read())

    # a failing script (this one fails before starting Spark, to keep the test short)
    s3.put_object(Bucket=s3_bucket, Key="code/failing.py", Body=b"raise ValueError('bad input data: no amount')\n")
    failed, _ = wait_for_run(client, app, start(f"s3://{s3_bucket}/code/failing.py"))
    assert failed["state"] == "FAILED"
    assert "ValueError: bad input data: no amount" in failed["stateDetails"]
    with pytest.raises(ClientError) as exc:
        client.cancel_job_run(applicationId=app, jobRunId=run_id)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        client.start_job_run(applicationId=app, executionRoleArn=ROLE,
                             jobDriver={"sparkSubmit": {"entryPoint": f"s3://{s3_bucket}/code/app.jar"}})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert "only PySpark scripts" in exc.value.response["Error"]["Message"]
