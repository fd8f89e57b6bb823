"""Model Monitor (baseline job, monitoring schedule over captured data) and Clarify, through plain boto3."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import (ANALYZER_IMAGE, MONITOR_HEADERS, ROLE, baseline_training_data, csv_bytes,
                                     data_quality_definition, deploy, load_local_model, processing_job, read_json)

CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
HEADERS = MONITOR_HEADERS


@pytest.mark.slow
def test_baseline_then_a_monitoring_schedule_finds_drift_in_captured_requests(aws, sm, runtime, dataset,
                                                                              trained_model, unique_name):
    bucket, s3 = dataset["bucket"], aws.client("s3")
    x = dataset["x"]
    # 1. the baseline: statistics and suggested constraints of the training data
    job = trained_model["job"]
    training = baseline_training_data(s3, sm, dataset, unique_name)
    statistics = read_json(s3, f"s3://{bucket}/baseline/results/statistics.json")
    constraints = read_json(s3, f"s3://{bucket}/baseline/results/constraints.json")
    assert statistics["dataset"]["item_count"] == len(training)
    f1 = next(f for f in statistics["features"] if f["name"] == "f1")
    assert f1["numerical_statistics"]["mean"] == pytest.approx(training.f1.mean())
    assert [f["name"] for f in constraints["features"]] == HEADERS

    # 2. an endpoint capturing its requests and responses, sent data whose f1 has drifted
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100,
               "DestinationS3Uri": f"s3://{bucket}/datacapture",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
    endpoint = deploy(sm, unique_name, job["ModelArtifacts"]["S3ModelArtifacts"], capture=capture)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    drifted = x[:40].copy()
    drifted[:, 1] += 6.0
    for row in drifted:
        runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=csv_bytes(row[None, :]))

    # 3. a one-time (NOW) data-quality schedule over the last hour of captured data
    schedule = f"{unique_name}-monitor"
    arn = sm.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinition": data_quality_definition(unique_name, bucket),
        "MonitoringType": "DataQuality"})["MonitoringScheduleArn"]
    assert arn.endswith(f":monitoring-schedule/{schedule}")

    deadline = time.monotonic() + 120
    while True:
        executions = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        if executions and executions[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"):
            break
        assert time.monotonic() < deadline, executions
        time.sleep(0.5)
    execution = executions[0]
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    assert execution["EndpointName"] == unique_name and execution["MonitoringType"] == "DataQuality"

    job_name = execution["ProcessingJobArn"].rsplit("/", 1)[-1]
    monitoring_job = sm.describe_processing_job(ProcessingJobName=job_name)
    assert monitoring_job["ProcessingJobStatus"] == "Completed"
    result_uri = monitoring_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert result_uri.startswith(f"s3://{bucket}/monitoring/{unique_name}/{schedule}/")
    violations = read_json(s3, f"{result_uri}/constraint_violations.json")["violations"]
    flagged = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert ("f1", "baseline_drift_check") in flagged
    assert ("f2", "baseline_drift_check") not in flagged
    current = read_json(s3, f"{result_uri}/statistics.json")
    assert current["dataset"]["item_count"] == 40

    described = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert described["LastMonitoringExecutionSummary"]["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert schedule in [s["MonitoringScheduleName"] for s in
                        sm.list_monitoring_schedules(EndpointName=unique_name)["MonitoringScheduleSummaries"]]
    sm.stop_monitoring_schedule(MonitoringScheduleName=schedule)
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["MonitoringScheduleStatus"] == "Stopped"
    sm.delete_monitoring_schedule(MonitoringScheduleName=schedule)
    with pytest.raises(ClientError) as missing:
        sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"


def test_monitoring_schedule_errors(sm, unique_name):
    definition = {
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": "no-such-endpoint",
                                                "LocalPath": "/opt/ml/processing/input"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/out",
                                                                       "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "MonitoringAppSpecification": {"ImageUri": ANALYZER_IMAGE}, "RoleArn": ROLE}
    with pytest.raises(ClientError) as missing_endpoint:
        sm.create_monitoring_schedule(MonitoringScheduleName=unique_name, MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinition": definition})
    assert missing_endpoint.value.response["Error"]["Code"] == "ValidationException"
    assert "no-such-endpoint" in missing_endpoint.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as custom_image:
        sm.create_monitoring_schedule(MonitoringScheduleName=unique_name, MonitoringScheduleConfig={
            "MonitoringJobDefinition": {**definition, "MonitoringAppSpecification": {"ImageUri": "my/own:1"}}})
    assert custom_image.value.response["Error"]["Code"] == "ValidationException"
    assert "Docker" in custom_image.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as not_found:
        sm.describe_monitoring_schedule(MonitoringScheduleName="no-such-schedule")
    assert not_found.value.response["Error"]["Code"] == "ResourceNotFound"


@pytest.mark.slow
def test_clarify_bias_and_shap_from_a_processing_job(aws, sm, dataset, trained_model, unique_name):
    bucket, s3 = dataset["bucket"], aws.client("s3")
    x, y = dataset["x"], dataset["y"]
    job = trained_model["job"]
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    model_uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": job["AlgorithmSpecification"]["TrainingImage"],
                                      "ModelDataUrl": model_uri})
    s3.put_object(Bucket=bucket, Key="clarify/data/data.csv", Body=csv_bytes(x, y))
    config = {
        "dataset_type": "text/csv", "headers": HEADERS, "label": "label", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "f0", "value_or_threshold": [0.5]}],
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                    "shap": {"baseline": [[0.0, 0.0, 0.0, 0.0]], "num_samples": 64, "agg_method": "mean_abs"},
                    "report": {"name": "report", "title": "Analysis Report"}},
        "predictor": {"model_name": unique_name, "instance_type": "ml.m5.large", "initial_instance_count": 1,
                      "content_type": "text/csv", "accept_type": "text/csv"},
    }
    s3.put_object(Bucket=bucket, Key="clarify/config/analysis_config.json", Body=json.dumps(config).encode())
    result = processing_job(sm, f"{unique_name}-clarify", CLARIFY_IMAGE, [
        ("analysis_config", f"s3://{bucket}/clarify/config/", "/opt/ml/processing/input/config"),
        ("dataset", f"s3://{bucket}/clarify/data/", "/opt/ml/processing/input/data")],
        f"s3://{bucket}/clarify/output")
    assert result["ProcessingJobStatus"] == "Completed", result.get("FailureReason")
    analysis = read_json(s3, f"s3://{bucket}/clarify/output/analysis.json")

    facet_d = x[:, 0] > 0.5
    pre = {m["name"]: m["value"] for m in analysis["pre_training_bias_metrics"]["facets"]["f0"][0]["metrics"]}
    assert pre["CI"] == pytest.approx(((~facet_d).sum() - facet_d.sum()) / len(x))
    assert pre["DPL"] == pytest.approx(y[~facet_d].mean() - y[facet_d].mean())

    predicted = load_local_model(s3, model_uri).predict(x)
    post = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"]["f0"][0]["metrics"]}
    assert post["DPPL"] == pytest.approx(predicted[~facet_d].mean() - predicted[facet_d].mean())
    accuracy = predicted == y
    assert post["AD"] == pytest.approx(accuracy[~facet_d].mean() - accuracy[facet_d].mean())

    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert set(shap["global_shap_values"]) == {"f0", "f1", "f2", "f3"}
    assert max(shap["global_shap_values"].values()) > 0


def test_clarify_job_with_a_broken_config_fails_with_the_reason(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="config/analysis_config.json",
                  Body=json.dumps({"dataset_type": "text/csv", "label": "nope", "label_values_or_threshold": [1],
                                   "facet": [{"name_or_index": "a"}], "methods": {"pre_training_bias": {}}}).encode())
    s3.put_object(Bucket=s3_bucket, Key="data/data.csv", Body=b"a,b,label\n1,2,1\n0,3,0\n")
    result = processing_job(sm, unique_name, CLARIFY_IMAGE, [
        ("analysis_config", f"s3://{s3_bucket}/config/", "/opt/ml/processing/input/config"),
        ("dataset", f"s3://{s3_bucket}/data/", "/opt/ml/processing/input/data")], f"s3://{s3_bucket}/out")
    assert result["ProcessingJobStatus"] == "Failed"
    assert "label 'nope' is not a column" in result["FailureReason"]
