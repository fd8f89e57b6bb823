"""up / down / status / reset, a second up, a busy port, persistence and kill -9 recovery.

These tests start their own short-lived clouds (own port, own state folder), apart
from the session sandbox the other tests share.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import boto3
import pytest

from sandbox import cloud as cloud_control
from sandbox.config import SandboxConfig
from tests.helpers.cloud import free_port


def client(config: SandboxConfig, service: str):
    return boto3.client(service, endpoint_url=config.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture
def own_config(tmp_path):
    config = SandboxConfig(state_dir=tmp_path / "state", port=free_port())
    yield config
    try:
        cloud_control.down(config)
    except cloud_control.CloudError:
        pass


@pytest.mark.slow
def test_up_status_down(own_config):
    assert cloud_control.status(own_config).running is False
    status = cloud_control.up(own_config)
    assert status.running and status.pid
    assert status.details["state_dir"] == str(own_config.state_dir)
    assert client(own_config, "s3").list_buckets()["Buckets"] == []
    assert cloud_control.down(own_config) is True
    assert cloud_control.status(own_config).running is False
    assert cloud_control.down(own_config) is False  # already stopped
    assert not (own_config.state_dir / "server.json").exists()


@pytest.mark.slow
def test_second_up_says_it_is_running(own_config):
    first = cloud_control.up(own_config)
    with pytest.raises(cloud_control.AlreadyRunning, match="already running"):
        cloud_control.up(own_config)
    assert cloud_control.status(own_config).pid == first.pid


def test_busy_port_gives_a_clear_message(own_config):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", own_config.port))
        squatter.listen(1)
        with pytest.raises(cloud_control.PortInUse, match=f"port {own_config.port}.*in use"):
            cloud_control.up(own_config)


@pytest.mark.slow
def test_server_binds_loopback_only(own_config):
    cloud_control.up(own_config)
    info = json.loads((own_config.state_dir / "server.json").read_text())
    assert info["host"] == "127.0.0.1"


def _write_acknowledged_state(config: SandboxConfig) -> dict:
    s3, kms, glue = client(config, "s3"), client(config, "kms"), client(config, "glue")
    key_id = kms.create_key(Description="lake key")["KeyMetadata"]["KeyId"]
    s3.create_bucket(Bucket="persist-bucket")
    s3.put_object(Bucket="persist-bucket", Key="data/a.csv", Body=b"id,x\n1,2\n",
                  ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id, Tagging="team=ml&tier=gold",
                  Metadata={"source": "unit-test"})
    big = os.urandom(3 * 1024 * 1024)
    s3.put_object(Bucket="persist-bucket", Key="data/big.bin", Body=big, ServerSideEncryption="AES256")
    glue.create_database(DatabaseInput={"Name": "persisted_db", "Description": "survives restarts"})
    sfn = client(config, "stepfunctions")
    machine = sfn.create_state_machine(
        name="persisted-machine", roleArn="arn:aws:iam::123456789012:role/r",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"x": 1}')["executionArn"]
    deadline = time.monotonic() + 20
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    return {"key_id": key_id, "big": big, "machine": machine, "execution": execution}


def _assert_state_is_back(config: SandboxConfig, written: dict) -> None:
    s3, kms, glue = client(config, "s3"), client(config, "kms"), client(config, "glue")
    head = s3.head_object(Bucket="persist-bucket", Key="data/a.csv")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith(written["key_id"])
    assert head["Metadata"] == {"source": "unit-test"}
    assert s3.get_object(Bucket="persist-bucket", Key="data/a.csv")["Body"].read() == b"id,x\n1,2\n"
    tags = s3.get_object_tagging(Bucket="persist-bucket", Key="data/a.csv")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "ml", "tier": "gold"}
    assert s3.get_object(Bucket="persist-bucket", Key="data/big.bin")["Body"].read() == written["big"]
    assert s3.head_object(Bucket="persist-bucket", Key="data/big.bin")["ServerSideEncryption"] == "AES256"
    assert kms.describe_key(KeyId=written["key_id"])["KeyMetadata"]["Enabled"] is True
    sfn = client(config, "stepfunctions")
    assert sfn.describe_state_machine(stateMachineArn=written["machine"])["name"] == "persisted-machine"
    assert sfn.describe_execution(executionArn=written["execution"])["status"] == "SUCCEEDED"
    assert glue.get_database(Name="persisted_db")["Database"]["Description"] == "survives restarts"
    # the key still encrypts and decrypts what it encrypted before
    blob = kms.encrypt(KeyId=written["key_id"], Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


@pytest.mark.slow
def test_state_survives_down_and_up(own_config):
    cloud_control.up(own_config)
    written = _write_acknowledged_state(own_config)
    cloud_control.down(own_config)
    cloud_control.up(own_config)
    _assert_state_is_back(own_config, written)


@pytest.mark.slow
def test_recovery_after_kill_9(own_config):
    status = cloud_control.up(own_config)
    written = _write_acknowledged_state(own_config)
    time.sleep(2.5)  # the snapshot follows writes within about a second
    os.kill(status.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while cloud_control.status(own_config).running and time.monotonic() < deadline:
        time.sleep(0.1)
    restarted = cloud_control.up(own_config)  # stale server.json and lock are taken over
    assert restarted.pid != status.pid
    assert "s3" in restarted.details["restored_services"]
    _assert_state_is_back(own_config, written)
    # no temporary file of the killed server was left behind (each carries its writer's pid; the restarted
    # server may be writing its first snapshot at this moment, as one run caught it doing)
    leftovers = [p.name for p in own_config.state_dir.rglob("*.tmp") if f".{status.pid}." in p.name]
    assert leftovers == []


@pytest.mark.slow
def test_reset_empties_running_and_stopped_sandboxes(own_config):
    cloud_control.up(own_config)
    _write_acknowledged_state(own_config)
    cloud_control.reset(own_config)
    assert client(own_config, "s3").list_buckets()["Buckets"] == []
    assert client(own_config, "glue").get_databases()["DatabaseList"] == []
    assert list((own_config.state_dir / "blobs").rglob("*")) == [] or all(
        p.is_dir() for p in (own_config.state_dir / "blobs").rglob("*"))
    client(own_config, "s3").create_bucket(Bucket="after-reset")
    cloud_control.down(own_config)
    assert "emptied" in cloud_control.reset(own_config)
    cloud_control.up(own_config)
    assert client(own_config, "s3").list_buckets()["Buckets"] == []


@pytest.mark.slow
def test_two_servers_cannot_share_a_state_folder(own_config):
    cloud_control.up(own_config)
    other = SandboxConfig(state_dir=own_config.state_dir, port=free_port())
    with pytest.raises(cloud_control.CloudError, match="already uses the state folder"):
        cloud_control.up(other)


def test_every_service_provider_installed(cloud):
    """A provider that fails to import or install would silently fall back to moto: catch it here.

    Providers install when their service is first used, so the test asks the cloud to install them all
    (``POST /_sandbox/install``) and checks the answer and the health report."""
    from emulators.core.registry import declared_providers

    config = SandboxConfig.from_env()
    installed = cloud_control._admin(config, "install", "POST", timeout=600)
    assert installed is not None
    assert installed["failed_providers"] == {}
    assert sorted(installed["providers"]) == sorted(declared_providers())
    health = cloud_control.status(config).details
    assert health["failed_providers"] == {}
    assert sorted(health["providers"]) == sorted(declared_providers())


def _health(config: SandboxConfig) -> dict:
    return cloud_control.status(config).details or {}


def test_providers_install_when_their_service_is_first_used(own_config):
    cloud_control.up(own_config)
    assert "sagemaker.provider" not in _health(own_config)["providers"]  # nothing asked for SageMaker yet
    client(own_config, "s3").list_buckets()
    assert "s3.provider" in _health(own_config)["providers"]
    assert "sagemaker.provider" not in _health(own_config)["providers"]
    client(own_config, "glue").create_database(DatabaseInput={"Name": "lazy_db"})
    health = _health(own_config)
    assert "glue.provider" in health["providers"]
    assert health["declared_providers"] and health["failed_providers"] == {}


def test_services_with_state_install_after_a_restart_without_a_request(own_config):
    """Periodic work (Glue triggers, schedules) must run after a restart before anyone calls the service."""
    cloud_control.up(own_config)
    client(own_config, "glue").create_database(DatabaseInput={"Name": "kept_db"})
    cloud_control.down(own_config)
    cloud_control.up(own_config)
    deadline = time.monotonic() + 120
    while "glue.provider" not in _health(own_config)["providers"] and time.monotonic() < deadline:
        time.sleep(0.2)
    health = _health(own_config)
    assert "glue" in health["restored_services"]
    assert "glue.provider" in health["providers"]
    assert "sagemaker.provider" not in health["providers"]
