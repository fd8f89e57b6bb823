"""``sandbox quiz``: exam questions in the terminal, spaced repetition, progress and export."""

from __future__ import annotations

import json
import sys

import click

from sandbox.quiz.questions import EXAMS


def _bank():
    from sandbox.quiz.questions import BankError, load_bank

    try:
        return load_bank()
    except BankError as exc:
        raise click.ClickException(f"the question bank is broken: {exc}") from None


def _store():
    from sandbox.quiz.review import ReviewStore, ReviewStoreError

    try:
        return ReviewStore()
    except ReviewStoreError as exc:
        raise click.ClickException(str(exc)) from None


def _ask(question, number: int, total: int) -> list[str] | None:
    """Print one question and read the answer; None when the learner quits."""
    click.echo(f"\n[{number}/{total}] {question.exam} {question.task} {question.task_title}  ({question.id})")
    click.echo(click.wrap_text(question.question, width=100))
    for option in question.options:
        click.echo(click.wrap_text(f"{option.key}. {option.text}", width=100, subsequent_indent="   "))
    keys = {option.key for option in question.options}
    wanted = len(question.answer) if question.type == "multiple" else 1
    hint = "one letter" if wanted == 1 else f"{wanted} letters, e.g. A,C"
    while True:
        reply = click.prompt(f"Your answer ({hint}; q to stop)", default="", show_default=False).strip()
        if reply.lower() in ("q", "quit"):
            return None
        chosen = sorted({letter for letter in reply.upper() if letter.isalpha()})
        if len(chosen) == wanted and set(chosen) <= keys:
            return chosen
        click.echo(f"  choose {hint} from {', '.join(sorted(keys))}")


@click.group("quiz", invoke_without_command=True)
@click.option("--exam", type=click.Choice(sorted(EXAMS), case_sensitive=False), help="Only this exam.")
@click.option("--domain", type=int, help="Only this domain (1-4).")
@click.option("--task", help="Only this task statement, e.g. 1.2.")
@click.option("--notebook", help="Only questions for this notebook, e.g. 02_streaming_ingest.")
@click.option("--count", default=10, show_default=True, type=click.IntRange(min=1), help="Questions to ask.")
@click.pass_context
def quiz_group(ctx: click.Context, exam: str | None, domain: int | None, task: str | None,
               notebook: str | None, count: int) -> None:
    """Practise exam questions (DEA-C01, MLA-C01) with spaced repetition.

    Asks the questions that are due (Leitner boxes: box 1 daily, 2 every 2 days,
    3 every 4, 4 every 8, 5 every 16; a right answer moves a question up a box,
    a wrong one back to box 1), shows whether you were right and why every option
    is right or wrong, and keeps your answers in the state folder (no cloud needed).

    \b
    Example:
        sandbox quiz --exam DEA-C01 --task 1.1 --count 5
        sandbox quiz stats
        sandbox quiz export --json bank.json
    """
    if ctx.invoked_subcommand is not None:
        return
    from sandbox.quiz.questions import select
    from sandbox.quiz.review import ReviewStoreError

    chosen = select(_bank(), exam=exam, domain=domain, task=task, notebook=notebook)
    if not chosen:
        raise click.ClickException("no questions match these filters")
    store = _store()
    due = store.due(chosen)[:count]
    if not due:
        next_due = min(store.card(q.id).due for q in chosen)
        click.echo(f"Nothing is due: all {len(chosen)} matching questions are scheduled; the next on {next_due}.")
        return
    asked = right_count = 0
    for number, question in enumerate(due, 1):
        answer = _ask(question, number, len(due))
        if answer is None:
            break
        try:
            right, card = store.record(question, answer)
        except ReviewStoreError as exc:
            raise click.ClickException(str(exc)) from None
        asked += 1
        right_count += int(right)
        verdict = click.style("RIGHT", fg="green") if right else click.style("WRONG", fg="red")
        click.echo(f"{verdict}: the answer is {', '.join(question.answer)}. Now in box {card.box}, due {card.due}.")
        for option in question.options:
            mark = "+" if option.correct else "-"
            click.echo(click.wrap_text(f"  {mark} {option.key}: {option.explanation}", width=100,
                                       subsequent_indent="      "))
        click.echo("  See: " + ", ".join(question.references))
    click.echo(f"\n{right_count} of {asked} right. Answers kept in {store.path}")


@quiz_group.command("stats")
@click.option("--exam", type=click.Choice(sorted(EXAMS), case_sensitive=False), help="Only this exam.")
def stats_command(exam: str | None) -> None:
    """Show your progress per task statement: seen, right %, Leitner boxes.

    \b
    Example:
        sandbox quiz stats
        sandbox quiz stats --exam MLA-C01
    """
    from rich.console import Console
    from rich.table import Table

    from sandbox.quiz.questions import select
    from sandbox.quiz.review import INTERVAL_DAYS, progress

    store = _store()
    table = Table(title=f"Quiz progress ({store.path})")
    for column in ("exam", "task", "task statement", "questions", "seen", "right %",
                   *(f"box {b}" for b in INTERVAL_DAYS)):
        table.add_column(column, overflow="fold")
    for row in progress(select(_bank(), exam=exam), store):
        percent = "-" if row.right_percent is None else f"{row.right_percent:.0f}"
        table.add_row(row.exam, row.task, row.title, str(row.questions), str(row.seen), percent,
                      *(str(row.boxes[b]) for b in INTERVAL_DAYS))
    Console(highlight=False, width=max(120, Console().width)).print(table)


@quiz_group.command("export")
@click.option("--json", "as_json", is_flag=True, required=True, help="Write JSON (the only format).")
@click.argument("file", type=click.File("w", encoding="utf-8"), required=False)
def export_command(as_json: bool, file) -> None:
    """Write the whole bank as JSON: id, exam, task, question, options, answers, explanations, references.

    FILE defaults to standard output.

    \b
    Example:
        sandbox quiz export --json bank.json
        sandbox quiz export --json | python -m json.tool | less
    """
    document = [question.to_dict() for question in _bank()]
    out = file or sys.stdout
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")
    if file is not None:
        click.echo(f"{len(document)} questions written to {file.name}", err=True)


COMMANDS = [quiz_group]
