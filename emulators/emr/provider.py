"""EMR on moto, with steps executed by :mod:`emulators.emr.steps` on the job runtime.

Steps run one at a time per cluster, in the ``emr`` process registry keyed by step id.
CancelSteps cancels PENDING steps at once and RUNNING ones by ending the step's whole
process group (``SEND_INTERRUPT``: SIGTERM, then SIGKILL after a grace period;
``TERMINATE_PROCESS``: SIGKILL at once); the step goes CANCEL_PENDING -> CANCELLED.
A step that runs longer than the sandbox's limit (:data:`STEP_TIMEOUT_SECONDS`, from
``SANDBOX_EMR_STEP_TIMEOUT_SECONDS``; EMR itself has none) is ended and FAILED.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from emulators.core import jobs, logs, moto_coupling, s3uri, warm_spark
from emulators.core.errors import Conflict, NotFound
from emulators.core.moto_coupling import Request, backend_class, model_class
from emulators.core.s3access import s3_access, safe_file_name
from emulators.core.server import current_cloud
from emulators.emr import steps as step_engine

log = logging.getLogger("emulators.emr")
EmrBackend = backend_class("emr")
MotoStep = model_class("emr", "Step")
MotoCluster = model_class("emr", "Cluster")
FINISHED_CLUSTER_STATES = ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
STEP_TIMEOUT_SECONDS = float(os.environ.get("SANDBOX_EMR_STEP_TIMEOUT_SECONDS") or 2 * 3600)
INTERRUPT_GRACE_SECONDS = 10.0  # SEND_INTERRUPT: time between SIGTERM and SIGKILL
PROCESSES = jobs.registry("emr")

# clusters whose step queue is being worked on: {(account, region, cluster_id)}
_active_runners: set[tuple[str, str, str]] = set()
_runner_lock = threading.Lock()


class SandboxStep(MotoStep):  # type: ignore[misc, valid-type]
    """moto's step, plus the FailureDetails AWS reports for a failed step."""

    @property
    def status(self) -> dict[str, Any]:
        status = super().status
        details = getattr(self, "failure_details", None)
        if details:
            status["FailureDetails"] = details
        return status


class SandboxCluster(MotoCluster):  # type: ignore[misc, valid-type]
    """moto's cluster, plus the StateChangeReason Code AWS gives (USER_REQUEST, ALL_STEPS_COMPLETED, STEP_FAILURE)."""

    @property
    def status(self) -> dict[str, Any]:
        status = super().status
        code = getattr(self, "state_change_code", None)
        if code:
            status["StateChangeReason"]["Code"] = code
        return status


def end_cluster(cluster: Any, code: str, message: str, state: str = "TERMINATED") -> None:
    """Terminate a cluster with AWS's reason (``code``/``message``) and final state."""
    cluster.terminate()
    cluster.__class__ = SandboxCluster
    cluster.state = state
    cluster.state_change_code = code
    cluster.last_state_change_reason = message


