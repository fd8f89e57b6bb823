"""Glue ETL jobs on moto: job runs execute their script (see :mod:`emulators.glue.jobs`), bookmarks, triggers."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any

from emulators.core import moto_coupling
from emulators.core.paths import state_path
from emulators.core.s3access import S3Error, s3_access, safe_file_name
from emulators.core.server import current_cloud
from emulators.glue import jobs as job_engine
from emulators.glue.provider import SandboxGlueBackend
from emulators.glue.schedule import cron_matches

log = logging.getLogger("emulators.glue.jobs")
MotoJobRun = moto_coupling.model_class("glue", "FakeJobRun")
FINAL_STATES = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR")
_trigger_fired: dict[tuple[str, str, str], str] = {}
_trigger_lock = threading.Lock()


class SandboxJobRun(moto_coupling.PlainStatus, MotoJobRun):  # type: ignore[misc, valid-type]
    """A job run whose state the runner sets, with AWS's fields (ErrorMessage, ExecutionTime, ...)."""


    def advance(self) -> None:  # no time-based progression
        return None

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["ExecutionTime"] = int(getattr(self, "execution_seconds", 0))
        data["LogGroupName"] = "/aws-glue/jobs"
        data["GlueVersion"] = getattr(self, "glue_version", None) or "4.0"
        data["Attempt"] = 0
        if self.status not in FINAL_STATES:
            data.pop("CompletedOn", None)
        if getattr(self, "error_message", None):
            data["ErrorMessage"] = self.error_message
        if getattr(self, "trigger_name", None):
            data["TriggerName"] = self.trigger_name
        return data


class SandboxGlueJobsBackend(SandboxGlueBackend):
    def start_job_run(self, name: str, arguments: dict[str, str] | None, *args: Any, **kwargs: Any) -> str:
        job = self.get_job(name)
        script = (job.command or {}).get("ScriptLocation", "")
        if not script:
            raise moto_coupling.AwsError("InvalidInputException", f"Job {name} has no Command.ScriptLocation")
        run_id = super().start_job_run(name, arguments, *args, **kwargs)
        run = job.get_job_run(run_id)
        run.__class__ = SandboxJobRun
        run.status = "STARTING"
        run.glue_version = job.glue_version
        run.completed_on = None
        current_cloud().submit(run_job, self.account_id, self.region_name, name, run_id)
        return run_id

    def start_workflow_run(self, workflow_name: str, properties: dict[str, str] | None) -> str:
        run_id = super().start_workflow_run(workflow_name, properties)
        triggers = [t for t in self.triggers.values() if t.workflow_name == workflow_name]
        starters = [t for t in triggers if t.trigger_type == "ON_DEMAND"]
        if not starters:
            raise moto_coupling.AwsError("InvalidInputException",
                                         f"Workflow {workflow_name} has no ON_DEMAND trigger to start it")
        for trigger in triggers:
            if trigger.trigger_type == "CONDITIONAL":
                trigger.state = "ACTIVATED"  # a workflow's conditional triggers follow its run
        current_cloud().submit(_follow_workflow_run, self.account_id, self.region_name, workflow_name, run_id,
                               [t.name for t in starters])
        return run_id

    def batch_stop_job_run(self, job_name: str, job_run_ids: list[str]) -> tuple[list, list]:
        job = self.get_job(job_name)
        stopped, errors = [], []
        for run_id in job_run_ids:
            run = next((r for r in job.job_runs if r.job_run_id == run_id), None)
            if run is None or run.status in FINAL_STATES:
                errors.append({"JobName": job_name, "JobRunId": run_id,
                               "ErrorDetail": {"ErrorCode": "InvalidInputException",
                                               "ErrorMessage": f"Job run {run_id} is not running"}})
                continue
            run.status = "STOPPING"
            stopped.append({"JobName": job_name, "JobRunId": run_id})
        return stopped, errors


