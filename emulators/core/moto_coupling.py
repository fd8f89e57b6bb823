"""Every place where the sandbox reaches into moto's internals.

moto parses AWS requests, serialises responses and keeps control-plane state in
``BackendDict`` objects (``backends[account_id][region]``). The sandbox plugs its
engines in by subclassing a service's backend class and installing the subclass
in that service's ``BackendDict``. Everything that depends on how moto is built
inside -- module paths, ``BackendDict`` wiring, the WSGI dispatcher, the S3 key
class, the Step Functions switch -- is here, so a moto upgrade touches this file.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

import moto
from moto import backends as _moto_backends
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError, ServiceException
from moto.s3.exceptions import S3ClientError

MOTO_VERSION = moto.__version__
DEFAULT_ACCOUNT_ID = "123456789012"

__all__ = [
    "AwsError",
    "PlainStatus",
    "BackendDict",
    "BaseBackend",
    "DEFAULT_ACCOUNT_ID",
    "JsonRESTError",
    "MOTO_VERSION",
    "S3ClientError",
    "ServiceException",
    "backend_class",
    "backend_dict",
    "create_wsgi_app",
    "enable_stepfunctions_execution",
    "event_rule_class",
    "iter_event_rules",
    "lambda_function_code",
    "lambda_layer_code",
    "make_lambda_storage_picklable",
    "replace_s3_lambda_notifications",
    "s3_is_delete_marker",
    "install_backend_class",
    "loaded_backend_dicts",
    "add_operation",
    "replace_response_method",
    "default_request_params",
    "model_class",
    "replace_model_class",
    "reset_all_backends",
    "restore_backend_dict",
    "s3_key_class",
    "set_error_status",
]


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


def enable_stepfunctions_execution() -> None:
    """Switch on moto's ASL interpreter so state machines really execute.

    moto's port of the interpreter leaves out the step that maps a Task's
    PascalCase ``Parameters`` onto the service API's member names (``JobName`` ->
    ``jobName`` for Batch) and the response back; without it optimised
    integrations such as ``batch:submitJob.sync`` fail. We put it back, driven by
    botocore's service models, as Step Functions does.
    """
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    service_class = state_task_service.StateTaskService
    if getattr(service_class, "_sandbox_normalises", False):
        return

    def operation_model(self: Any, boto_service_name: str | None, service_action_name: str | None) -> Any:
        import botocore.session
        from botocore import xform_name

        service = self._get_boto_service_name(boto_service_name)
        action = self._get_boto_service_action(service_action_name)
        model = _service_model(botocore.session, service)
        for name in model.operation_names:
            if xform_name(name) == action:
                return model.operation_model(name)
        return None

    def normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                             service_action_name: str | None = None) -> None:
        op = operation_model(self, boto_service_name, service_action_name)
        if op is not None and op.input_shape is not None:
            self._to_boto_request(parameters, op.input_shape)

    def normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                           service_action_name: str | None = None) -> None:
        op = operation_model(self, boto_service_name, service_action_name)
        if op is not None and op.output_shape is not None:
            self._from_boto_response(response, op.output_shape)

    original_value = service_class._to_boto_request_value

    def to_boto_request_value(self: Any, request_value: Any, value_shape: Any) -> Any:
        # a string given for a blob member (S3 Body) is the content itself, not JSON to quote
        if value_shape.type_name == "blob" and isinstance(request_value, str):
            return request_value.encode()
        return original_value(self, request_value, value_shape)

    service_class._normalise_parameters = normalise_parameters
    service_class._normalise_response = normalise_response
    service_class._to_boto_request_value = to_boto_request_value
    service_class._sandbox_normalises = True


_service_models: dict[str, Any] = {}


def _service_model(botocore_session_module: Any, service: str) -> Any:
    if service not in _service_models:
        _service_models[service] = botocore_session_module.get_session().get_service_model(service)
    return _service_models[service]


def create_wsgi_app() -> Any:
    """moto's WSGI application that dispatches every AWS service on one port."""
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    # moto lists its package folder on disk (about 170 stat calls) twice per request to recognise a
    # service name; the folder does not change while the sandbox runs (about 1 ms per request here)
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    return DomainDispatcherApplication(create_backend_app)


