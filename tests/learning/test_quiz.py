"""The exam question bank, `sandbox quiz` and its Leitner scheduling, `check_yourself()` for notebooks."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.quiz import EXAMS, BankError, ReviewStore, load_bank, select
from sandbox.quiz.questions import BANK_DIR, question_problems, reference_problems
from sandbox.quiz.review import INTERVAL_DAYS, next_box

ROOT = Path(__file__).resolve().parents[2]
BANK_FILES = {"DEA-C01": BANK_DIR / "dea-c01.json", "MLA-C01": BANK_DIR / "mla-c01.json"}


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


# -- the bank ---------------------------------------------------------------------------------------

def test_every_bank_file_is_valid_and_ids_are_unique(bank):
    ids = Counter(q.id for q in bank)
    assert not [qid for qid, n in ids.items() if n > 1]
    for path in BANK_DIR.glob("*.json"):
        for raw in json.loads(path.read_text()):
            assert question_problems(raw) == [], f"{path.name} {raw.get('id')}"
    assert {q.exam for q in bank} <= set(EXAMS)


@pytest.mark.parametrize("exam", sorted(BANK_FILES))
def test_at_least_eight_questions_per_task_statement(exam, bank):
    """Issue 13: >= 8 questions for every task statement of DEA-C01 and MLA-C01, once the exam's file exists."""
    if not BANK_FILES[exam].exists():
        pytest.skip(f"{BANK_FILES[exam].name} has not landed yet")
    in_file = {q["id"] for q in json.loads(BANK_FILES[exam].read_text())}
    assert in_file and all(q.exam == exam for q in bank if q.id in in_file), f"{BANK_FILES[exam].name} mixes exams"
    counts = Counter(q.task for q in bank if q.exam == exam)
    short = {task: counts[task] for task in EXAMS[exam].tasks if counts[task] < 8}
    assert not short, f"{exam} task statements with fewer than 8 questions: {short}"
    assert any(q.type == "multiple" for q in bank if q.exam == exam)


def test_options_are_explained_and_answers_have_the_right_shape(bank):
    for question in bank:
        assert all(o.explanation.strip() and o.text.strip() for o in question.options), question.id
        if question.type == "single":
            assert len(question.answer) == 1, question.id
        else:
            assert len(question.answer) >= 2, question.id
            assert "(Choose " in question.question, question.id
        assert question.task in EXAMS[question.exam].tasks, question.id
        assert question.task.startswith(f"{question.domain}."), question.id


def test_every_reference_resolves(bank):
    from sandbox.exercises import all_exercises

    numbers = {e.number for e in all_exercises()}
    problems = [p for q in bank for p in reference_problems(q, ROOT, numbers)]
    assert problems == []


def test_questions_use_current_service_names(bank):
    """Amazon Data Firehose, not Kinesis Data Firehose (renamed in 2024), except when naming the old name."""
    for question in bank:
        texts = [question.question, *(o.text for o in question.options), *(o.explanation for o in question.options)]
        for text in texts:
            assert not re.search(r"(?<!formerly )(?<!formerly Amazon )Kinesis Data Firehose", text), question.id


def test_every_notebook_can_ask_at_least_three_questions(bank):
    """Each notebook's closing "Check yourself" cell asks 3-5 bank questions tagged for it."""
    tagged = Counter(stem for q in bank for stem in q.notebooks)
    short = {p.stem: tagged[p.stem] for p in (ROOT / "notebooks").glob("*.ipynb") if tagged[p.stem] < 3}
    assert not short, f"notebooks with fewer than 3 bank questions: {short}"


def test_references_that_do_not_resolve_are_reported():
    from sandbox.quiz.questions import parse_question

    raw = json.loads((BANK_DIR / "dea-c01.json").read_text())[0]
    broken = parse_question({**raw, "references": ["notebook:99_nothing", "exercise:999", "doc:docs/none.md"]})
    problems = reference_problems(broken, ROOT, {1, 2})
    assert len(problems) == 3 and "99_nothing" in problems[0] and "exercise 999" in problems[1]


