"""EventBridge Scheduler, as its user guide describes it: "Schedule types on EventBridge Scheduler" (one-time
``at()``, ``rate()``, ``cron()`` in a time zone, ActionAfterCompletion), "Managing targets" (templated targets
and the universal ``arn:aws:scheduler:::aws-sdk:sqs:sendMessage`` target of the guide's example) and
"Adding context attributes"."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from emulators.events.scheduler import due, render

from .test_eventbridge import make_queue, receive

ROLE = "arn:aws:iam::123456789012:role/scheduler-role"


def test_cron_fires_in_the_schedules_time_zone():
    # 09:00 in New York on a winter day is 14:00 UTC
    nine = datetime(2026, 1, 15, 14, 0, tzinfo=timezone.utc).timestamp()
    anchor = nine - 3600
    assert due("cron(0 9 * * ? *)", "America/New_York", anchor, None, nine + 5) == nine
    assert due("cron(0 9 * * ? *)", "America/New_York", anchor, nine, nine + 30) is None
    assert due("cron(0 9 * * ? *)", "UTC", anchor, None, nine + 5) is None


def test_at_fires_once_and_context_attributes_are_replaced():
    when = datetime(2030, 5, 1, 8, 30, tzinfo=timezone.utc).timestamp()
    assert due("at(2030-05-01T08:30:00)", None, 0, None, when - 1) is None
    assert due("at(2030-05-01T08:30:00)", None, 0, None, when + 1) == when
    assert due("at(2030-05-01T08:30:00)", None, 0, when, when + 60) is None
    text = render('{"s": "<aws.scheduler.schedule-arn>", "t": "<aws.scheduler.scheduled-time>"}', "arn:x", when, "e1")
    assert json.loads(text) == {"s": "arn:x", "t": "2030-05-01T08:30:00Z"}
    assert render(None, "arn:x", when, "e1") == "{}"


@pytest.mark.parametrize("expression", ["at(2030-13-01T00:00:00)", "at(tomorrow)", "rate(5 minute)",
                                        "cron(0 12 * * * *)", "every day"])
def test_bad_expressions_are_refused(aws, unique_name, expression):
    with pytest.raises(ClientError) as exc:
        aws.client("scheduler").create_schedule(Name=unique_name, ScheduleExpression=expression,
                                                FlexibleTimeWindow={"Mode": "OFF"},
                                                Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE})
    assert exc.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.slow
def test_one_time_schedules_reach_templated_and_universal_targets(aws, unique_name):
    scheduler = aws.client("scheduler")
    url, arn = make_queue(aws, unique_name)
    at = (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.create_schedule(
        Name=f"{unique_name}-templated", ScheduleExpression=f"at({at})", FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"schedule": "<aws.scheduler.schedule-arn>"}'})
    scheduler.create_schedule(
        Name=f"{unique_name}-universal", ScheduleExpression=f"at({at})", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": ROLE,
                "Input": json.dumps({"QueueUrl": url, "MessageBody": "sent at <aws.scheduler.scheduled-time>"})})
    bodies = sorted(m["Body"] for m in receive(aws, url, count=2, timeout=20))
    assert json.loads(bodies[1]) == {
        "schedule": f"arn:aws:scheduler:us-east-1:123456789012:schedule/default/{unique_name}-templated"}
    assert bodies[0] == f"sent at {at}Z"
    with pytest.raises(ClientError) as exc:  # ActionAfterCompletion DELETE
        scheduler.get_schedule(Name=f"{unique_name}-templated")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert scheduler.get_schedule(Name=f"{unique_name}-universal")["Name"] == f"{unique_name}-universal"
