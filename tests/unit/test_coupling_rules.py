"""Rules import-linter cannot check: how code outside ``emulators/core/moto_coupling/`` may use moto.

Handlers receive the request as plain values (``moto_coupling.Request``: ``params``, ``get``,
``get_int``, ``get_bool``, ``account_id``, ``region``), so no module outside the coupling package
calls moto's request-parsing methods on a response object (``_get_param``, ``_get_int_param``, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COUPLING = ROOT / "emulators" / "core" / "moto_coupling"
PACKAGES = ("emulators", "sandbox", "awsglue")

# moto's BaseResponse methods that read request parameters
MOTO_PARAM_METHODS = {
    "_get_param", "_get_int_param", "_get_bool_param", "_get_float_param", "_get_multi_param",
    "_get_multi_param_dict", "_get_multi_param_helper", "_get_params", "_get_list_prefix", "_get_map_prefix",
    "_get_object_map", "_get_dict_param",
}


def _sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
                  if COUPLING not in path.parents)


def moto_param_calls(source: str, name: str = "<source>") -> list[str]:
    """``file:line: obj._get_param(...)`` for every call of one of moto's parameter methods in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in MOTO_PARAM_METHODS:
            found.append(f"{name}:{node.lineno}: {ast.unparse(node.func)}(...)")
    return found


def test_the_rule_finds_what_it_looks_for() -> None:
    sample = 'def handler(response):\n    return response._get_int_param("MaxResults"), x.get("Y")\n'
    assert moto_param_calls(sample) == ["<source>:2: response._get_int_param(...)"]


def test_only_the_coupling_calls_motos_parameter_methods() -> None:
    sources = _sources()
    assert len(sources) > 100  # the walk found the code
    calls = [call for path in sources
             for call in moto_param_calls(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not calls, ("request parameters reach handlers as plain values (moto_coupling.Request: "
                       "request.get/get_int/get_bool); these calls reach into moto's response object:\n"
                       + "\n".join(calls))
