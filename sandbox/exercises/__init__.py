"""Graded exercises: a task in exam language, checked against your live sandbox.

    sandbox exercises list
    sandbox exercises show 1
    sandbox exercises check 1          # or: sandbox exercises check --all
    sandbox exercises setup 34         # "diagnose and fix" exercises: build the broken start

Each check inspects the sandbox through the AWS API only (the same boto3 calls
you would make against AWS) and says precisely what is missing. Reference
solutions live in ``sandbox/exercises/solutions/`` (one module per exercise,
``solve(aws)``); read them after you tried.

Python API::

    from sandbox.exercises import all_exercises, get, run_check
    result = run_check(get(1), sandbox.connect(start=False))
    result.passed, result.problems
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from sandbox.session import SandboxSession

# modules holding exercise definitions, in the order of a data & ML pipeline
AREA_MODULES = ["storage", "streaming", "catalog", "query", "warehouse", "orchestration", "ml", "ml_monitoring"]


class Missing(Exception):
    """Raised by a check when something later steps depend on is absent."""


class Grader:
    """What a check uses: clients on the learner's sandbox and a list of problems.

    ``expect(cond, problem)`` records a problem and carries on; ``need(cond, problem)``
    records it and stops the check (later steps would only repeat it).
    """

    def __init__(self, aws: SandboxSession) -> None:
        self.aws = aws
        self.problems: list[str] = []
        self.passed: list[str] = []
        self._clients: dict[str, Any] = {}

    def client(self, name: str) -> Any:
        if name not in self._clients:
            self._clients[name] = self.aws.client(name)
        return self._clients[name]

    def expect(self, condition: Any, problem: str, ok: str | None = None) -> bool:
        if condition:
            if ok:
                self.passed.append(ok)
            return True
        self.problems.append(problem)
        return False

    def need(self, condition: Any, problem: str, ok: str | None = None) -> None:
        if not self.expect(condition, problem, ok):
            raise Missing(problem)

    def stop(self, problem: str) -> NoReturn:
        self.problems.append(problem)
        raise Missing(problem)


@dataclass(frozen=True)
class Exercise:
    number: int
    slug: str
    service: str            # the AWS service(s) it exercises, as the exam names them
    title: str
    task: str               # the statement, in exam language
    exam_points: tuple[str, ...]
    hints: tuple[str, ...]
    check: Callable[[Grader], None]
    notebook: str = ""
    requires: tuple[str, ...] = ()   # boto3 service names the check calls
    # "diagnose and fix" exercises: builds the broken starting point in the learner's sandbox
    # (`sandbox exercises setup N`); None for "build it" exercises
    setup: Callable[[SandboxSession], Any] | None = None

    @property
    def solution_module(self) -> str:
        return f"sandbox.exercises.solutions.ex{self.number:02d}_{self.slug.replace('-', '_')}"

    def solution(self) -> Callable[[SandboxSession], Any]:
        return importlib.import_module(self.solution_module).solve


@dataclass
class Result:
    exercise: Exercise
    passed: bool
    problems: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        head = f"[{'PASS' if self.passed else 'FAIL'}] {self.exercise.number:>2}. {self.exercise.title}"
        lines = [head]
        lines += [f"     ok: {line}" for line in self.confirmed]
        lines += [f"     missing: {line}" for line in self.problems]
        return "\n".join(lines)


def all_exercises() -> list[Exercise]:
    found: list[Exercise] = []
    for name in AREA_MODULES:
        module = importlib.import_module(f"sandbox.exercises.{name}")
        found.extend(module.EXERCISES)
    found.sort(key=lambda e: e.number)
    numbers = [e.number for e in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"duplicate exercise numbers: {numbers}")
    return found


def get(number: int) -> Exercise:
    for exercise in all_exercises():
        if exercise.number == number:
            return exercise
    raise KeyError(f"no exercise {number}; `sandbox exercises list` shows them")


def run_check(exercise: Exercise, aws: SandboxSession) -> Result:
    """Grade one exercise against the sandbox behind ``aws``."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    grader = Grader(aws)
    try:
        exercise.check(grader)
    except Missing:
        pass
    except EndpointConnectionError:
        grader.problems.append(f"the sandbox does not answer on {aws.endpoint_url}: start it with `sandbox up`")
    except ClientError as exc:
        error = exc.response.get("Error", {})
        grader.problems.append(f"{exc.operation_name} failed: {error.get('Code')}: {error.get('Message')}")
    return Result(exercise, not grader.problems, grader.problems, grader.passed)


__all__ = ["Exercise", "Grader", "Missing", "Result", "all_exercises", "get", "run_check"]
