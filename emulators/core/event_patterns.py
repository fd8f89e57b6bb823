"""Event patterns as EventBridge rules and Lambda event filtering (FilterCriteria) use them: validation and
matching, as the EventBridge user guide's "Event patterns" and "Content filtering in Amazon EventBridge event
patterns" pages and the Lambda guide's "Control which events Lambda sends to your function" describe them.

Pure: plain values in, plain values out (no moto, no boto3).

- A pattern is a JSON object; each field holds a non-empty array of values (exact match of a string,
  number, ``true``/``false`` or ``null``) and content filters, or an object for a nested field.
- Content filters: ``prefix``, ``suffix`` (each also with ``{"equals-ignore-case": ...}``),
  ``equals-ignore-case``, ``anything-but`` (a value, a list of values, or ``prefix`` / ``suffix`` /
  ``equals-ignore-case`` / ``wildcard``), ``numeric`` (up to two comparisons), ``exists``, ``cidr``,
  ``wildcard``; ``$or`` takes a list of patterns.
- A field whose event value is an array matches when any of its elements matches; a field the event lacks
  matches only ``{"exists": false}``; the pattern's fields must all match.

:func:`parse` raises :class:`PatternError` with the reason AWS's ``InvalidEventPatternException`` gives.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

_MISSING = object()
_NUMERIC_OPERATORS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "=": lambda a, b: a == b,
                      ">=": lambda a, b: a >= b, ">": lambda a, b: a > b}
_FILTERS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard"}


class PatternError(ValueError):
    """The pattern is not one EventBridge accepts (the message is AWS's reason)."""


def parse(text: str | None) -> dict[str, Any]:
    """The pattern of ``text`` after AWS's checks; {} for no pattern."""
    if text is None or text == "":
        return {}
    try:
        pattern = json.loads(text)
    except (TypeError, ValueError):
        raise PatternError("Invalid JSON") from None
    if not isinstance(pattern, dict):
        raise PatternError("Filter is not an object")
    _check_object(pattern)
    return pattern


def _check_object(node: dict[str, Any]) -> None:
    for key, value in node.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) for v in value):
                raise PatternError("Value of $or must be an array of at least 2 objects")
            for sub in value:
                _check_object(sub)
        elif isinstance(value, dict):
            _check_object(value)
        elif isinstance(value, list):
            if not value:
                raise PatternError("Empty arrays are not allowed")
            for item in value:
                if isinstance(item, dict):
                    _check_filter(item)
                elif isinstance(item, list):
                    raise PatternError(f"Match value of '{key}' must be a string, number, boolean, null or object")
        else:
            raise PatternError(f"'{key}' must be an object or an array")


def _check_string_or_ignore_case(name: str, value: Any) -> None:
    if isinstance(value, dict) and set(value) == {"equals-ignore-case"} and isinstance(
            value["equals-ignore-case"], str):
        return
    if not isinstance(value, str):
        raise PatternError(f"{name} match pattern must be a string")


