"""Shared by the SageMaker reference solutions: churn data in S3 and one training job."""

import io
import tarfile

from sandbox import datasets
from sandbox.exercises._helpers import ROLE_SAGEMAKER, ensure_bucket, lookup, wait_until
from sandbox.exercises.ml import FEATURES

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def upload_training_data(aws, bucket: str, rows: int = 2000) -> str:
    """train/ and validation/ CSVs (label first, no header) under s3://bucket/data/; returns that prefix."""
    s3 = aws.client("s3")
    ensure_bucket(s3, bucket)
    frame = datasets.customers(rows, seed=7)
    frame = frame.assign(is_consumer=(frame["segment"] == "consumer").astype("int64"))[["churned", *FEATURES]]
    cut = int(len(frame) * 0.8)
    for channel, part in (("train", frame[:cut]), ("validation", frame[cut:])):
        s3.put_object(Bucket=bucket, Key=f"data/{channel}/{channel}.csv",
                      Body=part.to_csv(header=False, index=False).encode())
    return f"s3://{bucket}/data"


def source_archive(files: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def wait_training(sm, name: str) -> dict:
    job = wait_until(lambda: sm.describe_training_job(TrainingJobName=name),
                     lambda j: j["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"), 300, "training",
                     interval=0.5)
    if job["TrainingJobStatus"] != "Completed":
        raise RuntimeError(f"training job {name} {job['TrainingJobStatus']}: {job.get('FailureReason')}")
    return job


def train_xgboost(aws, name: str, data: str, output: str) -> str:
    """A built-in XGBoost training job (re-used when it exists); returns its model.tar.gz URI."""
    sm = aws.client("sagemaker")
    if not lookup(sm.describe_training_job, TrainingJobName=name):
        sm.create_training_job(
            TrainingJobName=name, RoleArn=ROLE_SAGEMAKER,
            AlgorithmSpecification={"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            HyperParameters={"objective": "binary:logistic", "num_round": "60", "max_depth": "2", "eta": "0.1",
                             "eval_metric": "auc"},
            InputDataConfig=[{"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"{data}/{c}/"}}} for c in ("train", "validation")],
            OutputDataConfig={"S3OutputPath": output},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            StoppingCondition={"MaxRuntimeInSeconds": 300})
    return wait_training(sm, name)["ModelArtifacts"]["S3ModelArtifacts"]


MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
MONITOR_CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


def monitoring_definition(bucket: str, endpoint: str, environment: dict | None = None) -> dict:
    """A DataQuality MonitoringJobDefinition over the endpoint's captured data, against s3://bucket/baseline/results/."""
    definition = {
        "BaselineConfig": {
            "ConstraintsResource": {"S3Uri": f"s3://{bucket}/baseline/results/constraints.json"},
            "StatisticsResource": {"S3Uri": f"s3://{bucket}/baseline/results/statistics.json"}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint,
                                                "LocalPath": "/opt/ml/processing/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": MONITOR_CLUSTER,
        "MonitoringAppSpecification": {"ImageUri": MONITOR_IMAGE},
        "RoleArn": ROLE_SAGEMAKER}
    if environment:
        definition["Environment"] = environment
    return definition


def run_schedule_now(sm, name: str, bucket: str, endpoint: str, environment: dict | None = None) -> dict:
    """A one-time (NOW) DataQuality schedule over the last hour of captured data, run now (an existing schedule of
    that name is replaced, so that it runs again); returns its finished execution."""
    if lookup(sm.describe_monitoring_schedule, MonitoringScheduleName=name):
        sm.delete_monitoring_schedule(MonitoringScheduleName=name)
    sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringType": "DataQuality",
        "MonitoringJobDefinition": monitoring_definition(bucket, endpoint, environment)})
    created = sm.describe_monitoring_schedule(MonitoringScheduleName=name)["CreationTime"]
    found = wait_until(
        lambda: sm.list_monitoring_executions(MonitoringScheduleName=name, SortBy="CreationTime",
                                              SortOrder="Descending")["MonitoringExecutionSummaries"],
        lambda runs: runs and runs[0]["CreationTime"] >= created
        and runs[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"),
        180, f"the monitoring execution of {name}", interval=0.5)
    return found[0]
