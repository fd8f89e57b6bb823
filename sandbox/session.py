"""``sandbox.connect()``: boto3 clients wired to the sandbox endpoint."""

from __future__ import annotations

import os
import threading
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


def _is_aws_endpoint(url: str | None) -> bool:
    """An address of AWS itself (``https://sts.us-east-1.amazonaws.com`` ...), which clients must not reach."""
    if not url:
        return False
    from urllib.parse import urlparse

    host = (urlparse(url).hostname or "").lower()
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".c2s.ic.gov", ".sc2s.sgov.gov", ".api.aws"))


_loader: Any = None
_loader_lock = threading.Lock()


def _botocore_session() -> Any:
    """A new botocore session that shares one data loader with the others of this process: the loader keeps
    the service models it parsed (a big one such as S3's or SageMaker's takes 50-130 ms to read), so a fresh
    ``sandbox.connect()`` does not read them again."""
    import botocore.session

    global _loader
    session = botocore.session.get_session()
    with _loader_lock:
        if _loader is None:
            _loader = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _loader)
    return session


def _forget_repeated_search_paths(session: boto3.Session) -> None:
    """boto3 adds its own data folder to a session's loader each time: on the shared loader, once is enough."""
    paths = session._loader.search_paths
    paths[:] = list(dict.fromkeys(paths))


