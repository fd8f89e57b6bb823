"""moto's internals of the other services the sandbox reaches into: Step Functions execution, Lambda,
Batch, EventBridge rules and IAM/STS access keys."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from emulators.core import service_models
from emulators.core.moto_coupling.backends import backend_dict, backend_for, model_class


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
        from botocore import xform_name

        service = self._get_boto_service_name(boto_service_name)
        action = self._get_boto_service_action(service_action_name)
        model = service_models.service_model(service)
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


def stepfunctions_backend(account_id: str, region: str) -> Any:
    """The backend that answers Step Functions' API for an account and region: the interpreter's
    (``stepfunctions-parser``) once execution is switched on, moto's plain one before."""
    from moto.stepfunctions.responses import get_backend

    return get_backend(account_id, region)


# -- Lambda ---------------------------------------------------------------------------------

def lambda_function_code(fn: Any) -> bytes:
    """The deployment package (zip bytes) moto keeps for a function, from ZipFile or S3Bucket/S3Key."""
    return getattr(fn, "code_bytes", b"") or b""


def lambda_layer_code(account_id: str, region: str, layer_version_arn: str) -> bytes:
    """The zip of a published layer version (``b""`` when moto does not know it)."""
    layer = backend_for("lambda", account_id, region).layers_versions_by_arn(layer_version_arn)
    return getattr(layer, "code_bytes", b"") or b"" if layer is not None else b""


def dynamodb_stream_shard_class() -> type:
    """moto's model of a DynamoDB table's stream shard (``moto.dynamodb.models.table.StreamShard``), to
    subclass; a table builds it when a stream is enabled."""
    return importlib.import_module("moto.dynamodb.models.table").StreamShard


def dynamodb_shard_iterator_class() -> type:
    """moto's DynamoDB Streams shard iterator (``moto.dynamodbstreams.models.ShardIterator``)."""
    return model_class("dynamodbstreams", "ShardIterator")


def set_dynamodb_transaction_limit(items: int) -> None:
    """The number of items moto's TransactGetItems accepts (``moto.dynamodb.responses.TRANSACTION_MAX_ITEMS``,
    25; AWS takes 100)."""
    importlib.import_module("moto.dynamodb.responses").TRANSACTION_MAX_ITEMS = items


def speed_up_kinesis_sequence_lookups() -> None:
    """moto's shard finds its first and last sequence numbers by listing every one (``list(records)[-1]``), so each
    PutRecord cost what the shard already holds, and GetRecords walks the shard from its first record. The records
    map keeps its order, so its two ends give the same answers without the list, and GetRecords finds the records
    after an iterator by their numbers (moto's walk remains for a shard whose numbers have a gap)."""
    shard = model_class("kinesis", "Shard")
    if getattr(shard.get_max_sequence_number, "__sandbox__", False):
        return

    def get_max_sequence_number(self: Any) -> int:
        return next(reversed(self.records)) if self.records else 0

    def get_min_sequence_number(self: Any) -> int:
        return next(iter(self.records)) if self.records else 0

    original_get_records = shard.get_records

    def get_records(self: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
        # moto's GetRecords walks the shard from its first record; a shard's numbers run from its first to its last
        # without a gap (each put takes the last plus one), so the records after ``last`` are found by number
        records, last = self.records, int(last_sequence_id)
        if not records:
            return [], last, 0
        first, final = get_min_sequence_number(self), get_max_sequence_number(self)
        if final - first + 1 != len(records):
            return original_get_records(self, last_sequence_id, limit)
        stop = final if not limit else min(final, max(last, first - 1) + limit)  # moto's walk: 0 or None, no limit
        found = [records[number] for number in range(max(last + 1, first), stop + 1)]
        if not found:
            return [], last, 0
        return found, stop, int((records[final].created_at - found[-1].created_at) * 1000)

    get_max_sequence_number.__sandbox__ = True  # type: ignore[attr-defined]
    shard.get_max_sequence_number = get_max_sequence_number
    shard.get_min_sequence_number = get_min_sequence_number
    shard.get_records = get_records


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
    # a snapshot restored before this ran (the restore comes before the provider's install) unpickled the
    # storages without ``setstate``: their aliases became a plain dict, so CreateAlias on a function created
    # after the restart failed with KeyError (a 500)
    for _, _, backend in list(backend_dict("lambda").iter_backends()):
        for storage in (getattr(backend, "_lambdas", None), getattr(backend, "_layers", None)):
            state = getattr(storage, "__dict__", {})
            if "_aliases" in state and not isinstance(state["_aliases"], defaultdict):
                state["_aliases"] = defaultdict(dict, state["_aliases"])
            if "_arns" in state and not isinstance(state["_arns"], weakref.WeakValueDictionary):
                state["_arns"] = weakref.WeakValueDictionary(state["_arns"])


# -- Batch ----------------------------------------------------------------------------------

def batch_jobs() -> list[Any]:
    """Every AWS Batch job moto keeps (array parents and children), in every account and region."""
    return [job for _, _, backend in list(backend_dict("batch").iter_backends())
            for job in list(backend._jobs.values())]


def use_batch_name_patterns(job_name: str, compute_environment_name: str) -> None:
    """Make moto's Batch check job and compute environment names with AWS's patterns (moto wanted at least 2
    and 3 characters); the provider validates names itself, with AWS's wording, before moto sees them."""
    import re

    from moto.batch import models

    models.JOB_NAME_REGEX = re.compile(job_name)
    models.COMPUTE_ENVIRONMENT_NAME_REGEX = re.compile(compute_environment_name)


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
