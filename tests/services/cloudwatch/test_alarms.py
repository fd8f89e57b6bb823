"""CloudWatch metric alarms evaluate over PutMetricData, change state, keep history and run their actions."""

from __future__ import annotations

import io
import json
import math
import time
import zipfile
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from emulators.cloudwatch import alarms

from .conftest import ACCOUNT, wait_for

NAMESPACE = "Sandbox/AlarmTests"


# ------------------------------------------------------------------ pure evaluation
SPEC = {"ComparisonOperator": "GreaterThanThreshold", "Threshold": 3.0, "Period": 60, "Statistic": "Average"}
T0 = 1_764_669_600.0  # 2025-12-02 10:00:00 UTC, a minute boundary


def test_statistics_of_single_values_and_statistic_sets():
    samples = [("v", 1.0), ("v", 4.0), ("agg", (10.0, 2.0, 6.0, 2.0))]
    assert alarms.reduce(samples, "Sum") == 15.0
    assert alarms.reduce(samples, "SampleCount") == 4.0
    assert alarms.reduce(samples, "Average") == 3.75
    assert alarms.reduce(samples, "Minimum") == 1.0
    assert alarms.reduce(samples, "Maximum") == 6.0
    values = [("v", float(v)) for v in range(1, 101)]
    assert alarms.reduce(values, "p90") == 90.0
    assert alarms.reduce(values, "p99.5") == 100.0


def test_evaluation_range_is_clock_aligned_and_skips_an_empty_open_period():
    now = T0 + 130  # 10:02:10
    assert alarms.evaluation_range(60, 3, now, lambda start: True) == [T0, T0 + 60, T0 + 120]
    assert alarms.evaluation_range(60, 3, now, lambda start: False) == [T0 - 60, T0, T0 + 60]


def test_reason_wording_for_alarm_ok_and_insufficient_data():
    state, reason, data = alarms.evaluate({**SPEC, "EvaluationPeriods": 1}, [(T0, 5.0, 1)], T0 + 30, "OK")
    assert state == "ALARM"
    assert reason == ("Threshold Crossed: 1 out of the last 1 datapoints [5.0 (02/12/25 10:00:00)] was greater than "
                      "the threshold (3.0) (minimum 1 datapoint for OK -> ALARM transition).")
    assert data["recentDatapoints"] == [5.0] and data["threshold"] == 3.0 and data["period"] == 60
    assert data["evaluatedDatapoints"] == [{"timestamp": "2025-12-02T10:00:00.000+0000", "sampleCount": 1.0,
                                            "value": 5.0}]
    state, reason, _ = alarms.evaluate({**SPEC, "EvaluationPeriods": 1}, [(T0, 2.0, 1)], T0 + 30, "ALARM")
    assert state == "OK" and reason.endswith("was not greater than the threshold (3.0) (minimum 1 datapoint for "
                                             "ALARM -> OK transition).")
    state, reason, _ = alarms.evaluate({**SPEC, "EvaluationPeriods": 2}, [(T0, None, 0), (T0 + 60, None, 0)],
                                       T0 + 130, "OK")
    assert (state, reason) == ("INSUFFICIENT_DATA", "Insufficient Data: 2 datapoints were unknown.")


