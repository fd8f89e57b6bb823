"""The architecture rules of ``docs/architecture.md``, checked by import-linter.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``): service folders
never import each other, engines and job-process code never import moto or the
server, only ``emulators.core.moto_coupling`` imports moto, and no import cycles
between core modules or between service folders. This test runs ``lint-imports``
from the test environment and fails with its report.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")
    if beside.exists():
        return str(beside)
    found = shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed: install the test extra (pip install -e '.[test]')")
    return found


def test_import_contracts_are_kept() -> None:
    result = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        pytest.fail("import-linter contracts are broken:\n" + result.stdout + result.stderr, pytrace=False)


def test_every_service_folder_is_in_the_independence_contract() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "services-independent")
    folders = {f"emulators.{p.name}" for p in (ROOT / "emulators").iterdir()
               if (p / "__init__.py").exists() and p.name not in ("core", "console")}
    assert set(contract["modules"]) == folders
