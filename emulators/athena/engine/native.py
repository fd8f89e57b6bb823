"""Parquet tables read by DuckDB's own Parquet reader, from the objects' files in the state folder.

The general path (``lake.py``) hands DuckDB a pyarrow dataset whose files are read through Python, which
costs about twice what DuckDB's own reader costs on the same files. When the sandbox keeps the lake in its
state folder, every S3 object's body is a blob file there, named by its content. So for a Parquet table
whose files all have one schema, the engine lays out hard links to those blobs as the table's Hive
partitions (``<state>/services/athena/lake-files/<id>/<key>=<value>/.../<n>.parquet``) and reads them with
``read_parquet(..., hive_partitioning = true)``: DuckDB prunes partitions from the paths and reads only
the columns and row groups a query needs, as Athena does.

The result is the same as the general path's. The view selects the columns the dataset would have, by
the same rules (:func:`lake.columnar_fields`), cast where DuckDB's reader types a column differently.
Anything else goes the general way: other formats, pseudo-columns, files of differing schemas, partition
values that are not plain path names, S3 outside the sandbox, or no state folder.

Safety: the links are made by this module only, under one folder of the state folder, and a connection
that reads them may open files in that folder and nowhere else (DuckDB's ``allowed_directories``, set
before the connection is locked down; DuckDB refuses a symbolic link that leads out of it). A link set is
made for one table definition and its files' names, sizes, times and ETags, and never changes; it is
removed once a newer one replaces it and no query reads it, and the folder is emptied when a server
starts.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from emulators.athena.engine.lake import (DataFile, _partition_values_expression, columnar_fields,
                                           is_plain_parquet_table, table_columns)
from emulators.athena.engine.sql import PARTITIONS_VIEW, _quoted, prepare_connections
from emulators.athena.engine.types import arrow_type

FOLDER = "lake-files"
_KEY = re.compile(r"[a-z_][a-z0-9_]*")
_VALUE = re.compile(r"[A-Za-z0-9_.\-]+")
_TABLES_KEPT = 64
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # a NULL partition value's folder name (read_parquet reads it as NULL)


@dataclass
class NativeTable:
    """A table's link set and the SELECTs that read it, or some of its partitions."""

    folder: str
    columns: str  # the SELECT list over read_parquet's columns
    paths: list[str]  # the links, with each one's partition values and the size of its Parquet footer
    values: list[tuple[str, ...]]
    footers: list[int]
    key_types: list[tuple[str, str]]  # each partition key and the DuckDB type its values have
    schema: Any  # the Arrow schema the general path's dataset has (for type-dependent translation)
    readers: int = 0
    replaced: bool = False
    partitions: Any = None  # the Arrow table of partition numbers and values (:meth:`kept`)
    kept_by: dict[str, list[int]] = field(default_factory=dict)  # a partition filter -> the files it keeps

    @property
    def key_names(self) -> list[str]:
        return [k for k, _ in self.key_types]

    @functools.cached_property
    def select(self) -> str:
        """The SELECT reading every file of the table."""
        return self.select_of(range(len(self.paths)))

    def select_of(self, files: Any) -> str:
        """The SELECT reading the files numbered ``files``."""
        paths = ", ".join(_literal(self.paths[i]) for i in files)
        if self.key_types:
            types = ", ".join(f"{_literal(k)}: {_literal(t)}" for k, t in self.key_types)
            source = (f"read_parquet([{paths}], hive_partitioning = true, hive_types = {{{types}}}, "
                      "hive_types_autocast = false)")
        else:
            source = f"read_parquet([{paths}], hive_partitioning = false)"
        return f"SELECT {self.columns} FROM {source}"

    def kept(self, con: Any, condition: str) -> list[int] | None:
        """The numbers of the files of the partitions ``condition`` keeps (a query over
        :data:`sql.PARTITIONS_VIEW`, from :func:`sql.partition_filter`), or None when it keeps them all or none,
        or cannot be answered. Remembered per condition: a link set never changes."""
        files = self.kept_by.get(condition)
        if files is None:
            files = self._kept(con, condition)
            if files is None:
                return None
            with _LOCK:
                if len(self.kept_by) > 64:
                    self.kept_by.clear()
                self.kept_by[condition] = files
        return files if 0 < len(files) < len(self.paths) else None

    def _kept(self, con: Any, condition: str) -> list[int] | None:
        import duckdb

        try:
            if self.partitions is None:
                self.partitions = _typed_partitions(con, self.key_types, self.values)
            con.register(PARTITIONS_VIEW, self.partitions)
            try:
                numbers = con.execute(condition).fetchall()[0][0] or []
            finally:
                con.unregister(PARTITIONS_VIEW)
        except duckdb.Error:  # a value its condition cannot take (a failed cast): the statement reports it
            return None
        return sorted(numbers)

    def release(self) -> None:
        with _LOCK:
            self.readers -= 1
            gone = self.replaced and self.readers == 0
        if gone:
            shutil.rmtree(self.folder, ignore_errors=True)


