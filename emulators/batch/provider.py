"""Batch on moto, with each job attempt run as a local process (``emulators.core.jobs``) instead of a container.

moto keeps compute environments, queues, job definitions and jobs, and starts a
thread per job (its ``Job`` is a ``threading.Thread``); our subclass's ``run`` is
that thread's body: wait for ``dependsOn``, then run up to ``retryStrategy.attempts``
attempts of the container command on the job runtime (timeout
``attemptDurationSeconds``; TerminateJob/CancelJob stop the whole process group),
stream the output to CloudWatch Logs ``/aws/batch/job`` and send "Batch Job State
Change" to EventBridge through ``ports.emit_event`` when the job ends.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import time
from datetime import datetime
from typing import Any

from emulators.core import jobs, logs, moto_coupling, ports
from emulators.core.errors import InvalidInput
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.batch")
MotoJob = moto_coupling.model_class("batch", "Job")
FINAL = ("SUCCEEDED", "FAILED")
LOG_GROUP = "/aws/batch/job"
MAX_ATTEMPTS = 10  # AWS's bound for retryStrategy.attempts
MIN_ARRAY_SIZE, MAX_ARRAY_SIZE = 2, 10_000  # arrayProperties.size
ESSENTIAL_EXITED = "Essential container in task exited"
TIMED_OUT = "Job attempt duration exceeded timeout"
SERVICE_LINKED_ROLE = "AWSServiceRoleForBatch"
# AWS's name rules: a job's name starts with a letter or digit; compute environments, job queues, job
# definitions and scheduling policies take any of these characters; all are 1 to 128 long
JOB_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
RESOURCE_NAME = r"^[A-Za-z0-9_-]{1,128}$"
# attributes every threading.Thread has: a job is pickled without them and gets fresh ones back
_THREAD_FIELDS = frozenset(vars(threading.Thread()))
# not pickled: moto's reference to the CloudWatch Logs backend (a second copy of every log group in
# each snapshot, stale after a restore) and our running attempt's process
_TRANSIENT = frozenset({"_log_backend", "docker_client"})


def _registry() -> jobs.ProcessRegistry:
    return jobs.registry("batch")


def _not_started_reason(command: str, detail: str) -> str:
    return (f"CannotStartContainerError: {command!r} is not installed on this machine "
            f"(the sandbox runs the command locally; images are not pulled): {detail}")


class SandboxBatchJob(moto_coupling.PlainStatus, MotoJob):  # type: ignore[misc, valid-type]
    """A Batch job whose container command runs as a local process, attempt by attempt."""

    __sandbox_persist__ = True  # pickled with its state, not as a thread

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # SubmitJob's retryStrategy (moto drops it): built in the request's thread, before the job's thread starts
        self.retry_strategy_override = getattr(_SUBMITTING, "retry_strategy", None)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _THREAD_FIELDS and k not in _TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        threading.Thread.__init__(self, daemon=True)
        self.__dict__.update(state)

    @property
    def account_id(self) -> str:
        return self.backend.account_id

    @property
    def region(self) -> str:
        return self.backend.region_name

    @property
    def stream_name(self) -> str:
        # CloudWatch log stream names cannot hold ':' (an array child's job id ends ':<index>'); AWS names
        # the stream after the container's task id, which has none
        return f"{self.job_definition.name}/default/{self.job_id}".replace(":", "-")

    def _container_details(self) -> dict[str, Any]:
        details = super()._container_details()
        requirements = self._get_container_property("resourceRequirements", [])
        if requirements:  # a Fargate-style definition: AWS shows its resourceRequirements, not vcpus/memory
            details["resourceRequirements"] = requirements
            details.pop("vcpus", None)
            details.pop("memory", None)
        if self.exit_code is not None:
            details["exitCode"] = self.exit_code
        if self.latest_attempt and self.latest_attempt.get("statusReason"):
            details["reason"] = self.latest_attempt["statusReason"]
        return details

    def _get_container_property(self, p: str, default: Any) -> Any:
        if p != "environment":
            return super()._get_container_property(p, default)
        # the overrides' variables, then the definition's others (moto appended AWS_BATCH_JOB_ID to the
        # overrides' own list at every call; Batch's reserved variables are set when the command runs)
        overrides = list(self.container_overrides.get("environment") or [])
        named = {e["name"] for e in overrides}
        defined = (self.job_definition.container_properties or {}).get("environment") or []
        return overrides + [e for e in defined if e["name"] not in named]

    def describe_short(self) -> dict[str, Any]:
        result = super().describe_short()
        if "index" in (self.array_properties or {}):  # ListJobs(arrayJobId=...) names each child's index
            result["arrayProperties"] = {"index": self.array_properties["index"]}
        return result

    def describe(self) -> dict[str, Any]:
        result = super().describe()
        strategy = getattr(self, "retry_strategy_override", None) or getattr(self.job_definition, "retry_strategy",
                                                                               None)
        if strategy:
            result["retryStrategy"] = strategy
        if "index" in (self.array_properties or {}):  # a child of an array job
            result["arrayProperties"] = {"index": self.array_properties["index"]}
        elif self._child_jobs:
            result["status"] = self.status = _array_status([c.status for c in self._child_jobs], self.status)
        return result

    def _parent(self) -> Any:
        if "index" not in (self.array_properties or {}):
            return None
        return self.backend.get_job_by_id(self.job_id.rsplit(":", 1)[0])

    def _dependency_ids(self) -> list[str]:
        """The jobs this one waits for: ``jobId`` entries, an array child's ``N_TO_N`` partner (the same index of
        the other array job) and ``SEQUENTIAL`` predecessor (the previous index of its own array job)."""
        index = (self.array_properties or {}).get("index")
        wanted = []
        for dependency in self.depends_on or []:
            kind = str(dependency.get("type") or "").upper()
            if kind == "SEQUENTIAL":
                if index is not None and index > 0:
                    wanted.append(f"{self.job_id.rsplit(':', 1)[0]}:{index - 1}")
            elif kind == "N_TO_N" and index is not None and dependency.get("jobId"):
                wanted.append(f"{dependency['jobId']}:{index}")
            elif dependency.get("jobId"):
                wanted.append(dependency["jobId"])
        return wanted

    def terminate(self, reason: str) -> None:
        """TerminateJob / CancelJob: mark the job, and stop its running attempt's whole process group."""
        super().terminate(reason)
        if self.status not in FINAL and not self.job_stopped:
            _registry().stop(self.job_id)

    # -- the run (the body of moto's job thread) ------------------------------------
    def run(self) -> None:
        try:
            self._run_attempts()
        except Exception as exc:  # never leave a job hanging in RUNNING
            log.exception("batch job %s failed", self.job_id)
            self.job_stopped_reason = f"{type(exc).__name__}: {exc}"
            self._finish(False)

    def _run_attempts(self) -> None:
        self.status = "PENDING"
        if self._dependency_ids() and not self._dependencies_succeeded():
            return
        self.status = "RUNNABLE"
        self.status = "STARTING"
        if self.job_definition.container_properties is None:
            self.job_stopped_reason = "only container jobs run in the sandbox (multi-node and EKS jobs need a cluster)"
            self._finish(False)
            return
        strategy = getattr(self, "retry_strategy_override", None) or \
            getattr(self.job_definition, "retry_strategy", None) or {}
        attempts = int(strategy.get("attempts", 1) or 1)
        reason = None
        for attempt in range(1, max(1, min(attempts, MAX_ATTEMPTS)) + 1):
            self.job_started_at = datetime.now()
            self._start_attempt()
            self.status = "RUNNING"
            code, reason = self._run_once(attempt)
            self.exit_code = code
            if self.latest_attempt is not None:
                self.latest_attempt["container"]["exitCode"] = code
                self.latest_attempt["statusReason"] = reason or ESSENTIAL_EXITED
            if code == 0 and not self.stop:
                self._finish(True)
                return
            if self.stop:
                break
            self.job_stopped_at = datetime.now()
            self._stop_attempt()
            if not should_retry(strategy.get("evaluateOnExit") or [], code, reason or ESSENTIAL_EXITED,
                                reason or ""):
                break
        if not self.job_stopped_reason:
            self.job_stopped_reason = reason or ESSENTIAL_EXITED
        self._finish(False)

    def _dependencies_succeeded(self) -> bool:
        wanted = self._dependency_ids()
        cloud = current_cloud()
        while not self.stop:
            if cloud.stopping:  # left as it is: a restart fails it with the runtime's wording
                return False
            found = [self.backend.get_job_by_id(j) for j in wanted]
            states = [(_array_status([c.status for c in job._child_jobs], job.status) if job is not None and
                       job._child_jobs else job.status if job is not None else "FAILED") for job in found]
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
        """The runtime's child environment: the job's variables, then Batch's reserved ones."""
        user = {e["name"]: e["value"] for e in self._get_container_property("environment", [])}
        reserved = {
            "AWS_BATCH_JOB_ID": self.job_id,
            "AWS_BATCH_JQ_NAME": self.job_queue.name,
            "AWS_BATCH_JOB_ATTEMPT": str(attempt),
            "AWS_BATCH_CE_NAME": "sandbox",
        }
        if "index" in (self.array_properties or {}):
            reserved["AWS_BATCH_JOB_ARRAY_INDEX"] = str(self.array_properties["index"])
        return jobs.child_environment(current_cloud().endpoint_url, self.region, reserved, user=user)

    def _run_once(self, attempt: int) -> tuple[int, str | None]:
        """One attempt: ``(exit code, why it stopped)``."""
        cloud = current_cloud()
        workdir = cloud.data_dir("batch") / self.job_id.replace(":", "_") / f"attempt-{attempt}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        try:
            command = self._command()
        except ValueError as exc:
            return 1, str(exc)
        self.log_stream_name = self.stream_name
        if self.latest_attempt is not None:
            self.latest_attempt["container"]["logStreamName"] = self.log_stream_name
        stream = logs.LogStream(self.account_id, self.region, LOG_GROUP, self.log_stream_name, guard=cloud.mutating)
        spec = jobs.ProcessSpec(command, workdir, self._environment(attempt), workdir / "output.log",
                                timeout=self._get_attempt_duration(), on_line=stream.add,
                                should_stop=lambda: self.stop)
        outcome = jobs.run(spec, _registry(), self.job_id, stopping=lambda: cloud.stopping)
        stream.flush()
        if outcome.start_error is not None:
            return 127, _not_started_reason(command[0], outcome.start_error)
        if outcome.timed_out:
            self.job_stopped_reason = TIMED_OUT
            return _exit_code(outcome), TIMED_OUT
        if outcome.stopped:
            if not self.stop:  # the sandbox is shutting down: a restart fails the job with the runtime's wording
                self.stop = True
                self.job_stopped_reason = jobs.interrupted("job")
            return _exit_code(outcome), self.job_stopped_reason or "Terminated"
        return _exit_code(outcome), None

    def _finish(self, success: bool) -> None:
        _registry().forget(self.job_id)
        with current_cloud().mutating():
            already = self.job_stopped
            self._mark_stopped(success=success)
            parent = self._parent()
            if parent is not None and parent._child_jobs:  # ListJobs(jobStatus=...) sees the array job's status
                parent.status = _array_status([c.status for c in parent._child_jobs], parent.status)
            detail = None if already else self.describe()
        if detail is not None:
            emit_state_change(self, detail)