class SandboxEmrBackend(EmrBackend):  # type: ignore[misc, valid-type]
    def run_job_flow(self, **kwargs: Any) -> Any:
        cluster = super().run_job_flow(**kwargs)
        cluster.__class__ = SandboxCluster
        if cluster.state == "TERMINATED":  # no steps and not kept alive: moto ended it at once, as EMR does
            cluster.state_change_code, cluster.last_state_change_reason = "ALL_STEPS_COMPLETED", "Steps completed"
        if cluster.steps:
            self._queue_steps(cluster, cluster.steps)
        return cluster

    def add_job_flow_steps(self, job_flow_id: str, steps: list[dict[str, Any]]) -> list[Any]:
        cluster = self.describe_cluster(job_flow_id)
        if cluster.state in FINISHED_CLUSTER_STATES:
            raise Conflict("A job flow that is shutting down, terminated, or finished may not be modified.",
                           code="ValidationException")
        added = super().add_job_flow_steps(job_flow_id, steps)
        self._queue_steps(cluster, added)
        return added

    def describe_step(self, cluster_id: str, step_id: str) -> Any:
        self.describe_cluster(cluster_id)  # an unknown cluster is InvalidRequestException
        step = super().describe_step(cluster_id, step_id)
        if step is None:
            raise NotFound(f"Step id '{step_id}' is not valid.", code="InvalidRequestException")
        return step

    def list_steps(self, cluster_id: str, step_ids: list[str] | None = None,
                   step_states: list[str] | None = None) -> list[Any]:
        self.describe_cluster(cluster_id)  # an unknown cluster is InvalidRequestException, not a crash
        return super().list_steps(cluster_id, step_ids, step_states)

    # operations on a cluster by id: an unknown id is InvalidRequestException (moto crashed with a KeyError)
    def list_bootstrap_actions(self, cluster_id: str) -> Any:
        self.describe_cluster(cluster_id)
        return super().list_bootstrap_actions(cluster_id)

    def list_instance_groups(self, cluster_id: str) -> Any:
        self.describe_cluster(cluster_id)
        return super().list_instance_groups(cluster_id)

    def list_instances(self, cluster_id: str, *args: Any, **kwargs: Any) -> Any:
        self.describe_cluster(cluster_id)
        return super().list_instances(cluster_id, *args, **kwargs)

    def modify_cluster(self, cluster_id: str, step_concurrency_level: int) -> Any:
        self.describe_cluster(cluster_id)
        return super().modify_cluster(cluster_id, step_concurrency_level)

    def add_instance_groups(self, cluster_id: str, instance_groups: list[dict[str, Any]]) -> Any:
        self.describe_cluster(cluster_id)
        return super().add_instance_groups(cluster_id, instance_groups)

    def set_visible_to_all_users(self, job_flow_ids: list[str], visible_to_all_users: bool) -> None:
        for job_flow_id in job_flow_ids:
            self.describe_cluster(job_flow_id)
        super().set_visible_to_all_users(job_flow_ids, visible_to_all_users)

    def set_termination_protection(self, job_flow_ids: list[str], value: bool) -> None:
        for job_flow_id in job_flow_ids:
            self.describe_cluster(job_flow_id)
        super().set_termination_protection(job_flow_ids, value)

    def terminate_job_flows(self, job_flow_ids: list[str]) -> list[Any]:
        """TerminateJobFlows: the cluster's PENDING steps are CANCELLED and a RUNNING step's processes end."""
        for job_flow_id in job_flow_ids:
            self.describe_cluster(job_flow_id)
        terminated = super().terminate_job_flows(job_flow_ids)
        for cluster in terminated:
            end_cluster(cluster, "USER_REQUEST", "Terminated by user request")
            for step in cluster.steps:
                if step.state == "PENDING":
                    step.__class__ = SandboxStep
                    step.state = "CANCELLED"
                    step.last_state_change_reason = "Cluster terminated"
                elif step.state == "RUNNING":
                    step.__class__ = SandboxStep
                    step.state = "CANCEL_PENDING"
                    PROCESSES.stop(step.id, grace=0.0)
        return terminated

    def cancel_steps(self, cluster_id: str, step_ids: list[str],
                     cancellation_option: str | None = None) -> list[dict[str, str]]:
        """CancelSteps: PENDING steps are cancelled at once; RUNNING ones have their process group ended."""
        cluster = self.describe_cluster(cluster_id)
        steps = {s.id: s for s in cluster.steps}
        grace = 0.0 if cancellation_option == "TERMINATE_PROCESS" else INTERRUPT_GRACE_SECONDS
        answers = []
        for step_id in step_ids:
            step = steps.get(step_id)
            if step is None:
                answers.append({"StepId": step_id, "Status": "FAILED", "Reason": f"Step id '{step_id}' is not valid."})
            elif step.state == "PENDING":
                step.__class__ = SandboxStep
                step.state = "CANCELLED"
                step.last_state_change_reason = "Cancelled by CancelSteps"
                answers.append({"StepId": step_id, "Status": "SUBMITTED", "Reason": ""})
            elif step.state in ("RUNNING", "CANCEL_PENDING"):
                step.__class__ = SandboxStep
                step.state = "CANCEL_PENDING"
                PROCESSES.stop(step_id, grace=grace)
                answers.append({"StepId": step_id, "Status": "SUBMITTED", "Reason": ""})
            else:
                answers.append({"StepId": step_id, "Status": "FAILED",
                                "Reason": f"Step {step_id} is {step.state} and cannot be cancelled."})
        return answers

    def _queue_steps(self, cluster: Any, new_steps: list[Any]) -> None:
        for step in new_steps:
            step.__class__ = SandboxStep
            step.state = "PENDING"
        cluster.state = "RUNNING"
        start_runner(self.account_id, self.region_name, cluster.id)


