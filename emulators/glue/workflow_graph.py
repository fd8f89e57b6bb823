"""GetWorkflow's ``Graph`` (``IncludeGraph``): the workflow's triggers and the jobs and crawlers they connect.

moto answers GetWorkflow without a graph. The graph here is the static one the Glue
console draws: a TRIGGER node per trigger of the workflow, a JOB or CRAWLER node per
job or crawler a trigger starts or watches, an edge from a trigger to what it starts
and from a watched job or crawler to the trigger. Nodes carry no run details.
"""

from __future__ import annotations

import hashlib
from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import Request


def _unique_id(kind: str, name: str) -> str:
    return "wnode_" + hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:48]


def workflow_graph(backend: Any, workflow_name: str) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, str]] = []

    def node(kind: str, name: str, details: dict[str, Any]) -> str:
        unique = _unique_id(kind, name)
        nodes.setdefault(unique, {"Type": kind, "Name": name, "UniqueId": unique, **details})
        return unique

    def target(job: Any, crawler: Any) -> str | None:
        if job:
            return node("JOB", job, {"JobDetails": {}})
        if crawler:
            return node("CRAWLER", crawler, {"CrawlerDetails": {}})
        return None

    for trigger in backend.triggers.values():
        if trigger.workflow_name != workflow_name:
            continue
        trigger_id = node("TRIGGER", trigger.name, {"TriggerDetails": {"Trigger": trigger.as_dict()}})
        for action in trigger.actions or []:
            started = target(action.job_name, action.crawler_name)
            if started:
                edges.append({"SourceId": trigger_id, "DestinationId": started})
        for condition in getattr(trigger.predicate, "conditions", None) or []:
            watched = target(condition.job_name, condition.crawler_name)
            if watched:
                edges.append({"SourceId": watched, "DestinationId": trigger_id})
    return {"Nodes": list(nodes.values()), "Edges": edges}


def get_workflow(request: Request) -> dict[str, Any]:
    backend = moto_coupling.backend_for("glue", request.account_id, request.region)
    name = request.get("Name")
    workflow = backend.get_workflow(name)
    if request.get("IncludeGraph"):
        workflow = {**workflow, "Graph": workflow_graph(backend, name)}
    return {"Workflow": workflow}


OPERATIONS = {"get_workflow": get_workflow}