def s3_key_class() -> type:
    """moto's class for one S3 object version (its body lives in a spooled temp file)."""
    global _fake_key_class
    from moto.s3.models import FakeKey

    _fake_key_class = FakeKey
    return FakeKey


def s3_key_state(key: Any) -> dict[str, Any]:
    """A FakeKey's pickle state without its body (the body is stored as a blob)."""
    state = key.__dict__.copy()
    state.pop("_value_buffer", None)
    state.pop("lock", None)
    return state


def s3_key_body(key: Any) -> bytes:
    try:
        return key.value
    except ValueError:  # buffer closed: the key was disposed of
        return b""


def s3_key_from_state(state: dict[str, Any], body: bytes) -> Any:
    cls = s3_key_class()
    key = cls.__new__(cls)
    key.__setstate__({**state, "value": body})
    return key


def s3_is_delete_marker(version: Any) -> bool:
    """True when an S3 key version is a delete marker (the key is deleted in a versioned bucket)."""
    from moto.s3.models import FakeDeleteMarker

    return isinstance(version, FakeDeleteMarker)


def s3_key_store_class() -> type:
    """moto's per-bucket store of key versions (a dict of key name -> list of versions; ``__sgetitem__``
    reads one list, ``_self_iterable`` copies them all)."""
    from moto.s3.utils import _VersionedKeyStore

    return _VersionedKeyStore


def s3_key_from_state_lazily(state: dict[str, Any], buffer: Any) -> Any:
    """A FakeKey whose body buffer is ``buffer`` (a file-like object that loads the body on first use), so a
    restore does not read every object's body."""
    cls = _fake_key_class or s3_key_class()
    key = cls.__new__(cls)
    state.pop("value", None)
    key.__dict__ = state  # the unpickled state is ours: no copy (a restore makes 100,000 of these)
    key._value_buffer = buffer
    key.lock = _new_lock()
    return key


_fake_key_class: type | None = None
_new_lock = __import__("threading").Lock


def s3_key_fingerprint(key: Any) -> tuple[Any, ...]:
    """Cheap identity of a key's body, used to know a cached blob is still right."""
    return (key.__dict__.get("contentsize"), key.__dict__.get("_etag"), key.__dict__.get("last_modified"))


def import_service_modules(services: list[str]) -> None:
    """Import moto service modules up front so restore finds their BackendDicts."""
    for name in services:
        try:
            importlib.import_module("moto." + name)
        except ImportError:
            pass


# -- Lambda ---------------------------------------------------------------------------------

def lambda_function_code(fn: Any) -> bytes:
    """The deployment package (zip bytes) moto keeps for a function, from ZipFile or S3Bucket/S3Key."""
    return getattr(fn, "code_bytes", b"") or b""


def lambda_layer_code(account_id: str, region: str, layer_version_arn: str) -> bytes:
    """The zip of a published layer version (``b""`` when moto does not know it)."""
    layer = backend_for("lambda", account_id, region).layers_versions_by_arn(layer_version_arn)
    return getattr(layer, "code_bytes", b"") or b"" if layer is not None else b""


def lambda_function_class() -> type:
    """moto's model of one function (version), to subclass."""
    return model_class("awslambda", "LambdaFunction")


def replace_s3_lambda_notifications(invoke: Any) -> None:
    """Deliver S3 event notifications for Lambda through ``invoke(account_id, event, function_arn, region)``.

    moto calls the function synchronously inside the PutObject request and drops
    every error; AWS invokes asynchronously (InvocationType Event).
    """
    import moto.s3.notifications as notifications

    notifications._invoke_awslambda = invoke


def make_lambda_storage_picklable() -> None:
    """Let moto's Lambda backend pickle (it is snapshotted like every backend).

    ``LambdaStorage`` and ``LayerStorage`` index functions and layer versions by ARN
    in a ``WeakValueDictionary`` (the values are held elsewhere in the same backend),
    and aliases in a ``defaultdict`` whose factory is a lambda: neither pickles.
    """
    import weakref
    from collections import defaultdict

    module = importlib.import_module("moto.awslambda.models")
    for cls in (module.LambdaStorage, module.LayerStorage):
        if getattr(cls, "_sandbox_picklable", False):
            continue

        def getstate(self: Any) -> dict[str, Any]:
            state = self.__dict__.copy()
            state["_arns"] = dict(state.get("_arns") or {})
            if "_aliases" in state:
                state["_aliases"] = dict(state["_aliases"])
            return state

        def setstate(self: Any, state: dict[str, Any]) -> None:
            state = dict(state)
            state["_arns"] = weakref.WeakValueDictionary(state.get("_arns") or {})
            if "_aliases" in state:
                state["_aliases"] = defaultdict(dict, state["_aliases"])
            self.__dict__.update(state)

        cls.__getstate__ = getstate
        cls.__setstate__ = setstate
        cls._sandbox_picklable = True


