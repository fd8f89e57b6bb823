"""Athena on moto's control plane, with queries executed by :mod:`emulators.athena.engine`."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
import time
import uuid
from typing import Any

from emulators.athena.engine import (AthenaEngine, QueryFailed, QueryResult, ScanCounter, column_precision,
                                     prepare_connections, strip_leading_comments)
from emulators.athena import result_csv, result_stream, saved
from emulators.athena.listing import IndexedLake
from emulators.core import lifecycle, moto_coupling, native_api, paging, ports
from emulators.core.errors import Conflict, InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.athena")
AthenaBackend = moto_coupling.backend_class("athena")
MotoExecution = moto_coupling.model_class("athena", "Execution")
MAX_RESULTS = 1000
FIRST_ANSWER_WAIT = 0.5  # seconds StartQueryExecution waits for a query to finish (clients poll every 0.25-1 s)

# finished results by query id (rebuilt from the CSV in S3 after a restart)
_results: dict[str, QueryResult] = {}
_results_lock = threading.Lock()
# the engine running each query, for StopQueryExecution
_running: dict[str, AthenaEngine] = {}


class SandboxExecution(moto_coupling.PlainStatus, MotoExecution):  # type: ignore[misc, valid-type]
    """A query execution whose state the engine sets (no time-based progression)."""


class SandboxAthenaBackend(AthenaBackend):  # type: ignore[misc, valid-type]
    def start_query_execution(self, query: str, context: Any, config: Any, workgroup: str,
                              execution_parameters: list[str] | None) -> str:
        group = self.work_groups.get(workgroup or "primary")
        if workgroup and group is None:
            raise NotFound(f"WorkGroup {workgroup} is not found.", code="InvalidRequestException")
        if group is not None and group.state == "DISABLED":
            raise Conflict(f"WorkGroup {group.name} is disabled.", code="InvalidRequestException")
        config = dict(config or {})
        group_config = (group.configuration or {}).get("ResultConfiguration", {}) if group else {}
        enforce = (group.configuration or {}).get("EnforceWorkGroupConfiguration", False) if group else False
        if group_config.get("OutputLocation") and (enforce or not config.get("OutputLocation")):
            config["OutputLocation"] = group_config["OutputLocation"]
        if not config.get("OutputLocation"):
            raise InvalidInput(
                "No output location provided. An output location is required either through the Workgroup "
                "result configuration setting or as an API input.", code="InvalidRequestException")
        if not query or not query.strip():
            raise InvalidInput("QueryString must not be empty", code="InvalidRequestException")
        resolved = saved.resolve(self, group or saved.workgroup_of(self, "primary"), query, execution_parameters)
        if resolved is None and execution_parameters:
            query = saved.bind(query, execution_parameters)
        execution = SandboxExecution(query=query, context=context, config=config,
                                     workgroup=group, execution_parameters=execution_parameters)
        # EXECUTE runs its prepared statement (the execution shows the EXECUTE as written); PREPARE and
        # DEALLOCATE PREPARE are done here, and their execution has nothing to run
        execution.resolved = resolved
        execution.status = "QUEUED"
        execution.state_change_reason = None
        execution.statistics = {}
        execution.statement_type = (resolved.statement_type if resolved and resolved.statement_type
                                    else _statement_type(resolved.sql if resolved and resolved.sql else query))
        execution.substatement = None
        execution.submitted = time.time()
        self.executions[execution.id] = execution
        cloud = current_cloud()
        running = cloud.submit(_run_query, self.account_id, self.region_name, execution.id)
        # a short query is usually done within a few milliseconds: answering after it (at most
        # FIRST_ANSWER_WAIT) spares the client a round of GetQueryExecution polling (awswrangler and
        # PyAthena wait a second before their second look); longer ones answer QUEUED/RUNNING as on
        # AWS. The request lets go of the state lock meanwhile: the query takes it to set its state.
        with lifecycle.outside_state_lock(), contextlib.suppress(Exception):
            running.result(timeout=FIRST_ANSWER_WAIT)
        return execution.id

    def get_query_execution(self, exec_id: str) -> Any:
        if exec_id not in self.executions:
            raise NotFound(f"QueryExecution {exec_id} was not found", code="InvalidRequestException")
        return self.executions[exec_id]

    def stop_query_execution(self, exec_id: str) -> None:
        execution = self.get_query_execution(exec_id)
        if execution.status in ("QUEUED", "RUNNING"):
            execution.status = "CANCELLED"
            execution.state_change_reason = "Query was cancelled by the user"
            execution.end_time = time.time()
            with _results_lock:
                engine = _running.get(exec_id)
            if engine is not None:
                engine.cancel()  # its DuckDB work stops now, and a CTAS or INSERT writes nothing


def _statement_type(query: str) -> str:
    query = strip_leading_comments(query)
    head = query.strip().split(None, 1)[0].upper() if query.strip() else ""
    if head in ("SHOW", "DESCRIBE", "DESC", "EXPLAIN"):
        return "UTILITY"
    if head in ("CREATE", "DROP", "ALTER", "MSCK"):
        return "DDL"
    return "DML"


def _read_only(query: str) -> bool:
    words = strip_leading_comments(query).strip().lstrip("(").split(None, 1)
    return bool(words) and words[0].upper() in ("SELECT", "WITH", "VALUES", "SHOW", "DESCRIBE", "EXPLAIN", "TABLE")


def _run_query(account_id: str, region: str, exec_id: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("athena", account_id, region)
    execution = backend.executions[exec_id]
    if execution.status == "CANCELLED":
        return
    started = time.time()
    with cloud.mutating():
        execution.status = "RUNNING"
    context = execution.context or {}
    engine = AthenaEngine(ports.glue_catalog(account_id, region), IndexedLake(s3_access(account_id)))
    output = execution.config["OutputLocation"]
    resolved = getattr(execution, "resolved", None)
    sql = resolved.sql if resolved is not None else execution.query
    with _results_lock:
        _running[exec_id] = engine
    try:
        if resolved is not None and resolved.error:
            raise QueryFailed(resolved.error)
        catalog = context.get("Catalog")
        if catalog and catalog.lower() != "awsdatacatalog":
            kind = "is not emulated by the sandbox (federated and other data catalogs are not; AwsDataCatalog, the " \
                   "Glue Data Catalog, is)" if catalog in backend.data_catalogs else "does not exist"
            raise QueryFailed(f"CATALOG_NOT_FOUND: line 1:1: Catalog '{catalog.lower()}' {kind}")
        if sql is None:  # PREPARE / DEALLOCATE PREPARE: done when the query was started
            result = QueryResult([], [], "DDL", header=False)
        else:
            # no state lock around the statement: a long (or stuck) CTAS would make the snapshot wait, and every
            # request behind it. The catalog takes the lock for each change it makes, the lake for each object.
            result = engine.execute(sql, context.get("Database"), output, exec_id)
        location = output if result.header or result.statement_type == "DML" else output[:-4] + ".txt"
        _store_result_file(location, result)
        manifest = None
        if result.substatement in ("CREATE_TABLE_AS_SELECT", "INSERT", "UNLOAD"):
            # Athena lists the files a CTAS/INSERT/UNLOAD wrote in <id>-manifest.csv (awswrangler reads it)
            manifest = output.rsplit("/", 1)[0] + f"/{exec_id}-manifest.csv"
            bucket, _, key = manifest[len("s3://"):].partition("/")
            s3_access(account_id).put(bucket, key, "".join(f + "\n" for f in result.written_files).encode(),
                                      content_type="text/csv", durable=False)
        with _results_lock:
            _results[exec_id] = result
        final, reason = "SUCCEEDED", None
    except QueryFailed as exc:
        final, reason, result, manifest = "FAILED", str(exc), None, None
    except Exception as exc:  # engine bug: the query fails, the sandbox does not
        log.exception("query %s failed", exec_id)
        final, reason, result, manifest = "FAILED", f"GENERIC_INTERNAL_ERROR: {type(exc).__name__}: {exc}", None, None
    finally:
        with _results_lock:
            _running.pop(exec_id, None)
    cutoff = ((execution.workgroup.configuration or {}).get("BytesScannedCutoffPerQuery")
              if execution.workgroup else None)
    if result is not None and cutoff and result.data_scanned_bytes > int(cutoff):
        # the workgroup's data usage control: Athena cancels the query
        final, reason = "CANCELLED", "Query cancelled! : Bytes scanned limit was exceeded"
        with _results_lock:
            _results.pop(exec_id, None)
    ended = time.time()
    with cloud.mutating():
        if execution.status == "CANCELLED":
            return
        execution.status = final
        execution.state_change_reason = reason
        execution.end_time = ended
        if result is not None:
            execution.substatement = result.substatement
            execution.statement_type = result.statement_type
            if not result.header and result.statement_type != "DML":  # DDL and UTILITY answers are .txt
                execution.config["OutputLocation"] = output[:-4] + ".txt"
            execution.result_columns = result.columns
            execution.result_header = result.header
        millis = int((ended - started) * 1000)
        execution.statistics = {
            "EngineExecutionTimeInMillis": millis,
            "DataScannedInBytes": result.data_scanned_bytes if result else 0,
            "TotalExecutionTimeInMillis": int((ended - execution.submitted) * 1000),
            "QueryQueueTimeInMillis": int((started - execution.submitted) * 1000),
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": 0,
            "ServiceProcessingTimeInMillis": 1,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }
        if manifest:
            execution.statistics["DataManifestLocation"] = manifest


def _store_result_file(location: str, result: QueryResult) -> None:
    """``<id>.csv`` as Athena writes it (see :mod:`result_csv`); a DDL statement's ``.txt``: tab-separated lines."""
    out = io.StringIO()
    if result.header or result.statement_type == "DML":
        out.write(result_csv.csv_text([name for name, _ in result.columns], result.rows))
    else:
        for row in result.rows:
            out.write("\t".join("" if v is None else v for v in row) + "\n")
    bucket, _, key = location[len("s3://"):].partition("/")
    try:
        # on disk with the next snapshot, which is also when the query's SUCCEEDED is
        s3_access().put(bucket, key, out.getvalue().encode(), content_type="text/csv", durable=False)
    except Exception as exc:
        raise QueryFailed(f"Unable to write query results to {location}: {exc}") from None


