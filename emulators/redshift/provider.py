"""The Redshift Data API, executing on :mod:`emulators.redshift.warehouse`."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import io
import itertools
import json
import logging
import re
import time
import uuid
from typing import Any

from emulators.core import clock, moto_coupling, native_api, paging, ports
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.core.paths import state_path
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud
from emulators.redshift import clusters, serverless, warehouse
from emulators.redshift.warehouse import BatchFailed, StatementFailed, StatementOutcome, Warehouse

log = logging.getLogger("emulators.redshift")
DataBackend = moto_coupling.backend_class("redshift-data")
PAGE_ROWS = 1000
_RUNNING: set[str] = set()  # ids of the statements whose SQL is running now (CancelStatement interrupts them)
_QUERY_IDS = itertools.count(int(time.time()) % 1_000_000 * 10)  # increasing, like Redshift's query ids


class SandboxRedshiftDataBackend(DataBackend):  # type: ignore[misc, valid-type]
    """Statements are plain dicts (persisted with the snapshot); results live in files."""

    @property
    def sandbox_statements(self) -> dict[str, dict[str, Any]]:
        if "_sandbox_statements" not in self.__dict__:
            self._sandbox_statements = {}
        return self._sandbox_statements

    @property
    def sandbox_sessions(self) -> dict[str, dict[str, Any]]:
        """SessionId -> {"target", "keep" (seconds), "expires" (epoch seconds)}."""
        if "_sandbox_sessions" not in self.__dict__:
            self._sandbox_sessions = {}
        return self._sandbox_sessions


def _backend(request: Request) -> SandboxRedshiftDataBackend:
    return moto_coupling.backend_for("redshift-data", request.account_id, request.region)


def _now() -> dt.datetime:
    return clock.utcnow()


def _warehouse_for(account: str, region: str, statement: dict[str, Any]) -> Warehouse:
    cloud = current_cloud()
    owner = statement.get("ClusterIdentifier") or f"workgroup-{statement.get('WorkgroupName')}"
    # one file per cluster and database, whatever their names: never a shared or an outside file
    path = state_path(cloud.data_dir("redshift"), f"{account}-{region}", owner, f"{statement['Database']}.duckdb")
    return Warehouse(path, s3_access(account), ports.glue_catalog(account, region), _user(account, region, statement))


def _user(account: str, region: str, statement: dict[str, Any]) -> str:
    """Who the statement runs as: its DbUser, else the cluster's master user or the namespace's admin user."""
    if statement.get("DbUser"):
        return str(statement["DbUser"])
    if statement.get("ClusterIdentifier"):
        cluster = moto_coupling.backend_for("redshift", account, region).clusters.get(statement["ClusterIdentifier"])
        return getattr(cluster, "master_username", None) or "awsuser"
    return serverless.admin_user(account, region, statement.get("WorkgroupName")) or "admin"


def run_sql(account: str, region: str, cluster: str, database: str, sql: str) -> None:
    """Run one statement in a cluster's database for another service (the ``redshift_sql`` port)."""
    _warehouse_for(account, region, {"ClusterIdentifier": cluster, "Database": database}).run(sql)


def _session_target(request: Request) -> dict[str, Any] | None:
    """The target of ``SessionId`` (a session an earlier statement kept alive with SessionKeepAliveSeconds)."""
    session_id = request.get("SessionId")
    if not session_id:
        return None
    if request.get("ClusterIdentifier") or request.get("WorkgroupName") or request.get("Database"):
        raise InvalidInput("SessionId cannot be combined with ClusterIdentifier, WorkgroupName or Database: the "
                           "session already names them.")
    session = _backend(request).sandbox_sessions.get(session_id)
    if session is None or session["expires"] < clock.epoch_seconds():
        raise InvalidInput(f"Session {session_id} is not available: it expired or does not exist.")
    return dict(session["target"])


def _keep_session(request: Request, target: dict[str, Any], session_id: str | None) -> str | None:
    """SessionKeepAliveSeconds: keep (or renew) the session for statements that name its SessionId."""
    seconds = request.get_int("SessionKeepAliveSeconds")
    if not seconds and not session_id:
        return None
    session_id = session_id or str(uuid.uuid4())
    sessions = _backend(request).sandbox_sessions
    keep = seconds if seconds is not None else sessions.get(session_id, {}).get("keep", 0)
    sessions[session_id] = {"target": target, "keep": keep, "expires": clock.epoch_seconds() + (keep or 0) + 3600}
    return session_id