def _array_status(children: list[str | None], current: str) -> str:
    """An array job's status from its children's: SUCCEEDED when all succeeded, FAILED when all finished and one
    failed, RUNNING once one started, else as it is (SUBMITTED / PENDING)."""
    if children and all(c in FINAL for c in children):
        return "SUCCEEDED" if all(c == "SUCCEEDED" for c in children) else "FAILED"
    if any(c in ("STARTING", "RUNNING", "SUCCEEDED", "FAILED") for c in children):
        return "RUNNING"
    return "PENDING" if current == "SUBMITTED" and any(c for c in children) else current


_SUBMITTING = threading.local()  # the SubmitJob request being answered in this thread


def _check_submission(operation: str, request: Any) -> None:
    """SubmitJob: keep its retryStrategy for the jobs the backend builds next in this thread (bounds checked)."""
    try:  # moto names Batch's operations in lower case, so the request's JSON body is read here
        strategy = request.get("retryStrategy") or (json.loads(request.body or b"{}") or {}).get("retryStrategy")
    except ValueError:
        strategy = None
    attempts = (strategy or {}).get("attempts")
    if attempts is not None and not 1 <= int(attempts) <= MAX_ATTEMPTS:
        raise InvalidInput(f"retryStrategy.attempts must be between 1 and {MAX_ATTEMPTS}, got {attempts}.",
                           code="ClientException")
    _SUBMITTING.retry_strategy = strategy or None