def _result_of(execution: Any) -> QueryResult:
    with _results_lock:
        cached = _results.get(execution.id)
    if cached is not None:
        return cached
    # after a restart: read the result file back
    location = execution.config["OutputLocation"]
    bucket, _, key = location[len("s3://"):].partition("/")
    text = s3_access().get(bucket, key).decode()
    columns = list(getattr(execution, "result_columns", []) or [])
    header = getattr(execution, "result_header", True)
    if location.endswith(".csv"):
        rows = result_csv.csv_rows(text)[1:]
    else:
        rows = [line.split("\t") for line in text.splitlines()]
    result = QueryResult(columns, rows, execution.statement_type, header=header)
    with _results_lock:
        _results[execution.id] = result
    return result


# -- responses moto answers differently from AWS ---------------------------------------

def _query_execution_document(execution: Any) -> dict[str, Any]:
    status: dict[str, Any] = {"State": execution.status, "SubmissionDateTime": execution.start_time}
    if execution.status in ("SUCCEEDED", "FAILED", "CANCELLED"):
        status["CompletionDateTime"] = execution.end_time
    if getattr(execution, "state_change_reason", None):
        status["StateChangeReason"] = execution.state_change_reason
    if execution.status == "FAILED":
        status["AthenaError"] = _athena_error(execution.state_change_reason or "")
    document = {
        "QueryExecutionId": execution.id,
        "Query": execution.query,
        "StatementType": getattr(execution, "statement_type", "DML"),
        "ResultConfiguration": execution.config,
        "ResultReuseConfiguration": getattr(execution, "result_reuse", None)
        or {"ResultReuseByAgeConfiguration": {"Enabled": False}},
        "QueryExecutionContext": execution.context or {},
        "Status": status,
        "Statistics": getattr(execution, "statistics", None) or {"DataScannedInBytes": 0,
                                                                 "EngineExecutionTimeInMillis": 0},
        "WorkGroup": execution.workgroup.name if execution.workgroup else "primary",
        "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
    }
    if getattr(execution, "substatement", None):
        document["SubstatementType"] = execution.substatement
    if execution.execution_parameters:
        document["ExecutionParameters"] = execution.execution_parameters
    return document


