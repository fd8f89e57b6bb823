"""PutRule and PutTargets refuse what EventBridge refuses: the user guide's "Creating an Amazon EventBridge rule
that runs on a schedule" (rate: singular unit exactly when the value is 1; cron: six fields, one of
day-of-month and day-of-week is ?) and the Target API reference (one of Input, InputPath, InputTransformer;
Input is JSON text)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT


@pytest.mark.parametrize("expression", ["rate(5 minute)", "rate(1 hours)", "rate(0 minutes)", "rate(five minutes)",
                                        "cron(0 12 * * * *)", "cron(0 12 * * ?)", "cron(0 25 * * ? *)", "daily"])
def test_bad_schedule_expressions_are_refused(aws, unique_name, expression):
    with pytest.raises(ClientError) as exc:
        aws.client("events").put_rule(Name=unique_name, ScheduleExpression=expression)
    assert exc.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("expression", ["rate(1 minute)", "rate(5 minutes)", "rate(1 day)", "cron(0 12 * * ? *)",
                                        "cron(15 10 ? * 6L 2030-2035)", "cron(0/10 * ? * MON-FRI *)"])
def test_schedule_expressions_from_the_guide_are_accepted(aws, unique_name, expression):
    events = aws.client("events")
    events.put_rule(Name=unique_name, ScheduleExpression=expression, State="DISABLED")
    assert events.describe_rule(Name=unique_name)["ScheduleExpression"] == expression


@pytest.mark.parametrize("target", [
    {"Input": '{"a": 1}', "InputPath": "$.detail"},
    {"Input": "not json"},
])
def test_put_targets_refuses_bad_input_settings(aws, unique_name, target):
    events = aws.client("events")
    events.put_rule(Name=unique_name, EventPattern='{"source": ["sandbox.test"]}')
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique_name, Targets=[
            {"Id": "t", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{unique_name}", **target}])
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert events.list_targets_by_rule(Rule=unique_name)["Targets"] == []


def test_put_events_refuses_aws_sources(aws, unique_name):
    """PutEvents API reference and "Sending events with PutEvents": sources beginning with "aws." belong to AWS
    services; such an entry fails with NotAuthorizedForSourceException, the others go through."""
    out = aws.client("events").put_events(Entries=[
        {"Source": f"sandbox.{unique_name}", "DetailType": "t", "Detail": "{}"},
        {"Source": "aws.s3", "DetailType": "Object Created", "Detail": "{}"}])
    assert out["FailedEntryCount"] == 1
    assert "EventId" in out["Entries"][0]
    assert out["Entries"][1]["ErrorCode"] == "NotAuthorizedForSourceException"


def test_a_rule_has_at_most_five_targets(aws, unique_name):
    """EventBridge quotas: 5 targets per rule; PutTargets beyond it is LimitExceededException."""
    events = aws.client("events")
    events.put_rule(Name=unique_name, EventPattern='{"source": ["sandbox.test"]}')
    targets = [{"Id": str(i), "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{unique_name}"} for i in range(6)]
    events.put_targets(Rule=unique_name, Targets=targets[:5])
    events.put_targets(Rule=unique_name, Targets=targets[:1])  # replacing a target keeps five
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=unique_name, Targets=targets[5:])
    assert exc.value.response["Error"]["Code"] == "LimitExceededException"
