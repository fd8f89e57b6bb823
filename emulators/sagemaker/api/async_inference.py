"""Asynchronous inference: sagemaker-runtime InvokeEndpointAsync on an endpoint with an AsyncInferenceConfig.

moto answers InvokeEndpointAsync with locations in a bucket that does not exist and never runs the
model. Here the request is checked (the endpoint exists, is InService and was configured for
asynchronous inference; the input object exists), answered at once with HTTP 202 and the locations,
and the endpoint's model runs in the background on the S3 object ``InputLocation`` names: its answer is
written to ``<S3OutputPath>/<uuid>.out``; a model error to ``<S3FailurePath or S3OutputPath>/<uuid>-error.out``.

Not emulated: the SNS success/error notifications of ``NotificationConfig`` (the output object is the
signal to poll for), request queueing and scaling to zero, ``RequestTTLSeconds``.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from emulators.core import moto_coupling, s3uri
from emulators.core.errors import InvalidInput
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common

log = logging.getLogger("emulators.sagemaker")


def invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="ValidationError")


def _async_config(request: Request, endpoint_name: str) -> dict[str, Any]:
    backend = common.backend_of(request)
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        raise invalid(f"Endpoint {endpoint_name} of account {request.account_id} not found.")
    if endpoint.endpoint_status not in ("InService", "Updating"):
        raise invalid(f"Endpoint {endpoint_name} of account {request.account_id} is not InService "
                      f"(status {endpoint.endpoint_status}).")
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    async_config = (getattr(config, "async_inference_config", None) or {}) if config is not None else {}
    if not (async_config.get("OutputConfig") or {}).get("S3OutputPath"):
        raise invalid(f"Endpoint {endpoint_name} is not an asynchronous inference endpoint: its endpoint "
                      "configuration has no AsyncInferenceConfig. Call InvokeEndpoint instead.")
    return async_config


def _location(path: str, name: str) -> str:
    return f"{path.rstrip('/')}/{name}"


def invoke_endpoint_async_handler(request: Request) -> Any:
    headers = {k.lower(): v for k, v in request.headers.items()}
    endpoint_name = request.get("EndpointName") or request.path.split("/")[2]
    output = _async_config(request, endpoint_name)["OutputConfig"]
    input_location = headers.get("x-amzn-sagemaker-inputlocation") or ""
    try:
        source = s3uri.parse(input_location)
        body = common.s3().get(source.bucket, source.key)
    except Exception:
        raise invalid(f"Could not read the input at InputLocation {input_location!r}: it must be an existing S3 "
                      "object (s3://bucket/key).") from None
    inference_id = headers.get("x-amzn-sagemaker-inference-id") or str(uuid.uuid4())
    name = str(uuid.uuid4())
    extension = headers.get("x-amzn-sagemaker-s3outputpathextension")
    output_path = _location(output["S3OutputPath"], extension) if extension else output["S3OutputPath"]
    output_location = _location(output_path, f"{name}.out")
    failure_location = _location(output.get("S3FailurePath") or output_path, f"{name}-error.out")
    common.cloud().submit(_run, request.account_id, request.region, endpoint_name, body,
                          headers.get("x-amzn-sagemaker-content-type"), headers.get("x-amzn-sagemaker-accept"),
                          headers.get("x-amzn-sagemaker-custom-attributes"), inference_id,
                          output_location, failure_location)
    # moto takes the status of a response method's answer from its "status" header
    return 202, {"status": "202", "Content-Type": "application/json",
                 "X-Amzn-SageMaker-OutputLocation": output_location,
                 "X-Amzn-SageMaker-FailureLocation": failure_location}, json.dumps({"InferenceId": inference_id})


def _run(account_id: str, region: str, endpoint_name: str, body: bytes, content_type: str | None,
         accept: str | None, custom_attributes: str | None, inference_id: str, output_location: str,
         failure_location: str) -> None:
    runtime = moto_coupling.backend_for("sagemaker-runtime", account_id, region)
    try:
        out, _, _, _ = runtime.invoke_endpoint_with_request(endpoint_name, body, content_type, accept, None,
                                                            custom_attributes, inference_id, asynchronous=True)
        target, data = s3uri.parse(output_location), out
    except Exception as exc:
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        target, data = s3uri.parse(failure_location), str(message).encode()
    try:
        common.s3().put(target.bucket, target.key, data)
    except Exception:
        log.exception("async inference of endpoint %s: writing %s failed", endpoint_name, target)


def install() -> None:
    moto_coupling.replace_response_method("sagemakerruntime", "SageMakerRuntimeResponse", "invoke_endpoint_async",
                                          invoke_endpoint_async_handler, raw_body=True)