def _athena_error(reason: str) -> dict[str, Any]:
    """AthenaError by the "Athena error catalog" page: category 1 SYSTEM / 2 USER; type 200 engine internal
    error, 401 failed to write query results to S3, 1003 DDL task failed, 1006 for the other user errors."""
    if reason.startswith("GENERIC_INTERNAL_ERROR") or reason.startswith("the sandbox stopped"):
        category, kind = 1, 200
    elif reason.startswith("Unable to write query results"):
        category, kind = 1, 401
    elif reason.startswith("FAILED: "):  # Hive DDL
        category, kind = 2, 1003
    else:
        category, kind = 2, 1006
    return {"ErrorCategory": category, "ErrorType": kind, "Retryable": category == 1, "ErrorMessage": reason}


def _get_query_execution(request: Request) -> dict[str, Any]:
    backend = moto_coupling.backend_for("athena", request.account_id, request.region)
    execution = backend.get_query_execution(request.get("QueryExecutionId"))
    return {"QueryExecution": _query_execution_document(execution)}


def _batch_get_query_execution(request: Request) -> dict[str, Any]:
    backend = moto_coupling.backend_for("athena", request.account_id, request.region)
    found, missing = [], []
    for exec_id in request.get("QueryExecutionIds") or []:
        if exec_id in backend.executions:
            found.append(_query_execution_document(backend.executions[exec_id]))
        else:
            missing.append({"QueryExecutionId": exec_id, "ErrorCode": "INVALID_INPUT",
                            "ErrorMessage": "QueryExecution not found"})
    return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}


