"""Feature Store feature groups: CreateFeatureGroup, Describe/List/Update/DeleteFeatureGroup.

moto keeps a thin feature group (no online store, no status, no Glue table, a KeyError for a name it
does not know), so the operations are answered here and a feature group lives in the backend's
extras (``feature_groups``, keyed by the lower-cased name, as AWS names are case-insensitive). A new
group is ``Creating``; in the background its offline store's Glue table is created in the database
``sagemaker_featurestore`` (named ``<group>_<unix time>``, over
``<S3Uri>/<account>/sagemaker/<region>/offline-store/<group>-<unix time>/data``) and it becomes
``Created``, with ``OfflineStoreStatus`` ``Active``. ``DisableGlueTableCreation`` with a
``DataCatalogConfig`` uses the table the user names instead. Records are :mod:`.feature_records`.

Deleting a group deletes its online store; as on AWS, the offline store's files and Glue table stay.
Describe/UpdateFeatureMetadata keep a feature's description and parameters with the group.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from emulators.core import paging, ports, s3uri
from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common
from emulators.sagemaker.engines import offline_store

log = logging.getLogger("emulators.sagemaker")

FEATURESTORE_DATABASE = "sagemaker_featurestore"
MAX_FEATURES = 2500


class FeatureStoreMixin:
    """Tags on feature group ARNs (kept with the group; moto's tag lookup does not know our groups)."""

    def list_tags(self, arn: str, **kwargs: Any) -> Any:
        group = _by_arn(self, arn)
        if group is None:
            return super().list_tags(arn=arn, **kwargs)  # type: ignore[misc]
        return list(group.get("Tags") or []), None

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> Any:
        group = _by_arn(self, arn)
        if group is None:
            return super().add_tags(arn, tags)  # type: ignore[misc]
        keys = {t["Key"] for t in tags or []}
        group["Tags"] = [t for t in group.get("Tags") or [] if t["Key"] not in keys] + list(tags or [])
        return list(tags or [])

    def delete_tags(self, arn: str, tag_keys: list[str]) -> None:
        group = _by_arn(self, arn)
        if group is None:
            return super().delete_tags(arn, tag_keys)  # type: ignore[misc]
        group["Tags"] = [t for t in group.get("Tags") or [] if t["Key"] not in set(tag_keys or [])]
        return None


def _by_arn(backend: Any, arn: str | None) -> dict[str, Any] | None:
    if not arn or ":feature-group/" not in arn:
        return None
    group = backend.extras.feature_groups.get(arn.rsplit("feature-group/", 1)[-1].lower())
    if group is None or group["FeatureGroupArn"] != arn:
        raise InvalidInput(f"Resource {arn} does not exist")
    return group


def not_found(name: str) -> NotFound:
    return NotFound(f"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}",
                    code="ResourceNotFound")


def find(backend: Any, name: str | None) -> dict[str, Any]:
    """The stored feature group named ``name`` (or its ARN); ResourceNotFound when there is none."""
    key = str(name or "").rsplit("feature-group/", 1)[-1].lower()
    group = backend.extras.feature_groups.get(key)
    if group is None:
        raise not_found(name or "")
    return group


def _check_definitions(params: dict[str, Any]) -> list[dict[str, str]]:
    definitions = params.get("FeatureDefinitions") or []
    if not definitions:
        raise InvalidInput("FeatureDefinitions must contain at least one feature definition.")
    if len(definitions) > MAX_FEATURES:
        raise InvalidInput(f"A feature group can have at most {MAX_FEATURES} features; "
                           f"{len(definitions)} were given.")
    types: dict[str, str] = {}
    for definition in definitions:
        name, kind = definition.get("FeatureName"), definition.get("FeatureType")
        if not name or kind not in offline_store.FEATURE_TYPES:
            raise InvalidInput(f"Every feature definition needs a FeatureName and a FeatureType of "
                               f"{', '.join(offline_store.FEATURE_TYPES)}: {definition}")
        if name.lower() in offline_store.RESERVED_FEATURES:
            raise InvalidInput(f"The feature name {name} is reserved: write_time, api_invocation_time and "
                               "is_deleted are columns the offline store adds.")
        if name.lower() in {n.lower() for n in types}:
            raise InvalidInput(f"The feature name {name} is defined more than once in FeatureDefinitions.")
        types[name] = kind
    record_id, event_time = params.get("RecordIdentifierFeatureName"), params.get("EventTimeFeatureName")
    for role, feature, allowed in (("RecordIdentifierFeatureName", record_id, ("String", "Integral")),
                                   ("EventTimeFeatureName", event_time, ("String", "Fractional"))):
        if feature not in types:
            raise InvalidInput(f"The {role} {feature} must be one of the features in FeatureDefinitions.")
        if types[feature] not in allowed:
            raise InvalidInput(f"The {role} {feature} has type {types[feature]}; it must be "
                               f"{' or '.join(allowed)}.")
    return [{k: v for k, v in d.items()} for d in definitions]


def _offline_config(params: dict[str, Any], account: str, region: str, name: str, stamp: int) -> dict[str, Any]:
    config = copy.deepcopy(params.get("OfflineStoreConfig") or {})
    if not config:
        return {}
    if not params.get("RoleArn"):
        raise InvalidInput("A RoleArn is required when OfflineStoreConfig is given: Feature Store writes the "
                           "offline store to S3 with that role.")
    storage = config.get("S3StorageConfig") or {}
    uri = storage.get("S3Uri") or ""
    try:
        target = s3uri.parse(uri)
    except Exception:
        raise InvalidInput(f"OfflineStoreConfig.S3StorageConfig.S3Uri {uri!r} is not an S3 URI "
                           "(s3://bucket/prefix).") from None
    if not common.s3().bucket_exists(target.bucket):
        raise InvalidInput(f"The offline store's S3 bucket {target.bucket} does not exist.")
    storage["ResolvedOutputS3Uri"] = (f"{uri.rstrip('/')}/{account}/sagemaker/{region}/offline-store/"
                                      f"{name}-{stamp}/data")
    config["S3StorageConfig"] = storage
    config.setdefault("DisableGlueTableCreation", False)
    config.setdefault("TableFormat", "Glue")
    if config["TableFormat"] != "Glue":
        raise InvalidInput("The offline store's TableFormat Iceberg is not emulated by the offline sandbox: use "
                           "Glue (the default).")
    catalog = config.get("DataCatalogConfig")
    if config["DisableGlueTableCreation"]:
        if catalog and not (catalog.get("TableName") and catalog.get("Database")):
            raise InvalidInput("DataCatalogConfig needs a TableName and a Database.")
    else:
        if catalog:
            raise InvalidInput("DataCatalogConfig can only be given with DisableGlueTableCreation set to true.")
        config["DataCatalogConfig"] = {"TableName": f"{name.replace('-', '_').lower()}_{stamp}",
                                       "Catalog": "AwsDataCatalog", "Database": FEATURESTORE_DATABASE}
    return config


def create_feature_group(request: Request) -> dict[str, Any]:
    params = dict(request.params)
    backend = common.backend_of(request)
    name = params.get("FeatureGroupName") or ""
    if name.lower() in backend.extras.feature_groups:
        raise AlreadyExists(f"Resource Already Exists: FeatureGroup with name {name} already exists. Choose a "
                            "different name.", code="ResourceInUse")
    definitions = _check_definitions(params)
    online = copy.deepcopy(params.get("OnlineStoreConfig") or {})
    if not online.get("EnableOnlineStore") and not params.get("OfflineStoreConfig"):
        raise InvalidInput("Validation Error: OnlineStore and OfflineStore cannot be both disabled. Please enable at "
                           "least one of them and retry the request.")
    if online.get("StorageType", "Standard") != "Standard":
        raise InvalidInput("The online store's InMemory storage type is not emulated by the offline sandbox: use "
                           "Standard (the default).")
    now = utcnow()
    offline = _offline_config(params, request.account_id, request.region, name, int(now.timestamp()))
    group: dict[str, Any] = {
        "FeatureGroupArn": f"arn:{request.partition}:sagemaker:{request.region}:{request.account_id}:"
                           f"feature-group/{name.lower()}",
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": params["RecordIdentifierFeatureName"],
        "EventTimeFeatureName": params["EventTimeFeatureName"],
        "FeatureDefinitions": definitions,
        "CreationTime": now,
        "ThroughputConfig": {"ThroughputMode": (params.get("ThroughputConfig") or {}).get("ThroughputMode",
                                                                                          "OnDemand")},
        "FeatureGroupStatus": "Creating",
    }
    if online:
        group["OnlineStoreConfig"] = online
    if offline:
        group["OfflineStoreConfig"] = offline
        group["OfflineStoreStatus"] = {"Status": "Active"}
    for key in ("RoleArn", "Description", "Tags"):
        if params.get(key):
            group[key] = params[key]
    backend.extras.feature_groups[name.lower()] = group
    backend.extras.feature_records.setdefault(name.lower(), {})
    common.cloud().submit(_finish_creation, request.account_id, request.region, name.lower())
    return {"FeatureGroupArn": group["FeatureGroupArn"]}


def _finish_creation(account: str, region: str, key: str) -> None:
    """Create the offline store's Glue table (in the background, as AWS does), then mark the group Created."""
    backend = common.backend(account, region)
    group = backend.extras.feature_groups.get(key)
    if group is None:
        return
    status, reason = "Created", None
    config = group.get("OfflineStoreConfig") or {}
    if config and not config.get("DisableGlueTableCreation"):
        catalog_config = config["DataCatalogConfig"]
        try:
            catalog = ports.glue_catalog(account, region)
            database, table = catalog_config["Database"], catalog_config["TableName"]
            with catalog.changing():
                if not catalog.database_exists(database):
                    catalog.create_database(database, "Offline stores of SageMaker Feature Store", None)
                if catalog.get_table(database, table) is None:
                    catalog.create_table(database, offline_store.glue_table_input(
                        table, group["FeatureDefinitions"], config["S3StorageConfig"]["ResolvedOutputS3Uri"],
                        group["FeatureGroupName"]))
        except Exception as exc:  # the group cannot have its offline store
            log.exception("feature group %s: the offline store's Glue table could not be created", key)
            status, reason = "CreateFailed", f"The offline store's Glue table could not be created: {exc}"
    with common.cloud().mutating():
        group["FeatureGroupStatus"] = status
        if reason:
            group["FailureReason"] = reason
            group.pop("OfflineStoreStatus", None)


def resume_creation() -> None:
    """After a restart: finish the groups a stop left Creating (their Glue table may not exist yet)."""
    for account, region, backend in common.backends():
        for key, group in list(backend.extras.feature_groups.items()):
            if group["FeatureGroupStatus"] == "Creating":
                common.cloud().submit(_finish_creation, account, region, key)


def describe_feature_group(request: Request) -> dict[str, Any]:
    group = find(common.backend_of(request), request.get("FeatureGroupName"))
    backend = common.backend_of(request)
    answer = {k: copy.deepcopy(v) for k, v in group.items() if k not in ("Tags", "_FeatureMetadata")}
    if "OnlineStoreConfig" in group:
        records = backend.extras.feature_records.get(group["FeatureGroupName"].lower(), {})
        answer["OnlineStoreTotalSizeBytes"] = sum(len(str(r)) for r in records.values())
    answer["NextToken"] = ""
    return answer


def _summary(group: dict[str, Any]) -> dict[str, Any]:
    summary = {k: group[k] for k in ("FeatureGroupName", "FeatureGroupArn", "CreationTime", "FeatureGroupStatus")}
    if "OfflineStoreStatus" in group:
        summary["OfflineStoreStatus"] = group["OfflineStoreStatus"]
    return summary


def list_feature_groups(request: Request) -> dict[str, Any]:
    params = request.params
    items = [_summary(g) for g in common.backend_of(request).extras.feature_groups.values()]
    if params.get("NameContains"):
        items = [i for i in items if params["NameContains"].lower() in i["FeatureGroupName"].lower()]
    if params.get("FeatureGroupStatusEquals"):
        items = [i for i in items if i["FeatureGroupStatus"] == params["FeatureGroupStatusEquals"]]
    if params.get("OfflineStoreStatusEquals"):
        items = [i for i in items
                 if (i.get("OfflineStoreStatus") or {}).get("Status") == params["OfflineStoreStatusEquals"]]
    for key, keep in (("CreationTimeAfter", lambda t, bound: t > bound),
                      ("CreationTimeBefore", lambda t, bound: t < bound)):
        if params.get(key) is not None:
            bound = _as_datetime(params[key])
            items = [i for i in items if keep(i["CreationTime"], bound)]
    sort_by = params.get("SortBy") or "CreationTime"
    sort_key = {"Name": lambda i: i["FeatureGroupName"], "FeatureGroupStatus": lambda i: i["FeatureGroupStatus"],
                "OfflineStoreStatus": lambda i: (i.get("OfflineStoreStatus") or {}).get("Status", ""),
                }.get(sort_by, lambda i: i["CreationTime"])
    items.sort(key=sort_key, reverse=(params.get("SortOrder") or "Descending") == "Descending")
    listing = f"sagemaker:list_feature_groups:{params.get('NameContains')}:{sort_by}:{params.get('SortOrder')}"
    page, token = paging.page(items, params.get("NextToken"), params.get("MaxResults"), listing=listing,
                              max_size=100)
    return {"FeatureGroupSummaries": page, **({"NextToken": token} if token else {})}


def _as_datetime(value: Any) -> Any:
    from datetime import datetime, timezone

    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        return datetime.fromtimestamp(float(value), timezone.utc)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def update_feature_group(request: Request) -> dict[str, Any]:
    """FeatureAdditions append features (new columns of the offline table too); OnlineStoreConfig's TtlDuration."""
    backend = common.backend_of(request)
    group = find(backend, request.get("FeatureGroupName"))
    if group["FeatureGroupStatus"] != "Created":
        raise InvalidInput(f"The feature group {group['FeatureGroupName']} is {group['FeatureGroupStatus']}; "
                           "it can be updated once it is Created.")
    additions = request.get("FeatureAdditions") or []
    known = {d["FeatureName"].lower() for d in group["FeatureDefinitions"]}
    for addition in additions:
        name, kind = addition.get("FeatureName") or "", addition.get("FeatureType")
        if kind not in offline_store.FEATURE_TYPES or name.lower() in offline_store.RESERVED_FEATURES:
            raise InvalidInput(f"FeatureAdditions: {addition} is not a valid feature definition.")
        if name.lower() in known:
            raise InvalidInput(f"FeatureAdditions: the feature {name} already exists in the feature group.")
        known.add(name.lower())
    if len(known) > MAX_FEATURES:
        raise InvalidInput(f"A feature group can have at most {MAX_FEATURES} features.")
    group["FeatureDefinitions"] = group["FeatureDefinitions"] + [dict(a) for a in additions]
    if request.get("OnlineStoreConfig"):
        if "OnlineStoreConfig" not in group:
            raise InvalidInput("The feature group has no online store to update.")
        group["OnlineStoreConfig"].update(request.get("OnlineStoreConfig"))
    group["LastModifiedTime"] = utcnow()
    if additions:
        group["LastUpdateStatus"] = {"Status": "Successful"}
        config = group.get("OfflineStoreConfig") or {}
        if config and not config.get("DisableGlueTableCreation"):
            common.cloud().submit(_add_offline_columns, request.account_id, request.region,
                                  group["FeatureGroupName"].lower())
    return {"FeatureGroupArn": group["FeatureGroupArn"]}


def _add_offline_columns(account: str, region: str, key: str) -> None:
    group = common.backend(account, region).extras.feature_groups.get(key)
    if group is None:
        return
    config = group["OfflineStoreConfig"]
    catalog = ports.glue_catalog(account, region)
    database, table = config["DataCatalogConfig"]["Database"], config["DataCatalogConfig"]["TableName"]
    with catalog.changing():
        if catalog.get_table(database, table) is not None:
            catalog.delete_table(database, table)
        catalog.create_table(database, offline_store.glue_table_input(
            table, group["FeatureDefinitions"], config["S3StorageConfig"]["ResolvedOutputS3Uri"],
            group["FeatureGroupName"]))


def delete_feature_group(request: Request) -> dict[str, Any]:
    backend = common.backend_of(request)
    group = find(backend, request.get("FeatureGroupName"))
    if group["FeatureGroupStatus"] == "Creating":
        raise InvalidInput(f"The feature group {group['FeatureGroupName']} is Creating; delete it once it is "
                           "Created.", code="ResourceInUse")
    key = group["FeatureGroupName"].lower()
    backend.extras.feature_groups.pop(key, None)
    backend.extras.feature_records.pop(key, None)
    return {}


def _feature(group: dict[str, Any], name: Any) -> dict[str, str]:
    for definition in group["FeatureDefinitions"]:
        if definition["FeatureName"] == name:
            return definition
    raise NotFound(f"Resource Not Found: Amazon SageMaker can't find a Feature with name {name} in FeatureGroup "
                   f"{group['FeatureGroupName']}", code="ResourceNotFound")


def describe_feature_metadata(request: Request) -> dict[str, Any]:
    group = find(common.backend_of(request), request.get("FeatureGroupName"))
    definition = _feature(group, request.get("FeatureName"))
    metadata = (group.get("_FeatureMetadata") or {}).get(definition["FeatureName"]) or {}
    answer = {"FeatureGroupArn": group["FeatureGroupArn"], "FeatureGroupName": group["FeatureGroupName"],
              "FeatureName": definition["FeatureName"], "FeatureType": definition["FeatureType"],
              "CreationTime": group["CreationTime"],
              "LastModifiedTime": metadata.get("LastModifiedTime") or group["CreationTime"]}
    if metadata.get("Description"):
        answer["Description"] = metadata["Description"]
    if metadata.get("Parameters"):
        answer["Parameters"] = [{"Key": k, "Value": v} for k, v in metadata["Parameters"].items()]
    return answer


def update_feature_metadata(request: Request) -> dict[str, Any]:
    """A feature's Description and Parameters (key/value pairs), as the SDK's update_feature_metadata sets them."""
    group = find(common.backend_of(request), request.get("FeatureGroupName"))
    name = _feature(group, request.get("FeatureName"))["FeatureName"]
    metadata = group.setdefault("_FeatureMetadata", {}).setdefault(name, {"Parameters": {}})
    if request.get("Description") is not None:
        metadata["Description"] = request.get("Description")
    for parameter in request.get("ParameterAdditions") or []:
        metadata["Parameters"][parameter["Key"]] = parameter["Value"]
    for key in request.get("ParameterRemovals") or []:
        metadata["Parameters"].pop(key, None)
    metadata["LastModifiedTime"] = utcnow()
    return {}


OPERATIONS = {
    "describe_feature_metadata": describe_feature_metadata,
    "update_feature_metadata": update_feature_metadata,
    "create_feature_group": create_feature_group,
    "describe_feature_group": describe_feature_group,
    "list_feature_groups": list_feature_groups,
    "update_feature_group": update_feature_group,
    "delete_feature_group": delete_feature_group,
}