def _log(backend: Any, group: str, stream: str, text: str) -> None:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return
    logs = moto_coupling.backend_for("logs", backend.account_id, backend.region_name)
    now = int(time.time() * 1000)
    try:
        logs.ensure_log_group(group)
        logs.ensure_log_stream(group, stream)
        for start in range(0, len(lines), 5000):
            logs.put_log_events(group, stream, [{"timestamp": now, "message": line[:200_000]}
                                                for line in lines[start:start + 5000]])
    except Exception:
        log.debug("could not write job logs", exc_info=True)


def _bookmark_file(cloud: Any, account: str, region: str, job_name: str) -> Any:
    folder = cloud.data_dir("glue") / "bookmarks" / f"{account}-{region}"
    folder.mkdir(parents=True, exist_ok=True)
    return state_path(folder, f"{job_name}.json")  # any job name AWS allows, never a path outside


def run_job(account: str, region: str, job_name: str, run_id: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account, region)
    job = backend.get_job(job_name)
    run = next(r for r in job.job_runs if r.job_run_id == run_id)
    workdir = cloud.data_dir("glue") / "runs" / run_id
    script_uri = job.command["ScriptLocation"]
    try:
        if not script_uri.startswith("s3://"):
            raise S3Error("InvalidInput", f"ScriptLocation {script_uri} is not an s3:// path")
        bucket, _, key = script_uri[len("s3://"):].partition("/")
        body = s3_access(account).get(bucket, key)
    except S3Error as exc:
        _finish(cloud, backend, job, run, "FAILED", f"Script location {script_uri} cannot be read: {exc}", 0)
        return
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / safe_file_name(key, "script.py")
    script.write_bytes(body)
    with cloud.mutating():
        if run.status == "STOPPING":
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
        "SANDBOX_GLUE_BOOKMARK_FILE": str(_bookmark_file(cloud, account, region, job_name)),
        "SANDBOX_GLUE_BOOKMARK_OPTION": arguments.get("--job-bookmark-option", "job-bookmark-disable"),
    }
    notes = _unsupported_argument_notes(arguments)
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
    _finish(cloud, backend, job, run, state, message, outcome.seconds)


def _unsupported_argument_notes(arguments: dict[str, str]) -> list[str]:
    """Log lines for job arguments the sandbox accepts but cannot honour (the run goes on)."""
    notes = []
    for name in ("--additional-python-modules", "--extra-py-files", "--extra-jars", "--python-modules-installer-option"):
        if arguments.get(name):
            notes.append(f"sandbox: {name}={arguments[name]} is not installed (the sandbox is offline); the script "
                         f"runs with the sandbox's own Python packages (pyspark, pandas, pyarrow, boto3, ...)")
    return notes


def _finish(cloud: Any, backend: Any, job: Any, run: Any, state: str, message: str | None, seconds: float) -> None:
    with cloud.mutating():
        _finish_locked(backend, job, run, state, message, seconds)
    _fire_conditional_triggers(backend, job.name, state)


def _finish_locked(backend: Any, job: Any, run: Any, state: str, message: str | None, seconds: float) -> None:
    run.status = state
    run.error_message = message
    run.execution_seconds = seconds
    run.completed_on = datetime.now(timezone.utc).replace(tzinfo=None)
    run.modified_on = run.completed_on
    _emit_state_change(backend, job.name, run.job_run_id, state, message)


_STATE_EVENTS = {"SUCCEEDED": ("INFO", "Job run succeeded"), "FAILED": ("ERROR", None),
                 "TIMEOUT": ("WARN", None), "STOPPED": ("INFO", "Job run stopped")}


