"""Glue connections moto stores but cannot change or delete: UpdateConnection, DeleteConnection,
BatchDeleteConnection, and the ConnectionType moto left out of GetConnection(s). The connections
are metadata only (the sandbox opens no JDBC connection)."""

from __future__ import annotations

from typing import Any

from emulators.core import moto_coupling
from emulators.core.clock import utcnow
from emulators.core.moto_coupling import Request
from emulators.glue.catalog_api import GlueInvalidInput, GlueNotFound
from emulators.glue.backend import glue_backend as _glue


MotoConnection = moto_coupling.model_class("glue", "FakeConnection")


class SandboxConnection(MotoConnection):  # type: ignore[misc, valid-type]
    """moto's connection, answering its ConnectionType and MatchCriteria as AWS does."""

    def as_dict(self, hide_password: bool = False) -> dict[str, Any]:
        data = super().as_dict(hide_password)
        for key in ("ConnectionType", "MatchCriteria"):
            if self.connection_input.get(key) is not None:
                data[key] = self.connection_input[key]
        return data



def update_connection(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    name = request.get("Name")
    connection = backend.connections.get(name)
    if connection is None:
        raise GlueNotFound(f"Connection {name} not found")
    update = request.get("ConnectionInput") or {}
    if update.get("Name") and update["Name"] != name:
        raise GlueInvalidInput("ConnectionInput.Name must be the connection's name: a connection cannot be renamed")
    connection.connection_input = {**update, "Name": name}
    connection.description = update.get("Description")
    connection.connection_properties = update.get("ConnectionProperties", {})
    connection.spark_properties = update.get("SparkProperties", {})
    connection.athena_properties = update.get("AthenaProperties", {})
    connection.python_properties = update.get("PythonProperties", {})
    connection.updated_time = utcnow().replace(tzinfo=None)  # moto keeps naive UTC times
    return {}


def delete_connection(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    name = request.get("ConnectionName")
    if name not in backend.connections:
        raise GlueNotFound(f"Connection {name} not found")
    del backend.connections[name]
    return {}


def batch_delete_connection(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    succeeded, errors = [], {}
    for name in request.get("ConnectionNameList") or []:
        if backend.connections.pop(name, None) is None:
            errors[name] = {"ErrorCode": "EntityNotFoundException", "ErrorMessage": f"Connection {name} not found"}
        else:
            succeeded.append(name)
    return {"Succeeded": succeeded, "Errors": errors}


OPERATIONS = {
    "update_connection": update_connection,
    "delete_connection": delete_connection,
    "batch_delete_connection": batch_delete_connection,
}