def test_m_of_n_and_treat_missing_data():
    spec = {**SPEC, "EvaluationPeriods": 3, "DatapointsToAlarm": 2}
    points = [(T0, 5.0, 1), (T0 + 60, 1.0, 1), (T0 + 120, 5.0, 1)]
    state, reason, _ = alarms.evaluate(spec, points, T0 + 150, "OK")
    assert state == "ALARM"
    assert reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints [5.0 (02/12/25 10:02:00), "
                             "5.0 (02/12/25 10:00:00)] were greater than the threshold (3.0)")
    assert reason.endswith("(minimum 2 datapoints for OK -> ALARM transition).")
    one = [(T0, 5.0, 1), (T0 + 60, 1.0, 1), (T0 + 120, 1.0, 1)]
    assert alarms.evaluate(spec, one, T0 + 150, "OK")[0] == "OK"
    gaps = [(T0, 5.0, 1), (T0 + 60, None, 0), (T0 + 120, None, 0)]
    assert alarms.evaluate({**spec, "TreatMissingData": "breaching"}, gaps, T0 + 150, "OK")[0] == "ALARM"
    assert alarms.evaluate({**spec, "TreatMissingData": "notBreaching"}, gaps, T0 + 150, "OK")[0] == "OK"
    assert alarms.evaluate({**spec, "TreatMissingData": "missing"}, gaps, T0 + 150, "OK")[0] == "OK"
    empty = [(T0, None, 0), (T0 + 60, None, 0), (T0 + 120, None, 0)]
    assert alarms.evaluate({**spec, "TreatMissingData": "ignore"}, empty, T0 + 150, "ALARM") is None
    state, reason, _ = alarms.evaluate({**spec, "TreatMissingData": "breaching"}, empty, T0 + 150, "OK")
    assert state == "ALARM" and reason == ("Threshold Crossed: no datapoints were received for 3 periods and 3 "
                                           "missing datapoints were treated as [Breaching].")


# ------------------------------------------------------------------ through the sandbox
def topic_with_queue(aws, name):
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    return topic, url


def notifications(aws, url):
    out = []
    for message in aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                      WaitTimeSeconds=0).get("Messages", []):
        envelope = json.loads(message["Body"])
        out.append((envelope.get("Subject"), json.loads(envelope["Message"])))
    return out


def alarm_state(aws, name):
    return aws.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def wait_state(aws, name, state, timeout=20.0):
    return wait_for(lambda: (a := alarm_state(aws, name))["StateValue"] == state and a, timeout)


def put(aws, metric, value, when=None, dimensions=None):
    aws.client("cloudwatch").put_metric_data(Namespace=NAMESPACE, MetricData=[{
        "MetricName": metric, "Value": value, "Timestamp": when or datetime.now(timezone.utc),
        "Dimensions": dimensions or [{"Name": "Model", "Value": "churn"}]}])


def make_alarm(aws, name, **kwargs):
    params = {"AlarmName": name, "Namespace": NAMESPACE, "MetricName": name, "Statistic": "Maximum",
              "Period": 60, "EvaluationPeriods": 1, "Threshold": 3.0,
              "ComparisonOperator": "GreaterThanThreshold", "Dimensions": [{"Name": "Model", "Value": "churn"}]}
    params.update(kwargs)
    aws.client("cloudwatch").put_metric_alarm(**params)


