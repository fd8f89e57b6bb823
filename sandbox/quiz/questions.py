"""The exam question bank: the exams' task statements, the bank format, loading and validation.

Every ``*.json`` file in ``sandbox/quiz/bank/`` is a JSON list of questions::

    {"id": "dea-1.1-01", "exam": "DEA-C01", "domain": 1, "task": "1.1", "type": "single",
     "question": "A company ... Which solution meets these requirements?",
     "options": [{"key": "A", "text": "...", "correct": true, "explanation": "why right or wrong"}, ...],
     "references": ["notebook:02_streaming_ingest", "exercise:21", "doc:docs/exam/concepts.md"],
     "notebooks": ["02_streaming_ingest"]}

``type`` is ``single`` (exactly one correct option) or ``multiple`` (two or more, and the question
says "(Choose two.)" / "(Choose three.)" as the exams do). ``notebooks`` names the notebooks whose
closing "Check yourself" section may ask the question.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

BANK_DIR = Path(__file__).resolve().parent / "bank"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Exam:
    code: str
    title: str
    domains: dict[int, str]
    tasks: dict[str, str]       # "1.1" -> the task statement as the exam guide words it


# The domains and task statements of AWS's exam guides (AWS Certification user guide,
# "data-engineer-associate-01-domain*" and "machine-learning-engineer-associate-01-domain*").
EXAMS: dict[str, Exam] = {
    "DEA-C01": Exam(
        code="DEA-C01",
        title="AWS Certified Data Engineer - Associate",
        domains={1: "Data Ingestion and Transformation", 2: "Data Store Management",
                 3: "Data Operations and Support", 4: "Data Security and Governance"},
        tasks={
            "1.1": "Perform data ingestion",
            "1.2": "Transform and process data",
            "1.3": "Orchestrate data pipelines",
            "1.4": "Apply programming concepts",
            "2.1": "Choose a data store",
            "2.2": "Understand data cataloging systems",
            "2.3": "Manage the lifecycle of data",
            "2.4": "Design data models and schema evolution",
            "3.1": "Automate data processing by using AWS services",
            "3.2": "Analyze data by using AWS services",
            "3.3": "Maintain and monitor data pipelines",
            "3.4": "Ensure data quality",
            "4.1": "Apply authentication mechanisms",
            "4.2": "Apply authorization mechanisms",
            "4.3": "Ensure data encryption and masking",
            "4.4": "Prepare logs for audit",
            "4.5": "Understand data privacy and governance",
        },
    ),
    "MLA-C01": Exam(
        code="MLA-C01",
        title="AWS Certified Machine Learning Engineer - Associate",
        domains={1: "Data Preparation for Machine Learning (ML)", 2: "ML Model Development",
                 3: "Deployment and Orchestration of ML Workflows",
                 4: "ML Solution Monitoring, Maintenance, and Security"},
        tasks={
            "1.1": "Ingest and store data",
            "1.2": "Transform data and perform feature engineering",
            "1.3": "Ensure data integrity and prepare data for modeling",
            "2.1": "Choose a modeling approach",
            "2.2": "Train and refine models",
            "2.3": "Analyze model performance",
            "3.1": "Select deployment infrastructure based on existing architecture and requirements",
            "3.2": "Create and script infrastructure based on existing architecture and requirements",
            "3.3": "Use automated orchestration tools to set up continuous integration and continuous "
                   "delivery (CI/CD) pipelines",
            "4.1": "Monitor model inference",
            "4.2": "Monitor and optimize infrastructure and costs",
            "4.3": "Secure AWS resources",
        },
    ),
}

QUESTION_TYPES = ("single", "multiple")
CHOOSE_WORDS = {2: "two", 3: "three", 4: "four"}


class BankError(ValueError):
    """A bank file or question that does not follow the format."""


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Question:
    id: str
    exam: str
    domain: int
    task: str
    type: str
    question: str
    options: tuple[Option, ...]
    references: tuple[str, ...]
    notebooks: tuple[str, ...]

    @property
    def answer(self) -> tuple[str, ...]:
        """The keys of the correct options, in order."""
        return tuple(o.key for o in self.options if o.correct)

    @property
    def task_title(self) -> str:
        return EXAMS[self.exam].tasks[self.task]

    def is_right(self, chosen: Iterable[str]) -> bool:
        """True when exactly the correct options were chosen (the exams give no partial credit)."""
        return {c.strip().upper() for c in chosen} == set(self.answer)

    def to_dict(self) -> dict:
        """The question as the bank stores it, plus ``answers`` (the correct keys) and the task statement's wording."""
        return {
            "id": self.id, "exam": self.exam, "domain": self.domain, "task": self.task,
            "task_title": self.task_title, "type": self.type, "question": self.question,
            "options": [{"key": o.key, "text": o.text, "correct": o.correct, "explanation": o.explanation}
                        for o in self.options],
            "answers": list(self.answer), "references": list(self.references),
            "notebooks": list(self.notebooks),
        }


