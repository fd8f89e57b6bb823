"""Request constraints SageMaker checks on the server side: patterns, enums, lengths, ranges.

botocore checks only required members, types, lengths and numeric minimums before
sending; AWS's service also rejects values that break a member's regular expression
or enum (a job name with ``_``, an instance type without ``ml.``, an S3 URI without
``s3://``) with a ``ValidationException`` such as::

    1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}

The constraints are read from botocore's own service model, so they are the ones the
API declares. A pattern Python's ``re`` cannot compile (Java's ``\\p{L}`` classes) is not
checked: the sandbox may accept a value AWS refuses there, never the other way round.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from emulators.core import service_models


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    return service_models.service_model("sagemaker")


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def _path_name(member: str) -> str:
    return member[:1].lower() + member[1:]


def _value_text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _check(shape: Any, value: Any, path: str, errors: list[str], depth: int = 0) -> None:
    if value is None or depth > 30:
        return
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(f"Value null at '{path + '.' if path else ''}{_path_name(name)}' failed to satisfy "
                              "constraint: Member must not be null")
        for name, member in shape.members.items():
            if name in value:
                _check(member, value[name], f"{path + '.' if path else ''}{_path_name(name)}", errors, depth + 1)
        return
    if kind == "list" and isinstance(value, list):
        _length(meta, len(value), value, path, errors)
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", errors, depth + 1)
        return
    if kind == "map" and isinstance(value, dict):
        _length(meta, len(value), value, path, errors)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", errors, depth + 1)
            _check(shape.value, item, f"{path}.{key}.value", errors, depth + 1)
        return
    if kind == "string" and isinstance(value, str):
        _length(meta, len(value), value, path, errors)
        enum = shape.enum
        if enum and value not in enum:
            errors.append(f"Value '{_value_text(value)}' at '{path}' failed to satisfy constraint: Member must "
                          f"satisfy enum value set: [{', '.join(enum)}]")
        pattern = meta.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            errors.append(f"Value '{_value_text(value)}' at '{path}' failed to satisfy constraint: Member must "
                          f"satisfy regular expression pattern: {pattern}")
        return
    if kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        if "min" in meta and value < meta["min"]:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value "
                          f"greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value "
                          f"less than or equal to {meta['max']}")


def _length(meta: dict[str, Any], length: int, value: Any, path: str, errors: list[str]) -> None:
    if "min" in meta and length < meta["min"]:
        errors.append(f"Value '{_value_text(value)}' at '{path}' failed to satisfy constraint: Member must have "
                      f"length greater than or equal to {meta['min']}")
    if "max" in meta and length > meta["max"]:
        errors.append(f"Value '{_value_text(value)}' at '{path}' failed to satisfy constraint: Member must have "
                      f"length less than or equal to {meta['max']}")


def request_errors(operation: str, params: dict[str, Any]) -> list[str]:
    """The constraint violations of an operation's request (members by their API names)."""
    shape = _service_model().operation_model(operation).input_shape
    errors: list[str] = []
    _check(shape, params, "", errors)
    return errors


def from_kwargs(operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A request rebuilt from a moto backend call's snake_case arguments."""
    from botocore import xform_name

    shape = _service_model().operation_model(operation).input_shape
    return {name: kwargs[xform_name(name)] for name in shape.members if kwargs.get(xform_name(name)) is not None}


def message(errors: list[str]) -> str:
    count = len(errors)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors)
