"""SageMaker Feature Store Runtime: PutRecord, GetRecord, BatchGetRecord, DeleteRecord, BatchWriteRecord,
ListRecords.

moto has no Feature Store runtime; its REST routes (``/FeatureGroup/<name>``, ``/BatchGetRecord``,
``/BatchWriteRecord``) are served on SageMaker's app (the runtime signs as ``sagemaker``) by
:func:`answer`. The online store is the backend's extras (``feature_records``: per group, the newest
record of each record identifier, so it is in the snapshot). As on AWS, a record whose event time is
older than the stored one's only reaches the offline store, and a deletion is a marker row
(``is_deleted`` true) in the offline store; SoftDelete keeps the identifier (ListRecords with
IncludeSoftDeletedRecords), HardDelete forgets it. Offline store rows are buffered (never pickled)
and written every second as Parquet files under the group's ``ResolvedOutputS3Uri``, in
``year=/month=/day=/hour=`` folders of the event time (AWS takes up to 15 minutes), so Athena can
query the group's Glue table.

Not emulated: ``TtlDuration`` (records do not expire; ``ExpiresAt`` is not answered), UpdateRecord.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

from emulators.core import moto_coupling, paging, s3uri
from emulators.core.clock import utcnow
from emulators.core.errors import InvalidInput, NotEmulated, NotFound
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common, feature_groups
from emulators.sagemaker.engines import offline_store

log = logging.getLogger("emulators.sagemaker")

# (ResolvedOutputS3Uri, feature definitions as JSON) -> offline rows waiting for the next flush
OFFLINE: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
OFFLINE_LOCK = threading.Lock()
STORES = ("OnlineStore", "OfflineStore")


def invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="ValidationError")


def _group(request: Request, name: Any, missing: str = "ResourceNotFound") -> tuple[Any, dict[str, Any]]:
    """The backend and the feature group; a missing group is ``missing`` (PutRecord, DeleteRecord and
    BatchGetRecord have no ResourceNotFound in their model: AWS answers them ValidationError, same wording)."""
    backend = common.backend_of(request)
    try:
        return backend, feature_groups.find(backend, name)
    except NotFound as exc:
        raise NotFound(exc.message, code=missing) from None


def _stores(group: dict[str, Any], requested: Any) -> list[str]:
    available = [s for s, present in (("OnlineStore", (group.get("OnlineStoreConfig") or {}).get("EnableOnlineStore")),
                                      ("OfflineStore", bool(group.get("OfflineStoreConfig")))) if present]
    if not requested:
        return available
    stores = list(requested)
    for store in stores:
        if store not in STORES:
            raise invalid(f"TargetStores: {store} is not one of OnlineStore, OfflineStore.")
        if store not in available:
            raise invalid(f"The feature group {group['FeatureGroupName']} has no {store}; TargetStores can only "
                          f"name {' and '.join(available)}.")
    return stores


def _types(group: dict[str, Any]) -> dict[str, str]:
    return {d["FeatureName"]: d["FeatureType"] for d in group["FeatureDefinitions"]}


def _event_seconds(group: dict[str, Any], text: Any) -> float:
    kind = _types(group)[group["EventTimeFeatureName"]]
    seconds = offline_store.event_seconds(kind, str(text)) if text is not None else None
    if seconds is None:
        expected = ("Unix time in seconds" if kind == "Fractional" else
                    "ISO-8601 in UTC, yyyy-MM-dd'T'HH:mm:ssZ or yyyy-MM-dd'T'HH:mm:ss.SSSZ")
        raise invalid(f"The event time {text!r} of feature {group['EventTimeFeatureName']} is not valid: "
                      f"it must be {expected}.")
    return seconds


def _checked_record(group: dict[str, Any], record: Any) -> dict[str, str]:
    """The record as feature name -> ValueAsString, after AWS's checks."""
    if not record:
        raise invalid("Record must contain at least the record identifier and the event time features.")
    types, values = _types(group), {}
    for feature in record:
        name = feature.get("FeatureName")
        if name not in types:
            raise invalid(f"The feature {name} is not defined in the feature group {group['FeatureGroupName']}.")
        if name in values:
            raise invalid(f"The feature {name} appears more than once in the record.")
        if "ValueAsStringList" in feature:
            raise invalid(f"The feature {name} has a ValueAsStringList; only collection-type features take lists "
                          "and this feature group has none.")
        text = feature.get("ValueAsString")
        if text is None:
            raise invalid(f"The feature {name} has no ValueAsString.")
        problem = offline_store.value_problem(types[name], text)
        if problem:
            raise invalid(f"The value {text!r} of feature {name} {problem}.")
        values[name] = text
    for role in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        if group[role] not in values:
            raise invalid(f"The record has no value for the feature {group[role]} (the {role[:-11]} "
                          "feature); every record must have one.")
    _event_seconds(group, values[group["EventTimeFeatureName"]])
    return values


