"""Schema registry listings moto lacks: ListSchemas and ListSchemaVersions (paged), over moto's registries."""

from __future__ import annotations

from typing import Any

from emulators.core.moto_coupling import Request
from emulators.glue.catalog_api import GlueNotFound, page, with_token
from emulators.glue.backend import glue_backend as _glue



def _registry(backend: Any, registry_id: dict[str, Any] | None) -> Any:
    registry_id = registry_id or {}
    name = registry_id.get("RegistryName") or (registry_id.get("RegistryArn") or "").rsplit("/", 1)[-1] or None
    registry = backend.registries.get(name or "default-registry")
    if registry is None:
        raise GlueNotFound(f"Registry is not found: {name}")
    return registry


def list_schemas(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    registries = [_registry(backend, request.get("RegistryId"))] if request.get("RegistryId") else \
        list(backend.registries.values())
    schemas = [{"RegistryName": s.registry_name, "SchemaName": s.schema_name, "SchemaArn": s.schema_arn,
                "Description": s.description, "SchemaStatus": s.schema_status, "CreatedTime": str(s.created_time),
                "UpdatedTime": str(s.updated_time)}
               for registry in registries for s in registry.schemas.values()]
    found, token = page(request, [{k: v for k, v in s.items() if v is not None} for s in schemas], "list_schemas")
    return with_token({"Schemas": found}, token)


def list_schema_versions(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    schema_id = request.get("SchemaId") or {}
    registry_name, schema_name = schema_id.get("RegistryName"), schema_id.get("SchemaName")
    if schema_id.get("SchemaArn"):
        registry_name, schema_name = schema_id["SchemaArn"].split(":schema/", 1)[-1].split("/", 1)
    registry = _registry(backend, {"RegistryName": registry_name})
    schema = registry.schemas.get(schema_name)
    if schema is None:
        raise GlueNotFound(f"Schema is not found: {schema_name}")
    versions = sorted(schema.schema_versions.values(), key=lambda v: v.version_number)
    listed = [{"SchemaArn": v.schema_arn, "SchemaVersionId": v.schema_version_id, "VersionNumber": v.version_number,
               "Status": v.schema_version_status, "CreatedTime": str(v.created_time)} for v in versions]
    found, token = page(request, listed, f"list_schema_versions:{registry.name}/{schema_name}")
    return with_token({"Schemas": found}, token)


OPERATIONS = {"list_schemas": list_schemas, "list_schema_versions": list_schema_versions}
