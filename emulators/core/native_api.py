"""AWS JSON 1.1 services that moto does not have, answered by a provider's own operation handlers.

moto's dispatcher sends a request for a service it does not know to S3, which fails on it. A provider
registers its operations here at install (``register("redshift-serverless", {"CreateNamespace": fn})``;
the service's SigV4 signing name, the ``X-Amz-Target`` operation names); the server answers a request whose
signing name is registered through :func:`serve` instead of moto. Handlers receive the same plain
:class:`~emulators.core.moto_coupling.Request` as ``add_operation`` handlers, return the result dict
(serialised as JSON, datetimes as epoch seconds) and raise :class:`~emulators.core.errors.AwsError`s for
AWS errors. The gate has checked the request's signature and its parameters against the botocore model
before (``validation.SERVICES_BY_SIGNING_NAME``). State lives where the provider keeps it (in one of its
moto backends, so the snapshot keeps it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from emulators.core.errors import AwsError, AwsRefusal

_HANDLERS: dict[str, dict[str, Callable[[Any], dict[str, Any]]]] = {}
_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")


def register(signing_name: str, operations: dict[str, Callable[[Any], dict[str, Any]]]) -> None:
    _HANDLERS[signing_name] = dict(operations)


def withdraw_all() -> None:
    _HANDLERS.clear()


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


def serve(environ: dict[str, Any], body: bytes, account_id: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of one request to a registered service."""
    name = signing_name(environ) or ""
    operation = (environ.get("HTTP_X_AMZ_TARGET") or "").rpartition(".")[2]
    handler = _HANDLERS.get(name, {}).get(operation)
    if handler is None:
        raise AwsRefusal(501, "NotImplemented", f"The {operation or 'requested'} action of {name} has not been "
                         "implemented. The sandbox does not emulate this operation; run `sandbox services` for what "
                         "each service supports.", "json")
    from emulators.core.moto_coupling import Request

    try:
        params = json.loads(body or b"{}")
    except ValueError:
        raise AwsRefusal(400, "SerializationException", "The request body is not valid JSON.", "json") from None
    request = Request(params=params if isinstance(params, dict) else {}, account_id=account_id,
                      region=region_of(environ), method="POST", path="/", body=body)
    try:
        result = handler(request)
    except AwsError as exc:
        raise AwsRefusal(400, exc.code, exc.message, "json") from None
    data = json.dumps(_plain(result)).encode()
    return "200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", str(uuid.uuid4())),
                      ("Content-Length", str(len(data)))], data


def answer(store: Any, environ: dict[str, Any], start_response: Callable, cors: list[tuple[str, str]]) -> list[bytes]:
    """The WSGI answer to a request :func:`handles` (the server's state ``store`` is held shared around it and
    marked changed after it)."""
    from emulators.core import moto_coupling

    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    with store.lock.shared():
        status, headers, data = serve(environ, body, moto_coupling.DEFAULT_ACCOUNT_ID)
        store.mark_dirty(include_s3=False)
    start_response(status, headers + cors)
    return [data]
