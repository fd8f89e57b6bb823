"""Exercise 26: an endpoint with data capture, a baseline job, and a one-time (NOW) DataQuality schedule."""

import json

from sandbox.exercises._helpers import ROLE_SAGEMAKER, lookup, wait_until
from sandbox.exercises.ml import FEATURES, holdout
from sandbox.exercises.solutions._churn import XGBOOST_IMAGE, train_xgboost, upload_training_data

BUCKET, NAME, SCHEDULE = "ex26-monitoring", "ex26-churn", "ex26-data-quality"
MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


def solve(aws):
    sm, s3, runtime = aws.client("sagemaker"), aws.client("s3"), aws.client("sagemaker-runtime")
    data = upload_training_data(aws, BUCKET)
    model_data = train_xgboost(aws, "ex26-churn-xgboost", data, f"s3://{BUCKET}/models")
    if not lookup(sm.describe_model, ModelName=NAME):
        sm.create_model(ModelName=NAME, ExecutionRoleArn=ROLE_SAGEMAKER,
                        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data})
    if not lookup(sm.describe_endpoint_config, EndpointConfigName=NAME):
        sm.create_endpoint_config(
            EndpointConfigName=NAME,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": NAME, "InitialInstanceCount": 1,
                                 "InstanceType": "ml.m5.large"}],
            DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                               "DestinationS3Uri": f"s3://{BUCKET}/capture",
                               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    if not lookup(sm.describe_endpoint, EndpointName=NAME):
        sm.create_endpoint(EndpointName=NAME, EndpointConfigName=NAME)
    wait_until(lambda: sm.describe_endpoint(EndpointName=NAME), lambda e: e["EndpointStatus"] in ("InService", "Failed"),
               120, "the endpoint")

    # the baseline: the model's scores (first column) and its features, with a header
    customers = holdout()[FEATURES].head(300)
    body = customers.to_csv(header=False, index=False)
    answer = runtime.invoke_endpoint(EndpointName=NAME, ContentType="text/csv", Body=body)["Body"].read().decode()
    scores = [float(v) for v in answer.replace("\n", ",").split(",") if v.strip()]
    baseline = customers.assign(score=scores)[["score", *FEATURES]]
    s3.put_object(Bucket=BUCKET, Key="baseline/data/baseline.csv", Body=baseline.to_csv(index=False).encode())
    job = "ex26-baseline"
    if not lookup(sm.describe_processing_job, ProcessingJobName=job):
        sm.create_processing_job(
            ProcessingJobName=job, RoleArn=ROLE_SAGEMAKER, AppSpecification={"ImageUri": MONITOR_IMAGE},
            ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
                "S3Uri": f"s3://{BUCKET}/baseline/data/", "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
            ProcessingOutputConfig={"Outputs": [{"OutputName": "baseline", "S3Output": {
                "S3Uri": f"s3://{BUCKET}/baseline/results", "LocalPath": "/opt/ml/processing/output",
                "S3UploadMode": "EndOfJob"}}]},
            ProcessingResources=CLUSTER,
            Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                         "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                         "output_path": "/opt/ml/processing/output"})
    wait_until(lambda: sm.describe_processing_job(ProcessingJobName=job),
               lambda j: j["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"), 120, "the baseline job",
               interval=0.5)

    if not lookup(sm.describe_monitoring_schedule, MonitoringScheduleName=SCHEDULE):
        sm.create_monitoring_schedule(MonitoringScheduleName=SCHEDULE, MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                               "DataAnalysisEndTime": "-PT0H"},
            "MonitoringType": "DataQuality",
            "MonitoringJobDefinition": {
                "BaselineConfig": {
                    "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/results/constraints.json"},
                    "StatisticsResource": {"S3Uri": f"s3://{BUCKET}/baseline/results/statistics.json"}},
                "MonitoringInputs": [{"EndpointInput": {"EndpointName": NAME,
                                                        "LocalPath": "/opt/ml/processing/input/endpoint"}}],
                "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                    "S3Uri": f"s3://{BUCKET}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
                "MonitoringResources": CLUSTER,
                "MonitoringAppSpecification": {"ImageUri": MONITOR_IMAGE},
                "RoleArn": ROLE_SAGEMAKER}})
    wait_until(lambda: sm.list_monitoring_executions(MonitoringScheduleName=SCHEDULE)["MonitoringExecutionSummaries"],
               lambda found: found and found[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"),
               120, "the monitoring execution", interval=0.5)
