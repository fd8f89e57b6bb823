"""Exercise 16: Choice -> Fail on bad input, Parallel Lambda tasks on good input; one run of each."""

import json

from sandbox.exercises._helpers import ROLE_STATES, ensure_function, wait_until

NAME = "ex16-daily-pipeline"
REPORT = """
def handler(event, context):
    return {"report": context.function_name.rsplit("-", 1)[-1], "day": event["day"]}
"""


def definition(revenue_arn, churn_arn):
    return {
        "Comment": "validate the day, then build two reports in parallel",
        "StartAt": "ValidateInput",
        "States": {
            "ValidateInput": {"Type": "Choice", "Choices": [
                {"Variable": "$.day", "IsPresent": True, "Next": "BuildReports"}], "Default": "RejectInput"},
            "RejectInput": {"Type": "Fail", "Error": "BadInput", "Cause": "the input has no day"},
            "BuildReports": {"Type": "Parallel", "Next": "Done", "Branches": [
                {"StartAt": "Revenue", "States": {"Revenue": _task(revenue_arn)}},
                {"StartAt": "Churn", "States": {"Churn": _task(churn_arn)}}]},
            "Done": {"Type": "Succeed"},
        },
    }


def _task(function_arn):
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
            "Parameters": {"FunctionName": function_arn, "Payload.$": "$"}, "End": True}


def solve(aws):
    sfn = aws.client("stepfunctions")
    machine = definition(ensure_function(aws, "ex16-report-revenue", REPORT),
                            ensure_function(aws, "ex16-report-churn", REPORT))
    existing = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == NAME]
    if existing:
        arn = existing[0]["stateMachineArn"]
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(machine))
    else:
        arn = sfn.create_state_machine(name=NAME, definition=json.dumps(machine), roleArn=ROLE_STATES)[
            "stateMachineArn"]
    for payload in ({"day": "2024-01-03"}, {"oops": True}):
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
        wait_until(lambda: sfn.describe_execution(executionArn=execution),
                   lambda e: e["status"] != "RUNNING", 60, "the execution")