class _SandboxBoto3Session(boto3.Session):
    """A boto3 session whose clients and resources always talk to the sandbox.

    Code written for AWS sometimes names an AWS endpoint explicitly, which beats ``AWS_ENDPOINT_URL``: the
    SageMaker Python SDK (v2 and v3) asks STS at ``https://sts.<region>.amazonaws.com`` for the account of its
    default bucket. Such an address is replaced by the sandbox's endpoint for that service, so a client made
    from this session can never reach AWS.
    """

    def __init__(self, *args: Any, sandbox_endpoint: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("botocore_session", _botocore_session())
        super().__init__(*args, **kwargs)
        self._sandbox_endpoint = sandbox_endpoint
        _forget_repeated_search_paths(self)

    def _sandbox_kwargs(self, service_name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self._sandbox_endpoint is not None and (
                "endpoint_url" not in kwargs or kwargs["endpoint_url"] is None or _is_aws_endpoint(kwargs["endpoint_url"])):
            from botocore.handlers import SERVICE_NAME_ALIASES  # 'runtime.sagemaker' -> 'sagemaker-runtime'

            kwargs["endpoint_url"] = self._sandbox_endpoint(SERVICE_NAME_ALIASES.get(service_name, service_name))
            # an SDK puts some operations' host prefix before the host (Step Functions' StartSyncExecution and
            # TestState: "sync-"): "sync-127.0.0.1" resolves nowhere, the sandbox answers them on its own host
            no_prefix = Config(inject_host_prefix=False)
            kwargs["config"] = no_prefix.merge(kwargs["config"]) if kwargs.get("config") else no_prefix
        return kwargs

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().client(service_name, *args, **self._sandbox_kwargs(service_name, kwargs))

    def resource(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().resource(service_name, *args, **self._sandbox_kwargs(service_name, kwargs))


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
        self.boto3_session = _SandboxBoto3Session(
            aws_access_key_id=DUMMY_ACCESS_KEY,
            aws_secret_access_key=DUMMY_SECRET_KEY,
            region_name=region_name,
            sandbox_endpoint=self.endpoint_for,
        )

    @property
    def endpoint_url(self) -> str:
        return os.environ.get("AWS_ENDPOINT_URL") or self.config.endpoint_url

    def endpoint_for(self, service_name: str) -> str:
        service_id = self.boto3_session._session.get_service_model(service_name).service_id
        return endpoint_for(str(service_id), self.config.endpoint_url)

    def _kwargs(self, service_name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("endpoint_url", self.endpoint_for(service_name))
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, s3={"addressing_style": "path"},
                        inject_host_prefix=False)
        kwargs["config"] = config.merge(kwargs["config"]) if kwargs.get("config") else config
        return kwargs

    def client(self, service_name: str, **kwargs: Any) -> Any:
        return self.boto3_session.client(service_name, **self._kwargs(service_name, kwargs))

    def resource(self, service_name: str, **kwargs: Any) -> Any:
        return self.boto3_session.resource(service_name, **self._kwargs(service_name, kwargs))

    def sagemaker_session(self, default_bucket: str | None = None) -> Any:
        """A SageMaker Python SDK session on the sandbox, for either SDK generation.

        With the SDK v2 installed (the default install) this is a ``sagemaker.Session``; with the SDK v3
        (``sagemaker`` 3.x: ``ModelTrainer``, ``ModelBuilder``, ``sagemaker-core``) a
        ``sagemaker.core.helper.session_helper.Session``. The SDK builds its own S3, CloudWatch Logs
        and STS clients from the session's boto3 session, whose clients always reach the sandbox (even
        the STS client the SDK makes with AWS's regional address); this also points the process's
        ``AWS_*`` variables at the sandbox, creates the default bucket (``sagemaker-<region>-<account>``
        as on AWS, unless ``default_bucket`` is given) and turns the SDK's telemetry off (it would try
        to reach an AWS bucket).

        Example::

            sess = sandbox.connect().sagemaker_session()
            SKLearn(entry_point="train.py", framework_version="1.2-1", role=ROLE,
                    instance_type="ml.m5.large", sagemaker_session=sess).fit({"train": uri})   # v2
            ModelTrainer(training_image=IMAGE, role=ROLE, sagemaker_session=sess, ...).train()  # v3
        """
        session_class = _sdk_session_class()
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
        validate_sdk_config_once()
        return session_class(boto_session=self.boto3_session, sagemaker_client=self.client("sagemaker"),
                             sagemaker_runtime_client=self.client("sagemaker-runtime"),
                             default_bucket=bucket, sagemaker_config=config)

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


def validate_sdk_config_once() -> None:
    """Make the SageMaker Python SDK v2 validate a configuration once instead of at every look-up.

    :meth:`SandboxSession.sagemaker_session` gives its session a configuration (the telemetry opt-out), and with
    one the SDK v2 checks its whole JSON schema at every configuration look-up
    (``sagemaker.utils.get_sagemaker_config_value``): 65 ms of CPU each, dozens of times per ``fit`` or
    ``deploy``, which a session without a configuration (the usual case on AWS) never pays. The same check now
    runs once per distinct configuration in this process; an invalid one still raises every time. Nothing
    happens before the SDK v2 is imported, or with another layout (the SDK v3)."""
    import sys

    utils = sys.modules.get("sagemaker.utils")
    original = getattr(utils, "validate_sagemaker_config", None)
    if original is None or getattr(original, "sandbox_validates_once", False):
        return
    import json

    valid: set[str] = set()

    def validate_once(sagemaker_config: Any = None) -> None:
        key = json.dumps(sagemaker_config, sort_keys=True, default=repr)
        if key not in valid:
            original(sagemaker_config)
            if len(valid) < 256:
                valid.add(key)

    validate_once.sandbox_validates_once = True  # type: ignore[attr-defined]
    for name in ("sagemaker.utils", "sagemaker.session"):  # look-ups, and a new Session's own check
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "validate_sagemaker_config"):
            module.validate_sagemaker_config = validate_once


def _sdk_session_class() -> Any:
    """The installed SageMaker Python SDK's session class: v3's ``sagemaker.core`` one, else v2's."""
    try:
        from sagemaker.core.helper.session_helper import Session  # SDK v3
        return Session
    except ImportError:
        pass
    try:
        import sagemaker
    except ImportError as exc:  # pragma: no cover - the ml extra installs it
        raise RuntimeError("the SageMaker Python SDK is not installed: pip install 'sagemaker<3'") from exc
    return sagemaker.Session


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
    _share_loader_with_the_default_session()
    return SandboxSession(config, region_name=region_name)


def _share_loader_with_the_default_session() -> None:
    """Give boto3's default session (``boto3.client(...)``, and awswrangler's clients when no ``boto3_session``
    is passed) the shared data loader, unless the program made its own default session already.

    awswrangler builds a client per call from ``boto3.DEFAULT_SESSION``, or from a new ``boto3.Session()`` while
    there is none, whose new loader parses the service model, ``endpoints.json`` and the endpoint rules again:
    50-100 ms of CPU per call. The default session made here is the one boto3 would make on the first
    ``boto3.client(...)`` (credentials, region and endpoint still come from the environment when a client is
    made), created earlier and sharing the loader."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session(botocore_session=_botocore_session())
        _forget_repeated_search_paths(boto3.DEFAULT_SESSION)
