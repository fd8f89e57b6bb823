"""Step Functions execution APIs moto's interpreter answers differently from AWS, and the AWS SDK integration's
error names.

This module is coupled to moto's Step Functions parser (through ``moto_coupling``); a moto upgrade checks it.

- StopExecution: moto dropped the request's ``error`` and ``cause`` (the ExecutionAborted event had empty ones,
  DescribeExecution none) and answered no ``stopDate`` while the execution was still winding down.
- GetExecutionHistory: ``reverseOrder``, ``maxResults`` and ``nextToken`` were ignored; an event after
  ExecutionStarted had ``previousEventId`` 0.
- ``arn:aws:states:::aws-sdk:<service>:<action>`` errors are named ``<Service>.<Error>`` with the service in
  Pascal case as the Step Functions developer guide names them (``S3.NoSuchKeyException``,
  ``DynamoDb.ResourceNotFoundException``); moto kept the resource's lower-case name (``s3.NoSuchKeyException``),
  which a Retry or Catch written from the guide never matched.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from emulators.core import clock, moto_coupling, paging
from emulators.core.moto_coupling import Request

# Step Functions' aws-sdk service names that are not botocore's
_BOTO_NAMES = {"sfn": "stepfunctions", "elasticloadbalancingv2": "elbv2", "mediastoredata": "mediastore-data",
               "apigatewaymanagementapi": "apigatewaymanagementapi"}
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def pascal_service_name(service_id: str) -> str:
    """The AWS SDK's class-name spelling of a botocore ``serviceId`` (``DynamoDB`` -> ``DynamoDb``,
    ``ACM PCA`` -> ``AcmPca``, ``S3`` -> ``S3``, ``SFN`` -> ``Sfn``)."""
    words = _WORD.findall(service_id)
    return "".join(w if w.isdigit() else w[0].upper() + w[1:].lower() if w.isupper() else w[0].upper() + w[1:]
                   for w in words)


@lru_cache(maxsize=None)
def sdk_error_service_name(name: str) -> str:
    """The service part of an aws-sdk integration's error name for the resource's service ``name``."""
    import botocore.session

    boto_name = _BOTO_NAMES.get(name.lower(), name.lower())
    try:
        service_id = botocore.session.get_session().get_service_model(boto_name).service_id
    except Exception:  # not a service botocore knows: keep the resource's spelling, capitalised
        return name[:1].upper() + name[1:]
    return pascal_service_name(str(service_id))


def _name_sdk_errors_as_aws() -> None:
    module = moto_coupling.stepfunctions_parser_module(
        "asl.component.state.exec.state_task.service.state_task_service_aws_sdk")
    cls = module.StateTaskServiceAwsSdk
    if getattr(cls, "_sandbox_error_names", False):
        return
    cls._normalise_service_error_name = staticmethod(sdk_error_service_name)
    cls._sandbox_error_names = True


# ------------------------------------------------------------------ API handlers
def _execution(request: Request) -> Any:
    backend = moto_coupling.stepfunctions_backend(request.account_id, request.region)
    return backend.describe_execution(request.get("executionArn"))  # ExecutionDoesNotExist / InvalidArn


def stop_execution(request: Request) -> dict[str, Any]:
    execution = _execution(request)
    if str(getattr(execution.status, "value", execution.status)) == "RUNNING":
        error, cause = request.get("error"), request.get("cause")
        now = clock.utcnow()
        execution.stop(stop_date=now, error=error, cause=cause)
        if error is not None:
            execution.error = error
        if cause is not None:
            execution.cause = cause
        return {"stopDate": execution.stop_date or now}
    return {"stopDate": execution.stop_date or clock.utcnow()}


def get_execution_history(request: Request) -> dict[str, Any]:
    execution = _execution(request)
    events = [dict(event) for event in execution.to_history_output().get("events", [])]
    for event in events:
        if event.get("id", 0) > 1 and not event.get("previousEventId"):
            event["previousEventId"] = event["id"] - 1
    if request.get_bool("reverseOrder"):
        events.reverse()
    size = request.get("maxResults") or None  # 0 is the default page, as on AWS
    page, token = paging.page(events, request.get("nextToken"), size, listing=f"sfn:history:{request.get('executionArn')}",
                              default_size=100, max_size=1000, token_error="InvalidToken")
    if request.get_bool("includeExecutionData") is False:
        for event in page:
            for key, value in list(event.items()):
                if key.endswith("EventDetails") and isinstance(value, dict):
                    event[key] = {k: v for k, v in value.items() if k not in ("input", "output", "inputDetails",
                                                                              "outputDetails")}
    answer: dict[str, Any] = {"events": page}
    if token:
        answer["nextToken"] = token
    return answer


def install() -> None:
    _name_sdk_errors_as_aws()
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "stop_execution", stop_execution)
    moto_coupling.add_operation("stepfunctions", "StepFunctionResponse", "get_execution_history",
                                get_execution_history)
