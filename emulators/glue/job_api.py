"""Glue ETL job runs: StartJobRun runs the script (see :mod:`emulators.glue.jobs`), stops, UpdateJob, restarts.

A run goes STARTING -> RUNNING -> SUCCEEDED / FAILED (``ErrorMessage``: the
exception the script raised) / STOPPED / TIMEOUT with ``ExecutionTime``. The
script is read from ``Command.ScriptLocation`` in S3 and run in its own process
by the engine; its stdout and stderr go to CloudWatch Logs
``/aws-glue/jobs/output`` and ``/aws-glue/jobs/error`` (stream = run id). A final
state is sent to EventBridge as "Glue Job State Change" (through
``ports.emit_event``) and to the backend's ``job_run_finished`` hook (conditional
triggers, :mod:`emulators.glue.triggers`).
"""

from __future__ import annotations

import logging
from typing import Any

from emulators.core import jobs, logs, moto_coupling, ports, s3uri
from emulators.core.errors import Conflict
from emulators.core.clock import utcnow
from emulators.core.moto_coupling import Request
from emulators.core.s3access import S3Error, s3_access, safe_file_name
from emulators.core.server import current_cloud
from emulators.glue import data_quality
from emulators.glue import jobs as job_engine
from emulators.glue.bookmarks import bookmark_file
from emulators.glue.catalog_api import GlueInvalidInput, page, with_token
from emulators.glue.backend import glue_backend as _glue

log = logging.getLogger("emulators.glue.jobs")
MotoJobRun = moto_coupling.model_class("glue", "FakeJobRun")
FINAL_STATES = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR")
ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING")


MotoJob = moto_coupling.model_class("glue", "FakeJob")
DPU_PER_WORKER = {"G.025X": 0.25, "G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8, "G.12X": 12, "G.16X": 16, "R.1X": 1,
                  "R.2X": 2, "R.4X": 4, "R.8X": 8, "Z.2X": 2, "Standard": 1}


class SandboxJob(MotoJob):  # type: ignore[misc, valid-type]
    """moto's job, answering the capacity AWS reports: MaxCapacity from the workers (or the default DPUs)."""

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        if data.get("MaxRetries") is None:
            data["MaxRetries"] = 0
        if not data.get("ExecutionProperty"):
            data["ExecutionProperty"] = {"MaxConcurrentRuns": 1}
        if data.get("MaxCapacity") is None and data.get("AllocatedCapacity") is None:
            kind = (self.command or {}).get("Name", "glueetl")
            if self.worker_type and self.number_of_workers:
                data["MaxCapacity"] = float(DPU_PER_WORKER.get(self.worker_type, 1) * int(self.number_of_workers))
            elif kind == "glueetl":
                data["MaxCapacity"] = 10.0
            elif kind == "pythonshell":
                data["MaxCapacity"] = 0.0625
        return data


class SandboxJobRun(moto_coupling.PlainStatus, MotoJobRun):  # type: ignore[misc, valid-type]
    """A job run whose state the runner sets, with AWS's fields (ErrorMessage, ExecutionTime, ...)."""

    error_message: str | None = None
    execution_seconds: float = 0
    glue_version: str | None = None
    trigger_name: str | None = None

    def advance(self) -> None:  # no time-based progression
        return None

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["ExecutionTime"] = int(self.execution_seconds or 0)
        data["LogGroupName"] = "/aws-glue/jobs"
        data["GlueVersion"] = self.glue_version or "4.0"
        data["Attempt"] = 0
        if self.status not in FINAL_STATES:
            data.pop("CompletedOn", None)
        if self.error_message:
            data["ErrorMessage"] = self.error_message
        if self.trigger_name:
            data["TriggerName"] = self.trigger_name
        return data


class GlueIdempotentMismatch(Conflict):
    code = "IdempotentParameterMismatchException"


def check_job_capacity(command: dict[str, Any] | None, worker_type: Any, number_of_workers: Any,
                       max_capacity: Any, allocated_capacity: Any) -> None:
    """AWS's rules for sizing a job: WorkerType with NumberOfWorkers, or MaxCapacity, never both."""
    kind = (command or {}).get("Name", "glueetl")
    if (worker_type is None) != (number_of_workers is None):
        raise GlueInvalidInput("Please set both Worker Type and Number of Workers (or neither, to use Max Capacity)")
    if worker_type is not None and max_capacity is not None:
        raise GlueInvalidInput("Please do not set Max Capacity if using Worker Type and Number of Workers")
    if allocated_capacity is not None and max_capacity is not None:
        raise GlueInvalidInput("Please set only Allocated Capacity or Max Capacity")
    if kind == "pythonshell":
        if worker_type is not None:
            raise GlueInvalidInput("Worker Type is not supported for Job Command pythonshell: set MaxCapacity "
                                   "(0.0625 or 1)")
        if max_capacity is not None and float(max_capacity) not in (0.0625, 1.0):
            raise GlueInvalidInput(f"MaxCapacity {max_capacity} is not valid for a pythonshell job: it must be "
                                   "0.0625 or 1")