def _finished_execution(request: Request) -> Any:
    backend = moto_coupling.backend_for("athena", request.account_id, request.region)
    execution = backend.get_query_execution(request.get("QueryExecutionId"))
    if execution.status in ("QUEUED", "RUNNING"):
        raise Conflict(f"Query has not yet finished. Current state: {execution.status}",
                       code="InvalidRequestException")
    if execution.status != "SUCCEEDED":
        raise Conflict(f"Query did not finish successfully. Final query state: {execution.status}\n"
                       f"{getattr(execution, 'state_change_reason', '') or ''}".strip(), code="InvalidRequestException")
    return execution


def _get_query_result_stream(operation: str, request: Request) -> tuple[int, dict[str, str], bytes]:
    """GetQueryResultStream (REST only: its answer is a raw stream), see :mod:`result_stream`."""
    if operation != "GetQueryResultStream":
        raise InvalidInput(f"{operation} is not served on this path.", code="UnknownOperationException")
    result = _result_of(_finished_execution(request))
    declared = [_declared(result, i) for i in range(len(result.columns))]
    data = result_stream.ipc_stream(result.columns, result.rows, declared)
    return result_stream.answer(data, request.headers.get("Range"))


def _get_query_results(request: Request) -> dict[str, Any]:
    execution = _finished_execution(request)
    result = _result_of(execution)
    max_results = int(request.get("MaxResults") or MAX_RESULTS)
    if not 1 <= max_results <= MAX_RESULTS:
        raise InvalidInput("MaxResults must be between 1 and 1000", code="InvalidRequestException")
    rows = [[n for n, _ in result.columns]] + result.rows if result.header else result.rows
    page, next_token = paging.page(rows, request.get("NextToken"), max_results,
                                   listing=f"athena:results:{execution.id}", token_error="InvalidRequestException")
    document: dict[str, Any] = {
        "UpdateCount": result.written_rows or 0,
        "ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page],
            "ResultSetMetadata": {"ColumnInfo": [
                {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name, "Type": kind,
                 **dict(zip(("Precision", "Scale"), column_precision(kind, _declared(result, i)))),
                 "Nullable": "UNKNOWN", "CaseSensitive": kind == "varchar"}
                for i, (name, kind) in enumerate(result.columns)]},
        },
    }
    if next_token:
        document["NextToken"] = next_token
    return document


