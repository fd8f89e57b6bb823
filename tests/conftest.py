"""Shared fixtures: one sandbox and one Spark session for the whole test session.

- ``cloud``: a running embedded cloud (its own process, a free port, a temporary
  state folder); the environment points ``sandbox.connect()`` at it.
- ``aws``: a :class:`sandbox.session.SandboxSession` on that cloud.
- ``s3_bucket``: a fresh, empty bucket per test.
- ``spark``: one local SparkSession (started only by tests that ask for it).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float = 30.0, interval: float = 0.2):
    """Call ``check()`` until it returns something true, and return that; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout} s")


class PrivateCloud:
    """A sandbox of one test's own (its own port and state folder), for tests that stop and restart it."""

    def __init__(self, state_dir: Path) -> None:
        from sandbox.config import SandboxConfig

        self.config = SandboxConfig(state_dir=state_dir, port=free_port())

    def client(self, name: str):
        import boto3

        return boto3.client(name, endpoint_url=self.config.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def up(self) -> None:
        from sandbox import cloud as cloud_control

        cloud_control.up(self.config)

    def down(self) -> None:
        from sandbox import cloud as cloud_control

        cloud_control.down(self.config)

    def restart(self) -> None:
        self.down()
        self.up()


@pytest.fixture
def private_cloud(tmp_path: Path):
    """A running :class:`PrivateCloud`, stopped after the test."""
    cloud = PrivateCloud(tmp_path / "state")
    cloud.up()
    try:
        yield cloud
    finally:
        cloud.down()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--exercises", action="store_true", default=False,
                     help="grade the exercises against your own running sandbox (see `sandbox exercises`)")


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory):
    """A sandbox for the test session, separate from any sandbox the developer runs."""
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    state_dir = tmp_path_factory.mktemp("sandbox-state")
    port = free_port()
    saved = {k: os.environ.get(k) for k in ("SANDBOX_STATE_DIR", "SANDBOX_PORT", "AWS_ENDPOINT_URL")}
    os.environ["SANDBOX_STATE_DIR"] = str(state_dir)
    os.environ["SANDBOX_PORT"] = str(port)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    config = SandboxConfig.from_env()
    status = cloud_control.up(config)
    yield status
    cloud_control.down(config)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def aws(cloud):
    import sandbox

    return sandbox.connect(start=False)


@pytest.fixture
def s3_bucket(aws):
    """A new empty bucket; emptied and deleted after the test."""
    s3 = aws.client("s3")
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=name):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for every test that needs Spark."""
    from sandbox.spark import get_spark

    session = get_spark()
    yield session
    session.stop()


@pytest.fixture
def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
