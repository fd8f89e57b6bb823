"""Fixtures for SageMaker tests: a small dataset in S3, a script-mode source archive, polling helpers."""

from __future__ import annotations

import io
import tarfile
import time

import numpy as np
import pytest

ROLE = "arn:aws:iam::123456789012:role/sagemaker-role"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

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


def wait_for(describe, status_key: str, done=("Completed", "Failed", "Stopped"), timeout: float = 120):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = describe()
        if last[status_key] in done:
            return last
        time.sleep(0.2)
    raise AssertionError(f"still {last and last[status_key]} after {timeout} s")


@pytest.fixture
def sm(aws):
    return aws.client("sagemaker")


@pytest.fixture
def runtime(aws):
    return aws.client("sagemaker-runtime")


@pytest.fixture
def dataset(aws, s3_bucket):
    """A binary classification CSV (label first, no header) in S3 and the source archive of a sklearn script."""
    s3 = aws.client("s3")
    x, y = make_dataset()
    s3.put_object(Bucket=s3_bucket, Key="data/train/train.csv", Body=csv_bytes(x[:150], y[:150]))
    s3.put_object(Bucket=s3_bucket, Key="data/validation/validation.csv", Body=csv_bytes(x[150:], y[150:]))
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz", Body=source_archive({"train.py": TRAIN_SCRIPT}))
    return {"bucket": s3_bucket, "x": x, "y": y}


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
