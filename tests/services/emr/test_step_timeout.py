"""The sandbox's step limit (EMR itself has no step timeout): a step over it is ended and FAILED, saying why."""

from __future__ import annotations

import time

import pytest

from tests.helpers.waiting import wait_for_emr_step as wait_for_step

from .test_emr_steps import spark_step

pytestmark = pytest.mark.slow


@pytest.fixture
def short_step_limit_cloud(monkeypatch, tmp_path):
    from tests.helpers.cloud import PrivateCloud

    monkeypatch.setenv("SANDBOX_EMR_STEP_TIMEOUT_SECONDS", "5")
    cloud = PrivateCloud(tmp_path / "state")
    cloud.up()
    try:
        yield cloud
    finally:
        cloud.down()


def test_a_step_over_the_sandbox_limit_fails_with_the_reason(short_step_limit_cloud):
    s3, emr = short_step_limit_cloud.client("s3"), short_step_limit_cloud.client("emr")
    s3.create_bucket(Bucket="steps")
    s3.put_object(Bucket="steps", Key="slow.py", Body=b"import time\nprint('sleeping', flush=True)\ntime.sleep(600)\n")
    s3.put_object(Bucket="steps", Key="quick.py", Body=b"print('next')\n")
    cluster = emr.run_job_flow(
        Name="limit", ReleaseLabel="emr-7.1.0", Applications=[{"Name": "Spark"}], JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True},
    )["JobFlowId"]
    slow, quick = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[
        spark_step("slow", "s3://steps/slow.py"), spark_step("quick", "s3://steps/quick.py")])["StepIds"]
    started = time.monotonic()
    step = wait_for_step(emr, cluster, slow, timeout=240)
    assert time.monotonic() - started < 200  # ended by the limit, not by the script's own 600 s
    assert step["Status"]["State"] == "FAILED"
    details = step["Status"]["FailureDetails"]
    assert details["Reason"] == "Step timed out."
    assert "step limit of 5 seconds" in details["Message"]
    assert "SANDBOX_EMR_STEP_TIMEOUT_SECONDS" in details["Message"]
    # CONTINUE: the queue goes on (the next step meets the same 5 s limit, which a JVM start alone can exceed)
    assert wait_for_step(emr, cluster, quick)["Status"]["State"] in ("COMPLETED", "FAILED")
