"""The ``sandbox`` command. Each command is a thin wrapper over the Python API."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from sandbox import cloud as cloud_control
from sandbox.config import SandboxConfig


def _config(state_dir: str | None, port: int | None) -> SandboxConfig:
    return SandboxConfig.from_env(state_dir=state_dir, port=port)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


state_dir_option = click.option("--state-dir", type=click.Path(file_okay=False), default=None,
                                help="State folder (default: $SANDBOX_STATE_DIR or ./.sandbox).")
port_option = click.option("--port", type=int, default=None, help="Port (default: $SANDBOX_PORT or 4566).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aws-data-ml-sandbox")
def main() -> None:
    """An offline AWS data & ML sandbox: the same boto3 code as on AWS, really executed.

    \b
    Example:
        sandbox up
        sandbox demo
        sandbox down
    """


@main.command()
@state_dir_option
@port_option
@click.option("--foreground", is_flag=True, help="Serve in this terminal instead of in the background.")
def up(state_dir: str | None, port: int | None, foreground: bool) -> None:
    """Start the local cloud on 127.0.0.1 (default port 4566).

    State persists in the state folder; a second `up` while one runs says so.

    \b
    Example:
        sandbox up
        AWS_ENDPOINT_URL=http://127.0.0.1:4566 aws s3 ls
    """
    config = _config(state_dir, port)
    if foreground:
        from emulators.core.server import main as serve

        sys.exit(serve(["serve", "--state-dir", str(config.state_dir), "--host", config.host,
                        "--port", str(config.port)]))
    try:
        status = cloud_control.up(config)
    except cloud_control.AlreadyRunning as exc:
        click.echo(str(exc))
        return
    except cloud_control.CloudError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"sandbox {status.describe()}")
    click.echo(f"point clients at it with: export AWS_ENDPOINT_URL={status.endpoint}")


@main.command()
@state_dir_option
@port_option
def down(state_dir: str | None, port: int | None) -> None:
    """Stop the local cloud after writing its final snapshot.

    \b
    Example:
        sandbox down
    """
    try:
        stopped = cloud_control.down(_config(state_dir, port))
    except cloud_control.CloudError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("sandbox stopped" if stopped else "the sandbox was not running")


@main.command()
@state_dir_option
@port_option
@click.option("--json", "as_json", is_flag=True, help="Print the server's health document.")
def status(state_dir: str | None, port: int | None, as_json: bool) -> None:
    """Say whether the local cloud runs, where, and on which state folder.

    Exits with code 1 when it is stopped.

    \b
    Example:
        sandbox status
    """
    current = cloud_control.status(_config(state_dir, port))
    if as_json:
        import json

        click.echo(json.dumps(current.details or {"status": "stopped", "endpoint": current.endpoint}, indent=2))
    else:
        click.echo(f"sandbox {current.describe()}")
    if not current.running:
        sys.exit(1)


@main.command()
@state_dir_option
@port_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(state_dir: str | None, port: int | None, yes: bool) -> None:
    """Delete every resource and object in the sandbox (on purpose!).

    \b
    Example:
        sandbox reset --yes
    """
    if not yes:
        click.confirm("Delete every bucket, table, job and model in the sandbox?", abort=True)
    try:
        click.echo(cloud_control.reset(_config(state_dir, port)))
    except cloud_control.CloudError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--only", multiple=True, help="Run only this step (repeatable): lake, streaming, catalog, glue, query, athena, redshift, orchestration, sagemaker.")
@click.option("--size", default="small", show_default=True, type=click.Choice(["tiny", "small", "medium", "large"]),
              help="How much synthetic data to generate.")
def demo(only: tuple[str, ...], size: str) -> None:
    """Run the end-to-end demo on the embedded cloud (starts it if needed).

    Data to an encrypted, tagged, partitioned lake; then ingest, catalog, ETL,
    queries and ML as each service is available.

    \b
    Example:
        sandbox demo
        sandbox demo --only lake --only athena
    """
    import sandbox
    from sandbox.demo import run_demo

    console = _console()
    try:
        aws = sandbox.connect()
    except cloud_control.CloudError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"[bold]AWS data & ML sandbox demo[/bold] on {aws.endpoint_url}")
    try:
        timings = run_demo(aws, console.print, only=list(only) or None, size=size)
    except Exception as exc:
        console.print(f"[red]demo failed:[/red] {type(exc).__name__}: {exc}")
        sys.exit(1)
    total = sum(timings.values())
    console.print(f"\n[green]demo finished[/green] in {total:.1f} s: " +
                  ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    console.print("the sandbox keeps running: explore it with boto3, the AWS CLI or `sandbox lab`; "
                  "stop it with `sandbox down`")


@main.command()
def services() -> None:
    """List each AWS service, the open tool that stands in, and how faithful it is.

    \b
    Example:
        sandbox services
    """
    from rich.table import Table

    from emulators.core.registry import service_infos

    table = Table(title="AWS service -> stand-in", show_lines=True)
    for column in ("AWS", "stand-in", "what really executes", "not emulated"):
        table.add_column(column, overflow="fold")
    for info in service_infos():
        table.add_row(info.aws, info.stand_in, info.executes, info.not_emulated)
    _console().print(table)


@main.command()
def env() -> None:
    """Print shell exports that point the AWS CLI and SDKs at the sandbox.

    \b
    Example:
        eval "$(sandbox env)"
        aws s3 ls
    """
    import sandbox

    for key, value in sandbox.connect(start=False).environment().items():
        click.echo(f"export {key}={value}")


def _register_optional_commands() -> None:
    """Commands whose modules land with their issues (exercises, lab, mlflow, console)."""
    import importlib

    for module_name in ("sandbox.exercises.cli", "sandbox.lab", "sandbox.quiz.cli", "sandbox.console"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name or (exc.name and module_name.startswith(exc.name + ".")):
                continue
            raise
        for command in getattr(module, "COMMANDS", []):
            main.add_command(command)


_register_optional_commands()

if __name__ == "__main__":
    main()
