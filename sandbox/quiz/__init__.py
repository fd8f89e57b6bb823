"""Exam practice: scenario questions for DEA-C01 and MLA-C01, spaced repetition, notebook self-checks.

    sandbox quiz --exam DEA-C01 --task 1.1     # ask due questions in the terminal
    sandbox quiz stats                         # progress per task statement
    sandbox quiz export --json bank.json       # the whole bank with answers and explanations

Python API::

    from sandbox.quiz import check_yourself, load_bank, ReviewStore
    check_yourself("02_streaming_ingest")       # a notebook's closing "Check yourself" cell
    bank = load_bank()                          # every question of sandbox/quiz/bank/*.json

Answers are kept in ``<state folder>/quiz/answers.json`` (``SANDBOX_STATE_DIR``); no cloud needs to run.
"""

from __future__ import annotations

from sandbox.quiz.notebook import check_yourself
from sandbox.quiz.questions import EXAMS, BankError, Option, Question, load_bank, select
from sandbox.quiz.review import ReviewStore, ReviewStoreError, progress

__all__ = ["EXAMS", "BankError", "Option", "Question", "ReviewStore", "ReviewStoreError", "check_yourself", "load_bank",
           "progress", "select"]
