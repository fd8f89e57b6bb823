"""The Glue Data Catalog as the query engines see it: moto's Glue backend, in-process.

Athena's engine and Redshift Spectrum read and change the catalog through this adapter, which the
Glue provider offers to them through the ``glue_catalog`` port (``ports.glue_catalog(account,
region)``), so neither imports Glue. Its methods are the engine's ``Catalog`` protocol
(``emulators.athena.engine.types.Catalog``) and take and return plain dicts in Glue's API shapes.

Reads cost what the table holds: a table's partitions are converted to dicts once and reused while
the table's partition map holds the same partition objects (moto replaces a partition object when
it is updated, and adds or removes entries when partitions are created or deleted).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any

from emulators.core import lifecycle, moto_coupling


@contextlib.contextmanager
def _changing() -> Any:
    """Around one change to the catalog: the running cloud's state lock (shared, as a request holds it) and
    the dirty mark for the next snapshot. Callers such as Athena's engine need not hold the lock for a whole
    statement, which would hold every request behind a waiting snapshot until the statement ends."""
    cloud = lifecycle.running_cloud()
    if cloud is None:
        yield
        return
    with cloud.mutating():
        yield


class _PartitionDicts:
    """A table's partitions as dicts, with the partition objects they were made from."""

    __slots__ = ("sources", "dicts")

    def __init__(self, sources: list[Any], dicts: list[dict[str, Any]]) -> None:
        self.sources, self.dicts = sources, dicts


# moto table object -> its partitions as dicts (dropped with the table)
_partition_cache: weakref.WeakKeyDictionary[Any, _PartitionDicts] = weakref.WeakKeyDictionary()
_partition_cache_lock = threading.Lock()


class GlueCatalog:
    """The engines' view of the Glue Data Catalog of one account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.glue = moto_coupling.backend_for("glue", account_id, region)

    def changing(self) -> Any:
        """Around one change made of several calls: the state lock is held across them, so a snapshot sees
        all of it or none of it."""
        return _changing()

    def database_exists(self, name: str) -> bool:
        return bool(name) and name.strip('`"').lower() in self.glue.databases

    def get_database(self, name: str) -> dict[str, Any]:
        """GetDatabase's ``Database`` document (raises moto's EntityNotFound when it does not exist)."""
        return self.glue.get_database(name).as_dict()

    def create_database(self, name: str, description: str | None, location: str | None) -> None:
        database_input: dict[str, Any] = {"Name": name}
        if description:
            database_input["Description"] = description
        if location:
            database_input["LocationUri"] = location
        with _changing():
            self.glue.create_database(name, database_input)

    def drop_database(self, name: str) -> None:
        with _changing():
            self.glue.delete_database(name)

    def list_databases(self) -> list[str]:
        return list(self.glue.databases)

    def get_table(self, database: str, name: str) -> dict[str, Any] | None:
        try:
            return self.glue.get_table(database, name).as_dict()
        except Exception:
            return None

    def list_tables(self, database: str) -> list[str]:
        return [t.name for t in self.glue.get_tables(database, None)]

    def create_table(self, database: str, table_input: dict[str, Any]) -> None:
        with _changing():
            self.glue.create_table(database, table_input["Name"], table_input)

    def delete_table(self, database: str, name: str) -> None:
        with _changing():
            self.glue.delete_table(database, name)

    def get_partitions(self, database: str, name: str) -> list[dict[str, Any]]:
        """The table's partitions (``Values``, ``StorageDescriptor``, ...); callers must not change them."""
        table = self.glue.get_table(database, name)
        sources = list(table.partitions.values())
        with _partition_cache_lock:
            cached = _partition_cache.get(table)
        if (cached is not None and len(cached.sources) == len(sources)
                and all(a is b for a, b in zip(cached.sources, sources))):
            return cached.dicts
        dicts = [p.as_dict() for p in sources]
        with _partition_cache_lock:
            _partition_cache[table] = _PartitionDicts(sources, dicts)
        return dicts

    def add_partitions(self, database: str, name: str, partitions: list[dict[str, Any]]) -> None:
        with _changing():
            table = self.glue.get_table(database, name)
            for partition in partitions:
                table.create_partition(partition)

    def delete_partition(self, database: str, name: str, values: list[str]) -> None:
        with _changing():
            self.glue.get_table(database, name).delete_partition(values)


def glue_catalog(account_id: str, region: str) -> GlueCatalog:
    """The ``glue_catalog`` port's implementation."""
    return GlueCatalog(account_id, region)