def _buffer_offline(group: dict[str, Any], values: dict[str, str | None], deleted: bool = False) -> None:
    config = group["OfflineStoreConfig"]
    row = {**values, "api_invocation_time": time.time(), "is_deleted": deleted,
           "_event_seconds": _event_seconds(group, values[group["EventTimeFeatureName"]])}
    key = (config["S3StorageConfig"]["ResolvedOutputS3Uri"], json.dumps(group["FeatureDefinitions"]))
    with OFFLINE_LOCK:
        OFFLINE[key].append(row)


def put_record(request: Request, name: Any, record: Any, target_stores: Any,
               missing: str = "ValidationError") -> None:
    backend, group = _group(request, name, missing)
    values = _checked_record(group, record)
    stores = _stores(group, target_stores)
    if "OnlineStore" in stores:
        online = backend.extras.feature_records.setdefault(group["FeatureGroupName"].lower(), {})
        identifier = str(offline_store.typed_value(_types(group)[group["RecordIdentifierFeatureName"]],
                                                   values[group["RecordIdentifierFeatureName"]]))
        seconds = _event_seconds(group, values[group["EventTimeFeatureName"]])
        stored = online.get(identifier)
        if stored is None or seconds >= stored["EventSeconds"]:
            online[identifier] = {"Record": [{"FeatureName": k, "ValueAsString": v} for k, v in values.items()],
                                  "EventSeconds": seconds, "Deleted": False}
    if "OfflineStore" in stores:
        _buffer_offline(group, values)


def _identifier(group: dict[str, Any], text: Any) -> str:
    kind = _types(group)[group["RecordIdentifierFeatureName"]]
    problem = offline_store.value_problem(kind, str(text))
    if problem:
        raise invalid(f"The record identifier {text!r} {problem}.")
    return str(offline_store.typed_value(kind, str(text)))


def _online_record(backend: Any, group: dict[str, Any], identifier: Any, feature_names: Any) -> list[Any] | None:
    if not (group.get("OnlineStoreConfig") or {}).get("EnableOnlineStore"):
        raise invalid(f"The feature group {group['FeatureGroupName']} has no online store: read its records from "
                      "the offline store (Athena).")
    types = _types(group)
    wanted = list(feature_names or [])
    for feature in wanted:
        if feature not in types:
            raise invalid(f"The feature {feature} is not defined in the feature group {group['FeatureGroupName']}.")
    stored = backend.extras.feature_records.get(group["FeatureGroupName"].lower(), {}).get(
        _identifier(group, identifier))
    if stored is None or stored["Deleted"]:
        return None
    return [f for f in stored["Record"] if not wanted or f["FeatureName"] in wanted]


def get_record(request: Request) -> dict[str, Any]:
    backend, group = _group(request, request.get("FeatureGroupName"))
    record = _online_record(backend, group, request.get("RecordIdentifierValueAsString"),
                            request.get("FeatureNames"))
    return {} if record is None else {"Record": record}


def batch_get_record(request: Request) -> dict[str, Any]:
    records, errors = [], []
    for identifier in request.get("Identifiers") or []:
        name = identifier.get("FeatureGroupName")
        for value in identifier.get("RecordIdentifiersValueAsString") or []:
            try:
                backend, group = _group(request, name, "ValidationError")
                record = _online_record(backend, group, value, identifier.get("FeatureNames"))
            except (InvalidInput, NotFound) as exc:
                errors.append({"FeatureGroupName": name, "RecordIdentifierValueAsString": value,
                               "ErrorCode": exc.code, "ErrorMessage": exc.message})
                continue
            if record is not None:
                records.append({"FeatureGroupName": name, "RecordIdentifierValueAsString": value, "Record": record})
    return {"Records": records, "Errors": errors, "UnprocessedIdentifiers": []}


def delete_record(request: Request) -> None:
    backend, group = _group(request, request.get("FeatureGroupName"), "ValidationError")
    mode = request.get("DeletionMode") or "SoftDelete"
    if mode not in ("SoftDelete", "HardDelete"):
        raise invalid(f"DeletionMode {mode} is not one of SoftDelete, HardDelete.")
    identifier_text = request.get("RecordIdentifierValueAsString")
    identifier = _identifier(group, identifier_text)
    event_time = request.get("EventTime")
    seconds = _event_seconds(group, event_time)
    stores = _stores(group, request.get("TargetStores"))
    if "OnlineStore" in stores:
        online = backend.extras.feature_records.get(group["FeatureGroupName"].lower(), {})
        stored = online.get(identifier)
        if stored is not None and seconds >= stored["EventSeconds"]:  # an older deletion leaves the record
            if mode == "HardDelete":
                online.pop(identifier, None)
            else:
                stored.update(Deleted=True, EventSeconds=seconds)
    if "OfflineStore" in stores:
        marker: dict[str, str | None] = {group["RecordIdentifierFeatureName"]: str(identifier_text),
                                         group["EventTimeFeatureName"]: str(event_time)}
        _buffer_offline(group, marker, deleted=True)


