"""Amazon Redshift Serverless control plane: namespaces and workgroups (moto has no such service).

Served through :mod:`emulators.core.native_api`: CreateNamespace / GetNamespace / ListNamespaces /
UpdateNamespace / DeleteNamespace, CreateWorkgroup / GetWorkgroup / ListWorkgroups / UpdateWorkgroup /
DeleteWorkgroup and GetCredentials. A namespace holds one workgroup, as on AWS; both are AVAILABLE once
created (there is no capacity to provision). The Data API's ``WorkgroupName`` must name a workgroup made
here; its database is a DuckDB file like a cluster's. Namespaces and workgroups are kept on the region's
moto Redshift backend, so they are in the snapshot. Capacity settings (base/max RPUs) are recorded and
checked against AWS's bounds; they change nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from emulators.core import clock, moto_coupling, paging
from emulators.core.errors import Conflict, InvalidInput, NotFound
from emulators.core.moto_coupling import Request

MIN_CAPACITY, MAX_CAPACITY = 4, 1024  # RPUs: 4, or 8 to 1024 in steps of 8


def _state(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """(namespaces, workgroups) of the request's account and region, by name."""
    backend = moto_coupling.backend_for("redshift", request.account_id, request.region)
    if "_sandbox_namespaces" not in backend.__dict__:
        backend._sandbox_namespaces = {}
        backend._sandbox_workgroups = {}
    return backend._sandbox_namespaces, backend._sandbox_workgroups


def workgroup_exists(account_id: str, region: str, name: str) -> bool:
    backend = moto_coupling.backend_for("redshift", account_id, region)
    return name in getattr(backend, "_sandbox_workgroups", {})


def workgroup_arn(account_id: str, region: str, workgroup: str | None) -> str:
    backend = moto_coupling.backend_for("redshift", account_id, region)
    found = getattr(backend, "_sandbox_workgroups", {}).get(workgroup)
    if found:
        return found["workgroupArn"]
    return f"arn:aws:redshift-serverless:{region}:{account_id}:workgroup/{workgroup}"


def admin_user(account_id: str, region: str, workgroup: str | None) -> str | None:
    """The admin user of a workgroup's namespace (who the Data API's statements run as without a DbUser)."""
    backend = moto_coupling.backend_for("redshift", account_id, region)
    found = getattr(backend, "_sandbox_workgroups", {}).get(workgroup)
    namespace = getattr(backend, "_sandbox_namespaces", {}).get(found["namespaceName"]) if found else None
    return namespace.get("adminUsername") if namespace else None


def _arn(request: Request, kind: str) -> tuple[str, str]:
    identifier = str(uuid.uuid4())
    return identifier, f"arn:aws:redshift-serverless:{request.region}:{request.account_id}:{kind}/{identifier}"


def _namespace(request: Request, name: str) -> dict[str, Any]:
    namespaces, _ = _state(request)
    if name not in namespaces:
        raise NotFound(f"Namespace {name} does not exist.")
    return namespaces[name]


def _workgroup(request: Request, name: str) -> dict[str, Any]:
    _, workgroups = _state(request)
    if name not in workgroups:
        raise NotFound(f"Workgroup {name} does not exist.")
    return workgroups[name]


def create_namespace(request: Request) -> dict[str, Any]:
    namespaces, _ = _state(request)
    name = request.get("namespaceName")
    if name in namespaces:
        raise Conflict(f"Namespace {name} already exists.")
    identifier, arn = _arn(request, "namespace")
    roles = request.get("iamRoles") or []
    namespaces[name] = {
        "namespaceName": name, "namespaceId": identifier, "namespaceArn": arn, "status": "AVAILABLE",
        "adminUsername": request.get("adminUsername") or "admin", "dbName": request.get("dbName") or "dev",
        "defaultIamRoleArn": request.get("defaultIamRoleArn"), "iamRoles": list(roles),
        "kmsKeyId": request.get("kmsKeyId") or "AWS_OWNED_KMS_KEY", "logExports": request.get("logExports") or [],
        "creationDate": clock.utcnow(),
    }
    return {"namespace": namespaces[name]}


def get_namespace(request: Request) -> dict[str, Any]:
    return {"namespace": _namespace(request, request.get("namespaceName"))}


def list_namespaces(request: Request) -> dict[str, Any]:
    namespaces, _ = _state(request)
    page, token = paging.page(sorted(namespaces.values(), key=lambda n: n["creationDate"]), request.get("nextToken"),
                              request.get("maxResults"), default_size=100, listing="redshift-serverless:namespaces")
    return {"namespaces": page} | ({"nextToken": token} if token else {})


def update_namespace(request: Request) -> dict[str, Any]:
    namespace = _namespace(request, request.get("namespaceName"))
    for key in ("adminUsername", "defaultIamRoleArn", "iamRoles", "kmsKeyId", "logExports"):
        if request.get(key) is not None:
            namespace[key] = request.get(key)
    return {"namespace": namespace}


