"""SageMaker on the sandbox against running the same work directly, in the same run.

- training-job overhead: create_training_job -> Completed (polled every 50 ms), minus the
  wall time of the same script run directly as a subprocess on the same files. The first
  job also pays MLflow's import and database creation (reported separately).
- invoke_endpoint latency p50/p99 (one CSV row, HTTP through boto3) against calling the
  loaded model's ``predict`` directly on the same row.

    .venv/bin/python benchmarks/bench_sagemaker.py
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import Report, client, free_port, median, percentile  # noqa: E402

JOBS = int(os.environ.get("BENCH_SM_JOBS", 4))
INVOCATIONS = int(os.environ.get("BENCH_SM_INVOCATIONS", 300))
ROWS = int(os.environ.get("BENCH_SM_ROWS", 2000))
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

SCRIPT = """
import argparse, glob, os
import joblib, pandas as pd
from sklearn.linear_model import LogisticRegression

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--C", type=float, default=1.0)
    a = p.parse_args()
    train = os.environ["SM_CHANNEL_TRAIN"]
    frame = pd.concat([pd.read_csv(f, header=None) for f in glob.glob(train + "/*.csv")])
    model = LogisticRegression(C=a.C, max_iter=200).fit(frame.iloc[:, 1:], frame.iloc[:, 0])
    joblib.dump(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.joblib"))
"""


def dataset() -> bytes:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, 8)).round(4)
    y = (x @ rng.normal(size=8) > 0).astype(int)
    return "\n".join(",".join(f"{v:g}" for v in [label, *row]) for label, row in zip(y, x)).encode()


def source_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(SCRIPT.encode())
        tar.addfile(info, io.BytesIO(SCRIPT.encode()))
    return buffer.getvalue()


def run_directly(data: bytes, work: Path) -> float:
    """The baseline: the same script as a plain subprocess on local files."""
    (work / "train").mkdir(parents=True, exist_ok=True)
    (work / "model").mkdir(exist_ok=True)
    (work / "train" / "train.csv").write_bytes(data)
    (work / "train.py").write_text(SCRIPT)
    env = {**os.environ, "SM_CHANNEL_TRAIN": str(work / "train"), "SM_MODEL_DIR": str(work / "model")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "train.py", "--C", "1.0"], cwd=work, env=env, check=True)
    return time.perf_counter() - started


def train(sm, name: str, bucket: str) -> tuple[float, dict]:
    started = time.perf_counter()
    sm.create_training_job(
        TrainingJobName=name, RoleArn="arn:aws:iam::123456789012:role/r",
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"sagemaker_program": '"train.py"', "C": "1.0",
                         "sagemaker_submit_directory": f'"s3://{bucket}/code/sourcedir.tar.gz"'},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train/"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    while True:
        job = sm.describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            break
        time.sleep(0.05)
    if job["TrainingJobStatus"] != "Completed":
        raise RuntimeError(job.get("FailureReason"))
    return time.perf_counter() - started, job


def main() -> None:
    import joblib
    import numpy as np

    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    report = Report("sagemaker")
    print(f"sagemaker: {JOBS} training jobs on {ROWS} rows, {INVOCATIONS} invocations; sandbox vs direct calls")
    data = dataset()
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as work:
        config = SandboxConfig(state_dir=Path(state), port=free_port())
        cloud_control.up(config)
        try:
            s3, sm = client(config.endpoint_url, "s3"), client(config.endpoint_url, "sagemaker")
            runtime = client(config.endpoint_url, "sagemaker-runtime")
            s3.create_bucket(Bucket="bench")
            s3.put_object(Bucket="bench", Key="train/train.csv", Body=data)
            s3.put_object(Bucket="bench", Key="code/sourcedir.tar.gz", Body=source_archive())

            direct = [run_directly(data, Path(work) / f"d{i}") for i in range(JOBS)]
            walls, jobs = [], []
            for i in range(JOBS):
                wall, job = train(sm, f"bench-{i}", "bench")
                walls.append(wall)
                jobs.append(job)
            base = median(direct)
            report.add("first training job: create -> Completed (s)", walls[0], base, "s",
                       note="includes MLflow import + store creation")
            later = walls[1:] or walls
            report.add("training job: create -> Completed, median (s)", median(later), base, "s",
                       note="baseline: the script as a plain subprocess")
            report.add("training-job overhead, median (s)", median(later) - base, None, "s",
                       note="download, job folder, upload model.tar.gz, logs, MLflow run")

            model_data = jobs[-1]["ModelArtifacts"]["S3ModelArtifacts"]
            sm.create_model(ModelName="bench", ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": model_data})
            sm.create_endpoint_config(EndpointConfigName="bench", ProductionVariants=[{
                "VariantName": "AllTraffic", "ModelName": "bench", "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large"}])
            started = time.perf_counter()
            sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
            while sm.describe_endpoint(EndpointName="bench")["EndpointStatus"] == "Creating":
                time.sleep(0.05)
            report.add("create_endpoint -> InService (s)", time.perf_counter() - started, None, "s")

            archive = s3.get_object(Bucket="bench", Key=model_data.split("/", 3)[3])["Body"].read()
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                model = joblib.load(tar.extractfile("model.joblib"))
            row = data.splitlines()[0].decode().split(",", 1)[1]
            array = np.array([[float(v) for v in row.split(",")]])
            for _ in range(20):  # warm up both paths
                runtime.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=row)
                model.predict(array)
            remote, local = [], []
            for _ in range(INVOCATIONS):
                t = time.perf_counter()
                body = runtime.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=row)["Body"].read()
                remote.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                expected = model.predict(array)
                local.append((time.perf_counter() - t) * 1000)
            assert int(float(body)) == int(expected[0])
            report.add("invoke_endpoint p50 (ms)", percentile(remote, 50), percentile(local, 50), "ms",
                       note="baseline: model.predict in-process")
            report.add("invoke_endpoint p99 (ms)", percentile(remote, 99), percentile(local, 99), "ms")
        finally:
            cloud_control.down(config)
    report.save()


if __name__ == "__main__":
    main()
