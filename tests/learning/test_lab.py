"""`sandbox lab` serves JupyterLab on loopback with its token (checked through the HTTP API)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.cloud import free_port

REPO = Path(__file__).resolve().parents[2]


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _listening_addresses(port: int) -> set[str]:
    """IPv4/IPv6 addresses with a LISTEN socket on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                if len(address) == 8:
                    found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.add("::1" if address.endswith("01000000") and set(address[:24]) == {"0"} else address)
    return found


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    if process.stdout:
        process.stdout.close()


@pytest.mark.slow
def test_sandbox_lab_answers_on_loopback_with_its_token(cloud):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sandbox.cli", "lab", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                               env=dict(os.environ), start_new_session=True)
    try:
        token, lines = None, []
        deadline = time.monotonic() + 60
        while token is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("token: "):
                token = line.split(": ", 1)[1].strip()
        assert token and len(token) >= 32, "".join(lines)
        assert any(f"http://127.0.0.1:{port}/lab?token={token}" in line for line in lines)
        status = None
        while time.monotonic() < deadline:
            try:
                status = _get(f"http://127.0.0.1:{port}/api/status", token)
                break
            except OSError:
                assert process.poll() is None, "jupyter lab exited"
                time.sleep(0.5)
        assert status is not None and status[0] == 200, status
        assert "started" in json.loads(status[1])
        assert _get(f"http://127.0.0.1:{port}/api/status")[0] == 403, "the API must need the token"
        # Jupyter's own host check: a DNS-rebinding name is refused even with the token
        rebound = urllib.request.Request(f"http://127.0.0.1:{port}/api/status?token={token}",
                                         headers={"Host": f"rebind.evil.example:{port}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(rebound, timeout=10)
        assert refused.value.code == 403
        assert _listening_addresses(port) == {"127.0.0.1"}, "JupyterLab must listen on loopback only"
        code, body = _get(f"http://127.0.0.1:{port}/api/contents", token)
        names = {item["name"] for item in json.loads(body)["content"]}
        assert code == 200 and "00_tour_and_setup.ipynb" in names, names
    finally:
        _stop(process)


@pytest.mark.slow
def test_sandbox_mlflow_serves_the_tracking_store_on_loopback(cloud):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sandbox.cli", "mlflow", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                               env=dict(os.environ), start_new_session=True)
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline:
            try:
                status = _get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                time.sleep(0.5)
        assert status and status[0] == 200, status
        assert _listening_addresses(port) <= {"127.0.0.1"}
        state = Path(os.environ["SANDBOX_STATE_DIR"]) / "services" / "sagemaker" / "mlflow"
        assert state.is_dir(), "the UI must use the sandbox's tracking store"
    finally:
        _stop(process)


def test_lab_command_is_loopback_and_root_safe(tmp_path):
    from sandbox.lab import lab_command

    command = lab_command(8899, "abc", tmp_path)
    assert "--ServerApp.ip=127.0.0.1" in command and "--no-browser" in command
    assert "--ServerApp.allow_remote_access=False" in command and "--ServerApp.allow_origin=" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)


def test_lab_and_mlflow_are_registered_with_examples():
    from sandbox.cli import main

    for name in ("lab", "mlflow", "exercises"):
        assert name in main.commands
    assert "Example:" in main.commands["lab"].help and "Example:" in main.commands["mlflow"].help