MAX_BATCH_TIMEOUT = 10080  # minutes (7 days)
DEFAULT_BATCH_TIMEOUT = 2880


def job_timeout(command: dict[str, Any] | None, timeout: Any) -> Any:
    """A batch job's Timeout as AWS keeps it: 2880 minutes when left blank, less than 7 days (10080 minutes)."""
    if (command or {}).get("Name", "glueetl") not in ("glueetl", "pythonshell"):
        return timeout
    if timeout is None:
        return DEFAULT_BATCH_TIMEOUT
    if int(timeout) > MAX_BATCH_TIMEOUT:
        raise GlueInvalidInput(f"Timeout {timeout} is not valid: jobs must have timeout values less than 7 days "
                               f"({MAX_BATCH_TIMEOUT} minutes)")
    return timeout


class JobRunOperations:
    """Mixin for the Glue backend (see :mod:`emulators.glue.provider`): runs that really run."""

    def create_job(self, name: str, **kwargs: Any) -> Any:
        check_job_capacity(kwargs.get("command"), kwargs.get("worker_type"), kwargs.get("number_of_workers"),
                           kwargs.get("max_capacity"), kwargs.get("allocated_capacity"))
        kwargs["timeout"] = job_timeout(kwargs.get("command"), kwargs.get("timeout"))
        existing = self.jobs.get(name)  # type: ignore[attr-defined]
        if existing is not None:
            same = all((getattr(existing, key, None) or None) == (value or None) for key, value in kwargs.items()
                       if key in ("role", "command", "default_arguments", "glue_version", "worker_type",
                                  "number_of_workers", "timeout", "max_retries", "description"))
            if same:
                return None  # the same definition again: CreateJob is idempotent
            raise GlueIdempotentMismatch(f"Job with name {name} already exists with a different definition; "
                                         "change it with UpdateJob or delete it first")
        return super().create_job(name=name, **kwargs)  # type: ignore[misc]

    def start_job_run(self, name: str, arguments: dict[str, str] | None, *args: Any, **kwargs: Any) -> str:
        job = self.get_job(name)  # type: ignore[attr-defined]
        timeout = kwargs.get("timeout", args[2] if len(args) > 2 else None)
        if timeout is not None:
            job_timeout(job.command, timeout)
        worker_type = kwargs.get("worker_type", args[3] if len(args) > 3 else None) or job.worker_type
        workers = kwargs.get("number_of_workers", args[5] if len(args) > 5 else None) or job.number_of_workers
        if (job.command or {}).get("Name", "glueetl") == "glueetl" and str(worker_type or "").startswith("G.") \
                and workers is not None and int(workers) < 2:
            raise GlueInvalidInput(f"To use Worker Type {worker_type}, minimum allowed value of Number of Workers "
                                   "is 2.")
        script = (job.command or {}).get("ScriptLocation", "")
        if not script:
            raise GlueInvalidInput(f"Job {name} has no Command.ScriptLocation")
        run_id = super().start_job_run(name, arguments, *args, **kwargs)  # type: ignore[misc]
        run = job.get_job_run(run_id)
        if not isinstance(run, SandboxJobRun):
            run.__class__ = SandboxJobRun
        run.status = "STARTING"
        run.glue_version = job.glue_version
        run.completed_on = None
        current_cloud().submit(run_job, self.account_id, self.region_name, name, run_id)  # type: ignore[attr-defined]
        return run_id

    def batch_stop_job_run(self, job_name: str, job_run_ids: list[str]) -> tuple[list, list]:
        job = self.get_job(job_name)  # type: ignore[attr-defined]
        stopped, errors = [], []
        for run_id in job_run_ids:
            run = next((r for r in job.job_runs if r.job_run_id == run_id), None)
            if run is None or run.status in FINAL_STATES:
                detail = ({"ErrorCode": "EntityNotFoundException", "ErrorMessage": f"Job run {run_id} not found"}
                          if run is None else
                          {"ErrorCode": "InvalidInputException",
                           "ErrorMessage": f"Job run {run_id} is {run.status}: only a running job run can be stopped"})
                errors.append({"JobName": job_name, "JobRunId": run_id, "ErrorDetail": detail})
                continue
            run.status = "STOPPING"
            jobs.registry("glue").stop(run_id)  # the runtime ends the run's whole process group
            stopped.append({"JobName": job_name, "JobRunId": run_id})
        return stopped, errors

    def job_run_finished(self, job_name: str, state: str) -> None:
        """Called after a run reached its final state (outside the state lock); triggers hook in here."""


