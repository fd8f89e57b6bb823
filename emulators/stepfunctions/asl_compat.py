"""Definitions AWS accepts that moto's ASL grammar refused, rewritten before the interpreter parses them.

This module is coupled to moto's Step Functions parser (through ``moto_coupling``); a moto upgrade checks it.

- A Distributed Map's ``ProcessorConfig.ExecutionType: EXPRESS`` (the grammar knew only STANDARD): its child
  workflows run as Standard ones, as every Express workflow does in the sandbox.
- ``ToleratedFailurePercentage`` written as a whole number (``50``; the grammar wanted ``50.0``). The
  interpreter accepts it but does not apply it: any failed item fails the Map (the fidelity declaration
  says so).

- ``null`` as an intrinsic function argument (``States.Array('Foo', 2020, $.someJson, null)`` in the
  developer guide; the grammar had no null literal and dropped it): it is passed on as a marker literal that
  evaluates to null; an escaped quote inside a string argument (``'It\\'s {}'``) no longer ends the string.

DescribeStateMachine keeps the definition as it was sent; only the interpreter sees the rewrite.

- ``States.Format`` with escaped braces or backslashes in its template (the developer guide's "Intrinsic
  functions": ``\\{`` and ``\\}`` in the JSON definition are literal braces) failed with a Python KeyError:
  moto's interpreter handed the template to Python's ``str.format``. Each ``{}`` now takes the next
  argument and escaped characters are kept literally; too few arguments fail the state with
  ``States.Runtime`` saying so.
- A Distributed Map whose items failed succeeded anyway (moto's map run counted the failures and returned
  ``null`` for them). As the developer guide's "Setting failure thresholds for Distributed Map states" says,
  the Map now fails with ``States.ExceedToleratedFailureThreshold`` when the failed items exceed
  ``ToleratedFailureCount`` or ``ToleratedFailurePercentage`` (by default, any failed item).
"""

from __future__ import annotations

import json
import re
from typing import Any

from emulators.core import moto_coupling
from emulators.core.json_tree import json_objects


NULL_MARKER = "__sandbox_intrinsic_null__"
QUOTE_MARKER = "\ue000"  # a private-use character standing for an escaped quote until the literal is read
_NULL_WORD = re.compile(r"(?<![A-Za-z0-9_$.])null(?![A-Za-z0-9_])")


def intrinsic_nulls(expression: str) -> str:
    """``expression`` with each ``null`` outside quoted strings replaced by the null marker literal, and each
    escaped quote (``\\'``) inside one by :data:`QUOTE_MARKER` (the grammar ended the string there)."""
    out: list[str] = []
    outside: list[str] = []
    quoted, i = False, 0
    while i < len(expression):
        char = expression[i]
        if quoted:
            if char == "\\" and i + 1 < len(expression):
                out.append(QUOTE_MARKER if expression[i + 1] == "'" else expression[i:i + 2])
                i += 2
                continue
            out.append(char)
            if char == "'":
                quoted = False
        elif char == "'":
            out.append(_NULL_WORD.sub(f"'{NULL_MARKER}'", "".join(outside)) + char)
            outside, quoted = [], True
        else:
            outside.append(char)
        i += 1
    return "".join(out) + _NULL_WORD.sub(f"'{NULL_MARKER}'", "".join(outside))


def rewrite(definition: str) -> str:
    """The definition with the spellings above changed; the same text when there is nothing to change."""
    try:
        document = json.loads(definition)
    except (TypeError, ValueError):
        return definition
    changed = False
    for node in json_objects(document):
        config = node.get("ProcessorConfig")
        if isinstance(config, dict) and config.get("ExecutionType") == "EXPRESS":
            config["ExecutionType"] = "STANDARD"
            changed = True
        for key, value in list(node.items()):
            if key.endswith(".$") and isinstance(value, str) and value.lstrip().startswith("States.") \
                    and ("null" in value or "\\'" in value):
                replaced = intrinsic_nulls(value)
                if replaced != value:
                    node[key] = replaced
                    changed = True
        percentage = node.get("ToleratedFailurePercentage")
        if isinstance(percentage, int) and not isinstance(percentage, bool):
            node["ToleratedFailurePercentage"] = float(percentage)
            changed = True
    return json.dumps(document, ensure_ascii=False) if changed else definition


