"""SageMaker's EventBridge events: what MLOps automations subscribe to.

``aws.sagemaker`` events reach the default bus through the ``emit_event`` port (EventBridge's
provider delivers them to matching rules in the background):

- ``SageMaker Model Package State Change`` when a model package is created and when it is updated
  (an approval turns ``PendingManualApproval`` into ``Approved``: the usual trigger of a deployment);
- ``SageMaker Training Job State Change`` when a training job starts and when it ends;
- ``SageMaker Endpoint State Change`` when an endpoint is being created and when it is InService or Failed.

The detail is the resource's Describe answer, times as epoch milliseconds as AWS sends them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from emulators.core import ports

log = logging.getLogger("emulators.sagemaker")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def emit(account: str, region: str, detail_type: str, detail: dict[str, Any], resource: str) -> None:
    """Send one ``aws.sagemaker`` event (nothing when the sandbox has no EventBridge)."""
    try:
        ports.emit_event(account, region, "aws.sagemaker", detail_type, _plain(detail), [resource])
    except ports.PortUnavailable:
        log.debug("no EventBridge in this sandbox: %s not sent", detail_type)
    except Exception:
        log.exception("%s event not sent", detail_type)


def model_package_changed(backend: Any, arn: str) -> None:
    try:
        detail = dict(backend.describe_model_package(arn).gen_response_object())
    except Exception:
        log.exception("model package %s: no state-change event", arn)
        return
    emit(backend.account_id, backend.region_name, "SageMaker Model Package State Change", detail, arn)


def training_job_changed(backend: Any, name: str) -> None:
    try:
        detail = dict(backend.describe_training_job(name))
    except Exception:
        log.exception("training job %s: no state-change event", name)
        return
    emit(backend.account_id, backend.region_name, "SageMaker Training Job State Change", detail,
         detail.get("TrainingJobArn", ""))


def endpoint_changed(backend: Any, name: str) -> None:
    try:
        detail = dict(backend.describe_endpoint(name))
    except Exception:  # deleted meanwhile
        return
    emit(backend.account_id, backend.region_name, "SageMaker Endpoint State Change", detail,
         detail.get("EndpointArn", ""))
