"""moto's backends and request plumbing: BackendDicts, backend classes, response hooks, errors, the WSGI app."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import moto
from moto import backends as _moto_backends
from moto.core.base_backend import BackendDict, BaseBackend  # noqa: F401 - BaseBackend re-exported
from moto.core.exceptions import JsonRESTError, ServiceException  # noqa: F401 - JsonRESTError re-exported
from moto.s3.exceptions import S3ClientError  # noqa: F401 - re-exported for S3's errors

MOTO_VERSION = moto.__version__
DEFAULT_ACCOUNT_ID = "123456789012"


class PlainStatus:
    """Mixin for moto models built on ``ManagedState``: the status is whatever the engine sets.

    moto advances such statuses by time or by the number of reads; the sandbox's
    engines move them themselves (QUEUED -> RUNNING -> SUCCEEDED when the work is done).
    """

    @property
    def status(self) -> Any:
        return self._status

    @status.setter
    def status(self, value: Any) -> None:
        self._status = value


class AwsError(ServiceException):
    """An AWS error (code + message) that moto serialises in the calling service's protocol.

    Raise it from a provider: ``raise AwsError("ValidationException", "...")``. The HTTP
    status comes from the service's error model (400 when the model does not say).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


# BackendDicts that moto keeps beside the one `get_backend` returns: with execution
# switched on, Step Functions is answered by its parser backend.
EXTRA_BACKEND_DICTS = {
    "stepfunctions-parser": ("moto.stepfunctions.parser.models", "stepfunctions_parser_backends"),
}


def backend_dict(service: str) -> BackendDict:
    """The ``BackendDict`` of a service, by moto's name for it ("s3", "glue", ...)."""
    if service in EXTRA_BACKEND_DICTS:
        module_name, attr = EXTRA_BACKEND_DICTS[service]
        return getattr(importlib.import_module(module_name), attr)
    return _moto_backends.get_backend(service)  # type: ignore[arg-type]


def backend_class(service: str) -> type:
    """moto's backend class for a service, to subclass in a provider."""
    return backend_dict(service).backend


def model_class(service: str, name: str) -> type:
    """A class from moto's models module of a service (``model_class("emr", "Step")``)."""
    module = importlib.import_module(f"moto.{service}.models")
    return getattr(module, name)


def stepfunctions_parser_module(name: str) -> Any:
    """A module of moto's Step Functions interpreter, by its name under ``moto.stepfunctions.parser``
    (``"asl.utils.encoding"``): the repairs in ``emulators/stepfunctions/integrations.py`` patch them."""
    return importlib.import_module(f"moto.stepfunctions.parser.{name}")


def permission_result() -> Any:
    """moto's ``PermissionResult`` enum: what an S3 bucket's ``get_permission`` answers."""
    from moto.iam.access_control import PermissionResult

    return PermissionResult


def replace_model_class(service: str, name: str, cls: type) -> None:
    """Make moto's models module of ``service`` build ``cls`` wherever it builds ``name``."""
    module = importlib.import_module(f"moto.{service}.models")
    if not issubclass(cls, getattr(module, name)):
        raise TypeError(f"{cls!r} must subclass moto.{service}.models.{name}")
    setattr(module, name, cls)


@dataclass(frozen=True)
class Request:
    """One AWS request as plain values: what a handler added with ``add_operation`` or
    ``replace_response_method`` receives (never moto's response object).

    ``params`` is the operation's input as a plain dict, decoded per protocol: the JSON body for
    ``json`` services (Glue, Athena, Kinesis, ...); moto's model-driven parse where moto does one
    (SageMaker, EMR, IAM, CloudWatch: lists are lists, numbers numbers); the form decoded with
    ``Foo.member.N`` folded into lists for other ``query`` services; the URI, query-string, header
    and JSON-body members for ``rest-json``/``rest-xml`` (a payload member, such as Invoke's, stays
    in ``body``). ``get``/``get_int``/``get_bool`` answer as moto's ``_get_param``,
    ``_get_int_param`` and ``_get_bool_param`` did. ``body`` (bytes, a ``Content-Encoding: gzip``
    undone), ``headers``, ``path`` and ``query`` (the URL's query string, each name to its list of
    values) are there for handlers that read the raw request.
    """

    params: Mapping[str, Any] = field(default_factory=dict)
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = "us-east-1"
    partition: str = "aws"
    method: str = "POST"
    path: str = "/"
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def get(self, name: str, default: Any = None) -> Any:
        """The parameter ``name``; ``default`` when the request does not have it (an explicit null stays None)."""
        return self.params.get(name, default)

    def get_int(self, name: str, default: Any = None) -> Any:
        """The parameter as an ``int`` (``default`` when missing or null; ValueError when it is no number)."""
        value = self.params.get(name)
        return default if value is None else int(value)

    def get_bool(self, name: str, default: Any = None) -> Any:
        """The parameter as a ``bool``: true/false in any case; ``default`` when missing, null or anything else."""
        value = self.params.get(name)
        if value is not None:
            text = str(value).lower()
            if text == "true":
                return True
            if text == "false":
                return False
        return default


