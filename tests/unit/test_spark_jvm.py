"""The JVM options of the sandbox's Spark drivers (emulators/core/spark.py): the class-data sharing archive
is used when one exists for this Java and Spark, never shown when it cannot be, and every job gets it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from emulators.core import jobs, spark


@pytest.fixture
def archive_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("SANDBOX_SPARK_CLASS_ARCHIVE", raising=False)
    monkeypatch.delenv("SANDBOX_SPARK_JVM_OPTIONS", raising=False)
    path = spark.class_archive_path()
    if path is None:
        pytest.skip("Java or PySpark is not installed")
    return path


def test_no_archive_no_option(archive_folder):
    assert "SharedArchiveFile" not in spark.jvm_options()
    assert "SPARK_SUBMIT_OPTS" not in spark.with_jvm_options({"A": "1"})


def test_an_existing_archive_goes_after_the_users_own_options_once(archive_folder):
    archive_folder.write_bytes(b"made by the test")
    env = spark.with_jvm_options({"SPARK_SUBMIT_OPTS": "-Dmine=1"})
    assert env["SPARK_SUBMIT_OPTS"] == f"-Dmine=1 -XX:SharedArchiveFile={archive_folder} {spark.QUIET}"
    assert spark.with_jvm_options(env) == env  # a job environment made from another one does not repeat it


def test_switched_off_and_own_options(archive_folder, monkeypatch):
    archive_folder.write_bytes(b"made by the test")
    monkeypatch.setenv("SANDBOX_SPARK_CLASS_ARCHIVE", "0")
    monkeypatch.setenv("SANDBOX_SPARK_JVM_OPTIONS", "-XX:TieredStopAtLevel=1")
    assert spark.jvm_options() == "-XX:TieredStopAtLevel=1"


def test_the_archive_is_named_after_java_and_spark(archive_folder, monkeypatch, tmp_path):
    fake = tmp_path / "other-spark"
    (fake / "jars").mkdir(parents=True)
    monkeypatch.setenv("SPARK_HOME", str(fake))
    assert spark.class_archive_path() != archive_folder  # another Spark finds no archive of this one


def test_every_job_environment_carries_the_options(archive_folder):
    archive_folder.write_bytes(b"made by the test")
    env = jobs.child_environment("http://127.0.0.1:4566", "eu-west-1")
    assert f"-XX:SharedArchiveFile={archive_folder}" in env["SPARK_SUBMIT_OPTS"]


@pytest.mark.skipif(shutil.which("java") is None, reason="no java")
def test_an_archive_the_jvm_cannot_use_is_ignored_without_a_word(monkeypatch, archive_folder):
    """A JDK update keeps java's path, and a JVM started by other means has another class path: either must
    start as before and say nothing on stdout (a job's log). Plain ``java`` has not Spark's class path, so the
    real archive (``run.py`` makes it) does not match it; a file that is no archive at all is the other case."""
    archive_folder.write_bytes(b"\0" * 4096)
    monkeypatch.delenv("SANDBOX_CACHE_DIR")
    real = spark.class_archive_path()
    for path in (archive_folder, real):
        if not path.is_file():
            continue
        done = subprocess.run(["java", f"-XX:SharedArchiveFile={path}", spark.QUIET, "-version"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0
        assert done.stdout == ""
        assert "archive" not in done.stderr.lower()
