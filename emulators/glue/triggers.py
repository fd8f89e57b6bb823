"""Glue triggers and workflow runs: what starts jobs and crawlers besides a direct call.

ON_DEMAND triggers run their actions on StartTrigger (and when a workflow run
starts); SCHEDULED ones on their ``cron(...)`` (checked every 10 s); CONDITIONAL
ones when a job run or crawl reaches the state their predicate names (``Logical``
AND / ANY); a workflow's EVENT trigger when an EventBridge rule targeting the workflow has delivered
``EventBatchingCondition.BatchSize`` events (default 1), or ``BatchWindow`` seconds (default 900) after the
first of a smaller batch: the run's properties hold the events' ids as ``aws:eventIds`` (the batches waiting
are not kept across a restart). A workflow run is COMPLETED once nothing it started has been running
for 3 s and every conditional trigger has seen the crawls that ended. moto keeps the triggers and
workflows; this module only acts on them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from emulators.core import moto_coupling, ports
from emulators.core.clock import utcnow
from emulators.core.cron import cron_matches
from emulators.core.moto_coupling import Request
from emulators.core.server import current_cloud
from emulators.core.errors import AlreadyExists
from emulators.glue.catalog_api import GlueInvalidInput
from emulators.glue.crawl_runs import running
from emulators.glue.job_api import FINAL_STATES

log = logging.getLogger("emulators.glue.jobs")
_trigger_fired: dict[tuple[str, str, str], str] = {}
_trigger_lock = threading.Lock()
WORKFLOW_IDLE_CHECKS = 3  # seconds with nothing running before a workflow run is COMPLETED
WORKFLOW_MAX_SECONDS = 6 * 3600
CRAWL_ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")  # a crawler's LastCrawl status once a crawl is over


class NameTaken(AlreadyExists):
    code = "AlreadyExistsException"


class TriggerOperations:
    """Mixin for the Glue backend (see :mod:`emulators.glue.provider`): workflow runs and trigger conditions."""

    def create_trigger(self, name: str, **kwargs: Any) -> None:
        """moto's CreateTrigger with AWS's checks: a name once, a valid schedule, a predicate."""
        if name in self.triggers:  # type: ignore[attr-defined]
            raise NameTaken(f"Trigger with name {name} already exists")
        kind, schedule = kwargs.get("trigger_type"), kwargs.get("schedule")
        if kind == "SCHEDULED":
            if not schedule:
                raise GlueInvalidInput("A SCHEDULED trigger needs a Schedule (a cron(...) expression)")
            try:
                cron_matches(schedule, utcnow())
            except ValueError as exc:
                raise GlueInvalidInput(f"Schedule expression {schedule!r} is not valid: {exc}") from None
        if kind == "CONDITIONAL" and not getattr(kwargs.get("predicate"), "conditions", None):
            raise GlueInvalidInput("A CONDITIONAL trigger needs a Predicate with at least one condition")
        if kind == "ON_DEMAND" and kwargs.get("start_on_creation"):
            raise GlueInvalidInput("StartOnCreation is not supported for ON_DEMAND triggers")
        super().create_trigger(name=name, **kwargs)  # type: ignore[misc]

    def create_workflow(self, name: str, *args: Any, **kwargs: Any) -> str:
        if name in self.workflows:  # type: ignore[attr-defined]
            raise NameTaken(f"Workflow with name {name} already exists")
        return super().create_workflow(name, *args, **kwargs)  # type: ignore[misc]

    def start_workflow_run(self, workflow_name: str, properties: dict[str, str] | None) -> str:
        run_id = super().start_workflow_run(workflow_name, properties)  # type: ignore[misc]
        triggers = [t for t in self.triggers.values() if t.workflow_name == workflow_name]  # type: ignore[attr-defined]
        starters = [t for t in triggers if t.trigger_type in ("ON_DEMAND", "EVENT")]
        if not starters:
            raise GlueInvalidInput(f"Workflow {workflow_name} has no ON_DEMAND or EVENT trigger to start it")
        for trigger in triggers:
            if trigger.trigger_type == "CONDITIONAL":
                trigger.state = "ACTIVATED"  # a workflow's conditional triggers follow its run
        current_cloud().submit(follow_workflow_run, self.account_id, self.region_name,  # type: ignore[attr-defined]
                               workflow_name, run_id, [t.name for t in starters])
        return run_id

    def job_run_finished(self, job_name: str, state: str) -> None:
        fire_conditional_triggers(self, job_name, state)
        super().job_run_finished(job_name, state)  # type: ignore[misc]


def _predicate(trigger: Any) -> dict[str, Any]:
    predicate = trigger.predicate
    return predicate.as_dict() if hasattr(predicate, "as_dict") else dict(predicate or {})


def _action(action: Any) -> dict[str, Any]:
    return action.as_dict() if hasattr(action, "as_dict") else dict(action)


def start_actions(backend: Any, trigger: Any) -> None:
    cloud = current_cloud()
    for action in trigger.actions:
        data = _action(action)
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


def _conditional(trigger: Any) -> bool:
    return trigger.trigger_type == "CONDITIONAL" and trigger.state == "ACTIVATED" and bool(trigger.predicate)


def fire_conditional_triggers(backend: Any, job_name: str, state: str) -> None:
    for trigger in list(getattr(backend, "triggers", {}).values()):
        if not _conditional(trigger):
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
        if all(results) if logical == "AND" else any(results):
            log.info("conditional trigger %s fires after %s %s", trigger.name, job_name, state)
            start_actions(backend, trigger)


def _ended_crawl_conditions(account: str, region: str, backend: Any, triggers: list[Any]):
    """(trigger, condition, key, status) for each crawl condition of an active conditional trigger whose
    crawler's last crawl has ended; ``key`` is what :data:`_trigger_fired` records once the trigger acted."""
    for trigger in triggers:
        if not _conditional(trigger):
            continue
        for condition in _predicate(trigger).get("Conditions", []):
            crawler = backend.crawlers.get(condition.get("CrawlerName") or "")
            if crawler is None or not crawler.crawls:
                continue
            status = crawler.as_dict().get("LastCrawl", {}).get("Status")
            if status in CRAWL_ENDED:
                yield trigger, condition, (account, region, f"{trigger.name}:{crawler.crawls[-1].crawl_id}"), status


