"""The AWS CLI, unchanged, as a subprocess against a sandbox: only the endpoint and dummy credentials are set."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

AWS_CLI = Path(sys.executable).with_name("aws")


def aws_cli_runner(sandbox_env: Mapping[str, str]) -> Callable[..., subprocess.CompletedProcess]:
    """``run("s3", "ls", ...)``: the CLI with this process's environment less every ``AWS_*`` variable, plus
    ``sandbox_env`` (a session's ``environment()``) and no config or credentials file; ``check`` asserts exit 0.
    Skips the test when the awscli package is not installed."""
    if not AWS_CLI.exists():
        pytest.skip("the awscli package is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox_env, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(AWS_CLI), *args], env=env, capture_output=True, text=True, timeout=120)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run