def _as_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, dict):  # moto's DynamoDB handler replaces the body with the parsed parameters
        return json.dumps(body, default=str).encode("utf-8")
    return bytes(body)


def _json_object(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        decoded = json.loads(body)
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _service_model(response: Any) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model(response.boto3_service_name)


def _protocol(response: Any, model: Any) -> str:
    protocols = model.metadata.get("protocols") or [model.protocol]
    if model.service_name in _JSON_BRIDGED:
        protocols = [*protocols, "json"]
    if len(protocols) > 1:  # services that take more than one protocol: the request's content type says
        content_type = str(response.headers.get("Content-Type", ""))
        if content_type.startswith("application/x-www-form-urlencoded"):
            return "ec2" if "ec2" in protocols else "query"
        if content_type.startswith("application/x-amz-json") and "json" in protocols:
            return "json"
    return str(model.protocol)


def _rest_params(response: Any, model: Any, body: bytes, query: Mapping[str, list[str]]) -> dict[str, Any]:
    """The input members of a rest-json/rest-xml request by their location in the operation's model."""
    path_params = dict(response.uri_match or {})  # moto's router: label -> percent-decoded value
    try:
        shape = model.operation_model(response._get_action()).input_shape
    except Exception:  # an operation botocore does not know: the URI and query string only
        shape = None
    if shape is None:
        return {**{k: v[0] for k, v in query.items() if v}, **path_params}
    params: dict[str, Any] = {}
    payload = shape.serialization.get("payload")
    json_body = _json_object(body) if model.protocol == "rest-json" and not payload else {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            value = path_params.get(wire_name)
        elif location == "querystring":
            values = query.get(wire_name)
            value = (values if member.type_name == "list" else values[0]) if values else None
        elif location == "header":
            value = response.headers.get(wire_name)
        elif location is None and name != payload:
            value = json_body.get(name)
        else:
            continue
        if value is not None:
            params[name] = value
    return params


def _params_of(response: Any, body: bytes, query: Mapping[str, list[str]]) -> Mapping[str, Any]:
    if getattr(response, "automated_parameter_parsing", False) and isinstance(getattr(response, "params", None),
                                                                              dict):
        # moto parsed the request with the service's model (its _get_param also looks at the URI's labels)
        return {**response.uri_match, **response.params} if response.uri_match else response.params
    model = _service_model(response)
    protocol = _protocol(response, model)
    if protocol in ("query", "ec2"):
        return response._get_params()  # Foo.member.1, Foo.member.2 -> "Foo": [...]
    if protocol in ("rest-json", "rest-xml"):
        return _rest_params(response, model, body, query)
    return _json_object(body)


def request_of(response: Any) -> Request:
    """The plain :class:`Request` of a moto response object (while moto answers that request)."""
    body = _as_bytes(response.body)
    query = parse_qs(response.parsed_url.query, keep_blank_values=True)
    return Request(params=_params_of(response, body, query), account_id=response.current_account,
                   region=response.region, partition=response.partition, method=response.method,
                   path=response.path, query=query, headers=response.headers, body=body)


def request_account(access_key: str, service: str, region: str, account_header: str | None = None) -> str:
    """The account a request acts in, found as moto's responses find it (``MOTO_ACCOUNT_ID``, an
    ``x-moto-account-id`` header, the account whose IAM user owns the access key, else the default account), with
    the key's last use recorded as they record it (IAM's GetAccessKeyLastUsed)."""
    from moto.iam.models import get_account_id_from, mark_account_as_visited

    account = os.environ.get("MOTO_ACCOUNT_ID") or account_header or get_account_id_from(access_key)
    mark_account_as_visited(account_id=account, access_key=access_key, service=service, region=region)
    return account


def add_operation(service: str, response_class: str, operation: str, handler: Any) -> None:
    """Answer an AWS operation moto does not implement (or answers wrongly).

    ``handler(request)`` receives the :class:`Request` (the parameters as a plain dict, the
    account and region) and returns the result dict, which is serialised in the service's
    protocol. An :class:`AwsError` it raises becomes the service's error response.
    """
    from moto.core.responses import ActionResult

    module = importlib.import_module(f"moto.{service}.responses")
    cls = getattr(module, response_class)

    def method(self: Any) -> Any:
        return ActionResult(handler(request_of(self)))

    method.__name__ = operation
    setattr(cls, operation, method)


def replace_response_method(service: str, response_class: str, operation: str, handler: Any,
                            raw_body: bool = False) -> None:
    """Answer an operation with ``handler(request)`` returning ``(status, headers, body)`` as it is.

    For operations whose request body or headers moto does not pass on to its
    backend (SageMaker Runtime's InvokeEndpoint): the handler reads the
    :class:`Request`'s ``body``, ``headers``, ``path`` and ``query``. ``raw_body`` keeps
    moto from decoding the request body as UTF-8 for every operation of the
    class (binary payloads such as NumPy arrays).
    """
    module = importlib.import_module(f"moto.{service}.responses")
    cls = getattr(module, response_class)
    if raw_body:
        cls.use_raw_body = True

    def method(self: Any) -> Any:
        return handler(request_of(self))

    method.__name__ = operation
    setattr(cls, operation, method)


def add_rest_api(service: str, api: str, url_path: str, handler: Any) -> None:
    """Serve a REST API moto lacks on the app of moto's ``service`` (the one its signing name reaches).

    Requests whose path matches ``url_path`` (a moto URL pattern, ``{0}`` standing for the base) are parsed
    with botocore's ``api`` model (SageMaker Feature Store Runtime on ``sagemaker``'s app) and answered by
    ``handler(operation, request)``, which returns ``(status, headers, body)``; an :class:`AwsError` it
    raises is that API's error response (rest-json, the status of the error's shape in the model).
    """
    from moto.core.responses import BaseResponse

    module = importlib.import_module(f"moto.{service}.urls")

    def route(request: Any, full_url: str, headers: Any) -> Any:
        response = BaseResponse(api)
        response.setup_class(request, full_url, headers, use_raw_body=True)
        operation = response._get_action()
        try:
            if operation is None:
                raise _unrouted(api, response)
            return handler(operation, request_of(response))
        except ServiceException as exc:
            try:
                shape = _service_model(response).shape_for(exc.code)
                status = int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
            except Exception:  # an error the model does not declare
                status = 400
            body = json.dumps({"__type": exc.code, "message": exc.message}).encode()
            return status, {"Content-Type": "application/json", "x-amzn-ErrorType": exc.code}, body

    route.__name__ = f"{api.replace('-', '_')}_route"
    module.url_paths[url_path] = route


def _unrouted(api: str, response: Any) -> AwsError:
    """The error of a request botocore's router could not place: a required query-string member is missing
    (AWS's ValidationException), or no operation has that method and path."""
    import re

    model = _service_model(response)
    query = parse_qs(response.parsed_url.query, keep_blank_values=True)
    for name in model.operation_names:
        operation = model.operation_model(name)
        uri = operation.http.get("requestUri", "/").split("?", 1)[0]
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(uri))
        if operation.http.get("method") != response.method or not re.fullmatch(pattern, response.path):
            continue
        shape = operation.input_shape
        missing = [member.serialization.get("name", member_name) for member_name, member in shape.members.items()
                   if member_name in shape.required_members and member.serialization.get("location") == "querystring"
                   and member.serialization.get("name", member_name) not in query]
        if missing:
            count = f"{len(missing)} validation error{'s' if len(missing) > 1 else ''}"
            return AwsError("ValidationException", f"{count} detected: " + "; ".join(
                f"Value null at '{m[:1].lower() + m[1:]}' failed to satisfy constraint: Member must not be null"
                for m in missing))
    return AwsError("UnknownOperationException", f"No {api} operation answers {response.method} {response.path}")


def default_request_params(service: str, response_class: str, operation: str, defaults: dict[str, Any],
                           nested: str | None = None) -> None:
    """Fill in request parameters AWS treats as optional but moto requires.

    With ``nested``, the defaults apply inside that (dict) parameter instead.
    """
    module = importlib.import_module(f"moto.{service}.responses")
    cls = getattr(module, response_class)
    original = getattr(cls, operation)

    def method(self: Any) -> Any:
        try:
            body = json.loads(self.body) if self.body else {}
        except (TypeError, ValueError):
            return original(self)
        target = body.get(nested) if nested else body
        if isinstance(target, dict):
            for key, value in defaults.items():
                target.setdefault(key, value)
            self.body = json.dumps(body)
            if getattr(self, "automated_parameter_parsing", False) and hasattr(self, "params"):
                self.params = body
        return original(self)

    method.__name__ = operation
    setattr(cls, operation, method)


def check_requests(service: str, response_class: str, operations: Iterable[str], check: Any) -> None:
    """Call ``check(operation, request)`` (a :class:`Request`) before moto answers each of ``operations``; an
    :class:`AwsError` it raises is the answer (AWS's request validation where moto has none)."""
    module = importlib.import_module(f"moto.{service}.responses")
    cls = getattr(module, response_class)
    for operation in operations:
        original = getattr(cls, operation)

        def method(self: Any, _original: Any = original, _operation: str = operation) -> Any:
            check(_operation, request_of(self))
            return _original(self)

        method.__name__ = operation
        setattr(cls, operation, method)


_ERROR_STATUS: dict[tuple[str, str], int] = {}


def set_error_status(service: str, code: str, status: int) -> None:
    """Answer error ``code`` of ``service`` with HTTP ``status`` when botocore's model does not say.

    S3's model omits most error shapes, so moto would send ``AccessDenied`` with 400;
    AWS sends 403. ``service`` is the botocore service id ("S3").
    """
    import moto.core.serialize as serialize

    _ERROR_STATUS[(service, code)] = status
    original = serialize.get_error_model
    if getattr(original, "_sandbox_status", False):
        return

    def get_error_model(exception: Exception, default_service_model: Any) -> Any:
        shape = original(exception, default_service_model)
        wanted = _ERROR_STATUS.get((default_service_model.metadata.get("serviceId"), shape.error_code))
        if wanted and "httpStatusCode" not in shape.metadata.get("error", {}):
            from moto.core.errors import ErrorShape

            shape = ErrorShape(shape_name=shape.name, shape_model={
                "exception": True, "type": "structure", "members": {},
                "error": {"code": shape.error_code, "httpStatusCode": wanted}})
        return shape

    get_error_model._sandbox_status = True  # type: ignore[attr-defined]
    serialize.get_error_model = get_error_model


def backend_for(service: str, account_id: str = DEFAULT_ACCOUNT_ID, region: str = "us-east-1") -> Any:
    """The backend object that answers ``service`` for one account and region."""
    return backend_dict(service)[account_id][region]


def install_backend_class(service: str, cls: type) -> None:
    """Make ``cls`` (a subclass of moto's backend) answer ``service`` from now on.

    Backends already created are converted in place, which is safe because the
    subclasses only add behaviour and create their own state lazily.
    """
    bdict = backend_dict(service)
    if not issubclass(cls, bdict.backend) and bdict.backend is not cls:
        raise TypeError(f"{cls!r} must subclass {bdict.backend!r}")
    if not cls.__module__.startswith("moto."):
        # moto finds a backend's URL table next to the backend's module; point ours at moto's
        moto_module = next(k.__module__ for k in cls.__mro__ if k.__module__.startswith("moto."))
        urls = importlib.import_module(".".join(moto_module.split(".")[:2]) + ".urls")
        cls._url_module = property(lambda self, _urls=urls: _urls)
    bdict.backend = cls
    for account_backends in bdict.values():
        account_backends.backend = cls
        for region_backend in account_backends.values():
            if type(region_backend) is not cls:
                region_backend.__class__ = cls


def _service_names() -> list[str]:
    from moto.backend_index import backend_url_patterns

    return sorted({name for name, _ in backend_url_patterns})


def loaded_backend_dicts() -> Iterator[tuple[str, BackendDict]]:
    """(service, BackendDict) for every service whose module is imported and holds state."""
    seen: set[int] = set()
    extra = {name: module for name, (module, _) in EXTRA_BACKEND_DICTS.items()}
    for name in [*_service_names(), *extra]:
        module_name = extra.get(name) or "moto." + _moto_backends.ALT_SERVICE_NAMES.get(
            name.replace("-", ""), name.replace("-", ""))
        if module_name not in sys.modules:
            continue
        try:
            bdict = backend_dict(name)
        except (ImportError, AttributeError):
            continue
        if not isinstance(bdict, BackendDict) or id(bdict) in seen:
            continue
        if not any(isinstance(acc, dict) and len(acc) for acc in bdict.values()):
            continue
        seen.add(id(bdict))
        yield name, bdict


def backend_classes(loaded: list[tuple[str, BackendDict]]) -> dict[type, str]:
    """The class of each service's backends in ``loaded`` (:func:`loaded_backend_dicts`) -> the service (to
    recognise one service's backend held by another's objects: moto's Redshift keeps the region's EC2 backend)."""
    return {bdict.backend: service for service, bdict in loaded}


def registered_backend(service: str, obj: Any) -> tuple[str, str] | None:
    """(account, region) when ``obj`` is the backend ``service``'s BackendDict holds there; else None."""
    account, region = getattr(obj, "account_id", None), getattr(obj, "region_name", None)
    accounts = dict.get(backend_dict(service), account) if isinstance(account, str) else None
    if accounts is None or dict.get(accounts, region) is not obj:
        return None
    return account, region


# moto's request handlers of these APIs change these services' backends in-process (found by moto's own
# imports: which models import ``moto.ec2``); no engine of the sandbox changes them in the background
CHANGED_ONLY_BY_REQUESTS: dict[str, frozenset[str]] = {
    "ec2": frozenset({"ec2", "autoscaling", "batch", "cloudformation", "ds", "ebs", "ecs", "efs", "eks",
                      "elasticache", "elb", "elbv2", "emr", "memorydb", "osis", "rds", "redshift",
                      "route53resolver", "ssm", "workspaces"}),
}
# restored before the others, so a reference to one of their backends finds the restored one
RESTORE_FIRST = ("ec2",)


def restore_backend_dict(service: str, restored: BackendDict) -> None:
    """Put the content of an unpickled ``BackendDict`` into the live one."""
    live = backend_dict(service)
    cls = live.backend
    with _backend_lock():
        live.clear()
        for account_id, account_backends in restored.items():
            account_backends.backend = cls
            for region_backend in account_backends.values():
                if not isinstance(region_backend, cls):
                    region_backend.__class__ = cls
            dict.__setitem__(live, account_id, account_backends)
        # extra attributes of specialised dicts (S3's bucket_accounts, ...)
        for attr, value in vars(restored).items():
            if attr not in ("_id", "backend", "service_name", "_use_boto3_regions", "_additional_regions"):
                setattr(live, attr, value)
        if live not in BackendDict._instances:
            BackendDict._instances.append(live)


def _backend_lock() -> Any:
    from moto.core.base_backend import backend_lock

    return backend_lock


def reset_all_backends() -> None:
    """Forget every resource of every service (what ``sandbox reset`` does)."""
    for _, bdict in list(loaded_backend_dicts()):
        for account_backends in bdict.values():
            account_backends.reset()
        bdict.clear()
    # moto keeps a few global caches keyed by backend (S3 bucket names):
    try:
        s3 = backend_dict("s3")
        if hasattr(s3, "bucket_accounts"):
            s3.bucket_accounts.clear()
    except ImportError:
        pass


_JSON_BRIDGED: set[str] = set()


def accept_json_protocol(services: Iterable[str]) -> None:
    """Let moto parse and answer JSON 1.x requests (``X-Amz-Target``) for services whose installed botocore
    model lists only REST-JSON: botocore moved them (Athena in 1.44.18), moto still dispatches them by target,
    and ``emulators.core.protocol_bridge`` hands it REST-JSON requests in that form."""
    import moto.core.responses as responses

    _JSON_BRIDGED.update(services)
    if getattr(responses.determine_request_protocol, "sandbox_json_bridge", False):
        return
    original = responses.determine_request_protocol

    def determine(service_model: Any, content_type: str | None = None) -> str:
        if service_model.service_name in _JSON_BRIDGED and (content_type or "").startswith("application/x-amz-json-1."):
            return "json"
        return original(service_model, content_type)

    determine.sandbox_json_bridge = True  # type: ignore[attr-defined]
    responses.determine_request_protocol = determine


def create_wsgi_app() -> Any:
    """moto's WSGI application that dispatches every AWS service on one port."""
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    # moto lists its package folder on disk (about 170 stat calls) twice per request to recognise a
    # service name; the folder does not change while the sandbox runs (about 1 ms per request here)
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    return DomainDispatcherApplication(create_backend_app)


def import_service_modules(services: list[str]) -> None:
    """Import moto service modules up front so restore finds their BackendDicts."""
    for name in services:
        try:
            importlib.import_module("moto." + name)
        except ImportError:
            pass


def moto_utcnow() -> Any:
    """moto's clock (a naive UTC datetime), for times written into moto's own models."""
    from moto.core.utils import utcnow

    return utcnow()
