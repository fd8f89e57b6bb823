"""The local process runtime (emulators.core.jobs), without a server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from emulators.core import jobs
from tests.helpers.processes import alive as _alive

PY = sys.executable


def _spec(tmp_path: Path, code: str, **kwargs) -> jobs.ProcessSpec:
    env = jobs.child_environment("http://127.0.0.1:4566", "eu-west-1")
    return jobs.ProcessSpec([PY, "-c", code], tmp_path, env, tmp_path / "stdout", **kwargs)


# a parent that starts a grandchild (its own child runs `sleep`), prints the grandchild's pid, then waits
FAMILY = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, '-c', 'import subprocess; subprocess.run(["sleep", "300"])'])
time.sleep(0.5)
import os
print('child', child.pid, flush=True)
time.sleep(300)
"""


def _family_pids(tmp_path: Path) -> list[int]:
    text = (tmp_path / "stdout").read_text()
    child = int(text.split("child ")[1].split()[0])
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(child)], capture_output=True, text=True).stdout
    return [child] + [int(p) for p in out.split()]


@pytest.fixture
def reg() -> jobs.ProcessRegistry:
    registry = jobs.ProcessRegistry("test")
    registry.open()
    return registry


def test_exit_code_output_and_tail(tmp_path, reg):
    outcome = jobs.run(_spec(tmp_path, "import sys; print('one'); print('two', file=sys.stderr); sys.exit(3)"),
                       reg, "k")
    assert outcome.exit_code == 3
    assert not (outcome.timed_out or outcome.stopped or outcome.refused)
    assert outcome.tail == ["one", "two"]
    assert (tmp_path / "stdout").read_text() == "one\ntwo\n"


def test_stderr_to_its_own_file(tmp_path, reg):
    spec = _spec(tmp_path, "import sys; print('out'); print('err', file=sys.stderr)",
                 stderr_path=tmp_path / "stderr")
    assert jobs.run(spec, reg, "k").succeeded
    assert (tmp_path / "stdout").read_text() == "out\n"
    assert (tmp_path / "stderr").read_text() == "err\n"


def test_lines_stream_while_the_process_runs(tmp_path, reg):
    seen: list[str] = []
    first_seen = threading.Event()

    def on_line(line: str) -> None:
        seen.append(line)
        first_seen.set()

    # the process only ends once the runtime handed its first line over (it waits for a file we write)
    flag = tmp_path / "go"
    code = f"import os, time\nprint('first')\nwhile not os.path.exists({str(flag)!r}): time.sleep(0.05)\nprint('last')"

    def release() -> None:
        first_seen.wait(60)
        flag.write_text("")

    helper = threading.Thread(target=release)
    helper.start()
    outcome = jobs.run(_spec(tmp_path, code, on_line=on_line, timeout=120), reg, "k")
    helper.join()
    assert outcome.succeeded
    assert seen == ["first", "last"]


@pytest.mark.slow
def test_timeout_kills_grandchildren(tmp_path, reg):
    outcome = jobs.run(_spec(tmp_path, FAMILY, timeout=3, grace=1), reg, "k")
    assert outcome.timed_out and not outcome.stopped
    assert outcome.exit_code != 0
    pids = _family_pids(tmp_path)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
    assert reg.running() == []


def test_stop_kills_the_whole_group(tmp_path, reg):
    result: dict[str, jobs.ProcessOutcome] = {}
    thread = threading.Thread(target=lambda: result.setdefault("o", jobs.run(_spec(tmp_path, FAMILY), reg, "run-1")))
    thread.start()
    deadline = time.monotonic() + 60
    while "child" not in ((tmp_path / "stdout").read_text() if (tmp_path / "stdout").exists() else ""):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert reg.running() == ["run-1"]
    assert reg.stop("run-1") is True
    thread.join(60)
    assert result["o"].stopped and not result["o"].timed_out
    pids = _family_pids(tmp_path)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def test_sigterm_ignored_means_sigkill_after_grace(tmp_path, reg):
    code = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(300)"
    outcome = jobs.run(_spec(tmp_path, code, timeout=2, grace=0.5), reg, "k")
    assert outcome.timed_out
    assert outcome.exit_code == -9


def test_stop_before_start_does_not_start(tmp_path, reg):
    reg.stop("early")
    outcome = jobs.run(_spec(tmp_path, "print('ran')"), reg, "early")
    assert outcome.stopped and outcome.exit_code is None and not outcome.refused
    assert not (tmp_path / "stdout").exists()
    assert not reg.stop_requested("early")


def test_refused_while_stopping(tmp_path, reg):
    reg.stop_all()
    outcome = jobs.run(_spec(tmp_path, "print('ran')"), reg, "k")
    assert outcome.refused and outcome.exit_code is None
    assert not (tmp_path / "stdout").exists()
    reg.open()
    assert jobs.run(_spec(tmp_path, "print('ran')"), reg, "k").succeeded


