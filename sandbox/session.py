"""``sandbox.connect()``: boto3 clients wired to the sandbox endpoint."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

from sandbox.config import (
    DEFAULT_REGION,
    DUMMY_ACCESS_KEY,
    DUMMY_SECRET_KEY,
    SandboxConfig,
    endpoint_for,
)


class SandboxSession:
    """A boto3 session whose clients and resources talk to the sandbox.

    ``client(name)`` and ``resource(name)`` take the same arguments as boto3's.
    The endpoint of each service is ``AWS_ENDPOINT_URL_<SERVICE>``, else
    ``AWS_ENDPOINT_URL``, else the embedded cloud. Credentials are dummies, so a
    client made here can never reach real AWS.
    """

    def __init__(self, config: SandboxConfig, region_name: str = DEFAULT_REGION) -> None:
        self.config = config
        self.region_name = region_name
        self.boto3_session = boto3.Session(
            aws_access_key_id=DUMMY_ACCESS_KEY,
            aws_secret_access_key=DUMMY_SECRET_KEY,
            region_name=region_name,
        )

    @property
    def endpoint_url(self) -> str:
        return os.environ.get("AWS_ENDPOINT_URL") or self.config.endpoint_url

    def endpoint_for(self, service_name: str) -> str:
        service_id = self.boto3_session._session.get_service_model(service_name).service_id
        return endpoint_for(str(service_id), self.config.endpoint_url)

    def _kwargs(self, service_name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("endpoint_url", self.endpoint_for(service_name))
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, s3={"addressing_style": "path"})
        kwargs["config"] = config.merge(kwargs["config"]) if kwargs.get("config") else config
        return kwargs

    def client(self, service_name: str, **kwargs: Any) -> Any:
        return self.boto3_session.client(service_name, **self._kwargs(service_name, kwargs))

    def resource(self, service_name: str, **kwargs: Any) -> Any:
        return self.boto3_session.resource(service_name, **self._kwargs(service_name, kwargs))

    def sagemaker_session(self, default_bucket: str | None = None) -> Any:
        """A SageMaker Python SDK (v2) ``sagemaker.Session`` on the sandbox.

        The SDK builds its own S3, CloudWatch Logs and STS clients, so this points the
        process's ``AWS_*`` variables at the sandbox, creates the default bucket
        (``sagemaker-<region>-<account>`` as on AWS, unless ``default_bucket`` is given:
        the SDK would otherwise ask STS at its hard-coded AWS address, as it does in
        ``Session.account_id()``, which is answered from the sandbox's STS), and turns the
        SDK's telemetry off (it would try to reach an AWS bucket).

        Example::

            sess = sandbox.connect().sagemaker_session()
            SKLearn(entry_point="train.py", framework_version="1.2-1", role=ROLE,
                    instance_type="ml.m5.large", sagemaker_session=sess).fit({"train": uri})
        """
        try:
            import sagemaker
        except ImportError as exc:  # pragma: no cover - the ml extra installs it
            raise RuntimeError("the SageMaker Python SDK is not installed: pip install 'sagemaker<3'") from exc
        os.environ.update(self.environment())
        bucket = default_bucket
        if bucket is None:
            account = self.client("sts").get_caller_identity()["Account"]
            bucket = f"sagemaker-{self.region_name}-{account}"
        s3 = self.client("s3")
        try:
            s3.head_bucket(Bucket=bucket)
        except s3.exceptions.ClientError:
            s3.create_bucket(Bucket=bucket)
        config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
        session = sagemaker.Session(boto_session=self.boto3_session, sagemaker_client=self.client("sagemaker"),
                                    sagemaker_runtime_client=self.client("sagemaker-runtime"),
                                    default_bucket=bucket, sagemaker_config=config)
        # Session.account_id() asks STS at https://sts.<region>.amazonaws.com whatever the
        # endpoint variables say; answer it from the sandbox's STS instead
        account = self.client("sts").get_caller_identity()["Account"]
        session.account_id = lambda: account  # type: ignore[method-assign]
        return session

    def environment(self) -> dict[str, str]:
        """Environment variables that point other programs (AWS CLI, awswrangler,
        subprocesses) at the sandbox with the same dummy credentials."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
            "AWS_DEFAULT_REGION": self.region_name,
            "AWS_REGION": self.region_name,
        }

    def __repr__(self) -> str:
        return f"SandboxSession(endpoint={self.endpoint_url!r}, region={self.region_name!r})"


def connect(start: bool = True, region_name: str = DEFAULT_REGION, state_dir: str | None = None,
            port: int | None = None) -> SandboxSession:
    """A :class:`SandboxSession`; starts the embedded cloud when none answers.

    Nothing is started when ``AWS_ENDPOINT_URL`` points elsewhere (LocalStack or
    a shared sandbox): then that endpoint is used as it is.
    """
    config = SandboxConfig.from_env(state_dir=state_dir, port=port)
    if start and not os.environ.get("AWS_ENDPOINT_URL"):
        from sandbox.cloud import ensure_running

        ensure_running(config)
    return SandboxSession(config, region_name=region_name)