@pytest.mark.slow
def test_alarm_goes_to_alarm_with_reason_history_and_sns_notification(aws, unique_name):
    topic, url = topic_with_queue(aws, unique_name)
    make_alarm(aws, unique_name, AlarmActions=[topic], AlarmDescription="too high")
    created = alarm_state(aws, unique_name)
    assert created["StateValue"] == "INSUFFICIENT_DATA"
    assert created["StateReason"] == "Unchecked: Initial alarm creation"
    put(aws, unique_name, 1.0, dimensions=[{"Name": "Model", "Value": "other"}])  # another metric: ignored
    put(aws, unique_name, 5.0)
    alarm = wait_state(aws, unique_name, "ALARM")
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [5.0 (")
    assert alarm["StateReason"].endswith("was greater than the threshold (3.0) (minimum 1 datapoint for "
                                         "INSUFFICIENT_DATA -> ALARM transition).")
    data = json.loads(alarm["StateReasonData"])
    assert data["recentDatapoints"] == [5.0] and data["statistic"] == "Maximum" and data["threshold"] == 3.0
    history = aws.client("cloudwatch").describe_alarm_history(AlarmName=unique_name,
                                                               HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from INSUFFICIENT_DATA to ALARM"]
    assert json.loads(history[0]["HistoryData"])["newState"]["stateValue"] == "ALARM"
    got = wait_for(lambda: notifications(aws, url))
    subject, message = got[0]
    assert subject == f'ALARM: "{unique_name}" in US East (N. Virginia)'
    assert message["AlarmName"] == unique_name and message["AlarmDescription"] == "too high"
    assert message["NewStateValue"] == "ALARM" and message["OldStateValue"] == "INSUFFICIENT_DATA"
    assert message["NewStateReason"] == alarm["StateReason"] and message["AWSAccountId"] == ACCOUNT
    assert message["Trigger"]["MetricName"] == unique_name and message["Trigger"]["Statistic"] == "MAXIMUM"
    assert message["Trigger"]["Dimensions"] == [{"value": "churn", "name": "Model"}]
    actions = wait_for(lambda: aws.client("cloudwatch").describe_alarm_history(
        AlarmName=unique_name, HistoryItemType="Action")["AlarmHistoryItems"])
    assert actions[0]["HistorySummary"] == f"Successfully executed action {topic}"


@pytest.mark.slow
def test_ok_alarm_ok_with_actions_for_each_transition(aws, unique_name):
    topic, url = topic_with_queue(aws, unique_name)
    # "ignore": a 10 s period without data between the datapoints keeps the state (with "missing" the alarm
    # would pass through INSUFFICIENT_DATA if the next datapoint came a whole period later)
    make_alarm(aws, unique_name, Period=10, AlarmActions=[topic], OKActions=[topic], TreatMissingData="ignore")
    put(aws, unique_name, 1.0)
    wait_state(aws, unique_name, "OK")
    put(aws, unique_name, 5.0)
    alarm = wait_state(aws, unique_name, "ALARM")
    assert "(minimum 1 datapoint for OK -> ALARM transition)" in alarm["StateReason"]
    high_period = math.floor(time.time() / 10)
    wait_for(lambda: math.floor(time.time() / 10) > high_period, timeout=15)
    time.sleep(0.2)
    put(aws, unique_name, 2.0)
    alarm = wait_state(aws, unique_name, "OK")
    assert alarm["StateReason"].endswith("was not greater than the threshold (3.0) (minimum 1 datapoint for "
                                         "ALARM -> OK transition)."), alarm["StateReason"]
    history = aws.client("cloudwatch").describe_alarm_history(AlarmName=unique_name, HistoryItemType="StateUpdate",
                                                               ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from INSUFFICIENT_DATA to OK",
                                                      "Alarm updated from OK to ALARM",
                                                      "Alarm updated from ALARM to OK"]
    seen = []
    wait_for(lambda: seen.extend(notifications(aws, url)) or len(seen) >= 3)
    assert [(m["OldStateValue"], m["NewStateValue"]) for _, m in seen] == [
        ("INSUFFICIENT_DATA", "OK"), ("OK", "ALARM"), ("ALARM", "OK")]


@pytest.mark.slow
def test_treat_missing_data(aws, unique_name):
    for treat, expected in (("breaching", "ALARM"), ("notBreaching", "OK")):
        make_alarm(aws, f"{unique_name}-{treat}", TreatMissingData=treat)
        alarm = wait_state(aws, f"{unique_name}-{treat}", expected)
        assert "missing datapoint was treated as" in alarm["StateReason"]
    for treat in ("missing", "ignore"):
        make_alarm(aws, f"{unique_name}-{treat}", TreatMissingData=treat)
    time.sleep(alarms.DEFAULT_TICK_SECONDS * 2 + 0.5)
    for treat in ("missing", "ignore"):
        assert alarm_state(aws, f"{unique_name}-{treat}")["StateValue"] == "INSUFFICIENT_DATA"


def test_m_of_n_datapoints_over_past_periods(aws, unique_name):
    start = math.floor(time.time() / 60) * 60
    for suffix, values in (("two", (5.0, 1.0, 5.0)), ("one", (5.0, 1.0, 1.0))):
        for offset, value in zip((-120, -60, 0), values):
            put(aws, f"{unique_name}-{suffix}", value, datetime.fromtimestamp(start + offset + 1, timezone.utc))
        make_alarm(aws, f"{unique_name}-{suffix}", MetricName=f"{unique_name}-{suffix}", Statistic="Average",
                   EvaluationPeriods=3, DatapointsToAlarm=2)
    alarm = wait_state(aws, f"{unique_name}-two", "ALARM")
    assert "2 out of the last 3 datapoints" in alarm["StateReason"]
    assert "were greater than the threshold (3.0) (minimum 2 datapoints for" in alarm["StateReason"]
    wait_state(aws, f"{unique_name}-one", "OK")


@pytest.mark.slow
def test_set_alarm_state_fires_actions_once_and_is_re_evaluated(aws, unique_name):
    topic, url = topic_with_queue(aws, unique_name)
    make_alarm(aws, unique_name, AlarmActions=[topic])
    time.sleep(alarms.DEFAULT_TICK_SECONDS + 0.5)
    cloudwatch = aws.client("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName=unique_name, StateValue="ALARM", StateReason="testing the pager")
    got = wait_for(lambda: notifications(aws, url))
    assert len(got) == 1 and got[0][1]["NewStateReason"] == "testing the pager"
    wait_state(aws, unique_name, "INSUFFICIENT_DATA")  # no data: the next evaluation sets it back
    history = cloudwatch.describe_alarm_history(AlarmName=unique_name, HistoryItemType="StateUpdate",
                                                ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from INSUFFICIENT_DATA to ALARM",
                                                      "Alarm updated from ALARM to INSUFFICIENT_DATA"]
    time.sleep(1.0)
    assert notifications(aws, url) == []


def test_metric_math_alarms_do_not_break_evaluation(aws, unique_name):
    cloudwatch = aws.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=f"{unique_name}-math", EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold", Metrics=[
            {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": "x"},
                                                             "Period": 60, "Stat": "Sum"}},
            {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}])
    make_alarm(aws, unique_name)
    put(aws, unique_name, 9.0)
    wait_state(aws, unique_name, "ALARM")
    assert alarm_state(aws, f"{unique_name}-math")["StateValue"] == "INSUFFICIENT_DATA"


LAMBDA = """
import json, boto3

def handler(event, context):
    boto3.client("s3").put_object(Bucket=event["alarmData"]["configuration"]["description"], Key="alarm.json",
                                  Body=json.dumps(event).encode())
    return "ok"
"""


@pytest.mark.slow
def test_lambda_alarm_action_gets_the_alarm_event(aws, unique_name, s3_bucket):
    iam = aws.client("iam")
    role = iam.create_role(RoleName=unique_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", LAMBDA)
    fn = aws.client("lambda").create_function(
        FunctionName=unique_name, Runtime="python3.12", Role=role, Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()}, Timeout=30)["FunctionArn"]
    make_alarm(aws, unique_name, AlarmActions=[fn], AlarmDescription=s3_bucket)
    put(aws, unique_name, 7.0)
    s3 = aws.client("s3")
    wait_for(lambda: s3.list_objects_v2(Bucket=s3_bucket).get("Contents"), timeout=60)
    event = json.loads(s3.get_object(Bucket=s3_bucket, Key="alarm.json")["Body"].read())
    s3.delete_object(Bucket=s3_bucket, Key="alarm.json")
    assert event["source"] == "aws.cloudwatch" and event["accountId"] == ACCOUNT
    assert event["alarmData"]["alarmName"] == unique_name
    assert event["alarmData"]["state"]["value"] == "ALARM"
    assert event["alarmData"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    metric = event["alarmData"]["configuration"]["metrics"][0]["metricStat"]
    assert metric["metric"] == {"namespace": NAMESPACE, "name": unique_name, "dimensions": {"Model": "churn"}}


@pytest.mark.parametrize("operator", ["LessThanLowerOrGreaterThanUpperThreshold"])
def test_anomaly_detection_operators_are_not_evaluated(operator):
    class Alarm:
        rule = None
        metric_data_queries = []
        comparison_operator = operator
        metric_name, namespace, statistic, extended_statistic = "m", "n", "Average", None
        period, evaluation_periods = 60, 1

    assert not alarms.evaluable(Alarm())


def test_alarm_history_refuses_a_next_token_it_did_not_give(aws):
    with pytest.raises(ClientError) as exc:
        aws.client("cloudwatch").describe_alarm_history(NextToken="not-a-token")
    assert exc.value.response["Error"]["Code"] == "InvalidNextToken"