def test_refused_by_the_stopping_probe(tmp_path):
    registry = jobs.ProcessRegistry("probe")
    registry.open(stopping=lambda: True)
    assert jobs.run(_spec(tmp_path, "print('ran')"), registry, "k").refused


def test_stop_all_ends_running_processes(tmp_path, reg):
    results: list[jobs.ProcessOutcome] = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        jobs.run(_spec(tmp_path / str(i), "import time; print('up', flush=True); time.sleep(300)"), reg, i)))
        for i in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(reg.running()) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    reg.stop_all()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2 and all(o.stopped for o in results)


def test_a_process_started_while_stopping_is_killed_at_once(tmp_path, reg):
    """The launcher hands over a process just as shutdown begins: it is ended, not left running."""
    started: list[subprocess.Popen] = []

    def launcher(spec: jobs.ProcessSpec) -> subprocess.Popen:
        process = subprocess.Popen([PY, "-c", "import time; time.sleep(300)"], start_new_session=True,
                                   stdout=subprocess.DEVNULL)
        started.append(process)
        reg.stop_all()  # shutdown runs between the start and the registration
        return process

    outcome = jobs.run(_spec(tmp_path, "unused", launcher=launcher), reg, "k")
    assert outcome.stopped
    assert started[0].poll() is not None


def test_launcher_hands_over_a_running_process(tmp_path, reg):
    calls: list[jobs.ProcessSpec] = []

    def launcher(spec: jobs.ProcessSpec) -> subprocess.Popen:
        calls.append(spec)
        with open(spec.stdout_path, "wb") as out:
            return subprocess.Popen([PY, "-c", "print('warm')"], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)

    lines: list[str] = []
    outcome = jobs.run(_spec(tmp_path, "print('cold')", launcher=launcher, on_line=lines.append), reg, "k")
    assert calls and outcome.succeeded
    assert outcome.tail == ["warm"] and lines == ["warm"]


def test_launcher_returning_none_means_cold_start(tmp_path, reg):
    outcome = jobs.run(_spec(tmp_path, "print('cold')", launcher=lambda spec: None), reg, "k")
    assert outcome.succeeded and outcome.tail == ["cold"]


def test_command_that_cannot_start(tmp_path, reg):
    env = jobs.child_environment("http://127.0.0.1:4566", "us-east-1")
    spec = jobs.ProcessSpec(["/nonexistent/binary"], tmp_path, env, tmp_path / "stdout")
    outcome = jobs.run(spec, reg, "k")
    assert outcome.exit_code == 127 and outcome.start_error
    assert "cannot start" in (tmp_path / "stdout").read_text()


def test_should_stop_probe(tmp_path, reg):
    outcome = jobs.run(_spec(tmp_path, "import time; time.sleep(300)", should_stop=lambda: True), reg, "k")
    assert outcome.stopped


def test_child_environment(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.amazonaws.com")
    monkeypatch.setenv("NO_PROXY", "corp.example")
    monkeypatch.setenv("SOME_SETTING", "kept")
    env = jobs.child_environment("http://127.0.0.1:4566", "eu-west-1", {"EMR_STEP_ID": "s-1"},
                                 user={"MY_VAR": "1", "AWS_ENDPOINT_URL": "https://elsewhere"})
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_ACCESS_KEY_ID"] == "test" and env["AWS_SECRET_ACCESS_KEY"] == "test"
    assert "AWS_SESSION_TOKEN" not in env and "AWS_PROFILE" not in env and "AWS_ENDPOINT_URL_S3" not in env
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert set(env["NO_PROXY"].split(",")) >= {"corp.example", "127.0.0.1", "localhost"}
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["MLFLOW_DISABLE_TELEMETRY"] == "true"  # nothing a job runs phones home
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(jobs.PROJECT_ROOT)
    assert env["SOME_SETTING"] == "kept" and env["MY_VAR"] == "1" and env["EMR_STEP_ID"] == "s-1"
    only = jobs.child_environment("http://127.0.0.1:4566", "eu-west-1", inherit=("HOME",))
    assert "SOME_SETTING" not in only


def test_restart_recovery_wording():
    failed: list[tuple[str, str]] = []
    items = [("a", "RUNNING"), ("b", "SUCCEEDED"), ("c", "STARTING")]
    settled = jobs.settle_interrupted(items, lambda i: i[1] in ("RUNNING", "STARTING"),
                                      lambda i, reason: failed.append((i[0], reason)), what="job run")
    assert [i[0] for i in settled] == ["a", "c"]
    assert failed[0][1] == jobs.interrupted("job run")
    assert "sandbox stopped while this job run was running" in failed[0][1]
