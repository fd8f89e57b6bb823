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