def _log(backend: Any, group: str, stream: str, text: str) -> None:
    logs.write_lines(backend.account_id, backend.region_name, group, stream, text, guard=current_cloud().mutating)


def run_job(account: str, region: str, job_name: str, run_id: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account, region)
    job = backend.get_job(job_name)
    run = next(r for r in job.job_runs if r.job_run_id == run_id)
    workdir = cloud.data_dir("glue") / "runs" / run_id
    script_uri = job.command["ScriptLocation"]
    try:
        try:
            location = s3uri.parse(script_uri, schemes=("s3://",))
        except s3uri.NotAnS3Uri:
            raise S3Error("InvalidInput", f"ScriptLocation {script_uri} is not an s3:// path") from None
        body = s3_access(account).get(location.bucket, location.key)
    except S3Error as exc:
        _finish(cloud, backend, job, run, "FAILED", f"Script location {script_uri} cannot be read: {exc}", 0)
        return
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / safe_file_name(location.key, "script.py")
    script.write_bytes(body)
    with cloud.mutating():
        if run.status == "STOPPING":
            jobs.registry("glue").forget(run_id)
            _finish_locked(backend, job, run, "STOPPED", None, 0)
            return
        run.status = "RUNNING"
    arguments = dict(run.arguments or {})
    env = {
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "SANDBOX_GLUE_BOOKMARK_FILE": str(bookmark_file(cloud, account, region, job_name)),
        "SANDBOX_GLUE_DQ_RESULTS_FILE": str(workdir / "data-quality-results.jsonl"),
        "SANDBOX_GLUE_BOOKMARK_OPTION": arguments.get("--job-bookmark-option", "job-bookmark-disable"),
    }
    notes = unsupported_argument_notes(arguments)
    if notes:
        _log(backend, "/aws-glue/jobs/error", run_id, "\n".join(notes))
    outcome = job_engine.run_job_script(script, job_name, run_id, arguments, workdir, env,
                                        timeout_minutes=run.timeout or job.timeout,
                                        should_stop=lambda: run.status == "STOPPING" or cloud.stopping)
    _log(backend, "/aws-glue/jobs/output", run_id, outcome.stdout)
    _log(backend, "/aws-glue/jobs/error", run_id, outcome.stderr)
    if outcome.stopped:
        state, message = "STOPPED", None
    elif outcome.timed_out:
        state, message = "TIMEOUT", f"Job run timed out after {run.timeout or job.timeout} minutes"
    elif outcome.exit_code == 0:
        state, message = "SUCCEEDED", None
    else:
        state, message = "FAILED", outcome.error_message
    with cloud.mutating():  # EvaluateDataQuality results the script published (ListDataQualityResults)
        data_quality.record_job_results(backend, job_name, run_id, workdir / "data-quality-results.jsonl")
    _finish(cloud, backend, job, run, state, message, outcome.seconds)


def unsupported_argument_notes(arguments: dict[str, str]) -> list[str]:
    """Log lines for job arguments the sandbox accepts but cannot honour (the run goes on)."""
    notes = []
    for name in ("--additional-python-modules", "--extra-py-files", "--extra-jars", "--python-modules-installer-option"):
        if arguments.get(name):
            notes.append(f"sandbox: {name}={arguments[name]} is not installed (the sandbox is offline); the script "
                         f"runs with the sandbox's own Python packages (pyspark, pandas, pyarrow, boto3, ...)")
    return notes


def _finish(cloud: Any, backend: Any, job: Any, run: Any, state: str, message: str | None, seconds: float) -> None:
    jobs.registry("glue").forget(run.job_run_id)  # a stop request for a run that ended before its process
    with cloud.mutating():
        _finish_locked(backend, job, run, state, message, seconds)
    backend.job_run_finished(job.name, state)


def _finish_locked(backend: Any, job: Any, run: Any, state: str, message: str | None, seconds: float) -> None:
    run.status = state
    run.error_message = message
    run.execution_seconds = seconds
    run.completed_on = utcnow().replace(tzinfo=None)
    run.modified_on = run.completed_on
    emit_state_change(backend.account_id, backend.region_name, job.name, run.job_run_id, state, message)


