"""The MLflow UI on the sandbox's tracking store (SageMaker training/tuning runs, model registry).

The store is the SQLite database the SageMaker emulator writes,
``<state folder>/services/sagemaker/mlflow/mlflow.db``, with artifacts beside it.
The UI listens on 127.0.0.1 only (default port 5000).

Example::

    from sandbox.mlflow_ui import start_mlflow_ui
    process = start_mlflow_ui()          # http://127.0.0.1:5000
    ...
    process.terminate()
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sandbox.config import SandboxConfig

DEFAULT_UI_PORT = 5000


def tracking_uri(config: SandboxConfig | None = None) -> str:
    """The MLflow tracking URI of the sandbox's SageMaker runs (``sqlite:///...``)."""
    config = config or SandboxConfig.from_env()
    return f"sqlite:///{mlflow_folder(config) / 'mlflow.db'}"


def mlflow_folder(config: SandboxConfig) -> Path:
    return Path(config.state_dir) / "services" / "sagemaker" / "mlflow"


def start_mlflow_ui(config: SandboxConfig | None = None, port: int = DEFAULT_UI_PORT, wait_seconds: float = 180.0,
                    foreground: bool = False) -> subprocess.Popen | int:
    """Start ``mlflow ui`` on 127.0.0.1:``port`` over the sandbox's tracking store.

    Returns the running process (call ``.terminate()`` to stop it) once the UI answers,
    or, with ``foreground=True``, runs it until interrupted and returns its exit code.
    """
    config = config or SandboxConfig.from_env()
    folder = mlflow_folder(config)
    (folder / "artifacts").mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri(config),
               "--default-artifact-root", (folder / "artifacts").as_uri(), "--host", "127.0.0.1",
               "--port", str(port),
               # one server process: MLflow's default of four imports MLflow four times (16 s instead of 9 s to
               # answer on a 2-core machine) for a UI one learner uses
               "--workers", "1",
               # MLflow's own protections: loopback Host names only (no DNS rebinding), no foreign origins
               "--allowed-hosts", f"127.0.0.1:{port},localhost:{port},127.0.0.1,localhost",
               "--cors-allowed-origins", f"http://127.0.0.1:{port},http://localhost:{port}"]
    # MLflow 3 starts a job runner beside the server, and it seven huey consumers, each importing all of MLflow
    # (about 20 s of CPU on 2 cores, while the UI starts), for server-side GenAI jobs (LLM judges, prompt
    # optimisation, trace roll-ups) that need a model provider an offline sandbox does not have
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
           "MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS": "false", "MLFLOW_DISABLE_TELEMETRY": "true"}
    if foreground:
        try:
            return subprocess.call(command, env=env)
        except KeyboardInterrupt:
            return 0
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    deadline = time.monotonic() + wait_seconds
    url = f"http://127.0.0.1:{port}/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow ui exited with code {process.returncode} (is port {port} free?)")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"mlflow ui did not answer on {url} within {wait_seconds:.0f} s")