def delete_namespace(request: Request) -> dict[str, Any]:
    namespaces, workgroups = _state(request)
    namespace = _namespace(request, request.get("namespaceName"))
    attached = [w["workgroupName"] for w in workgroups.values() if w["namespaceName"] == namespace["namespaceName"]]
    if attached:
        raise Conflict(f"Namespace {namespace['namespaceName']} is associated with workgroup {attached[0]}: delete "
                       "the workgroup first.")
    del namespaces[namespace["namespaceName"]]
    return {"namespace": dict(namespace, status="DELETING")}


def _check_capacity(request: Request) -> None:
    for key in ("baseCapacity", "maxCapacity"):
        value = request.get(key)
        if value is None:
            continue
        if not MIN_CAPACITY <= int(value) <= MAX_CAPACITY or (int(value) != MIN_CAPACITY and int(value) % 8):
            raise InvalidInput(f"{key} must be {MIN_CAPACITY} or between 8 and {MAX_CAPACITY} RPUs in increments "
                               f"of 8, not {value}.")


def create_workgroup(request: Request) -> dict[str, Any]:
    _, workgroups = _state(request)
    name, namespace_name = request.get("workgroupName"), request.get("namespaceName")
    _check_capacity(request)
    if name in workgroups:
        raise Conflict(f"Workgroup {name} already exists.")
    _namespace(request, namespace_name)
    taken = [w["workgroupName"] for w in workgroups.values() if w["namespaceName"] == namespace_name]
    if taken:
        raise Conflict(f"Namespace {namespace_name} is already associated with workgroup {taken[0]}.")
    identifier, arn = _arn(request, "workgroup")
    port = int(request.get("port") or 5439)
    workgroups[name] = {
        "workgroupName": name, "workgroupId": identifier, "workgroupArn": arn, "namespaceName": namespace_name,
        "status": "AVAILABLE", "baseCapacity": int(request.get("baseCapacity") or 128),
        "enhancedVpcRouting": bool(request.get("enhancedVpcRouting")),
        "publiclyAccessible": bool(request.get("publiclyAccessible")),
        "configParameters": request.get("configParameters") or [],
        "securityGroupIds": request.get("securityGroupIds") or [], "subnetIds": request.get("subnetIds") or [],
        "port": port, "creationDate": clock.utcnow(),
        "endpoint": {"address": f"{name}.{request.account_id}.{request.region}.redshift-serverless.amazonaws.com",
                     "port": port, "vpcEndpoints": []},
    }
    if request.get("maxCapacity") is not None:
        workgroups[name]["maxCapacity"] = int(request.get("maxCapacity"))
    return {"workgroup": workgroups[name]}


def get_workgroup(request: Request) -> dict[str, Any]:
    return {"workgroup": _workgroup(request, request.get("workgroupName"))}


def list_workgroups(request: Request) -> dict[str, Any]:
    _, workgroups = _state(request)
    page, token = paging.page(sorted(workgroups.values(), key=lambda w: w["creationDate"]), request.get("nextToken"),
                              request.get("maxResults"), default_size=100, listing="redshift-serverless:workgroups")
    return {"workgroups": page} | ({"nextToken": token} if token else {})


def update_workgroup(request: Request) -> dict[str, Any]:
    workgroup = _workgroup(request, request.get("workgroupName"))
    _check_capacity(request)
    for key in ("baseCapacity", "maxCapacity", "enhancedVpcRouting", "publiclyAccessible", "configParameters",
                "securityGroupIds", "subnetIds"):
        if request.get(key) is not None:
            workgroup[key] = request.get(key)
    return {"workgroup": workgroup}


def delete_workgroup(request: Request) -> dict[str, Any]:
    _, workgroups = _state(request)
    workgroup = _workgroup(request, request.get("workgroupName"))
    del workgroups[workgroup["workgroupName"]]
    return {"workgroup": dict(workgroup, status="DELETING")}


def get_credentials(request: Request) -> dict[str, Any]:
    name = request.get("workgroupName")
    if not name:
        raise InvalidInput("workgroupName or customDomainName must be provided.")
    workgroup = _workgroup(request, name)
    seconds = int(request.get("durationSeconds") or 900)
    if not 900 <= seconds <= 3600:
        raise InvalidInput("durationSeconds must be between 900 and 3600.")
    now = clock.utcnow()
    namespace = _state(request)[0].get(workgroup["namespaceName"], {})
    return {"dbUser": f"IAM:{namespace.get('adminUsername', 'admin')}", "dbPassword": secrets.token_urlsafe(24),
            "expiration": now + dt.timedelta(seconds=seconds), "nextRefreshTime": now + dt.timedelta(seconds=seconds)}


OPERATIONS = {
    "CreateNamespace": create_namespace, "GetNamespace": get_namespace, "ListNamespaces": list_namespaces,
    "UpdateNamespace": update_namespace, "DeleteNamespace": delete_namespace,
    "CreateWorkgroup": create_workgroup, "GetWorkgroup": get_workgroup, "ListWorkgroups": list_workgroups,
    "UpdateWorkgroup": update_workgroup, "DeleteWorkgroup": delete_workgroup, "GetCredentials": get_credentials,
}
