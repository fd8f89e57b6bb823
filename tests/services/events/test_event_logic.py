"""EventBridge's pure parts: when schedules are due, what targets receive (no sandbox needed)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from emulators.events import engine as events


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def test_rate_fires_every_period_from_the_anchor():
    anchor = at("2026-01-01T10:00:30")
    assert events.rate_seconds("rate(5 minutes)") == 300
    assert events.rate_seconds("rate(1 hour)") == 3600
    assert events.rate_seconds("rate(2 days)") == 172800
    assert events.rate_seconds("cron(0 * * * ? *)") is None
    assert events.due_fire("rate(5 minutes)", anchor, None, anchor + 299) is None
    assert events.due_fire("rate(5 minutes)", anchor, None, anchor + 301) == anchor + 300
    assert events.due_fire("rate(5 minutes)", anchor, anchor + 300, anchor + 302) is None
    assert events.due_fire("rate(5 minutes)", anchor, anchor + 300, anchor + 601) == anchor + 600


def test_missed_rate_fires_are_not_replayed():
    anchor = at("2026-01-01T10:00:00")
    # the tick came late (or the sandbox was down): one fire, for the latest due time
    assert events.due_fire("rate(1 minute)", anchor, None, anchor + 610) == anchor + 600
    # after a restore the schedule goes on from the restore time (last fire = restore time)
    restored = anchor + 1000
    assert events.due_fire("rate(1 minute)", anchor, restored, restored + 5) is None
    assert events.due_fire("rate(1 minute)", anchor, restored, anchor + 1020) == anchor + 1020


def test_cron_fires_once_in_each_matching_minute_after_creation():
    created = at("2026-03-02T09:59:30")  # a Monday
    expression = "cron(0/15 10 ? * MON-FRI *)"
    assert events.due_fire(expression, created, None, at("2026-03-02T10:00:02")) == at("2026-03-02T10:00:00")
    assert events.due_fire(expression, created, at("2026-03-02T10:00:00"), at("2026-03-02T10:00:04")) is None
    assert events.due_fire(expression, created, at("2026-03-02T10:00:00"), at("2026-03-02T10:07:00")) is None
    assert events.due_fire(expression, created, at("2026-03-02T10:00:00"), at("2026-03-02T10:15:01")) == \
        at("2026-03-02T10:15:00")
    assert events.due_fire(expression, created, None, at("2026-03-07T10:00:01")) is None  # Saturday
    # a rule created during a matching minute first fires at the next one
    assert events.due_fire("cron(* * * * ? *)", at("2026-03-02T10:00:30"), None, at("2026-03-02T10:00:40")) is None
    assert events.next_fires("cron(0 12 * * ? *)", at("2026-03-02T13:00:00"), 2) == [
        at("2026-03-03T12:00:00"), at("2026-03-04T12:00:00")]


def test_scheduled_event_has_aws_shape():
    event = events.scheduled_event("123456789012", "us-east-1", "arn:aws:events:us-east-1:123456789012:rule/r",
                                   at("2026-01-01T10:05:00"))
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                          "detail"}
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2026-01-01T10:05:00Z" and event["detail"] == {}
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/r"]


EVENT = {"version": "0", "id": "e-1", "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
         "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
         "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "tags": {"team": "data"}, "n": [1, 2]}}


def test_input_inputpath_and_default():
    assert events.render_input({"Input": '{"fixed": 1}'}, EVENT) == '{"fixed": 1}'
    assert json.loads(events.render_input({"InputPath": "$.detail.tags"}, EVENT)) == {"team": "data"}
    assert json.loads(events.render_input({"InputPath": "$.detail.n[1]"}, EVENT)) == 2
    assert json.loads(events.render_input({"InputPath": "$['detail']['instance-id']"}, EVENT)) == "i-0123456789"
    assert json.loads(events.render_input({}, EVENT)) == EVENT
    with pytest.raises(events.InputError):
        events.render_input({"Id": "t", "Input": "not json"}, EVENT)


def test_input_transformer_as_aws_documents_it():
    paths = {"instance": "$.detail.instance-id", "state": "$.detail.state"}
    json_template = '{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}'
    out = events.render_input({"InputTransformer": {"InputPathsMap": paths, "InputTemplate": json_template}}, EVENT)
    assert out == '{"instance": "i-0123456789", "state": [9, "RUNNING", true], "Transformed": "Yes"}'
    text_template = '"instance <instance> is in <state>"'
    out = events.render_input({"InputTransformer": {"InputPathsMap": paths, "InputTemplate": text_template}}, EVENT)
    assert out == '"instance i-0123456789 is in RUNNING"'
    predefined = '{"rule": "<aws.events.rule-name>", "event": <aws.events.event.json>, "missing": <nope>}'
    out = events.render_input({"InputTransformer": {"InputPathsMap": {"nope": "$.detail.absent"},
                                                    "InputTemplate": predefined}}, EVENT, "arn:r", "my-rule")
    assert json.loads(out) == {"rule": "my-rule", "event": EVENT, "missing": None}
