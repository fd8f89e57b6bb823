"""EMR steps really run: a PySpark script from S3 reads s3:// input and writes s3:// output."""

from __future__ import annotations

import gzip
import io
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from tests.helpers.waiting import wait_for_emr_step as wait_for_step

pytestmark = pytest.mark.slow

SCRIPT = """
import sys
from pyspark.sql import SparkSession, functions as F

source, target = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.appName("sales-by-country").getOrCreate()
orders = spark.read.option("header", True).option("inferSchema", True).csv(source)
summary = orders.groupBy("country").agg(F.sum("amount").alias("revenue"), F.count("*").alias("orders"))
summary.write.mode("overwrite").partitionBy("country").parquet(target)
print("wrote", summary.count(), "countries")
"""

FAILING = """
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
raise ValueError("bad input data: no amount column")
"""



def spark_step(name, script_uri, *args, on_failure="CONTINUE"):
    return {"Name": name, "ActionOnFailure": on_failure,
            "HadoopJarStep": {"Jar": "command-runner.jar",
                              "Args": ["spark-submit", "--deploy-mode", "cluster", "--conf",
                                       "spark.sql.shuffle.partitions=2", script_uri, *args]}}


@pytest.fixture
def cluster(aws, s3_bucket):
    emr = aws.client("emr")
    cluster_id = emr.run_job_flow(
        Name="sandbox-test", ReleaseLabel="emr-7.1.0", LogUri=f"s3://{s3_bucket}/emr-logs/",
        Applications=[{"Name": "Spark"}], JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True},
    )["JobFlowId"]
    yield cluster_id
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_spark_step_reads_and_writes_s3(aws, s3_bucket, cluster):
    s3, emr = aws.client("s3"), aws.client("emr")
    frame = pd.DataFrame({"order_id": range(12), "country": ["US", "DE", "FR"] * 4,
                          "amount": [10.0, 20.0, 30.0, 1.5] * 3})
    s3.put_object(Bucket=s3_bucket, Key="input/orders.csv", Body=frame.to_csv(index=False).encode())
    s3.put_object(Bucket=s3_bucket, Key="jobs/summary.py", Body=SCRIPT.encode())
    step_id = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[spark_step(
        "summary", f"s3://{s3_bucket}/jobs/summary.py", f"s3://{s3_bucket}/input/", f"s3://{s3_bucket}/output/")])[
        "StepIds"][0]
    step = wait_for_step(emr, cluster, step_id)
    assert step["Status"]["State"] == "COMPLETED", step["Status"]

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="output/")["Contents"]]
    assert any(k.startswith("output/country=DE/") and k.endswith(".parquet") for k in keys), keys
    got = {}
    for key in keys:
        if key.endswith(".parquet"):
            table = pq.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()))
            country = key.split("country=")[1].split("/")[0]
            got[country] = table.to_pandas()["revenue"].sum()
    want = frame.groupby("country")["amount"].sum().to_dict()
    assert got == pytest.approx(want)

    log_key = f"emr-logs/{cluster}/steps/{step_id}/stdout.gz"
    stdout = gzip.decompress(s3.get_object(Bucket=s3_bucket, Key=log_key)["Body"].read()).decode()
    assert "wrote 3 countries" in stdout
    assert emr.describe_cluster(ClusterId=cluster)["Cluster"]["Status"]["State"] == "WAITING"


def test_failing_script_fails_the_step_with_its_message(aws, s3_bucket, cluster):
    s3, emr = aws.client("s3"), aws.client("emr")
    s3.put_object(Bucket=s3_bucket, Key="jobs/fail.py", Body=FAILING.encode())
    ids = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[
        spark_step("fails", f"s3://{s3_bucket}/jobs/fail.py", on_failure="CANCEL_AND_WAIT"),
        {"Name": "never runs", "ActionOnFailure": "CONTINUE",
         "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", f"s3://{s3_bucket}/jobs/fail.py"]}},
    ])["StepIds"]
    failed = wait_for_step(emr, cluster, ids[0])
    assert failed["Status"]["State"] == "FAILED"
    assert "bad input data: no amount column" in failed["Status"]["FailureDetails"]["Message"]
    assert failed["Status"]["FailureDetails"]["LogFile"].endswith("stderr.gz")
    assert emr.describe_step(ClusterId=cluster, StepId=ids[1])["Step"]["Status"]["State"] == "CANCELLED"


def test_unsupported_steps_fail_clearly(aws, cluster):
    emr = aws.client("emr")
    step_id = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[{
        "Name": "hive", "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["hive-script", "--run-hive-script", "s3://x/q.sql"]}}])[
        "StepIds"][0]
    step = wait_for_step(emr, cluster, step_id, timeout=30)
    assert step["Status"]["State"] == "FAILED"
    assert "not emulated" in step["Status"]["FailureDetails"]["Message"]


def test_transient_cluster_terminates_after_its_steps(aws, s3_bucket):
    s3, emr = aws.client("s3"), aws.client("emr")
    s3.put_object(Bucket=s3_bucket, Key="jobs/noop.py", Body=b"print('hello from EMR')\n")
    cluster_id = emr.run_job_flow(
        Name="transient", ReleaseLabel="emr-7.1.0", JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": False},
        Steps=[spark_step("noop", f"s3://{s3_bucket}/jobs/noop.py")])["JobFlowId"]
    step_id = emr.list_steps(ClusterId=cluster_id)["Steps"][0]["Id"]
    assert wait_for_step(emr, cluster_id, step_id)["Status"]["State"] == "COMPLETED"
    deadline = time.monotonic() + 10
    while emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] != "TERMINATED":
        assert time.monotonic() < deadline, "the transient cluster did not terminate"
        time.sleep(0.2)


