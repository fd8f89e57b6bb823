"""Distributed Map states as the Step Functions developer guide describes them: "Using Map state in
Distributed mode" (ProcessorConfig with ExecutionType STANDARD or EXPRESS) and "Setting failure thresholds
for Distributed Map states" (ToleratedFailureCount / ToleratedFailurePercentage,
States.ExceedToleratedFailureThreshold)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from emulators.stepfunctions.asl_compat import exceeds_threshold
from tests.helpers.stepfunctions import ROLE, wait_for_execution


def _distributed(execution_type="STANDARD", **thresholds):
    return {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", **thresholds,
                 "ItemProcessor": {
                     "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                     "StartAt": "Check", "States": {
                         "Check": {"Type": "Choice", "Choices": [
                             {"Variable": "$.ok", "BooleanEquals": False, "Next": "Reject"}], "Default": "Keep"},
                         "Reject": {"Type": "Fail", "Error": "BadItem", "Cause": "not ok"},
                         "Keep": {"Type": "Pass", "End": True}}},
                 "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "ResultPath": "$.error",
                            "Next": "TooMany"}],
                 "End": True},
        "TooMany": {"Type": "Pass", "End": True}}}


def _run(sfn, name, definition, items):
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"items": items}))["executionArn"]
    described = wait_for_execution(sfn, run)
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def test_threshold_rules():
    assert not exceeds_threshold(0, 4, 0, 0)
    assert exceeds_threshold(1, 4, 0, 0)  # no threshold: any failed item fails the map run
    assert not exceeds_threshold(1, 4, 0, 25.0) and exceeds_threshold(2, 4, 0, 25.0)
    assert not exceeds_threshold(2, 4, 2, 0) and exceeds_threshold(3, 4, 2, 0)
    assert exceeds_threshold(2, 10, 1, 50.0)  # either threshold exceeded


@pytest.mark.parametrize("thresholds,caught", [
    ({}, True),
    ({"ToleratedFailurePercentage": 50}, False),
    ({"ToleratedFailureCount": 0}, True),
    ({"ToleratedFailureCount": 1}, False),
])
def test_failed_items_against_the_tolerated_threshold(aws, unique_name, thresholds, caught):
    sfn = aws.client("stepfunctions")
    output = _run(sfn, unique_name, _distributed(**thresholds), [{"ok": True}, {"ok": False}, {"ok": True}])
    if caught:
        assert output["error"]["Error"] == "States.ExceedToleratedFailureThreshold"
    else:
        assert isinstance(output, list) and output[0] == {"ok": True} and output[2] == {"ok": True}


def test_express_child_workflows_and_unsupported_batching(aws, unique_name):
    sfn = aws.client("stepfunctions")
    output = _run(sfn, unique_name, _distributed("EXPRESS"), [{"ok": True}, {"ok": True}])
    assert output == [{"ok": True}, {"ok": True}]
    definition = _distributed()
    definition["States"]["Each"]["ItemBatcher"] = {"MaxItemsPerBatch": 2}
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name=f"{unique_name}-b", definition=json.dumps(definition), roleArn=ROLE)
    assert exc.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "ItemBatcher" in exc.value.response["Error"]["Message"]
