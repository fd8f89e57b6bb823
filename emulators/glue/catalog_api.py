"""Glue Data Catalog operations: AWS's naming rules and checks on moto's catalog, and the reads that page.

moto keeps databases, tables, partitions and table versions. This module adds
what AWS does and moto does not: names kept in lower case and found whatever the
case, partition values checked against the partition keys, table versions that
cannot lose the current one, ``SearchTables``, and ``NextToken`` paging (through
:mod:`emulators.core.paging`; a token that is not ours is Glue's
``InvalidInputException``) for GetDatabases, GetTables, GetPartitions (with
``Segment``) and GetTableVersions. GetDatabases and GetTables list in the order
of the names, as AWS does; a new database without ``CreateTableDefaultPermissions``
gets AWS's default (``IAM_ALLOWED_PRINCIPALS``: ``ALL``). The ``default`` database is there
whenever a request names it (made on first use), as in every account.
"""

from __future__ import annotations

import re
from typing import Any

from emulators.core import moto_coupling, paging
from emulators.core.clock import utcnow
from emulators.core.errors import Conflict, InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.glue.backend import glue_backend as _glue

PARTITION_COUNT_MISMATCH = "The number of partition keys do not match the number of partition values"


class GlueInvalidInput(InvalidInput):
    code = "InvalidInputException"


class GlueNotFound(NotFound):
    code = "EntityNotFoundException"


class GlueConcurrentModification(Conflict):
    code = "ConcurrentModificationException"


def catalog_name(value: Any) -> Any:
    """The Data Catalog keeps database and table names in lower case and finds them whatever the case."""
    return value.lower() if isinstance(value, str) else value


def check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise GlueInvalidInput(f"{kind} name must be between 1 and 255 characters long")


def page(request: Request, items: list[Any], listing: str, default_size: int = 100) -> tuple[list[Any], str | None]:
    """One page of a Glue listing; a bad NextToken or MaxResults is Glue's ``InvalidInputException``."""
    return paging.page(items, request.get("NextToken"), request.get("MaxResults"),
                       listing=f"glue:{listing}", default_size=default_size,
                       token_error=GlueInvalidInput, size_error=GlueInvalidInput)


