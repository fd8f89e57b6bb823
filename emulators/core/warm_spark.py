"""One pre-started Spark driver process, so a Glue job run or an EMR step does not pay Spark's start-up.

Starting a PySpark driver (JVM, SparkContext, first job) takes 8-25 s on a small machine; the script
itself is often a second. The pool keeps **one** driver process warm
(``python emulators/core/script_driver.py --warm``: loopback, UI off, the job's ``PYSPARK_SUBMIT_ARGS``),
waiting for one job. Handing a job over sends one JSON line on the process's stdin; the process points its
output at the job's files, applies the environment, changes folder and runs the script as ``__main__``
exactly as a cold start does, then exits with the script's status. **After each job the process is
discarded** and a fresh one warms in the background, so jobs never share a JVM or a SparkContext.

- A job runs cold (the pool answers ``None``) when the pool is switched off (``SANDBOX_WARM_SPARK=0``),
  stopped, when a driver failed to warm in the last minute, or when the command carries what a running JVM
  cannot take (spark-submit options of an EMR step other than ``--master`` and ``--conf spark.sql.*``, or
  no ``PYSPARK_SUBMIT_ARGS``). ``spark.sql.*`` settings are applied to the running session; a static one
  (which a session cannot change) makes the driver ``exec`` the step's own spark-submit instead. A Glue
  run's ``PYSPARK_SUBMIT_ARGS`` (loopback, plus ``spark.sql.*`` settings) are taken the same way, so Glue
  runs and EMR steps share one driver configuration and alternating them keeps the pool warm.
- A job starts cold too when no driver is ready for its Spark configuration (``PYSPARK_SUBMIT_ARGS``,
  ``JAVA_HOME``, ``SPARK_HOME``, ... :data:`JVM_VARIABLES`); the pool then warms one for that configuration
  (replacing an idle driver of another one), so the next such job finds it. A job that arrives while a
  driver of its configuration is warming waits for it (at most :data:`WAIT_FOR_WARMING`) instead of
  starting a second JVM beside it: the wait costs no more than a cold start.
- Warming starts only when Glue or EMR runs a job (or :meth:`WarmSparkPool.prepare` asks), never at
  ``sandbox up``; after each job that ran on a driver, the next one warms once that job's process ended.
- A ready driver no job took for ``SANDBOX_WARM_SPARK_IDLE_MINUTES`` (30) is ended; the next job starts one.
- The warm process reads its stdin until it closes: if the server dies, the waiting driver (or the job it
  runs, with its JVM) ends.

:func:`pool_for` gives the pool of a cloud (a provider's install creates it; it is stopped with the cloud);
:func:`launch_spec` is the ``ProcessSpec.launcher`` Glue and EMR pass to the job runtime (it reads the job
from the spec's cold command); :meth:`WarmSparkPool.launcher` builds one from (script, argv, env, cwd).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from emulators.core import spark

log = logging.getLogger(__name__)

SWITCH = "SANDBOX_WARM_SPARK"
JVM_VARIABLES = ("PYSPARK_SUBMIT_ARGS", "SPARK_SUBMIT_OPTS", "JAVA_HOME", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "SPARK_HOME",
                 "SPARK_CONF_DIR", "SPARK_LOCAL_IP", "SPARK_LOCAL_DIRS", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON",
                 "HADOOP_CONF_DIR", "SPARK_MASTER")
LOOPBACK_SUBMIT_ARGS = ("--master {master} --conf spark.ui.enabled=false --conf spark.driver.bindAddress=127.0.0.1 "
                        "--conf spark.driver.host=127.0.0.1 pyspark-shell")
_LOOPBACK_CONF = frozenset({"spark.ui.enabled=false", "spark.driver.bindAddress=127.0.0.1",
                            "spark.driver.host=127.0.0.1"})
_PRIVATE = ("SANDBOX_WARM_READY_FD",)
# one run's own variables (step and cluster ids, bookmark file, staging folder): a driver warmed for the next
# job does not carry them, so no process outlives a step with its id in its environment
RUN_VARIABLES = ("EMR_", "SANDBOX_GLUE_", "SANDBOX_SPARK_STAGING")
RETRY_AFTER_FAILURE = 60.0
WAIT_FOR_WARMING = 90.0  # a job waits this long at most for a driver of its configuration that is warming


def enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def idle_seconds() -> float:
    """How long a ready driver waits for a job before it is ended (``SANDBOX_WARM_SPARK_IDLE_MINUTES``, 30)."""
    try:
        return max(0.0, float(os.environ.get("SANDBOX_WARM_SPARK_IDLE_MINUTES", "30")) * 60)
    except ValueError:
        return 1800.0


def driver_environment(submit_args: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a driver process for ``submit_args`` (what a cold job gets, less the job's own)."""
    return spark.with_jvm_options({**(os.environ if base is None else base), "PYSPARK_SUBMIT_ARGS": submit_args,
                                   "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
                                   "SPARK_LOCAL_IP": "127.0.0.1", "PYTHONUNBUFFERED": "1"})


