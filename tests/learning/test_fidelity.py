"""Each service's fidelity is declared once (its ServiceInfo); every place that shows it is generated from it.

`python -m sandbox.fidelity` regenerates the README's service map, docs/exam/services.md and the summary at
the top of each service package's docstring; notebooks show the declaration through `differences(...)`;
`sandbox services` prints it. These tests fail when they disagree.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

import pytest

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


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_service_package_docstring_starts_with_its_generated_block():
    from emulators.core.registry import SERVICE_PACKAGES

    declared = fidelity.package_declarations()
    assert set(declared) == set(SERVICE_PACKAGES), "a service folder failed to import or declares nothing"
    for package in declared:
        doc = importlib.import_module(f"emulators.{package}").__doc__ or ""
        block = fidelity.render_docstring_block(package)
        assert doc.startswith(block + "\n"), \
            f"emulators/{package}/__init__.py: the docstring's fidelity block is stale: run python -m sandbox.fidelity"
        assert fidelity.module_with_block((fidelity.EMULATORS / package / "__init__.py").read_text(), block) == \
            (fidelity.EMULATORS / package / "__init__.py").read_text(), f"{package}: rewriting would change the file"


def test_sandbox_services_and_the_docstrings_read_the_same_declaration(monkeypatch):
    """Change one declaration: the CLI table and the docstring block both follow it (and only it)."""
    from rich.console import Console

    import emulators.kms as kms
    from sandbox import cli

    changed = dataclasses.replace(kms.SERVICE, not_emulated="CHANGED-IN-ONE-PLACE: key policies")
    monkeypatch.setattr(kms, "SERVICE", changed)
    monkeypatch.setattr(cli, "_console", lambda: Console(width=2000, highlight=False))
    result = CliRunner().invoke(cli.main, ["services"])
    assert result.exit_code == 0, result.output
    assert "CHANGED-IN-ONE-PLACE: key policies" in result.output
    assert "not emulated: CHANGED-IN-ONE-PLACE: key policies" in fidelity.render_docstring_block("kms")
    # and the committed docstring, still holding the real declaration, no longer matches: the test above would fail
    assert not (kms.__doc__ or "").startswith(fidelity.render_docstring_block("kms"))


def test_the_docstring_blocks_hold_the_text_sandbox_services_prints(monkeypatch):
    from rich.console import Console

    from sandbox import cli

    monkeypatch.setattr(cli, "_console", lambda: Console(width=2000, highlight=False))
    printed = _flat(CliRunner().invoke(cli.main, ["services"]).output)
    for package, (_, infos) in fidelity.package_declarations().items():
        block = _flat(fidelity.docstring_block(importlib.import_module(f"emulators.{package}").__doc__) or "")
        for info in infos:
            for text in (info.stand_in, info.executes, info.not_emulated):
                assert _flat(text) in printed, text
                assert _flat(text) in block, (package, text)


@pytest.mark.parametrize("text", ['three quotes """ inside', 'a backslash \\ and \\n', 'ends in a quote "',
                                  "four quotes \"\"\"\" and two \"\""])
def test_the_rewrite_keeps_the_module_valid_whatever_the_declaration_says(text):
    block = "\n".join([fidelity.BLOCK_START.format(name="SERVICE"), "", text, "", fidelity.BLOCK_END])
    source = '"""Hand-written detail with a \\ backslash."""\n\nX = 1\n'
    once = fidelity.module_with_block(source, block)
    assert ast.get_docstring(ast.parse(once), clean=False) == block + "\n\nHand-written detail with a \\ backslash."
    twice = fidelity.module_with_block(once, block.replace(text, "changed"))
    doc = ast.get_docstring(ast.parse(twice), clean=False)
    assert doc.startswith(block.replace(text, "changed")) and doc.count(fidelity.BLOCK_END) == 1
    assert doc.endswith("Hand-written detail with a \\ backslash.") and twice.endswith("X = 1\n")
    assert fidelity.module_with_block(twice, block.replace(text, "changed")) == twice