def _glob(pattern: str | None, value: str) -> bool:
    """retryStrategy's patterns: exact text, or a prefix ending in ``*`` (``*`` alone matches anything)."""
    if pattern is None:
        return True
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


def should_retry(rules: list[dict[str, str]], exit_code: int, status_reason: str, reason: str) -> bool:
    """Whether a failed attempt is retried: the first ``evaluateOnExit`` rule whose ``onExitCode``,
    ``onStatusReason`` and ``onReason`` all match decides (RETRY or EXIT); none matching means retry."""
    for rule in rules:
        if _glob(rule.get("onExitCode"), str(exit_code)) and _glob(rule.get("onStatusReason"), status_reason) \
                and _glob(rule.get("onReason"), reason):
            return str(rule.get("action", "")).upper() == "RETRY"
    return True


def _exit_code(outcome: jobs.ProcessOutcome) -> int:
    """The container's exit code as Batch reports it (a signal N is 128 + N, as a shell says)."""
    code = outcome.exit_code
    if code is None:
        return 1
    return 128 - code if code < 0 else code


def emit_state_change(job: SandboxBatchJob, detail: dict[str, Any]) -> None:
    """EventBridge's "Batch Job State Change" for a job that reached SUCCEEDED or FAILED."""
    try:
        ports.emit_event(job.account_id, job.region, "aws.batch", "Batch Job State Change",
                         json.loads(json.dumps(detail, default=str)), [job.arn])
    except ports.PortUnavailable:
        log.debug("Batch job %s: no EventBridge in this sandbox, no state-change event", job.job_id)
    except Exception:
        log.exception("Batch job %s: state-change event not sent", job.job_id)


