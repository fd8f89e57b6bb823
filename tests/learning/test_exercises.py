"""Every exercise: its check fails on a sandbox without its resources, naming what is missing;
its reference solution then makes the check pass (against the session sandbox)."""

from __future__ import annotations

import pytest

from sandbox.exercises import Exercise, all_exercises, run_check

EXERCISES = all_exercises()
SLOW = {4, 8, 9, 10, 11, 17, 18, 19, 20, 22, 23, 24, 25, 26, 29, 32, 33, 34, 36, 37, 38, 39, 40, 41, 42}
# what the first failure message must name, per exercise (the first missing resource)
NAMED = {1: "alias/ex01-lake-key", 2: "ex02-model-artifacts", 3: "ex03-private-data", 4: "ex04-sales-lake",
         5: "ex05-hr-data", 6: "ex06-raw-archive", 7: "ex07_analytics", 8: "ex08-clickstream-crawler",
         9: "ex09-clean-orders", 10: "ex10-after-ingest", 11: "ex11_sales", 12: "ex12-analysts",
         13: "ex13_reports", 14: "ex14-warehouse", 15: "ex15-warehouse", 16: "ex16-daily-pipeline",
         17: "ex17-churn", 18: "ex18-churn-hpo", 19: "ex19-churn-models", 20: "ex20-score-customers",
         21: "ex21-clicks", 22: "ex22-clicks-to-lake",
         23: "ex23-queue", 24: "ex24-spark", 25: "ex25-view-counter", 26: "ex26-churn",
         27: "ex27-clarify-bias", 28: "ex28_analytics", 29: "ex29-churn-autopilot",
         30: "ex30-register-upload", 31: "ex31-confidential", 32: "ex32-clicks-parquet", 33: "ex33_web",
         34: "ex34-nightly-load", 35: "ex35-orders-crawler",
         36: "ex36-daily-revenue", 37: "ex37-incremental-orders",
         38: "ex38-analytics", 39: "ex39-churn-pipeline", 40: "ex40-churn", 41: "ex41-random",
         42: "ex42-linear-learner"}
# "diagnose and fix" exercises: after `setup`, what the check must name as broken
BROKEN = {34: "has no Retry for TransientError", 35: "every dt= folder becomes a table of its own",
          36: "the latest run of ex36-daily-revenue FAILED", 40: "CloudWatch alarm ex40-drift-alarm does not exist"}


def test_at_least_fifteen_exercises_with_distinct_names():
    assert len(EXERCISES) >= 15
    assert {e.number for e in EXERCISES if e.setup is not None} == set(BROKEN)
    assert len({e.slug for e in EXERCISES}) == len(EXERCISES)
    assert {e.number for e in EXERCISES} <= set(NAMED)
    for exercise in EXERCISES:
        assert exercise.task and exercise.exam_points and exercise.hints


def _params():
    for exercise in EXERCISES:
        marks = [pytest.mark.slow] if exercise.number in SLOW else []
        yield pytest.param(exercise, id=f"ex{exercise.number:02d}-{exercise.slug}", marks=marks)


def _drop_bucket(aws, bucket: str) -> None:
    s3 = aws.client("s3")
    if bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)


# exercises that other tests solve on the session sandbox (notebook 00 and test_exercises_cli.py solve exercise 3),
# whichever runs first on a worker: undone before the check that must fail
UNSOLVE = {3: lambda aws: _drop_bucket(aws, "ex03-private-data")}


@pytest.mark.parametrize("exercise", list(_params()))
def test_check_fails_when_missing_then_solution_passes(aws, exercise: Exercise):
    if exercise.number in UNSOLVE:
        UNSOLVE[exercise.number](aws)
    before = run_check(exercise, aws)
    assert not before.passed
    assert before.problems, "a failing check must say what is missing"
    assert NAMED[exercise.number] in before.problems[0], before.problems

    if exercise.setup is not None:   # diagnose and fix: the broken start fails, naming what is broken
        exercise.setup(aws)
        broken = run_check(exercise, aws)
        assert not broken.passed
        assert any(BROKEN[exercise.number] in p for p in broken.problems), broken.problems

    exercise.solution()(aws)
    after = run_check(exercise, aws)
    assert after.passed, after.describe()
    assert after.confirmed, "a passing check should say what it confirmed"

    exercise.solution()(aws)   # idempotent: running the solution again keeps it passing
    assert run_check(exercise, aws).passed
