"""The CLI mirrors the library; every command is documented with an example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.config import SandboxConfig
from tests.helpers.cloud import free_port


def all_commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize("name,command", list(all_commands(main)))
def test_every_command_has_help_with_an_example(name, command):
    assert command.help and len(command.help.strip()) > 20, name
    assert "Example:" in command.help, f"`sandbox {name}` help has no Example: block"


@pytest.mark.slow
def test_up_status_down_through_the_cli(tmp_path):
    runner = CliRunner()
    args = ["--state-dir", str(tmp_path / "state"), "--port", str(free_port())]
    try:
        result = runner.invoke(main, ["up", *args])
        assert result.exit_code == 0, result.output
        assert "running on http://127.0.0.1:" in result.output
        again = runner.invoke(main, ["up", *args])
        assert again.exit_code == 0 and "already running" in again.output
        status = runner.invoke(main, ["status", *args])
        assert status.exit_code == 0 and "running" in status.output
    finally:
        down = runner.invoke(main, ["down", *args])
    assert down.exit_code == 0 and "stopped" in down.output
    status = runner.invoke(main, ["status", *args])
    assert status.exit_code == 1 and "stopped" in status.output


def test_busy_port_is_a_clean_error(tmp_path):
    import socket

    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen(1)
        result = CliRunner().invoke(main, ["up", "--state-dir", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port}" in result.output and "in use" in result.output
    assert "Traceback" not in result.output


def test_reset_needs_confirmation(tmp_path):
    (tmp_path / "snapshot.pkl").write_bytes(b"x")
    result = CliRunner().invoke(main, ["reset", "--state-dir", str(tmp_path), "--port", str(free_port())], input="n\n")
    assert result.exit_code != 0 and (tmp_path / "snapshot.pkl").exists()
    result = CliRunner().invoke(main, ["reset", "--yes", "--state-dir", str(tmp_path), "--port", str(free_port())])
    assert result.exit_code == 0 and not (tmp_path / "snapshot.pkl").exists()


def test_services_lists_every_service_folder_with_a_fidelity_note():
    from emulators.core.registry import service_infos

    result = CliRunner().invoke(main, ["services"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for info in service_infos():
        assert info.not_emulated, f"{info.aws} has no fidelity note"
        assert info.aws.split()[0] in result.output


def test_env_prints_exports(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("SANDBOX_PORT", "4566")
    result = CliRunner().invoke(main, ["env"])
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:4566" in result.output


@pytest.mark.slow
def test_demo_lake_step_runs(cloud):
    result = CliRunner().invoke(main, ["demo", "--only", "lake", "--size", "tiny"])
    assert result.exit_code == 0, result.output
    assert "opened 2 of 7 files" in result.output
    assert "demo finished" in result.output


@pytest.mark.slow
def test_full_demo_runs_every_available_step(cloud):
    """The README's main job, on tiny data: every step that exists must pass."""
    from sandbox.demo import available_steps

    result = CliRunner().invoke(main, ["demo", "--size", "tiny"])
    assert result.exit_code == 0, result.output
    for name, _ in available_steps():
        assert f"== {name} ==" in result.output
    assert "demo finished" in result.output


def test_every_service_folder_declares_its_stand_in():
    import importlib

    from emulators.core.registry import SERVICE_PACKAGES
    from tests.helpers.cloud import repo_root

    for package in SERVICE_PACKAGES:
        if not (repo_root() / "emulators" / package / "__init__.py").exists():
            continue
        module = importlib.import_module(f"emulators.{package}")
        declared = getattr(module, "SERVICES", None) or [getattr(module, "SERVICE", None)]
        assert declared and all(declared), f"emulators/{package} declares no SERVICE"
        assert module.__doc__ and "not emulated" in module.__doc__.lower().replace("\n", " "), \
            f"emulators/{package} docstring must say what is not emulated"
