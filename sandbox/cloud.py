"""Start, stop, inspect and reset the embedded cloud (the ``sandbox up/down/status/reset`` commands).

The cloud runs as its own process (``python -m emulators serve``), detached from
the caller, so notebooks and scripts can come and go while it keeps running.
Its log is ``<state>/logs/server.log``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.config import SandboxConfig


class CloudError(RuntimeError):
    """A life-cycle command could not do what was asked; the message says why."""


class AlreadyRunning(CloudError):
    pass


class PortInUse(CloudError):
    pass


@dataclass
class CloudStatus:
    running: bool
    endpoint: str
    state_dir: Path
    pid: int | None = None
    details: dict[str, Any] | None = None

    def describe(self) -> str:
        if not self.running:
            return f"stopped (state folder {self.state_dir})"
        return f"running on {self.endpoint} (pid {self.pid}, state folder {self.state_dir})"


def admin_token(config: SandboxConfig) -> str | None:
    """The running server's admin token (``<state>/admin-token``, readable only by its owner)."""
    try:
        return (config.state_dir / "admin-token").read_text().strip() or None
    except OSError:
        return None


def _admin(config: SandboxConfig, route: str, method: str = "GET", timeout: float = 2.0,
           with_token: bool = True) -> dict[str, Any] | None:
    token = admin_token(config) if with_token else None
    request = urllib.request.Request(f"{config.endpoint_url}/_sandbox/{route}", method=method,
                                     data=b"" if method == "POST" else None,
                                     headers={"X-Sandbox-Token": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError, OSError):
        return None


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a killed child not yet reaped by its parent does not count)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _state_folder_locked(config: SandboxConfig) -> bool:
    """True while a server holds the state folder's lock (the kernel drops it when the server dies)."""
    import fcntl

    try:
        with open(config.state_dir / "server.lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False
    except OSError:
        return False


def _server_holds_state_folder(config: SandboxConfig, pid: int, port: int,
                               settle_seconds: float = 5.0) -> bool:
    """True when the server recorded in server.json still runs on this state folder.

    A server killed with SIGKILL stops answering before the kernel has finished taking it down, so its
    pid can look alive for a moment: it counts as running only while it also holds the folder's lock,
    and a process that holds neither port nor answer gets a few seconds to finish dying."""
    deadline = time.monotonic() + settle_seconds
    while _pid_alive(pid) and _state_folder_locked(config):
        if time.monotonic() >= deadline or not _port_is_free(config.host, port):
            return True
        time.sleep(0.1)
    return False


def _server_info(config: SandboxConfig) -> dict[str, Any] | None:
    try:
        return json.loads((config.state_dir / "server.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def status(config: SandboxConfig | None = None) -> CloudStatus:
    config = config or SandboxConfig.from_env()
    health = _admin(config, "health")
    if health is None and admin_token(config):
        # our token is refused (a stale one): does a sandbox of another state folder answer?
        health = _admin(config, "health", with_token=False)
    if health and Path(health.get("state_dir", "")) == config.state_dir:
        return CloudStatus(True, config.endpoint_url, config.state_dir, health.get("pid"), health)
    if health and "state_dir" in health:  # a sandbox answers on this port, but for another state folder
        return CloudStatus(True, config.endpoint_url, Path(health["state_dir"]), health.get("pid"), health)
    if health:  # a sandbox answers on this port, and its token is not ours: another state folder
        return CloudStatus(True, config.endpoint_url, Path("(another state folder)"), None, health)
    return CloudStatus(False, config.endpoint_url, config.state_dir)


def up(config: SandboxConfig | None = None, wait_seconds: float = 60.0, extra_env: dict[str, str] | None = None) -> CloudStatus:
    """Start the cloud in the background and wait until it answers.

    Raises :class:`AlreadyRunning` when a sandbox already answers on the port and
    :class:`PortInUse` when something else holds it.
    """
    config = config or SandboxConfig.from_env()
    current = status(config)
    if current.running:
        raise AlreadyRunning(f"the sandbox is already running on {current.endpoint} (pid {current.pid}, "
                             f"state folder {current.state_dir})")
    if not _port_is_free(config.host, config.port):
        raise PortInUse(f"port {config.port} on {config.host} is in use by another program; "
                        f"stop it or choose another port with SANDBOX_PORT / --port")
    info = _server_info(config)
    if info and _server_holds_state_folder(config, int(info.get("pid", 0)), int(info.get("port", 0))):
        raise AlreadyRunning(f"a sandbox server (pid {info['pid']}) already uses the state folder "
                             f"{config.state_dir} on {info.get('endpoint')}")
    logs = config.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / "server.log"
    env = dict(os.environ)
    env.update(extra_env or {})
    # whatever the server runs (job scripts, training) talks to the sandbox, never to AWS
    env.update({
        "SANDBOX_STATE_DIR": str(config.state_dir),
        "SANDBOX_HOST": config.host,
        "SANDBOX_PORT": str(config.port),
        "PYTHONUNBUFFERED": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",  # MLflow 3 would send usage events to its makers' servers
    })
    with open(log_path, "ab") as log_fh:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulators", "serve", "--state-dir", str(config.state_dir),
             "--host", config.host, "--port", str(config.port)],
            stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT,
            env=env, start_new_session=True, close_fds=True,
        )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise CloudError(f"the sandbox server exited with code {code}: " + " | ".join(tail))
        current = status(config)
        if current.running and current.state_dir == config.state_dir:
            return current  # answered with this start's admin token (an older token file is refused)
        time.sleep(0.05)
    process.terminate()
    raise CloudError(f"the sandbox server did not answer within {wait_seconds:.0f} s; see {log_path}")


def down(config: SandboxConfig | None = None, wait_seconds: float = 60.0) -> bool:
    """Stop the cloud after its final snapshot. Returns False if it was not running."""
    config = config or SandboxConfig.from_env()
    current = status(config)
    pid = current.pid
    if not current.running:
        info = _server_info(config)
        if not info or not _pid_alive(int(info.get("pid", 0))):
            return False
        pid = int(info["pid"])
        os.kill(pid, signal.SIGTERM)
    else:
        _admin(config, "shutdown", "POST")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if pid is None or not _pid_alive(pid):
            return True
        time.sleep(0.05)
    raise CloudError(f"the sandbox server (pid {pid}) did not stop within {wait_seconds:.0f} s")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except (FileNotFoundError, IndexError, PermissionError):
        return False


def reset(config: SandboxConfig | None = None) -> str:
    """Empty the sandbox: through the running server, or by clearing the state folder."""
    config = config or SandboxConfig.from_env()
    if status(config).running:
        if _admin(config, "reset", "POST", timeout=120) is None:
            raise CloudError("the running sandbox did not confirm the reset")
        return "reset the running sandbox"
    import shutil

    if not config.state_dir.exists():
        return "nothing to reset"
    for child in config.state_dir.iterdir():
        if child.name in ("logs", "server.lock"):
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    return f"emptied {config.state_dir}"


def ensure_running(config: SandboxConfig | None = None) -> CloudStatus:
    """Start the cloud unless one already answers."""
    config = config or SandboxConfig.from_env()
    current = status(config)
    if current.running:
        return current
    try:
        return up(config)
    except AlreadyRunning:
        return status(config)