class _Driver:
    """One warm process: its Popen, its configuration and whether it is ready."""

    def __init__(self, process: subprocess.Popen, submit_args: str, env: dict[str, str], log_path: Path,
                 home: Path) -> None:
        self.process = process
        self.submit_args = submit_args
        self.env = env
        self.log_path = log_path
        self.home = home  # the driver's own working folder (Spark's spark-warehouse default), removed after it
        self.state = "warming"  # -> ready | failed
        self.taken = False
        self.discarded = False  # the pool ended it (replaced, idle, stopped): its end is no failure to warm
        self.changed = threading.Condition()

    def wait_ready(self, timeout: float) -> bool:
        with self.changed:
            self.changed.wait_for(lambda: self.state != "warming", timeout)
            return self.state == "ready"


class WarmSparkPool:
    """Keeps at most one warm Spark driver process for the next job."""

    def __init__(self, folder: Path, base_env: Mapping[str, str] | None = None) -> None:
        self.folder = Path(folder)
        self.base_env = base_env
        self._lock = threading.Lock()
        self._driver: _Driver | None = None
        self._env: dict[str, str] | None = None
        self._failed_at = 0.0
        self._stopped = False
        self._started = 0

    # -- warming ------------------------------------------------------------------------------------------
    def prepare(self, submit_args: str, env: Mapping[str, str] | None = None) -> None:
        """Have a driver for ``submit_args`` warming or ready (replacing an idle one of another configuration).

        ``env``: the environment of the job that asks (the next job of its kind will have nearly the same);
        by default the pool's base environment with the Spark variables of :func:`driver_environment`.
        """
        if not enabled():
            return
        with self._lock:
            if env is not None:  # the next job's driver: without this job's own identity (set at hand-over)
                self._env = {k: v for k, v in env.items() if k not in _PRIVATE and not k.startswith(RUN_VARIABLES)}
            if self._stopped or time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE:
                return
            current = self._driver
            if current is not None and current.process.poll() is None and current.submit_args == submit_args:
                return
            self._driver = None
            env = dict(self._env) if self._env is not None and self._env.get("PYSPARK_SUBMIT_ARGS") == submit_args \
                else driver_environment(submit_args, self.base_env)
            self._start_locked(submit_args, env)
        if current is not None:
            _kill(current)

    def _start_locked(self, submit_args: str, env: dict[str, str]) -> _Driver:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._started += 1
        log_path = self.folder / f"warm-driver-{self._started % 4}.log"  # the last few, for diagnosis
        home = self.folder / f"driver-{os.getpid()}-{self._started}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        read_end, write_end = os.pipe()
        from emulators.core import script_driver

        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, script_driver.__file__, "--warm"], stdin=subprocess.PIPE, stdout=log_file,
                stderr=subprocess.STDOUT, cwd=home, env={**env, "SANDBOX_WARM_READY_FD": str(write_end)},
                pass_fds=(write_end,), start_new_session=True)
        os.close(write_end)
        driver = _Driver(process, submit_args, env, log_path, home)
        self._driver = driver
        threading.Thread(target=self._watch_ready, args=(driver, read_end), daemon=True,
                         name="warm-spark-ready").start()
        return driver

    def _watch_ready(self, driver: _Driver, read_end: int) -> None:
        with os.fdopen(read_end, "rb") as pipe:
            word = pipe.readline().strip().decode(errors="replace")
        failed = word != "ready"
        if failed:  # the failure time is set, and the driver leaves the pool, before anyone sees it failed
            with self._lock:
                if not driver.discarded:  # a driver the pool ended while it warmed did not fail to warm
                    self._failed_at = time.monotonic()
                if self._driver is driver:
                    self._driver = None
        with driver.changed:
            driver.state = "failed" if failed else "ready"
            driver.changed.notify_all()
        if failed:
            if not driver.discarded:
                log.warning("a warm Spark driver did not start (see %s); jobs start cold for a while", driver.log_path)
            _kill(driver)
            return
        with driver.changed:  # an idle JVM holds memory: after a while without jobs it goes (the next job starts one)
            driver.changed.wait_for(lambda: driver.taken, idle_seconds())
        with self._lock:
            idle = self._driver is driver and not driver.taken
            if idle:
                self._driver = None
        if idle:
            _kill(driver)

    # -- handing a job over -------------------------------------------------------------------------------
    def launch(self, script: str | Path, argv: list[str], env: Mapping[str, str], cwd: str | Path,
               stdout_path: str | Path, stderr_path: str | Path | None,
               python_stderr_to_stdout: bool = False, append: bool = False,
               sql_conf: Mapping[str, str] | None = None,
               cold_command: list[str] | None = None,
               cold_env: Mapping[str, str] | None = None) -> subprocess.Popen | None:
        """Run a job on the warm driver: its Popen (already in its own session), or None to start cold.

        ``env`` is the job's whole environment (what the cold process would get). ``stderr_path`` None puts
        stderr into stdout; ``python_stderr_to_stdout`` does so for the script's stderr only (as
        spark-submit does) while the JVM's own stderr goes to ``stderr_path``. ``append`` adds to the files
        instead of replacing them. ``sql_conf``: ``spark.sql.*`` settings applied to the running session
        before the script; one the session cannot change (a static one) makes the driver ``exec``
        ``cold_command`` instead (with ``cold_env`` over the job's environment), as does a failed warm-up. The Popen's stdin is the driver's lifeline:
        closing it ends the job.
        """
        if not enabled():
            return None
        submit_args = env.get("PYSPARK_SUBMIT_ARGS")
        if not submit_args:
            return None
        with self._lock:
            warming = self._driver
        if (warming is not None and warming.state == "warming" and warming.submit_args == submit_args
                and _same_jvm(warming.env, env)):
            # a driver for this job is starting: waiting for it costs no more than a cold start, and a cold
            # JVM beside a warming one would take both cores of a small machine
            warming.wait_ready(WAIT_FOR_WARMING)
        with self._lock:
            driver = self._driver
            usable = (driver is not None and not self._stopped and driver.state == "ready"
                      and driver.process.poll() is None and _same_jvm(driver.env, env))
            if usable:
                driver.taken = True
                self._driver = None
        if not usable:
            self.prepare(submit_args, env)  # this job starts cold; the next one of its kind finds a driver
            return None
        assert driver is not None
        with driver.changed:
            driver.changed.notify_all()
        job = {"script": str(script), "argv": [str(a) for a in argv], "cwd": str(cwd),
               "stdout": str(stdout_path), "stderr": str(stderr_path) if stderr_path else None,
               "python_stderr_to_stdout": python_stderr_to_stdout, "append": append,
               "sql_conf": dict(sql_conf or {}), "cold_command": list(cold_command or []),
               "cold_env": dict(cold_env or {}),
               "set": {k: v for k, v in env.items() if driver.env.get(k) != v and k not in _PRIVATE},
               "unset": [k for k in driver.env if k not in env]}
        try:
            assert driver.process.stdin is not None
            driver.process.stdin.write(json.dumps(job).encode() + b"\n")
            driver.process.stdin.flush()
        except OSError:  # it died between the check and now: this job starts cold
            _kill(driver)
            return None
        self._warm_next_when_done(driver, submit_args, env)
        return driver.process

    def _warm_next_when_done(self, driver: _Driver, submit_args: str, env: Mapping[str, str]) -> None:
        """Warm the next driver once this job's process has ended (a warm-up beside a running job would take
        its CPU on a small machine; a job that arrives meanwhile waits for the warming driver instead)."""

        def later() -> None:
            driver.process.wait()
            shutil.rmtree(driver.home, ignore_errors=True)
            self.prepare(submit_args, env)

        threading.Thread(target=later, daemon=True, name="warm-spark-next").start()

    def launcher(self, script: str | Path, argv: list[str], env: Mapping[str, str], cwd: str | Path,
                 python_stderr_to_stdout: bool = False) -> Callable[[Any], subprocess.Popen | None]:
        """A ``ProcessSpec.launcher``: hands the spec's job to the warm driver, or None (start cold).

        Building it asks the pool to warm a driver for this configuration, so later runs find one.
        """
        if enabled() and env.get("PYSPARK_SUBMIT_ARGS"):
            self.prepare(env["PYSPARK_SUBMIT_ARGS"], env)

        def launch(spec: Any) -> subprocess.Popen | None:
            return self.launch(script, argv, env, cwd, spec.stdout_path, getattr(spec, "stderr_path", None),
                               python_stderr_to_stdout, bool(getattr(spec, "append", False)))

        return launch

    def launch_spec(self, spec: Any) -> subprocess.Popen | None:
        """A ``ProcessSpec.launcher`` that reads the job from the spec's cold command.

        ``python .../script_driver.py script args`` (a Glue run) runs with the spec's ``PYSPARK_SUBMIT_ARGS``,
        on the same loopback driver as EMR steps when those are the loopback ones plus ``spark.sql.*`` settings
        (applied to the running session at hand-over, so Glue runs and EMR steps take each other's drivers);
        ``spark-submit --master M .../script_driver.py script args`` (an EMR step with no other spark-submit
        option) runs on a loopback driver for master ``M``, the script's stderr into stdout as spark-submit
        passes it. Anything else (options a running JVM cannot take) starts cold.
        """
        parsed = _job_of_command([str(c) for c in spec.command], spec.env)
        if parsed is None:
            return None
        script, argv, env, through_spark_submit, sql_conf = parsed
        # what the pool's form of the job changed (a Glue run's own PYSPARK_SUBMIT_ARGS): its cold start keeps it
        cold_env = {k: v for k, v in spec.env.items() if env.get(k) != v}
        return self.launch(script, argv, env, spec.cwd, spec.stdout_path, getattr(spec, "stderr_path", None),
                           through_spark_submit, bool(getattr(spec, "append", False)), sql_conf,
                           [str(c) for c in spec.command], cold_env)

    # -- state --------------------------------------------------------------------------------------------
    def ready(self) -> bool:
        with self._lock:
            driver = self._driver
        return driver is not None and driver.state == "ready" and driver.process.poll() is None

    def wait_ready(self, timeout: float = 300.0) -> bool:
        """Wait until an idle driver is ready (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                driver = self._driver
            if driver is not None and driver.wait_ready(min(1.0, max(0.0, deadline - time.monotonic()))):
                return True
            if (driver is not None and driver.state == "failed") or (
                    driver is None and time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE):
                return False
            if driver is None:
                time.sleep(0.1)
        return self.ready()

    def idle_pid(self) -> int | None:
        with self._lock:
            return self._driver.process.pid if self._driver is not None else None

    def stop(self) -> None:
        """Kill the idle driver and warm no more (jobs already handed over belong to the job runtime)."""
        with self._lock:
            self._stopped = True
            driver, self._driver = self._driver, None
        if driver is not None:
            _kill(driver)


def _job_of_command(command: list[str], env: Mapping[str, str]
                    ) -> tuple[str, list[str], dict[str, str], bool, dict[str, str]] | None:
    """(script, argv, environment, through spark-submit, spark.sql settings) of a cold job command, or None
    when it must run cold (spark-submit options other than ``--master`` and ``--conf spark.sql.*``)."""
    from emulators.core import script_driver

    driver = os.path.realpath(script_driver.__file__)
    where = [i for i, part in enumerate(command) if part.endswith(".py") and os.path.realpath(part) == driver]
    if not where or where[0] + 1 >= len(command):
        return None
    at = where[0]
    script, argv = command[at + 1], command[at + 2:]
    if at == 1 and os.path.realpath(command[0]) == os.path.realpath(sys.executable):
        submit_args = env.get("PYSPARK_SUBMIT_ARGS")
        if not submit_args:
            return None
        loopback = _loopback_form(submit_args)
        if loopback is None:
            return script, argv, dict(env), False, {}
        master, sql_conf = loopback  # (a Glue run): the EMR steps' driver, its spark.sql settings at hand-over
        return script, argv, {**env, "PYSPARK_SUBMIT_ARGS": LOOPBACK_SUBMIT_ARGS.format(master=master)}, False, \
            sql_conf
    if os.path.basename(command[0]) != "spark-submit":
        return None
    options, master, sql_conf = command[1:at], None, {}
    if len(options) % 2:
        return None
    for name, value in zip(options[::2], options[1::2]):
        if name == "--master" and master is None:
            master = value
        elif name in ("--conf", "-c") and value.startswith("spark.sql.") and "=" in value:
            key, _, setting = value.partition("=")
            sql_conf[key] = setting
        else:
            return None
    if master is None:
        return None
    return script, argv, {**env, "PYSPARK_SUBMIT_ARGS": LOOPBACK_SUBMIT_ARGS.format(master=master)}, True, sql_conf


def _loopback_form(submit_args: str) -> tuple[str, dict[str, str]] | None:
    """(master, spark.sql settings) of ``PYSPARK_SUBMIT_ARGS`` that are :data:`LOOPBACK_SUBMIT_ARGS` plus
    ``--conf spark.sql.*`` settings (a running session takes those), else None."""
    import shlex

    try:
        words = shlex.split(submit_args)
    except ValueError:
        return None
    if not words or words[-1] != "pyspark-shell" or len(words) % 2 == 0:
        return None
    master, loopback, sql_conf = None, set(), {}
    for name, value in zip(words[:-1:2], words[1:-1:2]):
        key, equals, setting = value.partition("=")
        if name == "--master" and master is None:
            master = value
        elif name == "--conf" and value in _LOOPBACK_CONF:
            loopback.add(value)
        elif name == "--conf" and key.startswith("spark.sql.") and equals:
            sql_conf[key] = setting
        else:
            return None
    return (master, sql_conf) if master is not None and loopback == _LOOPBACK_CONF else None


def _same_jvm(warm_env: Mapping[str, str], job_env: Mapping[str, str]) -> bool:
    return all(warm_env.get(name) == job_env.get(name) for name in JVM_VARIABLES)


def _kill(driver: _Driver) -> None:
    driver.discarded = True
    try:
        os.killpg(driver.process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        if driver.process.stdin:
            driver.process.stdin.close()
    except OSError:
        pass
    try:
        driver.process.wait(10)
    except subprocess.TimeoutExpired:
        pass
    shutil.rmtree(driver.home, ignore_errors=True)


# -- one pool per cloud -------------------------------------------------------------------------------------
_pools: dict[int, WarmSparkPool] = {}
_current: WarmSparkPool | None = None  # the pool of the cloud that installed Glue or EMR last
_pools_lock = threading.Lock()


def pool_for(cloud: Any) -> WarmSparkPool:
    """The warm-driver pool of ``cloud`` (created idle by a provider's install, stopped with the cloud).

    It becomes the pool :func:`launch_spec` hands jobs to; nothing warms until a job runs.
    """
    global _current
    with _pools_lock:
        pool = _pools.get(id(cloud))
        if pool is None:
            pool = WarmSparkPool(Path(cloud.data_dir("spark")) / "warm")
            _pools[id(cloud)] = pool

            def stop() -> None:
                global _current
                pool.stop()
                with _pools_lock:
                    if _pools.get(id(cloud)) is pool:
                        del _pools[id(cloud)]
                    if _current is pool:
                        _current = None

            cloud.on_shutdown(stop)
        _current = pool
        return pool


def launch_spec(spec: Any) -> subprocess.Popen | None:
    """The ``ProcessSpec.launcher`` of Glue runs and EMR steps: the running cloud's pool, or None (cold)."""
    pool = _current
    return pool.launch_spec(spec) if pool is not None else None
