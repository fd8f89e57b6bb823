"""Exercise 40: find the drifted feature, publish the monitor's metrics, alarm on that feature's drift via SNS."""

import json

from sandbox.exercises._helpers import wait_until
from sandbox.exercises.ml_monitoring import EX40_ALARM, EX40_BUCKET, EX40_ENDPOINT, MONITOR_NAMESPACE
from sandbox.exercises.solutions._churn import run_schedule_now
from sandbox.lake import parse_s3_uri

SCHEDULE = "ex40-quality-with-metrics"


def drifted_features(aws, schedule):
    """The features the latest execution of ``schedule`` found drifting (its constraint_violations.json)."""
    sm, s3 = aws.client("sagemaker"), aws.client("s3")
    execution = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"][0]
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
    bucket, prefix = parse_s3_uri(job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
            if o["Key"].endswith("constraint_violations.json")]
    violations = json.loads(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read())["violations"]
    return sorted({v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"})


def drift_threshold(aws):
    """The distance above which the monitor itself reports drift (the baseline constraints' comparison_threshold)."""
    constraints = json.loads(aws.client("s3").get_object(Bucket=EX40_BUCKET, Key="baseline/results/constraints.json")[
        "Body"].read())
    return float(constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"])


def solve(aws):
    sm, sns, cloudwatch = aws.client("sagemaker"), aws.client("sns"), aws.client("cloudwatch")
    feature = drifted_features(aws, "ex40-weekly-quality")[0]   # monthly_spend: the new price plan
    topic = sns.create_topic(Name="ex40-ml-alerts")["TopicArn"]
    cloudwatch.put_metric_alarm(
        AlarmName=EX40_ALARM, AlarmDescription=f"data drift of {feature} on {EX40_ENDPOINT}",
        Namespace=MONITOR_NAMESPACE, MetricName=f"feature_baseline_drift_{feature}",
        Dimensions=[{"Name": "Endpoint", "Value": EX40_ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE}],
        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=drift_threshold(aws),
        # the metric arrives once per monitoring run: between runs keep the state the last run set
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore", AlarmActions=[topic])
    run_schedule_now(sm, SCHEDULE, EX40_BUCKET, EX40_ENDPOINT, {"publish_cloudwatch_metrics": "Enabled"})
    wait_until(lambda: cloudwatch.describe_alarms(AlarmNames=[EX40_ALARM])["MetricAlarms"][0],
               lambda a: a["StateValue"] == "ALARM", 60, "the alarm")
