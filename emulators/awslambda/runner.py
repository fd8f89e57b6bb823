"""The local Lambda runner: a function's zip in a folder, one Python process per invocation.

Plain functions over bytes, paths and dicts (no boto3, no moto). The handler runs
in a subprocess of the sandbox's own interpreter (``sys.executable``), so the
learner's code sees the sandbox venv's packages (boto3, pandas, pyarrow, ...),
whatever Python version the function's ``Runtime`` names (python3.8 ... python3.13
are accepted). :mod:`emulators.awslambda.bootstrap` is the runtime inside the
process; this module prepares the folder, the environment and the deadline, runs
the process on the job runtime (:mod:`emulators.core.jobs`: registry ``lambda``, a
timeout kills the whole process group at once), and turns what the process left behind into an invocation result with AWS's log lines
(START / END / REPORT) and error documents.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from emulators.core import jobs

PYTHON_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
LOG_TAIL_BYTES = 4096
# variables of the sandbox process a function's process keeps (the rest of the
# server's environment is not the function's business, as on AWS)
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "JAVA_HOME", "SSL_CERT_FILE", "VIRTUAL_ENV")


class UnsafeArchive(ValueError):
    """A zip that is not a zip, or with a member that would land outside its folder."""


def check_archive(data: bytes) -> list[str]:
    """The member names of a deployment package; raises :class:`UnsafeArchive` for a path escape."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnsafeArchive(f"not a zip file ({exc})") from None
    names = archive.namelist()
    for name in names:
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise UnsafeArchive(f"member {name!r} would be extracted outside the function's folder")
    return names