def with_token(result: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        result["NextToken"] = token
    return result


MotoTable = moto_coupling.model_class("glue", "FakeTable")


class SandboxTable(MotoTable):  # type: ignore[misc, valid-type]
    """moto's table, answering the fields AWS always sends (``IsRegisteredWithLakeFormation``, ``Retention``,
    ``UpdateTime``: the creation time until the first update)."""

    def as_dict(self, version: Any = None) -> dict[str, Any]:
        data = super().as_dict(version)
        data.setdefault("IsRegisteredWithLakeFormation", False)
        data.setdefault("Retention", 0)
        data.setdefault("UpdateTime", data.get("CreateTime"))
        return data


class CatalogOperations:
    """Mixin for the Glue backend (see :mod:`emulators.glue.provider`): catalog writes with AWS's checks."""

    def create_database(self, database_name: str, database_input: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        check_name("Database", database_name)
        database_input = {**(database_input or {}), "Name": catalog_name(database_name)}
        # without Lake Formation settings of its own, a new database grants IAM principals all on new tables
        database_input.setdefault("CreateTableDefaultPermissions", [
            {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}])
        return super().create_database(catalog_name(database_name), database_input,  # type: ignore[misc]
                                       *args, **kwargs)

    def _ensure_default(self, database_name: Any) -> None:
        """Every account's catalog has the ``default`` database (Athena's default context, the database of the
        AWS SDK for pandas tutorials): made the first time a request names it."""
        if catalog_name(database_name) == "default" and "default" not in self.databases:  # type: ignore[attr-defined]
            self.create_database("default", {"Description": "Default Hive database"})

    def get_database(self, database_name: str) -> Any:
        self._ensure_default(database_name)
        return super().get_database(catalog_name(database_name))  # type: ignore[misc]

    def update_database(self, database_name: str, database_input: dict[str, Any]) -> None:
        super().update_database(catalog_name(database_name),  # type: ignore[misc]
                                {**(database_input or {}), "Name": catalog_name(database_name)})

    def delete_database(self, database_name: str) -> None:
        super().delete_database(catalog_name(database_name))  # type: ignore[misc]

    def create_table(self, database_name: str, table_name: str, table_input: dict[str, Any],
                     *args: Any, **kwargs: Any) -> Any:
        check_name("Table", table_name)
        self._ensure_default(database_name)
        table_input = {**table_input, "Name": catalog_name(table_name)}
        return super().create_table(catalog_name(database_name), catalog_name(table_name),  # type: ignore[misc]
                                    table_input, *args, **kwargs)

    def get_table(self, database_name: str, table_name: str) -> Any:
        self._ensure_default(database_name)
        return super().get_table(catalog_name(database_name), catalog_name(table_name))  # type: ignore[misc]

    def get_tables(self, database_name: str, expression: str | None) -> Any:
        self._ensure_default(database_name)
        if expression:  # a regular expression (``*`` a wildcard); one that does not compile is the caller's error
            try:
                re.compile(expression.replace(".*", "*").replace("*", ".*"))
            except re.error as exc:
                raise GlueInvalidInput(f"Expression {expression!r} is not a valid regular expression: {exc}") from None
        return super().get_tables(catalog_name(database_name), expression)  # type: ignore[misc]

    def delete_table(self, database_name: str, table_name: str) -> None:
        super().delete_table(catalog_name(database_name), catalog_name(table_name))  # type: ignore[misc]

    def update_table(self, database_name: str, table_name: str, table_input: dict[str, Any], *args: Any,
                     **kwargs: Any) -> None:
        table_input = {**table_input, "Name": catalog_name(table_name)}
        super().update_table(catalog_name(database_name), catalog_name(table_name),  # type: ignore[misc]
                             table_input, *args, **kwargs)

    def delete_table_version(self, database_name: str, table_name: str, version_id: str) -> None:
        table = self.get_table(database_name, table_name)
        check_deletable_version(table, version_id)
        table.delete_version(str(version_id))

    def _partition_key_count(self, database_name: str, table_name: str) -> int:
        table = self.get_table(database_name, table_name)
        return len(table.as_dict().get("PartitionKeys") or [])

    def create_partition(self, database_name: str, table_name: str, part_input: dict[str, Any]) -> None:
        if len(part_input.get("Values") or []) != self._partition_key_count(database_name, table_name):
            raise GlueInvalidInput(PARTITION_COUNT_MISMATCH)
        super().create_partition(catalog_name(database_name), catalog_name(table_name),  # type: ignore[misc]
                                 part_input)

    def batch_create_partition(self, database_name: str, table_name: str,
                               partition_input: list[dict[str, Any]]) -> list[dict[str, Any]]:
        count = self._partition_key_count(database_name, table_name)
        if len(partition_input) > 100:
            raise GlueInvalidInput("PartitionInputList can hold at most 100 partitions per request")
        good = [p for p in partition_input if len(p.get("Values") or []) == count]
        errors = [{"PartitionValues": p.get("Values") or [],
                   "ErrorDetail": {"ErrorCode": "InvalidInputException", "ErrorMessage": PARTITION_COUNT_MISMATCH}}
                  for p in partition_input if len(p.get("Values") or []) != count]
        return errors + super().batch_create_partition(  # type: ignore[misc]
            catalog_name(database_name), catalog_name(table_name), good)

    def batch_delete_table(self, database_name: str, tables: list[str]) -> list[dict[str, Any]]:
        return super().batch_delete_table(catalog_name(database_name),  # type: ignore[misc]
                                          [catalog_name(t) for t in tables])


def check_deletable_version(table: Any, version_id: str) -> None:
    """A table version may be deleted when it exists and is not the current one."""
    try:
        int(version_id)
    except (TypeError, ValueError):
        raise GlueInvalidInput(f"Version id {version_id} is not a number") from None
    if str(version_id) not in table.versions:
        raise GlueNotFound(f"Version {version_id} of table {table.name} not found")
    if str(version_id) == str(table._current_version):
        raise GlueInvalidInput(f"Version {version_id} is the current version of table {table.name} and cannot be "
                               "deleted (DeleteTable removes the table)")


# -- reads with AWS's paging (moto returns everything at once) ----------------------------


def get_databases(request: Request) -> dict[str, Any]:
    # AWS lists databases and tables in the order of their names, not of their creation
    databases = [d.as_dict() for d in sorted(_glue(request).get_databases(), key=lambda d: d.name)]
    found, token = page(request, databases, "get_databases")
    return with_token({"DatabaseList": found}, token)


def get_tables(request: Request) -> dict[str, Any]:
    database = request.get("DatabaseName")
    tables = sorted(_glue(request).get_tables(database, request.get("Expression")), key=lambda t: t.name)
    found, token = page(request, [t.as_dict() for t in tables], f"get_tables:{catalog_name(database)}")
    return with_token({"TableList": found}, token)


def get_partitions(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    database, table = request.get("DatabaseName"), request.get("TableName")
    backend.get_table(database, table)  # EntityNotFoundException first, as on AWS
    partitions = [p.as_dict() for p in backend.get_partitions(catalog_name(database), catalog_name(table),
                                                              request.get("Expression"))]
    segment = request.get("Segment")
    if segment:
        number, total = int(segment.get("SegmentNumber", 0)), int(segment.get("TotalSegments", 1))
        if not 0 <= number < total:
            raise GlueInvalidInput("SegmentNumber must be at least 0 and less than TotalSegments")
        partitions = partitions[number::total]
    for partition in partitions:
        partition.setdefault("CatalogId", request.account_id)
    if request.get("ExcludeColumnSchema"):
        for partition in partitions:
            partition.get("StorageDescriptor", {}).pop("Columns", None)
    found, token = page(request, partitions, f"get_partitions:{catalog_name(database)}.{catalog_name(table)}", 1000)
    return with_token({"Partitions": found}, token)


def get_table_versions(request: Request) -> dict[str, Any]:
    database, name = request.get("DatabaseName"), request.get("TableName")
    table = _glue(request).get_table(database, name)
    versions = [{"Table": table.as_dict(version), "VersionId": version}
                for version in sorted(table.versions, key=int, reverse=True)]  # newest first, as on AWS
    found, token = page(request, versions, f"get_table_versions:{catalog_name(database)}.{catalog_name(name)}")
    return with_token({"TableVersions": found}, token)


def batch_delete_table_version(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    table_name = request.get("TableName")
    table = backend.get_table(request.get("DatabaseName"), table_name)
    errors = []
    for version in request.get("VersionIds") or []:
        try:
            check_deletable_version(table, version)
        except (GlueInvalidInput, GlueNotFound) as exc:
            errors.append({"TableName": table_name, "VersionId": version,
                           "ErrorDetail": {"ErrorCode": exc.code, "ErrorMessage": exc.message}})
            continue
        table.delete_version(str(version))
    return {"Errors": errors}


def update_table(request: Request) -> dict[str, Any]:
    """UpdateTable with AWS's ``SkipArchive`` (no new version: the current one is replaced) and ``VersionId``
    (the update applies only while that version is current: ``ConcurrentModificationException``)."""
    backend = _glue(request)
    database, table_input = request.get("DatabaseName"), request.get("TableInput") or {}
    name = request.get("Name") or table_input.get("Name")
    table = backend.get_table(database, name)
    expected = request.get("VersionId")
    if expected not in (None, "") and str(expected) != str(table._current_version):
        raise GlueConcurrentModification(f"Update table failed: version {expected} is not the current version "
                                         f"({table._current_version}) of table {table.name}")
    if request.get("SkipArchive"):
        table.versions[str(table._current_version)] = {**table_input, "Name": catalog_name(name)}
        table.updated_time = utcnow().replace(tzinfo=None)  # moto keeps naive UTC times
    else:
        backend.update_table(database, name, table_input)
    return {}


def search_tables(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    text = (request.get("SearchText") or "").strip()
    exact = len(text) > 1 and text[0] == text[-1] == '"'
    text = text.strip('"').lower()
    filters = request.get("Filters") or []
    found = []
    for database in backend.databases.values():
        for table in database.tables.values():
            data = table.as_dict()
            if text and not _table_matches(data, text, exact):
                continue
            if all(_filter_matches(data, f) for f in filters):
                found.append(data)
    for criterion in reversed(request.get("SortCriteria") or []):
        field = criterion.get("FieldName", "Name")
        found.sort(key=lambda t, f=field: str(t.get(f) or t.get("Parameters", {}).get(f) or ""),
                   reverse=criterion.get("Sort") == "DESC")
    listed, token = page(request, found, "search_tables")
    return with_token({"TableList": listed}, token)


def _table_matches(table: dict[str, Any], text: str, exact: bool) -> bool:
    descriptor = table.get("StorageDescriptor") or {}
    columns = descriptor.get("Columns", [])
    words = [table.get("Name"), table.get("DatabaseName"), table.get("Description")]
    words += [c.get("Name") for c in columns] + [c.get("Comment") for c in columns]
    words += list((table.get("Parameters") or {}).values())
    words = [str(w).lower() for w in words if w]
    return any(w == text for w in words) if exact else any(text in w for w in words)


def _filter_matches(table: dict[str, Any], item: dict[str, Any]) -> bool:
    key, value = item.get("Key"), item.get("Value")
    actual = table.get(key) if key in table else (table.get("Parameters") or {}).get(key)
    if actual is None:
        return False
    comparator = item.get("Comparator", "EQUALS")
    if comparator == "EQUALS":
        return str(actual) == str(value)
    a, b = str(actual), str(value)
    try:
        a, b = float(a), float(b)  # type: ignore[assignment]
    except ValueError:
        pass
    return {"GREATER_THAN": a > b, "LESS_THAN": a < b, "GREATER_THAN_EQUALS": a >= b,
            "LESS_THAN_EQUALS": a <= b}.get(comparator, False)


OPERATIONS = {
    "get_databases": get_databases,
    "get_tables": get_tables,
    "get_partitions": get_partitions,
    "get_table_versions": get_table_versions,
    "batch_delete_table_version": batch_delete_table_version,
    "search_tables": search_tables,
    "update_table": update_table,
}
