"""The Lambda runner without a server: a handler runs in its own process on the job runtime."""

from __future__ import annotations

import json
import time
from pathlib import Path

from emulators.awslambda import runner
from tests.helpers.processes import alive as _alive


def _invocation(tmp_path: Path, code: str, timeout: float = 10.0, **kwargs) -> runner.Invocation:
    code_dir = tmp_path / "code"
    code_dir.mkdir(exist_ok=True)
    (code_dir / "app.py").write_text(code)
    return runner.Invocation(code_dir=code_dir, handler="app.handler", runtime="python3.12", function_name="fn",
                             function_version="$LATEST", invoked_function_arn="arn:aws:lambda:eu-west-1:1:function:fn",
                             memory_mb=128, timeout=timeout, region="eu-west-1", endpoint_url="http://127.0.0.1:1",
                             log_group="/aws/lambda/fn", **kwargs)


def test_a_handler_returns_its_payload_and_the_log_has_start_end_report(tmp_path):
    inv = _invocation(tmp_path, "def handler(event, context):\n    print('hi', event['n'])\n"
                                "    return {'double': event['n'] * 2}\n")
    result = runner.run(inv, json.dumps({"n": 4}).encode())
    assert json.loads(result.payload) == {"double": 8} and result.function_error is None
    lines = result.log.splitlines()
    assert lines[0].startswith(f"START RequestId: {inv.request_id}") and "hi 4" in result.log
    assert lines[-2] == f"END RequestId: {inv.request_id}" and lines[-1].startswith("REPORT RequestId:")


def test_the_environment_is_the_functions_with_lambdas_reserved_names(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "real-account")
    monkeypatch.setenv("SECRET_OF_THE_SERVER", "x")
    inv = _invocation(tmp_path, "import os\ndef handler(event, context):\n    return dict(os.environ)\n",
                      variables={"STAGE": "test", "AWS_LAMBDA_FUNCTION_NAME": "not-this"})
    env = json.loads(runner.run(inv, b"{}").payload)
    assert env["STAGE"] == "test" and env["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1" and env["AWS_REGION"] == "eu-west-1"
    assert env["AWS_SESSION_TOKEN"] == "test" and env["_HANDLER"] == "app.handler"
    assert "AWS_PROFILE" not in env and "SECRET_OF_THE_SERVER" not in env


def test_a_timeout_ends_the_handler_and_what_it_started(tmp_path):
    pid_file = tmp_path / "child.pid"
    inv = _invocation(tmp_path, "import subprocess, time\n"
                                "def handler(event, context):\n"
                                "    child = subprocess.Popen(['sleep', '300'])\n"
                                f"    open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
                                "    time.sleep(300)\n", timeout=1.0)
    result = runner.run(inv, b"{}")
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload)["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Status: timeout" in result.log
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def test_an_exiting_process_is_a_runtime_exit_error(tmp_path):
    inv = _invocation(tmp_path, "import os\ndef handler(event, context):\n    os._exit(7)\n")
    result = runner.run(inv, b"{}")
    document = json.loads(result.payload)
    assert document["errorType"] == "Runtime.ExitError" and document["errorMessage"].endswith("exit status 7")


