"""EMR's step engine on the job runtime, without a server: timeouts end the whole step process tree."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from emulators.core import jobs
from emulators.emr import steps

# a stand-in for spark-submit: a leader whose child (the "JVM") starts the "driver"
TREE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, '-c', 'import subprocess, sys; subprocess.run([sys.executable, "-c", "import time; time.sleep(600)"])'])
print('child', child.pid, flush=True)
time.sleep(600)
"""


def _alive_with(marker: str) -> list[int]:
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


@pytest.mark.slow
def test_step_timeout_ends_every_process_of_the_step(tmp_path):
    marker_value = f"s-TIMEOUT{time.monotonic_ns()}"
    env = steps.step_environment("http://127.0.0.1:4566", "us-east-1", tmp_path, {"EMR_STEP_ID": marker_value})
    assert env["PYSPARK_PYTHON"] == sys.executable and env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    registry = jobs.ProcessRegistry("emr-test")
    registry.open()
    result = steps.run_step([sys.executable, "-c", TREE], tmp_path, env, timeout=3, registry=registry,
                            key=marker_value)
    assert result.timed_out and not result.stopped
    assert result.stdout.startswith("child ")
    deadline = time.monotonic() + 10
    while _alive_with(f"EMR_STEP_ID={marker_value}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_with(f"EMR_STEP_ID={marker_value}") == []


def test_failure_message_is_the_raised_exception(tmp_path):
    env = steps.step_environment("http://127.0.0.1:4566", "us-east-1", tmp_path)
    result = steps.run_step([sys.executable, "-c", "raise ValueError('bad input')"], tmp_path, env)
    assert result.exit_code == 1 and not result.timed_out
    assert result.failure_message == "ValueError: bad input"