def _start_query_execution(request: Request) -> dict[str, Any]:
    """StartQueryExecution, idempotent per ClientRequestToken as on Athena (the same token answers the same id)."""
    backend = moto_coupling.backend_for("athena", request.account_id, request.region)
    token = request.get("ClientRequestToken")
    tokens = backend.__dict__.setdefault("sandbox_request_tokens", {})
    if token and tokens.get(token) in backend.executions:
        return {"QueryExecutionId": tokens[token]}
    exec_id = backend.start_query_execution(
        query=request.get("QueryString"), context=request.get("QueryExecutionContext"),
        config=request.get("ResultConfiguration"), workgroup=request.get("WorkGroup"),
        execution_parameters=request.get("ExecutionParameters"))
    if token:
        tokens[token] = exec_id
    reuse = request.get("ResultReuseConfiguration")
    if reuse:  # recorded and echoed; every query runs afresh (result reuse is not emulated)
        backend.executions[exec_id].result_reuse = reuse
    return {"QueryExecutionId": exec_id}


def _get_query_runtime_statistics(request: Request) -> dict[str, Any]:
    """The execution's timeline and row counts (moto answered fixed numbers and a FAILED output stage)."""
    backend = moto_coupling.backend_for("athena", request.account_id, request.region)
    execution = backend.get_query_execution(request.get("QueryExecutionId"))
    statistics = getattr(execution, "statistics", None) or {}
    timeline = {key: statistics.get(key, 0) for key in (
        "QueryQueueTimeInMillis", "ServicePreProcessingTimeInMillis", "QueryPlanningTimeInMillis",
        "EngineExecutionTimeInMillis", "ServiceProcessingTimeInMillis", "TotalExecutionTimeInMillis")}
    rows: dict[str, Any] = {"InputBytes": statistics.get("DataScannedInBytes", 0)}
    if execution.status == "SUCCEEDED":
        with contextlib.suppress(Exception):
            result = _result_of(execution)
            rows["OutputRows"] = result.written_rows if result.written_rows is not None else len(result.rows)
            rows["OutputBytes"] = sum(len(v or "") for row in result.rows for v in row)
    return {"QueryRuntimeStatistics": {"Timeline": timeline, "Rows": rows}}


def _declared(result: QueryResult, index: int) -> tuple[int, int] | None:
    scales = result.scales or []
    return scales[index] if index < len(scales) and scales[index] != (0, 0) else None


def _entity_not_found() -> NotFound:
    """Athena's MetadataException for a database or table the Glue Data Catalog does not have: Glue's error in
    its envelope, which clients (PyAthena's SQLAlchemy ``has_table``) read the Glue error code from."""
    return NotFound("Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; Error Code: "
                    f"EntityNotFoundException; Request ID: {uuid.uuid4()}; Proxy: null)", code="MetadataException")


def _get_table_metadata(request: Request) -> dict[str, Any]:
    catalog = ports.glue_catalog(request.account_id, request.region)
    _check_catalog(request)
    database, name = request.get("DatabaseName"), request.get("TableName")
    if not catalog.database_exists(database):
        raise _entity_not_found()
    table = catalog.get_table(database, name)
    if table is None:
        raise _entity_not_found()
    return {"TableMetadata": _table_metadata(table)}


