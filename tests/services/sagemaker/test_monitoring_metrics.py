"""Model Monitor executions publish CloudWatch metrics, and an alarm on drift goes to ALARM."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from emulators.sagemaker.api import monitor_metrics

from tests.helpers.sagemaker import baseline_training_data, csv_bytes, data_quality_definition, deploy

NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"


def test_metric_data_of_an_execution():
    statistics = {"dataset": {"item_count": 4}, "features": [
        {"name": "f1", "inferred_type": "Fractional", "numerical_statistics": {
            "common": {"num_present": 4, "num_missing": 0}, "sum": 10.0, "min": 1.0, "max": 4.0}},
        {"name": "colour", "inferred_type": "String", "string_statistics": {
            "common": {"num_present": 3, "num_missing": 1}}}]}
    when = datetime(2026, 12, 2, 10, tzinfo=timezone.utc)
    data = {d["MetricName"]: d for d in monitor_metrics.metric_data(statistics, {"f1": 0.75, "colour": 0.2},
                                                                     "ep", "sched", when)}
    assert set(data) == {"feature_baseline_drift_f1", "feature_non_null_f1", "feature_data_f1",
                         "feature_baseline_drift_colour", "feature_non_null_colour"}
    assert data["feature_baseline_drift_f1"]["Value"] == 0.75
    assert data["feature_non_null_colour"]["Value"] == 0.75
    assert data["feature_data_f1"]["StatisticValues"] == {"SampleCount": 4.0, "Sum": 10.0, "Minimum": 1.0,
                                                          "Maximum": 4.0}
    assert data["feature_data_f1"]["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"},
                                                     {"Name": "MonitoringSchedule", "Value": "sched"}]
    assert monitor_metrics.publish({"publish_cloudwatch_metrics": "Disabled"}, {"statistics": statistics}) is None


def schedule_now(sm, name, endpoint, bucket, environment=None):
    definition = data_quality_definition(endpoint, bucket, environment)
    sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinition": definition, "MonitoringType": "DataQuality"})
    deadline = time.monotonic() + 120
    while True:
        executions = sm.list_monitoring_executions(MonitoringScheduleName=name)["MonitoringExecutionSummaries"]
        if executions and executions[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"):
            return executions[0]
        assert time.monotonic() < deadline, executions
        time.sleep(0.5)


@pytest.mark.slow
def test_drift_metrics_are_published_and_an_alarm_on_them_fires(aws, sm, runtime, dataset, trained_model,
                                                                unique_name):
    bucket, s3 = dataset["bucket"], aws.client("s3")
    x = dataset["x"]
    job = trained_model["job"]
    baseline_training_data(s3, sm, dataset, unique_name, publish_metrics="Enabled")
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100,
               "DestinationS3Uri": f"s3://{bucket}/datacapture",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
    endpoint = deploy(sm, unique_name, job["ModelArtifacts"]["S3ModelArtifacts"], capture=capture)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    drifted = x[:40].copy()
    drifted[:, 1] += 6.0
    for row in drifted:
        runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=csv_bytes(row[None, :]))

    cloudwatch = aws.client("cloudwatch")
    schedule = f"{unique_name}-monitor"
    # the alarm a learner sets up on drift of f1 (before any datapoint: INSUFFICIENT_DATA)
    dimensions = [{"Name": "Endpoint", "Value": unique_name}, {"Name": "MonitoringSchedule", "Value": schedule}]
    cloudwatch.put_metric_alarm(AlarmName=f"{unique_name}-drift", Namespace=NAMESPACE,
                                MetricName="feature_baseline_drift_f1", Dimensions=dimensions, Statistic="Maximum",
                                Period=60, EvaluationPeriods=1, Threshold=0.1,
                                ComparisonOperator="GreaterThanThreshold")
    execution = schedule_now(sm, schedule, unique_name, bucket, {"publish_cloudwatch_metrics": "Enabled"})
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution

    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace=NAMESPACE, Dimensions=[
        {"Name": "MonitoringSchedule", "Value": schedule}])["Metrics"]}
    assert {"feature_baseline_drift_f1", "feature_baseline_drift_f2", "feature_non_null_f1",
            "feature_data_f1"} <= names
    now = datetime.now(timezone.utc)

    def maximum(metric):
        points = cloudwatch.get_metric_statistics(Namespace=NAMESPACE, MetricName=metric, Dimensions=dimensions,
                                                  StartTime=now - timedelta(minutes=10),
                                                  EndTime=now + timedelta(minutes=1), Period=660,
                                                  Statistics=["Maximum"])["Datapoints"]
        assert len(points) == 1, (metric, points)
        return points[0]["Maximum"]

    assert maximum("feature_baseline_drift_f1") > 0.5
    assert maximum("feature_baseline_drift_f2") < 0.5
    assert maximum("feature_non_null_f1") == 1.0
    assert maximum("feature_data_f1") == pytest.approx(drifted[:, 1].max())

    deadline = time.monotonic() + 20
    while (alarm := cloudwatch.describe_alarms(AlarmNames=[f"{unique_name}-drift"])["MetricAlarms"][0])[
            "StateValue"] != "ALARM":
        assert time.monotonic() < deadline, alarm
        time.sleep(0.5)
    assert "was greater than the threshold (0.1)" in alarm["StateReason"]

    # without publish_cloudwatch_metrics=Enabled (the raw API's default here) nothing is published
    quiet = f"{unique_name}-quiet"
    assert schedule_now(sm, quiet, unique_name, bucket)["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert cloudwatch.list_metrics(Namespace=NAMESPACE, Dimensions=[
        {"Name": "MonitoringSchedule", "Value": quiet}])["Metrics"] == []
