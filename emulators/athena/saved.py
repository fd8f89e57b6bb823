"""Named queries, prepared statements, query listings and workgroup housekeeping, answered as Athena does.

moto keeps named queries and prepared statements but lacks their update, delete and batch operations,
keys prepared statements by name alone (not per workgroup), answers a missing one with a 500-style
AttributeError, and lists every query execution of every workgroup at once. The handlers here keep
the same moto models and answer with Athena's shapes and errors.

Prepared statements also run from SQL (the "Querying with prepared statements" pages): ``PREPARE name
FROM statement`` stores one in the query's workgroup, ``EXECUTE name [USING v1, v2]`` (or
``ExecutionParameters``) runs it with its ``?`` placeholders bound, ``DEALLOCATE PREPARE name`` drops it.
"""

from __future__ import annotations

import datetime
import re
import time
from dataclasses import dataclass
from typing import Any

from emulators.core import moto_coupling, paging
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import Request

PreparedStatement = moto_coupling.model_class("athena", "PreparedStatement")
LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.S)
STATEMENT_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_@:]{0,255}$")


def _backend(request: Request) -> Any:
    return moto_coupling.backend_for("athena", request.account_id, request.region)


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="InvalidRequestException")


def workgroup_of(backend: Any, name: str | None) -> Any:
    group = backend.work_groups.get(name or "primary")
    if group is None:
        raise NotFound(f"WorkGroup {name} is not found.", code="InvalidRequestException")
    return group


def created(group: Any) -> float:
    """A workgroup's creation time, fixed the first time it is asked for (moto answers the current time)."""
    if getattr(group, "sandbox_created", None) is None:
        group.sandbox_created = time.time()
    return group.sandbox_created


# -- placeholders -----------------------------------------------------------------------

def placeholders(sql: str) -> list[int]:
    """The offsets of the ``?`` placeholders of ``sql``: not those inside quotes or comments."""
    found, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' inside a string
                        end += 2
                        continue
                    break
                end += 1
            i = end + 1
            continue
        if sql.startswith("--", i):
            i = sql.find("\n", i) if "\n" in sql[i:] else n
            continue
        if sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
            continue
        if ch == "?":
            found.append(i)
        i += 1
    return found


def bind(sql: str, values: list[str]) -> str:
    """``sql`` with its placeholders replaced by ``values`` (SQL literals, as Athena takes them)."""
    spots = placeholders(sql)
    if len(spots) != len(values):
        raise _invalid(f"The number of execution parameters ({len(values)}) does not match the number of "
                       f"parameters in the query ({len(spots)})")
    out, last = [], 0
    for spot, value in zip(spots, values):
        out.append(sql[last:spot] + str(value))
        last = spot + 1
    return "".join(out) + sql[last:]


def _split_values(text: str) -> list[str]:
    """``USING 'a', 10, DATE '2024-01-01'``'s values (commas inside quotes or parentheses kept)."""
    parts, current, depth, quote = [], "", 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch == "'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and not quote and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


# -- statements in SQL ------------------------------------------------------------------

@dataclass
class Resolved:
    """What a query's SQL stands for: the SQL to run, a failure to report, or nothing to run."""

    sql: str | None
    error: str | None = None
    statement_type: str | None = None


def resolve(backend: Any, group: Any, query: str, parameters: list[str] | None) -> Resolved | None:
    """PREPARE / EXECUTE / DEALLOCATE PREPARE handled against the workgroup's statements; None for other SQL."""
    text = LEADING_COMMENTS.sub("", query, count=1).strip().rstrip(";").strip()
    prepare = re.match(r"PREPARE\s+([A-Za-z_][\w@:]*)\s+FROM\s+(.+)$", text, re.I | re.S)
    if prepare:
        _put(backend, group, prepare.group(1), prepare.group(2).strip(), None)
        return Resolved(None, statement_type="DDL")
    deallocate = re.match(r"DEALLOCATE\s+PREPARE\s+([A-Za-z_][\w@:]*)$", text, re.I)
    if deallocate:
        if backend.prepared_statements.pop((group.name, deallocate.group(1)), None) is None:
            return Resolved(None, error=f"NOT_FOUND: Prepared statement not found: {deallocate.group(1)}")
        return Resolved(None, statement_type="DDL")
    execute = re.match(r"EXECUTE\s+([A-Za-z_][\w@:]*)(?:\s+USING\s+(.+))?$", text, re.I | re.S)
    if not execute:
        return None
    statement = backend.prepared_statements.get((group.name, execute.group(1)))
    if statement is None:
        return Resolved(None, error=f"NOT_FOUND: Prepared statement not found: {execute.group(1)}")
    values = _split_values(execute.group(2)) if execute.group(2) else list(parameters or [])
    spots = placeholders(statement.query_statement)
    if len(spots) != len(values):
        return Resolved(None, error=f"INVALID_PARAMETER_USAGE: line 1:1: Incorrect number of parameters: expected "
                                    f"{len(spots)} but found {len(values)}")
    return Resolved(bind(statement.query_statement, values))


