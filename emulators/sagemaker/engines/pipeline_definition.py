"""Pipeline definitions as documents: parsing, parameters, property paths and the request shapes of steps.

Plain functions over the JSON a ``Pipeline.definition()`` writes: the execution's
parameter values (typed as declared), ``Get`` references inside step arguments,
property paths through a Describe* response (``Outputs['train'].S3Output.S3Uri``),
comparisons as conditions make them, and step arguments coerced to the shapes of
the API operation they become (botocore's model). No moto, no server.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from emulators.core import service_models


def pipeline_name(name_or_arn: str | None) -> str:
    name = name_or_arn or ""
    if name.startswith("arn:") and ":pipeline/" in name:
        return name.split(":pipeline/", 1)[1].split("/", 1)[0]
    return name


def execution_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def parse_definition(text: str | None) -> dict[str, Any]:
    try:
        definition = json.loads(text or "")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the pipeline definition is not valid JSON: {exc}") from None
    if not isinstance(definition, dict):
        raise ValueError("the pipeline definition must be a JSON object")
    return definition


def _typed(kind: str | None, value: Any, name: str) -> Any:
    """A parameter value as its declared type (PipelineParameters arrive as strings)."""
    kind = kind or "String"
    try:
        if kind == "Integer":
            return int(float(value)) if isinstance(value, str) and "." in value else int(value)
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            if isinstance(value, str):
                if value.lower() not in ("true", "false"):
                    raise ValueError(value)
                return value.lower() == "true"
            return bool(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name} ({kind}) cannot be {value!r}") from None
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def resolve_parameters(definition: dict[str, Any], given: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The execution's parameter values. Raises ``ValueError`` as AWS's ValidationException."""
    declared = {p.get("Name"): p for p in definition.get("Parameters") or [] if isinstance(p, dict)}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if "DefaultValue" in spec:
            values[name] = _typed(spec.get("Type"), spec["DefaultValue"], name)
    for item in given or []:
        name = item.get("Name")
        if name not in declared:
            raise ValueError(f"Parameter {name!r} is not defined in the pipeline definition "
                             f"(defined: {', '.join(sorted(map(str, declared))) or 'none'})")
        values[name] = _typed(declared[name].get("Type"), item.get("Value"), name)
    missing = [name for name in declared if name not in values]
    if missing:
        raise ValueError(f"Parameter(s) {', '.join(missing)} have no DefaultValue and were not given in "
                         "PipelineParameters")
    return values


_TOKEN = re.compile(r"\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]|([^.\[\]]+)")


def walk(document: Any, path: str) -> Any:
    """Follow a property path (``A.B['name'].C[0]``) through a Describe* response or a JSON document."""
    value = document
    for match in _TOKEN.finditer(path):
        index, quoted1, quoted2, attribute = match.groups()
        if index is not None:
            value = value[int(index)]
            continue
        key = quoted1 if quoted1 is not None else quoted2 if quoted2 is not None else attribute
        if isinstance(value, list):  # Outputs['train'], FinalMetricDataList['loss']: by the item's *Name
            found = [item for item in value if isinstance(item, dict)
                     and any(k.endswith("Name") and v == key for k, v in item.items())]
            if not found:
                raise KeyError(key)
            value = found[0]
        else:
            value = value[key]
    return value


def references(value: Any) -> list[str]:
    if isinstance(value, list):
        return [p for v in value for p in references(v)]
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            return [value["Get"]]
        return [p for v in value.values() for p in references(v)]
    return []


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def compare(left: Any, right: Any) -> int:
    a, b = number(left), number(right)
    if a is None or b is None:
        a, b = text(left), text(right)  # type: ignore[assignment]
    return (a > b) - (a < b)  # type: ignore[operator]


def plain(document: Any) -> Any:
    return json.loads(json.dumps(document, default=str))


def coerce_to_request(operation: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Scalars as the API's members want them (an Integer parameter in a string member is its text)."""
    global _MODEL
    if _MODEL is None:
        _MODEL = service_models.service_model("sagemaker")
    return _coerce(arguments, _MODEL.operation_model(operation).input_shape)


_MODEL: Any = None


def _coerce(value: Any, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _coerce(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_coerce(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _coerce(v, shape.value) for k, v in value.items()}
    if kind == "string" and not isinstance(value, (str, dict, list)) and value is not None:
        return text(value)
    if kind in ("integer", "long") and isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return value
    if kind in ("float", "double") and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value
