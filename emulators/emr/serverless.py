"""EMR Serverless: Spark job runs execute with spark-submit on local Spark.

moto keeps applications and job runs, but marked every job run ``SUCCESS`` the
moment it was submitted. Here ``StartJobRun`` with a ``sparkSubmit`` job driver
runs ``entryPoint`` (a PySpark script in S3) with its
``entryPointArguments`` and ``sparkSubmitParameters`` through the same local
spark-submit as EMR steps (:mod:`emulators.emr.steps`), so ``s3://`` reads and
writes in the script work. States go SUBMITTED -> PENDING -> SCHEDULED -> RUNNING
-> SUCCESS / FAILED (``stateDetails`` carries the script's error) and
``CancelJobRun`` moves a run through CANCELLING to CANCELLED, stopping its process.
``executionTimeoutMinutes`` is honoured. With
``monitoringConfiguration.s3MonitoringConfiguration.logUri`` the driver's output goes
to ``<logUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/stdout.gz`` (and
``stderr.gz``) as on AWS. A job run starts a CREATED or STOPPED application, as
auto-start does.

Not emulated: Hive job drivers, pre-initialised capacity and worker sizing (one
local Spark), custom images, the Spark UI / persistent app UI, billed resource
utilisation (reported as zero).
"""

from __future__ import annotations

import gzip
import logging
import shlex
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import AwsError
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud
from emulators.emr import steps as step_engine
from emulators.emr.provider import _fetch
from emulators.sagemaker.container import kill_process_group

log = logging.getLogger("emulators.emr.serverless")

FINAL_STATES = ("SUCCESS", "FAILED", "CANCELLED")
EMRServerlessBackend = moto_coupling.backend_class("emr-serverless")

# job run id -> its spark-submit process, for CancelJobRun (never pickled)
_PROCESSES: dict[str, subprocess.Popen] = {}
_CANCELS: set[str] = set()
_LOCK = threading.Lock()


def utcnow() -> Any:
    from moto.core.utils import utcnow as moto_utcnow  # noqa: PLC0415 (moto's clock, as its models use)

    return moto_utcnow()


class SandboxEMRServerlessBackend(EMRServerlessBackend):  # type: ignore[misc, valid-type]
    """moto's EMR Serverless backend whose Spark job runs really run."""

    def start_job_run(self, application_id: str, client_token: str, execution_role_arn: str,
                      job_driver: dict[str, Any] | None, configuration_overrides: dict[str, Any] | None,
                      tags: dict[str, str] | None, execution_timeout_minutes: int | None, name: str | None) -> Any:
        application = self.get_application(application_id)
        driver = job_driver or {}
        if str(application.type).upper() != "SPARK" or "sparkSubmit" not in driver:
            raise AwsError("ValidationException", "Only Spark applications with a sparkSubmit job driver run in the "
                                                  "sandbox; Hive queries are not emulated")
        entry_point = (driver["sparkSubmit"] or {}).get("entryPoint") or ""
        if not entry_point.endswith(".py"):
            raise AwsError("ValidationException", f"entryPoint {entry_point!r}: only PySpark scripts (.py) run in "
                                                  "the sandbox (JAR entry points need a JVM build offline)")
        job_run = super().start_job_run(application_id, client_token, execution_role_arn, job_driver,
                                        configuration_overrides, tags, execution_timeout_minutes, name)
        now = utcnow()
        job_run.state = "SUBMITTED"
        job_run.state_details = None
        job_run.created_at = job_run.updated_at = now
        job_run.total_execution_duration_seconds = 0
        if application.state in ("CREATED", "STOPPED"):
            application.state = "STARTED"
        current_cloud().submit(run_job, self.account_id, self.region_name, application_id, job_run.id)
        return job_run

    def cancel_job_run(self, application_id: str, job_run_id: str) -> tuple[str, str]:
        job_run = self.get_job_run(application_id, job_run_id)
        if job_run.state in FINAL_STATES:
            raise AwsError("ValidationException", f"Job run {job_run_id} is already in a terminal state "
                                                  f"({job_run.state}).")
        with _LOCK:
            _CANCELS.add(job_run_id)
            process = _PROCESSES.get(job_run_id)
        job_run.state = "CANCELLING"
        job_run.updated_at = utcnow()
        if process is not None:
            kill_process_group(process)
        return application_id, job_run_id


