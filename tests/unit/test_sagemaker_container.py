"""SageMaker's container helpers without a server: S3 URIs and processes on the job runtime."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from emulators.sagemaker import container
from tests.helpers.processes import alive as _alive


def test_s3_uris_parse_and_join():
    assert container.parse_s3_uri("s3://bucket/some/key") == ("bucket", "some/key")
    assert container.parse_s3_uri("s3://bucket") == ("bucket", "")
    assert container.join_s3("s3://b/prefix/", "job", "/output") == "s3://b/prefix/job/output"
    for bad in ("", "/opt/ml/model", "s3:///key", "https://b/k"):
        with pytest.raises(container.ContainerError):
            container.parse_s3_uri(bad)


def test_output_is_appended_and_streamed(tmp_path):
    log = tmp_path / "output.log"
    log.write_text("earlier\n")
    seen: list[str] = []
    outcome = container.run_process([sys.executable, "-c", "import sys; print('one'); print('two', file=sys.stderr)"],
                                    tmp_path, container.base_environment("http://127.0.0.1:1", "eu-west-1"), log,
                                    on_line=seen.append)
    assert outcome.exit_code == 0 and not (outcome.stopped or outcome.timed_out)
    assert log.read_text() == "earlier\none\ntwo\n"
    assert seen == ["one", "two"]


def test_a_command_that_cannot_start_is_exit_127(tmp_path):
    outcome = container.run_process(["no-such-program-here"], tmp_path, {"PATH": "/usr/bin"}, tmp_path / "log")
    assert outcome.exit_code == 127 and "cannot start" in (tmp_path / "log").read_text()


def test_max_runtime_ends_the_whole_process_group(tmp_path):
    script = ("import subprocess, time; child = subprocess.Popen(['sleep', '300']); "
              "print(child.pid, flush=True); time.sleep(300)")
    outcome = container.run_process([sys.executable, "-c", script], tmp_path, {"PATH": "/usr/bin"},
                                    tmp_path / "log", max_seconds=1)
    assert outcome.timed_out and outcome.exit_code != 0
    assert not _alive(int((tmp_path / "log").read_text().split()[0]))


def test_kill_process_group_ends_a_started_process_and_its_children(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", "import subprocess, time; "
                                "c = subprocess.Popen(['sleep', '300']); print(c.pid, flush=True); time.sleep(300)"],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    child = int(process.stdout.readline())
    container.kill_process_group(process)
    assert process.poll() is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def test_the_job_environment_is_the_runtimes(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "real")
    env = container.base_environment("http://127.0.0.1:9", "eu-west-1")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9" and env["AWS_REGION"] == "eu-west-1"
    assert "AWS_PROFILE" not in env and env["PATH"].split(":")[0] == str(Path(sys.executable).parent)