_LOCK = threading.Lock()
_TABLES: dict[tuple[Any, ...], tuple[Any, NativeTable]] = {}  # (root, lake, database, table) -> newest
_SCHEMAS: dict[str, Any] = {}  # blob file -> its Parquet schema and footer size (a blob never changes)
_CLEARED: set[str] = set()  # roots emptied of an earlier run's link sets
_REFUSED: dict[tuple[Any, ...], Any] = {}  # tables (as defined, with their files) that go the general way


def root_for(lake: Any) -> str | None:
    """The folder link sets go to for ``lake``, or None when its objects are not files of a state folder."""
    if getattr(lake, "cache_key", None) is None or not hasattr(lake, "local_file"):
        return None
    from emulators.core.lifecycle import running_cloud

    cloud = running_cloud()
    if cloud is None or not hasattr(cloud, "data_dir"):
        return None
    root = os.path.join(cloud.state_dir, "services", "athena", FOLDER)
    with _LOCK:
        fresh = root not in _CLEARED
        _CLEARED.add(root)
    if fresh:  # link sets of an earlier run: nothing refers to them any more
        shutil.rmtree(root, ignore_errors=True)
    return root


def prepare(lake: Any) -> None:
    """Open the engine's first DuckDB connections ahead of the first query, able to read ``lake``'s link sets."""
    prepare_connections(root_for(lake))


def lend(con: Any, root: str, lake: Any, database: str, name: str, resolved: Any, counter: Any) -> NativeTable | None:
    """The table read natively, lent to ``counter``'s query (given back by ``counter.release()``), or None
    when it must go the general way."""
    table, partition_keys, files = resolved
    key = (root, lake.cache_key, database, name)
    fingerprint = (repr(table), files)
    with _LOCK:
        if _REFUSED.get(key) == fingerprint:
            return None
        known = _TABLES.get(key)
        native = known[1] if known is not None and known[0] == fingerprint else None
        if native is not None:
            native.readers += 1
            _TABLES[key] = _TABLES.pop(key)
    if native is None and (not files or not is_plain_parquet_table(table)
                           or not _plain_partitions(partition_keys, files)):
        return _refuse(key, fingerprint)
    if native is not None and not os.path.isdir(native.folder):  # the state folder was reset meanwhile
        native.release()
        native = None
    if native is None:
        native = _build(con, root, lake, table, partition_keys, files, fingerprint)
        if native is None:
            return _refuse(key, fingerprint)
        with _LOCK:
            native.readers += 1
            old = [_TABLES.pop(key)] if key in _TABLES else []
            if len(_TABLES) >= _TABLES_KEPT:  # the table read least recently
                old.append(_TABLES.pop(next(iter(_TABLES))))
            _TABLES[key] = (fingerprint, native)
        for _, replaced in old:
            _forget(replaced)
    counter.leases.append(native)
    counter.native = True
    return native


def _refuse(key: tuple[Any, ...], fingerprint: Any) -> None:
    """The table, as it is now, goes the general way (until its definition or files change)."""
    with _LOCK:
        if len(_REFUSED) > 256:
            _REFUSED.clear()
        _REFUSED[key] = fingerprint


def _forget(native: NativeTable) -> None:
    """A link set no query will be lent again: removed now, or by its last reader."""
    with _LOCK:
        native.replaced = True
        gone = native.readers == 0
    if gone:
        shutil.rmtree(native.folder, ignore_errors=True)


def _plain_partitions(partition_keys: list[tuple[str, str]], files: list[tuple[DataFile, tuple[str, ...]]]) -> bool:
    """Partition names and values that are plain path names, and values of their keys' types."""
    if not all(_KEY.fullmatch(k) for k, _ in partition_keys):
        return False
    seen = set()
    for _, values in files:
        if values in seen:
            continue
        seen.add(values)
        if len(values) != len(partition_keys) or not all(v is not None and _VALUE.fullmatch(v) and v not in (".", "..")
                                                          for v in values):
            return False
        try:
            _partition_values_expression(tuple(partition_keys), values)
        except Exception:  # the general path reports the bad value
            return False
    return True