_STATE_EVENTS = {"SUCCEEDED": ("INFO", "Job run succeeded"), "FAILED": ("ERROR", None),
                 "TIMEOUT": ("WARN", None), "STOPPED": ("INFO", "Job run stopped")}


def emit_state_change(account: str, region: str, job_name: str, run_id: str, state: str,
                      message: str | None) -> None:
    """EventBridge's "Glue Job State Change" (the port sends it in the background, so safe under the lock)."""
    if state not in _STATE_EVENTS:
        return
    severity, default = _STATE_EVENTS[state]
    try:
        ports.emit_event(account, region, "aws.glue", "Glue Job State Change",
                         {"jobName": job_name, "severity": severity, "state": state, "jobRunId": run_id,
                          "message": message or default or state})
    except ports.PortUnavailable:
        log.debug("Glue job %s run %s: no EventBridge in this sandbox, no state-change event", job_name, run_id)
    except Exception:
        log.exception("Glue job %s run %s: state-change event not sent", job_name, run_id)


# -- UpdateJob and BatchStopJobRun (moto lacks the first and answers the second differently) --------

JOB_FIELDS = {"Description": ("description", None), "LogUri": ("log_uri", None), "Role": ("role", None),
              "ExecutionProperty": ("execution_property", {}), "Command": ("command", None),
              "DefaultArguments": ("default_arguments", {}), "NonOverridableArguments": ("non_overridable_arguments", None),
              "Connections": ("connections", None), "MaxRetries": ("max_retries", None),
              "AllocatedCapacity": ("allocated_capacity", None), "Timeout": ("timeout", None),
              "MaxCapacity": ("max_capacity", None), "WorkerType": ("worker_type", None),
              "NumberOfWorkers": ("number_of_workers", None), "SecurityConfiguration": ("security_configuration", None),
              "NotificationProperty": ("notification_property", None), "GlueVersion": ("glue_version", None),
              "ExecutionClass": ("execution_class", "STANDARD")}



def update_job(request: Request) -> dict[str, Any]:
    """UpdateJob overwrites the whole definition with JobUpdate, as on AWS (omitted settings reset)."""
    name = request.get("JobName")
    job = _glue(request).get_job(name)
    update = request.get("JobUpdate") or {}
    if not update.get("Role") or not (update.get("Command") or {}).get("ScriptLocation"):
        raise GlueInvalidInput("JobUpdate replaces the whole job definition: Role and Command "
                               "(with ScriptLocation) are required")
    check_job_capacity(update.get("Command"), update.get("WorkerType"), update.get("NumberOfWorkers"),
                       update.get("MaxCapacity"), update.get("AllocatedCapacity"))
    update = {**update, "Timeout": job_timeout(update.get("Command"), update.get("Timeout"))}
    for param, (field, default) in JOB_FIELDS.items():
        setattr(job, field, update.get(param, default))
    job.last_modified_on = utcnow().replace(tzinfo=None)
    return {"JobName": name}


def get_job_runs(request: Request) -> dict[str, Any]:
    """GetJobRuns newest first, as AWS lists them (moto answered oldest first), paged with MaxResults."""
    name = request.get("JobName")
    job = _glue(request).get_job(name)
    runs = sorted(job.job_runs, key=lambda r: r.started_on, reverse=True)
    found, token = page(request, [r.as_dict() for r in runs], f"get_job_runs:{name}")
    return with_token({"JobRuns": found}, token)


def batch_stop_job_run(request: Request) -> dict[str, Any]:
    stopped, errors = _glue(request).batch_stop_job_run(request.get("JobName"), request.get("JobRunIds") or [])
    return {"SuccessfulSubmissions": stopped, "Errors": errors}


def fail_interrupted_runs() -> None:
    """After a restart, a run that was active is FAILED (the runtime's one wording): its process is gone."""
    def fail(run: Any, reason: str) -> None:
        run._status = "FAILED"
        run.error_message = reason

    runs = [run for _, _, backend in moto_coupling.backend_dict("glue").iter_backends()
            for job in getattr(backend, "jobs", {}).values() for run in job.job_runs]
    jobs.settle_interrupted(runs, lambda run: getattr(run, "_status", None) in ACTIVE_STATES, fail, what="job run")


OPERATIONS = {
    "update_job": update_job,
    "batch_stop_job_run": batch_stop_job_run,
    "get_job_runs": get_job_runs,
}