def _validate_target(request: Request) -> dict[str, Any]:
    from_session = _session_target(request)
    if from_session is not None:
        return from_session
    cluster = request.get("ClusterIdentifier")
    workgroup = request.get("WorkgroupName")
    database = request.get("Database")
    if bool(cluster) == bool(workgroup):
        raise InvalidInput("Either ClusterIdentifier or WorkgroupName must be provided, but not both.")
    if not database:
        raise InvalidInput("Database must be provided.")
    if cluster:
        redshift = moto_coupling.backend_for("redshift", request.account_id, request.region)
        if cluster not in redshift.clusters:
            raise InvalidInput("Redshift endpoint doesn't exist in this region.")
    elif not serverless.workgroup_exists(request.account_id, request.region, workgroup):
        raise InvalidInput(f"Workgroup {workgroup} doesn't exist in this region (create it with the "
                           "redshift-serverless CreateWorkgroup operation).")
    target = {"Database": database, "DbUser": request.get("DbUser"),
              "SecretArn": request.get("SecretArn")}
    target["ClusterIdentifier" if cluster else "WorkgroupName"] = cluster or workgroup
    return target


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _bind(sql: str, parameters: list[dict[str, str]] | None) -> str:
    """The Data API's ``:name`` parameters as literals: text, as Redshift receives them (it infers their type),
    except a number next to an arithmetic operator or after LIMIT/OFFSET, where DuckDB needs it typed."""
    for parameter in parameters or []:
        value = str(parameter["value"])
        quoted = "'" + value.replace("'", "''") + "'"

        def literal(match: re.Match[str], value: str = value, quoted: str = quoted) -> str:
            before, after = match.string[:match.start()].rstrip(), match.string[match.end():].lstrip()
            numeric_place = (before[-1:] in ("+", "-", "*", "/", "%") and before[-1:] != "") or \
                (after[:1] in ("+", "-", "*", "/", "%") and after[:1] != "") or \
                re.search(r"\b(LIMIT|OFFSET)$", before, re.I) is not None
            return value if numeric_place and _NUMBER.fullmatch(value) else quoted

        pattern = re.compile(rf"(?<!:):{re.escape(parameter['name'])}\b")
        pieces = re.split(r"('(?:[^']|'')*')", sql)  # string literals (odd pieces) keep their text
        sql = "".join(piece if i % 2 else pattern.sub(literal, piece) for i, piece in enumerate(pieces))
    return sql


def _new_statement(request: Request, sqls: list[str], batch: bool) -> dict[str, Any]:
    target = _validate_target(request)
    session_id = _keep_session(request, target, request.get("SessionId"))
    now = _now()
    statement_id = str(uuid.uuid4())
    statement = {
        **target,
        "Id": statement_id,
        "CreatedAt": now,
        "UpdatedAt": now,
        "QueryString": ";\n".join(sqls) if batch else sqls[0],
        "QueryParameters": request.get("Parameters") or [],
        "Status": "SUBMITTED",
        "HasResultSet": False,
        "ResultRows": -1,
        "ResultSize": -1,
        "Duration": -1,
        "RedshiftPid": 1073741824 + (hash(statement_id) % 100000),
        "RedshiftQueryId": 0,
        "StatementName": request.get("StatementName"),
        "WithEvent": bool(request.get_bool("WithEvent", False)),
        "SessionId": session_id,
        "ResultFormat": request.get("ResultFormat") or "JSON",
        "IsBatchStatement": batch,
        "SubStatements": [
            {"Id": f"{statement_id}:{i + 1}", "QueryString": sql, "Status": "SUBMITTED", "CreatedAt": now,
             "UpdatedAt": now, "Duration": -1, "HasResultSet": False, "ResultRows": -1, "ResultSize": -1,
             "RedshiftQueryId": 0}
            for i, sql in enumerate(sqls)
        ] if batch else [],
    }
    _backend(request).sandbox_statements[statement_id] = statement
    current_cloud().submit(_run_statement, request.account_id, request.region, statement_id)
    return statement


