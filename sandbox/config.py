"""Where the sandbox lives: state folder, host, port, endpoint, credentials.

Settings come from the environment so that the CLI, notebooks, tests and job
scripts agree without passing anything around:

- ``SANDBOX_STATE_DIR`` (default ``.sandbox`` in the working directory)
- ``SANDBOX_HOST`` (default ``127.0.0.1``; the server binds to loopback only)
- ``SANDBOX_PORT`` (default ``4566``)
- ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``: the standard variables
  boto3 and the AWS CLI read; when set, clients go there instead (LocalStack).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REGION = "us-east-1"
DUMMY_ACCESS_KEY = "test"
DUMMY_SECRET_KEY = "test"
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class SandboxConfig:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 4566

    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, state_dir: str | Path | None = None, port: int | None = None) -> SandboxConfig:
        return cls(
            state_dir=Path(state_dir or os.environ.get("SANDBOX_STATE_DIR", ".sandbox")).resolve(),
            host=os.environ.get("SANDBOX_HOST", "127.0.0.1"),
            port=int(port or os.environ.get("SANDBOX_PORT", 4566)),
        )


def endpoint_env_name(service_id: str) -> str:
    """``AWS_ENDPOINT_URL_<SERVICE>`` for a botocore service id ("SageMaker Runtime")."""
    return "AWS_ENDPOINT_URL_" + service_id.upper().replace(" ", "_").replace("-", "_")


def endpoint_for(service_id: str, default: str) -> str:
    """The endpoint a client of ``service_id`` should use: the per-service variable,
    then ``AWS_ENDPOINT_URL``, then the sandbox."""
    return os.environ.get(endpoint_env_name(service_id)) or os.environ.get("AWS_ENDPOINT_URL") or default
