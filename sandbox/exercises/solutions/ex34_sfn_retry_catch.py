"""Exercise 34: the nightly load retries TransientError with backoff and catches BadRecord."""

import json
import uuid

from sandbox.exercises._helpers import wait_until

NAME, FUNCTION = "ex34-nightly-load", "ex34-load-orders"


def fixed_definition(function_arn):
    return {
        "Comment": "load one day of orders; retry the warehouse's transient errors, quarantine bad input",
        "StartAt": "LoadOrders",
        "States": {
            "LoadOrders": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"}, "OutputPath": "$.Payload",
                "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": 3,
                           "BackoffRate": 2.0}],
                "Catch": [{"ErrorEquals": ["BadRecord"], "ResultPath": "$.error", "Next": "QuarantineInput"}],
                "End": True},
            "QuarantineInput": {"Type": "Pass", "Result": "bad input set aside for review",
                                "ResultPath": "$.quarantine", "End": True},
        },
    }


def solve(aws):
    sfn, lam = aws.client("stepfunctions"), aws.client("lambda")
    # diagnose: the failed run's history names the error (TransientError) and its cause
    arn = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == NAME][0]["stateMachineArn"]
    function_arn = lam.get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(fixed_definition(function_arn)))
    for payload in ({"day": "2024-01-04", "run_id": uuid.uuid4().hex}, {"run_id": uuid.uuid4().hex}):
        run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
        done = wait_until(lambda: sfn.describe_execution(executionArn=run), lambda e: e["status"] != "RUNNING", 60,
                          "the execution")
        if done["status"] != "SUCCEEDED":
            raise RuntimeError(f"{NAME} {done['status']}: {done.get('error')} {done.get('cause')}")