def _check_filter(item: dict[str, Any]) -> None:
    if len(item) != 1:
        raise PatternError("Each content filter object must hold exactly one match type")
    name, value = next(iter(item.items()))
    if name not in _FILTERS:
        raise PatternError(f"Unrecognized match type {name}")
    if name in ("prefix", "suffix"):
        _check_string_or_ignore_case(name, value)
    elif name in ("equals-ignore-case", "cidr", "wildcard"):
        if not isinstance(value, str):
            raise PatternError(f"{name} match pattern must be a string")
        if name == "cidr":
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise PatternError(f"Nonstandard IP address: {value}") from None
        if name == "wildcard" and "**" in value:
            raise PatternError("Consecutive wildcard characters at pos " + str(value.index("**") + 1))
    elif name == "exists":
        if not isinstance(value, bool):
            raise PatternError("exists match pattern must be either true or false.")
    elif name == "numeric":
        _check_numeric(value)
    elif name == "anything-but":
        if isinstance(value, dict):
            if len(value) != 1 or next(iter(value)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
                raise PatternError("Unsupported anything-but pattern: " + json.dumps(value))
            inner, inner_value = next(iter(value.items()))
            values = inner_value if isinstance(inner_value, list) and inner in (
                "equals-ignore-case", "wildcard") else [inner_value]
            if not all(isinstance(v, str) for v in values):
                raise PatternError(f"anything-but {inner} match pattern must be a string")
        elif isinstance(value, list):
            if not value or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
                raise PatternError("Inside anything but list, start|null|boolean is not supported.")
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise PatternError("Inside anything but list, start|null|boolean is not supported.")


def _check_numeric(value: Any) -> None:
    if not isinstance(value, list) or not value or len(value) % 2:
        raise PatternError("Value of numeric must be an array.")
    if len(value) > 4:
        raise PatternError("Too many terms in numeric range expression")
    for operator, number in zip(value[::2], value[1::2]):
        if operator not in _NUMERIC_OPERATORS:
            raise PatternError(f"Unrecognized numeric range operator: {operator}")
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            raise PatternError(f"Value of {operator} must be numeric")


# ------------------------------------------------------------------ matching
def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` (a dict) matches ``pattern`` (from :func:`parse`)."""
    return _match_object(pattern, event if isinstance(event, dict) else {})


def _match_object(pattern: dict[str, Any], node: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(_match_object(sub, node) for sub in expected):
                return False
            continue
        value = node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
        if isinstance(expected, dict):
            candidates = value if isinstance(value, list) else [value]
            if not any(isinstance(c, dict) and _match_object(expected, c) for c in candidates):
                # a nested pattern on a field the event lacks can still hold only exists:false filters
                if not (value is _MISSING and _match_object(expected, {})):
                    return False
        elif not _match_field(expected, value):
            return False
    return True


def _match_field(filters: list[Any], value: Any) -> bool:
    if value is _MISSING:
        return any(isinstance(f, dict) and f.get("exists") is False for f in filters)
    values = value if isinstance(value, list) else [value]
    for f in filters:
        if isinstance(f, dict):
            name, argument = next(iter(f.items()))
            if name == "exists":
                if argument:
                    return True
                continue
            if any(_match_filter(name, argument, v) for v in values):
                return True
        elif any(_equal(f, v) for v in values):
            return True
    return False


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None or value is None:
        return expected is value or (isinstance(expected, bool) and isinstance(value, bool) and expected == value)
    if isinstance(expected, (int, float)) and isinstance(value, (int, float)):
        return expected == value
    return type(expected) is type(value) and expected == value


def _string_filter(kind: str, argument: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict):
        text, value = argument["equals-ignore-case"].lower(), value.lower()
    else:
        text = argument
    return value.startswith(text) if kind == "prefix" else value.endswith(text)


def _match_filter(name: str, argument: Any, value: Any) -> bool:
    if name in ("prefix", "suffix"):
        return _string_filter(name, argument, value)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == argument.lower()
    if name == "wildcard":
        return wildcard_match(argument, value)
    if name == "cidr":
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in ipaddress.ip_network(argument, False)
        except ValueError:
            return False
    if name == "numeric":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        return all(_NUMERIC_OPERATORS[op](value, number) for op, number in zip(argument[::2], argument[1::2]))
    if name == "anything-but":
        return _anything_but(argument, value)
    return False


def _anything_but(argument: Any, value: Any) -> bool:
    if isinstance(argument, dict):
        inner, inner_value = next(iter(argument.items()))
        if not isinstance(value, str):
            return False
        options = inner_value if isinstance(inner_value, list) else [inner_value]
        if inner == "equals-ignore-case":
            return all(value.lower() != o.lower() for o in options)
        if inner == "wildcard":
            return not any(wildcard_match(o, value) for o in options)
        return not _string_filter(inner, inner_value, value)
    options = argument if isinstance(argument, list) else [argument]
    if value is None or isinstance(value, bool):
        return True
    return not any(_equal(o, value) for o in options)


def wildcard_match(pattern: str, value: Any) -> bool:
    """``*`` matches any run of characters; ``\\*`` and ``\\\\`` are a literal star and backslash."""
    if not isinstance(value, str):
        return False
    regex, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            regex.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        regex.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.fullmatch("".join(regex), value, re.DOTALL) is not None


# ------------------------------------------------------------------ TestEventPattern's event
EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def event_problem(text: str | None) -> str | None:
    """Why TestEventPattern's ``Event`` is not a valid event (None when it is): JSON with AWS's mandatory
    fields."""
    try:
        event = json.loads(text or "")
    except ValueError:
        return "Parameter Event is not valid."
    if not isinstance(event, dict):
        return "Parameter Event is not valid."
    missing = [f for f in EVENT_FIELDS if f not in event]
    if missing:
        return f"Parameter Event is not valid. Missing fields: {', '.join(missing)}"
    return None
