"""Grade the exercises against YOUR running sandbox: ``pytest tests/learning/test_exercises_live.py --exercises``.

Without ``--exercises`` these tests are skipped (the suite's own sandbox is not
yours). Each exercise is one test; a failure prints what the check found missing.
"""

from __future__ import annotations

import pytest

from sandbox.exercises import all_exercises, run_check

pytestmark = pytest.mark.exercises


@pytest.fixture(scope="module")
def learner_sandbox(request):
    if not request.config.getoption("--exercises"):
        pytest.skip("grading your own sandbox: run pytest with --exercises")
    import os

    import sandbox
    from sandbox import cloud as cloud_control

    aws = sandbox.connect(start=False)
    if not os.environ.get("AWS_ENDPOINT_URL") and not cloud_control.status(aws.config).running:
        pytest.fail(f"your sandbox is not running on {aws.endpoint_url}: start it with `sandbox up`")
    return aws


@pytest.mark.parametrize("exercise", all_exercises(), ids=lambda e: f"ex{e.number:02d}-{e.slug}")
def test_exercise(learner_sandbox, exercise):
    result = run_check(exercise, learner_sandbox)
    if not result.passed:
        pytest.fail(result.describe(), pytrace=False)
