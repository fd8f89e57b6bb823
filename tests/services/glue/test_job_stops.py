"""BatchStopJobRun ends a running Glue job run, and everything its script started (the job runtime's group stop)."""

from __future__ import annotations

import time

import pytest

from tests.helpers.waiting import wait_for
from tests.helpers.processes import alive as _alive

pytestmark = pytest.mark.slow
ROLE = "arn:aws:iam::123456789012:role/glue-etl"
SLEEPER = '''
import subprocess, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
child = subprocess.Popen(["sleep", "300"])
open(args["--pid_file"], "w").write(str(child.pid))
time.sleep(300)
'''


def test_batch_stop_job_run_stops_the_run_and_its_children(aws, s3_bucket, unique_name, tmp_path):
    glue, s3 = aws.client("glue"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="scripts/sleeper.py", Body=SLEEPER.encode())
    glue.create_job(Name=unique_name, Role=ROLE, GlueVersion="4.0",
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{s3_bucket}/scripts/sleeper.py"})
    pid_file = tmp_path / "child.pid"
    run_id = glue.start_job_run(JobName=unique_name, Arguments={"--pid_file": str(pid_file)})["JobRunId"]
    child = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), timeout=120))
    answer = glue.batch_stop_job_run(JobName=unique_name, JobRunIds=[run_id, "jr_unknown"])
    assert answer["SuccessfulSubmissions"] == [{"JobName": unique_name, "JobRunId": run_id}]
    assert [e["JobRunId"] for e in answer["Errors"]] == ["jr_unknown"]
    run = wait_for(lambda: (r := glue.get_job_run(JobName=unique_name, RunId=run_id)["JobRun"])["JobRunState"]
                   in ("STOPPED", "FAILED", "SUCCEEDED") and r, timeout=60)
    assert run["JobRunState"] == "STOPPED"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.2)
    assert not _alive(child)
