"""DQDL (Glue Data Quality Definition Language): the parser and the rule evaluator, on DuckDB.

``parse_ruleset(text)`` reads ``Rules = [ ... ]`` into :class:`Rule` objects (a
syntax error or an unknown rule type is :class:`DqdlError`, which the API turns
into ``InvalidInputException`` as CreateDataQualityRuleset does on AWS).
``evaluate(rules, primary, references)`` runs them over Arrow tables (the
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

import math
import re
from dataclasses import dataclass, field
from typing import Any

from emulators.core import sqlguard

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
    return str(value) == str(operand) or (_is_number(value) and _is_number(operand)
                                         and float(value) == float(operand))


def _is_number(value: Any) -> bool:
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


def parse_ruleset(text: str) -> list[Rule]:
    """The rules of a DQDL document (``Rules = [ ... ]``; ``#`` comment lines are ignored)."""
    lines = [line for line in (text or "").splitlines() if not line.strip().startswith("#")]
    body = _section("\n".join(lines), "Rules")
    if body is None:
        raise DqdlError("Parsing Error: a ruleset starts with Rules = [ ... ]")
    rules = [parse_rule(item) for item in _split_top_level(body)]
    if not rules:
        raise DqdlError("Parsing Error: the ruleset holds no rules")
    return rules


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
    if kind not in ("IsComplete", "IsUnique", "IsPrimaryKey", "ColumnExists") and condition is None \
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


# -- evaluation ---------------------------------------------------------------------------------------

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fmt(value: Any) -> str:
    return repr(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


class Evaluation:
    """One data source (and its references) in a locked-down DuckDB connection."""

    def __init__(self, primary: Any, references: dict[str, Any] | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.register("primary_source", primary)
        self.con.execute("CREATE VIEW \"primary\" AS SELECT * FROM primary_source")
        for alias, table in (references or {}).items():
            self.con.register(f"{alias}_source", table)
            self.con.execute(f"CREATE VIEW {_q(alias)} AS SELECT * FROM {_q(alias + '_source')}")
        sqlguard.lock_down(self.con)
        self.columns = {name.lower(): name for name in primary.column_names}
        self.types = {name.lower(): str(t) for name, t in zip(primary.column_names, primary.schema.types)}

    def close(self) -> None:
        self.con.close()

    def scalar(self, sql: str) -> Any:
        return self.con.execute(sql).fetchone()[0]

    def column(self, name: str) -> str:
        actual = self.columns.get(name.lower())
        if actual is None:
            raise DqdlError(f"Column {name} does not exist in the data source")
        return _q(actual)


def evaluate(rules: list[Rule], primary: Any, references: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """AWS's ``RuleResults`` for ``rules`` over the Arrow table ``primary``."""
    evaluation = Evaluation(primary, references)
    try:
        return [_result(evaluation, rule, f"Rule_{n}") for n, rule in enumerate(rules, start=1)]
    finally:
        evaluation.close()


def score(results: list[dict[str, Any]]) -> float:
    return sum(r["Result"] == "PASS" for r in results) / len(results) if results else 0.0


def _result(evaluation: Evaluation, rule: Rule, name: str) -> dict[str, Any]:
    result: dict[str, Any] = {"Name": name, "Description": rule.text, "EvaluatedMetrics": {}}
    try:
        passed, metrics, message = _check(evaluation, rule)
    except DqdlError as exc:
        result.update(Result="ERROR", EvaluationMessage=str(exc))
        return result
    except Exception as exc:  # a where clause or CustomSql DuckDB cannot run
        result.update(Result="ERROR", EvaluationMessage=f"The rule could not be evaluated: {exc}".splitlines()[0])
        return result
    result["EvaluatedMetrics"] = {k: float(v) for k, v in metrics.items() if v is not None and not _nan(v)}
    result["Result"] = "PASS" if passed else "FAIL"
    if not passed:
        result["EvaluationMessage"] = message
    return result


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _check(evaluation: Evaluation, rule: Rule) -> tuple[bool, dict[str, Any], str]:
    if rule.kind in ("and", "or"):
        outcomes = [_check(evaluation, part) for part in rule.parts]
        metrics = {k: v for _, m, _ in outcomes for k, v in m.items()}
        passed = all(p for p, _, _ in outcomes) if rule.kind == "and" else any(p for p, _, _ in outcomes)
        messages = [m for p, _, m in outcomes if not p and m]
        return passed, metrics, " ".join(messages)
    if rule.kind in NOT_EVALUATED:
        raise DqdlError(f"The rule type {rule.kind} is not evaluated by the sandbox")
    source = "\"primary\"" + (f" WHERE ({rule.where})" if rule.where else "")
    return RULE_CHECKS[rule.kind](evaluation, rule, source)


def _against(rule: Rule, metric_name: str, value: Any, metrics: dict[str, Any] | None = None
             ) -> tuple[bool, dict[str, Any], str]:
    metrics = {metric_name: value, **(metrics or {})}
    if value is None or _nan(value):
        return False, metrics, "Value: NaN does not meet the constraint requirement!"
    passed = rule.condition.holds(value) if rule.condition else value == 1.0
    return passed, metrics, f"Value: {_fmt(value)} does not meet the constraint requirement!"


def _ratio(part: Any, whole: Any) -> float | None:
    return float(part) / float(whole) if whole else None


def _row_count(e: Evaluation, rule: Rule, source: str) -> Any:
    return _against(rule, "Dataset.*.RowCount", e.scalar(f"SELECT count(*) FROM {source}"))


def _column_count(e: Evaluation, rule: Rule, source: str) -> Any:
    return _against(rule, "Dataset.*.ColumnCount", len(e.columns))


def _completeness(e: Evaluation, rule: Rule, source: str) -> Any:
    col = e.column(rule.parameters[0])
    total, complete = e.con.execute(f"SELECT count(*), count({col}) FROM {source}").fetchone()
    return _against(rule, f"Column.{rule.parameters[0]}.Completeness", _ratio(complete, total))


def _uniqueness(e: Evaluation, rule: Rule, source: str) -> Any:
    col = e.column(rule.parameters[0])
    once, total = e.con.execute(
        f"SELECT count(*) FILTER (WHERE n = 1), sum(n) FROM (SELECT count(*) n FROM {source} "
        f"WHERE {col} IS NOT NULL GROUP BY {col})").fetchone()
    return _against(rule, f"Column.{rule.parameters[0]}.Uniqueness", _ratio(once, total))


def _primary_key(e: Evaluation, rule: Rule, source: str) -> Any:
    cols = [e.column(c) for c in rule.parameters]
    key = ", ".join(cols)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    total, complete = e.con.execute(f"SELECT count(*), count(*) FILTER (WHERE {not_null}) FROM {source}").fetchone()
    once, grouped = e.con.execute(f"SELECT count(*) FILTER (WHERE n = 1), sum(n) FROM (SELECT count(*) n FROM "
                                  f"{source} WHERE {not_null} GROUP BY {key})").fetchone()
    label = ",".join(rule.parameters)
    completeness, uniqueness = _ratio(complete, total), _ratio(once, grouped)
    metrics = {f"Column.{label}.Completeness": completeness, f"Column.{label}.Uniqueness": uniqueness}
    passed = completeness == 1.0 and uniqueness == 1.0
    worst = min((v for v in (completeness, uniqueness) if v is not None), default=0.0)
    return passed, metrics, f"Value: {_fmt(worst)} does not meet the constraint requirement!"


def _distinct(e: Evaluation, rule: Rule, source: str) -> Any:
    col = e.column(rule.parameters[0])
    return _against(rule, f"Column.{rule.parameters[0]}.DistinctValuesCount",
                    e.scalar(f"SELECT count(DISTINCT {col}) FROM {source}"))


def _unique_ratio(e: Evaluation, rule: Rule, source: str) -> Any:
    col = e.column(rule.parameters[0])
    once, distinct = e.con.execute(f"SELECT count(*) FILTER (WHERE n = 1), count(*) FROM (SELECT count(*) n FROM "
                                   f"{source} WHERE {col} IS NOT NULL GROUP BY {col})").fetchone()
    return _against(rule, f"Column.{rule.parameters[0]}.UniqueValueRatio", _ratio(once, distinct))


def _entropy(e: Evaluation, rule: Rule, source: str) -> Any:
    col = e.column(rule.parameters[0])
    value = e.scalar(f"SELECT -sum(p * ln(p)) FROM (SELECT count(*) / sum(count(*)) OVER () p FROM {source} "
                     f"WHERE {col} IS NOT NULL GROUP BY {col})")
    return _against(rule, f"Column.{rule.parameters[0]}.Entropy", value)


def _aggregate(function: str, metric: str) -> Any:
    def check(e: Evaluation, rule: Rule, source: str) -> Any:
        col = e.column(rule.parameters[0])
        try:
            value = e.scalar(f"SELECT {function}(TRY_CAST({col} AS DOUBLE)) FROM {source}")
        except Exception:
            raise DqdlError(f"Column {rule.parameters[0]} is not numeric") from None
        return _against(rule, f"Column.{rule.parameters[0]}.{metric}", value)
    return check


def _correlation(e: Evaluation, rule: Rule, source: str) -> Any:
    a, b = (e.column(c) for c in rule.parameters)
    value = e.scalar(f"SELECT corr(TRY_CAST({a} AS DOUBLE), TRY_CAST({b} AS DOUBLE)) FROM {source}")
    return _against(rule, f"Multicolumn.{rule.parameters[0]},{rule.parameters[1]}.ColumnCorrelation", value)


def _rows_passing(rule: Rule, values: list[Any]) -> float | None:
    """The share of rows whose value satisfies the rule's condition (a NULL only passes ``in [NULL]``)."""
    condition = rule.condition
    assert condition is not None
    passing = 0
    for value in values:
        if value is None or (isinstance(value, str) and value.strip() == ""):
            keyword = "NULL" if value is None else ("EMPTY" if value == "" else "WHITESPACES_ONLY")
            hit = condition.operator == "in" and keyword in condition.operands
            if not hit and value is not None:
                hit = condition.holds(value)
            passing += (not hit) if condition.negated and condition.operator == "in" else hit
        else:
            passing += condition.holds(value)
    return _ratio(passing, len(values))


def _with_threshold(rule: Rule, compliance: float | None, metrics: dict[str, Any]) -> Any:
    if compliance is None:
        return True, metrics, ""
    passed = rule.threshold.holds(compliance) if rule.threshold else compliance == 1.0
    return passed, metrics, f"Value: {_fmt(compliance)} does not meet the constraint requirement!"


def _column_values(e: Evaluation, rule: Rule, source: str) -> Any:
    col, name = e.column(rule.parameters[0]), rule.parameters[0]
    values = [row[0] for row in e.con.execute(f"SELECT {col} FROM {source}").fetchall()]
    compliance = _rows_passing(rule, values)
    metrics: dict[str, Any] = {f"Column.{name}.ColumnValues.Compliance": compliance}
    numbers = [float(v) for v in values if v is not None and _is_number(v) and not isinstance(v, str)]
    if numbers and rule.condition and rule.condition.operator not in ("in", "matches"):
        metrics.update({f"Column.{name}.Maximum": max(numbers), f"Column.{name}.Minimum": min(numbers)})
    if rule.threshold is None and compliance is not None and compliance < 1.0 and \
            f"Column.{name}.Maximum" in metrics:
        bad = [v for v in numbers if not rule.condition.holds(v)]  # type: ignore[union-attr]
        value = bad[0] if bad else compliance
        return False, metrics, f"Value: {_fmt(value)} does not meet the constraint requirement!"
    return _with_threshold(rule, compliance, metrics)


def _column_length(e: Evaluation, rule: Rule, source: str) -> Any:
    col, name = e.column(rule.parameters[0]), rule.parameters[0]
    lengths = [row[0] for row in e.con.execute(
        f"SELECT coalesce(length(CAST({col} AS VARCHAR)), 0) FROM {source}").fetchall()]
    metrics = {f"Column.{name}.MaximumLength": max(lengths) if lengths else None,
               f"Column.{name}.MinimumLength": min(lengths) if lengths else None}
    if rule.threshold is not None:
        return _with_threshold(rule, _ratio(sum(rule.condition.holds(n) for n in lengths), len(lengths)), metrics)
    bad = [n for n in lengths if not rule.condition.holds(n)]  # type: ignore[union-attr]
    return not bad, metrics, (f"Value: {_fmt(max(bad, key=lambda n: abs(n)))} does not meet the constraint "
                              "requirement!" if bad else "")


def _column_exists(e: Evaluation, rule: Rule, source: str) -> Any:
    exists = rule.parameters[0].lower() in e.columns
    return exists, {}, f"Column {rule.parameters[0]} does not exist"


ARROW_TYPES = {"INTEGER": ("int8", "int16", "int32", "int64", "uint"), "STRING": ("string", "large_string"),
               "DOUBLE": ("double",), "FLOAT": ("float",), "BOOLEAN": ("bool",), "DATE": ("date",),
               "TIMESTAMP": ("timestamp",), "LONG": ("int64",), "DECIMAL": ("decimal",)}


def _column_data_type(e: Evaluation, rule: Rule, source: str) -> Any:
    e.column(rule.parameters[0])
    actual = e.types[rule.parameters[0].lower()]
    wanted = [str(o).upper() for o in (rule.condition.operands if rule.condition else [])]
    passed = any(actual.startswith(ARROW_TYPES.get(w, (w.lower(),))) for w in wanted)
    if rule.condition and rule.condition.negated:
        passed = not passed
    return passed, {}, f"Column {rule.parameters[0]} has type {actual}"


_PRIMARY = re.compile(r"'(?:[^']|'')*'|(?<![\w\".])primary(?![\w\"])", re.IGNORECASE)


def _custom_sql(e: Evaluation, rule: Rule, source: str) -> Any:
    # DQDL names the data source ``primary``, a reserved word in DuckDB: quote it (outside string literals)
    sql = _PRIMARY.sub(lambda m: m.group(0) if m.group(0).startswith("'") else '"primary"', rule.parameters[0])
    sqlguard.require_single_statement(e.con, sql, "CustomSql runs one SQL statement")
    rows = e.con.execute(sql).fetchall()
    if rule.condition is not None and len(rows) == 1 and len(rows[0]) == 1 and _is_number(rows[0][0]):
        return _against(rule, "Dataset.*.CustomSQL", float(rows[0][0]))
    total = e.scalar(f"SELECT count(*) FROM {source}")
    return _with_threshold(rule, _ratio(len(rows), total), {"Dataset.*.CustomSQL.Compliance": _ratio(len(rows), total)})


def _referential_integrity(e: Evaluation, rule: Rule, source: str) -> Any:
    columns, reference = rule.parameters
    alias, _, ref_column = reference.partition(".")
    ref_column = ref_column.strip("{}")
    if "," in columns or "," in ref_column:
        raise DqdlError("ReferentialIntegrity over several columns is not evaluated by the sandbox")
    col = e.column(columns)
    try:
        value = e.scalar(f"SELECT avg(CASE WHEN {col} IN (SELECT {_q(ref_column)} FROM {_q(alias)}) THEN 1.0 "
                         f"ELSE 0.0 END) FROM {source} WHERE {col} IS NOT NULL")
    except Exception:
        raise DqdlError(f"The data source {alias} (AdditionalDataSources) or its column {ref_column} is "
                        "missing") from None
    return _against(rule, f"Column.{alias}.ReferentialIntegrity", value)


def _row_count_match(e: Evaluation, rule: Rule, source: str) -> Any:
    alias = rule.parameters[0]
    try:
        theirs = e.scalar(f"SELECT count(*) FROM {_q(alias)}")
    except Exception:
        raise DqdlError(f"The data source {alias} is not among the AdditionalDataSources") from None
    return _against(rule, f"Dataset.{alias}.RowCountMatch", _ratio(e.scalar(f"SELECT count(*) FROM {source}"), theirs))


def _names_match(e: Evaluation, rule: Rule, source: str) -> Any:
    pattern = rule.parameters[0]
    names = list(e.columns.values())
    matching = [n for n in names if re.fullmatch(pattern, n)]
    return len(matching) == len(names), {}, \
        f"Columns {', '.join(n for n in names if n not in matching)} do not match {pattern}"


RULE_CHECKS = {"RowCount": _row_count, "ColumnCount": _column_count, "IsComplete": _completeness,
               "Completeness": _completeness, "IsUnique": _uniqueness, "Uniqueness": _uniqueness,
               "IsPrimaryKey": _primary_key, "DistinctValuesCount": _distinct, "UniqueValueRatio": _unique_ratio,
               "Entropy": _entropy, "Mean": _aggregate("avg", "Mean"),
               "StandardDeviation": _aggregate("stddev_pop", "StandardDeviation"), "Sum": _aggregate("sum", "Sum"),
               "ColumnLength": _column_length, "ColumnValues": _column_values, "ColumnExists": _column_exists,
               "ColumnCorrelation": _correlation, "CustomSql": _custom_sql, "ColumnDataType": _column_data_type,
               "ReferentialIntegrity": _referential_integrity, "RowCountMatch": _row_count_match,
               "ColumnNamesMatchPattern": _names_match}