def start_runner(account_id: str, region: str, cluster_id: str) -> None:
    key = (account_id, region, cluster_id)
    with _runner_lock:
        if key in _active_runners:
            return
        _active_runners.add(key)
    current_cloud().submit(_drain_steps, account_id, region, cluster_id)


def fetch_step_file(s3_uri: str, folder: Path) -> Path:
    """Download a step's script or dependency from S3 into ``folder``; returns its local path."""
    bucket, key = s3uri.parse(s3_uri)
    body = s3_access().get(bucket, key)
    target = folder / safe_file_name(key, "step-file")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return target


def _next_step(backend: Any, cluster_id: str) -> Any:
    cluster = backend.clusters.get(cluster_id)
    if cluster is None:
        return None
    for step in cluster.steps:
        if step.state == "PENDING":
            return step
    return None


def _drain_steps(account_id: str, region: str, cluster_id: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("emr", account_id, region)
    try:
        while not cloud.stopping:
            with cloud.mutating():
                step = _next_step(backend, cluster_id)
                cluster = backend.clusters.get(cluster_id)
                if step is None or cluster is None:
                    if cluster is not None and cluster.state not in FINISHED_CLUSTER_STATES:
                        if cluster.keep_job_flow_alive_when_no_steps:
                            cluster.state = "WAITING"
                        else:
                            end_cluster(cluster, "ALL_STEPS_COMPLETED", "Steps completed")
                    return
                step.state = "RUNNING"
                step.start()
                cluster.state = "RUNNING"
                log_uri = cluster.log_uri
            _run_one(cloud, backend, cluster_id, step, log_uri)
    finally:
        with _runner_lock:
            _active_runners.discard((account_id, region, cluster_id))


def _run_one(cloud: Any, backend: Any, cluster_id: str, step: Any, log_uri: str | None) -> None:
    utcnow = moto_coupling.moto_utcnow  # moto's clock (naive UTC), as its EMR models use

    workdir = cloud.data_dir("emr") / cluster_id / step.id
    shutil.rmtree(workdir, ignore_errors=True)
    env = step_engine.step_environment(cloud.endpoint_url, backend.region_name, workdir,
                                       {"EMR_CLUSTER_ID": cluster_id, "EMR_STEP_ID": step.id})
    failure: dict[str, Any] | None = None
    cancelled = interrupted = False
    try:
        command = step_engine.step_command(step.jar, list(step.args), workdir, fetch_step_file)
        result = step_engine.run_step(command, workdir, env, timeout=STEP_TIMEOUT_SECONDS,
                                      registry=PROCESSES, key=step.id)
        if result.timed_out:
            failure = {"Reason": "Step timed out.",
                       "Message": f"The step ran longer than the sandbox's step limit of {STEP_TIMEOUT_SECONDS:g} "
                                  "seconds (SANDBOX_EMR_STEP_TIMEOUT_SECONDS; EMR itself sets no step timeout), "
                                  "so its processes were ended"}
        elif result.stopped and step.state != "CANCEL_PENDING" and PROCESSES.stopping:
            interrupted = True  # the sandbox is stopping: after restore the step is failed as interrupted
        elif result.stopped:
            cancelled = True
        elif result.exit_code != 0 or result.start_error:
            failure = {"Reason": "Unknown Error.", "Message": result.failure_message}
    except step_engine.StepNotSupported as exc:
        failure = {"Reason": "Step not supported by the sandbox.", "Message": str(exc)}
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "stderr").write_text(str(exc))
    except Exception as exc:  # a broken script or a missing S3 object fails the step, not the sandbox
        log.exception("step %s failed to start", step.id)
        failure = {"Reason": "Unknown Error.", "Message": f"{type(exc).__name__}: {exc}"[:1024]}
    finally:
        PROCESSES.forget(step.id)
    if interrupted:
        return
    if log_uri:
        failure_log = upload_step_logs(log_uri, cluster_id, step.id, workdir)
        if failure is not None and failure_log:
            failure["LogFile"] = failure_log
    with cloud.mutating():
        step.end_date_time = utcnow()
        cluster = backend.clusters.get(cluster_id)
        if cancelled or (step.state == "CANCEL_PENDING" and failure is not None):
            step.state = "CANCELLED"
            step.last_state_change_reason = "Cancelled by CancelSteps"
            return
        if failure is None:
            step.state = "COMPLETED"
            return
        step.state = "FAILED"
        step.failure_details = failure
        step.last_state_change_reason = failure["Message"]
        if cluster is None:
            return
        if step.action_on_failure in ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW", "CANCEL_AND_WAIT"):
            for later in cluster.steps:
                if later.state == "PENDING":
                    later.state = "CANCELLED"
        if step.action_on_failure in ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"):
            end_cluster(cluster, "STEP_FAILURE", "Shut down as step failed", state="TERMINATED_WITH_ERRORS")


