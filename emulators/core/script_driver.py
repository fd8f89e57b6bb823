"""The entry point of a user's Spark script run by the sandbox (EMR steps, Glue job runs).

    python -m emulators.core.script_driver <script.py> [args...]      (or as spark-submit's primary resource)
    python emulators/core/script_driver.py --warm                    (a pre-started driver, see warm_spark)

It lets Spark read and write ``s3://`` paths through staging (see :mod:`emulators.core.spark_s3`),
then runs the script as ``__main__`` with its arguments in ``sys.argv``.

With ``--warm`` the process first starts the JVM, the SparkContext and a SparkSession (with the
configuration in ``PYSPARK_SUBMIT_ARGS``), imports what job scripts use, tells the pool it is ready, and
then waits for one job: a JSON line on stdin naming the script, its arguments, the environment changes,
the working folder and the output files. It points fds 1 and 2 at those files, applies the environment,
changes folder and runs the script exactly as a cold start does; the process then exits with the
script's status, so no two jobs ever share a driver. ``SparkContext()`` in the script returns the
context that is already running (``spark.sql.*`` entries of a ``conf`` it passes are applied to the
session; other settings a running JVM cannot take). The JVM's own output is relayed to the job's files.
Closing stdin ends the process (before or during the job), so it never outlives the server.
"""

from __future__ import annotations

import json
import os
import queue
import runpy
import signal
import subprocess
import sys
import threading
from typing import Any


def run_script(script: str, args: list[str]) -> None:
    """Run ``script`` as ``__main__`` with ``args`` (exceptions and ``SystemExit`` propagate as in a plain run)."""
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


def main() -> None:
    if sys.argv[1:] == ["--warm"]:
        _serve_one_job()
        return
    from emulators.core import spark_s3

    spark_s3.install()
    run_script(sys.argv[1], sys.argv[2:])


# -- the warm driver ---------------------------------------------------------------------------------------

_jvm_output = {"out": 1, "err": 2}  # where the JVM's stdout/stderr are relayed (fds), switched at hand-over


def _relay(pipe: Any, target: str) -> None:
    fd = pipe.fileno()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        try:
            os.write(_jvm_output[target], chunk)
        except OSError:
            pass


def _warm_up() -> None:
    """Start the JVM, the SparkContext and a session, and load what job scripts use."""
    from pyspark import SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    from emulators.core import spark_s3

    spark_s3.install()
    gateway = launch_gateway(popen_kwargs={"stdout": subprocess.PIPE, "stderr": subprocess.PIPE})
    for pipe, target in ((gateway.proc.stdout, "out"), (gateway.proc.stderr, "err")):
        threading.Thread(target=_relay, args=(pipe, target), daemon=True).start()
    SparkContext._ensure_initialized(gateway=gateway)
    sc = SparkContext()
    spark = SparkSession.builder.getOrCreate()
    # one shuffle job loads and compiles what most scripts run (scan, aggregate, exchange): it costs about 1.5
    # CPU-s and saves a job about 1.2. Python workers are not started here: a warm-up that started them
    # (createDataFrame from Python rows) cost 1.1 CPU-s more per driver and saved only the jobs that use them
    # (RDD functions, DynamicFrame map and filter) about 0.7; the Glue and EMR tests took 13 % less CPU without it
    spark.range(0, 1000, numPartitions=2).selectExpr("id % 7 AS k").groupBy("k").count().collect()
    _reuse_running_context(sc)
    import boto3

    import awsglue.context  # noqa: F401
    import awsglue.transforms  # noqa: F401

    for service in ("s3", "glue"):  # loads the service models once; clients read the endpoint per call site
        boto3.client(service, endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                     aws_access_key_id="warm", aws_secret_access_key="warm")


def _reuse_running_context(running: Any) -> None:
    """``SparkContext(...)`` returns the running context while it is active (one per process, as on Glue)."""
    from pyspark import SparkContext

    original_init = SparkContext.__init__

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        active = SparkContext._active_spark_context
        if cls is SparkContext and active is not None and kwargs.get("jsc") is None:
            return active
        return object.__new__(cls)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        if self is SparkContext._active_spark_context and getattr(self, "_jsc", None) is not None:
            conf = kwargs.get("conf") if "conf" in kwargs else (args[7] if len(args) > 7 else None)
            if conf is not None:
                from pyspark.sql import SparkSession

                session = SparkSession.getActiveSession()
                for key, value in conf.getAll():
                    if key.startswith("spark.sql.") and session is not None:
                        session.conf.set(key, value)
            return
        original_init(self, *args, **kwargs)

    SparkContext.__new__ = new  # type: ignore[method-assign]
    SparkContext.__init__ = init  # type: ignore[method-assign]


