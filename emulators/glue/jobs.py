"""Run one Glue job script as a local PySpark process (the engine: no moto, no boto3)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulators.core import jobs, warm_spark

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
                   should_stop: Callable[[], bool] = lambda: False, *,
                   launcher: Callable[[jobs.ProcessSpec], Any] | None = None,
                   on_line: Callable[[str], None] | None = None) -> JobOutcome:
    """Run a Glue script on the job runtime (:mod:`emulators.core.jobs`, registry ``glue``, key ``run_id``).

    ``env`` holds the job's own variables (at least ``AWS_ENDPOINT_URL`` and the region); the rest of the
    child environment is the runtime's. ``launcher`` may hand over a warm Spark driver.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    args = ["--JOB_NAME", job_name, "--JOB_RUN_ID", run_id, *argument_list(arguments)]
    from emulators.core import script_driver

    command = [sys.executable, script_driver.__file__, str(script), *args]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    child_env = jobs.child_environment(env.get("AWS_ENDPOINT_URL", ""), region, {
        **env,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYSPARK_SUBMIT_ARGS": SPARK_SUBMIT_ARGS.format(master=os.environ.get("SPARK_MASTER", "local[*]")),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SANDBOX_SPARK_STAGING": str(workdir / "staging"),
    })
    spec = jobs.ProcessSpec(command, workdir, child_env, workdir / "stdout", workdir / "stderr",
                            timeout=timeout_minutes * 60 if timeout_minutes else None,
                            should_stop=should_stop, launcher=launcher or warm_spark.launch_spec, on_line=on_line)
    outcome = jobs.run(spec, jobs.registry("glue"), run_id)
    return JobOutcome(outcome.exit_code if outcome.exit_code is not None else -1,
                      _read(workdir / "stdout"), _read(workdir / "stderr"), outcome.seconds,
                      outcome.timed_out, outcome.stopped)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
