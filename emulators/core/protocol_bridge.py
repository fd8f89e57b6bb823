"""REST-JSON requests for services whose moto backend speaks only the JSON protocol.

AWS moves services between wire protocols while the API stays the same: from botocore 1.44.18 the
Athena model is REST-JSON (``POST /query-executions``, ``GET /query-executions/{QueryExecutionId}``...)
where it was JSON 1.1 (``POST /`` with ``X-Amz-Target: AmazonAthena.StartQueryExecution``), and moto's
Athena still answers only the latter. A client of either generation must work, so a REST-JSON request for
such a service is rewritten here, after the security gate checked and validated it as sent, into the JSON
request the backend understands: the operation comes from the request's method and path (matched against
the installed botocore model, as validation does), and the members the model puts in the path, the query
string or headers join the body's members. The answer keeps its JSON body, typed ``application/json``, with
the error code in ``x-amzn-ErrorType`` where REST-JSON clients read it.

Clients that still send ``X-Amz-Target`` pass through unchanged.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qs

from emulators.core import moto_coupling
from emulators.core.errors import AwsRefusal
from emulators.core.security import CLIENT_METHOD, CLIENT_PROTOCOL
from emulators.core.validation import JSON_TARGET_PREFIXES, model_for_signing_name, rest_operation, uri_label

__all__ = ["bridged", "finish_answer", "install", "to_json_request"]


def install() -> None:
    """Let moto take the JSON requests of the bridged services (the bridge's and older clients')."""
    moto_coupling.accept_json_protocol(JSON_TARGET_PREFIXES)


def bridged(environ: dict[str, Any]) -> bool:
    """Whether a request reached its backend through the bridge (so its answer is REST-JSON)."""
    return environ.get(CLIENT_PROTOCOL) == "rest-json"


def to_json_request(environ: dict[str, Any], signing_name: str | None) -> dict[str, Any]:
    """The JSON-protocol request for a REST-JSON request to a bridged service; any other request unchanged."""
    prefix = JSON_TARGET_PREFIXES.get(signing_name or "")
    if prefix is None or environ.get("HTTP_X_AMZ_TARGET"):
        return environ
    model = model_for_signing_name(signing_name or "", "rest-json")
    if model is None:  # a botocore whose model is still JSON: its clients send X-Amz-Target
        return environ
    found = rest_operation(model, environ)
    if found is None:
        raise AwsRefusal(404, "UnknownOperationException", f"No {model.service_id} operation is "
                         f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}.", "rest-json")
    operation, labels = found
    if model.operation_model(operation).has_streaming_output:
        return environ  # a raw stream has no JSON-protocol form: the service's provider serves it as sent
    environ[CLIENT_PROTOCOL] = "rest-json"  # an error raised from here on answers in the client's protocol
    document = _members(environ, model.operation_model(operation).input_shape, labels)
    body = json.dumps(document).encode()
    translated = dict(environ)
    translated.update({
        "REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "RAW_URI": "/", "REQUEST_URI": "/",
        "CONTENT_TYPE": "application/x-amz-json-1.1", "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_AMZ_TARGET": f"{prefix}.{operation}", "wsgi.input": io.BytesIO(body),
        CLIENT_PROTOCOL: "rest-json", CLIENT_METHOD: environ.get("REQUEST_METHOD", "GET"),
    })
    return translated


def _members(environ: dict[str, Any], shape: Any, labels: dict[str, str]) -> dict[str, Any]:
    """The operation's input as one JSON document: body members, then path, query-string and header ones."""
    stream = environ.get("wsgi.input")
    raw = stream.read() if stream is not None else b""
    try:
        document: Any = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        raise AwsRefusal(400, "SerializationException", "Expected a JSON object as the request body", "rest-json")
    if shape is None:
        return document
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            value = uri_label(labels, wire)
            if value is not None:
                document[name] = _typed(member, [value], name)
        elif location == "querystring" and wire in query:
            document[name] = _typed(member, query[wire], name)
        elif location == "header":
            value = environ.get("HTTP_" + wire.upper().replace("-", "_"))
            if value is not None:
                document[name] = _typed(member, [value], name)
    return document


def _typed(member: Any, values: list[str], name: str) -> Any:
    """A path, query-string or header value as the JSON member the model declares."""
    kind = member.type_name
    if kind == "list":
        return values
    value = values[-1]
    try:
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("float", "double"):
            return float(value)
    except ValueError:
        raise AwsRefusal(400, "SerializationException", f"Value '{value[:100]}' for {name} is not a number.",
                         "rest-json") from None
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise AwsRefusal(400, "SerializationException", f"Value '{value[:100]}' for {name} is not a "
                             "boolean (true or false).", "rest-json")
        return value.lower() == "true"
    return value


def finish_answer(environ: dict[str, Any], status: str, headers: list[tuple[str, str]],
                  body: bytes) -> list[tuple[str, str]]:
    """A bridged answer's headers: an error names its code in ``x-amzn-ErrorType``."""
    if not bridged(environ) or status[:1] in ("1", "2", "3"):
        return headers
    if any(k.lower() == "x-amzn-errortype" for k, _ in headers):
        return headers
    try:
        code = json.loads(body or b"{}").get("__type", "")
    except (ValueError, AttributeError):
        return headers
    return headers + [("x-amzn-ErrorType", code.rsplit("#", 1)[-1])] if code else headers