def _build(con: Any, root: str, lake: Any, table: dict[str, Any], partition_keys: list[tuple[str, str]],
           files: list[tuple[DataFile, tuple[str, ...]]], fingerprint: Any) -> NativeTable | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    blobs = []
    for file, _ in files:
        bucket, key = file.path.split("/", 1)
        blob = lake.local_file(bucket, key, file.etag)
        if blob is None:
            return None
        blobs.append(blob)
    schemas, footers = [], []
    for blob in blobs:
        known = _SCHEMAS.get(blob)
        if known is None:
            try:
                known = pq.read_schema(blob).remove_metadata(), _footer_size(blob)
            except (OSError, pa.ArrowException):
                return None
            if len(_SCHEMAS) > 8192:
                _SCHEMAS.clear()
            _SCHEMAS[blob] = known
        schemas.append(known[0])
        footers.append(known[1])
    if any(not s.equals(schemas[0]) for s in schemas[1:]):
        return None  # files of differing schemas: the general path reads each as the table says
    physical = schemas[0]
    names = {f.name.lower() for f in physical}
    if len(names) != len(physical) or any(k in names for k, _ in partition_keys):
        return None
    fields = columnar_fields(table_columns(table), physical) + [pa.field(k, arrow_type(t)) for k, t in partition_keys]
    schema = pa.schema(fields)

    digest = hashlib.sha256(repr(fingerprint).encode()).hexdigest()[:16]
    folder = os.path.join(root, f"{digest}-{uuid.uuid4().hex[:8]}")  # a set of its own, removed on its own
    paths = [_link_path(folder, partition_keys, values, index) for index, (_, values) in enumerate(files)]
    building = os.path.join(root, f".building-{uuid.uuid4().hex}")
    try:
        os.makedirs(root, exist_ok=True)
        for blob, path in zip(blobs, paths):
            target = building + path[len(folder):]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.link(blob, target)
        os.rename(building, folder)  # whole or not at all
    except OSError:  # a blob removed meanwhile, or no hard links in this folder
        shutil.rmtree(building, ignore_errors=True)
        return None
    read = _columns(con, schema, physical, partition_keys, paths[0])
    if read is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    columns, key_types = read
    return NativeTable(folder, columns, paths, [values for _, values in files], footers, key_types, schema)


def _footer_size(path: str) -> int:
    """The bytes of a Parquet file's footer (its metadata, their length and the closing magic number)."""
    with open(path, "rb") as fh:
        fh.seek(-8, os.SEEK_END)
        return int.from_bytes(fh.read(4), "little") + 8


def _link_path(folder: str, partition_keys: list[tuple[str, str]], values: tuple[str, ...], index: int) -> str:
    parts = [f"{k}={v}" for (k, _), v in zip(partition_keys, values)]
    return os.path.join(folder, *parts, f"{index}.parquet")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: Any, schema: Any, physical: Any, partition_keys: list[tuple[str, str]],
             path: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The SELECT list over ``read_parquet`` giving ``schema``'s columns, each cast where DuckDB's reader types
    the file's column otherwise than DuckDB types the dataset's Arrow column; and the DuckDB type of each
    partition key."""
    import duckdb

    alias = f"__native_types_{uuid.uuid4().hex}"
    try:
        con.register(alias, schema.empty_table())
        try:
            wanted = {row[0]: row[1] for row in con.execute(f'DESCRIBE "{alias}"').fetchall()}
        finally:
            con.unregister(alias)
        read = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(path)}, "
                                                       "hive_partitioning = false)").fetchall()}
    except duckdb.Error:
        return None
    columns = []
    present = {f.name for f in physical}
    keys = {k for k, _ in partition_keys}
    for f in schema:
        if f.name in keys:
            columns.append(_quoted(f.name))
            continue
        out = _quoted(f.name.lower())
        if f.name not in present:
            columns.append(f"CAST(NULL AS {wanted[f.name]}) AS {out}")
        elif read.get(f.name) == wanted[f.name]:
            columns.append(f"{_quoted(f.name)} AS {out}" if f.name != f.name.lower() else out)
        else:
            columns.append(f"CAST({_quoted(f.name)} AS {wanted[f.name]}) AS {out}")
    return ", ".join(columns), [(k, wanted[k]) for k, _ in partition_keys]


def _typed_partitions(con: Any, key_types: list[tuple[str, str]], values: list[tuple[str, ...]]) -> Any:
    """An Arrow table of each file's number (``__partition``) and partition values as ``read_parquet`` gives them:
    cast by DuckDB to their ``hive_types``, and ``__HIVE_DEFAULT_PARTITION__`` (Hive's folder for NULL) NULL."""
    import pyarrow as pa

    text = pa.table({"__partition": pa.array(range(len(values)), pa.int64()),
                     **{k: pa.array([v[i] for v in values], pa.string()) for i, (k, _) in enumerate(key_types)}})
    alias = f"__partition_text_{uuid.uuid4().hex}"
    con.register(alias, text)
    try:
        casts = ", ".join(f"CASE WHEN {_quoted(k)} = {_literal(HIVE_NULL)} THEN NULL ELSE CAST({_quoted(k)} AS {t}) "
                          f"END AS {_quoted(k)}" for k, t in key_types)
        return con.sql(f'SELECT "__partition", {casts} FROM "{alias}"').to_arrow_table()
    finally:
        con.unregister(alias)
