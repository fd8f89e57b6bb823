"""Asynchronous invocation (``InvocationType=Event``, S3 notifications) as the Lambda developer guide's
"Invoking a Lambda function asynchronously", "Configuring error handling for asynchronous invocation" and
"Capturing records of Lambda asynchronous invocations" (destinations) pages describe.

- A function error is retried ``MaximumRetryAttempts`` times (PutFunctionEventInvokeConfig; 2 by default).
  AWS waits about a minute, then two, between attempts; the sandbox waits :data:`RETRY_DELAY_SECONDS`.
- After the last attempt, the invocation record goes to the ``OnSuccess`` or ``OnFailure`` destination of
  the event invoke config: an SQS queue, an SNS topic, another function (invoked asynchronously) or an
  EventBridge bus (the default bus: "Lambda Function Invocation Result - Success" / "- Failure").
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from emulators.awslambda import runner
from emulators.core import moto_coupling, ports
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.awslambda")
RETRY_DELAY_SECONDS = 1.0
DEFAULT_RETRIES = 2


def invoke_config(backend: Any, fn: Any) -> dict[str, Any]:
    """The function's PutFunctionEventInvokeConfig settings ({} when it has none)."""
    for candidate in (fn, _latest(backend, fn)):
        configs = getattr(candidate, "event_invoke_config", None) or []
        if configs:
            return dict(getattr(configs[0], "config", {}) or {})
    return {}


def _latest(backend: Any, fn: Any) -> Any:
    try:
        return backend.get_function(fn.function_name, None)
    except Exception:
        return None


def record(inv: runner.Invocation, event: bytes, result: runner.Result, attempts: int) -> dict[str, Any]:
    """AWS's invocation record for a destination."""
    def as_json(data: bytes) -> Any:
        try:
            return json.loads(data or b"null")
        except ValueError:
            return data.decode("utf-8", "replace")

    response = {"statusCode": 200, "executedVersion": inv.function_version}
    if result.function_error:
        response["functionError"] = result.function_error
    arn = inv.invoked_function_arn if inv.invoked_function_arn.count(":") > 6 else \
        f"{inv.invoked_function_arn}:{inv.function_version}"
    return {"version": "1.0", "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {"requestId": inv.request_id, "functionArn": arn,
                               "condition": "RetriesExhausted" if result.function_error else "Success",
                               "approximateInvokeCount": attempts},
            "requestPayload": as_json(event), "responseContext": response,
            "responsePayload": as_json(result.payload)}


def run_async(account: str, region: str, inv: runner.Invocation, event: bytes, config: dict[str, Any],
              run: Callable[[str, str, runner.Invocation, bytes], runner.Result]) -> None:
    """One asynchronous invocation with its retries and destination (in the background)."""
    retries = int(config.get("MaximumRetryAttempts", DEFAULT_RETRIES))
    attempts = 0
    while True:
        result = run(account, region, inv, event)
        attempts += 1
        if not result.function_error or attempts > retries:
            break
        time.sleep(RETRY_DELAY_SECONDS)
    destinations = config.get("DestinationConfig") or {}
    key = "OnFailure" if result.function_error else "OnSuccess"
    target = (destinations.get(key) or {}).get("Destination")
    if target:
        try:
            _send(account, region, target, record(inv, event, result, attempts), not result.function_error)
        except Exception:
            log.exception("Lambda: the %s destination %s of %s could not take the invocation record", key, target,
                          inv.function_name)


def _send(account: str, region: str, target: str, body: dict[str, Any], success: bool) -> None:
    parts = target.split(":", 5)
    service, target_region, target_account, resource = parts[2], parts[3], parts[4], parts[5]
    text = json.dumps(body)
    if service == "lambda":
        ports.invoke_lambda(target, text.encode(), target_account, target_region)
        return
    if service == "events":
        outcome = "Success" if success else "Failure"
        ports.emit_event(target_account, target_region, "lambda", f"Lambda Function Invocation Result - {outcome}",
                         body, [body["requestContext"]["functionArn"]])
        return
    with current_cloud().mutating():
        if service == "sqs":
            moto_coupling.backend_for("sqs", target_account, target_region).send_message(resource, text)
        elif service == "sns":
            moto_coupling.backend_for("sns", target_account, target_region).publish(text, arn=target)
        else:
            raise ValueError(f"destination service {service!r} is not one Lambda sends records to")

