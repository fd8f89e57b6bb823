"""The request checks DynamoDB makes on expressions and attribute values before it runs a call.

moto answered 500 for an ``:value`` or ``#name`` placeholder missing from ExpressionAttributeValues/Names,
and accepted unused ExpressionAttributeValues and empty sets, which AWS refuses: code that ran in the
sandbox then failed on AWS. Plain functions over the request's parameters (no moto).
"""

from __future__ import annotations

import re
from typing import Any

from emulators.core.errors import InvalidInput

EXPRESSIONS = ("KeyConditionExpression", "FilterExpression", "ConditionExpression", "UpdateExpression",
               "ProjectionExpression")
VALUE = re.compile(r":[A-Za-z0-9_]+")
NAME = re.compile(r"#[A-Za-z0-9_]+")
SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}


def _empty_sets(value: Any) -> None:
    if isinstance(value, dict):
        for kind, inner in value.items():
            if kind in SET_NAMES and isinstance(inner, list) and not inner:
                raise InvalidInput(f"One or more parameter values were invalid: An {SET_NAMES[kind]} set  may not "
                                   "be empty")
            if kind == "M" and isinstance(inner, dict):
                for member in inner.values():
                    _empty_sets(member)
            elif kind == "L" and isinstance(inner, list):
                for member in inner:
                    _empty_sets(member)


def check_expressions(params: dict[str, Any]) -> None:
    """One request (or one item of a transaction): placeholders defined and used, no empty sets."""
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    used_names: set[str] = set()
    used_values: set[str] = set()
    for member in EXPRESSIONS:
        expression = params.get(member)
        if not isinstance(expression, str):
            continue
        kind = member[:-len("Expression")]
        for value in VALUE.findall(expression):
            if value not in values:
                raise InvalidInput(f"Invalid {kind}Expression: An expression attribute value used in expression is "
                                   f"not defined; attribute value: {value}")
            used_values.add(value)
        for name in NAME.findall(expression):
            if name not in names:
                raise InvalidInput(f"Invalid {kind}Expression: An expression attribute name used in the document "
                                   f"path is not defined; attribute name: {name}")
            used_names.add(name)
    unused_values = sorted(set(values) - used_values)
    if unused_values:
        raise InvalidInput("Value provided in ExpressionAttributeValues unused in expressions: keys: "
                           f"{{{', '.join(unused_values)}}}")
    unused_names = sorted(set(names) - used_names)
    if unused_names:
        raise InvalidInput("Value provided in ExpressionAttributeNames unused in expressions: keys: "
                           f"{{{', '.join(unused_names)}}}")
    for value in values.values():
        _empty_sets(value)
    for value in (params.get("Item") or {}).values():
        _empty_sets(value)


def check_request(operation: str, params: dict[str, Any]) -> None:
    if operation == "transact_write_items":
        for item in params.get("TransactItems") or []:
            for action in (item or {}).values():
                if isinstance(action, dict):
                    check_expressions(action)
    elif operation == "transact_get_items":
        for item in params.get("TransactItems") or []:
            check_expressions((item or {}).get("Get") or {})
    elif operation == "batch_write_item":
        for requests in (params.get("RequestItems") or {}).values():
            for request in requests or []:
                check_expressions((request or {}).get("PutRequest") or {})
    else:
        check_expressions(params)


OPERATIONS = ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items",
              "transact_get_items", "batch_write_item")