def _emit_state_change(backend: Any, job_name: str, run_id: str, state: str, message: str | None) -> None:
    """EventBridge's "Glue Job State Change" (sent in the background, so safe under the state lock)."""
    if state not in _STATE_EVENTS:
        return
    severity, default = _STATE_EVENTS[state]
    try:
        from emulators.cloudwatch.provider import emit_event

        emit_event(backend.account_id, backend.region_name, "aws.glue", "Glue Job State Change",
                   {"jobName": job_name, "severity": severity, "state": state, "jobRunId": run_id,
                    "message": message or default or state})
    except Exception:
        log.exception("Glue job %s run %s: state-change event not sent", job_name, run_id)


# -- triggers -----------------------------------------------------------------------

def _predicate(trigger: Any) -> dict[str, Any]:
    predicate = trigger.predicate
    return predicate.as_dict() if hasattr(predicate, "as_dict") else dict(predicate or {})


def _start_actions(backend: Any, trigger: Any) -> None:
    cloud = current_cloud()
    for action in trigger.actions:
        data = action.as_dict() if hasattr(action, "as_dict") else dict(action)
        try:
            with cloud.mutating():
                if data.get("JobName"):
                    run_id = backend.start_job_run(data["JobName"], data.get("Arguments"), None, None,
                                                   data.get("Timeout"), None, None, None, None, None)
                    run = backend.get_job(data["JobName"]).get_job_run(run_id)
                    run.trigger_name = trigger.name
                elif data.get("CrawlerName"):
                    backend.start_crawler(data["CrawlerName"])
        except Exception as exc:
            log.warning("trigger %s could not start %s: %s", trigger.name, data, exc)


def _fire_conditional_triggers(backend: Any, job_name: str, state: str) -> None:
    for trigger in list(getattr(backend, "triggers", {}).values()):
        if trigger.trigger_type != "CONDITIONAL" or trigger.state != "ACTIVATED" or not trigger.predicate:
            continue
        predicate = _predicate(trigger)
        conditions = predicate.get("Conditions", [])
        if not any(c.get("JobName") == job_name for c in conditions):
            continue
        results = []
        for condition in conditions:
            if condition.get("JobName"):
                try:
                    runs = backend.get_job(condition["JobName"]).job_runs
                except Exception:
                    runs = []
                latest = runs[-1].status if runs else None
                results.append(latest == condition.get("State", "SUCCEEDED"))
            elif condition.get("CrawlerName"):
                try:
                    crawler = backend.get_crawler(condition["CrawlerName"])
                    status = crawler.as_dict().get("LastCrawl", {}).get("Status")
                except Exception:
                    status = None
                results.append(status == condition.get("CrawlState", "SUCCEEDED"))
        logical = predicate.get("Logical", "AND")
        if (all(results) if logical == "AND" else any(results)):
            log.info("conditional trigger %s fires after %s %s", trigger.name, job_name, state)
            _start_actions(backend, trigger)


def _fire_conditional_after_crawls() -> None:
    """Conditional triggers watching crawlers: fire once per finished crawl."""
    for account, region, backend in list(moto_coupling.backend_dict("glue").iter_backends()):
        for trigger in list(getattr(backend, "triggers", {}).values()):
            if trigger.trigger_type != "CONDITIONAL" or trigger.state != "ACTIVATED" or not trigger.predicate:
                continue
            for condition in _predicate(trigger).get("Conditions", []):
                name = condition.get("CrawlerName")
                if not name or name not in backend.crawlers:
                    continue
                crawler = backend.crawlers[name]
                if not crawler.crawls:
                    continue
                crawl = crawler.crawls[-1]
                status = crawler.as_dict().get("LastCrawl", {}).get("Status")
                key = (account, region, f"{trigger.name}:{crawl.crawl_id}")
                with _trigger_lock:
                    if key in _trigger_fired or status not in ("SUCCEEDED", "FAILED", "CANCELLED"):
                        continue
                    _trigger_fired[key] = status
                if status == condition.get("CrawlState", "SUCCEEDED"):
                    _start_actions(backend, trigger)


