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
``stderr.gz``) as on AWS. A new application is CREATED; a job run starts a CREATED or
STOPPED application, as auto-start does; StopApplication waits for no job: it is refused
while a run has not finished. Unknown applications and job runs are 404s.

Not emulated: Hive job drivers, pre-initialised capacity and worker sizing (one
local Spark), custom images, the Spark UI / persistent app UI, billed resource
utilisation (reported as zero).
"""

from __future__ import annotations

import logging
import shlex
import shutil
import time
from pathlib import Path
from typing import Any

from emulators.core import jobs, logs, moto_coupling, s3uri
from emulators.core.errors import Conflict, NotEmulated, NotFound
from emulators.core.server import current_cloud
from emulators.emr import steps as step_engine
from emulators.emr.provider import fetch_step_file

log = logging.getLogger("emulators.emr.serverless")

FINAL_STATES = ("SUCCESS", "FAILED", "CANCELLED")
EMRServerlessBackend = moto_coupling.backend_class("emr-serverless")
DEFAULT_TIMEOUT_MINUTES = 720  # executionTimeoutMinutes' default on AWS (12 hours)

# job run id -> its spark-submit process group, for CancelJobRun and shutdown
PROCESSES = jobs.registry("emr-serverless")


def utcnow() -> Any:
    return moto_coupling.moto_utcnow()  # moto's clock (naive UTC), as its EMR Serverless models use


class SandboxEMRServerlessBackend(EMRServerlessBackend):  # type: ignore[misc, valid-type]
    """moto's EMR Serverless backend whose Spark job runs really run.

    A new application is CREATED (moto said STARTED: on AWS only StartApplication or a job run's auto-start
    starts it), and an unknown application or job run is a 404 ResourceNotFoundException, as on AWS.
    """

    def create_application(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(kwargs.get("application_type"), str):  # AWS takes Spark or SPARK (moto only SPARK)
            kwargs["application_type"] = kwargs["application_type"].upper()
        application = super().create_application(*args, **kwargs)
        application.state = "CREATED"
        application.created_at = application.updated_at = utcnow()  # moto kept the date only
        self.job_runs.setdefault(application.id, [])  # ListJobRuns of a new application: an empty list
        return application

    def _known_application(self, application_id: str) -> None:
        if application_id not in self.applications:
            raise NotFound(f"Application {application_id} does not exist")

    def get_application(self, application_id: str) -> Any:
        self._known_application(application_id)
        return super().get_application(application_id)

    def delete_application(self, application_id: str) -> None:
        self._known_application(application_id)
        super().delete_application(application_id)

    def start_application(self, application_id: str) -> None:
        self._known_application(application_id)
        super().start_application(application_id)
        self.applications[application_id].updated_at = utcnow()

    def stop_application(self, application_id: str) -> None:
        self._known_application(application_id)
        busy = [run.id for run in self.job_runs.get(application_id, []) if run.state not in FINAL_STATES]
        if busy:  # AWS: scheduled and running jobs must complete or be cancelled first
            raise Conflict(f"Application {application_id} has job runs that have not finished ({busy[0]}): cancel "
                           "them or let them finish before stopping the application.", code="ValidationException")
        super().stop_application(application_id)
        self.applications[application_id].updated_at = utcnow()

    def get_job_run(self, application_id: str, job_run_id: str) -> Any:
        self._known_application(application_id)
        if job_run_id not in [run.id for run in self.job_runs.get(application_id, [])]:
            raise NotFound(f"Job run {job_run_id} does not exist")
        return super().get_job_run(application_id, job_run_id)

    def list_job_runs(self, application_id: str, *args: Any, **kwargs: Any) -> Any:
        self._known_application(application_id)
        self.job_runs.setdefault(application_id, [])
        return super().list_job_runs(application_id, *args, **kwargs)

    def start_job_run(self, application_id: str, client_token: str, execution_role_arn: str,
                      job_driver: dict[str, Any] | None, configuration_overrides: dict[str, Any] | None,
                      tags: dict[str, str] | None, execution_timeout_minutes: int | None, name: str | None) -> Any:
        application = self.get_application(application_id)
        driver = job_driver or {}
        if str(application.type).upper() != "SPARK" or "sparkSubmit" not in driver:
            raise NotEmulated("Only Spark applications with a sparkSubmit job driver run in the sandbox; Hive queries "
                              "are not emulated", code="ValidationException")
        entry_point = (driver["sparkSubmit"] or {}).get("entryPoint") or ""
        if not entry_point.endswith(".py"):
            raise NotEmulated(f"entryPoint {entry_point!r}: only PySpark scripts (.py) run in the sandbox (JAR entry "
                              "points need a JVM build offline)", code="ValidationException")
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
            raise Conflict(f"Job run {job_run_id} is already in a terminal state ({job_run.state}).",
                           code="ValidationException")
        job_run.state = "CANCELLING"
        job_run.updated_at = utcnow()
        PROCESSES.stop(job_run_id)
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
    env = step_engine.step_environment(cloud.endpoint_url, region, workdir, {
        "EMR_SERVERLESS_APPLICATION_ID": application_id, "EMR_SERVERLESS_JOB_RUN_ID": job_run_id})
    started = time.time()
    state, details = "FAILED", None
    interrupted = False
    try:
        for state_name in ("PENDING", "SCHEDULED"):
            _set_state(job_run, state_name)
        command = step_engine.build_command(spark_submit_args(job_run.job_driver), workdir, fetch_step_file)
        _set_state(job_run, "RUNNING")
        minutes = job_run.execution_timeout_minutes or DEFAULT_TIMEOUT_MINUTES
        result = step_engine.run_step(command, workdir, env, timeout=float(minutes) * 60,
                                      registry=PROCESSES, key=job_run_id)
        if result.exit_code == 0 and not result.stopped:
            state = "SUCCESS"
        elif result.timed_out:
            details = f"Job run timed out after {job_run.execution_timeout_minutes} minutes"
        elif result.stopped and job_run.state != "CANCELLING" and PROCESSES.stopping:
            interrupted = True  # the sandbox is stopping: after restore the run is failed as interrupted
        else:
            details = result.failure_message
    except step_engine.StepNotSupported as exc:
        details = str(exc)
    except Exception as exc:  # a missing script or a broken driver fails the run, not the sandbox
        log.exception("job run %s failed to start", job_run_id)
        details = f"{type(exc).__name__}: {exc}"[:1024]
    finally:
        PROCESSES.forget(job_run_id)
    if interrupted:
        return
    if job_run.state == "CANCELLING":
        state, details = "CANCELLED", "Job run was cancelled by the user"
    upload_driver_logs(job_run, application_id, job_run_id, workdir)
    with cloud.mutating():
        job_run.state = state
        job_run.state_details = details
        job_run.updated_at = utcnow()
        job_run.total_execution_duration_seconds = int(time.time() - started)


def upload_driver_logs(job_run: Any, application_id: str, job_run_id: str, workdir: Path) -> None:
    """stdout.gz / stderr.gz under <logUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/, as on AWS."""
    monitoring = (job_run.configuration_overrides or {}).get("monitoringConfiguration") or {}
    log_uri = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri") or ""
    if not log_uri.startswith("s3://"):
        return
    base = s3uri.join(log_uri, "applications", application_id, "jobs", job_run_id, "SPARK_DRIVER")
    logs.upload_log_files(base, {"stdout": workdir / "stdout", "stderr": workdir / "stderr"})


def _fail_interrupted_runs() -> None:
    """After a restart, runs that had not finished cannot go on: they failed with the sandbox (one wording)."""

    def fail(job_run: Any, reason: str) -> None:
        job_run.state = "FAILED"
        job_run.state_details = reason

    for _, _, backend in moto_coupling.backend_dict("emr-serverless").iter_backends():
        for runs in backend.job_runs.values():
            jobs.settle_interrupted(runs, lambda r: r.state not in FINAL_STATES, fail, what="job run")


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("emr-serverless", SandboxEMRServerlessBackend)
    jobs.bind(cloud, "emr-serverless")
    cloud.after_restore(_fail_interrupted_runs)
