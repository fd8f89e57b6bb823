"""Demo step: a churn model with SageMaker -- processing, tuning, an endpoint, the model registry.

- A processing job (scikit-learn image, ContainerEntrypoint) turns raw/customers/customers.csv
  into train/validation CSVs (label first, no header), as the built-in XGBoost wants them.
- A hyperparameter tuning job (Bayesian: optuna TPE) runs built-in XGBoost training jobs,
  two at a time, maximising validation:auc read from their logs.
- The best job's model.tar.gz is deployed to an endpoint and invoked with real rows.
- The model is registered in a model package group (MLflow's model registry) and approved.
"""

from __future__ import annotations

import time
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/sandbox-demo-sagemaker"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
FEATURES = ["age", "tenure_months", "monthly_spend", "support_calls"]

PREPROCESS = """
import pandas as pd
from sklearn.model_selection import train_test_split
frame = pd.read_csv("/opt/ml/processing/input/customers.csv")
columns = ["churned", "age", "tenure_months", "monthly_spend", "support_calls"]
data = frame[columns].dropna()
train, validation = train_test_split(data, test_size=0.25, random_state=0, stratify=data["churned"])
train.to_csv("/opt/ml/processing/train/train.csv", header=False, index=False)
validation.to_csv("/opt/ml/processing/validation/validation.csv", header=False, index=False)
print(f"rows={len(data)} train={len(train)} validation={len(validation)} churn_rate={data.churned.mean():.3f}")
"""


def _wait(describe: Any, key: str, done: tuple[str, ...], timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = describe()
        if result[key] in done:
            return result
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not finish within {timeout:.0f} s")


def run(ctx: Any) -> None:
    aws, bucket = ctx.aws, ctx.bucket
    sm, runtime, s3 = aws.client("sagemaker"), aws.client("sagemaker-runtime"), aws.client("s3")
    suffix = str(int(time.time()))[-6:]
    prefix = f"s3://{bucket}/sagemaker/churn-{suffix}"

    s3.put_object(Bucket=bucket, Key=f"sagemaker/churn-{suffix}/code/preprocess.py", Body=PREPROCESS.encode())
    processing = f"churn-prep-{suffix}"
    sm.create_processing_job(
        ProcessingJobName=processing, RoleArn=ROLE,
        AppSpecification={"ImageUri": SKLEARN_IMAGE,
                          "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/preprocess.py"]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                               "VolumeSizeInGB": 5}},
        ProcessingInputs=[
            {"InputName": "customers", "S3Input": {"S3Uri": f"s3://{bucket}/raw/customers/customers.csv",
                                                   "LocalPath": "/opt/ml/processing/input", "S3DataType": "S3Prefix",
                                                   "S3InputMode": "File"}},
            {"InputName": "code", "S3Input": {"S3Uri": f"{prefix}/code/preprocess.py",
                                              "LocalPath": "/opt/ml/processing/input/code",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [
            {"OutputName": name, "S3Output": {"S3Uri": f"{prefix}/{name}", "LocalPath": f"/opt/ml/processing/{name}",
                                              "S3UploadMode": "EndOfJob"}} for name in ("train", "validation")]})
    job = _wait(lambda: sm.describe_processing_job(ProcessingJobName=processing), "ProcessingJobStatus",
                ("Completed", "Failed", "Stopped"), 60, "the processing job")
    if job["ProcessingJobStatus"] != "Completed":
        raise RuntimeError(f"processing job {job['ProcessingJobStatus']}: {job.get('FailureReason')}")
    ctx.say(f"processing job {processing}: customers.csv -> {prefix}/train and /validation (label first, no header)")

    tuning = f"churn-hpo-{suffix}"
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning,
        HyperParameterTuningJobConfig={
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "6"}],
                "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5",
                                               "ScalingType": "Logarithmic"}]}},
        TrainingJobDefinition={
            "StaticHyperParameters": {"num_round": "40", "objective": "binary:logistic", "eval_metric": "auc"},
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "InputDataConfig": [{"ChannelName": name, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"{prefix}/{name}/"}}} for name in ("train", "validation")],
            "OutputDataConfig": {"S3OutputPath": f"{prefix}/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 300}})
    result = _wait(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning),
                   "HyperParameterTuningJobStatus", ("Completed", "Failed", "Stopped"), 120, "the tuning job")
    if result["HyperParameterTuningJobStatus"] != "Completed":
        raise RuntimeError(f"tuning job {result['HyperParameterTuningJobStatus']}: {result.get('FailureReason')}")
    best = result["BestTrainingJob"]
    ctx.say(f"tuning job {tuning} (optuna TPE): {result['TrainingJobStatusCounters']['Completed']} XGBoost jobs, "
            f"best {best['TrainingJobName']} validation:auc="
            f"{best['FinalHyperParameterTuningJobObjectiveMetric']['Value']:.3f} with {best['TunedHyperParameters']}")

    model_data = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])["ModelArtifacts"]["S3ModelArtifacts"]
    name = f"churn-{suffix}"
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    endpoint = _wait(lambda: sm.describe_endpoint(EndpointName=name), "EndpointStatus", ("InService", "Failed"),
                     60, "the endpoint")
    if endpoint["EndpointStatus"] != "InService":
        raise RuntimeError(f"endpoint failed: {endpoint.get('FailureReason')}")
    rows = s3.get_object(Bucket=bucket, Key=f"sagemaker/churn-{suffix}/validation/validation.csv")["Body"]
    sample = rows.read().decode().splitlines()[:3]
    features = "\n".join(line.split(",", 1)[1] for line in sample)
    scores = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=features)["Body"].read()
    ctx.say(f"endpoint {name} InService; churn scores for 3 customers ({', '.join(FEATURES)}): "
            f"{[round(float(s), 3) for s in scores.decode().split(',')]} (labels {[line[0] for line in sample]})")

    group = "churn-models"
    try:  # an exact look-up: NameContains also finds longer names, and a list can page
        sm.describe_model_package_group(ModelPackageGroupName=group)
    except sm.exceptions.ClientError:
        sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="demo churn models")
    package = sm.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    )["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved")
    ctx.say(f"model package {package.rsplit('/', 2)[-2]}/{package.rsplit('/', 1)[-1]} Approved; runs and the "
            "registry are in MLflow (`sandbox mlflow`)")
    sm.delete_endpoint(EndpointName=name)
