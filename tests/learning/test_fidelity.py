"""Each service's fidelity is declared once (its ServiceInfo); every place that shows it is generated from it.

`python -m sandbox.fidelity` regenerates the README's service map and docs/exam/services.md; notebooks show
the declaration through `differences(...)`; `sandbox services` prints it. These tests fail when they disagree.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from click.testing import CliRunner

from sandbox import fidelity

ROOT = Path(__file__).resolve().parents[2]


def test_readme_service_map_is_generated_from_the_declarations():
    readme = fidelity.README.read_text()
    assert fidelity.render_readme_map() in readme, "README service map is stale: run python -m sandbox.fidelity"


def test_services_page_is_generated_from_the_declarations():
    assert fidelity.SERVICES_PAGE.read_text() == fidelity.render_services_page(), \
        "docs/exam/services.md is stale: run python -m sandbox.fidelity"


def test_every_notebook_shows_the_declarations_of_its_services():
    from emulators.core.registry import _declarations

    packages = {package for package, _ in _declarations()}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        calls = [c.source for c in nb.cells if c.cell_type == "code" and "differences(" in c.source]
        assert calls, f"{path.name}: no differences(...) cell in its 'On real AWS' section"
        named = {part.strip().strip('"\'') for call in calls
                 for part in call.split("differences(", 1)[1].split(")", 1)[0].split(",")}
        assert named <= packages, f"{path.name}: unknown service folders {sorted(named - packages)}"


def test_the_differences_text_is_the_declaration():
    from emulators.core.registry import _declarations

    text = fidelity.differences_markdown("s3", "glue")
    for package, info in _declarations():
        if package in ("s3", "glue"):
            assert info.not_emulated in text and info.aws in text


def test_sandbox_services_prints_every_declaration(monkeypatch):
    from rich.console import Console

    from emulators.core.registry import service_infos
    from sandbox import cli

    monkeypatch.setattr(cli, "_console", lambda: Console(width=2000, highlight=False))  # no wrapping
    result = CliRunner().invoke(cli.main, ["services"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    for info in service_infos():
        assert info.aws.split(" (")[0] in flat, info.aws
