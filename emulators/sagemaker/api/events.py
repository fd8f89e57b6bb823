"""SageMaker's EventBridge events: what MLOps automations subscribe to.

``aws.sagemaker`` events reach the default bus through the ``emit_event`` port (EventBridge's
provider delivers them to matching rules in the background):

- ``SageMaker Model Package State Change`` when a model package is created and when it is updated
  (an approval turns ``PendingManualApproval`` into ``Approved``: the usual trigger of a deployment);
- ``SageMaker Training Job State Change`` when a training job starts and when it ends;
- ``SageMaker Endpoint State Change`` when an endpoint is being created and when it is InService or Failed;
- ``SageMaker Model Building Pipeline Execution Status Change`` when an execution starts and ends.

The detail is the resource's Describe answer, times as epoch milliseconds as AWS sends them (the
pipeline event has its own lower-camel detail).
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


def pipeline_execution_changed(backend: Any, pipeline_arn: str, execution: Any, previous: str | None) -> None:
    """``SageMaker Model Building Pipeline Execution Status Change`` (AWS's lower-camel detail)."""
    detail = {"pipelineExecutionDisplayName": getattr(execution, "pipeline_execution_display_name", None),
              "currentPipelineExecutionStatus": execution.pipeline_execution_status,
              "previousPipelineExecutionStatus": previous,
              "executionStartTime": _iso(getattr(execution, "start_time", None)),
              "executionEndTime": _iso(getattr(execution, "last_modified_time", None))
              if execution.pipeline_execution_status in ("Succeeded", "Failed", "Stopped") else None,
              "pipelineExecutionDescription": getattr(execution, "pipeline_execution_description", None),
              "pipelineArn": pipeline_arn, "pipelineExecutionArn": execution.arn}
    emit(backend.account_id, backend.region_name, "SageMaker Model Building Pipeline Execution Status Change",
         detail, execution.arn)


def _iso(moment: Any) -> str | None:
    if not isinstance(moment, datetime):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
