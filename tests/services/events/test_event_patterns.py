"""EventBridge event patterns, as the EventBridge user guide's "Event patterns" and "Content filtering in
Amazon EventBridge event patterns" pages and the TestEventPattern API reference describe them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .test_eventbridge import make_queue, receive

EVENT = {
    "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2", "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated", "c-count": 5, "d-count": None,
               "source-ip": "10.0.0.123", "filename": "image.png", "tags": ["prod", "web"],
               "location": {"city": "Seattle"}},
}

CASES = [
    ({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}, True),
    ({"detail": {"state": [{"prefix": "term"}]}}, True),
    ({"detail": {"state": [{"prefix": {"equals-ignore-case": "TERM"}}]}}, True),
    ({"detail": {"filename": [{"suffix": ".png"}]}}, True),
    ({"detail": {"filename": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}, True),
    ({"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}}, True),
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, True),
    ({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}, False),
    ({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}, False),
    ({"detail": {"filename": [{"anything-but": {"suffix": ".txt"}}]}}, True),
    ({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["TERMINATED"]}}]}}, False),
    ({"detail": {"filename": [{"anything-but": {"wildcard": "*.png"}}]}}, False),
    ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
    ({"detail": {"c-count": [{"numeric": ["<", 5]}]}}, False),
    ({"detail": {"c-count": [{"numeric": ["=", 5]}]}}, True),
    ({"detail": {"state": [{"exists": True}]}}, True),
    ({"detail": {"no-such-field": [{"exists": False}]}}, True),
    ({"detail": {"state": [{"exists": False}]}}, False),
    ({"detail": {"d-count": [None]}}, True),
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
    ({"detail": {"source-ip": [{"cidr": "10.1.0.0/24"}]}}, False),
    ({"detail": {"filename": [{"wildcard": "im*.png"}]}}, True),
    ({"detail": {"tags": ["web"]}}, True),
    ({"detail": {"location": {"city": ["Seattle"]}}}, True),
    ({"detail": {"$or": [{"state": ["running"]}, {"c-count": [{"numeric": [">", 4]}]}]}}, True),
    ({"detail": {"state": ["terminated"], "instance-id": ["i-other"]}}, False),
    ({"detail": {"c-count": [5]}}, True),
    ({"detail": {"c-count": ["5"]}}, False),
]


@pytest.mark.parametrize("pattern,expected", CASES, ids=[json.dumps(c[0])[:60] for c in CASES])
def test_test_event_pattern_follows_the_content_filters(aws, pattern, expected):
    result = aws.client("events").test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EVENT))
    assert result["Result"] is expected


BAD_PATTERNS = ["{", "[1]", json.dumps({"source": "aws.ec2"}), json.dumps({"source": []}),
                json.dumps({"detail": {"a": [{"no-such-filter": 1}]}}), json.dumps({"detail": {"a": [{"numeric": [">"]}]}}),
                json.dumps({"detail": {"a": [{"numeric": ["!", 1]}]}}), json.dumps({"detail": {"a": [{"prefix": 1}]}}),
                json.dumps({"detail": {"a": [{"exists": "yes"}]}})]


@pytest.mark.parametrize("pattern", BAD_PATTERNS)
def test_bad_patterns_are_invalid_event_pattern_exceptions(aws, unique_name, pattern):
    events = aws.client("events")
    for call in (lambda: events.put_rule(Name=unique_name, EventPattern=pattern),
                 lambda: events.test_event_pattern(EventPattern=pattern, Event=json.dumps(EVENT))):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "InvalidEventPatternException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_test_event_pattern_needs_the_mandatory_event_fields(aws):
    with pytest.raises(ClientError) as exc:
        aws.client("events").test_event_pattern(EventPattern=json.dumps({"source": ["a"]}),
                                                Event=json.dumps({"source": "a"}))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_put_events_are_delivered_by_the_same_matcher(aws, unique_name):
    url, arn = make_queue(aws, unique_name)
    events = aws.client("events")
    events.put_rule(Name=unique_name, EventPattern=json.dumps({
        "source": [f"sandbox.{unique_name}"],
        "detail": {"state": [{"anything-but": {"prefix": "test-"}}], "amount": [{"numeric": [">=", 100]}]}}))
    events.put_targets(Rule=unique_name, Targets=[{"Id": "q", "Arn": arn}])
    details = [{"state": "test-1", "amount": 500}, {"state": "live", "amount": 50},
               {"state": "live", "amount": 150, "n": 1}]
    events.put_events(Entries=[{"Source": f"sandbox.{unique_name}", "DetailType": "t", "Detail": json.dumps(d)}
                               for d in details])
    got = receive(aws, url)
    assert [json.loads(m["Body"])["detail"] for m in got] == [details[2]]