def fail_interrupted_jobs() -> None:
    """After a restart, jobs that had not finished are FAILED with the runtime's one wording."""
    def unfinished(job: Any) -> bool:
        return job.status not in FINAL and "size" not in (job.array_properties or {})  # a parent follows its children

    def fail(job: Any, reason: str) -> None:
        job.job_stopped_reason = reason
        job.job_stopped = True
        job.job_stopped_at = datetime.now()
        job.status = "FAILED"

    jobs.settle_interrupted(moto_coupling.batch_jobs(), unfinished, fail, what="job")


class SandboxBatchBackend(moto_coupling.backend_class("batch")):  # type: ignore[misc]
    """moto's Batch, with the service-linked role AWS Batch uses when CreateComputeEnvironment names no
    serviceRole (moto required one; AWS creates ``AWSServiceRoleForBatch`` once per account)."""

    def create_compute_environment(self, compute_environment_name: str, _type: str, state: str,
                                   compute_resources: dict[str, Any], service_role: str,
                                   tags: dict[str, str] | None = None) -> Any:
        _check_name(compute_environment_name, "computeEnvironmentName")
        return super().create_compute_environment(compute_environment_name, _type, state, compute_resources,
                                                  service_role or self._service_linked_role(), tags)

    def register_job_definition(self, def_name: str, parameters: dict[str, Any], _type: str, tags: dict[str, str],
                                retry_strategy: dict[str, Any], container_properties: dict[str, Any] | None,
                                *args: Any, **kwargs: Any) -> Any:
        _check_name(def_name, "jobDefinitionName")
        attempts = (retry_strategy or {}).get("attempts")
        if attempts is not None and not 1 <= int(attempts) <= MAX_ATTEMPTS:
            raise InvalidInput(f"retryStrategy.attempts must be between 1 and {MAX_ATTEMPTS}, got {attempts}.",
                               code="ClientException")
        return super().register_job_definition(def_name, parameters, _type, tags, retry_strategy,
                                               container_properties, *args, **kwargs)

    def submit_job(self, job_name: str, job_def_id: str, job_queue: str, array_properties: dict[str, int],
                   *args: Any, **kwargs: Any) -> Any:
        _check_name(job_name, "jobName")
        size = (array_properties or {}).get("size")
        if size is not None and not MIN_ARRAY_SIZE <= int(size) <= MAX_ARRAY_SIZE:
            raise InvalidInput(f"arrayProperties.size must be between {MIN_ARRAY_SIZE} and {MAX_ARRAY_SIZE}, "
                               f"got {size}.", code="ClientException")
        queue = self.get_job_queue(job_queue)
        if queue is not None and queue.state != "ENABLED":
            raise InvalidInput(f"Job queue {queue.name} is DISABLED: it accepts no new jobs.", code="ClientException")
        job_def = self.get_job_definition(job_def_id)
        if job_def is not None and job_def.status == "INACTIVE":
            raise InvalidInput(f"Job definition {job_def_id} is INACTIVE (deregistered): register a new revision.",
                               code="ClientException")
        try:
            return super().submit_job(job_name, job_def_id, job_queue, array_properties or {}, *args, **kwargs)
        finally:
            _SUBMITTING.retry_strategy = None

    def list_jobs(self, job_queue_name: str | None, array_job_id: str | None, job_status: str | None = None,
                  filters: list[dict[str, Any]] | None = None) -> list[Any]:
        """ListJobs without jobStatus or filters lists RUNNING jobs only, as AWS does (moto listed every job)."""
        if job_status is None and not filters:
            job_status = "RUNNING"
        return super().list_jobs(job_queue_name, array_job_id, job_status, filters or None)

    def create_job_queue(self, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        _check_name(queue_name, "jobQueueName")
        return super().create_job_queue(queue_name, *args, **kwargs)

    def create_scheduling_policy(self, name: str, *args: Any, **kwargs: Any) -> Any:
        _check_name(name, "name")
        return super().create_scheduling_policy(name, *args, **kwargs)

    def delete_compute_environment(self, compute_environment_name: str) -> None:
        """AWS deletes only a DISABLED compute environment that no job queue uses (moto deleted any)."""
        environment = self.get_compute_environment(compute_environment_name) if compute_environment_name else None
        if environment is not None:
            if environment.state != "DISABLED":
                raise InvalidInput(f"Cannot delete compute environment {environment.name}: its state must be "
                                   "DISABLED (UpdateComputeEnvironment) first.", code="ClientException")
            users = [q.name for q in self._job_queues.values() if environment in q.environments]
            if users:
                raise InvalidInput(f"Cannot delete, found existing JobQueue relationship: compute environment "
                                   f"{environment.name} is used by job queue {users[0]}.", code="ClientException")
        super().delete_compute_environment(compute_environment_name)

    def delete_job_queue(self, queue_name: str) -> None:
        queue = self.get_job_queue(queue_name)
        if queue is not None and queue.state != "DISABLED":
            raise InvalidInput(f"Cannot delete job queue {queue.name}: its state must be DISABLED (UpdateJobQueue) "
                               "first.", code="ClientException")
        super().delete_job_queue(queue_name)

    def _service_linked_role(self) -> str:
        iam = self.iam_backend
        found = [role for role in iam.get_roles() if role.name == SERVICE_LINKED_ROLE]
        if found:
            return found[0].arn
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["batch.amazonaws.com"]}}]})
        return iam.create_role(SERVICE_LINKED_ROLE, trust, "/aws-service-role/batch.amazonaws.com/",
                               permissions_boundary=None, description="Allows Batch to create and manage AWS "
                               "resources on your behalf.", tags=[], max_session_duration="3600",
                               linked_service="batch.amazonaws.com").arn


def _check_name(name: str | None, member: str) -> None:
    """AWS's ClientException for a name outside its rules (a missing one is left to moto's own message)."""
    if name is None or re.match(JOB_NAME if member == "jobName" else RESOURCE_NAME, name):
        return
    first = "; the first character must be a letter or a digit" if member == "jobName" else ""
    raise InvalidInput(f"{member} '{name}' is not valid: it must be 1 to 128 characters long and contain only "
                       f"letters (upper and lower case), numbers, hyphens (-) and underscores (_){first}.",
                       code="ClientException")


def install(cloud: Any) -> None:
    moto_coupling.use_batch_name_patterns(JOB_NAME, RESOURCE_NAME)
    moto_coupling.install_backend_class("batch", SandboxBatchBackend)
    moto_coupling.replace_model_class("batch", "Job", SandboxBatchJob)
    moto_coupling.check_requests("batch", "BatchResponse", ["submitjob"], _check_submission)
    jobs.bind(cloud, "batch")
    cloud.after_restore(fail_interrupted_jobs)
