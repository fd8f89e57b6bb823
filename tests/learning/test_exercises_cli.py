"""`sandbox exercises` list/show/check through click, against the session sandbox."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.exercises import all_exercises


def test_every_command_has_an_example():
    from sandbox.exercises.cli import exercises_group

    assert "Example:" in exercises_group.help
    for command in exercises_group.commands.values():
        assert "Example:" in command.help, command.name


def test_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(main, ["exercises", "list"])
    assert listed.exit_code == 0, listed.output
    for exercise in all_exercises():
        assert exercise.title in listed.output
    shown = runner.invoke(main, ["exercises", "show", "1"])
    assert shown.exit_code == 0
    assert "ex01-secure-lake" in shown.output and "Exam points" in shown.output
    missing = runner.invoke(main, ["exercises", "show", "99"])
    assert missing.exit_code != 0 and "no exercise 99" in missing.output


def test_check_reports_missing_then_pass(cloud, aws):
    runner = CliRunner()
    # exercise 3 has its own bucket; the session sandbox may have solved it already in another test
    from sandbox.exercises import get

    get(3).solution()(aws)
    passed = runner.invoke(main, ["exercises", "check", "3"])
    assert passed.exit_code == 0, passed.output
    assert "[PASS]" in passed.output
    aws.client("s3").delete_public_access_block(Bucket="ex03-private-data")
    failed = runner.invoke(main, ["exercises", "check", "3"])
    assert failed.exit_code == 1
    assert "missing: BlockPublicAcls is not true" in failed.output
    get(3).solution()(aws)
    usage = runner.invoke(main, ["exercises", "check"])
    assert usage.exit_code == 2 and "--all" in usage.output


@pytest.mark.slow
def test_setup_builds_the_broken_start_of_a_diagnose_and_fix_exercise(cloud, aws):
    from sandbox.exercises import get, run_check

    runner = CliRunner()
    shown = runner.invoke(main, ["exercises", "show", "35"])
    assert "sandbox exercises setup 35" in shown.output
    built = runner.invoke(main, ["exercises", "setup", "35"])
    assert built.exit_code == 0, built.output
    assert "exercise 35 is set up" in built.output
    failed = runner.invoke(main, ["exercises", "check", "35"])
    assert failed.exit_code == 1
    assert "every dt= folder becomes a table of its own" in failed.output
    try:
        get(35).solution()(aws)
        assert run_check(get(35), aws).passed
    finally:  # the session sandbox's exercise 35 unsolved again, as test_exercises.py expects to find it
        from sandbox.exercises.catalog import EX35_CRAWLER

        aws.client("glue").delete_crawler(Name=EX35_CRAWLER)
    build_it = runner.invoke(main, ["exercises", "setup", "1"])
    assert build_it.exit_code == 1 and "build-it exercise: it has nothing to set up" in build_it.output