def extract(data: bytes, target: Path) -> Path:
    """Unpack a zip into ``target`` (atomically: a temporary folder renamed into place)."""
    import io

    if target.is_dir():
        return target
    check_archive(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = staging.resolve()
            for info in archive.infolist():
                destination = (staging / info.filename).resolve()
                if root != destination and root not in destination.parents:
                    raise UnsafeArchive(f"member {info.filename!r} would be extracted outside the function's folder")
                archive.extract(info, staging)
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    os.chmod(destination, mode | 0o400)
        try:
            os.rename(staging, target)
        except OSError:  # another invocation extracted the same package first
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def layer_paths(layer_dir: Path, runtime: str) -> list[str]:
    """The folders of a layer on ``sys.path``: ``python/`` and ``python/lib/<runtime>/site-packages``."""
    return [str(layer_dir / "python"), str(layer_dir / "python" / "lib" / runtime / "site-packages")]


@dataclass
class Invocation:
    code_dir: Path
    handler: str
    runtime: str
    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_mb: int
    timeout: float
    region: str
    endpoint_url: str
    log_group: str
    variables: dict[str, str] = field(default_factory=dict)
    layer_dirs: list[Path] = field(default_factory=list)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_stream: str = ""

    def __post_init__(self) -> None:
        if not self.log_stream:
            self.log_stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[{self.function_version}]{uuid.uuid4().hex}"


@dataclass
class Result:
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed
    log: str  # START ... END ... REPORT, as CloudWatch Logs shows it
    duration_ms: float

    @property
    def log_tail(self) -> bytes:
        return self.log.encode()[-LOG_TAIL_BYTES:]


def environment(inv: Invocation) -> dict[str, str]:
    """The function's environment: the runtime's child environment (only :data:`INHERITED` of the sandbox's
    own), the function's variables, then Lambda's reserved ones (which win, as on AWS)."""
    reserved = {
        "AWS_LAMBDA_FUNCTION_NAME": inv.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": inv.function_version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(inv.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": inv.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": inv.log_stream,
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{inv.runtime}",
        "LAMBDA_TASK_ROOT": str(inv.code_dir),
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        "_HANDLER": inv.handler,
        "TZ": ":UTC",
        "AWS_SESSION_TOKEN": "test",  # a function always runs with temporary credentials
    }
    return jobs.child_environment(inv.endpoint_url, inv.region, reserved, user=inv.variables, inherit=INHERITED)


def _timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def run(inv: Invocation, event: bytes) -> Result:
    """Run the handler once on ``event`` (JSON bytes), honouring the function's timeout."""
    work = Path(tempfile.mkdtemp(prefix="lambda-invoke-"))
    try:
        return _run(inv, event, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(inv: Invocation, event: bytes, work: Path) -> Result:
    event_file, result_file, spec_file = work / "event.json", work / "result.json", work / "invocation.json"
    event_file.write_bytes(event)
    started = time.time()
    deadline_ms = int((started + inv.timeout) * 1000)
    spec_file.write_text(json.dumps({
        "code_dir": str(inv.code_dir),
        "layer_paths": [p for d in inv.layer_dirs for p in layer_paths(d, inv.runtime)],
        "handler": inv.handler,
        "runtime": inv.runtime,
        "event_file": str(event_file),
        "result_file": str(result_file),
        "deadline_ms": deadline_ms,
        "context": {
            "function_name": inv.function_name,
            "function_version": inv.function_version,
            "invoked_function_arn": inv.invoked_function_arn,
            "memory_limit_in_mb": str(inv.memory_mb),
            "aws_request_id": inv.request_id,
            "log_group_name": inv.log_group,
            "log_stream_name": inv.log_stream,
        },
    }))
    spec = jobs.ProcessSpec([sys.executable, str(BOOTSTRAP), str(spec_file)], inv.code_dir, environment(inv),
                            work / "output.log", timeout=inv.timeout, grace=0.0)  # a timeout ends it at once
    ran = jobs.run(spec, jobs.registry("lambda"), inv.request_id)
    timed_out = ran.timed_out
    duration_ms = (time.time() - started) * 1000
    text = (work / "output.log").read_text(encoding="utf-8", errors="replace") if ran.start_error is None else ""
    outcome: dict[str, Any] = {}
    if not timed_out and result_file.exists():
        try:
            outcome = json.loads(result_file.read_text())
        except ValueError:
            outcome = {}
    lines = [f"START RequestId: {inv.request_id} Version: {inv.function_version}"]
    if text:
        lines.append(text.rstrip("\n"))
    if timed_out:
        message = f"{_timestamp()} {inv.request_id} Task timed out after {inv.timeout:.2f} seconds"
        lines.append(message)
        payload, error = json.dumps({"errorMessage": message}).encode(), "Unhandled"
    elif "payload" in outcome:
        payload, error = outcome["payload"].encode(), None
    elif "error" in outcome:
        payload, error = json.dumps(outcome["error"]).encode(), "Unhandled"
    else:  # the process ended without a result: sys.exit, os._exit, a crash, the sandbox stopping
        message = f"RequestId: {inv.request_id} Error: Runtime exited with error: {_exit_reason(ran)}"
        lines.append(message)
        payload = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode()
        error = "Unhandled"
    memory_used = max(1, int(outcome.get("max_rss_kb", 0)) // 1024) if outcome else inv.memory_mb
    lines.append(f"END RequestId: {inv.request_id}")
    lines.append(f"REPORT RequestId: {inv.request_id}\tDuration: {duration_ms:.2f} ms\t"
                 f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {inv.memory_mb} MB\t"
                 f"Max Memory Used: {memory_used} MB\t" + ("Status: timeout" if timed_out else ""))
    log = "\n".join(lines).rstrip("\t") + "\n"
    return Result(payload=payload, function_error=error, log=log, duration_ms=duration_ms)


def _exit_reason(ran: jobs.ProcessOutcome) -> str:
    if ran.refused:
        return "the sandbox is stopping"
    if ran.start_error is not None:
        return ran.start_error
    code = ran.exit_code if ran.exit_code is not None else -1
    return f"signal: {-code}" if code < 0 else f"exit status {code}"
