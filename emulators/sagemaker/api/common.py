"""What every SageMaker API module shares: the cloud, the backend, registries of running work, logs.

Processes, stop requests and live metrics are module-level registries (never
pickled): after a restart nothing runs, and :mod:`.recovery` fails what was
running. CloudWatch Logs lines go through :func:`log_stream` (the core's one writer).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from emulators.core import jobs, logs, moto_coupling
from emulators.core.errors import InvalidInput
from emulators.core.moto_coupling import Request
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud
from emulators.sagemaker import container
from emulators.sagemaker.engines import validation

log = logging.getLogger("emulators.sagemaker")

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"
ENDPOINT_LOG_GROUP = "/aws/sagemaker/Endpoints"

# -- module-level registries (not pickled) ---------------------------------------------------
PROCESSES: dict[str, Any] = {}        # job ARN -> Popen
STOP_REQUESTS: set[str] = set()       # ARNs of jobs asked to stop
METRICS: dict[str, dict[str, list[float]]] = {}  # training job ARN -> live metric history


def cloud() -> Any:
    return current_cloud()


def data_dir() -> Path:
    return cloud().data_dir("sagemaker")


def mlflow_root() -> Path:
    return data_dir() / "mlflow"


def s3() -> Any:
    return s3_access()


def backend(account_id: str, region: str) -> Any:
    """The SageMaker backend of one account and region (the provider's subclass)."""
    return moto_coupling.backend_for("sagemaker", account_id, region)


def backends() -> list[tuple[str, str, Any]]:
    """(account, region, backend) of every SageMaker backend that exists."""
    return list(moto_coupling.backend_dict("sagemaker").iter_backends())


def backend_of(request: Request) -> Any:
    """The SageMaker backend that answers a request (its account and region)."""
    return moto_coupling.backend_for("sagemaker", request.account_id, request.region)


def validate_request(operation: str, arguments: dict[str, Any]) -> None:
    """AWS's server-side checks (patterns, enums, ranges) of a request moto handed on as arguments."""
    errors = validation.request_errors(operation, validation.from_kwargs(operation, arguments))
    if errors:
        raise InvalidInput(validation.message(errors))


def started(arn: str, process: Any) -> None:
    """Remember a job's process; one that started while the sandbox shuts down is ended at once."""
    PROCESSES[arn] = process
    if cloud().stopping:  # the shutdown hook has already killed the processes it knew
        container.kill_process_group(process)


def kill_all(forget: bool) -> None:
    for arn, process in list(PROCESSES.items()):
        container.kill_process_group(process)
        if forget:
            PROCESSES.pop(arn, None)


def log_stream(account_id: str, region: str, group: str, stream: str) -> logs.LogStream:
    """A CloudWatch Logs stream for a job's lines, written under the cloud's state lock."""
    return logs.LogStream(account_id, region, group, stream, guard=lambda: cloud().mutating())


def interrupted(what: str) -> str:
    """The FailureReason of work a restart found unfinished (the sandbox's one wording, AWS's error prefix)."""
    return f"InternalServerError: {jobs.interrupted(what)}"