def _execute_statement(request: Request) -> dict[str, Any]:
    sql = request.get("Sql")
    if not sql or not sql.strip():
        raise InvalidInput("Sql must not be empty.")
    statement = _new_statement(request, [sql], batch=False)
    return _submission(statement)


def _batch_execute_statement(request: Request) -> dict[str, Any]:
    sqls = request.get("Sqls") or []
    if not sqls:
        raise InvalidInput("Sqls must contain at least one statement.")
    if len(sqls) > 40:
        raise InvalidInput("Sqls can contain at most 40 statements.")
    return _submission(_new_statement(request, list(sqls), batch=True))


def _submission(statement: dict[str, Any]) -> dict[str, Any]:
    out = {k: statement[k] for k in ("Id", "CreatedAt", "Database") if statement.get(k) is not None}
    for key in ("ClusterIdentifier", "WorkgroupName", "DbUser", "SecretArn", "SessionId"):
        if statement.get(key):
            out[key] = statement[key]
    return out


def _results_path(statement_id: str) -> Any:
    return current_cloud().data_dir("redshift") / "results" / f"{statement_id.replace(':', '_')}.json"


def _save_result(statement_id: str, outcome: StatementOutcome) -> int:
    path = _results_path(statement_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"columns": outcome.columns, "rows": [[_jsonable(v) for v in row] for row in outcome.rows]})
    path.write_text(data)
    return len(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return {"t": "s", "v": value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"t": "s", "v": str(value)}
    if isinstance(value, bytes):
        return {"t": "b", "v": base64.b64encode(value).decode()}
    if isinstance(value, (list, dict)):
        return {"t": "s", "v": json.dumps(value, default=str)}
    return value


def _run_statement(account: str, region: str, statement_id: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("redshift-data", account, region)
    statement = backend.sandbox_statements[statement_id]
    if statement["Status"] == "ABORTED":
        return
    _RUNNING.add(statement_id)  # before STARTED shows: a CancelStatement from then on interrupts the run
    with cloud.mutating():
        statement["Status"] = "STARTED"
        statement["UpdatedAt"] = _now()
    outcomes: list[StatementOutcome] = []
    error = None
    started = time.perf_counter()
    try:
        store = _warehouse_for(account, region, statement)
        parts = statement["SubStatements"] or [statement]
        sqls = [_bind(p["QueryString"], statement.get("QueryParameters")) for p in parts]
        if statement["IsBatchStatement"]:  # one transaction, under the warehouse's lock from BEGIN to COMMIT
            outcomes = store.run_batch(sqls)
        else:
            outcomes = [store.run(sqls[0])]
    except BatchFailed as exc:
        error, outcomes = str(exc), [StatementOutcome()] * exc.index
    except StatementFailed as exc:
        error = str(exc)
    except Exception as exc:
        log.exception("statement %s failed", statement_id)
        error = f"ERROR: {type(exc).__name__}: {exc}"
    finally:
        _RUNNING.discard(statement_id)
    duration = int((time.perf_counter() - started) * 1e9)
    with cloud.mutating():
        if statement["Status"] == "ABORTED":
            return
        now = _now()
        if statement["IsBatchStatement"]:
            for i, sub in enumerate(statement["SubStatements"]):
                if i < len(outcomes):
                    _finish(sub, outcomes[i], "FINISHED" if not error else "ABORTED", now)
                elif i == len(outcomes) and error:
                    sub.update(Status="FAILED", Error=error, UpdatedAt=now)
                else:
                    sub.update(Status="ABORTED", UpdatedAt=now)
            if error:
                for sub in statement["SubStatements"][: len(outcomes)]:
                    sub["Status"] = "ABORTED"
            statement["HasResultSet"] = any(s.get("HasResultSet") for s in statement["SubStatements"])
        elif not error:
            _finish(statement, outcomes[0], None, now)
        if error:
            statement["Error"] = error
        statement["Duration"] = duration
        statement["UpdatedAt"] = now
        # last, as threads answering DescribeStatement read it without a lock: the final status comes with
        # everything it promises (result size, query id, duration)
        statement["Status"] = "FAILED" if error else "FINISHED"
    if statement.get("WithEvent"):
        _send_status_event(account, region, statement)


def _send_status_event(account: str, region: str, statement: dict[str, Any]) -> None:
    """WithEvent: "Redshift Data Statement Status Change" on the default EventBridge bus when the statement ends."""
    if statement.get("ClusterIdentifier"):
        resource = f"arn:aws:redshift:{region}:{account}:cluster:{statement['ClusterIdentifier']}"
    else:
        resource = serverless.workgroup_arn(account, region, statement.get("WorkgroupName"))
    detail = {"principal": f"arn:aws:iam::{account}:root", "statementName": statement.get("StatementName") or "",
              "statementId": statement["Id"], "redshiftQueryId": statement.get("RedshiftQueryId", -1),
              "state": statement["Status"], "rows": statement.get("ResultRows", -1),
              "expireAt": int(clock.epoch_seconds()) + 24 * 3600}
    try:
        ports.emit_event(account, region, "aws.redshift-data", "Redshift Data Statement Status Change", detail,
                         [resource])
    except ports.PortUnavailable:
        log.debug("statement %s: no EventBridge in this sandbox, no status event", statement["Id"])


def _finish(target: dict[str, Any], outcome: StatementOutcome, status: str | None, now: dt.datetime) -> None:
    target["UpdatedAt"] = now
    target["HasResultSet"] = outcome.has_result_set
    target["ResultRows"] = outcome.rows_affected if outcome.rows_affected >= 0 else 0
    target["ResultSize"] = _save_result(target["Id"], outcome) if outcome.has_result_set else 0
    target["Duration"] = 1
    target["RedshiftQueryId"] = next(_QUERY_IDS)  # the id Redshift's system tables would know the query by
    if status is not None:
        target["Status"] = status  # last: a describe that sees the final status sees everything above


def _find(request: Request, statement_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the statement, the part asked for: itself or one of its sub-statements)."""
    if not statement_id:
        raise InvalidInput("Id must be provided.")
    base = statement_id.split(":", 1)[0]
    statement = _backend(request).sandbox_statements.get(base)
    if statement is None:
        raise NotFound("Query does not exist.")
    if ":" in statement_id:
        for sub in statement["SubStatements"]:
            if sub["Id"] == statement_id:
                return statement, sub
        raise NotFound("Query does not exist.")
    return statement, statement


def _describe_statement(request: Request) -> dict[str, Any]:
    statement, part = _find(request, request.get("Id"))
    keys = ("Id", "ClusterIdentifier", "WorkgroupName", "CreatedAt", "Database", "DbUser", "Duration", "Error",
            "HasResultSet", "QueryString", "RedshiftPid", "RedshiftQueryId", "ResultRows", "ResultSize", "SecretArn",
            "Status", "UpdatedAt", "QueryParameters", "ResultFormat", "SessionId")
    document = {k: statement[k] for k in keys if statement.get(k) not in (None, [])}
    if statement["SubStatements"]:
        document["SubStatements"] = statement["SubStatements"]
    return document


def _result_page(request: Request, wanted: str) -> tuple[dict[str, Any], list[Any], int, str | None]:
    """(the stored result, this page's rows, all rows, the next token) of a finished statement in ``wanted``
    format (JSON: GetStatementResult, CSV: GetStatementResultV2)."""
    statement, part = _find(request, request.get("Id"))
    if part["Status"] != "FINISHED" or not part.get("HasResultSet"):
        if statement["IsBatchStatement"] and part is statement:
            raise InvalidInput("Batch statement results are available per sub-statement: use its Id, "
                               "e.g. <id>:1.")
        raise NotFound("Query does not have result. Please check query status with DescribeStatement.")
    fmt = statement.get("ResultFormat") or "JSON"
    if fmt != wanted:
        other = "GetStatementResultV2" if fmt == "CSV" else "GetStatementResult"
        raise InvalidInput(f"The statement's ResultFormat is {fmt}: fetch its results with {other}.")
    data = json.loads(_results_path(part["Id"]).read_text())
    rows = data["rows"]
    page, next_token = paging.page(rows, request.get("NextToken"), None, default_size=PAGE_ROWS,
                                   listing=f"redshift-data:get_statement_result:{part['Id']}")
    return data, page, len(rows), next_token


def _column_metadata(columns: list[list[str]]) -> list[dict[str, Any]]:
    return [{"name": name, "label": name, "typeName": kind, "isCaseSensitive": kind == "varchar",
             "isCurrency": False, "isSigned": kind.startswith(("int", "float", "numeric")), "nullable": 1,
             "precision": 0, "scale": 0, "schemaName": "", "tableName": "", "columnDefault": None}
            for name, kind in columns]


def _get_statement_result(request: Request) -> dict[str, Any]:
    data, page, total, next_token = _result_page(request, "JSON")
    document: dict[str, Any] = {
        "ColumnMetadata": _column_metadata(data["columns"]),
        "Records": [[_field(value, kind) for value, (_, kind) in zip(row, data["columns"])] for row in page],
        "TotalNumRows": total,
    }
    if next_token:
        document["NextToken"] = next_token
    return document


def _get_statement_result_v2(request: Request) -> dict[str, Any]:
    """The CSV result of a statement run with ResultFormat CSV: the header line, then the page's rows."""
    data, page, total, next_token = _result_page(request, "CSV")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if not request.get("NextToken"):
        writer.writerow([name for name, _ in data["columns"]])
    for row in page:
        writer.writerow(["" if v is None else v["v"] if isinstance(v, dict) else v for v in row])
    document: dict[str, Any] = {"ColumnMetadata": _column_metadata(data["columns"]),
                                "Records": [{"CSVRecords": out.getvalue()}], "TotalNumRows": total,
                                "ResultFormat": "CSV"}
    if next_token:
        document["NextToken"] = next_token
    return document


def _field(value: Any, kind: str) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    if isinstance(value, dict):
        if value.get("t") == "b":
            return {"blobValue": base64.b64decode(value["v"])}
        return {"stringValue": value["v"]}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def _list_statements(request: Request) -> dict[str, Any]:
    status = request.get("Status") or "ALL"
    name = request.get("StatementName")
    statements = sorted(_backend(request).sandbox_statements.values(), key=lambda s: s["CreatedAt"], reverse=True)
    found = []
    for statement in statements:
        if status != "ALL" and statement["Status"] != status:
            continue
        if name and not (statement.get("StatementName") or "").startswith(name):
            continue
        if any(request.get(key) and statement.get(key) != request.get(key)
               for key in ("ClusterIdentifier", "WorkgroupName", "Database")):
            continue
        found.append({k: statement[k] for k in ("Id", "CreatedAt", "QueryString", "Status", "UpdatedAt",
                                                "IsBatchStatement", "ResultFormat", "QueryParameters")
                      if statement.get(k) not in (None, [])}
                     | ({"StatementName": statement["StatementName"]} if statement.get("StatementName") else {})
                     | ({"QueryStrings": [s["QueryString"] for s in statement["SubStatements"]]}
                        if statement["SubStatements"] else {}))
    statements, next_token = paging.page(found, request.get("NextToken"), request.get("MaxResults"),
                                         default_size=100, listing="redshift-data:list_statements")
    return {"Statements": statements} | ({"NextToken": next_token} if next_token else {})


def _cancel_statement(request: Request) -> dict[str, Any]:
    statement, _ = _find(request, request.get("Id"))
    if statement["Status"] not in ("SUBMITTED", "PICKED", "STARTED"):
        raise InvalidInput(
            f"Could not cancel a query that is already in {statement['Status']} state with ID: {statement['Id']}")
    started = statement["Status"] == "STARTED"
    statement["Status"] = "ABORTED"
    statement["UpdatedAt"] = _now()
    if started:  # the query stops now (a batch rolls back), not when it would have finished
        current_cloud().submit(_interrupt_while_running, statement["Id"],
                               _warehouse_for(request.account_id, request.region, statement).path)
    return {"Status": True}


def _interrupt_while_running(statement_id: str, path: Any) -> None:
    """Interrupt the database until the cancelled statement's run returns (it may not have reached DuckDB yet)."""
    deadline = time.monotonic() + 60
    while statement_id in _RUNNING and time.monotonic() < deadline:
        warehouse.interrupt(path)
        time.sleep(0.05)


def _metadata_target(request: Request) -> tuple[dict[str, Any], Warehouse]:
    target = _validate_target(request)
    connected = request.get("ConnectedDatabase")
    if connected:
        target["Database"] = connected
    return target, _warehouse_for(request.account_id, request.region, target)


def _like(pattern: str | None, value: str) -> bool:
    """Redshift's LIKE patterns of ListSchemas/ListTables (% and _)."""
    if not pattern:
        return True
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value) is not None


def _page(request: Request, items: list[Any], key: str) -> dict[str, Any]:
    """One page of a metadata listing (a bad NextToken is a ValidationException, as on AWS)."""
    found, next_token = paging.page(items, request.get("NextToken"), request.get("MaxResults"),
                                    default_size=1000, listing=f"redshift-data:{key}")
    return {key: found} | ({"NextToken": next_token} if next_token else {})


def _list_databases(request: Request) -> dict[str, Any]:
    target = _validate_target(request)
    names = {target["Database"], "dev"}
    if target.get("ClusterIdentifier"):
        cluster = moto_coupling.backend_for("redshift", request.account_id, request.region) \
            .clusters[target["ClusterIdentifier"]]
        names.add(getattr(cluster, "db_name", None) or "dev")
    folder = _warehouse_for(request.account_id, request.region, target).path.parent
    names |= {p.stem for p in folder.glob("*.duckdb")}
    return _page(request, sorted(names), "Databases")


def _list_schemas(request: Request) -> dict[str, Any]:
    _, house = _metadata_target(request)
    pattern = request.get("SchemaPattern")
    return _page(request, [s for s in house.schemas() if _like(pattern, s)], "Schemas")


def _list_tables(request: Request) -> dict[str, Any]:
    _, house = _metadata_target(request)
    schema_pattern, table_pattern = request.get("SchemaPattern"), request.get("TablePattern")
    tables = [t for t in house.tables() if _like(schema_pattern, t["schema"]) and _like(table_pattern, t["name"])]
    return _page(request, tables, "Tables")


def _describe_table(request: Request) -> dict[str, Any]:
    _, house = _metadata_target(request)
    schema, table = request.get("Schema") or "public", request.get("Table")
    columns = house.columns(schema, table) if table else None
    if columns is None:
        # the Data API answers an unknown table with an empty description, not an error
        return {"ColumnList": []} if not table else {"TableName": f"{schema}.{table}", "ColumnList": []}
    column_list = [
        {"name": c["name"], "label": c["name"], "typeName": c["type"], "nullable": 1 if c["nullable"] else 0,
         "columnDefault": c.get("default"), "isCaseSensitive": c["type"] in ("varchar", "bpchar", "char"),
         "isCurrency": False, "isSigned": c["type"].startswith(("int", "float", "numeric")),
         "length": int(c.get("length") or 0), "precision": int(c.get("precision") or 0),
         "scale": int(c.get("scale") or 0), "schemaName": schema, "tableName": table}
        for c in columns]
    document = _page(request, column_list, "ColumnList")
    document["TableName"] = f"{schema}.{table}"
    return document


def _abort_interrupted() -> None:
    for _, _, backend in moto_coupling.backend_dict("redshift-data").iter_backends():
        for statement in getattr(backend, "_sandbox_statements", {}).values():
            if statement["Status"] in ("SUBMITTED", "PICKED", "STARTED"):
                statement["Status"] = "FAILED"
                statement["Error"] = "ERROR: the sandbox stopped while this statement ran"


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("redshift", clusters.SandboxRedshiftBackend)
    moto_coupling.install_backend_class("redshift-data", SandboxRedshiftDataBackend)
    ports.redshift_sql.provide(run_sql)
    native_api.register("redshift-serverless", serverless.OPERATIONS)
    for operation, handler in (("execute_statement", _execute_statement),
                               ("batch_execute_statement", _batch_execute_statement),
                               ("describe_statement", _describe_statement),
                               ("get_statement_result", _get_statement_result),
                               ("get_statement_result_v2", _get_statement_result_v2),
                               ("list_statements", _list_statements),
                               ("cancel_statement", _cancel_statement),
                               ("list_databases", _list_databases),
                               ("list_schemas", _list_schemas),
                               ("list_tables", _list_tables),
                               ("describe_table", _describe_table)):
        moto_coupling.add_operation("redshiftdata", "RedshiftDataAPIServiceResponse", operation, handler)
    cloud.after_restore(_abort_interrupted)
    cloud.on_shutdown(warehouse.close_all)
    cloud.on_reset(warehouse.close_all)
