"""Step Functions: state machines, executions, and an execution's graph coloured by status
(from GetExecutionHistory) with the event history beside it."""

from __future__ import annotations

import json
from typing import Any

from emulators.console import charts, ui
from emulators.console.app import Context, Redirect, safe
from emulators.console.pages import route

CRUMB = ("Step Functions", "/stepfunctions/")
FAILURE_EVENTS = ("TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
                  "ActivityFailed", "ActivityTimedOut", "TaskSubmitFailed", "TaskStartFailed")


@route("/stepfunctions/")
def machines(ctx: Context) -> ui.Markup:
    sfn = ctx.client("stepfunctions")
    found, error = safe(ctx, lambda: sfn.list_state_machines(maxResults=1000)["stateMachines"], "Step Functions")
    rows = [(ui.link(m["name"], ui.url("/stepfunctions/machine", arn=m["stateMachineArn"])), m.get("type", "STANDARD"),
             ui.when(m.get("creationDate"))) for m in found or []]
    return ui.page("State machines", error + ui.panel(f"State machines ({len(rows)})",
                                                      ui.table(["Name", "Type", "Creation date"], rows)),
                   [CRUMB, ("State machines", None)], "Step Functions")


@route("/stepfunctions/machine")
def machine(ctx: Context) -> ui.Markup:
    arn = ctx.arg("arn")
    if not arn:
        raise Redirect(ui.url("/stepfunctions/"))
    sfn = ctx.client("stepfunctions")
    described, error = safe(ctx, lambda: sfn.describe_state_machine(stateMachineArn=arn), "The state machine")
    if described is None:
        return ui.page("State machine", error, [CRUMB], "Step Functions")
    executions, ex_error = safe(ctx, lambda: sfn.list_executions(stateMachineArn=arn, maxResults=100)["executions"],
                                "Executions")
    rows = [(ui.link(e["name"], ui.url("/stepfunctions/execution", arn=e["executionArn"])), ui.status(e["status"]),
             ui.when(e.get("startDate")), ui.when(e.get("stopDate"))) for e in executions or []]
    definition = _definition(described.get("definition", "{}"))
    nodes, edges, kinds = _graph_of(definition)
    body = (ui.panel("Details", ui.pairs([("ARN", arn), ("Type", described.get("type")), ("Status", described.get("status")),
                                          ("IAM role ARN", described.get("roleArn")),
                                          ("Creation date", ui.when(described.get("creationDate")))])) +
            ex_error + ui.panel(f"Executions ({len(rows)})", ui.table(["Name", "Status", "Start time", "End time"], rows)) +
            ui.panel("Definition", charts.workflow_graph(nodes, edges, {}, definition.get("StartAt"), kinds) +
                     ui.code_block(definition)))
    return ui.page(described["name"], body, [CRUMB, ("State machines", "/stepfunctions/"), (described["name"], None)],
                   "Step Functions")


def _definition(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def _graph_of(definition: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]], dict[str, str]]:
    """The top-level states and their transitions (Next, Default, Choices, Catch)."""
    states = definition.get("States") or {}
    nodes = list(states)
    edges: list[tuple[str, str]] = []
    kinds = {}
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        kinds[name] = state.get("Type", "")
        targets = [state.get("Next"), state.get("Default")]
        targets += [c.get("Next") for c in state.get("Choices") or [] if isinstance(c, dict)]
        targets += [c.get("Next") for c in state.get("Catch") or [] if isinstance(c, dict)]
        edges += [(name, t) for t in targets if t in states]
    return nodes, edges, kinds


def state_statuses(events: list[dict[str, Any]], execution_status: str,
                   kinds: dict[str, str]) -> dict[str, str]:
    """Each top-level state's status from the execution history, as the console colours it."""
    statuses: dict[str, str] = {}
    current: str | None = None
    errored: set[str] = set()
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event.get("stateEnteredEventDetails", {}).get("name")
            if name in kinds:
                current = name
                statuses[name] = "running"
                if kinds.get(name) == "Fail":
                    statuses[name] = "failed"
        elif kind.endswith("StateExited"):
            name = event.get("stateExitedEventDetails", {}).get("name")
            if name in kinds:
                statuses[name] = "caught" if name in errored else "succeeded"
                if current == name:
                    current = None
        elif kind in FAILURE_EVENTS and current:
            errored.add(current)
    if execution_status in ("FAILED", "TIMED_OUT", "ABORTED"):
        for name, status in statuses.items():
            if status == "running":
                statuses[name] = "failed"
    return statuses


@route("/stepfunctions/execution")
def execution(ctx: Context) -> ui.Markup:
    arn = ctx.arg("arn")
    if not arn:
        raise Redirect(ui.url("/stepfunctions/"))
    sfn = ctx.client("stepfunctions")
    described, error = safe(ctx, lambda: sfn.describe_execution(executionArn=arn), "The execution")
    if described is None:
        return ui.page("Execution", error, [CRUMB], "Step Functions")

    def history() -> list[dict[str, Any]]:
        events, token = [], None
        while True:
            page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
            events += page["events"]
            token = page.get("nextToken")
            if not token or len(events) > 5000:
                return events

    events, history_error = safe(ctx, history, "Execution history")
    machine, _ = safe(ctx, lambda: sfn.describe_state_machine(stateMachineArn=described["stateMachineArn"]),
                      "State machine")
    definition = _definition((machine or {}).get("definition", "{}"))
    nodes, edges, kinds = _graph_of(definition)
    statuses = state_statuses(events or [], described["status"], kinds)
    graph = charts.workflow_graph(nodes, edges, statuses, definition.get("StartAt"), kinds, "Execution graph")
    details = ui.pairs([("Execution ARN", arn), ("Status", ui.status(described["status"])),
                        ("Start time", ui.when(described.get("startDate"))), ("End time", ui.when(described.get("stopDate"))),
                        ("Error", described.get("error")), ("Cause", described.get("cause"))])
    event_rows = []
    for event in events or []:
        detail_key = next((k for k in event if k.endswith("EventDetails")), None)
        detail = event.get(detail_key, {}) if detail_key else {}
        step = detail.get("name") or detail.get("resource") or detail.get("error") or ""
        event_rows.append((event["id"], event["type"], step, ui.when(event.get("timestamp"))))
    io_panel = ui.Markup('<div class="split">') + ui.Markup("<div><h3>Input</h3>") + \
        ui.code_block(_pretty(described.get("input"))) + ui.Markup("</div><div><h3>Output</h3>") + \
        ui.code_block(_pretty(described.get("output") or "")) + ui.Markup("</div></div>")
    body = (ui.panel("Details", details) + history_error +
            ui.Markup('<div class="split">') +
            ui.panel("Graph view", graph) +
            ui.panel(f"Events ({len(event_rows)})", ui.table(["ID", "Type", "Step", "Timestamp"], event_rows)) +
            ui.Markup("</div>") + ui.panel("Execution input and output", io_panel))
    refresh = 2 if described["status"] == "RUNNING" else None
    machine_name = described["stateMachineArn"].rsplit(":", 1)[-1]
    return ui.page(described.get("name", "Execution"), body,
                   [CRUMB, ("State machines", "/stepfunctions/"),
                    (machine_name, ui.url("/stepfunctions/machine", arn=described["stateMachineArn"])[len(ui.BASE):]),
                    (described.get("name", ""), None)], "Step Functions", refresh=refresh)


def _pretty(text: Any) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2)
    except (TypeError, ValueError):
        return str(text)