def _set_state(job_run: Any, state: str, details: str | None = None) -> None:
    with current_cloud().mutating():
        if job_run.state == "CANCELLING" and state not in FINAL_STATES:
            return
        job_run.state = state
        job_run.state_details = details
        job_run.updated_at = utcnow()


def spark_submit_args(job_driver: dict[str, Any]) -> list[str]:
    """The spark-submit argument list of a ``sparkSubmit`` job driver."""
    spec = job_driver["sparkSubmit"]
    parameters = shlex.split(spec.get("sparkSubmitParameters") or "")
    return ["spark-submit", *parameters, spec["entryPoint"], *[str(a) for a in spec.get("entryPointArguments") or []]]


def run_job(account_id: str, region: str, application_id: str, job_run_id: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("emr-serverless", account_id, region)
    job_run = backend.get_job_run(application_id, job_run_id)
    workdir = cloud.data_dir("emr-serverless") / application_id / job_run_id
    shutil.rmtree(workdir, ignore_errors=True)
    env = {"AWS_ENDPOINT_URL": cloud.endpoint_url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": region, "EMR_SERVERLESS_APPLICATION_ID": application_id,
           "EMR_SERVERLESS_JOB_RUN_ID": job_run_id}
    started = time.time()
    state, details = "FAILED", None
    try:
        for state_name in ("PENDING", "SCHEDULED"):
            _set_state(job_run, state_name)
        command = step_engine.build_command(spark_submit_args(job_run.job_driver), workdir, _fetch)
        _set_state(job_run, "RUNNING")

        def remember(process: subprocess.Popen) -> None:
            with _LOCK:
                _PROCESSES[job_run_id] = process
                cancelled = job_run_id in _CANCELS
            if cancelled:
                kill_process_group(process)

        timeout = float(job_run.execution_timeout_minutes or 720) * 60
        result = step_engine.run_step(command, workdir, env, timeout=timeout, on_start=remember)
        if result.exit_code == 0:
            state = "SUCCESS"
        elif time.time() - started >= timeout:
            details = f"Job run timed out after {job_run.execution_timeout_minutes} minutes"
        else:
            details = result.failure_message
    except step_engine.StepNotSupported as exc:
        details = str(exc)
    except Exception as exc:  # a missing script or a broken driver fails the run, not the sandbox
        log.exception("job run %s failed to start", job_run_id)
        details = f"{type(exc).__name__}: {exc}"[:1024]
    finally:
        with _LOCK:
            _PROCESSES.pop(job_run_id, None)
            cancelled = job_run_id in _CANCELS
            _CANCELS.discard(job_run_id)
    if cancelled:
        state, details = "CANCELLED", "Job run was cancelled by the user"
    _upload_logs(job_run, application_id, job_run_id, workdir)
    with cloud.mutating():
        job_run.state = state
        job_run.state_details = details
        job_run.updated_at = utcnow()
        job_run.total_execution_duration_seconds = int(time.time() - started)


def _upload_logs(job_run: Any, application_id: str, job_run_id: str, workdir: Path) -> None:
    monitoring = (job_run.configuration_overrides or {}).get("monitoringConfiguration") or {}
    log_uri = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri") or ""
    if not log_uri.startswith("s3://"):
        return
    bucket, _, prefix = log_uri[len("s3://"):].partition("/")
    base = f"{prefix.rstrip('/') + '/' if prefix else ''}applications/{application_id}/jobs/{job_run_id}/SPARK_DRIVER/"
    try:
        for name in ("stdout", "stderr"):
            path = workdir / name
            body = path.read_bytes() if path.exists() else b""
            s3_access().put(bucket, f"{base}{name}.gz", gzip.compress(body), content_type="application/x-gzip")
    except Exception as exc:
        log.warning("could not write job run logs to %s: %s", log_uri, exc)


def _fail_interrupted_runs() -> None:
    """After a restart, runs that had not finished cannot go on: they failed with the sandbox."""
    for _, _, backend in moto_coupling.backend_dict("emr-serverless").iter_backends():
        for runs in backend.job_runs.values():
            for job_run in runs:
                if job_run.state not in FINAL_STATES:
                    job_run.state = "FAILED"
                    job_run.state_details = "the sandbox stopped while this job run was running"


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("emr-serverless", SandboxEMRServerlessBackend)
    cloud.after_restore(_fail_interrupted_runs)