def _tell_pool(word: str) -> None:
    fd = os.environ.pop("SANDBOX_WARM_READY_FD", None)
    if fd is not None:
        try:
            os.write(int(fd), word.encode() + b"\n")
            os.close(int(fd))
        except OSError:
            pass


def _open_for_job(path: str, append: bool) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC), 0o644)


def _take_job_outputs(job: dict[str, Any]) -> None:
    """Point fds 1 and 2 (and the JVM relay) at the job's files."""
    sys.stdout.flush()
    sys.stderr.flush()
    append = bool(job.get("append"))
    out = _open_for_job(job["stdout"], append)
    err = _open_for_job(job["stderr"], append) if job.get("stderr") and job["stderr"] != job["stdout"] else None
    os.dup2(out, 1)
    if job.get("python_stderr_to_stdout") or err is None:
        os.dup2(out, 2)  # spark-submit hands the Python driver's stderr to its stdout
        _jvm_output["err"] = err if err is not None else 2
    else:
        os.dup2(err, 2)
        os.close(err)
        _jvm_output["err"] = 2
    os.close(out)
    _jvm_output["out"] = 1


def _apply_environment(job: dict[str, Any]) -> None:
    for key in job.get("unset", []):
        os.environ.pop(key, None)
    os.environ.update(job.get("set", {}))
    from pyspark import SparkContext

    active = SparkContext._active_spark_context
    if active is not None:  # Python workers forked by the JVM see the job's variables too
        active.environment.update(job.get("set", {}))
        for key in job.get("unset", []):
            active.environment.pop(key, None)


def _read_stdin(jobs: queue.Queue) -> None:
    """The pool holds our stdin: its first line is the job; when it closes (pool stopped, server gone), this
    process and its JVM end, whether warming, waiting or running the job."""
    pending, delivered = b"", False
    while True:
        try:
            chunk = os.read(0, 65536)  # the raw fd: a buffered reader would block the interpreter's exit
        except OSError:
            chunk = b""
        if not chunk:
            break
        pending += chunk
        if not delivered and b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            jobs.put(line)
            delivered = True
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _serve_one_job() -> None:
    jobs: queue.Queue = queue.Queue()
    threading.Thread(target=_read_stdin, args=(jobs,), daemon=True).start()
    try:
        _warm_up()
        warm = True
    except BaseException as exc:  # noqa: BLE001 (a failed warm-up still runs the job, cold)
        print(f"warm-up failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        warm = False
    _tell_pool("ready" if warm else "failed")
    print("warm driver ready" if warm else "warm driver failed, a job given to it runs cold", flush=True)
    job = json.loads(jobs.get())
    _take_job_outputs(job)
    if not warm or not _apply_sql_conf(job.get("sql_conf") or {}):
        _run_cold(job)
    _apply_environment(job)
    os.chdir(job["cwd"])
    run_script(job["script"], list(job["argv"]))


def _apply_sql_conf(settings: dict[str, str]) -> bool:
    """Set ``spark.sql.*`` settings on the running session; False if one is static (only a new JVM takes it)."""
    if not settings:
        return True
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is None or not all(session.conf.isModifiable(key) for key in settings):
        return False
    for key, value in settings.items():
        session.conf.set(key, value)
    return True


def _run_cold(job: dict[str, Any]) -> None:
    """Replace this process by the job's cold command (its JVM, if any, ends with our stdin pipe to it)."""
    os.environ.update(job.get("set", {}))
    for key in job.get("unset", []):
        os.environ.pop(key, None)
    os.environ.update(job.get("cold_env", {}))
    os.chdir(job["cwd"])
    if _jvm_output["err"] != 2:  # spark-submit itself writes its JVM's stderr to the stderr file
        os.dup2(_jvm_output["err"], 2)
    command = job.get("cold_command") or [sys.executable, os.path.abspath(__file__), job["script"], *job["argv"]]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
