"""Requests checked against the botocore service models before any service sees them.

AWS validates every request against its service model: a body that is not JSON
is a ``SerializationException``, a member of the wrong type too, and a missing
required member, a name too long, an enum value that does not exist or a string
outside its pattern is a ``ValidationException`` whose message names the member
("1 validation error detected: Value '..' at 'jobName' failed to satisfy
constraint: ..."). The sandbox does the same here, once, for every JSON,
REST-JSON and query service it serves; S3 (REST-XML) gets its XML bodies and
object keys checked. Engines therefore never see a name of the wrong shape, and
file paths derived from names go through :func:`emulators.core.paths.state_path`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_to_bytes

from emulators.core import service_models
from emulators.core.errors import AwsRefusal

# botocore service names per SigV4 signing name, for the services the sandbox serves
SERVICES_BY_SIGNING_NAME = {
    "athena": ["athena"], "batch": ["batch"], "dynamodb": ["dynamodb", "dynamodbstreams"],
    "elasticmapreduce": ["emr"], "emr-serverless": ["emr-serverless"], "events": ["events"],
    "firehose": ["firehose"], "glue": ["glue"], "iam": ["iam"], "kinesis": ["kinesis"],
    "kinesisanalytics": ["kinesisanalyticsv2", "kinesisanalytics"], "kms": ["kms"], "lambda": ["lambda"],
    "logs": ["logs"], "redshift": ["redshift"], "redshift-data": ["redshift-data"],
    "redshift-serverless": ["redshift-serverless"],
    "sagemaker": ["sagemaker", "sagemaker-runtime", "sagemaker-featurestore-runtime"], "sns": ["sns"],
    "sqs": ["sqs"], "states": ["stepfunctions"], "sts": ["sts"],
}
# services whose botocore model moved from JSON 1.1 to REST-JSON while moto still dispatches them by
# X-Amz-Target (signing name = botocore name -> target prefix); see ``protocol_bridge``
JSON_TARGET_PREFIXES = {"athena": "AmazonAthena"}
MAX_ERRORS = 10
MAX_KEY_BYTES = 1024
# S3 sub-resources whose PUT/POST body is an XML document
S3_XML_SUBRESOURCES = frozenset({
    "accelerate", "acl", "analytics", "cors", "delete", "encryption", "intelligent-tiering", "inventory",
    "legal-hold", "lifecycle", "logging", "metrics", "notification", "object-lock", "ownershipControls",
    "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select", "tagging",
    "versioning", "website",
})


_service_model = service_models.service_model


@lru_cache(maxsize=2048)
def _pattern(text: str) -> re.Pattern[str] | None:
    # Java's UTF-16 surrogate pairs stand for the supplementary planes
    text = text.replace("\\uD800\\uDC00-\\uDBFF\\uDFFF", "\\U00010000-\\U0010FFFF")
    try:
        return re.compile(text)
    except re.error:
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "..."


class _Checker:
    """Walks a value against a botocore shape, collecting AWS-worded problems."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.type_problem: str | None = None

    def check(self, shape: Any, value: Any, path: str, depth: int = 0) -> None:
        if depth > 64:
            self.type_problem = f"Request nesting is too deep at '{path}'"
            return
        kind = shape.type_name
        if shape.metadata.get("document"):
            return  # a free-form JSON document: any JSON value
        if kind == "structure":
            if not isinstance(value, dict):
                self.type_problem = f"Expected an object (structure) at '{path or 'body'}', got {type(value).__name__}"
                return
            for name in shape.required_members:
                if value.get(name) is None and name in shape.members and \
                        shape.members[name].serialization.get("location") in (None, ""):
                    self._add(f"Value null at '{self._join(path, name)}' failed to satisfy constraint: Member must "
                              "not be null")
            for name, member_value in value.items():
                member = shape.members.get(name)
                if member is not None and member_value is not None:
                    self.check(member, member_value, self._join(path, name), depth + 1)
        elif kind == "list":
            if not isinstance(value, list):
                self.type_problem = f"Expected a list at '{path}', got {type(value).__name__}"
                return
            self._length(shape, len(value), value, path, "length")
            for index, item in enumerate(value):
                if item is not None:
                    self.check(shape.member, item, f"{path}.{index + 1}.member", depth + 1)
        elif kind == "map":
            if not isinstance(value, dict):
                self.type_problem = f"Expected a map at '{path}', got {type(value).__name__}"
                return
            self._length(shape, len(value), value, path, "length")
            for key, item in value.items():
                self.check(shape.key, key, f"{path}.key", depth + 1)
                if item is not None:
                    self.check(shape.value, item, f"{path}.{key}.value", depth + 1)
        elif kind == "string":
            if not isinstance(value, str):
                self.type_problem = f"Expected a string at '{path}', got {type(value).__name__} {_show(value)}"
                return
            self.check_string(shape, value, path)
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    self.type_problem = f"Expected a whole number at '{path}', got {_show(value)}"
                    return
            self._range(shape, value, path)
        elif kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.type_problem = f"Expected a number at '{path}', got {_show(value)}"
                return
            self._range(shape, value, path)
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.type_problem = f"Expected true or false at '{path}', got {_show(value)}"
        elif kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                self.type_problem = f"Expected a timestamp at '{path}', got {_show(value)}"
        elif kind == "blob":
            if not isinstance(value, str):
                self.type_problem = f"Expected a base64 string (blob) at '{path}', got {type(value).__name__}"

    def check_string(self, shape: Any, value: str, path: str) -> None:
        metadata = shape.metadata
        self._length(shape, len(value), value, path, "length")
        enum = getattr(shape, "enum", None) or metadata.get("enum")
        if enum and value not in enum:
            self._add(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must satisfy enum "
                      f"value set: [{', '.join(enum)}]")
            return
        pattern = metadata.get("pattern")
        if pattern:
            compiled = _pattern(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                self._add(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must satisfy "
                          f"regular expression pattern: {pattern}")

    def _length(self, shape: Any, length: int, value: Any, path: str, what: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and length < low:
            self._add(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must have {what} "
                      f"greater than or equal to {low}")
        elif high is not None and length > high:
            self._add(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must have {what} "
                      f"less than or equal to {high}")

    def _range(self, shape: Any, value: float, path: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            self._add(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater "
                      f"than or equal to {low}")
        elif high is not None and value > high:
            self._add(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less "
                      f"than or equal to {high}")

    def _add(self, problem: str) -> None:
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(problem)

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{_camel(name)}" if path else _camel(name)

    def raise_if_any(self, protocol: str) -> None:
        if self.type_problem:
            raise AwsRefusal(400, "SerializationException", self.type_problem, protocol)
        if self.problems:
            count = len(self.problems)
            raise AwsRefusal(400, "ValidationException" if protocol != "query" else "ValidationError",
                             f"{count} validation error{'s' if count > 1 else ''} detected: "
                             + "; ".join(self.problems), protocol)


def _json_body(body: bytes | None, protocol: str) -> Any:
    if not body:
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise AwsRefusal(400, "SerializationException", "The request body is not valid UTF-8.", protocol) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise AwsRefusal(400, "SerializationException", f"The request body is not valid JSON: {exc}",
                         protocol) from None


def _models(signing_name: str) -> list[Any]:
    models = []
    for name in SERVICES_BY_SIGNING_NAME.get(signing_name, []):
        try:
            models.append(_service_model(name))
        except Exception:  # a botocore without that service: nothing to check against
            continue
    return models


def model_for_signing_name(signing_name: str, protocol: str) -> Any:
    """The installed botocore model of a signing name's service that uses ``protocol``, else None."""
    return next((m for m in _models(signing_name) if m.protocol == protocol), None)


def validate_request(environ: dict[str, Any], service: str, body: bytes | None, protocol: str) -> None:
    """Raise :class:`AwsRefusal` when the request does not fit its operation in the service model."""
    if service == "s3" or protocol == "s3":
        _validate_s3(environ, body)
        return
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        _validate_json(environ, service, target, body)
    elif protocol == "query":
        _validate_query(environ, service, body)
    else:
        _validate_rest_json(environ, service, body)


def _validate_json(environ: dict[str, Any], service: str, target: str, body: bytes | None) -> None:
    prefix, _, operation = target.rpartition(".")
    models = [m for m in _models(service)
              if (m.metadata.get("targetPrefix") or JSON_TARGET_PREFIXES.get(m.service_name)) == prefix]
    if not models:
        return
    model = models[0]
    if operation not in model.operation_names:
        raise AwsRefusal(400, "UnknownOperationException", f"Operation {operation!r} is not an operation of "
                         f"{model.service_id} ({prefix}).", "json")
    document = _json_body(body, "json")
    input_shape = model.operation_model(operation).input_shape
    checker = _Checker()
    if input_shape is None:
        if not isinstance(document, dict):
            checker.type_problem = "Expected an object (structure) as the request body"
    else:
        checker.check(input_shape, document, "")
    checker.raise_if_any("json")


def _validate_query(environ: dict[str, Any], service: str, body: bytes | None) -> None:
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        try:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            raise AwsRefusal(400, "MalformedQueryString", "The request body is not valid UTF-8.", "query") from None
    action = params.get("Action")
    models = _models(service)
    if not action or not models:
        return
    model = next((m for m in models if action in m.operation_names), None)
    if model is None:
        raise AwsRefusal(400, "InvalidAction", f"The action {action} is not valid for this web service.", "query")
    shape = model.operation_model(action).input_shape
    if shape is None:
        return
    checker = _Checker()
    for name in shape.required_members:
        member = shape.members[name]
        if member.type_name in ("string", "integer", "long", "boolean") and name not in params:
            checker._add(f"Value null at '{_camel(name)}' failed to satisfy constraint: Member must not be null")
    for name, member in shape.members.items():
        if name in params and member.type_name == "string":
            checker.check_string(member, params[name], _camel(name))
    checker.raise_if_any("query")


@lru_cache(maxsize=16)
def _rest_routes(service_name: str) -> list[tuple[str, re.Pattern[str], str, int]]:
    """(method, path regex, operation, literal length) for each operation of a REST service."""
    model = _service_model(service_name)
    routes = []
    for operation in model.operation_names:
        http = model.operation_model(operation).http
        uri = http.get("requestUri", "/").split("?", 1)[0]
        regex, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", uri):
            if part.startswith("{"):
                name = part[1:-1]
                greedy = name.endswith("+")
                name = name.rstrip("+")
                regex += f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>{'.+' if greedy else '[^/]+'})"
            else:
                regex += re.escape(part)
                literal += len(part)
        routes.append((http.get("method", "POST"), re.compile(regex.rstrip("/") + "/?$"), operation, literal))
    return sorted(routes, key=lambda r: -r[3])


def raw_path(environ: dict[str, Any]) -> str:
    """The request's path as sent, still percent-encoded (a label may hold an encoded ``/``)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    return raw.split("?", 1)[0] or "/"


def rest_operation(model: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The operation of a REST service model a request's method and path call, with its URI labels (decoded,
    keyed by their wire names), else None."""
    method, path = environ.get("REQUEST_METHOD", "GET"), raw_path(environ)
    for route_method, regex, operation, _ in _rest_routes(model.service_name):
        match = regex.match(path) if route_method == method else None
        if match is not None:
            return operation, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def uri_label(labels: dict[str, str], wire: str) -> str | None:
    return labels.get(re.sub(r"[^A-Za-z0-9_]", "_", wire.rstrip("+")))


def _validate_rest_json(environ: dict[str, Any], service: str, body: bytes | None) -> None:
    if body and "json" in environ.get("CONTENT_TYPE", ""):
        _json_body(body, "rest-json")  # whatever the route: a JSON body must be JSON
    for model in _models(service):
        if model.protocol != "rest-json":
            continue
        found = rest_operation(model, environ)
        if found is None:
            continue
        operation, labels = found
        shape = model.operation_model(operation).input_shape
        if shape is None:
            return
        checker = _Checker()
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        payload_member = shape.serialization.get("payload")
        document: Any = {}
        if payload_member is None and body:
            document = _json_body(body, "rest-json")
            if not isinstance(document, dict):
                raise AwsRefusal(400, "SerializationException", "Expected a JSON object as the request body",
                                 "rest-json")
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri":
                value = uri_label(labels, wire)
                if value is not None and member.type_name == "string":
                    checker.check_string(member, value, _camel(name))
            elif location == "querystring":
                if wire in query and member.type_name == "string":
                    checker.check_string(member, query[wire], _camel(name))
            elif location is None and name != payload_member and name in document \
                    and document[name] is not None:
                checker.check(member, document[name], _camel(name))
            if name in shape.required_members and location is None and name != payload_member \
                    and document.get(name) is None:
                checker._add(f"Value null at '{_camel(name)}' failed to satisfy constraint: Member must not "
                             "be null")
        checker.raise_if_any("rest-json")
        return


def s3_request_has_xml_body(environ: dict[str, Any]) -> bool:
    """A PUT/POST whose body is one of S3's XML documents (tagging, delete, lifecycle, complete upload...)."""
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("PUT", "POST"):
        return False
    query_keys = {k for k, _ in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)}
    return bool(query_keys & S3_XML_SUBRESOURCES) or (method == "POST" and "uploadId" in query_keys)


def _validate_s3(environ: dict[str, Any], body: bytes | None) -> None:
    try:
        decoded = unquote_to_bytes(raw_path(environ)).decode("utf-8")
    except UnicodeDecodeError:
        raise AwsRefusal(400, "InvalidURI", "Couldn't parse the specified URI: object keys must be valid UTF-8.",
                         "s3") from None
    key = decoded.lstrip("/").partition("/")[2]
    if len(key.encode()) > MAX_KEY_BYTES:
        raise AwsRefusal(400, "KeyTooLongError", "Your key is too long (the maximum is 1024 bytes).", "s3")
    if not s3_request_has_xml_body(environ):
        return
    query_keys = {k for k, _ in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)}
    if body is None or "policy" in query_keys:
        return
    if environ.get("HTTP_X_AMZ_CONTENT_SHA256", "").startswith("STREAMING-") or \
            "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", ""):
        return  # a chunk-signed body: moto decodes it
    if not body.strip():
        if "acl" in query_keys or "restore" in query_keys:
            return  # a canned ACL in a header; a restore with defaults
        raise AwsRefusal(400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                         "against our published schema", "s3")
    import xml.etree.ElementTree as ElementTree

    try:
        ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise AwsRefusal(400, "MalformedXML", f"The XML you provided was not well-formed or did not validate "
                         f"against our published schema ({exc})", "s3") from None
