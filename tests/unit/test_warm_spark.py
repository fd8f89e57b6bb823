"""The warm Spark driver pool (emulators/core/warm_spark.py), without a sandbox server.

A warm driver runs a handed-over script as a cold ``script_driver`` run would (argv, environment, working
folder, output files, exit status, traceback), reuses its running SparkContext, is discarded after the job
while a fresh one warms, and never outlives the process that owns the pool.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from emulators.core import script_driver, warm_spark
from emulators.core.warm_spark import LOOPBACK_SUBMIT_ARGS, WarmSparkPool, driver_environment
from emulators.glue.jobs import SPARK_SUBMIT_ARGS

pytestmark = pytest.mark.slow  # every warm driver starts a JVM
SUBMIT = SPARK_SUBMIT_ARGS.format(master="local[2]")


def alive(pid: int) -> bool:
    """A live process (not a zombie) of that id."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of every process below ``pid``."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.find("(") + 1:stat.rfind(")")]
            parents.setdefault(int(stat[stat.rfind(")") + 2:].split()[1]), []).append((int(entry.name), name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


@pytest.fixture
def pool(tmp_path: Path):
    pool = WarmSparkPool(tmp_path / "pool")
    yield pool
    pool.stop()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def cold_run(script: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, script_driver.__file__, str(script), *args], cwd=cwd, capture_output=True,
                          text=True, env=driver_environment(SUBMIT), timeout=600)


def handed_over(pool: WarmSparkPool, script: Path, args: list[str], folder: Path, **env: str):
    out, err = folder / "stdout", folder / "stderr"
    process = pool.launch(script, args, {**driver_environment(SUBMIT), **env}, folder, out, err)
    assert process is not None
    return process, out, err


def test_a_handed_over_job_runs_on_the_running_spark_with_its_argv_env_and_folder(pool, tmp_path, monkeypatch):
    pool.base_env = {**os.environ, "UNSET_ME": "the driver had it, the job has not"}
    monkeypatch.setattr(warm_spark, "WAIT_FOR_WARMING", 600)  # however slow the machine, it waits
    pool.prepare(LOOPBACK_SUBMIT_ARGS.format(master="local[2]"))  # what an EMR step would warm
    warm_pid = pool.idle_pid()  # still warming: the job below waits for it instead of starting a cold JVM
    script = write(tmp_path, "job.py", """
        import os, sys
        from pyspark.context import SparkContext
        from pyspark.sql import SparkSession
        sc = SparkContext()                       # as Glue scripts do: the running context comes back
        spark = SparkSession.builder.getOrCreate()
        print("argv", sys.argv[1:])
        print("env", os.environ["JOB_ONLY"], "PATH" in os.environ, "UNSET_ME" in os.environ)
        print("cwd", os.getcwd())
        print("shuffle", spark.conf.get("spark.sql.shuffle.partitions"), spark.conf.get("spark.sql.session.timeZone"),
              sc is SparkContext.getOrCreate())
        print("count", spark.range(1000).count())
        print("worker env", spark.range(2).rdd.map(lambda r: os.environ.get("JOB_ONLY")).collect())
        print("to stderr", file=sys.stderr)
        """)
    folder = tmp_path / "run"
    folder.mkdir()
    env = {**driver_environment(SUBMIT), "JOB_ONLY": "from the job"}  # a Glue run: its spark.sql settings
    command = [sys.executable, script_driver.__file__, str(script), "--JOB_NAME", "j1", "--flag", "x y"]
    process = pool.launch_spec(Spec(command, env, folder))
    assert process is not None and process.pid == warm_pid
    assert process.wait(600) == 0, (folder / "stderr").read_text()
    out = (folder / "stdout").read_text().splitlines()
    assert out == ["argv ['--JOB_NAME', 'j1', '--flag', 'x y']", "env from the job True False",
                   f"cwd {folder}", "shuffle 4 UTC True", "count 1000", "worker env ['from the job', 'from the job']"]
    assert "to stderr" in (folder / "stderr").read_text()

    # discarded after its job; a fresh driver warms for the next one
    assert not alive(warm_pid)
    assert pool.wait_ready(600)
    assert pool.idle_pid() not in (None, warm_pid)


def test_exit_status_and_traceback_are_those_of_a_cold_run(pool, tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_WARM_SPARK_IDLE_MINUTES", "0.05")  # 3 s: checked at the end
    failing = write(tmp_path, "failing.py", """
        import sys
        print("before the error")
        def load(): raise ValueError("input table is empty")
        load()
        """)
    cold = cold_run(failing, [], tmp_path)
    pool.prepare(SUBMIT)
    assert pool.wait_ready(600)
    process, out, err = handed_over(pool, failing, [], tmp_path)
    assert process.wait(600) == cold.returncode == 1
    assert out.read_text() == cold.stdout == "before the error\n"
    warm_lines, cold_lines = err.read_text().splitlines(), cold.stderr.splitlines()
    assert warm_lines[-1] == cold_lines[-1] == "ValueError: input table is empty"
    assert "Traceback (most recent call last):" in warm_lines
    assert warm_lines[-3:-1] == cold_lines[-3:-1]  # the script's own frame

    exiting = write(tmp_path, "exiting.py", """
        import sys
        from pyspark.sql import SparkSession
        print("to stderr first", file=sys.stderr)
        print("partitions", SparkSession.builder.getOrCreate().conf.get("spark.sql.shuffle.partitions"))
        sys.exit(3)
        """)
    folder = tmp_path / "emr"
    folder.mkdir()
    assert pool.wait_ready(600)  # the next driver warmed once the last job's process ended
    process = pool.launch(exiting, [], driver_environment(SUBMIT), folder, folder / "stdout", folder / "stderr",
                          python_stderr_to_stdout=True,  # as spark-submit passes the driver's stderr on
                          sql_conf={"spark.sql.shuffle.partitions": "3"})
    assert process is not None
    assert process.wait(600) == 3  # sys.exit(3), as a cold run exits
    out = (folder / "stdout").read_text()
    assert "to stderr first" in out and "partitions 3" in out

    # the driver warmed after that job is ended once it has waited SANDBOX_WARM_SPARK_IDLE_MINUTES for a job
    deadline = time.monotonic() + 600
    assert pool.wait_ready(600)
    while pool.idle_pid() is not None:
        assert time.monotonic() < deadline, "an idle driver was kept"
        time.sleep(0.5)


class Spec:
    """The fields of ``emulators.core.jobs.ProcessSpec`` a launcher reads."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.command, self.env, self.cwd = command, env, cwd
        self.stdout_path, self.stderr_path, self.append = cwd / "stdout", cwd / "stderr", False


def test_jobs_start_cold_when_switched_off_stopped_or_nothing_is_ready(pool, tmp_path, monkeypatch):
    from emulators.emr.steps import spark_submit_executable

    env = driver_environment(SUBMIT)
    glue_command = [sys.executable, script_driver.__file__, "job.py", "--JOB_NAME", "j"]
    monkeypatch.setenv(warm_spark.SWITCH, "0")
    pool.prepare(SUBMIT)
    assert pool.idle_pid() is None
    assert pool.launch_spec(Spec(glue_command, env, tmp_path)) is None
    monkeypatch.delenv(warm_spark.SWITCH)

    # spark-submit options a running JVM cannot take, or no Spark configuration at all: cold
    submit = spark_submit_executable()
    for command in ([submit, "--master", "local[*]", "--conf", "spark.executor.memory=2g", script_driver.__file__,
                     "s.py"],
                    [submit, "--master", "local[*]", "--py-files", "deps.zip", script_driver.__file__, "s.py"],
                    [sys.executable, "other_program.py"]):
        assert pool.launch_spec(Spec(command, env, tmp_path)) is None
    assert pool.launch_spec(Spec(glue_command, {k: v for k, v in env.items() if k != "PYSPARK_SUBMIT_ARGS"},
                                 tmp_path)) is None
    assert pool.idle_pid() is None  # none of those warmed anything
    # nothing ready: cold, and a driver for this configuration starts warming for the next job
    assert pool.launch_spec(Spec(glue_command, env, tmp_path)) is None
    assert pool.idle_pid() is not None
    pool.stop()
    pool = WarmSparkPool(tmp_path / "pool2")

    # warming ahead; asking for another configuration replaces the idle driver
    pool.prepare(SUBMIT)
    first, first_driver = pool.idle_pid(), pool._driver
    pool.prepare(SUBMIT)
    assert pool.idle_pid() == first
    other = SUBMIT.replace("pyspark-shell", "--conf spark.sql.ansi.enabled=true pyspark-shell")
    pool.prepare(other)
    second = pool.idle_pid()
    assert second not in (None, first)
    assert not alive(first)
    # the replaced driver's end is no failed warm-up (which would leave jobs cold for a minute): once its
    # watcher has seen it end, asking for the first configuration again warms a driver for it
    assert first_driver is not None and not first_driver.wait_ready(60)  # its watcher saw it end
    pool.prepare(SUBMIT)
    assert pool.idle_pid() not in (None, first, second)
    pool.stop()
    assert pool.idle_pid() is None
    assert pool.launch_spec(Spec(glue_command, env, tmp_path)) is None


def test_commands_the_pool_can_take_over():
    from emulators.core.warm_spark import _job_of_command
    from emulators.emr.steps import spark_submit_executable

    env = driver_environment(SUBMIT)
    plain = driver_environment(LOOPBACK_SUBMIT_ARGS.format(master="local[2]"))
    glue = _job_of_command([sys.executable, script_driver.__file__, "/w/job.py", "--JOB_NAME", "j"], plain)
    assert glue == ("/w/job.py", ["--JOB_NAME", "j"], plain, False, {})
    emr_env = {k: v for k, v in env.items() if k != "PYSPARK_SUBMIT_ARGS"}
    submit = spark_submit_executable()
    script, argv, step_env, through_submit, sql_conf = _job_of_command(
        [submit, "--master", "local[2]", "--conf", "spark.sql.shuffle.partitions=2", script_driver.__file__,
         "/w/s.py", "a"], emr_env)
    assert (script, argv, through_submit) == ("/w/s.py", ["a"], True)
    assert sql_conf == {"spark.sql.shuffle.partitions": "2"}
    assert step_env["PYSPARK_SUBMIT_ARGS"].startswith("--master local[2] --conf spark.ui.enabled=false")
    for options in (["--conf", "spark.executor.memory=2g"], ["--name", "x"], ["--conf"]):
        assert _job_of_command([submit, "--master", "local", *options, script_driver.__file__, "/w/s.py"],
                               emr_env) is None


def test_glue_runs_and_emr_steps_share_one_driver_configuration():
    """A Glue run's spark.sql settings are applied at hand-over, so it takes the driver an EMR step warmed (and
    the other way round) instead of each replacing the other's; other Spark settings keep their own driver."""
    from emulators.core.warm_spark import _job_of_command
    from emulators.emr.steps import spark_submit_executable
    from emulators.glue.jobs import SPARK_SUBMIT_ARGS

    glue_args = SPARK_SUBMIT_ARGS.format(master="local[*]")
    env = driver_environment(glue_args)
    glue = _job_of_command([sys.executable, script_driver.__file__, "/w/job.py"], env)
    step = _job_of_command([spark_submit_executable(), "--master", "local[*]", script_driver.__file__, "/w/s.py"],
                           {k: v for k, v in env.items() if k != "PYSPARK_SUBMIT_ARGS"})
    assert glue[2]["PYSPARK_SUBMIT_ARGS"] == step[2]["PYSPARK_SUBMIT_ARGS"]
    assert glue[4] == {"spark.sql.shuffle.partitions": "4", "spark.sql.session.timeZone": "UTC",
                       "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
                       "spark.sql.ansi.enabled": "false"}
    own = glue_args.replace("pyspark-shell", "--conf spark.executor.memory=2g pyspark-shell")
    kept = _job_of_command([sys.executable, script_driver.__file__, "/w/job.py"], driver_environment(own))
    assert kept[2]["PYSPARK_SUBMIT_ARGS"] == own and kept[4] == {}


def test_a_driver_that_cannot_start_spark_leaves_jobs_cold(tmp_path):
    broken = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java")}
    pool = WarmSparkPool(tmp_path / "pool", base_env=broken)
    try:
        pool.prepare(SUBMIT)
        assert not pool.wait_ready(600)  # its warm-up failed
        script = write(tmp_path, "plain.py", "print('ran')\n")
        assert pool.launch(script, [], driver_environment(SUBMIT, broken), tmp_path, tmp_path / "o", None) is None
        pool.prepare(SUBMIT)  # no new attempt for a while
        assert pool.idle_pid() is None
    finally:
        pool.stop()


OWNER = """
import sys, time
from pathlib import Path
from emulators.core.warm_spark import WarmSparkPool
pool = WarmSparkPool(Path(sys.argv[1]))
pool.prepare(sys.argv[2])
while pool.idle_pid() is None:
    time.sleep(0.05)
print(pool.idle_pid(), flush=True)
time.sleep(600)
"""


def test_a_killed_owner_leaves_no_warm_driver_or_jvm_behind(tmp_path):
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path / "pool"), SUBMIT], stdout=subprocess.PIPE,
                             text=True)
    try:
        warm = int(owner.stdout.readline())
        deadline = time.monotonic() + 600
        while not any("java" in name for _, name in descendants(warm)):
            assert time.monotonic() < deadline, "the warm driver never started its JVM"
            time.sleep(0.2)
        family = [warm, *(pid for pid, _ in descendants(warm))]
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        deadline = time.monotonic() + 60
        while any(alive(pid) for pid in family):
            assert time.monotonic() < deadline, "the warm driver or its JVM outlived its owner"
            time.sleep(0.2)
    finally:
        owner.kill()
