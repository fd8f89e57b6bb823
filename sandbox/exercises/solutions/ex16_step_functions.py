"""Exercise 16: Choice -> Fail on bad input, Parallel work on good input; one run of each."""

import json

from sandbox.exercises._helpers import ROLE_STATES, wait_until

NAME = "ex16-daily-pipeline"
DEFINITION = {
    "Comment": "validate the day, then build two reports in parallel",
    "StartAt": "ValidateInput",
    "States": {
        "ValidateInput": {"Type": "Choice", "Choices": [
            {"Variable": "$.day", "IsPresent": True, "Next": "BuildReports"}], "Default": "RejectInput"},
        "RejectInput": {"Type": "Fail", "Error": "BadInput", "Cause": "the input has no day"},
        "BuildReports": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "Revenue", "States": {"Revenue": {"Type": "Pass", "Result": {"report": "revenue"},
                                                          "End": True}}},
            {"StartAt": "Churn", "States": {"Churn": {"Type": "Pass", "Result": {"report": "churn"},
                                                      "End": True}}}]},
        "Done": {"Type": "Succeed"},
    },
}


def solve(aws):
    sfn = aws.client("stepfunctions")
    existing = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == NAME]
    if existing:
        arn = existing[0]["stateMachineArn"]
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(DEFINITION))
    else:
        arn = sfn.create_state_machine(name=NAME, definition=json.dumps(DEFINITION), roleArn=ROLE_STATES)[
            "stateMachineArn"]
    for payload in ({"day": "2024-01-03"}, {"oops": True}):
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
        wait_until(lambda: sfn.describe_execution(executionArn=execution),
                   lambda e: e["status"] != "RUNNING", 60, "the execution")
