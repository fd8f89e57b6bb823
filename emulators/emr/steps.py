"""Run one EMR step: its command-runner arguments as a local spark-submit (or local command), or a
script-runner script.

The engine works on plain values (the step's Args, a working folder, a function
that fetches S3 objects) and never touches moto. The spark-submit runs on the job
runtime (:mod:`emulators.core.jobs`): a timeout or a cancel ends its whole process
group (the JVM and the Python driver with it).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulators.core import jobs, warm_spark

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
    exit_code: int | None  # None: the process never started (cancelled before, or the sandbox stopping)
    stdout: str
    stderr: str
    seconds: float = 0.0
    timed_out: bool = False
    stopped: bool = False  # cancelled, or ended because the sandbox stopped
    refused: bool = False  # not started: the sandbox was stopping
    start_error: str | None = None  # the command could not be started (not installed on this machine)

    @property
    def failure_message(self) -> str:
        """The exception a Python traceback ended with, else the last error-looking line."""
        # spark-submit passes the Python driver's traceback to stdout
        lines = [ln.rstrip() for ln in (self.stderr + "\n" + self.stdout).splitlines() if ln.strip()]
        raised = [ln for ln in lines if _RAISED.match(ln)]
        errors = [ln for ln in lines if " ERROR " in ln or "Exception" in ln]
        if self.start_error:
            return (f"the step's command could not be started on this machine (the sandbox runs it locally): "
                    f"{self.start_error}")[:1024]
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


# EMR tools that need the cluster's Hadoop installation: no stand-in on this machine
CLUSTER_TOOLS = {"hive-script", "pig-script", "hadoop-streaming", "s3-dist-cp", "hadoop", "hdfs", "yarn", "hive",
                 "pig", "hbase", "flink", "flink-yarn-session", "presto-cli", "trino-cli", "beeline", "sqoop"}


def step_command(jar: str, args: list[str], workdir: Path, fetch: Callable[[str, Path], Path]) -> list[str]:
    """The local command line of an EMR step (its HadoopJarStep's Jar and Args).

    ``command-runner.jar`` with ``spark-submit`` runs Spark (:func:`build_command`); with another command
    (``bash -c ...``, ``python3 ...``, ``aws s3 cp ...``) runs that command on this machine, as on the
    cluster's primary node; ``script-runner.jar`` downloads the script its first argument names from S3 and
    runs it with the other arguments. Hadoop's own tools and custom JARs are not emulated.
    """
    if jar == "command-runner.jar":
        if args and args[0] == "spark-submit":
            return build_command(args, workdir, fetch)
        if not args:
            raise StepNotSupported("the step has no arguments")
        if args[0] in CLUSTER_TOOLS:
            raise StepNotSupported(f"command-runner.jar step '{args[0]}' is not emulated: it needs the cluster's "
                                   "Hadoop installation (spark-submit and local commands such as bash, python3 "
                                   "or aws run in the sandbox)")
        return list(args)
    if jar.rsplit("/", 1)[-1] == "script-runner.jar":
        if not args:
            raise StepNotSupported("script-runner.jar needs the script's s3:// URI as its first argument")
        script = fetch(_s3_only(args[0], "script-runner.jar's script"), workdir / "script")
        script.chmod(0o755)
        shebang = script.read_bytes()[:2] == b"#!"
        return ([str(script)] if shebang else ["/bin/bash", str(script)]) + list(args[1:])
    raise StepNotSupported(f"custom JAR steps ({jar}) are not emulated: use command-runner.jar with spark-submit "
                           "or a local command, or script-runner.jar")


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


def step_environment(endpoint_url: str, region: str, workdir: Path, extra: dict[str, str] | None = None
                     ) -> dict[str, str]:
    """The complete environment of a spark-submit: the job runtime's, plus this Python for PySpark."""
    return jobs.child_environment(endpoint_url, region, {
        "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SANDBOX_SPARK_STAGING": str(workdir / "staging"), "SPARK_LOCAL_IP": "127.0.0.1", **(extra or {})})


def run_step(command: list[str], workdir: Path, env: dict[str, str], timeout: float | None = None, *,
             registry: jobs.ProcessRegistry | None = None, key: Any = None,
             launcher: Callable[[jobs.ProcessSpec], Any] | None = None,
             on_line: Callable[[str], None] | None = None) -> StepResult:
    """Run a spark-submit ``command`` with ``env`` (complete: see :func:`step_environment`) to its end.

    Output goes to ``workdir/stdout`` and ``workdir/stderr``. ``registry.stop(key)`` cancels it.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    spec = jobs.ProcessSpec(command, workdir, env, workdir / "stdout", workdir / "stderr", timeout=timeout,
                            launcher=launcher or warm_spark.launch_spec, on_line=on_line)
    outcome = jobs.run(spec, registry, key)
    return StepResult(outcome.exit_code, _read(workdir / "stdout"), _read(workdir / "stderr"), outcome.seconds,
                      outcome.timed_out, outcome.stopped, outcome.refused, outcome.start_error)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
