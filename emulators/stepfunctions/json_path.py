"""Reference paths as Step Functions reads them: a definite path gives its value, any other a list.

The Amazon States Language's "Reference Paths" are paths that select one node (``$.a.b``, ``$.a[0].b``,
``$['a-b']``); a JsonPath with a wildcard, slice, union, filter or ``..`` selects any number of nodes and
Step Functions hands over the list of them (``$.a[*].b`` with one element is still ``["x"]``).

moto's interpreter decided by the shape of the match instead and wrapped the value of ``$.a[0].b`` in a
list (``["x"]`` where AWS gives ``"x"``), so ``OutputPath: $.JobRuns[0].JobRunState``, a Choice rule on
``$.ResultSet.Rows[1].Data[0].VarCharValue`` or a Parameters field ``$.Payload.items[0].id`` saw a list.
:func:`extract_json` replaces the interpreter's (``executions.install`` wires it in).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=512)
def _parsed(path: str) -> tuple[Any, bool]:
    from jsonpath_ng.ext import parse

    expression = parse(path)
    return expression, _definite(expression)


def _definite(node: Any) -> bool:
    """Whether a parsed JsonPath selects at most one node: root, single field names and single indexes only."""
    from jsonpath_ng import jsonpath

    if isinstance(node, (jsonpath.Root, jsonpath.This)):
        return True
    if isinstance(node, jsonpath.Child):
        return _definite(node.left) and _definite(node.right)
    if isinstance(node, jsonpath.Fields):
        return len(node.fields) == 1 and node.fields[0] != "*"
    if isinstance(node, jsonpath.Index):
        return len(getattr(node, "indices", (getattr(node, "index", None),))) == 1
    return False


def is_definite(path: str) -> bool:
    return _parsed(path)[1]


def extract_json(path: str, data: Any, missing: Any) -> Any:
    """The value ``path`` selects in ``data``: the node of a definite path (``missing(path, data)`` is raised
    when there is none), the list of matched nodes of any other (empty when nothing matches)."""
    expression, definite = _parsed(path)
    matches = expression.find(data)
    if definite:
        if not matches:
            raise missing(json_path=path, data=data)
        return matches[0].value
    return [match.value for match in matches]


_READERS = ("asl.utils.json_path", "asl.eval.states", "asl.component.common.string.string_expression",
            "asl.component.intrinsic.argument.argument",
            "asl.component.state.choice.comparison.operator.implementations.timestamp_operators",
            "asl.component.state.choice.comparison.operator.implementations.boolean_equals",
            "asl.component.state.choice.comparison.operator.implementations.numeric",
            "asl.component.state.choice.comparison.operator.implementations.string_operators")


def install() -> None:
    """Give every module of moto's interpreter that reads reference paths :func:`extract_json`."""
    from emulators.core import moto_coupling

    missing = moto_coupling.stepfunctions_parser_module("asl.utils.json_path").NoSuchJsonPathError

    def extract(path: str, data: Any) -> Any:
        return extract_json(path, data, missing)

    for name in _READERS:
        module = moto_coupling.stepfunctions_parser_module(name)
        if not getattr(module, "_sandbox_reference_paths", False):
            module.extract_json = extract
            module._sandbox_reference_paths = True
