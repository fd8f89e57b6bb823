"""Running parsed PartiQL statements (:mod:`emulators.dynamodb.partiql`) against the DynamoDB backend:
ExecuteStatement, BatchExecuteStatement and ExecuteTransaction with AWS's responses and errors."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from emulators.core.errors import InvalidInput, NotFound, ServiceError
from emulators.core.moto_coupling import JsonRESTError
from emulators.dynamodb.partiql import _Context, _get, _set, parse, sort_key


class _Failed(ServiceError):
    """A statement's own failure (ConditionalCheckFailed, DuplicateItem) with the batch/transaction code."""

    def __init__(self, code: str, message: str, short: str) -> None:
        super().__init__(message, code=code)
        self.short = short


def _condition_failed() -> _Failed:
    return _Failed("ConditionalCheckFailedException", "The conditional request failed", "ConditionalCheckFailed")


def _duplicate() -> _Failed:
    return _Failed("DuplicateItemException", "Duplicate primary key exists in table", "DuplicateItem")


class TransactionCanceled(JsonRESTError):  # type: ignore[misc, valid-type]
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        codes = ", ".join(r["Code"] for r in reasons)
        message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
        super().__init__("TransactionCanceledException", message)
        self.description = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                                       "CancellationReasons": reasons, "Message": message})


def _table(backend: Any, name: str) -> Any:
    table = backend.tables.get(name)
    if table is None:
        raise NotFound("Requested resource not found")
    return table


def _key_names(table: Any) -> list[str]:
    return [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])


def _pinned_key(table: Any, where: Any, context: _Context) -> dict[str, Any] | None:
    """The primary key a WHERE clause fixes with equalities joined by AND, or None."""
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if node[0] == "and":
            walk(node[1])
            walk(node[2])
        elif node[0] == "cmp" and node[1] == "=":
            for a, b in ((node[2], node[3]), (node[3], node[2])):
                if a[0] == "path" and len(a[1]) == 1 and b[0] != "path":
                    found.setdefault(a[1][0], context.value(b, None))

    if where is not None:
        walk(where)
    names = _key_names(table)
    if not all(n in found for n in names):
        return None
    return {n: found[n] for n in names}


def _check_parameters(parsed: dict[str, Any], parameters: list[Any]) -> None:
    if parsed["count"] != len(parameters):
        raise InvalidInput("Number of parameters in request and statement don't match.")


def _items(backend: Any, parsed: dict[str, Any]) -> list[dict[str, Any]]:
    table = _table(backend, parsed["table"])
    items = [item.to_json()["Attributes"] for item in table.all_items()]
    if parsed["index"] is None:
        return items
    index = next((i for i in (table.global_indexes or []) + (table.indexes or []) if i.name == parsed["index"]), None)
    if index is None:
        raise InvalidInput("The table does not have the specified index")
    keys = [k["AttributeName"] for k in index.schema]
    items = [i for i in items if all(k in i for k in keys)]
    projection = index.projection or {}
    if projection.get("ProjectionType") in ("KEYS_ONLY", "INCLUDE"):
        kept = set(keys) | set(_key_names(table)) | set(projection.get("NonKeyAttributes") or [])
        items = [{k: v for k, v in i.items() if k in kept} for i in items]
    return items


def _select(backend: Any, parsed: dict[str, Any], context: _Context, limit: int | None,
            token: str | None) -> dict[str, Any]:
    items = _items(backend, parsed)
    for path, descending in reversed(parsed.get("order") or []):
        items.sort(key=lambda item, _path=path: sort_key(_get(item, _path)), reverse=descending)
    start = 0
    if token:
        try:
            start = int(json.loads(base64.b64decode(token))["o"])
        except Exception:
            raise InvalidInput("Invalid NextToken") from None
    result: list[dict[str, Any]] = []
    end = len(items) if limit is None else min(len(items), start + limit)
    for item in items[start:end]:
        if parsed["where"] is None or context.test(parsed["where"], item):
            if parsed["projection"] is not None:
                projected: dict[str, Any] = {}
                for path in parsed["projection"]:
                    value = _get(item, path)
                    if value is not None:
                        projected[str(path[0])] = value if len(path) == 1 else _get(item, path[:1])
                item = projected
            result.append(item)
    answer: dict[str, Any] = {"Items": result}
    if end < len(items):
        answer["NextToken"] = base64.b64encode(json.dumps({"o": end}).encode()).decode()
    return answer


def _plan_write(backend: Any, parsed: dict[str, Any], context: _Context) -> tuple[Any, Any, Any]:
    """(table, old item, new item or None to delete) for a write statement, checking AWS's rules."""
    table = _table(backend, parsed["table"])
    if parsed["kind"] == "insert":
        document = context.value(parsed["document"], None)
        if not isinstance(document, dict) or "M" not in document:
            raise InvalidInput("INSERT needs a document (a map) as VALUE")
        new = document["M"]
        missing = [n for n in _key_names(table) if n not in new]
        if missing:
            raise InvalidInput(f"One or more parameter values were invalid: Missing the key {missing[0]} in the item")
        key = {n: new[n] for n in _key_names(table)}
        if backend.get_item(table.name, key) is not None:
            raise _duplicate()
        return table, None, new
    key = _pinned_key(table, parsed["where"], context)
    if key is None:
        raise InvalidInput("Where clause does not contain a mandatory equality on all key attributes")
    current = backend.get_item(table.name, key)
    old = current.to_json()["Attributes"] if current is not None else None
    if old is None or not context.test(parsed["where"], old):
        raise _condition_failed()
    if parsed["kind"] == "delete":
        return table, old, None
    new = copy.deepcopy(old)
    for action, path, expression in parsed["actions"]:
        if path[0] in _key_names(table) and len(path) == 1:
            raise InvalidInput(f"Cannot update attribute {path[0]}. This attribute is part of the key")
        _set(new, path, None if action == "remove" else context.value(expression, old))
    return table, old, new