def question_problems(raw: object) -> list[str]:
    """What is wrong with one question document (an empty list when it follows the format)."""
    if not isinstance(raw, dict):
        return ["a question must be a JSON object"]
    problems: list[str] = []
    for name, kind in (("id", str), ("exam", str), ("domain", int), ("task", str), ("type", str),
                       ("question", str), ("options", list), ("references", list), ("notebooks", list)):
        if not isinstance(raw.get(name), kind):
            problems.append(f"field {name!r} missing or not a {kind.__name__}")
    if problems:
        return problems
    exam = EXAMS.get(raw["exam"])
    if exam is None:
        problems.append(f"unknown exam {raw['exam']!r} (one of {', '.join(EXAMS)})")
    elif raw["task"] not in exam.tasks:
        problems.append(f"{raw['exam']} has no task statement {raw['task']!r}")
    elif raw["task"].split(".")[0] != str(raw["domain"]):
        problems.append(f"task {raw['task']} is not in domain {raw['domain']}")
    if raw["type"] not in QUESTION_TYPES:
        problems.append(f"type must be one of {QUESTION_TYPES}, not {raw['type']!r}")
    if not raw["question"].strip():
        problems.append("empty question")
    keys = []
    for index, option in enumerate(raw["options"]):
        if not isinstance(option, dict):
            problems.append(f"option {index} is not an object")
            continue
        keys.append(option.get("key"))
        for name in ("key", "text", "explanation"):
            if not isinstance(option.get(name), str) or not option[name].strip():
                problems.append(f"option {option.get('key', index)}: {name!r} missing or empty")
        if not isinstance(option.get("correct"), bool):
            problems.append(f"option {option.get('key', index)}: 'correct' must be true or false")
    if keys != [chr(ord("A") + i) for i in range(len(keys))]:
        problems.append(f"option keys must be A, B, C, ... in order, not {keys}")
    correct = sum(1 for o in raw["options"] if isinstance(o, dict) and o.get("correct") is True)
    if raw["type"] == "single":
        if len(raw["options"]) < 4:
            problems.append("a single-answer question needs at least 4 options")
        if correct != 1:
            problems.append(f"a single-answer question needs exactly one correct option, has {correct}")
    elif raw["type"] == "multiple":
        if len(raw["options"]) < 5:
            problems.append("a multiple-answer question needs at least 5 options")
        if correct < 2:
            problems.append(f"a multiple-answer question needs at least two correct options, has {correct}")
        elif f"(Choose {CHOOSE_WORDS.get(correct, correct)}.)" not in raw["question"]:
            problems.append(f"the question must say (Choose {CHOOSE_WORDS.get(correct, correct)}.)")
    if not raw["references"]:
        problems.append("no references")
    for ref in raw["references"]:
        if not isinstance(ref, str) or not re.fullmatch(r"(notebook|exercise|doc):\S+", ref):
            problems.append(f"reference {ref!r} is not notebook:STEM, exercise:N or doc:PATH")
    return problems


def parse_question(raw: dict) -> Question:
    problems = question_problems(raw)
    if problems:
        raise BankError(f"question {raw.get('id', '?') if isinstance(raw, dict) else '?'}: " + "; ".join(problems))
    return Question(
        id=raw["id"], exam=raw["exam"], domain=raw["domain"], task=raw["task"], type=raw["type"],
        question=raw["question"],
        options=tuple(Option(o["key"], o["text"], o["correct"], o["explanation"]) for o in raw["options"]),
        references=tuple(raw["references"]), notebooks=tuple(raw["notebooks"]),
    )


def load_bank(folder: Path | str = BANK_DIR) -> list[Question]:
    """Every question of every ``*.json`` file in ``folder``, validated, in file then bank order.

    Raises ``BankError`` naming the file and question when anything breaks the format, or when
    two questions share an id.
    """
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.json")):
        try:
            documents = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BankError(f"{path.name}: not valid JSON ({exc})") from None
        if not isinstance(documents, list):
            raise BankError(f"{path.name}: a bank file is a JSON list of questions")
        for raw in documents:
            try:
                question = parse_question(raw)
            except BankError as exc:
                raise BankError(f"{path.name}: {exc}") from None
            if question.id in seen:
                raise BankError(f"{path.name}: question id {question.id} already used in {seen[question.id]}")
            seen[question.id] = path.name
            questions.append(question)
    return questions


def select(questions: Iterable[Question], exam: str | None = None, domain: int | None = None,
           task: str | None = None, notebook: str | None = None) -> list[Question]:
    """The questions matching every filter given (exam codes compare case-insensitively)."""
    return [q for q in questions
            if (exam is None or q.exam == exam.upper())
            and (domain is None or q.domain == domain)
            and (task is None or q.task == task)
            and (notebook is None or notebook in q.notebooks)]


def reference_problems(question: Question, root: Path = ROOT,
                       exercise_numbers: set[int] | None = None) -> list[str]:
    """References of ``question`` that do not resolve in a source checkout at ``root``."""
    if exercise_numbers is None:
        from sandbox.exercises import all_exercises

        exercise_numbers = {e.number for e in all_exercises()}
    problems = []
    for ref in (*question.references, *(f"notebook:{n}" for n in question.notebooks)):
        kind, _, target = ref.partition(":")
        if kind == "notebook":
            if not (root / "notebooks" / f"{target}.ipynb").exists():
                problems.append(f"{question.id}: no notebook notebooks/{target}.ipynb")
        elif kind == "exercise":
            if not target.isdigit() or int(target) not in exercise_numbers:
                problems.append(f"{question.id}: no exercise {target}")
        elif kind == "doc":
            if not (root / target.partition("#")[0]).is_file():
                problems.append(f"{question.id}: no document {target}")
        else:
            problems.append(f"{question.id}: unknown reference kind {ref!r}")
    return problems