def _check_scheduled_triggers() -> None:
    now = datetime.now(timezone.utc)
    minute = now.strftime("%Y-%m-%dT%H:%M")
    for account, region, backend in list(moto_coupling.backend_dict("glue").iter_backends()):
        for trigger in list(getattr(backend, "triggers", {}).values()):
            if trigger.trigger_type != "SCHEDULED" or trigger.state != "ACTIVATED" or not trigger.schedule:
                continue
            key = (account, region, trigger.name)
            with _trigger_lock:
                if _trigger_fired.get(key) == minute:
                    continue
            try:
                due = cron_matches(trigger.schedule, now)
            except ValueError as exc:
                log.warning("trigger %s: %s", trigger.name, exc)
                continue
            if due:
                with _trigger_lock:
                    _trigger_fired[key] = minute
                _start_actions(backend, trigger)


def _start_trigger(response: Any) -> dict[str, Any]:
    """ON_DEMAND triggers run their actions now; others become ACTIVATED (as on AWS)."""
    backend = moto_coupling.backend_for("glue", response.current_account, response.region)
    name = response._get_param("Name")
    trigger = backend.get_trigger(name)
    trigger.start_trigger()
    if trigger.trigger_type == "ON_DEMAND":
        current_cloud().submit(_start_actions, backend, trigger)
    return {"Name": name}


# -- bookmarks ----------------------------------------------------------------------

def _bookmark_entry(backend: Any, job_name: str, cloud: Any) -> dict[str, Any]:
    path = _bookmark_file(cloud, backend.account_id, backend.region_name, job_name)
    job = backend.get_job(job_name)
    runs = [r for r in job.job_runs if r.status == "SUCCEEDED"]
    return {"JobName": job_name, "Version": len(runs), "Run": len(runs), "Attempt": 0,
            "RunId": runs[-1].job_run_id if runs else "",
            "PreviousRunId": runs[-2].job_run_id if len(runs) > 1 else "",
            "JobBookmark": path.read_text() if path.exists() else "{}"}


def _get_job_bookmark(response: Any) -> dict[str, Any]:
    backend = moto_coupling.backend_for("glue", response.current_account, response.region)
    return {"JobBookmarkEntry": _bookmark_entry(backend, response._get_param("JobName"), current_cloud())}


def _reset_job_bookmark(response: Any) -> dict[str, Any]:
    backend = moto_coupling.backend_for("glue", response.current_account, response.region)
    name = response._get_param("JobName")
    cloud = current_cloud()
    entry = _bookmark_entry(backend, name, cloud)
    _bookmark_file(cloud, backend.account_id, backend.region_name, name).unlink(missing_ok=True)
    return {"JobBookmarkEntry": entry}


def _follow_workflow_run(account: str, region: str, workflow_name: str, run_id: str, starters: list[str]) -> None:
    """Start the workflow's ON_DEMAND triggers, then mark the run COMPLETED once its graph is idle."""
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account, region)
    started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    for name in starters:
        _start_actions(backend, backend.get_trigger(name))
    triggers = [t for t in backend.triggers.values() if t.workflow_name == workflow_name]
    job_names = {a.as_dict().get("JobName") for t in triggers for a in t.actions} - {None}
    crawler_names = {a.as_dict().get("CrawlerName") for t in triggers for a in t.actions} - {None}
    idle_checks = 0
    deadline = time.monotonic() + 6 * 3600
    while not cloud.stopping and time.monotonic() < deadline:
        time.sleep(1.0)
        busy = any(r.status not in FINAL_STATES for j in job_names if j in backend.jobs
                   for r in backend.jobs[j].job_runs)
        busy = busy or any(c.crawls and c.crawls[-1].status in ("RUNNING", "STOPPING")
                           for n, c in backend.crawlers.items() if n in crawler_names)
        idle_checks = 0 if busy else idle_checks + 1
        if idle_checks >= 3:  # nothing running for 3 s: conditional triggers had their chance
            break
    workflow = backend.workflows.get(workflow_name)
    run = workflow.get_run(run_id) if workflow else None
    if run is not None:
        with cloud.mutating():
            run.status = "COMPLETED"
            run.completed_on = datetime.now(timezone.utc).replace(tzinfo=None)
    log.info("workflow %s run %s completed (started %s)", workflow_name, run_id, started_at)