def test_malformed_questions_are_refused(tmp_path):
    raw = json.loads((BANK_DIR / "dea-c01.json").read_text())[0]
    two_right = {**raw, "options": [{**o, "correct": True} for o in raw["options"]]}
    assert any("exactly one correct" in p for p in question_problems(two_right))
    unexplained = {**raw, "options": [{**raw["options"][0], "explanation": ""}, *raw["options"][1:]]}
    assert any("explanation" in p for p in question_problems(unexplained))
    assert any("no task statement" in p for p in question_problems({**raw, "task": "1.9"}))
    multiple = {**raw, "type": "multiple", "options": [*raw["options"], {**raw["options"][0], "key": "E"}]}
    multiple["options"] = [{**o, "correct": o["key"] in "AB"} for o in multiple["options"]]
    assert any("(Choose two.)" in p for p in question_problems(multiple))
    (tmp_path / "a.json").write_text(json.dumps([raw]))
    (tmp_path / "b.json").write_text(json.dumps([raw]))
    with pytest.raises(BankError, match="already used"):
        load_bank(tmp_path)


# -- Leitner scheduling -----------------------------------------------------------------------------

def test_leitner_boxes_move_up_on_right_and_back_to_one_on_wrong(tmp_path, bank):
    question = bank[0]
    wrong_key = next(o.key for o in question.options if not o.correct)
    store = ReviewStore(tmp_path / "answers.json")
    day = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    assert store.is_due(question.id, day.date())
    boxes = []
    for _ in range(6):
        right, card = store.record(question, question.answer, when=day)
        assert right
        boxes.append(card.box)
        assert card.due == (day.date() + timedelta(days=INTERVAL_DAYS[card.box])).isoformat()
        assert not store.is_due(question.id, day.date())
        day = datetime.combine(date.fromisoformat(card.due), day.timetz())
    assert boxes == [2, 3, 4, 5, 5, 5]
    right, card = store.record(question, [wrong_key], when=day)
    assert not right and card.box == 1 and card.due == (day.date() + timedelta(days=1)).isoformat()
    # persisted: a new store reads the same card
    again = ReviewStore(tmp_path / "answers.json").card(question.id)
    assert (again.box, again.seen, again.right, again.last_answer) == (1, 7, 6, [wrong_key])
    assert [next_box(b, True) for b in range(1, 6)] == [2, 3, 4, 5, 5]
    assert [next_box(b, False) for b in range(1, 6)] == [1, 1, 1, 1, 1]


def test_due_orders_overdue_before_unseen(tmp_path, bank):
    first, second, third = bank[:3]
    store = ReviewStore(tmp_path / "answers.json")
    monday = datetime(2026, 11, 30, tzinfo=timezone.utc)
    store.record(first, first.answer, when=monday)          # box 2, due Wednesday
    store.record(second, ["Z"], when=monday)                 # wrong: box 1, due Tuesday
    assert store.due([first, second, third], date(2026, 11, 30)) == [third]
    assert store.due([first, second, third], date(2026, 12, 1)) == [second, third]
    assert store.due([first, second, third], date(2026, 12, 2)) == [second, first, third]


# -- the CLI ----------------------------------------------------------------------------------------

def test_every_quiz_command_has_an_example():
    from sandbox.quiz.cli import quiz_group

    assert "Example:" in quiz_group.help
    for command in quiz_group.commands.values():
        assert "Example:" in command.help, command.name