def _list_table_metadata(request: Request) -> dict[str, Any]:
    catalog = ports.glue_catalog(request.account_id, request.region)
    _check_catalog(request)
    database = request.get("DatabaseName")
    if not catalog.database_exists(database):
        raise _entity_not_found()
    names = sorted(catalog.list_tables(database))
    expression = request.get("Expression")
    if expression:  # a regex over table names (Glue's GetTables spelling: * is a wildcard)
        try:
            pattern = re.compile(expression.replace(".*", "*").replace("*", ".*"), re.I)
        except re.error as exc:
            raise InvalidInput(f"Invalid Expression {expression!r}: {exc}", code="InvalidRequestException")
        names = [n for n in names if pattern.fullmatch(n)]
    page, token = _metadata_page(request, names, f"athena:tables:{database.lower()}")
    tables = [catalog.get_table(database, n) for n in page]
    result: dict[str, Any] = {"TableMetadataList": [_table_metadata(t) for t in tables if t]}
    if token:
        result["NextToken"] = token
    return result


def _metadata_page(request: Request, items: list[Any], listing: str) -> tuple[list[Any], str | None]:
    return paging.page(items, request.get("NextToken"), request.get("MaxResults"), listing=listing,
                       default_size=50, token_error="InvalidRequestException", size_error="InvalidRequestException")


def _check_catalog(request: Request) -> None:
    name = request.get("CatalogName") or "AwsDataCatalog"
    if name.lower() != "awsdatacatalog":
        raise NotFound(f"Catalog {name} not found: the sandbox answers for AwsDataCatalog (the Glue Data Catalog) "
                       "only", code="MetadataException")


def _list_databases(request: Request) -> dict[str, Any]:
    catalog = ports.glue_catalog(request.account_id, request.region)
    _check_catalog(request)
    names = sorted({*catalog.list_databases(), "default"})  # every account's catalog has the default database
    page, token = _metadata_page(request, names, "athena:databases")
    result: dict[str, Any] = {"DatabaseList": [_database(catalog, name) for name in page]}
    if token:
        result["NextToken"] = token
    return result


def _get_database(request: Request) -> dict[str, Any]:
    catalog = ports.glue_catalog(request.account_id, request.region)
    _check_catalog(request)
    name = request.get("DatabaseName")
    if (name or "").lower() == "default" and not catalog.database_exists("default"):
        return {"Database": {"Name": "default", "Description": "Default Hive database", "Parameters": {}}}
    if not catalog.database_exists(name):
        raise NotFound(f"An error occurred (EntityNotFoundException) when calling the GetDatabase operation: "
                       f"Database {name} not found. (Service: AmazonDataCatalog; Status Code: 400; "
                       f"Error Code: EntityNotFoundException)", code="MetadataException")
    return {"Database": _database(catalog, name.lower())}


def _database(catalog: Any, name: str) -> dict[str, Any]:
    if name == "default" and not catalog.database_exists("default"):  # not made in Glue yet (see the engine)
        return {"Name": "default", "Description": "Default Hive database", "Parameters": {}}
    data = catalog.get_database(name)
    out: dict[str, Any] = {"Name": data["Name"]}
    if data.get("Description"):
        out["Description"] = data["Description"]
    out["Parameters"] = data.get("Parameters") or {}
    return out


def _table_metadata(table: dict[str, Any]) -> dict[str, Any]:
    descriptor = table.get("StorageDescriptor", {})
    return {
        "Name": table["Name"],
        "CreateTime": table.get("CreateTime"),
        "TableType": table.get("TableType", "EXTERNAL_TABLE"),
        "Columns": [{"Name": c["Name"], "Type": c["Type"]} for c in descriptor.get("Columns", [])],
        "PartitionKeys": [{"Name": k["Name"], "Type": k["Type"]} for k in table.get("PartitionKeys", [])],
        "Parameters": {**table.get("Parameters", {}), "location": descriptor.get("Location", ""),
                       "inputformat": descriptor.get("InputFormat", ""),
                       "serde.serialization.lib": descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "")},
    }