def _put(backend: Any, group: Any, name: str, sql: str, description: str | None) -> Any:
    statement = PreparedStatement(statement_name=name, workgroup=group.name, query_statement=sql,
                                  description=description)
    backend.prepared_statements[(group.name, name)] = statement
    return statement


# -- prepared statements API ------------------------------------------------------------

def _statement(backend: Any, request: Request) -> Any:
    group = workgroup_of(backend, request.get("WorkGroup"))
    name = request.get("StatementName")
    statement = backend.prepared_statements.get((group.name, name))
    if statement is None:
        raise NotFound(f"Prepared statement {name} was not found in workgroup {group.name}.")
    return statement


def _document(statement: Any) -> dict[str, Any]:
    out = {"StatementName": statement.statement_name, "QueryStatement": statement.query_statement,
           "WorkGroupName": statement.workgroup, "LastModifiedTime": _stamp(statement.last_modified_time)}
    if statement.description:
        out["Description"] = statement.description
    return out


def _stamp(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime.datetime) else float(value)


def create_prepared_statement(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    group = workgroup_of(backend, request.get("WorkGroup"))
    name = request.get("StatementName") or ""
    if not STATEMENT_NAME.match(name):
        raise InvalidInput(f"1 validation error detected: Value '{name}' at 'statementName' failed to satisfy "
                           "constraint: Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_@:]{1,256}")
    if (group.name, name) in backend.prepared_statements:
        raise _invalid(f"Prepared statement {name} already exists in workgroup {group.name}.")
    _put(backend, group, name, request.get("QueryStatement"), request.get("Description"))
    return {}


def get_prepared_statement(request: Request) -> dict[str, Any]:
    return {"PreparedStatement": _document(_statement(_backend(request), request))}


def update_prepared_statement(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    statement = _statement(backend, request)
    statement.query_statement = request.get("QueryStatement")
    if request.get("Description") is not None:
        statement.description = request.get("Description")
    statement.last_modified_time = datetime.datetime.now()
    return {}


def delete_prepared_statement(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    statement = _statement(backend, request)
    backend.prepared_statements.pop((statement.workgroup, statement.statement_name), None)
    return {}


def list_prepared_statements(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    group = workgroup_of(backend, request.get("WorkGroup"))
    names = sorted(s for g, s in _keys(backend) if g == group.name)
    page, token = paging.page(names, request.get("NextToken"), request.get("MaxResults"),
                              listing=f"athena:prepared:{group.name}", default_size=50, max_size=50,
                              token_error="InvalidRequestException", size_error="InvalidRequestException")
    result: dict[str, Any] = {"PreparedStatements": [
        {"StatementName": n, "LastModifiedTime": _stamp(backend.prepared_statements[(group.name, n)].last_modified_time)}
        for n in page]}
    if token:
        result["NextToken"] = token
    return result


def _keys(backend: Any) -> list[tuple[str, str]]:
    return [k for k in backend.prepared_statements if isinstance(k, tuple)]


def batch_get_prepared_statement(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    group = workgroup_of(backend, request.get("WorkGroup"))
    found, missing = [], []
    for name in request.get("PreparedStatementNames") or []:
        statement = backend.prepared_statements.get((group.name, name))
        if statement is None:
            missing.append({"StatementName": name, "ErrorCode": "STATEMENT_NOT_FOUND",
                            "ErrorMessage": f"Prepared statement {name} was not found in workgroup {group.name}."})
        else:
            found.append(_document(statement))
    return {"PreparedStatements": found, "UnprocessedPreparedStatementNames": missing}


# -- named queries ----------------------------------------------------------------------

def _named(backend: Any, query_id: str | None) -> Any:
    named = backend.named_queries.get(query_id)
    if named is None:
        raise _invalid(f"NamedQuery {query_id} was not found")
    return named


def _named_document(named: Any) -> dict[str, Any]:
    out = {"Name": named.name, "Database": named.database, "QueryString": named.query_string,
           "NamedQueryId": named.id, "WorkGroup": named.workgroup.name}
    if named.description:
        out["Description"] = named.description
    return out


def get_named_query(request: Request) -> dict[str, Any]:
    return {"NamedQuery": _named_document(_named(_backend(request), request.get("NamedQueryId")))}


def update_named_query(request: Request) -> dict[str, Any]:
    named = _named(_backend(request), request.get("NamedQueryId"))
    named.name = request.get("Name")
    named.query_string = request.get("QueryString")
    if request.get("Description") is not None:
        named.description = request.get("Description")
    return {}


def delete_named_query(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    _named(backend, request.get("NamedQueryId"))
    backend.named_queries.pop(request.get("NamedQueryId"))
    return {}


def batch_get_named_query(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    found, missing = [], []
    for query_id in request.get("NamedQueryIds") or []:
        named = backend.named_queries.get(query_id)
        if named is None:
            missing.append({"NamedQueryId": query_id, "ErrorCode": "INVALID_INPUT",
                            "ErrorMessage": f"NamedQuery {query_id} was not found"})
        else:
            found.append(_named_document(named))
    return {"NamedQueries": found, "UnprocessedNamedQueryIds": missing}


def list_named_queries(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    group = workgroup_of(backend, request.get("WorkGroup"))
    ids = [n.id for n in backend.named_queries.values() if n.workgroup.name == group.name]
    page, token = paging.page(ids, request.get("NextToken"), request.get("MaxResults"),
                              listing=f"athena:named:{group.name}", default_size=50, max_size=50,
                              token_error="InvalidRequestException", size_error="InvalidRequestException")
    result: dict[str, Any] = {"NamedQueryIds": page}
    if token:
        result["NextToken"] = token
    return result


# -- query executions and workgroups ----------------------------------------------------

def list_query_executions(request: Request) -> dict[str, Any]:
    """The workgroup's executions (``primary`` when none is named), newest first, 50 a page at most."""
    backend = _backend(request)
    group = workgroup_of(backend, request.get("WorkGroup"))
    executions = [e for e in backend.executions.values()
                  if (e.workgroup.name if e.workgroup else "primary") == group.name]
    executions.sort(key=lambda e: getattr(e, "submitted", 0) or 0, reverse=True)
    page, token = paging.page([e.id for e in executions], request.get("NextToken"), request.get("MaxResults"),
                              listing=f"athena:executions:{group.name}", default_size=50, max_size=50,
                              token_error="InvalidRequestException", size_error="InvalidRequestException")
    result: dict[str, Any] = {"QueryExecutionIds": page}
    if token:
        result["NextToken"] = token
    return result


def delete_work_group(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    name = request.get("WorkGroup")
    group = workgroup_of(backend, name)
    if group.name == "primary":
        raise _invalid("primary workgroup could not be removed.")
    owned_queries = [k for k, n in backend.named_queries.items() if n.workgroup.name == group.name]
    owned_statements = [k for k in _keys(backend) if k[0] == group.name]
    if (owned_queries or owned_statements) and not request.get_bool("RecursiveDeleteOption", False):
        raise _invalid(f"WorkGroup {group.name} is not empty. Set RecursiveDeleteOption to delete it with its "
                       "named queries and prepared statements.")
    for key in owned_queries:
        backend.named_queries.pop(key, None)
    for key in owned_statements:
        backend.prepared_statements.pop(key, None)
    backend.work_groups.pop(group.name, None)
    return {}


def list_work_groups(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    groups = sorted(backend.work_groups.values(), key=lambda g: g.name)
    page, token = paging.page(groups, request.get("NextToken"), request.get("MaxResults"),
                              listing="athena:workgroups", default_size=50, max_size=50,
                              token_error="InvalidRequestException", size_error="InvalidRequestException")
    result: dict[str, Any] = {"WorkGroups": [
        {"Name": g.name, "State": g.state, "Description": g.description or "", "CreationTime": created(g),
         "EngineVersion": (g.configuration or {}).get("EngineVersion")
         or {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}}
        for g in page]}
    if token:
        result["NextToken"] = token
    return result


def get_data_catalog(request: Request) -> dict[str, Any]:
    name = request.get("Name")
    if (name or "").lower() == "awsdatacatalog":
        return {"DataCatalog": _aws_data_catalog(request)}
    catalog = _backend(request).get_data_catalog(name)
    if catalog is None:
        raise _invalid(f"Catalog {name} was not found")
    return {"DataCatalog": catalog}


def _aws_data_catalog(request: Request) -> dict[str, Any]:
    return {"Name": "AwsDataCatalog", "Type": "GLUE", "Parameters": {"catalog-id": request.account_id}}


def list_data_catalogs(request: Request) -> dict[str, Any]:
    summaries = [{"CatalogName": "AwsDataCatalog", "Type": "GLUE"}]
    summaries += [s for s in _backend(request).list_data_catalogs() if s["CatalogName"] != "AwsDataCatalog"]
    return {"DataCatalogsSummary": summaries}


def list_engine_versions(request: Request) -> dict[str, Any]:
    return {"EngineVersions": [{"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
                               {"SelectedEngineVersion": "Athena engine version 3",
                                "EffectiveEngineVersion": "Athena engine version 3"}]}


# the operations the provider answers with these handlers (native_api.answer_directly), by their API names
OPERATIONS = {
    "CreatePreparedStatement": create_prepared_statement, "GetPreparedStatement": get_prepared_statement,
    "UpdatePreparedStatement": update_prepared_statement, "DeletePreparedStatement": delete_prepared_statement,
    "ListPreparedStatements": list_prepared_statements, "BatchGetPreparedStatement": batch_get_prepared_statement,
    "GetNamedQuery": get_named_query, "UpdateNamedQuery": update_named_query,
    "DeleteNamedQuery": delete_named_query, "BatchGetNamedQuery": batch_get_named_query,
    "ListNamedQueries": list_named_queries, "ListQueryExecutions": list_query_executions,
    "DeleteWorkGroup": delete_work_group, "ListWorkGroups": list_work_groups,
    "GetDataCatalog": get_data_catalog, "ListDataCatalogs": list_data_catalogs,
    "ListEngineVersions": list_engine_versions,
}
