"""SageMaker's layers, checked by import-linter: engines and job-process code never reach moto or the API.

``emulators/sagemaker`` is split into ``api/`` (AWS operations on moto's backend),
``engines/`` (the work, on paths and plain values) and ``runtime/`` (code that runs
inside job processes). This test runs ``lint-imports`` with two contracts of its own:
engines and runtime never import moto, the server, the moto coupling or the API
modules; and there are no import cycles inside the folder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CONTRACTS = """
[importlinter]
root_packages =
    emulators
include_external_packages = True

[importlinter:contract:sagemaker-engines]
name = SageMaker engines and runtime never import moto, the server, the coupling or the API modules
type = forbidden
source_modules =
    emulators.sagemaker.engines
    emulators.sagemaker.runtime
forbidden_modules =
    moto
    emulators.core.server
    emulators.core.moto_coupling
    emulators.sagemaker.api
    emulators.sagemaker.provider

[importlinter:contract:sagemaker-acyclic]
name = No import cycles inside emulators.sagemaker
type = acyclic_siblings
ancestors =
    emulators.sagemaker
    emulators.sagemaker.api
    emulators.sagemaker.engines
depth = 0
"""


def test_sagemaker_layers_are_kept(tmp_path: Path) -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    command = str(lint) if lint.exists() else shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is not installed: install the test extra (pip install -e '.[test]')")
    config = tmp_path / "sagemaker.importlinter"
    config.write_text(CONTRACTS)
    result = subprocess.run([command, "--no-cache", "--config", str(config)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail("SageMaker's import contracts are broken:\n" + result.stdout + result.stderr, pytrace=False)