def test_quiz_asks_grades_explains_and_records(state_dir, bank):
    task_questions = select(bank, exam="DEA-C01", task="1.1")
    first, second = task_questions[:2]
    assert first.type == second.type == "single"   # the answers below are single letters
    wrong = next(o.key for o in second.options if not o.correct)
    runner = CliRunner()
    other_wrong = next(o.key for o in second.options if not o.correct and o.key != wrong)
    # "xyz" and two letters for a single-answer question are refused and asked again
    answers = f"{','.join(first.answer)}\nxyz\n{wrong},{other_wrong}\n{wrong}\n"
    result = runner.invoke(main, ["quiz", "--exam", "DEA-C01", "--task", "1.1", "--count", "2"], input=answers)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())          # the CLI wraps lines at 100 characters
    assert first.question[:60] in flat and second.question[:60] in flat
    assert "RIGHT" in result.output and "WRONG" in result.output
    assert result.output.count("choose one letter from") == 2
    for option in (*first.options, *second.options):
        assert " ".join(option.explanation.split()) in flat
    assert "1 of 2 right" in result.output
    stored = json.loads((state_dir / "quiz" / "answers.json").read_text())["cards"]
    assert stored[first.id]["box"] == 2 and stored[first.id]["right"] == 1
    assert stored[second.id]["box"] == 1 and stored[second.id]["last_answer"] == [wrong]

    # the next run starts with unseen questions: the two answered ones are not due today
    again = runner.invoke(main, ["quiz", "--exam", "DEA-C01", "--task", "1.1", "--count", "1"], input="q\n")
    assert again.exit_code == 0, again.output
    again_flat = " ".join(again.output.split())
    assert first.question[:60] not in again_flat and second.question[:60] not in again_flat
    assert "0 of 0 right" in again.output

    stats = runner.invoke(main, ["quiz", "stats", "--exam", "DEA-C01"])
    assert stats.exit_code == 0, stats.output
    row = next(line for line in stats.output.splitlines() if "Perform data ingestion" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[:3] == ["DEA-C01", "1.1", "Perform data ingestion"]
    assert cells[3:] == [str(len(task_questions)), "2", "50", "1", "1", "0", "0", "0"]


def test_a_broken_answers_file_is_a_clean_error(state_dir):
    (state_dir / "quiz").mkdir(parents=True)
    (state_dir / "quiz" / "answers.json").write_text("{not json")
    for args in (["quiz", "--count", "1"], ["quiz", "stats"]):
        result = CliRunner().invoke(main, args, input="q\n")
        assert result.exit_code == 1 and "is not a quiz answers file" in result.output, result.output
        assert not isinstance(result.exception, ValueError)


@pytest.mark.parametrize("args,expected", [
    (["--notebook", "03_glue_catalog_crawlers"], dict(notebook="03_glue_catalog_crawlers")),
    (["--exam", "MLA-C01", "--domain", "4"], dict(exam="MLA-C01", domain=4)),
])
def test_quiz_filters_pick_the_first_due_matching_question(state_dir, bank, args, expected):
    first = select(bank, **expected)[0]
    others = [q for q in bank if q not in select(bank, **expected)]
    result = CliRunner().invoke(main, ["quiz", *args], input="q\n")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())          # the CLI wraps lines at 100 characters
    assert first.question[:80] in flat
    assert not any(q.question[:80] in flat for q in others)
    assert "0 of 0 right" in result.output


def test_quiz_with_nothing_matching_says_so(state_dir):
    result = CliRunner().invoke(main, ["quiz", "--notebook", "no_such_notebook"])
    assert result.exit_code != 0 and "no questions match" in result.output


@pytest.mark.slow
def test_export_json_holds_the_whole_bank(tmp_path, bank):
    runner = CliRunner()
    result = runner.invoke(main, ["quiz", "export", "--json"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    assert [q["id"] for q in exported] == [q.id for q in bank]
    by_id = {q.id: q for q in bank}
    for item in exported:
        question = by_id[item["id"]]
        assert item["answers"] == list(question.answer) == [o["key"] for o in item["options"] if o["correct"]]
        assert item["exam"] == question.exam and item["task"] == question.task
        assert item["references"] and all(o["explanation"] for o in item["options"])
        assert item["task_title"] == EXAMS[question.exam].tasks[question.task]
    out = tmp_path / "bank.json"
    to_file = runner.invoke(main, ["quiz", "export", "--json", str(out)])
    assert to_file.exit_code == 0 and json.loads(out.read_text()) == exported


# -- notebooks --------------------------------------------------------------------------------------

def test_check_yourself_prints_questions_with_answers_folded(capsys, bank):
    from sandbox.quiz import check_yourself

    check_yourself("02_streaming_ingest", count=3)
    text = capsys.readouterr().out
    expected = select(bank, notebook="02_streaming_ingest")
    assert text.count("<details><summary>Answer</summary>") == min(3, len(expected))
    shown = [q for q in expected if q.question in text]
    assert len(shown) == min(3, len(expected))
    for question in shown:
        after = text.split(question.question, 1)[1].split("</details>", 1)[0]
        assert after.index("<details>") < after.index(f"**Answer: {', '.join(question.answer)}**")
    check_yourself("no_questions_here")
    assert "sandbox quiz" in capsys.readouterr().out


def test_check_yourself_renders_markdown_in_a_kernel_without_waiting(monkeypatch):
    """In Jupyter the text goes to IPython.display as Markdown; nothing reads stdin."""
    import io
    import sys

    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))        # any read would get EOF at once
    from sandbox.quiz import check_yourself

    assert check_yourself("05_athena_redshift", count=2) is None
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Markdown)
    assert shown[0].data.count("<details><summary>Answer</summary>") == 2
