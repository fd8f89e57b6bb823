"""moto's backends and request plumbing: BackendDicts, backend classes, response hooks, errors, the WSGI app."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

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


def add_operation(service: str, response_class: str, operation: str, handler: Any) -> None:
    """Answer an AWS operation moto does not implement.

    ``handler(response)`` receives moto's response object for the request (its
    ``_get_param``, ``current_account``, ``region``) and returns the result dict,
    which is serialised in the service's protocol.
    """
    from moto.core.responses import ActionResult

    module = importlib.import_module(f"moto.{service}.responses")
    cls = getattr(module, response_class)

    def method(self: Any) -> Any:
        return ActionResult(handler(self))

    method.__name__ = operation
    setattr(cls, operation, method)


def replace_response_method(service: str, response_class: str, operation: str, handler: Any,
                            raw_body: bool = False) -> None:
    """Answer an operation with ``handler(response)`` returning ``(status, headers, body)`` as it is.

    For operations whose request body or headers moto does not pass on to its
    backend (SageMaker Runtime's InvokeEndpoint): the handler reads
    ``response.raw_body`` and ``response.headers`` itself. ``raw_body`` keeps
    moto from decoding the request body as UTF-8 for every operation of the
    class (binary payloads such as NumPy arrays).
    """
    module = importlib.import_module(f"moto.{service}.responses")
    cls = getattr(module, response_class)
    if raw_body:
        cls.use_raw_body = True
    handler.__name__ = operation
    setattr(cls, operation, handler)


def default_request_params(service: str, response_class: str, operation: str, defaults: dict[str, Any],
                           nested: str | None = None) -> None:
    """Fill in request parameters AWS treats as optional but moto requires.

    With ``nested``, the defaults apply inside that (dict) parameter instead.
    """
    import json

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
