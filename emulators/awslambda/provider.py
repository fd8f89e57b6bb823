"""Lambda on moto: Invoke runs Python handlers locally (see :mod:`emulators.awslambda.runner`).

moto keeps functions, versions, aliases and layers (and the zip bytes of each);
this module's backend subclass answers Invoke by running the handler in a
subprocess, ships its log to CloudWatch Logs (``/aws/lambda/<name>``, through
:mod:`emulators.core.logs`). ``install`` provides ``ports.invoke_lambda``, the way
other services (Firehose transformations, EventBridge targets, alarm actions) run a
function; S3 event notifications are delivered here too. Extracted packages live
under ``<state>/services/lambda/code/<sha256>/`` and are rebuilt from moto's copy
of the zip whenever the folder is missing (after a reset, on another machine).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from emulators.awslambda import async_invoke, config, event_sources, mappings, runner
from emulators.core import jobs, lifecycle, logs, moto_coupling, ports
from emulators.core.errors import InvalidInput, NotEmulated
from emulators.core.moto_coupling import AwsError, Request
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.awslambda")
LambdaBackend = moto_coupling.backend_class("lambda")
LambdaFunction = moto_coupling.lambda_function_class()
_extract_lock = threading.Lock()


class SandboxLambdaFunction(LambdaFunction):  # type: ignore[misc, valid-type]
    """moto's function without its reference to the CloudWatch Logs backend in the pickle.

    moto keeps ``logs_backend`` on every function: pickled as it is, each snapshot
    would carry a second copy of every log group, and a restored function would
    write to a stale one. It is looked up again when needed.
    """

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("logs_backend", None)
        return state

    def invoke(self, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        """moto's own callers of a function (SNS subscriptions, ...) run it locally too, not in Docker."""
        backend = moto_coupling.backend_for("lambda", self.account_id, self.region)
        qualifier = None if str(self.version) == "$LATEST" else str(self.version)
        outcome = backend.invoke_function(self.function_name, qualifier, _event_bytes(body))
        if outcome.result.function_error:
            response_headers["x-amz-function-error"] = outcome.result.function_error
        return outcome.result.payload

    def __getattr__(self, name: str) -> Any:
        if name == "logs_backend":
            return moto_coupling.backend_for("logs", self.__dict__["account_id"], self.__dict__["region"])
        raise AttributeError(name)


@dataclass
class Outcome:
    """One invocation: the runner's result and the version that ran."""

    result: runner.Result
    executed_version: str


def _unsupported(fn: Any) -> str | None:
    if getattr(fn, "package_type", "Zip") == "Image":
        return ("Container image functions (PackageType Image) are not emulated by the sandbox: it runs .zip "
                f"functions with a Python runtime ({', '.join(runner.PYTHON_RUNTIMES)})")
    if fn.run_time not in runner.PYTHON_RUNTIMES:
        return (f"The sandbox runs Lambda functions with a Python runtime only ({', '.join(runner.PYTHON_RUNTIMES)}); "
                f"runtime {fn.run_time} of function {fn.function_name} is not emulated")
    return None


def _bad_package(exc: Exception) -> AwsError:
    return InvalidInput(f"Could not unzip uploaded file. Please check your file, then try to upload again. ({exc})",
                        code="InvalidParameterValueException")


def _check_zip_param(code: dict[str, Any]) -> None:
    """Refuse a ZipFile that is not a zip or whose members escape their folder, before moto stores it."""
    if not code or "ZipFile" not in code:
        return
    data = code["ZipFile"]
    try:
        raw = base64.b64decode(data) if isinstance(data, (str, bytes)) else b""
    except ValueError:
        raw = data if isinstance(data, bytes) else b""
    try:
        runner.check_archive(raw)
    except runner.UnsafeArchive as exc:
        raise _bad_package(exc) from None


def _code_dir(data: bytes, kind: str = "code") -> Path:
    digest = hashlib.sha256(data).hexdigest()
    target = current_cloud().data_dir("lambda") / kind / digest
    if target.is_dir():
        return target
    with _extract_lock:
        return runner.extract(data, target)


