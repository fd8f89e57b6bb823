"""SageMaker test material: a small dataset, a script-mode training script and its archive, and the calls
that train, deploy and run processing jobs (waiting with botocore's SageMaker waiters)."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np

from .waiting import wait_with_waiter

ROLE = "arn:aws:iam::123456789012:role/sagemaker-role"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ANALYZER_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"

TRAIN_SCRIPT = '''
import argparse, glob, os
import joblib, numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max_iter", type=int, default=100)
    parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
    args = parser.parse_args()
    frame = pd.concat([pd.read_csv(f, header=None) for f in sorted(glob.glob(args.train + "/*.csv"))])
    y, x = frame.iloc[:, 0].to_numpy(), frame.iloc[:, 1:].to_numpy()
    model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(x, y)
    print(f"train_accuracy={model.score(x, y):.4f}")
    print("hosts", os.environ["SM_HOSTS"], "job", os.environ["TRAINING_JOB_NAME"])
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "notes.txt"), "w") as f:
        f.write("trained")
'''


def make_dataset(rows: int = 200, features: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).round(4)
    y = (x @ np.array([1.5, -2.0, 0.5, 1.0][:features]) + rng.normal(scale=0.5, size=rows) > 0).astype(int)
    return x, y


def csv_bytes(x: np.ndarray, y: np.ndarray | None = None) -> bytes:
    rows = np.column_stack([y, x]) if y is not None else x
    return "\n".join(",".join(f"{v:g}" for v in row) for row in rows).encode() + b"\n"


def source_archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def put_dataset(s3, bucket: str) -> dict:
    """The binary classification CSVs (label first, no header) and the sklearn source archive in ``bucket``."""
    x, y = make_dataset()
    s3.put_object(Bucket=bucket, Key="data/train/train.csv", Body=csv_bytes(x[:150], y[:150]))
    s3.put_object(Bucket=bucket, Key="data/validation/validation.csv", Body=csv_bytes(x[150:], y[150:]))
    s3.put_object(Bucket=bucket, Key="code/sourcedir.tar.gz", Body=source_archive({"train.py": TRAIN_SCRIPT}))
    return {"bucket": bucket, "x": x, "y": y}


def training_request(name: str, bucket: str, image: str = SKLEARN_IMAGE, hyperparameters: dict | None = None,
                     channels: tuple[str, ...] = ("train",), **extra) -> dict:
    hps = {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"s3://{bucket}/code/sourcedir.tar.gz"'}
    if hyperparameters is not None:
        hps = hyperparameters
    return dict(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File", **extra.pop("algo", {})},
        RoleArn=ROLE,
        HyperParameters=hps,
        InputDataConfig=[{"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/data/{c}/", "S3DataDistributionType": "FullyReplicated"}}}
            for c in channels],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 300},
        **extra,
    )


def wait_training(sm, name: str, timeout: float = 120) -> dict:
    """The training job's description once it is Completed, Failed or Stopped."""
    return wait_with_waiter(sm, "training_job_completed_or_stopped", timeout=timeout, TrainingJobName=name)


def wait_endpoint(sm, name: str, timeout: float = 60) -> dict:
    """The endpoint's description once it is InService or Failed."""
    return wait_with_waiter(sm, "endpoint_in_service", timeout=timeout, EndpointName=name)


def wait_transform(sm, name: str, timeout: float = 120) -> dict:
    return wait_with_waiter(sm, "transform_job_completed_or_stopped", timeout=timeout, TransformJobName=name)


def wait_processing(sm, name: str, timeout: float = 120) -> dict:
    return wait_with_waiter(sm, "processing_job_completed_or_stopped", timeout=timeout, ProcessingJobName=name)


def train(sm, name: str, bucket: str, **kwargs) -> dict:
    sm.create_training_job(**training_request(name, bucket, **kwargs))
    return wait_training(sm, name)


def deploy(sm, name: str, model_data: str, image: str = SKLEARN_IMAGE, environment: dict | None = None,
           variants: list | None = None, capture: dict | None = None) -> dict:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": image, "ModelDataUrl": model_data,
                                      "Environment": environment or {}})
    config = dict(EndpointConfigName=name, ProductionVariants=variants or [
        {"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
         "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}])
    if capture:
        config["DataCaptureConfig"] = capture
    sm.create_endpoint_config(**config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return wait_endpoint(sm, name)


def load_local_model(s3, uri: str):
    """The scikit-learn model inside a model.tar.gz in S3."""
    import joblib

    bucket, key = uri[5:].split("/", 1)
    archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return joblib.load(tar.extractfile("model.joblib"))


def read_json(s3, uri: str):
    bucket, key = uri[5:].split("/", 1)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def processing_job(sm, name: str, image: str, inputs: list, output_uri: str, environment: dict | None = None) -> dict:
    """Run a processing job of ``(input name, S3 URI, local path)`` inputs; its description when it ended."""
    sm.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE,
        AppSpecification={"ImageUri": image},
        ProcessingInputs=[{"InputName": input_name, "S3Input": {
            "S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File"}}
            for input_name, uri, local in inputs],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "result", "S3Output": {
            "S3Uri": output_uri, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 20}},
        Environment=environment or {},
    )
    return wait_processing(sm, name)


def data_quality_definition(endpoint: str, bucket: str, environment: dict | None = None) -> dict:
    """A MonitoringJobDefinition over the endpoint's captured data, against the baseline under baseline/results."""
    definition = {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri": f"s3://{bucket}/baseline/results/constraints.json"},
                           "StatisticsResource": {"S3Uri": f"s3://{bucket}/baseline/results/statistics.json"}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint,
                                                "LocalPath": "/opt/ml/processing/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/monitoring", "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "MonitoringAppSpecification": {"ImageUri": ANALYZER_IMAGE},
        "RoleArn": ROLE}
    if environment:
        definition["Environment"] = environment
    return definition


MONITOR_HEADERS = ["label", "f0", "f1", "f2", "f3"]


def baseline_training_data(s3, sm, dataset: dict, name: str, publish_metrics: str = "Disabled"):
    """The Model Monitor baseline (statistics, constraints) of the dataset under baseline/results of its bucket;
    returns that training data (label first, with a header, as the analyzer reads it)."""
    import pandas as pd

    bucket = dataset["bucket"]
    training = pd.DataFrame(np.column_stack([dataset["y"], dataset["x"]]),
                            columns=MONITOR_HEADERS).astype({"label": int})
    s3.put_object(Bucket=bucket, Key="baseline/data/train.csv", Body=training.to_csv(index=False).encode())
    baseline = processing_job(
        sm, f"{name}-baseline", ANALYZER_IMAGE,
        [("baseline_dataset_input", f"s3://{bucket}/baseline/data/", "/opt/ml/processing/input/baseline_dataset_input")],
        f"s3://{bucket}/baseline/results",
        {"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
         "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
         "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": publish_metrics})
    assert baseline["ProcessingJobStatus"] == "Completed", baseline.get("FailureReason")
    return training
