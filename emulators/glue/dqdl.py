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
rows that pass, ``where "..."`` filters rows first, ``now()``, ``(now() - 3 days)``
and durations (``24 hours``, for DataFreshness) are taken at evaluation time. Rule
types the sandbox does not evaluate (dynamic rules with ``last(n)``, DatasetMatch,
AggregateMatch, SchemaMatch, DetectAnomalies) parse, and answer ERROR saying so.
This module takes Arrow tables and plain values; it never touches moto or boto3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

EVALUATED = {"RowCount", "ColumnCount", "IsComplete", "Completeness", "IsUnique", "Uniqueness", "IsPrimaryKey",
             "DistinctValuesCount", "UniqueValueRatio", "Entropy", "Mean", "StandardDeviation", "Sum",
             "ColumnLength", "ColumnValues", "ColumnExists", "ColumnCorrelation", "CustomSql", "ColumnDataType",
             "ReferentialIntegrity", "RowCountMatch", "ColumnNamesMatchPattern", "DataFreshness"}
NOT_EVALUATED = {"DatasetMatch", "AggregateMatch", "SchemaMatch", "DetectAnomalies", "FileFreshness",
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
            raise DqdlError(f"The condition '{self.text}' (a dynamic rule: last(n), avg, min, max) is not "
                            "evaluated by the sandbox")
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


UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


@dataclass(frozen=True)
class Duration:
    """``24 hours``, ``3 days``: compared with an age in seconds (DataFreshness)."""

    seconds: float


@dataclass(frozen=True)
class NowOffset:
    """``now()``, ``(now() - 3 days)``: a moment, taken when the rule is evaluated."""

    seconds: float

    def moment(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.seconds)


def as_datetime(value: Any) -> datetime:
    """A date, timestamp or ISO text as an aware UTC datetime (naive values are UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    try:
        return as_datetime(datetime.fromisoformat(str(value).strip()))
    except ValueError:
        raise DqdlError(f"'{value}' is not a date or timestamp") from None


def _ordered(value: Any, operand: Any) -> tuple[Any, Any]:
    """``value`` and ``operand`` as two things that compare: moments, seconds, numbers or text."""
    if isinstance(operand, NowOffset):
        return as_datetime(value), operand.moment()
    if isinstance(operand, Duration):
        return _num(value), operand.seconds
    if isinstance(value, (date, datetime)):
        return as_datetime(value), as_datetime(operand)
    if is_number(value) and is_number(operand):
        return float(value), float(operand)
    if isinstance(value, str) and isinstance(operand, str):
        try:
            return as_datetime(value), as_datetime(operand)
        except DqdlError:
            return value, operand
    return _num(value), _num(operand)


def _compare(operator: str, value: Any, operands: list[Any]) -> bool:
    if value is None:
        return False
    if operator == "between":
        low, high = _ordered(value, operands[0]), _ordered(value, operands[1])
        return low[1] < low[0] and high[0] < high[1]
    if operator == "in":
        return any(_same(value, o) for o in operands)
    if operator == "matches":
        return re.fullmatch(str(operands[0]), str(value)) is not None
    if operator in ("=", "!=") and not isinstance(operands[0], (Duration, NowOffset)):
        equal = _same(value, operands[0])
        return equal if operator == "=" else not equal
    a, b = _ordered(value, operands[0])
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "=": a == b, "!=": a != b}[operator]


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
    if not tokens:
        raise DqdlError("Parsing Error: an empty rule")
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
    if not tokens:
        raise DqdlError(f"Parsing Error: missing condition after 'not' in '{rule}'")
    if any(value in ("last", "avg", "min", "max", "std") for _, value in tokens):
        return Condition("unsupported", [], negated, text)  # dynamic rules compare with earlier runs
    kind, value = tokens[0]
    if kind == "op":
        operand, end = _operand(tokens, 1, rule)
        if end == len(tokens):
            return Condition("!=" if value == "<>" else value, [operand], negated, text)
    if value == "between":
        low, end = _operand(tokens, 1, rule)
        if end < len(tokens) and tokens[end] == ("word", "and"):
            high, end = _operand(tokens, end + 1, rule)
            if end == len(tokens):
                return Condition("between", [low, high], negated, text)
    if value == "matches" and len(tokens) == 2 and tokens[1][0] == "string":
        return Condition("matches", [_unquote(tokens[1][1])], negated, text)
    if value == "in" and len(tokens) >= 3 and tokens[1] == ("punct", "[") and tokens[-1] == ("punct", "]"):
        items = [t for t in tokens[2:-1] if t != ("punct", ",")]
        return Condition("in", [_literal(t, rule) for t in items], negated, text)
    raise DqdlError(f"Parsing Error: the condition '{text}' of rule '{rule}' is not valid DQDL")


def _operand(tokens: list[tuple[str, str]], start: int, rule: str) -> tuple[Any, int]:
    """One operand from ``tokens[start]``: a literal, ``N days|hours|minutes``, ``now()`` or
    ``(now() - N days)``; answers it and the index after it."""
    def at(i: int) -> tuple[str, str]:
        return tokens[i] if i < len(tokens) else ("end", "")

    def now_offset(i: int) -> tuple[NowOffset, int]:
        if (at(i), at(i + 1), at(i + 2)) != (("word", "now"), ("punct", "("), ("punct", ")")):
            raise DqdlError(f"Parsing Error: expected now() in rule '{rule}'")
        i += 3
        sign = 1
        if at(i) in (("punct", "-"), ("punct", "+")):
            sign, i = (-1 if at(i)[1] == "-" else 1), i + 1
        if at(i)[0] == "number" and at(i + 1)[0] == "word" and at(i + 1)[1] in UNIT_SECONDS:
            return NowOffset(sign * float(at(i)[1]) * UNIT_SECONDS[at(i + 1)[1]]), i + 2
        return NowOffset(0.0), i

    if at(start) == ("punct", "("):
        offset, end = now_offset(start + 1)
        if at(end) != ("punct", ")"):
            raise DqdlError(f"Parsing Error: unbalanced parentheses in rule '{rule}'")
        return offset, end + 1
    if at(start) == ("word", "now"):
        return now_offset(start)
    if at(start)[0] == "number" and at(start + 1)[0] == "word" and at(start + 1)[1] in UNIT_SECONDS:
        return Duration(float(at(start)[1]) * UNIT_SECONDS[at(start + 1)[1]]), start + 2
    if start >= len(tokens):
        raise DqdlError(f"Parsing Error: missing value in rule '{rule}'")
    return _literal(tokens[start], rule), start + 1


def _literal(token: tuple[str, str], rule: str) -> Any:
    kind, value = token
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "string":
        return _unquote(value)
    if kind == "word" and value in KEYWORDS:
        return value
    raise DqdlError(f"Parsing Error: '{value}' is not a value in rule '{rule}'")
