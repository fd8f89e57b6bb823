"""Exercises on orchestration: Step Functions."""

from __future__ import annotations

import json

from sandbox.exercises import Exercise, Grader

NOTEBOOK = "notebooks/08_end_to_end.ipynb"


def _states(definition: dict) -> list[dict]:
    found = []
    for state in definition.get("States", {}).values():
        found.append(state)
        for branch in state.get("Branches", []):
            found.extend(_states(branch))
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found.extend(_states(state[key]))
    return found


def check_state_machine(g: Grader) -> None:
    sfn, name = g.client("stepfunctions"), "ex16-daily-pipeline"
    machines = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name]
    g.need(machines, f"state machine {name} does not exist (stepfunctions.create_state_machine)",
           f"state machine {name} exists")
    arn = machines[0]["stateMachineArn"]
    try:
        definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    except ValueError:
        g.stop("the definition is not valid JSON (Amazon States Language)")
    kinds = [s.get("Type") for s in _states(definition)]
    g.expect("Choice" in kinds, f"the workflow has no Choice state (states: {kinds})", "branches with Choice")
    g.expect("Parallel" in kinds or "Map" in kinds, "the workflow runs nothing in parallel: add a Parallel or "
                                                    "Map state", "runs work in parallel")
    g.expect("Fail" in kinds, "the workflow has no Fail state for bad input", "fails explicitly on bad input")
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    statuses = [e["status"] for e in executions]
    g.expect("SUCCEEDED" in statuses, f"no execution SUCCEEDED (statuses {statuses or 'none: start_execution'})",
             "an execution SUCCEEDED")
    g.expect("FAILED" in statuses, "no execution reached the Fail state: start one with bad input to prove the "
                                   "error path", "the error path was exercised")


EXERCISES = [
    Exercise(16, "step-functions", "Step Functions", "Orchestrate a pipeline with Step Functions",
             "Create the state machine `ex16-daily-pipeline`: a Choice on the input routes bad input to a Fail "
             "state and good input to work done in parallel (Parallel or Map). Run it once successfully and once "
             "with bad input.",
             ("Step Functions for workflow orchestration, retries and audit", "Amazon States Language"),
             ("stepfunctions.create_state_machine(definition=json.dumps({...}))", "start_execution twice"),
             check_state_machine, NOTEBOOK, ("stepfunctions",)),
]
