"""``sandbox lab`` (JupyterLab on the notebooks) and ``sandbox mlflow`` (the MLflow UI).

Both listen on 127.0.0.1 only. ``sandbox lab`` makes sure the sandbox runs first,
so every notebook's ``sandbox.connect()`` finds it, and hands the kernels the
sandbox's state folder and port through the environment.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import click

DEFAULT_LAB_PORT = 8888


def notebooks_folder() -> Path:
    """``notebooks/`` of the repository (next to the ``sandbox`` package), else of the working directory."""
    beside = Path(__file__).resolve().parent.parent / "notebooks"
    return beside if beside.is_dir() else Path.cwd() / "notebooks"


def lab_command(port: int, token: str, notebook_dir: Path) -> list[str]:
    """The ``jupyter lab`` command line: loopback only, no browser, this token, root-safe."""
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={notebook_dir}",
               # Jupyter's own protections, stated: local Host names only, no foreign origins, XSRF checks on
               "--ServerApp.allow_remote_access=False", "--ServerApp.allow_origin=",
               "--ServerApp.disable_check_xsrf=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def lab_environment(config) -> dict[str, str]:
    """The lab's (and so the kernels') environment: pointed at this sandbox."""
    env = dict(os.environ)
    env["SANDBOX_STATE_DIR"] = str(config.state_dir)
    env["SANDBOX_PORT"] = str(config.port)
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


@click.command()
@click.option("--port", type=int, default=DEFAULT_LAB_PORT, show_default=True, help="JupyterLab's port.")
@click.option("--token", default=None, help="Access token (default: a new random one, printed).")
@click.option("--notebook-dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder to open (default: the repository's notebooks/).")
def lab(port: int, token: str | None, notebook_dir: str | None) -> None:
    """Start JupyterLab on the notebooks, with the sandbox running (127.0.0.1 only).

    Starts the sandbox if it is not running, prints the URL with its access
    token, and serves until Ctrl-C (the sandbox keeps running: `sandbox down`).

    \b
    Example:
        sandbox lab
        sandbox lab --port 8899
    """
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    config = SandboxConfig.from_env()
    if not os.environ.get("AWS_ENDPOINT_URL"):
        try:
            status = cloud_control.ensure_running(config)
        except cloud_control.CloudError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"sandbox {status.describe()}")
    folder = Path(notebook_dir).resolve() if notebook_dir else notebooks_folder()
    token = token or secrets.token_hex(24)
    click.echo(f"JupyterLab on {folder}")
    click.echo(f"open: http://127.0.0.1:{port}/lab?token={token}")
    click.echo(f"token: {token}")
    sys.stdout.flush()
    command = lab_command(port, token, folder)
    env = lab_environment(config)
    if os.name == "posix":
        os.execve(sys.executable, command, env)   # Ctrl-C and signals go straight to JupyterLab
    sys.exit(subprocess.call(command, env=env))


@click.command()
@click.option("--port", type=int, default=5000, show_default=True, help="The MLflow UI's port.")
def mlflow(port: int) -> None:
    """Start the MLflow UI on the sandbox's tracking store (SageMaker runs, model registry).

    Serves on 127.0.0.1 until Ctrl-C.

    \b
    Example:
        sandbox mlflow
        sandbox mlflow --port 5001
    """
    from sandbox.config import SandboxConfig
    from sandbox.mlflow_ui import start_mlflow_ui

    click.echo(f"MLflow UI: http://127.0.0.1:{port} (Ctrl-C stops it)")
    sys.stdout.flush()
    sys.exit(start_mlflow_ui(SandboxConfig.from_env(), port=port, foreground=True) or 0)


COMMANDS = [lab, mlflow]