def test_steps_on_a_terminated_cluster_are_refused(aws):
    from botocore.exceptions import ClientError

    emr = aws.client("emr")
    cluster_id = emr.run_job_flow(Name="gone", ReleaseLabel="emr-7.1.0", JobFlowRole="r", ServiceRole="r",
                                  Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1,
                                             "KeepJobFlowAliveWhenNoSteps": True})["JobFlowId"]
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    with pytest.raises(ClientError) as exc:
        emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[spark_step("late", "s3://b/x.py")])
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_cancel_steps_cancels_pending_steps(aws, s3_bucket, cluster):
    emr, s3 = aws.client("emr"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="scripts/slow.py", Body=b"import time\ntime.sleep(3)\nprint('done')\n")
    first, second = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[
        spark_step("slow", f"s3://{s3_bucket}/scripts/slow.py"),
        spark_step("later", f"s3://{s3_bucket}/scripts/slow.py")])["StepIds"]
    answers = {a["StepId"]: a for a in emr.cancel_steps(ClusterId=cluster, StepIds=[second, "s-NOSUCHSTEP"])[
        "CancelStepsInfoList"]}
    assert answers[second]["Status"] == "SUBMITTED"
    assert answers["s-NOSUCHSTEP"]["Status"] == "FAILED"
    assert emr.describe_step(ClusterId=cluster, StepId=second)["Step"]["Status"]["State"] == "CANCELLED"
    assert wait_for_step(emr, cluster, first)["Status"]["State"] == "COMPLETED"
    time.sleep(1)
    assert emr.describe_step(ClusterId=cluster, StepId=second)["Step"]["Status"]["State"] == "CANCELLED"
    with pytest.raises(Exception) as missing:
        emr.describe_step(ClusterId=cluster, StepId="s-NOSUCHSTEP")
    assert missing.value.response["Error"]["Code"] == "InvalidRequestException"
    with pytest.raises(Exception) as no_cluster:
        emr.describe_step(ClusterId="j-NOSUCHCLUSTER", StepId=first)
    assert no_cluster.value.response["Error"]["Code"] == "InvalidRequestException"


def _processes_with_env(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (e.g. ``EMR_STEP_ID=s-...``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if marker.encode() in environ and stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


FOREVER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write(f"{os.getpid()} {child.pid}")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
print("started", flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


@pytest.mark.parametrize("option", ["SEND_INTERRUPT", "TERMINATE_PROCESS"])
def test_cancel_steps_ends_a_running_step_and_its_processes(aws, s3_bucket, cluster, option, tmp_path):
    """EMR 5.28+: CancelSteps reaches RUNNING steps; the step's driver and what it started all end."""
    emr, s3 = aws.client("emr"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="scripts/forever.py", Body=FOREVER.encode())
    s3.put_object(Bucket=s3_bucket, Key="scripts/quick.py", Body=b"print('after the cancelled step')\n")
    pid_file = tmp_path / "pids"
    running, after = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[
        spark_step("forever", f"s3://{s3_bucket}/scripts/forever.py", str(pid_file)),
        spark_step("after", f"s3://{s3_bucket}/scripts/quick.py")])["StepIds"]
    deadline = time.monotonic() + 180
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the step's script never started"
        time.sleep(0.5)
    pids = [int(p) for p in pid_file.read_text().split()]
    assert all(_running(p) for p in pids)
    assert emr.describe_step(ClusterId=cluster, StepId=running)["Step"]["Status"]["State"] == "RUNNING"

    answers = emr.cancel_steps(ClusterId=cluster, StepIds=[running], StepCancellationOption=option)[
        "CancelStepsInfoList"]
    assert answers == [{"StepId": running, "Status": "SUBMITTED", "Reason": ""}]
    step = wait_for_step(emr, cluster, running, timeout=120)
    assert step["Status"]["State"] == "CANCELLED", step["Status"]
    deadline = time.monotonic() + 30
    marker = f"EMR_STEP_ID={running}"
    while any(_running(p) for p in pids) or _processes_with_env(marker):
        assert time.monotonic() < deadline, "processes of the cancelled step remain"
        time.sleep(0.5)
    # the queue goes on after a cancelled step
    assert wait_for_step(emr, cluster, after)["Status"]["State"] == "COMPLETED"
    # a finished step cannot be cancelled again
    again = emr.cancel_steps(ClusterId=cluster, StepIds=[running])["CancelStepsInfoList"][0]
    assert again["Status"] == "FAILED"
