"""Partition indexes and column statistics of Data Catalog tables (moto answers none of them).

Partition indexes: CreatePartitionIndex (also ``PartitionIndexes`` in CreateTable),
GetPartitionIndexes, DeletePartitionIndex with AWS's checks: the keys must be
partition keys of the table, at most 3 indexes a table, a name once
(``AlreadyExistsException``). An index is ACTIVE at once (the sandbox has no
backfill); GetPartitions answers the same with or without one.

Column statistics: Update/Get/DeleteColumnStatisticsForTable and ...ForPartition
store what the caller sends (a column the table lacks is an entry in ``Errors``);
StartColumnStatisticsTaskRun computes them from the table's data as Athena reads
it (``ports.lake_table_dataset``, DuckDB: nulls, distinct values, min/max, lengths,
true/false counts), with GetColumnStatisticsTaskRun(s) and ListColumnStatisticsTaskRuns.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from emulators.core import moto_coupling, ports
from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, Conflict, LimitExceeded
from emulators.core.moto_coupling import Request
from emulators.core.server import current_cloud
from emulators.glue.catalog_api import GlueInvalidInput, GlueNotFound, page, with_token
from emulators.glue.backend import glue_backend as _glue

log = logging.getLogger("emulators.glue.statistics")
MAX_PARTITION_INDEXES = 3


class IndexExists(AlreadyExists):
    code = "AlreadyExistsException"


class TooManyIndexes(LimitExceeded):
    code = "ResourceNumberLimitExceededException"


class TaskRunning(Conflict):
    code = "ColumnStatisticsTaskRunningException"



def _table(request: Request) -> Any:
    return _glue(request).get_table(request.get("DatabaseName"), request.get("TableName"))


# -- partition indexes ----------------------------------------------------------------------------------

def _indexes(table: Any) -> dict[str, dict[str, Any]]:
    indexes = getattr(table, "sandbox_partition_indexes", None)
    if indexes is None:
        indexes = table.sandbox_partition_indexes = {}
    return indexes


def add_partition_index(table: Any, index: dict[str, Any]) -> None:
    name, keys = index.get("IndexName"), list(index.get("Keys") or [])
    partition_keys = {k["Name"].lower(): k for k in table.as_dict().get("PartitionKeys") or []}
    if not keys:
        raise GlueInvalidInput("A partition index needs at least one key")
    unknown = [k for k in keys if k.lower() not in partition_keys]
    if unknown:
        raise GlueInvalidInput(f"Partition index keys must be partition keys of table {table.name}: "
                               f"{', '.join(unknown)} is not")
    indexes = _indexes(table)
    if name in indexes:
        raise IndexExists(f"Partition index {name} already exists on table {table.name}")
    if len(indexes) >= MAX_PARTITION_INDEXES:
        raise TooManyIndexes(f"Table {table.name} already has {MAX_PARTITION_INDEXES} partition indexes, the most "
                             "a table may have")
    indexes[name] = {"IndexName": name, "IndexStatus": "ACTIVE",
                     "Keys": [{"Name": partition_keys[k.lower()]["Name"], "Type": partition_keys[k.lower()]["Type"]}
                              for k in keys]}


def create_partition_index(request: Request) -> dict[str, Any]:
    add_partition_index(_table(request), request.get("PartitionIndex") or {})
    return {}


def get_partition_indexes(request: Request) -> dict[str, Any]:
    table = _table(request)
    found, token = page(request, list(_indexes(table).values()),
                        f"get_partition_indexes:{table.database_name}.{table.name}")
    return with_token({"PartitionIndexDescriptorList": found}, token)


def delete_partition_index(request: Request) -> dict[str, Any]:
    table = _table(request)
    name = request.get("IndexName")
    if name not in _indexes(table):
        raise GlueNotFound(f"Partition index {name} not found on table {table.name}")
    del _indexes(table)[name]
    return {}


def create_table(request: Request) -> dict[str, Any]:
    """CreateTable as moto does it, plus the ``PartitionIndexes`` moto drops."""
    backend = _glue(request)
    table_input = request.get("TableInput") or {}
    indexes = request.get("PartitionIndexes") or []
    if len(indexes) > MAX_PARTITION_INDEXES:
        raise TooManyIndexes(f"A table may have at most {MAX_PARTITION_INDEXES} partition indexes")
    table = backend.create_table(request.get("DatabaseName"), table_input.get("Name"), table_input,
                                 request.get("OpenTableFormatInput"))
    try:
        for index in indexes:
            add_partition_index(table, index)
    except Exception:
        backend.delete_table(request.get("DatabaseName"), table_input.get("Name"))  # nothing created, as on AWS
        raise
    return {}


# -- column statistics --------------------------------------------------------------------------------

def _stats(table: Any, partition: Any = None) -> dict[str, dict[str, Any]]:
    """The statistics of the table (or of one partition, by its values) by lower-case column name."""
    store = getattr(table, "sandbox_column_statistics", None)
    if store is None:
        store = table.sandbox_column_statistics = {}
    return store.setdefault("table" if partition is None else "partition:" + str(list(partition)), {})


def _columns(table: Any) -> dict[str, str]:
    data = table.as_dict()
    columns = (data.get("StorageDescriptor") or {}).get("Columns") or []
    return {c["Name"].lower(): c["Name"] for c in columns + (data.get("PartitionKeys") or [])}


def _partition_values(request: Request, table: Any) -> list[str]:
    values = [str(v) for v in request.get("PartitionValues") or []]
    table.get_partition(values)  # EntityNotFoundException when the partition does not exist
    return values


def update_column_statistics(request: Request, partition: bool = False) -> dict[str, Any]:
    table = _table(request)
    store = _stats(table, _partition_values(request, table) if partition else None)
    columns = _columns(table)
    errors = []
    for statistics in request.get("ColumnStatisticsList") or []:
        name = str(statistics.get("ColumnName", ""))
        if name.lower() not in columns:
            errors.append({"ColumnStatistics": statistics,
                           "Error": {"ErrorCode": "EntityNotFoundException",
                                     "ErrorMessage": f"Column {name} not found in table {table.name}"}})
            continue
        store[name.lower()] = {**statistics, "ColumnName": columns[name.lower()]}
    return {"Errors": errors}


def get_column_statistics(request: Request, partition: bool = False) -> dict[str, Any]:
    table = _table(request)
    store = _stats(table, _partition_values(request, table) if partition else None)
    found, errors = [], []
    for name in request.get("ColumnNames") or []:
        if str(name).lower() in store:
            found.append(store[str(name).lower()])
        else:
            errors.append({"ColumnName": name, "Error": {"ErrorCode": "EntityNotFoundException",
                                                         "ErrorMessage": f"Column statistics for {name} not found"}})
    return {"ColumnStatisticsList": found, "Errors": errors}


def delete_column_statistics(request: Request, partition: bool = False) -> dict[str, Any]:
    table = _table(request)
    store = _stats(table, _partition_values(request, table) if partition else None)
    name = str(request.get("ColumnName") or "").lower()
    if name not in store:
        raise GlueNotFound(f"Column statistics for {request.get('ColumnName')} not found")
    del store[name]
    return {}


# -- column statistics task runs (computed from the data) --------------------------------------------

def _task_runs(backend: Any) -> dict[str, dict[str, Any]]:
    runs = getattr(backend, "sandbox_column_statistics_runs", None)
    if runs is None:
        runs = backend.sandbox_column_statistics_runs = {}
    return runs


def start_column_statistics_task_run(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    table = _table(request)
    columns = _columns(table)
    wanted = request.get("ColumnNameList") or []
    unknown = [c for c in wanted if str(c).lower() not in columns]
    if unknown:
        raise GlueInvalidInput(f"Columns {', '.join(unknown)} are not columns of table {table.name}")
    runs = _task_runs(backend)
    if any(r["Status"] in ("STARTING", "RUNNING") and (r["DatabaseName"], r["TableName"]) ==
           (table.database_name, table.name) for r in runs.values()):
        raise TaskRunning(f"A column statistics task run is already running for table {table.name}")
    run_id = secrets.token_hex(16)
    now = utcnow()
    runs[run_id] = {"CustomerId": request.account_id, "ColumnStatisticsTaskRunId": run_id,
                    "DatabaseName": table.database_name, "TableName": table.name,
                    "ColumnNameList": [columns[str(c).lower()] for c in wanted] or None,
                    "CatalogID": request.get("CatalogID") or request.account_id, "Role": request.get("Role"),
                    "SampleSize": float(request.get("SampleSize") or 100.0), "WorkerType": "g.1x",
                    "NumberOfWorkers": 1, "ComputationType": "FULL", "Status": "RUNNING", "CreationTime": now,
                    "LastUpdated": now, "StartTime": now, "DPUSeconds": 0.0}
    current_cloud().submit(run_statistics_task, request.account_id, request.region, run_id)
    return {"ColumnStatisticsTaskRunId": run_id}


def run_statistics_task(account: str, region: str, run_id: str) -> None:
    from emulators.glue import statistics_engine

    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account, region)
    run = _task_runs(backend)[run_id]
    try:
        table = backend.get_table(run["DatabaseName"], run["TableName"])
        types = {c["Name"].lower(): c["Type"] for c in (table.as_dict().get("StorageDescriptor") or {})
                 .get("Columns") or []}
        names = [n.lower() for n in run["ColumnNameList"] or types]
        dataset = ports.lake_table_dataset(account, region, run["DatabaseName"], run["TableName"])
        computed = statistics_engine.column_statistics(dataset.to_table(), {n: types[n] for n in names if n in types},
                                                       utcnow())
        status, error = "SUCCEEDED", None
    except Exception as exc:  # the data cannot be read: the run fails with the reason
        log.info("column statistics run %s failed: %s", run_id, exc)
        computed, status, error = [], "FAILED", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    with cloud.mutating():
        if run["Status"] == "STOPPED":  # stopped while it computed: nothing is stored
            return
        if computed:
            store = _stats(table)
            for statistics in computed:
                store[statistics["ColumnName"].lower()] = statistics
        now = utcnow()
        run.update(Status=status, LastUpdated=now, EndTime=now,
                   DPUSeconds=max(1.0, (now - run["StartTime"]).total_seconds()))
        if error:
            run["ErrorMessage"] = error


class TaskNotRunning(Conflict):
    code = "ColumnStatisticsTaskNotRunningException"


def stop_column_statistics_task_run(request: Request) -> dict[str, Any]:
    table = _table(request)
    running = [r for r in _task_runs(_glue(request)).values() if r["Status"] in ("STARTING", "RUNNING")
               and (r["DatabaseName"], r["TableName"]) == (table.database_name, table.name)]
    if not running:
        raise TaskNotRunning(f"No column statistics task run is running for table {table.name}")
    for run in running:
        run.update(Status="STOPPED", LastUpdated=utcnow(), EndTime=utcnow())
    return {}


def _run(request: Request) -> dict[str, Any]:
    run = _task_runs(_glue(request)).get(request.get("ColumnStatisticsTaskRunId"))
    if run is None:
        raise GlueNotFound(f"Column statistics task run {request.get('ColumnStatisticsTaskRunId')} not found")
    return run


def _shown(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if v is not None}


def get_column_statistics_task_run(request: Request) -> dict[str, Any]:
    return {"ColumnStatisticsTaskRun": _shown(_run(request))}


def get_column_statistics_task_runs(request: Request) -> dict[str, Any]:
    table = _table(request)
    runs = [_shown(r) for r in sorted(_task_runs(_glue(request)).values(), key=lambda r: r["StartTime"],
                                      reverse=True)
            if (r["DatabaseName"], r["TableName"]) == (table.database_name, table.name)]
    found, token = page(request, runs, f"get_column_statistics_task_runs:{table.database_name}.{table.name}")
    return with_token({"ColumnStatisticsTaskRuns": found}, token)


def list_column_statistics_task_runs(request: Request) -> dict[str, Any]:
    ids = sorted(_task_runs(_glue(request)))
    found, token = page(request, ids, "list_column_statistics_task_runs")
    return with_token({"ColumnStatisticsTaskRunIds": found}, token)


OPERATIONS = {
    "create_table": create_table,
    "create_partition_index": create_partition_index,
    "get_partition_indexes": get_partition_indexes,
    "delete_partition_index": delete_partition_index,
    "update_column_statistics_for_table": update_column_statistics,
    "get_column_statistics_for_table": get_column_statistics,
    "delete_column_statistics_for_table": delete_column_statistics,
    "update_column_statistics_for_partition": lambda r: update_column_statistics(r, partition=True),
    "get_column_statistics_for_partition": lambda r: get_column_statistics(r, partition=True),
    "delete_column_statistics_for_partition": lambda r: delete_column_statistics(r, partition=True),
    "start_column_statistics_task_run": start_column_statistics_task_run,
    "stop_column_statistics_task_run": stop_column_statistics_task_run,
    "get_column_statistics_task_run": get_column_statistics_task_run,
    "get_column_statistics_task_runs": get_column_statistics_task_runs,
    "list_column_statistics_task_runs": list_column_statistics_task_runs,
}
