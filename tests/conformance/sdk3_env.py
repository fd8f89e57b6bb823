#!/usr/bin/env python3
"""The SageMaker Python SDK v3 environment for the ``sdk3`` conformance tests.

The project's default install carries the SDK v2 (``sagemaker>=2.250,<3`` in the ``ml`` extra), which most
published notebooks use. v3 (``sagemaker`` 3.27: ``ModelTrainer``, ``ModelBuilder``, ``sagemaker-core``) is a
different API with different pins, so it lives in its own virtual environment, ``.venv-sdk3`` beside
``.venv``, holding the client side only: the SDK (with boto3), pytest, and this checkout on ``sys.path``
(a ``.pth`` file: ``import sandbox`` needs only boto3). The sandbox the tests talk to is served by the main
environment's interpreter (``SANDBOX_SERVER_PYTHON``).

    .venv/bin/python tests/conformance/sdk3_env.py          create or update .venv-sdk3
    .venv/bin/python tests/conformance/sdk3_env.py test     ... then run ``pytest tests/conformance -m sdk3`` in it

Set-up is repeated only when this file or ``pyproject.toml`` changes (a stamp in the environment).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = Path(os.environ.get("SANDBOX_SDK3_VENV", ROOT / ".venv-sdk3"))
STAMP = ENV / ".install-stamp"
SDK3 = "sagemaker==3.27.*"
PACKAGES = [SDK3, "boto3", "pytest>=8", "pytest-timeout>=2.3"]


def python() -> Path:
    return ENV / "bin" / "python"


def wanted_stamp() -> str:
    digest = hashlib.sha256()
    for path in (Path(__file__), ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def setup() -> Path:
    """Create (or bring up to date) the v3 environment; returns its interpreter."""
    wanted = wanted_stamp()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python()
    if not python().exists():
        print(f"creating {ENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(ENV)
    print(f"installing {SDK3} into {ENV} ...", flush=True)
    subprocess.run([str(python()), "-m", "pip", "install", "--disable-pip-version-check", "-q", *PACKAGES],
                   check=True)
    site = subprocess.run([str(python()), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "sandbox-checkout.pth").write_text(f"{ROOT}\n")
    STAMP.write_text(wanted)
    return python()


def main(argv: list[str]) -> int:
    interpreter = setup()
    if not argv or argv[0] != "test":
        return 0
    env = dict(os.environ)
    # the sandbox server runs on the main environment's interpreter (its engines: Spark, scikit-learn, MLflow)
    env.setdefault("SANDBOX_SERVER_PYTHON", sys.executable)
    return subprocess.call([str(interpreter), "-m", "pytest", "tests/conformance", "-m", "sdk3", "-p",
                            "no:cacheprovider", *argv[1:]], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