# -- Batch ----------------------------------------------------------------------------------

def batch_jobs() -> list[Any]:
    """Every AWS Batch job moto keeps (array parents and children), in every account and region."""
    return [job for _, _, backend in list(backend_dict("batch").iter_backends())
            for job in list(backend._jobs.values())]


# -- EventBridge ----------------------------------------------------------------------------

def event_rule_class() -> type:
    """moto's model of one EventBridge rule (its ``targets`` are the PutTargets dicts), to subclass."""
    return model_class("events", "Rule")


def iter_event_rules() -> Iterator[tuple[str, str, str, Any]]:
    """(account, region, event bus name, rule) for every rule of every bus moto knows."""
    for account_id, region, backend in list(backend_dict("events").iter_backends()):
        for bus_name, bus in list(getattr(backend, "event_buses", {}).items()):
            for rule in list(bus.rules.values()):
                yield account_id, region, bus_name, rule


def access_key_secret(access_key_id: str) -> tuple[str, bool] | None:
    """``(secret, active)`` of an access key created in the sandbox with IAM or STS, else None."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for _, account in list(iam_backends.items()):
        for _, backend in list(account.items()):
            key = backend.access_keys.get(access_key_id) if isinstance(backend.access_keys, dict) else None
            if key is not None:
                return key.secret_access_key, key.status == "Active"
    for _, account in list(sts_backends.items()):
        for _, backend in list(account.items()):
            for role in list(getattr(backend, "assumed_roles", [])):
                if role.access_key_id == access_key_id:
                    return role.secret_access_key, True
    return None


def is_unknown_s3_post(exc: NotImplementedError) -> bool:
    """moto's S3 raises this for a POST on an object that names no S3 operation (S3 answers 405)."""
    return "Method POST had only been implemented" in str(exc)


def s3_backend(account_id: str = DEFAULT_ACCOUNT_ID) -> Any:
    return backend_for("s3", account_id, "aws")


def s3_key_versions(account_id: str, bucket_name: str, key_name: str) -> list[Any] | None:
    """Every stored version of one key (delete markers included), or None when the bucket is gone."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    if bucket is None:
        return None
    return list(bucket.keys.getlist(key_name, []))


def s3_bucket_key_store(account_id: str, bucket_name: str, replace_with: Any = None) -> Any:
    """A bucket's key store (see :func:`s3_key_store_class`), or None without such a bucket; with
    ``replace_with``, that store takes the old one's place (journal replay packs keys into it)."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    if bucket is None:
        return None
    if replace_with is not None:
        bucket.keys = replace_with
    return bucket.keys


def s3_set_key_versions(account_id: str, bucket_name: str, key_name: str, versions: list[Any]) -> bool:
    """Put back the versions of one key (journal replay); False when the bucket does not exist."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    if bucket is None:
        return False
    if versions:
        bucket.keys.setlist(key_name, list(versions))
    elif key_name in bucket.keys:
        bucket.keys.pop(key_name)
    return True


def s3_bucket_exists(account_id: str, bucket_name: str) -> bool:
    return bucket_name in s3_backend(account_id).buckets


def s3_bucket_notifies(account_id: str, bucket_name: str) -> bool:
    """Whether writes to the bucket send event notifications (they change other services' state)."""
    bucket = s3_backend(account_id).buckets.get(bucket_name)
    return bool(bucket is not None and bucket.notification_configuration)


def s3_create_bucket(account_id: str, bucket_name: str, region: str) -> None:
    s3_backend(account_id).create_bucket(bucket_name, region)


def moto_utcnow() -> Any:
    """moto's clock (a naive UTC datetime), for times written into moto's own models."""
    from moto.core.utils import utcnow

    return utcnow()
