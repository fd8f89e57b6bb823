"""Endpoint selection: the standard AWS_ENDPOINT_URL variables switch backends (no containers needed)."""

from __future__ import annotations

import os

import pytest

import sandbox
from sandbox.config import endpoint_env_name
from sandbox.session import SandboxSession


def test_env_names_follow_the_aws_convention():
    assert endpoint_env_name("S3") == "AWS_ENDPOINT_URL_S3"
    assert endpoint_env_name("SageMaker Runtime") == "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"
    assert endpoint_env_name("Redshift Data") == "AWS_ENDPOINT_URL_REDSHIFT_DATA"


def test_default_endpoint_is_the_embedded_cloud(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("SANDBOX_PORT", "4999")
    aws = sandbox.connect(start=False)
    assert aws.client("s3").meta.endpoint_url == "http://127.0.0.1:4999"
    assert aws.client("athena").meta.region_name == "us-east-1"


def test_service_variable_wins_over_global_and_default(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5001")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://localhost:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "http://127.0.0.1:5002")
    aws = sandbox.connect(start=False)
    assert aws.client("s3").meta.endpoint_url == "http://localhost:4566"
    assert aws.client("kinesis").meta.endpoint_url == "http://127.0.0.1:5001"
    assert aws.client("sagemaker-runtime").meta.endpoint_url == "http://127.0.0.1:5002"
    assert aws.client("sagemaker").meta.endpoint_url == "http://127.0.0.1:5001"


def test_explicit_endpoint_argument_is_respected(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws = sandbox.connect(start=False)
    assert aws.client("s3", endpoint_url="http://127.0.0.1:1234").meta.endpoint_url == "http://127.0.0.1:1234"


def test_connect_does_not_start_a_cloud_when_an_endpoint_is_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path))
    aws = sandbox.connect()
    assert isinstance(aws, SandboxSession)
    assert not (tmp_path / "server.json").exists()


def test_credentials_are_dummies_and_never_from_the_user_profile(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    creds = sandbox.connect(start=False).boto3_session.get_credentials()
    assert (creds.access_key, creds.secret_key) == ("test", "test")


def test_default_session_shares_the_loaded_models_and_follows_the_environment(monkeypatch):
    """awswrangler makes a client per call from boto3's default session (a new one per call while there is
    none): after connect() that session exists and reuses the models this process already parsed."""
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4577")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    aws = sandbox.connect(start=False)
    default = boto3.DEFAULT_SESSION
    assert default is not None and default._loader is aws.boto3_session._loader
    glue = boto3.client("glue")
    assert (glue.meta.endpoint_url, glue.meta.region_name) == ("http://127.0.0.1:4577", "eu-central-1")  # still the environment
    assert len(default._loader.search_paths) == len(set(default._loader.search_paths))

    own = boto3.Session(region_name="eu-west-1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", own)
    sandbox.connect(start=False)
    assert boto3.DEFAULT_SESSION is own  # a program's own default session is left alone


def test_environment_for_other_programs(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("SANDBOX_PORT", "4566")
    env = sandbox.connect(start=False).environment()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_ACCESS_KEY_ID"] == "test"


def test_import_sandbox_is_light():
    import subprocess
    import sys

    code = "import sys, sandbox; heavy = [m for m in ('pyspark', 'mlflow', 'pandas', 'moto', 'duckdb') if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize("uri,expected", [("s3://b/p/q", ("b", "p/q")), ("s3://b", ("b", ""))])
def test_parse_s3_uri(uri, expected):
    from sandbox.lake import parse_s3_uri

    assert parse_s3_uri(uri) == expected


def test_sagemaker_session_needs_no_aws(aws, monkeypatch):
    sagemaker = pytest.importorskip("sagemaker")
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.setenv(key, "placeholder")  # recorded, so the variables the session sets are undone
        monkeypatch.delenv(key)
    session = aws.sagemaker_session()
    assert os.environ["AWS_ENDPOINT_URL"] == aws.endpoint_url
    assert isinstance(session, sagemaker.Session)
    assert session.account_id() == "123456789012"
    assert session.default_bucket() == "sagemaker-us-east-1-123456789012"
    aws.client("s3").head_bucket(Bucket=session.default_bucket())
    uri = session.upload_string_as_file_body("x,y\n1,2\n", session.default_bucket(), "probe/data.csv")
    assert uri == "s3://sagemaker-us-east-1-123456789012/probe/data.csv"
    assert session.sagemaker_client.list_training_jobs()["TrainingJobSummaries"] is not None


def test_sagemaker_session_configuration_is_validated_once_and_still_checked(aws, monkeypatch):
    """The sandbox's SDK session carries a configuration (telemetry off); the SDK v2 re-checked its whole schema
    (65 ms) at every configuration look-up. The look-ups still see the configuration, a configuration is
    checked once, and a wrong one still fails every time."""
    pytest.importorskip("sagemaker")
    import jsonschema
    import sagemaker.utils as sdk_utils
    from sagemaker.config.config_schema import TELEMETRY_OPT_OUT_PATH

    session = aws.sagemaker_session()
    checks = []
    real_validate = jsonschema.validate
    monkeypatch.setattr(jsonschema, "validate", lambda *a, **k: (checks.append(1), real_validate(*a, **k)))
    for _ in range(20):
        assert sdk_utils.resolve_value_from_config(config_path=TELEMETRY_OPT_OUT_PATH, default_value=False,
                                                   sagemaker_session=session) is True
    assert len(checks) <= 1
    wrong = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": "yes"}}}}
    for _ in range(2):
        with pytest.raises(jsonschema.ValidationError):
            sdk_utils.get_sagemaker_config_value(None, TELEMETRY_OPT_OUT_PATH, sagemaker_config=wrong)
