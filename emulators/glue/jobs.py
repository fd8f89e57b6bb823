"""Run one Glue job script as a local PySpark process (the engine: no moto, no boto3)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SPARK_SUBMIT_ARGS = ("--master {master} --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions=4 "
                     "--conf spark.driver.bindAddress=127.0.0.1 --conf spark.driver.host=127.0.0.1 "
                     "--conf spark.sql.sources.partitionColumnTypeInference.enabled=false "
                     "--conf spark.sql.session.timeZone=UTC --conf spark.sql.ansi.enabled=false pyspark-shell")
_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)(: .*)?$")


@dataclass
class JobOutcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    stopped: bool = False

    @property
    def error_message(self) -> str:
        lines = [ln.rstrip() for ln in self.stderr.splitlines() if ln.strip()]
        raised = [ln for ln in lines if _RAISED.match(ln)]
        if raised:
            return raised[-1][:2048]
        return (lines[-1] if lines else f"the job script exited with code {self.exit_code}")[:2048]


def argument_list(arguments: dict[str, str]) -> list[str]:
    """Glue passes each argument as ``--name value`` (names keep their leading dashes)."""
    out: list[str] = []
    for name, value in arguments.items():
        out += [name if name.startswith("--") else f"--{name}", str(value)]
    return out


def run_job_script(script: Path, job_name: str, run_id: str, arguments: dict[str, str], workdir: Path,
                   env: dict[str, str], timeout_minutes: int | None = None,
                   should_stop: Callable[[], bool] = lambda: False) -> JobOutcome:
    workdir.mkdir(parents=True, exist_ok=True)
    args = ["--JOB_NAME", job_name, "--JOB_RUN_ID", run_id, *argument_list(arguments)]
    from emulators.core import script_driver

    command = [sys.executable, script_driver.__file__, str(script), *args]
    full_env = {
        **os.environ, **env,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYSPARK_SUBMIT_ARGS": SPARK_SUBMIT_ARGS.format(master=os.environ.get("SPARK_MASTER", "local[*]")),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SANDBOX_SPARK_STAGING": str(workdir / "staging"),
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()
    timed_out = stopped = False
    with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
        process = subprocess.Popen(command, cwd=workdir, env=full_env, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        while process.poll() is None:
            if should_stop():
                stopped = True
            elif timeout_minutes and time.monotonic() - started > timeout_minutes * 60:
                timed_out = True
            if stopped or timed_out:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
                break
            time.sleep(0.2)
    return JobOutcome(process.returncode, (workdir / "stdout").read_text(errors="replace"),
                      (workdir / "stderr").read_text(errors="replace"), time.monotonic() - started,
                      timed_out, stopped)