def _get_work_group(request: Request) -> dict[str, Any]:
    backend = moto_coupling.backend_for("athena", request.account_id, request.region)
    name = request.get("WorkGroup")
    group = backend.get_work_group(name)
    if group is None:
        raise NotFound(f"WorkGroup {name} is not found.", code="InvalidRequestException")
    return {"WorkGroup": {**group, "CreationTime": saved.created(backend.work_groups[name])}}


def _update_work_group(request: Request) -> dict[str, Any]:
    backend = moto_coupling.backend_for("athena", request.account_id, request.region)
    name = request.get("WorkGroup")
    group = backend.work_groups.get(name)
    if group is None:
        raise NotFound(f"WorkGroup {name} is not found.", code="InvalidRequestException")
    updates = request.get("ConfigurationUpdates") or {}
    config = group.configuration
    result = config.setdefault("ResultConfiguration", {})
    result_updates = updates.get("ResultConfigurationUpdates") or {}
    if result_updates.get("RemoveOutputLocation"):
        result.pop("OutputLocation", None)
    if result_updates.get("OutputLocation"):
        result["OutputLocation"] = result_updates["OutputLocation"]
    if result_updates.get("EncryptionConfiguration"):
        result["EncryptionConfiguration"] = result_updates["EncryptionConfiguration"]
    if result_updates.get("RemoveEncryptionConfiguration"):
        result.pop("EncryptionConfiguration", None)
    for key in ("EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled", "BytesScannedCutoffPerQuery",
                "RequesterPaysEnabled", "EngineVersion"):
        if key in updates:
            config[key] = updates[key]
    if updates.get("RemoveBytesScannedCutoffPerQuery"):
        config.pop("BytesScannedCutoffPerQuery", None)
    if request.get("Description") is not None:
        group.description = request.get("Description")
    if request.get("State"):
        group.state = request.get("State")
    return {}


def _fail_interrupted_queries() -> None:
    for _, _, backend in moto_coupling.backend_dict("athena").iter_backends():
        for execution in backend.executions.values():
            if getattr(execution, "_status", None) in ("QUEUED", "RUNNING"):
                execution._status = "FAILED"
                execution.state_change_reason = "the sandbox stopped while this query ran"


def lake_table_dataset(account: str, region: str, database: str, table: str) -> Any:
    """The ``lake_table_dataset`` port: a catalog table as Athena reads it (Redshift Spectrum's external tables)."""
    engine = AthenaEngine(ports.glue_catalog(account, region), IndexedLake(s3_access(account)))
    try:
        return engine.table_dataset(database.lower(), table.lower(), ScanCounter())
    except QueryFailed as exc:
        raise ports.NotFoundThroughPort(str(exc)) from None


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("athena", SandboxAthenaBackend)
    ports.lake_table_dataset.provide(lake_table_dataset)
    moto_coupling.replace_model_class("athena", "Execution", SandboxExecution)
    # answered by these handlers without moto's dispatcher (native_api): a query takes at least three calls
    native_api.answer_directly("athena", {**saved.OPERATIONS,
        "StartQueryExecution": _start_query_execution, "GetQueryRuntimeStatistics": _get_query_runtime_statistics,
        "GetQueryExecution": _get_query_execution, "BatchGetQueryExecution": _batch_get_query_execution,
        "GetQueryResults": _get_query_results, "GetTableMetadata": _get_table_metadata,
        "ListTableMetadata": _list_table_metadata, "ListDatabases": _list_databases, "GetDatabase": _get_database,
        "GetWorkGroup": _get_work_group, "UpdateWorkGroup": _update_work_group})
    moto_coupling.add_rest_api("athena", "athena", "{0}/query-executions/(?P<QueryExecutionId>[^/]+)/result-stream$",
                               _get_query_result_stream)
    cloud.after_restore(_fail_interrupted_queries)
    # DuckDB connections ready before the first query
    cloud.after_restore(lambda: prepare_connections(IndexedLake(s3_access(moto_coupling.DEFAULT_ACCOUNT_ID))))
