"""DQDL rules evaluated over Arrow tables in a locked-down DuckDB connection (see :mod:`emulators.glue.dqdl`).

``evaluate(rules, primary, references)`` answers AWS's ``RuleResults``; the primary
data source is the view ``primary``, each additional data source keeps its alias
(``reference``...). ``row_outcomes`` gives the row-level outcomes EvaluateDataQuality's
``process_rows`` adds to each row. Takes Arrow tables; never touches moto or boto3.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from emulators.core import sqlguard
from emulators.glue.dqdl import NOT_EVALUATED, DqdlError, Rule, as_datetime, is_number


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


def analyze(analyzers: list[Rule], primary: Any) -> list[dict[str, Any]]:
    """AWS's ``AnalyzerResults``: each analyzer's statistics (no outcome)."""
    evaluation = Evaluation(primary)
    try:
        found = []
        for analyzer in analyzers:
            result = _result(evaluation, analyzer, analyzer.kind)
            entry = {"Name": analyzer.kind, "Description": analyzer.text,
                     "EvaluatedMetrics": result["EvaluatedMetrics"]}
            if result["Result"] == "ERROR":
                entry["EvaluationMessage"] = result["EvaluationMessage"]
            found.append(entry)
        return found
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


def value_passes(condition: Any, value: Any) -> bool:
    """One value against a ColumnValues condition (a NULL, empty or blank value passes only when ``in`` names
    NULL, EMPTY or WHITESPACES_ONLY)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        keyword = "NULL" if value is None else ("EMPTY" if value == "" else "WHITESPACES_ONLY")
        if condition.operator == "in" and keyword in condition.operands:
            return not condition.negated
        return value is not None and condition.holds(value)
    return condition.holds(value)


def _rows_passing(rule: Rule, values: list[Any]) -> float | None:
    """The share of rows whose value satisfies the rule's condition."""
    return _ratio(sum(value_passes(rule.condition, v) for v in values), len(values))


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
    numbers = [float(v) for v in values if v is not None and is_number(v) and not isinstance(v, str)]
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


DUCKDB_CASTS = {"INTEGER": "BIGINT", "LONG": "BIGINT", "DOUBLE": "DOUBLE", "FLOAT": "DOUBLE", "DECIMAL": "DOUBLE",
                "BOOLEAN": "BOOLEAN", "DATE": "DATE", "TIMESTAMP": "TIMESTAMP", "STRING": "VARCHAR"}


def _column_data_type(e: Evaluation, rule: Rule, source: str) -> Any:
    """A column whose type is the one named passes; a text column passes by the share of its values that read
    as that type (``ColumnDataType "colA" = "DATE" with threshold > 0.9``)."""
    col, name = e.column(rule.parameters[0]), rule.parameters[0]
    actual = e.types[name.lower()]
    condition = rule.condition
    wanted = [str(o).upper() for o in (condition.operands if condition else [])]
    negated = bool(condition and condition.negated)
    if any(actual.startswith(ARROW_TYPES.get(w, (w.lower(),))) for w in wanted):
        return not negated, {}, f"Column {name} has type {actual}"
    if not actual.startswith(("string", "large_string")) or not all(w in DUCKDB_CASTS for w in wanted):
        return negated, {}, f"Column {name} has type {actual}"
    casts = " OR ".join(f"TRY_CAST({col} AS {DUCKDB_CASTS[w]}) IS NOT NULL" for w in wanted)
    total, matching = e.con.execute(f"SELECT count({col}), count(*) FILTER (WHERE {casts}) FROM {source}").fetchone()
    compliance = _ratio(matching, total)
    if negated and compliance is not None:
        compliance = 1.0 - compliance
    return _with_threshold(rule, compliance, {f"Column.{name}.ColumnDataType.Compliance": compliance})


_PRIMARY = re.compile(r"'(?:[^']|'')*'|(?<![\w\".])primary(?![\w\"])", re.IGNORECASE)


def _custom_sql(e: Evaluation, rule: Rule, source: str) -> Any:
    # DQDL names the data source ``primary``, a reserved word in DuckDB: quote it (outside string literals)
    sql = _PRIMARY.sub(lambda m: m.group(0) if m.group(0).startswith("'") else '"primary"', rule.parameters[0])
    sqlguard.require_single_statement(e.con, sql, "CustomSql runs one SQL statement")
    rows = e.con.execute(sql).fetchall()
    if rule.condition is not None and len(rows) == 1 and len(rows[0]) == 1 and is_number(rows[0][0]):
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