def upload_step_logs(log_uri: str, cluster_id: str, step_id: str, workdir: Path) -> str | None:
    """stdout.gz / stderr.gz under <LogUri>/<cluster>/steps/<step>/, as EMR writes them; the stderr URI."""
    if not log_uri.startswith(("s3://", "s3n://")):
        return None
    base = s3uri.join(log_uri, cluster_id, "steps", step_id)
    written = logs.upload_log_files(base, {"stdout": workdir / "stdout", "stderr": workdir / "stderr"})
    return written.get("stderr")


def _settle_steps_after_restart() -> None:
    """After a restart: steps that were RUNNING failed with the sandbox (one wording); PENDING ones resume."""
    cloud = current_cloud()
    for account_id, region, backend in list(moto_coupling.backend_dict("emr").iter_backends()):
        for cluster in list(backend.clusters.values()):
            key = (account_id, region, cluster.id)
            with _runner_lock:
                active = key in _active_runners
            if active:
                continue

            def fail(step: Any, reason: str) -> None:
                step.__class__ = SandboxStep
                if step.state == "CANCEL_PENDING":
                    step.state = "CANCELLED"
                    return
                step.state = "FAILED"
                step.failure_details = {"Reason": "Interrupted.", "Message": reason}
                step.last_state_change_reason = reason

            with cloud.mutating():
                jobs.settle_interrupted(list(cluster.steps), lambda s: s.state in ("RUNNING", "CANCEL_PENDING"),
                                        fail, what="step")
            if any(s.state == "PENDING" for s in cluster.steps) and cluster.state not in FINISHED_CLUSTER_STATES:
                start_runner(account_id, region, cluster.id)


def _cancel_steps(request: Request) -> dict[str, Any]:
    backend = moto_coupling.backend_for("emr", request.account_id, request.region)
    answers = backend.cancel_steps(request.get("ClusterId"), request.get("StepIds") or [],
                                   request.get("StepCancellationOption"))
    return {"CancelStepsInfoList": answers}


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("emr", SandboxEmrBackend)
    moto_coupling.add_operation("emr", "ElasticMapReduceResponse", "cancel_steps", _cancel_steps)
    jobs.bind(cloud, "emr")
    warm_spark.pool_for(cloud)  # steps start on a pre-started Spark driver when they can
    cloud.every(2.0, _settle_steps_after_restart, name="emr-resume-steps")
