"""DQDL (Glue Data Quality Definition Language): the parser and the rule evaluator, on DuckDB.

``parse_ruleset(text)`` reads ``Rules = [ ... ]`` into :class:`Rule` objects (a
syntax error or an unknown rule type is :class:`DqdlError`, which the API turns
into ``InvalidInputException`` as CreateDataQualityRuleset does on AWS).
:func:`emulators.glue.dqdl_eval.evaluate` runs them over Arrow tables (the
primary data source is the view ``primary``; additional data sources keep their
alias, e.g. ``reference``) and answers AWS's rule results: ``Name`` (``Rule_1``
...), ``Description`` (the rule as written), ``Result`` (PASS / FAIL / ERROR),
``EvaluationMessage`` when it did not pass, and ``EvaluatedMetrics`` named as
Glue names them (``Dataset.*.RowCount``, ``Column.<col>.Completeness``...).

Operators follow the DQDL reference: ``between a and b`` excludes both ends,
``in [...]`` accepts ``NULL``, ``EMPTY`` and ``WHITESPACES_ONLY``, ``matches``
is a whole-value regular expression, ``with threshold`` compares the share of
rows that pass, ``where "..."`` filters rows first. Rule types the sandbox does
not evaluate (dynamic rules with ``last(n)``, DataFreshness, DatasetMatch,
AggregateMatch, SchemaMatch, DetectAnomalies) parse, and answer ERROR saying so.
This module takes Arrow tables and plain values; it never touches moto or boto3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

EVALUATED = {"RowCount", "ColumnCount", "IsComplete", "Completeness", "IsUnique", "Uniqueness", "IsPrimaryKey",
             "DistinctValuesCount", "UniqueValueRatio", "Entropy", "Mean", "StandardDeviation", "Sum",
             "ColumnLength", "ColumnValues", "ColumnExists", "ColumnCorrelation", "CustomSql", "ColumnDataType",
             "ReferentialIntegrity", "RowCountMatch", "ColumnNamesMatchPattern"}
NOT_EVALUATED = {"DataFreshness", "DatasetMatch", "AggregateMatch", "SchemaMatch", "DetectAnomalies", "FileFreshness",
                 "FileMatch", "FileUniqueness", "FileSize"}
# how many quoted parameters each rule type takes before its condition
PARAMETER_COUNT = {"RowCount": 0, "ColumnCount": 0, "CustomSql": 1, "ColumnCorrelation": 2,
                   "ReferentialIntegrity": 2, "RowCountMatch": 1, "DatasetMatch": 2, "AggregateMatch": 2,
                   "SchemaMatch": 1, "ColumnNamesMatchPattern": 1, "DataFreshness": 1}
KEYWORDS = {"NULL", "EMPTY", "WHITESPACES_ONLY"}
_TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)|(?P<op>>=|<=|!=|<>|=|>|<)'
                    r'|(?P<punct>[\[\](),+\-*/])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))')


class DqdlError(ValueError):
    """The ruleset is not valid DQDL."""


@dataclass
class Condition:
    """``> 5``, ``between 1 and 9``, ``in ["a", NULL]``, ``matches "x.*"``; ``negated`` for ``not ...``."""

    operator: str  # = != > >= < <= between in matches unsupported
    operands: list[Any]
    negated: bool = False
    text: str = ""

    def holds(self, value: Any) -> bool:
        if self.operator == "unsupported":
            raise DqdlError(f"The condition '{self.text}' (dynamic or date expressions) is not evaluated by the "
                            "sandbox")
        result = _compare(self.operator, value, self.operands)
        return not result if self.negated else result


@dataclass
class Rule:
    text: str
    kind: str  # a rule type, or "and" / "or" for a composite rule
    parameters: list[str] = field(default_factory=list)
    condition: Condition | None = None
    threshold: Condition | None = None
    where: str | None = None
    parts: list[Rule] = field(default_factory=list)


def _compare(operator: str, value: Any, operands: list[Any]) -> bool:
    if value is None:
        return False
    if operator == "between":
        return _num(operands[0]) < _num(value) < _num(operands[1])
    if operator == "in":
        return any(_same(value, o) for o in operands)
    if operator == "matches":
        return re.fullmatch(str(operands[0]), str(value)) is not None
    if operator in ("=", "!="):
        equal = _same(value, operands[0])
        return equal if operator == "=" else not equal
    a, b = _num(value), _num(operands[0])
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[operator]


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DqdlError(f"'{value}' is not a number") from None


def _same(value: Any, operand: Any) -> bool:
    if isinstance(operand, (int, float)) and not isinstance(value, str):
        return float(value) == float(operand)
    return str(value) == str(operand) or (is_number(value) and is_number(operand)
                                         and float(value) == float(operand))


def is_number(value: Any) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


# -- parsing ------------------------------------------------------------------------------------------

def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise DqdlError(f"Parsing Error: unexpected text at '{text[position:].strip()[:30]}'")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def _unquote(token: str) -> str:
    return token[1:-1].replace('\\"', '"')


def _split_top_level(text: str) -> list[str]:
    items, depth, quoted, current = [], 0, False, []
    for i, char in enumerate(text):
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "[(":
            depth += 1
        elif not quoted and char in "])":
            depth -= 1
        elif not quoted and char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted or depth:
        raise DqdlError("Parsing Error: unbalanced quotes or brackets in the ruleset")
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _section(text: str, name: str) -> str | None:
    match = re.search(rf"\b{name}\s*=\s*\[", text)
    if not match:
        return None
    depth, quoted, start = 1, False, match.end()
    for i in range(start, len(text)):
        char = text[i]
        if char == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
            if depth == 0:
                return text[start:i]
    raise DqdlError(f"Parsing Error: the {name} list is not closed with ']'")


ANALYZER_TYPES = {"RowCount", "ColumnCount", "Completeness", "Uniqueness", "DistinctValuesCount",
                  "UniqueValueRatio", "Entropy", "Mean", "StandardDeviation", "Sum", "ColumnLength",
                  "ColumnCorrelation", "CustomSql"}
ANY_VALUE = Condition("between", [float("-inf"), float("inf")], text="(any value)")


def _document(text: str) -> str:
    return "\n".join(line for line in (text or "").splitlines() if not line.strip().startswith("#"))


def parse_ruleset(text: str) -> list[Rule]:
    """The rules of a DQDL document (``Rules = [ ... ]``; ``#`` comment lines are ignored). A document may
    hold only ``Analyzers = [ ... ]`` (no rules)."""
    document = _document(text)
    body = _section(document, "Rules")
    if body is None:
        if _section(document, "Analyzers") is not None:
            return []
        raise DqdlError("Parsing Error: a ruleset starts with Rules = [ ... ]")
    rules = [parse_rule(item) for item in _split_top_level(body)]
    if not rules:
        raise DqdlError("Parsing Error: the ruleset holds no rules")
    parse_analyzers(text)  # a bad Analyzers section makes the whole document invalid
    return rules


def parse_analyzers(text: str) -> list[Rule]:
    """The analyzers of a DQDL document (``Analyzers = [ RowCount, Completeness "col", ... ]``): statistics
    gathered without a pass or fail."""
    body = _section(_document(text), "Analyzers")
    analyzers = []
    for item in _split_top_level(body or ""):
        tokens = _tokens(item)
        kind = tokens[0][1] if tokens else ""
        if kind not in ANALYZER_TYPES:
            raise DqdlError(f"Parsing Error: '{kind}' is not a DQDL analyzer (analyzer: {item})")
        analyzers.append(Rule(" ".join(item.split()), kind, [_unquote(v) for k, v in tokens[1:] if k == "string"],
                              ANY_VALUE))
    return analyzers


def parse_rule(text: str) -> Rule:
    text = " ".join(text.split())
    if text.startswith("("):
        return _parse_composite(text)
    tokens = _tokens(text)
    kind_token = tokens[0]
    if kind_token[0] != "word" or kind_token[1] not in EVALUATED | NOT_EVALUATED:
        raise DqdlError(f"Parsing Error: '{kind_token[1]}' is not a DQDL rule type (rule: {text})")
    kind = kind_token[1]
    position = 1
    parameters: list[str] = []
    wanted = PARAMETER_COUNT.get(kind)
    while position < len(tokens) and tokens[position][0] == "string" and (wanted is None or len(parameters) < wanted):
        parameters.append(_unquote(tokens[position][1]))
        position += 1
    rest = tokens[position:]
    where = None
    if len(rest) >= 2 and rest[-2] == ("word", "where") and rest[-1][0] == "string":
        where, rest = _unquote(rest[-1][1]), rest[:-2]
    threshold = None
    for i in range(len(rest) - 1):
        if rest[i] == ("word", "with") and rest[i + 1] == ("word", "threshold"):
            threshold, rest = _parse_condition(rest[i + 2:], text), rest[:i]
            break
    condition = _parse_condition(rest, text) if rest else None
    if kind not in ("IsComplete", "IsUnique", "IsPrimaryKey", "ColumnExists", "ColumnNamesMatchPattern") \
            and condition is None \
            and kind in EVALUATED and not (kind == "CustomSql" and threshold):
        raise DqdlError(f"Parsing Error: the rule '{text}' needs a condition (for example > 0)")
    if kind not in ("RowCount", "ColumnCount", "CustomSql", "RowCountMatch") and not parameters:
        raise DqdlError(f"Parsing Error: the rule '{text}' needs a column name in double quotes")
    return Rule(text, kind, parameters, condition, threshold, where)


def _parse_composite(text: str) -> Rule:
    parts, operators, i = [], [], 0
    while i < len(text):
        if text[i] != "(":
            raise DqdlError(f"Parsing Error: each rule of a composite rule is in parentheses: {text}")
        depth, quoted, j = 0, False, i
        while j < len(text):
            char = text[j]
            if char == '"' and text[j - 1] != "\\":
                quoted = not quoted
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(text):
            raise DqdlError(f"Parsing Error: unbalanced parentheses in {text}")
        parts.append(parse_rule(text[i + 1:j]))
        rest = text[j + 1:].lstrip()
        if not rest:
            break
        word = rest.split(" ", 1)[0].lower()
        if word not in ("and", "or"):
            raise DqdlError(f"Parsing Error: rules are combined with and / or: {text}")
        operators.append(word)
        i = len(text) - len(rest[len(word):].lstrip())
    if len(parts) == 1:
        return parts[0]
    if len(set(operators)) > 1:
        raise DqdlError(f"Parsing Error: mixing and / or needs parentheses around each group: {text}")
    return Rule(text, operators[0], parts=parts)


def _parse_condition(tokens: list[tuple[str, str]], rule: str) -> Condition:
    text = " ".join(value for _, value in tokens)
    if not tokens:
        raise DqdlError(f"Parsing Error: missing condition in '{rule}'")
    negated = tokens[0] == ("word", "not")
    if negated:
        tokens = tokens[1:]
    if any(value in ("now", "last", "avg", "min", "max", "std", "(", "days", "hours", "minutes") for _, value in tokens):
        return Condition("unsupported", [], negated, text)
    kind, value = tokens[0]
    if kind == "op" and len(tokens) == 2:
        operator = "!=" if value == "<>" else value
        return Condition(operator, [_literal(tokens[1], rule)], negated, text)
    if value == "between" and len(tokens) == 4 and tokens[2] == ("word", "and"):
        return Condition("between", [_literal(tokens[1], rule), _literal(tokens[3], rule)], negated, text)
    if value == "matches" and len(tokens) == 2 and tokens[1][0] == "string":
        return Condition("matches", [_unquote(tokens[1][1])], negated, text)
    if value == "in" and len(tokens) >= 3 and tokens[1] == ("punct", "[") and tokens[-1] == ("punct", "]"):
        items = [t for t in tokens[2:-1] if t != ("punct", ",")]
        return Condition("in", [_literal(t, rule) for t in items], negated, text)
    raise DqdlError(f"Parsing Error: the condition '{text}' of rule '{rule}' is not valid DQDL")


def _literal(token: tuple[str, str], rule: str) -> Any:
    kind, value = token
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "string":
        return _unquote(value)
    if kind == "word" and value in KEYWORDS:
        return value
    raise DqdlError(f"Parsing Error: '{value}' is not a value in rule '{rule}'")