def batch_write_record(request: Request) -> dict[str, Any]:
    errors = []
    for entry in request.get("Entries") or []:
        try:
            put_record(request, entry.get("FeatureGroupName"), entry.get("Record"), entry.get("TargetStores"),
                       "ResourceNotFound")
        except (InvalidInput, NotFound) as exc:
            errors.append({"FeatureGroupName": entry.get("FeatureGroupName"), "Record": entry.get("Record"),
                           "ErrorCode": exc.code, "ErrorMessage": exc.message})
    return {"Errors": errors, "UnprocessedEntries": []}


def list_records(request: Request) -> dict[str, Any]:
    backend, group = _group(request, request.get("FeatureGroupName"))
    online = backend.extras.feature_records.get(group["FeatureGroupName"].lower(), {})
    keep_deleted = bool(request.get("IncludeSoftDeletedRecords"))
    identifiers = sorted(k for k, v in online.items() if keep_deleted or not v["Deleted"])
    page, token = paging.page(identifiers, request.get("NextToken"), request.get("MaxResults"),
                              listing=f"featurestore:list_records:{group['FeatureGroupName']}:{keep_deleted}",
                              max_size=1000, token_error="ValidationError", size_error="ValidationError")
    return {"RecordIdentifiers": page, **({"NextToken": token} if token else {})}


def answer(operation: str, request: Request) -> tuple[int, dict[str, str], bytes]:
    """One Feature Store Runtime request (the REST route's handler)."""
    if operation == "PutRecord":
        put_record(request, request.get("FeatureGroupName"), request.get("Record"), request.get("TargetStores"))
        result: dict[str, Any] = {}
    elif operation == "DeleteRecord":
        delete_record(request)
        result = {}
    else:
        handler = {"GetRecord": get_record, "BatchGetRecord": batch_get_record,
                   "BatchWriteRecord": batch_write_record, "ListRecords": list_records}.get(operation)
        if handler is None:
            raise NotEmulated(f"Feature Store Runtime's {operation} is not emulated by the offline sandbox; "
                              "PutRecord, GetRecord, BatchGetRecord, DeleteRecord, BatchWriteRecord and ListRecords "
                              "are.", code="NotImplemented")
        result = handler(request)
    return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()


def flush_offline_store() -> None:
    """Write the buffered offline rows: one Parquet file per group, definitions and event-time hour."""
    with OFFLINE_LOCK:
        pending = dict(OFFLINE)
        OFFLINE.clear()
    for (resolved, definitions_json), rows in pending.items():
        definitions = json.loads(definitions_json)
        by_hour: dict[str, list[dict[str, Any]]] = defaultdict(list)
        write_time = time.time()
        for row in rows:
            by_hour[offline_store.partition_path(row["_event_seconds"])].append({**row, "write_time": write_time})
        try:
            target = s3uri.parse(resolved)
            for hour, hour_rows in by_hour.items():
                stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
                key = f"{target.key.rstrip('/')}/{hour}/{stamp}_{uuid.uuid4().hex[:16]}.parquet"
                common.s3().put(target.bucket, key, offline_store.parquet_file(definitions, hour_rows))
        except Exception:
            log.exception("feature store: writing the offline store under %s failed", resolved)


def forget_offline_rows() -> None:
    with OFFLINE_LOCK:
        OFFLINE.clear()


ROUTES = ("{0}/FeatureGroup/(?P<FeatureGroupName>[^/]+)$", "{0}/FeatureGroup/(?P<FeatureGroupName>[^/]+)/ListRecords$",
          "{0}/BatchGetRecord$", "{0}/BatchWriteRecord$")


def install(cloud: Any) -> None:
    """Feature groups on SageMaker's API, the runtime's routes, and the offline store's writer."""
    for operation, handler in feature_groups.OPERATIONS.items():
        moto_coupling.add_operation("sagemaker", "SageMakerResponse", operation, handler)
    for route in ROUTES:
        moto_coupling.add_rest_api("sagemaker", "sagemaker-featurestore-runtime", route, answer)
    cloud.every(1.0, flush_offline_store, name="sagemaker-feature-store-offline")
    cloud.on_shutdown(flush_offline_store)
    cloud.on_reset(forget_offline_rows)
    cloud.after_restore(feature_groups.resume_creation)
