"""Batch on moto, with jobs run as local processes instead of Docker containers."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.batch")
MotoJob = moto_coupling.model_class("batch", "Job")
FINAL = ("SUCCEEDED", "FAILED")


class SandboxBatchJob(moto_coupling.PlainStatus, MotoJob):  # type: ignore[misc, valid-type]
    """A Batch job whose container command runs as a local subprocess."""

    __sandbox_persist__ = True  # pickled with its state, not as a thread


    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items()
                 if not k.startswith(("_tstate", "_started", "_is_stopped", "_stderr", "_invoke", "_target",
                                      "_args", "_kwargs", "_ident", "_native", "_handle", "_docker"))}
        state.pop("docker_client", None)
        state.pop("_process", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        threading.Thread.__init__(self, daemon=True)
        self.__dict__.update(state)
        self._process = None

    def _container_details(self) -> dict[str, Any]:
        details = super()._container_details()
        if self.exit_code is not None:
            details["exitCode"] = self.exit_code
        if self.latest_attempt and self.latest_attempt.get("statusReason"):
            details["reason"] = self.latest_attempt["statusReason"]
        return details

    # -- the run ------------------------------------------------------------
    def run(self) -> None:
        try:
            self._run_attempts()
        except Exception as exc:  # never leave a job hanging in RUNNING
            log.exception("batch job %s failed", self.job_id)
            self.job_stopped_reason = f"{type(exc).__name__}: {exc}"
            self._finish(False)

    def _run_attempts(self) -> None:
        self.status = "PENDING"
        if self.depends_on and not self._dependencies_succeeded():
            return
        self.status = "RUNNABLE"
        self.status = "STARTING"
        if self.job_definition.container_properties is None:
            self.job_stopped_reason = "only container jobs run in the sandbox (multi-node and EKS jobs need a cluster)"
            self._finish(False)
            return
        attempts = int((self._retry_strategy() or {}).get("attempts", 1) or 1)
        for attempt in range(1, max(1, min(attempts, 10)) + 1):
            self.job_started_at = datetime.now()
            self._start_attempt()
            self.status = "RUNNING"
            code, reason = self._run_once(attempt)
            self.exit_code = code
            if self.latest_attempt is not None:
                self.latest_attempt["container"]["exitCode"] = code
                self.latest_attempt["statusReason"] = reason or "Essential container in task exited"
            if code == 0 and not self.stop:
                self._finish(True)
                return
            if self.stop:
                break
            self.job_stopped_at = datetime.now()
            self._stop_attempt()
        if not self.job_stopped_reason:
            self.job_stopped_reason = reason or "Essential container in task exited"
        self._finish(False)

    def _retry_strategy(self) -> dict[str, Any] | None:
        return getattr(self.job_definition, "retry_strategy", None)

    def _dependencies_succeeded(self) -> bool:
        wanted = [d["jobId"] for d in self.depends_on]
        while not self.stop:
            states = [self.all_jobs[j].status if j in self.all_jobs else "FAILED" for j in wanted]
            if any(s == "FAILED" for s in states):
                self.job_stopped_reason = "Dependent Job failed"
                self._finish(False)
                return False
            if all(s == "SUCCEEDED" for s in states):
                return True
            time.sleep(0.2)
        self._finish(False)
        return False

    def _command(self) -> list[str]:
        command = self._get_container_property("command", [])
        if not command:
            raise ValueError("the job definition has no container command to run")
        return self._add_parameters_to_command(command)

    def _environment(self, attempt: int) -> dict[str, str]:
        cloud = current_cloud()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL",))}
        env.update({e["name"]: e["value"] for e in self._get_container_property("environment", [])})
        env.update({
            "AWS_ENDPOINT_URL": cloud.endpoint_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": self.job_definition._region,
            "AWS_REGION": self.job_definition._region,
            "AWS_BATCH_JOB_ID": self.job_id,
            "AWS_BATCH_JQ_NAME": self.job_queue.name,
            "AWS_BATCH_JOB_ATTEMPT": str(attempt),
            "AWS_BATCH_CE_NAME": "sandbox",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        })
        if "index" in (self.array_properties or {}):
            env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(self.array_properties["index"])
        return env

    def _run_once(self, attempt: int) -> tuple[int, str | None]:
        cloud = current_cloud()
        workdir = cloud.data_dir("batch") / self.job_id.replace(":", "_") / f"attempt-{attempt}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        try:
            command = self._command()
        except ValueError as exc:
            return 1, str(exc)
        timeout = self._get_attempt_duration()
        started = time.monotonic()
        output_path = workdir / "output.log"
        try:
            with open(output_path, "wb") as out:
                self._process = subprocess.Popen(command, cwd=workdir, env=self._environment(attempt), stdout=out,
                                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                 start_new_session=True)
                reason = None
                while self._process.poll() is None:
                    if self.stop:
                        reason = self.job_stopped_reason or "Terminated"
                        self._kill()
                    elif timeout and time.monotonic() - started > timeout:
                        reason = "Job attempt duration exceeded timeout"
                        self.job_stopped_reason = reason
                        self._kill()
                    time.sleep(0.1)
                code = self._process.returncode
        except FileNotFoundError:
            return 127, (f"CannotStartContainerError: {command[0]!r} is not installed on this machine "
                         "(the sandbox runs the command locally; images are not pulled)")
        finally:
            self._process = None
        self._ship_logs(output_path.read_text(errors="replace"))
        return code, reason

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _ship_logs(self, output: str) -> None:
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": line} for line in output.splitlines() if line.strip()]
        # CloudWatch log stream names cannot hold ':' (an array child's job id ends ':<index>'); AWS names
        # the stream after the container's task id, which has none
        self.log_stream_name = self._stream_name.replace(":", "-")
        with current_cloud().mutating():
            self._log_backend.ensure_log_group(self._log_group)
            self._log_backend.ensure_log_stream(self._log_group, self.log_stream_name)
            if events:
                self._log_backend.put_log_events(self._log_group, self.log_stream_name, events)
        if self.latest_attempt is not None:
            self.latest_attempt["container"]["logStreamName"] = self.log_stream_name

    def _finish(self, success: bool) -> None:
        with current_cloud().mutating():
            already = self.job_stopped
            self._mark_stopped(success=success)
            detail = None if already else self.describe()
        if detail is not None:
            _emit_state_change(self, detail)


def _emit_state_change(job: Any, detail: dict[str, Any]) -> None:
    """EventBridge's "Batch Job State Change" for a job that reached SUCCEEDED or FAILED."""
    try:
        import json

        from emulators.cloudwatch.provider import emit_event

        detail = json.loads(json.dumps(detail, default=str))
        emit_event(job.job_definition.backend.account_id, job.job_definition._region, "aws.batch",
                   "Batch Job State Change", detail, [job.arn])
    except Exception:
        log.exception("Batch job %s: state-change event not sent", job.job_id)


def _fail_interrupted_jobs() -> None:
    for _, _, backend in moto_coupling.backend_dict("batch").iter_backends():
        for job in list(getattr(backend, "_jobs", {}).values()):
            if job.status not in FINAL and job._child_jobs is None:
                job.job_stopped_reason = "the sandbox stopped while this job ran"
                job.job_stopped = True
                job.job_stopped_at = datetime.now()
                job.status = "FAILED"


def install(cloud: Any) -> None:
    moto_coupling.replace_model_class("batch", "Job", SandboxBatchJob)
    cloud.after_restore(_fail_interrupted_jobs)