def _data_freshness(e: Evaluation, rule: Rule, source: str) -> Any:
    """Each value's age (now minus the value) against ``<= 24 hours``, ``between 2 days and 5 days``..."""
    col, name = e.column(rule.parameters[0]), rule.parameters[0]
    now = datetime.now(timezone.utc)
    ages = []
    for (value,) in e.con.execute(f"SELECT {col} FROM {source}").fetchall():
        ages.append(None if value is None else (now - as_datetime(value)).total_seconds())
    compliance = _ratio(sum(age is not None and rule.condition.holds(age) for age in ages),  # type: ignore[union-attr]
                        len(ages))
    return _with_threshold(rule, compliance, {f"Column.{name}.DataFreshness.Compliance": compliance})


RULE_CHECKS = {"RowCount": _row_count, "ColumnCount": _column_count, "IsComplete": _completeness,
               "Completeness": _completeness, "IsUnique": _uniqueness, "Uniqueness": _uniqueness,
               "IsPrimaryKey": _primary_key, "DistinctValuesCount": _distinct, "UniqueValueRatio": _unique_ratio,
               "Entropy": _entropy, "Mean": _aggregate("avg", "Mean"),
               "StandardDeviation": _aggregate("stddev_pop", "StandardDeviation"), "Sum": _aggregate("sum", "Sum"),
               "ColumnLength": _column_length, "ColumnValues": _column_values, "ColumnExists": _column_exists,
               "ColumnCorrelation": _correlation, "CustomSql": _custom_sql, "ColumnDataType": _column_data_type,
               "ReferentialIntegrity": _referential_integrity, "RowCountMatch": _row_count_match,
               "ColumnNamesMatchPattern": _names_match, "DataFreshness": _data_freshness}


ROW_LEVEL = ("IsComplete", "Completeness", "ColumnValues", "ColumnLength", "IsUnique", "Uniqueness")


def _row_checks(rule: Rule, table: Any, columns: dict[str, str]) -> list[bool] | None:
    """Each row's outcome for a rule that has one per row (None: the rule is about the whole data set)."""
    if rule.kind in ("and", "or"):
        parts = [_row_checks(part, table, columns) for part in rule.parts]
        if any(p is None for p in parts):
            return None
        combine = all if rule.kind == "and" else any
        return [combine(row) for row in zip(*parts)]  # type: ignore[arg-type]
    if rule.kind not in ROW_LEVEL or rule.where or rule.parameters[0].lower() not in columns:
        return None
    values = table.column(columns[rule.parameters[0].lower()]).to_pylist()
    if rule.kind in ("IsComplete", "Completeness"):
        return [v is not None for v in values]
    if rule.kind in ("IsUnique", "Uniqueness"):
        counts: dict[Any, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        return [v is not None and counts[v] == 1 for v in values]
    if rule.kind == "ColumnLength":
        return [rule.condition.holds(len(str(v)) if v is not None else 0) for v in values]  # type: ignore[union-attr]
    return [value_passes(rule.condition, v) for v in values]


def row_outcomes(rules: list[Rule], table: Any, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per row of ``table``: ``DataQualityRulesPass`` / ``Fail`` / ``Skip`` (the rules' descriptions) and
    ``DataQualityEvaluationResult`` (Passed / Failed). A rule about the whole data set gives every row its
    outcome; an ERROR skips it."""
    columns = {name.lower(): name for name in table.column_names}
    rows = [{"DataQualityRulesPass": [], "DataQualityRulesFail": [], "DataQualityRulesSkip": []}
            for _ in range(table.num_rows)]
    for rule, result in zip(rules, results):
        checks = None if result["Result"] == "ERROR" else _row_checks(rule, table, columns)
        for n, row in enumerate(rows):
            if result["Result"] == "ERROR":
                row["DataQualityRulesSkip"].append(rule.text)
            elif checks is None:
                row["DataQualityRulesPass" if result["Result"] == "PASS" else "DataQualityRulesFail"].append(rule.text)
            else:
                row["DataQualityRulesPass" if checks[n] else "DataQualityRulesFail"].append(rule.text)
    for row in rows:
        row["DataQualityEvaluationResult"] = "Failed" if row["DataQualityRulesFail"] else "Passed"
    return rows