def fire_conditional_after_crawls() -> None:
    """Conditional triggers watching crawlers: fire once per finished crawl."""
    for account, region, backend in list(moto_coupling.backend_dict("glue").iter_backends()):
        triggers = list(getattr(backend, "triggers", {}).values())
        for trigger, condition, key, status in _ended_crawl_conditions(account, region, backend, triggers):
            with _trigger_lock:
                if key in _trigger_fired:
                    continue
                _trigger_fired[key] = status
            if status == condition.get("CrawlState", "SUCCEEDED"):
                start_actions(backend, trigger)


def _crawl_conditions_pending(account: str, region: str, backend: Any, triggers: list[Any]) -> bool:
    """Whether a crawl of the workflow ended that a conditional trigger has not yet looked at (they are looked
    at every 2 s): until then, what it starts next is not known, and the run is not idle."""
    ended = _ended_crawl_conditions(account, region, backend, triggers)
    with _trigger_lock:
        return any(key not in _trigger_fired for _, _, key, _ in ended)


def check_scheduled_triggers() -> None:
    now = utcnow()
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
                start_actions(backend, trigger)


def update_trigger(request: Request) -> dict[str, Any]:
    """UpdateTrigger (moto lacks it): TriggerUpdate's settings replace the trigger's (omitted ones are kept;
    the type and workflow cannot change)."""
    backend = moto_coupling.backend_for("glue", request.account_id, request.region)
    trigger = backend.get_trigger(request.get("Name"))
    update = request.get("TriggerUpdate") or {}
    if update.get("Name") and update["Name"] != trigger.name:
        raise GlueInvalidInput("TriggerUpdate.Name must be the trigger's name: a trigger cannot be renamed")
    schedule = update.get("Schedule")
    if schedule is not None:
        if trigger.trigger_type != "SCHEDULED":
            raise GlueInvalidInput(f"Trigger {trigger.name} is {trigger.trigger_type}: only SCHEDULED triggers "
                                   "have a Schedule")
        try:
            cron_matches(schedule, utcnow())
        except ValueError as exc:
            raise GlueInvalidInput(f"Schedule expression {schedule!r} is not valid: {exc}") from None
        trigger.schedule = schedule
    if update.get("Predicate") is not None:
        if trigger.trigger_type != "CONDITIONAL":
            raise GlueInvalidInput(f"Trigger {trigger.name} is {trigger.trigger_type}: only CONDITIONAL triggers "
                                   "have a Predicate")
        predicate = {"Logical": "AND", **update["Predicate"]}
        if not predicate.get("Conditions"):
            raise GlueInvalidInput("A CONDITIONAL trigger needs a Predicate with at least one condition")
        trigger.predicate = moto_coupling.model_class("glue", "Predicate")(predicate)
    if update.get("Actions") is not None:
        if not update["Actions"]:
            raise GlueInvalidInput("A trigger needs at least one action")
        trigger.actions = [moto_coupling.model_class("glue", "Action")(a) for a in update["Actions"]]
    if update.get("Description") is not None:
        trigger.description = update["Description"]
    if update.get("EventBatchingCondition") is not None:
        trigger.event_batching_condition = update["EventBatchingCondition"]
    return {"Trigger": trigger.as_dict()}


