"""``sandbox console``: open the sandbox console (served by the sandbox itself at ``/_console/``).

The link carries the per-start admin token, which the server writes (mode 0600) to
``<state>/admin-token``; the console trades it for a session cookie and drops it from the URL.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from sandbox import cloud as cloud_control
from sandbox.config import SandboxConfig

TOKEN_FILE = "admin-token"


def read_admin_token(state_dir: Path, wait_seconds: float = 5.0) -> str | None:
    """The running server's admin token, or None when it wrote none."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            token = (Path(state_dir) / TOKEN_FILE).read_text().strip()
            if token:
                return token
        except OSError:
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def console_url(config: SandboxConfig | None = None, start: bool = True) -> str:
    """The sign-in URL of the console; starts the sandbox first when ``start`` and it is stopped."""
    config = config or SandboxConfig.from_env()
    current = cloud_control.status(config)
    if not current.running:
        if not start:
            raise cloud_control.CloudError("the sandbox is not running; start it with `sandbox up`")
        current = cloud_control.up(config)
    token = read_admin_token(current.state_dir)
    if token is None:
        raise cloud_control.CloudError(
            f"the sandbox on {current.endpoint} wrote no admin token to {current.state_dir / TOKEN_FILE}; "
            "restart it (`sandbox down && sandbox up`) with this version of the sandbox")
    return f"{current.endpoint}/_console/?token={token}"


@click.command("console")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="State folder (default: $SANDBOX_STATE_DIR or ./.sandbox).")
@click.option("--port", type=int, default=None, help="Port (default: $SANDBOX_PORT or 4566).")
@click.option("--print-url", is_flag=True, help="Print only the sign-in URL (for scripts; keep it private).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the URL.")
def console_command(state_dir: str | None, port: int | None, print_url: bool, no_browser: bool) -> None:
    """Open the sandbox console in your browser (starts the sandbox if needed).

    Resources per service (S3 objects with encryption and tags, Glue tables, Athena
    queries, Step Functions graphs, SageMaker jobs and endpoints, CloudWatch), drawn
    from the same APIs boto3 calls. The URL signs you in: do not share it.

    \b
    Example:
        sandbox console
        sandbox console --print-url
    """
    config = SandboxConfig.from_env(state_dir=state_dir, port=port)
    try:
        url = console_url(config)
    except cloud_control.CloudError as exc:
        raise click.ClickException(str(exc)) from None
    if print_url:
        click.echo(url)
        return
    opened = False
    if not no_browser:
        import webbrowser

        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
    click.echo(("opened the console: " if opened else "open the console: ") + url)


COMMANDS = [console_command]