def _apply(backend: Any, table: Any, old: Any, new: Any) -> None:
    if new is None:
        backend.delete_item(table.name, {n: old[n] for n in _key_names(table)})
    elif old != new:
        backend.put_item(table.name, new)


def _returned(parsed: dict[str, Any], old: Any, new: Any) -> list[dict[str, Any]]:
    returning = parsed.get("returning")
    if not returning:
        return []
    image = old if returning.endswith("OLD") else new
    if image is None:
        return []
    if returning.startswith("MODIFIED"):
        changed = {k for k in set(old or {}) | set(new or {}) if (old or {}).get(k) != (new or {}).get(k)}
        image = {k: v for k, v in image.items() if k in changed}
    return [image]


def execute_statement(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    parsed = parse(params.get("Statement"))
    parameters = list(params.get("Parameters") or [])
    _check_parameters(parsed, parameters)
    context = _Context(parameters)
    if parsed["kind"] == "select":
        limit = params.get("Limit")
        return _select(backend, parsed, context, int(limit) if limit else None, params.get("NextToken"))
    if parsed["kind"] == "insert" and parsed.get("returning"):
        raise InvalidInput("RETURNING is not allowed with INSERT")
    table, old, new = _plan_write(backend, parsed, context)
    _apply(backend, table, old, new)
    return {"Items": _returned(parsed, old, new)}


def batch_execute_statement(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    statements = list(params.get("Statements") or [])
    if not 1 <= len(statements) <= 25:
        raise InvalidInput("1 validation error detected: Value at 'statements' failed to satisfy constraint: Member "
                           "must have length less than or equal to 25")
    parsed_all = [parse(s.get("Statement")) for s in statements]
    reads = {p["kind"] == "select" for p in parsed_all}
    if len(reads) > 1:
        raise InvalidInput("Batch must consist of either all read operations or all write operations")
    responses: list[dict[str, Any]] = []
    for statement, parsed in zip(statements, parsed_all):
        response: dict[str, Any] = {"TableName": parsed["table"]}
        try:
            parameters = list(statement.get("Parameters") or [])
            _check_parameters(parsed, parameters)
            context = _Context(parameters)
            table = _table(backend, parsed["table"])
            if parsed["kind"] == "select":
                key = _pinned_key(table, parsed["where"], context)
                if key is None or parsed["index"]:
                    raise _Failed("ValidationException", "Select statements within BatchExecuteStatement must "
                                  "specify the primary key in the where clause.", "ValidationError")
                found = _select(backend, parsed, context, None, None)["Items"]
                if found:
                    response["Item"] = found[0]
            else:
                table, old, new = _plan_write(backend, parsed, context)
                _apply(backend, table, old, new)
        except _Failed as exc:
            response = {"TableName": parsed["table"], "Error": {"Code": exc.short, "Message": str(getattr(exc, "message", exc))}}
        except NotFound as exc:
            response = {"Error": {"Code": "ResourceNotFound", "Message": str(getattr(exc, "message", exc))}}
        except (InvalidInput, JsonRESTError) as exc:
            response = {"TableName": parsed["table"],
                        "Error": {"Code": "ValidationError", "Message": getattr(exc, "message", str(exc))}}
        responses.append(response)
    return {"Responses": responses}


def execute_transaction(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    statements = list(params.get("TransactStatements") or [])
    if not 1 <= len(statements) <= 100:
        raise InvalidInput("1 validation error detected: Value at 'transactStatements' failed to satisfy "
                           "constraint: Member must have length less than or equal to 100")
    parsed_all = [parse(s.get("Statement")) for s in statements]
    if len({p["kind"] == "select" for p in parsed_all}) > 1:
        raise InvalidInput("Transaction must consist of either all read statements or all write statements")
    reasons: list[dict[str, Any]] = []
    plans: list[Any] = []
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    for statement, parsed in zip(statements, parsed_all):
        parameters = list(statement.get("Parameters") or [])
        _check_parameters(parsed, parameters)
        context = _Context(parameters)
        if parsed["kind"] == "select":
            table = _table(backend, parsed["table"])
            if _pinned_key(table, parsed["where"], context) is None:
                raise InvalidInput("Select statements within ExecuteTransaction must specify the primary key in "
                                   "the where clause.")
            found = _select(backend, parsed, context, None, None)["Items"]
            results.append({"Item": found[0]} if found else {})
            continue
        try:
            table, old, new = _plan_write(backend, parsed, context)
        except _Failed as exc:
            reasons.append({"Code": exc.short, "Message": str(getattr(exc, "message", exc))})
            plans.append(None)
            continue
        key = json.dumps([table.name, {n: (new or old)[n] for n in _key_names(table)}], sort_keys=True)
        if key in seen:
            raise InvalidInput("Transaction request cannot include multiple operations on one item")
        seen.add(key)
        reasons.append({"Code": "None"})
        plans.append((table, old, new))
    if any(r["Code"] != "None" for r in reasons):
        raise TransactionCanceled(reasons)
    for plan in plans:
        _apply(backend, *plan)
    return {"Responses": results} if results else {}
