"""docker-compose.yml is well formed and routes each service where the design says.

No Docker engine runs here: the file is parsed and checked, and the endpoint
switching it relies on (AWS_ENDPOINT_URL_<SERVICE>) is exercised with real
clients. When the `docker compose` plugin exists, `docker compose config` runs too.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess

import botocore.session
import pytest
import yaml

import sandbox
from sandbox.config import endpoint_env_name
from tests.helpers.cloud import repo_root

COMPOSE = repo_root() / "docker-compose.yml"
ENDPOINTS_ENV = repo_root() / "emulators" / "docker" / "endpoints.env"
EMULATED_BY_US = ["glue", "athena", "redshift", "redshift-data", "emr", "sagemaker", "sagemaker-runtime"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_localstack_is_pinned_to_the_token_free_line(compose):
    image = compose["services"]["localstack"]["image"]
    assert image.startswith("localstack/localstack:4.14"), image


def test_every_published_port_is_loopback_only(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


@pytest.mark.slow
def test_endpoint_variables_name_real_services(compose):
    session = botocore.session.get_session()
    available = set(session.get_available_services())
    env = compose["services"]["emulators"]["environment"]
    for key in env:
        if key.startswith("AWS_ENDPOINT_URL_"):
            suffix = key[len("AWS_ENDPOINT_URL_"):].lower()
            candidates = {suffix.replace("_", "-"), suffix.replace("_", "")} & available
            assert any(endpoint_env_name(session.get_service_model(c).service_id) == key for c in candidates), \
                f"{key} is not a variable boto3 reads"
    for name in EMULATED_BY_US:
        service_id = botocore.session.get_session().get_service_model(name).service_id
        assert env[endpoint_env_name(service_id)] == "http://emulators:4567"
    assert env["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    # the clients above call the emulators by their service name: the security gate must allow that Host
    assert "emulators" in env["SANDBOX_ALLOWED_HOSTS"].split(",")


def test_host_endpoints_file_switches_clients(monkeypatch):
    for line in ENDPOINTS_ENV.read_text().splitlines():
        if line.startswith("export "):
            key, value = line[len("export "):].split("=", 1)
            monkeypatch.setenv(key, value)
    aws = sandbox.connect()  # AWS_ENDPOINT_URL is set: nothing is started
    assert aws.client("s3").meta.endpoint_url == "http://127.0.0.1:4566"
    assert aws.client("kinesis").meta.endpoint_url == "http://127.0.0.1:4566"
    for name in EMULATED_BY_US:
        assert aws.client(name).meta.endpoint_url == "http://127.0.0.1:4567", name


@pytest.mark.skipif(shutil.which("docker") is None or subprocess.run(
    shlex.split("docker compose version"), capture_output=True).returncode != 0,
    reason="the docker compose plugin is not installed")
def test_docker_compose_config_accepts_the_file():
    subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], check=True)