def format_template(template: str, values: list[str]) -> str:
    """``States.Format``: each ``{}`` takes the next value; ``\\{``, ``\\}``, ``\\'`` and ``\\\\`` are literal
    characters. The template is the definition's JSON text as the interpreter keeps it (its ``\\\\`` is one
    backslash of the intrinsic string)."""
    text = template.replace("\\\\", "\\")
    out: list[str] = []
    pending = iter(values)
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text.startswith("{}", i):
            try:
                out.append(next(pending))
            except StopIteration:
                raise ValueError("States.Format has more {} placeholders than arguments") from None
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _format_without_python_format() -> None:
    module = moto_coupling.stepfunctions_parser_module(
        "asl.component.intrinsic.function.statesfunction.generic.string_format")
    cls = module.StringFormat
    if getattr(cls, "_sandbox_format", False):
        return

    def eval_body(self: Any, env: Any) -> None:
        self.argument_list.eval(env=env)
        args = env.stack.pop()
        env.stack.append(format_template(str(args[0]), [cls._to_str_repr(v) for v in args[1:]]))

    cls._eval_body = eval_body
    cls._sandbox_format = True


def exceeds_threshold(failed: int, total: int, count: int, percentage: float) -> bool:
    """Whether ``failed`` of ``total`` items fail the map run (a threshold of 0 is one that was not set)."""
    if failed <= 0:
        return False
    share = 100.0 * failed / max(total, 1)
    if not count and not percentage:
        return True
    return bool((count and failed > count) or (percentage and share > percentage))


def states_failure(env: Any, error: str, event: str, cause: str | None = None) -> Any:
    """The interpreter's ``FailureEvent`` for one of its own ``States.*`` errors: ``error`` names the member of
    its ``StatesErrorNameType`` (``"StatesNoChoiceMatched"``), ``event`` the history event it ends in
    (``"ExecutionFailed"``, ``"TaskFailed"``, ``"TaskTimedOut"``)."""
    module = moto_coupling.stepfunctions_parser_module
    kind = getattr(module("asl.component.common.error_name.states_error_name_type").StatesErrorNameType, error)
    api = module("api")
    fields = {"error": kind.to_name(), **({"cause": cause} if cause is not None else {})}
    details = getattr(api, f"{event}EventDetails")(**fields)
    return module("asl.component.common.error_name.failure_event").FailureEvent(
        env=env, error_name=module("asl.component.common.error_name.states_error_name").StatesErrorName(typ=kind),
        event_type=getattr(api.HistoryEventType, event),
        event_details=module("asl.eval.event.event_detail").EventDetails(
            **{f"{event[0].lower()}{event[1:]}EventDetails": details}))


def _fail_map_runs_over_threshold() -> None:
    module = moto_coupling.stepfunctions_parser_module(
        "asl.component.state.exec.state_map.iteration.distributed_iteration_component")
    cls = module.DistributedIterationComponent
    if getattr(cls, "_sandbox_threshold", False):
        return
    original = cls._map_run
    failure = moto_coupling.stepfunctions_parser_module("asl.component.common.error_name.failure_event")

    def map_run(self: Any, env: Any, eval_input: Any) -> None:
        original(self, env, eval_input)
        items = eval_input.map_run_record.item_counter
        failed = items.failed.get() + items.timed_out.get()
        total = items.total.get()
        count = int(getattr(eval_input, "tolerated_failure_count", 0) or 0)
        percentage = float(getattr(eval_input, "tolerated_failure_percentage", 0) or 0)
        if exceeds_threshold(failed, total, count, percentage):
            env.stack.pop()
            raise failure.FailureEventException(failure_event=states_failure(
                env, "StatesExceedToleratedFailureThreshold", "ExecutionFailed",
                f"The specified tolerated failure threshold was exceeded: {failed} of {total} items failed"))

    cls._map_run = map_run
    cls._sandbox_threshold = True


def _null_marker_is_null() -> None:
    module = moto_coupling.stepfunctions_parser_module("asl.component.intrinsic.argument.argument")
    cls = module.ArgumentLiteral
    if getattr(cls, "_sandbox_null", False):
        return
    original = cls._eval_argument

    def eval_argument(self: Any, env: Any) -> Any:
        value = original(self, env)
        if value == NULL_MARKER:
            return None
        return value.replace(QUOTE_MARKER, "'") if isinstance(value, str) else value

    cls._eval_argument = eval_argument
    cls._sandbox_null = True


def install() -> None:
    _null_marker_is_null()
    _fail_map_runs_over_threshold()
    _format_without_python_format()
    module = moto_coupling.stepfunctions_parser_module("asl.parse.asl_parser")
    cls = module.AmazonStateLanguageParser
    if getattr(cls, "_sandbox_rewrite", False):
        return
    original = cls.parse

    def parse(definition: str) -> Any:
        return original(rewrite(definition))

    cls.parse = staticmethod(parse)
    cls._sandbox_rewrite = True