JOB_FIELDS = {"Description": ("description", None), "LogUri": ("log_uri", None), "Role": ("role", None),
              "ExecutionProperty": ("execution_property", {}), "Command": ("command", None),
              "DefaultArguments": ("default_arguments", {}), "NonOverridableArguments": ("non_overridable_arguments", None),
              "Connections": ("connections", None), "MaxRetries": ("max_retries", None),
              "AllocatedCapacity": ("allocated_capacity", None), "Timeout": ("timeout", None),
              "MaxCapacity": ("max_capacity", None), "WorkerType": ("worker_type", None),
              "NumberOfWorkers": ("number_of_workers", None), "SecurityConfiguration": ("security_configuration", None),
              "NotificationProperty": ("notification_property", None), "GlueVersion": ("glue_version", None),
              "ExecutionClass": ("execution_class", "STANDARD")}


def _update_job(response: Any) -> dict[str, Any]:
    """UpdateJob overwrites the whole definition with JobUpdate, as on AWS (omitted settings reset)."""
    backend = moto_coupling.backend_for("glue", response.current_account, response.region)
    name = response._get_param("JobName")
    job = backend.get_job(name)
    update = response._get_param("JobUpdate") or {}
    if not update.get("Role") or not (update.get("Command") or {}).get("ScriptLocation"):
        raise moto_coupling.AwsError("InvalidInputException",
                                     "JobUpdate replaces the whole job definition: Role and Command "
                                     "(with ScriptLocation) are required")
    for param, (field, default) in JOB_FIELDS.items():
        setattr(job, field, update.get(param, default))
    job.last_modified_on = datetime.now(timezone.utc).replace(tzinfo=None)
    return {"JobName": name}


def _batch_stop_job_run(response: Any) -> dict[str, Any]:
    backend = moto_coupling.backend_for("glue", response.current_account, response.region)
    stopped, errors = backend.batch_stop_job_run(response._get_param("JobName"),
                                                 response._get_param("JobRunIds") or [])
    return {"SuccessfulSubmissions": stopped, "Errors": errors}


def _fail_interrupted_runs() -> None:
    for _, _, backend in moto_coupling.backend_dict("glue").iter_backends():
        for job in getattr(backend, "jobs", {}).values():
            for run in job.job_runs:
                if getattr(run, "_status", None) in ("STARTING", "RUNNING", "STOPPING"):
                    run._status = "FAILED"
                    run.error_message = "the sandbox stopped while this job ran"


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("glue", SandboxGlueJobsBackend)
    moto_coupling.replace_model_class("glue", "FakeJobRun", SandboxJobRun)
    moto_coupling.add_operation("glue", "GlueResponse", "get_job_bookmark", _get_job_bookmark)
    moto_coupling.add_operation("glue", "GlueResponse", "reset_job_bookmark", _reset_job_bookmark)
    moto_coupling.add_operation("glue", "GlueResponse", "start_trigger", _start_trigger)
    moto_coupling.add_operation("glue", "GlueResponse", "batch_stop_job_run", _batch_stop_job_run)
    moto_coupling.add_operation("glue", "GlueResponse", "update_job", _update_job)
    # AWS lets a one-condition predicate omit Logical; moto insists on it
    moto_coupling.default_request_params("glue", "GlueResponse", "create_trigger", {"Logical": "AND"},
                                         nested="Predicate")
    cloud.after_restore(_fail_interrupted_runs)
    cloud.every(10.0, _check_scheduled_triggers, name="glue-scheduled-triggers")
    cloud.every(2.0, _fire_conditional_after_crawls, name="glue-crawler-conditions")