def start_trigger(request: Request) -> dict[str, Any]:
    """ON_DEMAND triggers run their actions now; others become ACTIVATED (as on AWS)."""
    backend = moto_coupling.backend_for("glue", request.account_id, request.region)
    name = request.get("Name")
    trigger = backend.get_trigger(name)
    trigger.start_trigger()
    if trigger.trigger_type == "ON_DEMAND":
        current_cloud().submit(start_actions, backend, trigger)
    return {"Name": name}


def follow_workflow_run(account: str, region: str, workflow_name: str, run_id: str, starters: list[str]) -> None:
    """Start the workflow's ON_DEMAND triggers, then mark the run COMPLETED once its graph is idle."""
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account, region)
    started_at = utcnow()
    for name in starters:
        start_actions(backend, backend.get_trigger(name))
    triggers = [t for t in backend.triggers.values() if t.workflow_name == workflow_name]
    job_names = {_action(a).get("JobName") for t in triggers for a in t.actions} - {None}
    crawler_names = {_action(a).get("CrawlerName") for t in triggers for a in t.actions} - {None}
    idle_checks = 0
    deadline = time.monotonic() + WORKFLOW_MAX_SECONDS
    while not cloud.stopping and time.monotonic() < deadline:
        time.sleep(1.0)
        busy = any(r.status not in FINAL_STATES for j in job_names if j in backend.jobs
                   for r in backend.jobs[j].job_runs)
        busy = busy or any(running(c) for n, c in backend.crawlers.items() if n in crawler_names)
        busy = busy or _crawl_conditions_pending(account, region, backend, triggers)
        idle_checks = 0 if busy else idle_checks + 1
        if idle_checks >= WORKFLOW_IDLE_CHECKS:  # nothing running for 3 s: conditional triggers had their chance
            break
    workflow = backend.workflows.get(workflow_name)
    run = workflow.get_run(run_id) if workflow else None
    if run is not None:
        with cloud.mutating():
            run.status = "COMPLETED"
            run.completed_on = utcnow().replace(tzinfo=None)
    log.info("workflow %s run %s completed (started %s)", workflow_name, run_id, started_at)


_event_batches: dict[tuple[str, str, str], tuple[float, list[str]]] = {}  # (account, region, workflow)


def _event_trigger(backend: Any, workflow: str) -> Any:
    if workflow not in backend.workflows:
        raise ports.NotFoundThroughPort(f"Workflow {workflow} not found")
    trigger = next((t for t in backend.triggers.values()
                    if t.workflow_name == workflow and t.trigger_type == "EVENT"), None)
    if trigger is None:
        raise ports.NotFoundThroughPort(f"Workflow {workflow} has no trigger of type EVENT to start it")
    return trigger


def _batching(trigger: Any) -> tuple[int, int]:
    condition = getattr(trigger, "event_batching_condition", None) or {}
    return int(condition.get("BatchSize") or 1), int(condition.get("BatchWindow") or 900)


def workflow_event(account: str, region: str, workflow: str, event_id: str) -> str | None:
    """An EventBridge event for a workflow (the ``start_workflow_for_event`` port): it joins the EVENT trigger's
    batch, and a full batch starts a run."""
    backend = moto_coupling.backend_for("glue", account, region)
    trigger = _event_trigger(backend, workflow)
    if trigger.state == "DEACTIVATED":
        return None
    size, _ = _batching(trigger)
    with _trigger_lock:
        first, ids = _event_batches.pop((account, region, workflow), (time.time(), []))
        ids = [*ids, event_id]
        if len(ids) < size:
            _event_batches[(account, region, workflow)] = (first, ids)
            return None
    return backend.start_workflow_run(workflow, {"aws:eventIds": json.dumps(ids)})


def check_event_batches() -> None:
    """Start the runs of EVENT triggers whose BatchWindow passed before their batch filled."""
    now = time.time()
    for (account, region, workflow), (first, ids) in list(_event_batches.items()):
        backend = moto_coupling.backend_for("glue", account, region)
        try:
            _, window = _batching(_event_trigger(backend, workflow))
        except ports.NotFoundThroughPort:
            window = 0
        if now - first < window:
            continue
        with _trigger_lock:
            if _event_batches.get((account, region, workflow), (None, None))[0] != first:
                continue
            del _event_batches[(account, region, workflow)]
        if workflow in backend.workflows:
            with current_cloud().mutating():
                backend.start_workflow_run(workflow, {"aws:eventIds": json.dumps(ids)})


OPERATIONS = {
    "update_trigger": update_trigger,
    "start_trigger": start_trigger,
}
