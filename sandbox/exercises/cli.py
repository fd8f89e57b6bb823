"""``sandbox exercises``: list, show and grade the exercises against your running sandbox."""

from __future__ import annotations

import sys

import click


def _exercise(number: int):
    from sandbox.exercises import get

    try:
        return get(number)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None


@click.group("exercises")
def exercises_group() -> None:
    """Graded exercises in exam language, checked against your live sandbox.

    \b
    Example:
        sandbox exercises list
        sandbox exercises show 1
        sandbox exercises check 1
    """


@exercises_group.command("list")
def list_command() -> None:
    """List every exercise with its number, service and title.

    \b
    Example:
        sandbox exercises list
    """
    from sandbox.exercises import all_exercises

    for exercise in all_exercises():
        click.echo(f"{exercise.number:>3}. [{exercise.service}] {exercise.title}")
    click.echo("\n`sandbox exercises show N` states the task; `sandbox exercises check N` grades it.")


@exercises_group.command("show")
@click.argument("number", type=int)
def show_command(number: int) -> None:
    """State exercise NUMBER: the task, the exam points it covers, hints.

    \b
    Example:
        sandbox exercises show 11
    """
    exercise = _exercise(number)
    click.echo(f"Exercise {exercise.number}: {exercise.title}  [{exercise.service}]\n")
    click.echo(click.wrap_text(exercise.task, width=100) + "\n")
    click.echo("Exam points: " + "; ".join(exercise.exam_points))
    click.echo("Hints:")
    for hint in exercise.hints:
        click.echo(f"  - {hint}")
    if exercise.notebook:
        click.echo(f"Notebook: {exercise.notebook}")
    if exercise.setup is not None:
        click.echo(f"Diagnose and fix: first run `sandbox exercises setup {exercise.number}` to build what is broken")
    click.echo(f"Check it: sandbox exercises check {exercise.number}")
    click.echo(f"Reference solution (after you tried): sandbox/exercises/solutions/"
               f"{exercise.solution_module.rsplit('.', 1)[-1]}.py")


@exercises_group.command("check")
@click.argument("number", type=int, required=False)
@click.option("--all", "check_all", is_flag=True, help="Grade every exercise.")
def check_command(number: int | None, check_all: bool) -> None:
    """Grade exercise NUMBER (or --all) against your running sandbox.

    The check only reads your sandbox through the AWS API and says what is
    missing. Exits with code 1 when an exercise fails.

    \b
    Example:
        sandbox up
        sandbox exercises check 1
        sandbox exercises check --all
    """
    import sandbox
    from sandbox import cloud as cloud_control
    from sandbox.exercises import all_exercises, run_check

    if number is None and not check_all:
        raise click.UsageError("give an exercise number or --all")
    aws = sandbox.connect(start=False)
    if not __import__("os").environ.get("AWS_ENDPOINT_URL") and not cloud_control.status(aws.config).running:
        raise click.ClickException(f"the sandbox is not running on {aws.endpoint_url}: start it with `sandbox up`")
    chosen = all_exercises() if check_all else [_exercise(number)]
    failed = 0
    for exercise in chosen:
        result = run_check(exercise, aws)
        failed += not result.passed
        click.echo(result.describe())
    if len(chosen) > 1:
        click.echo(f"\n{len(chosen) - failed} of {len(chosen)} exercises pass")
    if failed:
        sys.exit(1)


@exercises_group.command("setup")
@click.argument("number", type=int)
def setup_command(number: int) -> None:
    """Build the broken starting point of "diagnose and fix" exercise NUMBER in your sandbox.

    Running it again rebuilds the broken state (your fix is undone).

    \b
    Example:
        sandbox up
        sandbox exercises setup 34
        sandbox exercises check 34
    """
    import sandbox

    exercise = _exercise(number)
    if exercise.setup is None:
        raise click.ClickException(f"exercise {number} is a build-it exercise: it has nothing to set up")
    aws = sandbox.connect(start=False)
    try:
        exercise.setup(aws)
    except Exception as exc:  # noqa: BLE001 - reported to the learner, not a traceback
        raise click.ClickException(f"setting up exercise {number} failed: {exc}") from None
    click.echo(f"exercise {number} is set up: `sandbox exercises show {number}` states what to fix, "
               f"`sandbox exercises check {number}` grades it")


COMMANDS = [exercises_group]
