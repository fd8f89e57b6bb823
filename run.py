#!/usr/bin/env python3
"""The two commands of the README, needing only Python 3.11+ (and Java 17 for Spark).

    python3 run.py demo     set everything up, then run the end-to-end demo
    python3 run.py test     set everything up, then run the test suite

Set-up creates ``.venv`` beside this file and installs the project into it with
all its extras; it is repeated only when ``pyproject.toml`` changes. Anything
after the command is passed on (``python3 run.py test -k s3 -x``). The tests run on every core
(pytest-xdist, 2 to 4 workers); ``python3 run.py test -n 0`` runs them in one process, and
``python3 run.py test -m "not slow"`` is the quick tier.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("SANDBOX_VENV", ROOT / ".venv"))
STAMP = VENV / ".install-stamp"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PACKAGES = ("emulators", "sandbox", "awsglue", "awsgluedq", "tests", "benchmarks")


def _python() -> str:
    return str(BIN / ("python.exe" if os.name == "nt" else "python"))


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    print("installing the sandbox and its dependencies (a few minutes the first time) ...", flush=True)
    subprocess.run(
        [_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", f"{ROOT}[all]"],
        check=True,
    )
    STAMP.write_text(wanted)


def _spark_class_archive() -> None:
    """Spark drivers start about twice as fast from a class-data sharing archive of this Java and Spark
    (see ``emulators/core/spark.py``): made once, in about a minute; nothing happens when it exists."""
    subprocess.run([_python(), "-m", "emulators.core.spark", "--build-class-archive"], cwd=ROOT)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "setup"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    setup()
    _spark_class_archive()
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # the tests start some 400 Python processes (sandboxes, jobs, kernels) that import the project's own modules:
    # where the environment forbids bytecode files (a container's PYTHONDONTWRITEBYTECODE=1), each of them
    # compiled those from source again (~0.2 s of CPU apiece) and pytest rewrote every test module in every
    # worker; the caches go to __pycache__ folders, which git ignores
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # compiled once here (about a second, nothing when up to date) rather than by the first sandboxes, workers and
    # jobs of a fresh clone at the same time, each compiling the same modules
    subprocess.run([_python(), "-m", "compileall", "-q", "-j", "0", *PACKAGES], cwd=ROOT, env=env)
    if command == "setup":
        return 0
    if command == "demo":
        return subprocess.call([str(BIN / "sandbox"), "demo", *rest], cwd=ROOT, env=env)
    return subprocess.call([_python(), "-m", "pytest", *_parallel(rest), *rest], cwd=ROOT, env=env)


def _parallel(args: list[str]) -> list[str]:
    """pytest-xdist options: two workers per core, 4 at most (each worker runs its own sandbox and Spark).
    Many tests wait on a job, a buffer or a schedule: on 2 cores, 2 workers left the CPU a third idle (12:22
    for the suite), 3 kept it 85-92 % busy and 4 keep it 96-98 % busy (11:20 against 13:29 with 3, the same
    hour; 9:55 against 10:07-10:22 on an earlier day). ``--dist loadgroup`` sends tests one by one, longest
    first, except that tests sharing a module-scoped fixture stay on one worker (tests/conftest.py groups and
    orders them). Passing ``-n`` (``-n 0``: no workers) or ``-p no:xdist`` yourself overrides this."""
    if any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in args):
        return []
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (a container's share)
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 2
    workers = min(4, 2 * max(1, cores))
    return ["-n", str(workers), "--dist", "loadgroup"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
