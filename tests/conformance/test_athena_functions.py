"""Athena's function reference, run through the Athena API: every sample of ``athena_functions.py``.

Source: "Athena engine version 3 functions" (docs.aws.amazon.com/athena/latest/ug/functions-env3.html)
and the Trino reference pages it links (trino.io/docs/current/functions/*.html), which give each
function's result; ``athena_functions.py`` holds one sample call per function and the value Athena
prints. The samples run in a few batched queries (StartQueryExecution, GetQueryResults); each
parameter then checks one sample. Functions the sandbox cannot provide are strict expected failures,
and must answer Athena's ``FUNCTION_NOT_FOUND: line 1:8: Function 'x' not registered``. The run writes
the coverage figure and the gaps to ``tests/conformance/athena_coverage.json`` for the conformance report.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.conformance.athena_functions import AGGREGATE_FROM, AGGREGATES, DIFFERENCES, GAPS, SCALARS, WINDOWS

OUTPUT = "s3://athena-functions-results/samples/"
BATCH = 40
COVERAGE_FILE = Path(__file__).resolve().parent / "athena_coverage.json"


def run(athena, sql: str) -> tuple[str, list[str | None] | str]:
    """("SUCCEEDED", first row) or ("FAILED", StateChangeReason)."""
    qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={"OutputLocation": OUTPUT})[
        "QueryExecutionId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    if status["State"] != "SUCCEEDED":
        return status["State"], status.get("StateChangeReason", "")
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    return "SUCCEEDED", [d.get("VarCharValue") for d in rows[1]["Data"]]


def _query(area: str, expressions: list[str]) -> str:
    select = ", ".join(f"{e} AS c{i}" for i, e in enumerate(expressions))
    if area == "aggregate":
        return f"SELECT {select} FROM {AGGREGATE_FROM}"
    if area == "window":
        return f"SELECT {select} FROM {AGGREGATE_FROM} ORDER BY x LIMIT 1"
    return f"SELECT {select}"


SAMPLES = [(f"{area}-{name}-{i}", area, name, expr, want)
           for i, (area, name, expr, want) in enumerate(SCALARS + AGGREGATES + WINDOWS)]


@pytest.fixture(scope="module")
def outcomes(aws):
    """sample id -> ("value", text) or ("error", reason), from a few batched queries."""
    athena = aws.client("athena")
    aws.client("s3").create_bucket(Bucket="athena-functions-results")
    results: dict[str, tuple[str, str | None]] = {}
    runnable = [s for s in SAMPLES if s[2] not in GAPS]
    groups: dict[str, list] = {}
    for sample in runnable:
        groups.setdefault("scalar" if sample[1] not in ("aggregate", "window") else sample[1], []).append(sample)
    for area, samples in groups.items():
        for start in range(0, len(samples), BATCH):
            batch = samples[start:start + BATCH]
            state, answer = run(athena, _query(area, [s[3] for s in batch]))
            if state == "SUCCEEDED":
                results.update({s[0]: ("value", v) for s, v in zip(batch, answer)})
                continue
            for sample in batch:  # one sample broke the batch: run each alone to know which
                state, answer = run(athena, _query(area, [sample[3]]))
                results[sample[0]] = ("value", answer[0]) if state == "SUCCEEDED" else ("error", answer)
    for sample in SAMPLES:
        if sample[2] in GAPS:
            area = sample[1] if sample[1] in ("aggregate", "window") else "scalar"
            state, answer = run(athena, _query(area, [sample[3]]))
            results[sample[0]] = ("value", answer[0]) if state == "SUCCEEDED" else ("error", answer)
    return results


def _params():
    for sample_id, area, name, expr, want in SAMPLES:
        marks = []
        if name in GAPS:
            marks = [pytest.mark.xfail(strict=True, reason=f"known gap: {GAPS[name]}")]
        elif expr in DIFFERENCES:
            marks = [pytest.mark.xfail(strict=True, reason=f"known difference: {DIFFERENCES[expr]}")]
        yield pytest.param(sample_id, expr, want, id=sample_id, marks=marks)


@pytest.mark.parametrize(("sample_id", "expression", "expected"), list(_params()))
def test_function_answers_as_on_athena(outcomes, sample_id, expression, expected):
    kind, value = outcomes[sample_id]
    assert kind == "value", f"{expression} failed: {value}"
    assert value == expected, f"{expression}: Athena prints {expected!r}, the sandbox {value!r}"


@pytest.mark.parametrize("name", sorted(GAPS))
def test_gap_answers_function_not_found_as_athena_does(outcomes, name):
    """A function the sandbox cannot provide fails as an unknown function does on Athena."""
    sample_id, area, _, expr, _ = next(s for s in SAMPLES if s[2] == name)
    kind, reason = outcomes[sample_id]
    assert kind == "error"
    assert re.fullmatch(rf"FUNCTION_NOT_FOUND: line 1:\d+: Function '{name}' not registered", reason), reason
    column = int(reason.split(":")[2])
    assert _query(area if area in ("aggregate", "window") else "scalar", [expr])[column - 1:].startswith(name)


@pytest.mark.parametrize(("sql", "name"), [("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
                                         ("SELECT count(*) FROM glob('/*')", "glob"),
                                         ("SELECT read_text('/etc/hostname')", "read_text"),
                                         ("SELECT * FROM read_parquet('x.parquet')", "read_parquet")])
def test_duckdb_file_functions_are_unknown_functions(aws, outcomes, sql, name):
    """DuckDB's functions that read host files are not Athena functions: FUNCTION_NOT_FOUND where they are called."""
    state, reason = run(aws.client("athena"), sql)
    assert state == "FAILED"
    assert reason == f"FUNCTION_NOT_FOUND: line 1:{sql.index(name + '(') + 1}: Function '{name}' not registered"


def test_coverage_is_at_least_95_percent_and_is_recorded(outcomes):
    """The share of samples answering exactly as Athena does, written for docs/conformance.md."""
    behaving = [s for s in SAMPLES if outcomes[s[0]] == ("value", s[4])]
    functions = sorted({s[2] for s in SAMPLES})
    failing_functions = sorted({s[2] for s in SAMPLES if outcomes[s[0]] != ("value", s[4])})
    coverage = len(behaving) / len(SAMPLES)
    COVERAGE_FILE.write_text(json.dumps({
        "source": "https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html (Trino function reference)",
        "samples": len(SAMPLES),
        "samples_as_on_athena": len(behaving),
        "coverage": round(coverage, 4),
        "functions": len(functions),
        "functions_as_on_athena": len(functions) - len(failing_functions),
        "function_coverage": round(1 - len(failing_functions) / len(functions), 4),
        "gaps": [{"function": name, "reason": reason, "answer": outcomes[next(s[0] for s in SAMPLES if s[2] == name)][1]}
                 for name, reason in sorted(GAPS.items())],
        "differences": [{"sample": expr, "reason": reason} for expr, reason in DIFFERENCES.items()],
    }, indent=2) + "\n")
    assert coverage >= 0.95, f"{coverage:.1%} of the samples answer as on Athena; failing: {failing_functions}"
