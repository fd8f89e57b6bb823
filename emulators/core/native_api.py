"""Operations answered by a provider's own handlers, without moto's dispatcher.

Two kinds. AWS JSON 1.1 services that moto does not have: moto's dispatcher sends a request for a service it
does not know to S3, which fails on it, so a provider registers all of such a service's operations here at
install (``register("redshift-serverless", {"CreateNamespace": fn})``: the service's SigV4 signing name, the
``X-Amz-Target`` operation names), and the server answers a request whose signing name is registered through
:func:`answer` instead of moto. And operations of a service moto has that the provider answers itself anyway
(``answer_directly("athena", {"GetQueryExecution": fn})``: JSON-protocol requests, or REST-JSON ones after
``protocol_bridge`` rewrote them): the server serves them with :func:`direct_app` in place of moto's WSGI app,
with the same state lock, write records and answer headers, because moto's Flask routing, response classes and
serializer cost most of such a call's time in the server (GetQueryExecution: 1.08 ms there through moto,
0.24 ms directly; an Athena query makes at least three calls, and clients poll).

Handlers receive the same plain :class:`~emulators.core.moto_coupling.Request` as ``add_operation`` handlers
(in the account moto would pick for the request), return the result dict (serialised as JSON, datetimes as
epoch seconds) and raise :class:`~emulators.core.errors.AwsError`s for AWS errors, answered with the status
the service's model gives the error. The gate has checked the request's signature and its parameters against
the botocore model before (``validation.SERVICES_BY_SIGNING_NAME``). State lives where the provider keeps it
(in one of its moto backends, so the snapshot keeps it).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from emulators.core.errors import AwsError, AwsRefusal
from emulators.core.security import CLIENT_PROTOCOL, json_content_type

_HANDLERS: dict[str, dict[str, Callable[[Any], dict[str, Any]]]] = {}  # services moto does not have
_DIRECT: dict[str, dict[str, Callable[[Any], dict[str, Any]]]] = {}  # operations of services moto has
_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")


def register(signing_name: str, operations: dict[str, Callable[[Any], dict[str, Any]]]) -> None:
    _HANDLERS[signing_name] = dict(operations)


def answer_directly(signing_name: str, operations: dict[str, Callable[[Any], dict[str, Any]]]) -> None:
    """Serve these operations of a service moto has with their handlers, not through moto (:func:`direct_app`)."""
    _DIRECT[signing_name] = dict(operations)


def withdraw_all() -> None:
    _HANDLERS.clear()
    _DIRECT.clear()


def signing_name(environ: dict[str, Any]) -> str | None:
    """The SigV4 signing name of a request's credential scope (``.../us-east-1/redshift-serverless/aws4_request``)."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    parts = found.group(1).split("/") if found else []
    return parts[3] if len(parts) == 5 else None


def region_of(environ: dict[str, Any]) -> str:
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    parts = found.group(1).split("/") if found else []
    return parts[2] if len(parts) == 5 else "us-east-1"


def handles(name: str | None) -> bool:
    return bool(name) and name in _HANDLERS


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _operation(environ: dict[str, Any]) -> str:
    return (environ.get("HTTP_X_AMZ_TARGET") or "").rpartition(".")[2]


def serve(environ: dict[str, Any], body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of one request to a registered service (:func:`register`)."""
    name = signing_name(environ) or ""
    operation = _operation(environ)
    handler = _HANDLERS.get(name, {}).get(operation)
    if handler is None:
        raise AwsRefusal(501, "NotImplemented", f"The {operation or 'requested'} action of {name} has not been "
                         "implemented. The sandbox does not emulate this operation; run `sandbox services` for what "
                         "each service supports.", "json")
    return _call(name, handler, environ, body)


def _call(name: str, handler: Callable[[Any], dict[str, Any]], environ: dict[str, Any],
          body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run ``handler`` on one request to ``name`` (its SigV4 signing name), in the account moto would pick."""
    from emulators.core import moto_coupling

    protocol = "rest-json" if environ.get(CLIENT_PROTOCOL) == "rest-json" else "json"
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        raise AwsRefusal(400, "SerializationException", "The request body is not valid JSON.", protocol) from None
    region = region_of(environ)
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    account_id = moto_coupling.request_account(found.group(1).split("/")[0] if found else "", name, region,
                                               environ.get("HTTP_X_MOTO_ACCOUNT_ID"))
    request = moto_coupling.Request(params=params if isinstance(params, dict) else {}, account_id=account_id,
                                    region=region, method="POST", path="/", body=body)
    try:
        result = handler(request)
    except AwsError as exc:
        status, member = _error_form(name, exc.code)
        raise AwsRefusal(status, exc.code, exc.message, protocol, message_member=member) from None
    data = json.dumps(_plain(result)).encode()
    return "200 OK", [("Content-Type", json_content_type(environ)), ("x-amzn-RequestId", str(uuid.uuid4())),
                      ("Content-Length", str(len(data)))], data


@functools.lru_cache(maxsize=512)
def _error_form(name: str, code: str) -> tuple[int, str]:
    """The HTTP status the service's model gives error ``code`` (400 where it does not say), and the member its
    shape names the message with (``message`` where it does not say)."""
    from emulators.core.validation import model_for_signing_name

    for protocol in ("json", "rest-json"):
        model = model_for_signing_name(name, protocol)
        if model is None:
            continue
        try:
            shape = model.shape_for(code)
        except Exception:  # an error the model does not declare
            return 400, "message"
        member = next((m for m in shape.members if m.lower() == "message"), "message")
        return int(shape.metadata.get("error", {}).get("httpStatusCode", 400)), member
    return 400, "message"


def answer(store: Any, environ: dict[str, Any], start_response: Callable, cors: list[tuple[str, str]]) -> list[bytes]:
    """The WSGI answer to a request :func:`handles` (the server's state ``store`` is held shared around it and
    marked changed after it)."""
    body = _body(environ)
    with store.lock.shared():
        status, headers, data = serve(environ, body)
        store.mark_dirty(include_s3=False)
    start_response(status, headers + cors)
    return [data]


def _body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def direct_app(signing: str | None, environ: dict[str, Any]) -> Callable | None:
    """A WSGI app answering this request with its operation's handler (:func:`answer_directly`), to take moto's
    place; None when no handler answers it."""
    handler = _DIRECT.get(signing or "", {}).get(_operation(environ))
    if handler is None:
        return None

    def app(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        try:
            status, headers, data = _call(signing or "", handler, environ, _body(environ))
        except AwsRefusal as refusal:  # answered here, so that the server records the request as moto's answers
            status, headers, data = refusal.render()
        start_response(status, headers)
        return [data]

    return app