def _invocation(backend: Any, fn: Any, qualifier: str | None) -> runner.Invocation:
    """Everything the run needs, read from moto's model while the state lock is held."""
    problem = _unsupported(fn)
    if problem:
        raise NotEmulated(problem, code="InvalidRuntimeException")
    code = moto_coupling.lambda_function_code(fn)
    if not code:
        raise InvalidInput(f"Function {fn.function_name} has no code the sandbox can find (its S3 object is missing)",
                           code="InvalidParameterValueException")
    try:
        code_dir = _code_dir(code)
        layer_dirs = []
        for layer in fn.layers or []:
            data = moto_coupling.lambda_layer_code(backend.account_id, backend.region_name, layer["Arn"])
            if data:
                layer_dirs.append(_code_dir(data, "layers"))
    except runner.UnsafeArchive as exc:
        raise _bad_package(exc) from None
    version = str(fn.version)
    unqualified = f"arn:aws:lambda:{backend.region_name}:{backend.account_id}:function:{fn.function_name}"
    return runner.Invocation(
        code_dir=code_dir, handler=fn.handler or "", runtime=fn.run_time, function_name=fn.function_name,
        function_version=version, invoked_function_arn=unqualified + (f":{qualifier}" if qualifier else ""),
        memory_mb=int(fn.memory_size or 128), timeout=float(fn.timeout or 3), region=backend.region_name,
        endpoint_url=current_cloud().endpoint_url, log_group=f"/aws/lambda/{fn.function_name}",
        variables=dict(fn.environment_vars or {}), layer_dirs=layer_dirs)


def _ship_log(account: str, region: str, inv: runner.Invocation, result: runner.Result) -> None:
    """START, the function's output, END and REPORT into ``/aws/lambda/<name>`` (the invocation's stream)."""
    logs.write_lines(account, region, inv.log_group, inv.log_stream, result.log, guard=current_cloud().mutating)


def _run(account: str, region: str, inv: runner.Invocation, event: bytes) -> runner.Result:
    result = runner.run(inv, event)
    _ship_log(account, region, inv, result)
    return result


def _event_bytes(body: Any) -> bytes:
    if body is None or body == "" or body == b"":
        return b"{}"
    raw = body.encode() if isinstance(body, str) else bytes(body)
    try:
        json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(f"Could not parse request body into json: {exc}",
                           code="InvalidRequestContentException") from None
    return raw


