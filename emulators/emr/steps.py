"""Run one EMR step: turn its command-runner arguments into a local spark-submit.

The engine works on plain values (the step's Args, a working folder, a function
that fetches S3 objects) and never touches moto.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SPARK_OPTIONS_WITH_VALUE = {
    "--master", "--deploy-mode", "--class", "--name", "--jars", "--packages", "--exclude-packages",
    "--repositories", "--py-files", "--files", "--archives", "--conf", "-c", "--properties-file",
    "--driver-memory", "--driver-java-options", "--driver-library-path", "--driver-class-path",
    "--driver-cores", "--executor-memory", "--executor-cores", "--num-executors", "--total-executor-cores",
    "--queue", "--principal", "--keytab",
}
DROPPED_OPTIONS = {"--master", "--deploy-mode", "--queue", "--num-executors", "--principal", "--keytab"}


_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(: .*)?$")


class StepNotSupported(Exception):
    """The step asks for something the sandbox cannot run (the message says what)."""


@dataclass
class StepResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def failure_message(self) -> str:
        """The exception a Python traceback ended with, else the last error-looking line."""
        # spark-submit passes the Python driver's traceback to stdout
        lines = [ln.rstrip() for ln in (self.stderr + "\n" + self.stdout).splitlines() if ln.strip()]
        raised = [ln for ln in lines if _RAISED.match(ln)]
        errors = [ln for ln in lines if " ERROR " in ln or "Exception" in ln]
        chosen = raised[-1] if raised else errors[-1] if errors else f"the step exited with code {self.exit_code}"
        return chosen[:1024]


def spark_submit_executable() -> str:
    from pyspark.find_spark_home import _find_spark_home

    return str(Path(_find_spark_home()) / "bin" / "spark-submit")


def _s3_only(location: str, what: str) -> str:
    """Step files come from S3: the sandbox's cluster has no file system of its own to read a local path from."""
    if not location.startswith(("s3://", "s3n://", "s3a://")):
        raise StepNotSupported(f"{what} must be an s3:// URI in the sandbox, not {location!r}: a step cannot run "
                               "files from the host's file system (upload it to S3 first)")
    return "s3://" + location.split("://", 1)[1]


def build_command(args: list[str], workdir: Path, fetch: Callable[[str, Path], Path]) -> list[str]:
    """The local spark-submit command line for a step's Args.

    ``fetch(s3_uri, folder)`` downloads an S3 object and returns its local path.
    """
    if not args:
        raise StepNotSupported("the step has no arguments")
    if args[0] != "spark-submit":
        raise StepNotSupported(
            f"command-runner.jar step '{args[0]}' is not emulated: only spark-submit steps run in the sandbox"
        )
    command = [spark_submit_executable(), "--master", os.environ.get("SPARK_MASTER", "local[*]")]
    rest = args[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg in SPARK_OPTIONS_WITH_VALUE:
            if i + 1 >= len(rest):
                raise StepNotSupported(f"spark-submit option {arg} needs a value")
            value = rest[i + 1]
            if arg in ("--packages", "--repositories"):
                raise StepNotSupported("--packages needs Maven downloads, which the offline sandbox cannot make")
            if arg == "--class":
                raise StepNotSupported("JVM application steps (--class) are not emulated: submit a PySpark script")
            if arg in ("--py-files", "--files", "--archives", "--jars"):
                value = ",".join(str(fetch(_s3_only(v, arg), workdir / "deps")) for v in value.split(","))
            if arg not in DROPPED_OPTIONS:
                command += [arg, value]
            i += 2
            continue
        if arg.startswith("--") and "=" in arg:
            name = arg.split("=", 1)[0]
            if name not in DROPPED_OPTIONS:
                command.append(arg)
            i += 1
            continue
        # the primary resource: the script, then its own arguments
        if not arg.endswith(".py"):
            raise StepNotSupported(f"only PySpark scripts (.py) run as steps; got {arg!r}")
        script = fetch(_s3_only(arg, "the script"), workdir / "script")
        from emulators.core import script_driver

        driver = Path(script_driver.__file__)
        return command + [str(driver), str(script), *rest[i + 1:]]
    raise StepNotSupported("spark-submit was given no script")


def run_step(command: list[str], workdir: Path, env: dict[str, str], timeout: float | None = None,
             on_start: Callable[[subprocess.Popen], None] | None = None) -> StepResult:
    workdir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **env, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
                "SANDBOX_SPARK_STAGING": str(workdir / "staging"), "SPARK_LOCAL_IP": "127.0.0.1"}
    with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
        process = subprocess.Popen(command, cwd=workdir, env=full_env, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        if on_start:
            on_start(process)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
    return StepResult(code, (workdir / "stdout").read_text(errors="replace"),
                      (workdir / "stderr").read_text(errors="replace"))
