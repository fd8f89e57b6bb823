"""Spaced repetition with Leitner boxes, kept as JSON in the sandbox state folder.

A question nobody answered yet is due at once. A right answer moves it up one box (at most box 5),
a wrong one back to box 1; it is then due again after its box's interval: box 1 daily, 2 every
2 days, 3 every 4, 4 every 8, 5 every 16. The file is ``<state>/quiz/answers.json``; it needs no
running cloud.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sandbox.quiz.questions import Question

INTERVAL_DAYS = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}
TOP_BOX = max(INTERVAL_DAYS)


@dataclass
class Card:
    """What the learner did with one question."""
    box: int = 1
    due: str = ""               # ISO date the question is next due
    seen: int = 0
    right: int = 0
    last_answer: list[str] = field(default_factory=list)
    last_at: str = ""           # ISO timestamp (UTC) of the last answer


def next_box(box: int, right: bool) -> int:
    """Leitner's rule: up one box when right (at most the top box), back to box 1 when wrong."""
    return min(box + 1, TOP_BOX) if right else 1


def default_path() -> Path:
    from sandbox.config import SandboxConfig

    return SandboxConfig.from_env().state_dir / "quiz" / "answers.json"


class ReviewStoreError(Exception):
    """The answers file cannot be read or written."""


class ReviewStore:
    """The learner's Leitner cards, one per question id, persisted after every answer."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.cards: dict[str, Card] = {}
        if self.path.exists():
            try:
                document = json.loads(self.path.read_text(encoding="utf-8"))
                self.cards = {qid: Card(**fields) for qid, fields in document["cards"].items()}
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ReviewStoreError(f"{self.path} is not a quiz answers file ({exc!r}); move it away "
                                       "to start afresh") from None

    def card(self, question_id: str) -> Card | None:
        return self.cards.get(question_id)

    def is_due(self, question_id: str, today: date | None = None) -> bool:
        card = self.cards.get(question_id)
        return card is None or date.fromisoformat(card.due) <= (today or date.today())

    def due(self, questions: Iterable[Question], today: date | None = None) -> list[Question]:
        """Due questions: overdue ones first (lowest box, then earliest due), then unseen ones in bank order."""
        today = today or date.today()
        seen, unseen = [], []
        for position, question in enumerate(questions):
            card = self.cards.get(question.id)
            if card is None:
                unseen.append(question)
            elif date.fromisoformat(card.due) <= today:
                seen.append((card.box, card.due, position, question))
        return [entry[-1] for entry in sorted(seen, key=lambda e: e[:3])] + unseen

    def record(self, question: Question, chosen: Iterable[str], when: datetime | None = None) -> tuple[bool, Card]:
        """Grade ``chosen`` for ``question``, move its card, save the file; returns (right, card)."""
        when = when or datetime.now(timezone.utc)
        chosen = sorted({c.strip().upper() for c in chosen})
        right = question.is_right(chosen)
        card = self.cards.get(question.id) or Card()
        card.box = next_box(card.box, right)  # a new card starts in box 1
        card.due = (when.date() + timedelta(days=INTERVAL_DAYS[card.box])).isoformat()
        card.seen += 1
        card.right += int(right)
        card.last_answer = chosen
        card.last_at = when.isoformat(timespec="seconds")
        self.cards[question.id] = card
        self.save()
        return right, card

    def save(self) -> None:
        """Write the file atomically (a crash leaves the old or the new file, never half of one)."""
        document = {"version": 1, "cards": {qid: asdict(card) for qid, card in sorted(self.cards.items())}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".answers-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=1)
            os.replace(temporary, self.path)
        except OSError as exc:
            raise ReviewStoreError(f"cannot write {self.path}: {exc.strerror or exc}") from None


@dataclass
class TaskProgress:
    exam: str
    task: str
    title: str
    questions: int = 0
    seen: int = 0                # questions answered at least once
    answers: int = 0
    right: int = 0
    boxes: dict[int, int] = field(default_factory=lambda: {box: 0 for box in INTERVAL_DAYS})

    @property
    def right_percent(self) -> float | None:
        return 100.0 * self.right / self.answers if self.answers else None


def progress(questions: Iterable[Question], store: ReviewStore) -> list[TaskProgress]:
    """Progress per task statement of every exam with questions in the bank, in exam-guide order."""
    from sandbox.quiz.questions import EXAMS

    questions = list(questions)
    rows = {(code, task): TaskProgress(code, task, title)
            for code, exam in EXAMS.items() for task, title in exam.tasks.items()
            if any(q.exam == code for q in questions)}
    for question in questions:
        row = rows[(question.exam, question.task)]
        row.questions += 1
        card = store.card(question.id)
        if card is not None:
            row.seen += 1
            row.answers += card.seen
            row.right += card.right
            row.boxes[card.box] += 1
    return list(rows.values())