class SandboxLambdaBackend(LambdaBackend):  # type: ignore[misc, valid-type]
    def create_function(self, spec: dict[str, Any]) -> Any:
        config.check_configuration(spec)
        _check_zip_param(spec.get("Code") or {})
        fn = super().create_function(spec)
        if "S3Bucket" in (spec.get("Code") or {}):
            try:
                runner.check_archive(moto_coupling.lambda_function_code(fn))
            except runner.UnsafeArchive as exc:
                self.delete_function(spec["FunctionName"])
                raise _bad_package(exc) from None
        return fn

    def update_function_configuration(self, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        config.check_configuration(body)
        return super().update_function_configuration(function_name, qualifier, body)

    def list_versions_by_function(self, function_name: str) -> Any:
        self.get_function(function_name, None)  # ResourceNotFoundException, as AWS (moto listed nothing)
        return super().list_versions_by_function(function_name)

    def publish_layer_version(self, spec: dict[str, Any]) -> Any:
        _check_zip_param(spec.get("Content") or {})
        return super().publish_layer_version(spec)

    def update_function_code(self, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        _check_zip_param(body)
        return super().update_function_code(function_name, qualifier, body)

    def create_event_source_mapping(self, spec: dict[str, Any]) -> Any:
        """moto's mapping, unhooked from moto's synchronous push: the poller delivers instead."""
        event_sources.check_mapping(spec)
        spec = event_sources.with_defaults(spec)
        destination = ((spec.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if destination and destination.split(":")[2:3] not in (["sqs"], ["sns"]):
            raise NotEmulated("The sandbox sends records of failed batches to an SQS queue or SNS topic destination",
                              code="InvalidParameterValueException")
        consumer = mappings.consumer_arn(self.account_id, self.region_name, spec.get("EventSourceArn"))
        try:  # an enhanced fan-out consumer's mapping reads its stream
            esm = super().create_event_source_mapping({**spec, "EventSourceArn": event_sources.source_stream(consumer)}
                                                      if consumer else spec)
        except ValueError as exc:  # moto's model raises ValueError(code, message)
            args = exc.args if len(exc.args) == 2 else ("InvalidParameterValueException", str(exc))
            raise AwsError(str(args[0]), str(args[1])) from None
        mappings.unhook_moto_push(self.account_id, self.region_name, esm)
        if consumer:
            esm.event_source_arn = consumer
        esm.sandbox_positions = {}
        esm.sandbox_attempts = {}
        esm.sandbox_latest = mappings.stream_ends(self.account_id, self.region_name, esm.event_source_arn) \
            if esm.starting_position == "LATEST" else {}
        return esm

    def update_event_source_mapping(self, uuid_: str, spec: dict[str, Any]) -> Any:
        current = self.get_event_source_mapping(uuid_)
        if current is not None:
            event_sources.check_mapping({"EventSourceArn": current.event_source_arn,
                                         "StartingPosition": current.starting_position,
                                         "StartingPositionTimestamp": current.starting_position_timestamp,
                                         "BatchSize": current.batch_size,
                                         "MaximumBatchingWindowInSeconds": current.max_batch_window, **spec})
        return super().update_event_source_mapping(uuid_, spec)

    def invoke_function(self, function_name: str, qualifier: str | None, event: bytes,
                        invocation_type: str = "RequestResponse") -> Outcome | None:
        """Run a function (the service's own callers: Firehose, S3 notifications). ``None`` for Event/DryRun."""
        fn = self.get_function(function_name, qualifier)
        if not qualifier:  # a qualified ARN or name:alias: the context's invoked_function_arn keeps it
            parts = function_name.split(":")
            qualifier = parts[7] if len(parts) == 8 and parts[0] == "arn" else parts[1] if len(parts) == 2 else None
        inv = _invocation(self, fn, qualifier)
        if invocation_type == "DryRun":
            return None
        cloud = current_cloud()
        if invocation_type == "Event":  # retries and destinations as the event invoke config says
            cloud.submit(async_invoke.run_async, self.account_id, self.region_name, inv, event,
                         async_invoke.invoke_config(self, fn), _run)
            return None
        with lifecycle.outside_state_lock():  # the handler may call back into the sandbox
            result = _run(self.account_id, self.region_name, inv, event)
        return Outcome(result, str(fn.version))

    def invoke(self, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: Any) -> bytes:
        wanted = {str(k).lower(): v for k, v in dict(headers or {}).items()}
        invocation_type = wanted.get("x-amz-invocation-type") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            raise InvalidInput(f"Unsupported InvocationType {invocation_type!r}: RequestResponse, Event or DryRun",
                               code="InvalidParameterValueException")
        event = _event_bytes(body)
        limit = MAX_REQUEST.get(invocation_type)
        if limit and len(event) > limit:
            raise InvalidInput(f"{len(event)} byte payload is too large for the {invocation_type} invocation type "
                               f"(limit {limit} bytes)", code="RequestTooLargeException")
        outcome = self.invoke_function(function_name, qualifier, event, invocation_type)
        if outcome is None:
            return b""
        response_headers["x-amz-executed-version"] = outcome.executed_version
        if outcome.result.function_error:
            response_headers["x-amz-function-error"] = outcome.result.function_error
        response_headers["x-amz-log-result"] = base64.b64encode(outcome.result.log_tail).decode()
        response_headers["Content-Length"] = str(len(outcome.result.payload))
        return outcome.result.payload


MAX_RESPONSE = 6 * 1024 * 1024
MAX_REQUEST = {"RequestResponse": 6 * 1024 * 1024, "Event": 1024 * 1024}  # Lambda quotas: invocation payload


def _invoke_response(request: Request) -> tuple[int, dict[str, str], bytes]:
    """Invoke's HTTP answer (moto reads the qualifier from a lower-case ``qualifier`` parameter, so
    ``Qualifier=1`` ran $LATEST, and a ``qualifier`` key in the event was taken for one)."""
    from urllib.parse import unquote

    function_name = unquote(request.path.rsplit("/", 2)[-2])
    qualifier = (request.query.get("Qualifier") or [None])[0]
    headers: dict[str, str] = {}
    backend = moto_coupling.backend_for("lambda", request.account_id, request.region)
    payload = backend.invoke(function_name, qualifier, request.body, request.headers, headers)
    invocation_type = request.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    headers["content-type"] = "application/json"
    if invocation_type in ("Event", "DryRun"):
        status = 202 if invocation_type == "Event" else 204
        headers["status"] = str(status)  # moto takes the status from this header
        return status, headers, b""
    if len(payload) > MAX_RESPONSE:
        headers["x-amz-function-error"] = "Unhandled"
        payload = json.dumps({"errorMessage": f"Response payload size ({len(payload)} bytes) exceeded maximum "
                                              f"allowed payload size ({MAX_RESPONSE} bytes).",
                              "errorType": "Function.ResponseSizeTooLarge"}).encode()
    if request.headers.get("X-Amz-Log-Type") != "Tail":
        headers.pop("x-amz-log-result", None)
    headers["Content-Length"] = str(len(payload))
    return 200, headers, payload


# -- callers inside the cloud ------------------------------------------------------------------

def _arn_parts(arn_or_name: str, default_account: str, default_region: str) -> tuple[str, str, str, str | None]:
    """(account, region, name, qualifier) of a function ARN (or a plain name)."""
    parts = arn_or_name.split(":")
    if len(parts) >= 7 and parts[0] == "arn":
        return parts[4], parts[3], parts[6], parts[7] if len(parts) > 7 else None
    return default_account, default_region, arn_or_name, None


def invoke(function: str, event: Any, account: str = moto_coupling.DEFAULT_ACCOUNT_ID,
           region: str = "us-east-1") -> tuple[bytes, str | None]:
    """Invoke a function synchronously from inside the cloud: ``(payload, function_error)``.

    Raises :class:`AwsError` (ResourceNotFoundException, InvalidRuntimeException, ...)
    as Invoke would. A caller holding the state lock (``cloud.mutating()``) lets go of
    it while the handler runs, whose boto3 calls come back into the cloud.
    """
    account, region, name, qualifier = _arn_parts(function, account, region)
    backend = moto_coupling.backend_for("lambda", account, region)
    lock = current_cloud().store.lock
    with lock.shared():
        fn = backend.get_function(name, qualifier)
        inv = _invocation(backend, fn, qualifier)
    data = event if isinstance(event, bytes) else json.dumps(event).encode()
    with lifecycle.outside_state_lock():
        result = _run(account, region, inv, data)
    return result.payload, result.function_error


def _s3_notification(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    """S3 -> Lambda, asynchronously as on AWS, with the fields of AWS's S3 event record."""
    for record in event_body.get("Records", []):
        record.setdefault("userIdentity", {"principalId": "AWS:SANDBOX"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {"x-amz-request-id": hashlib.md5(json.dumps(record).encode())
                                               .hexdigest()[:16].upper(), "x-amz-id-2": "sandbox"})
        s3 = record.get("s3", {})
        s3.get("bucket", {}).setdefault("ownerIdentity", {"principalId": "SANDBOX"})
        obj = s3.get("object", {})
        obj.setdefault("sequencer", format(time.time_ns(), "X"))
        if isinstance(obj.get("key"), str):  # URL-encoded as on AWS, which keeps the slashes
            obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")

    def deliver() -> None:
        try:
            invoke(fn_arn, event_body, account_id, region_name)
        except Exception:
            log.exception("S3 event notification to %s failed", fn_arn)

    current_cloud().submit(deliver)


def install(cloud: Any) -> None:
    ports.invoke_lambda.provide(invoke)  # how other services (Firehose, EventBridge, alarms, S3) run a function
    jobs.bind(cloud, "lambda")  # shutdown ends running handlers' process groups; none start while stopping
    moto_coupling.make_lambda_storage_picklable()
    moto_coupling.replace_model_class("awslambda", "LambdaFunction", SandboxLambdaFunction)
    moto_coupling.install_backend_class("lambda", SandboxLambdaBackend)
    moto_coupling.replace_response_method("awslambda", "LambdaResponse", "invoke", _invoke_response)
    moto_coupling.replace_s3_lambda_notifications(_s3_notification)
    cloud.every(float(os.environ.get("SANDBOX_ESM_TICK_SECONDS", "0.5")), mappings.poll_event_sources,
                name="lambda-event-source-mappings")
