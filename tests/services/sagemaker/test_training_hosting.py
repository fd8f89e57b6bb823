"""Script-mode training on S3 data -> model.tar.gz -> model -> endpoint -> real predictions."""

from __future__ import annotations

import io
import json
import tarfile

import joblib
import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import (TRAIN_SCRIPT, XGBOOST_IMAGE, csv_bytes, deploy, load_local_model,
                                     make_dataset, source_archive, train, training_request, wait_training)
from tests.helpers.waiting import wait_for_status


def describe_training(sm, name):
    return lambda: sm.describe_training_job(TrainingJobName=name)


@pytest.mark.slow
def test_script_mode_training_endpoint_predictions_match_local_model(aws, sm, runtime, dataset, unique_name):
    bucket = dataset["bucket"]
    job = train(sm, unique_name, bucket, hyperparameters={
        "sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"s3://{bucket}/code/sourcedir.tar.gz"',
        "C": "0.5"}, algo={"MetricDefinitions": [{"Name": "train:accuracy", "Regex": r"train_accuracy=([0-9.]+)"}]})
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri == f"s3://{bucket}/output/{unique_name}/output/model.tar.gz"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert 0.5 < metrics["train:accuracy"] <= 1.0
    outputs = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"output/{unique_name}/output/")
    assert {o["Key"].rsplit("/", 1)[-1] for o in outputs["Contents"]} == {"model.tar.gz", "output.tar.gz"}

    # the log is in CloudWatch Logs, as on AWS
    logs = aws.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                        logStreamNamePrefix=unique_name)["logStreams"]
    lines = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                                         logStreamName=streams[0]["logStreamName"])["events"]]
    assert any(line.startswith("train_accuracy=") for line in lines)
    assert any(f"job {unique_name}" in line and '["algo-1"]' in line for line in lines)

    # hosting: the script's model_fn is used (SAGEMAKER_PROGRAM from the source archive)
    endpoint = deploy(sm, unique_name, uri, environment={
        "SAGEMAKER_PROGRAM": "train.py", "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/code/sourcedir.tar.gz"})
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    x = dataset["x"][:20]
    local = load_local_model(aws.client("s3"), uri).predict(x)
    response = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Accept="text/csv",
                                       Body=csv_bytes(x))
    csv_predictions = [int(float(v)) for v in response["Body"].read().decode().split()]
    assert csv_predictions == local.tolist()
    assert response["InvokedProductionVariant"] == "AllTraffic"
    response = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="application/json",
                                       Accept="application/json", Body=json.dumps(x.tolist()))
    assert json.loads(response["Body"].read()) == local.tolist()
    assert response["ContentType"] == "application/json"


@pytest.mark.slow
def test_failing_script_fails_the_job_with_its_message(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=b"1,2\n")
    script = "import sys\nprint('about to fail')\nraise ValueError('the label column is missing')\n"
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz", Body=source_archive({"train.py": script}))
    job = train(sm, unique_name, s3_bucket)
    assert job["TrainingJobStatus"] == "Failed"
    assert "ValueError: the label column is missing" in job["FailureReason"]
    assert len(job["FailureReason"]) <= 1024


@pytest.mark.slow
def test_output_failure_file_is_the_failure_reason(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=b"1,2\n")
    script = ("import os\nopen('/opt/ml/output/failure', 'w').write('bad hyperparameter: depth')\n"
              "raise SystemExit(2)\n")
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz", Body=source_archive({"train.py": script}))
    job = train(sm, unique_name, s3_bucket)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == "bad hyperparameter: depth"


@pytest.mark.slow
def test_unknown_image_fails_with_the_supported_list(sm, dataset, unique_name):
    job = train(sm, unique_name, dataset["bucket"], image="123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest")
    assert job["TrainingJobStatus"] == "Failed"
    assert "sagemaker-scikit-learn" in job["FailureReason"] and "Docker" in job["FailureReason"]


@pytest.mark.slow
def test_missing_input_data_fails(sm, s3_bucket, unique_name):
    job = train(sm, unique_name, s3_bucket)
    assert job["TrainingJobStatus"] == "Failed"
    assert "No S3 objects found" in job["FailureReason"]


@pytest.mark.slow
def test_stop_training_job_kills_the_script(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=b"1,2\n")
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz",
                  Body=source_archive({"train.py": "import time\nprint('start', flush=True)\ntime.sleep(60)\n"}))
    sm.create_training_job(**training_request(unique_name, s3_bucket))
    wait_for_status(describe_training(sm, unique_name), "SecondaryStatus", done=("Training",), timeout=30)
    sm.stop_training_job(TrainingJobName=unique_name)
    job = wait_training(sm, unique_name, timeout=30)
    assert job["TrainingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as err:
        sm.stop_training_job(TrainingJobName=unique_name)
    assert err.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.slow
def test_duplicate_training_job_name_is_refused(sm, dataset, unique_name):
    sm.create_training_job(**training_request(unique_name, dataset["bucket"]))
    with pytest.raises(ClientError) as err:
        sm.create_training_job(**training_request(unique_name, dataset["bucket"]))
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    wait_training(sm, unique_name)


def test_archive_with_escaping_path_is_refused(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=b"1,2\n")
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz",
                  Body=source_archive({"../../escape.py": "print(1)", "train.py": "print(1)"}))
    job = train(sm, unique_name, s3_bucket)
    assert job["TrainingJobStatus"] == "Failed"
    assert "leave the job folder" in job["FailureReason"]


def test_invoke_unknown_endpoint_is_a_validation_error(runtime):
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body=b"1,2")
    assert err.value.response["Error"]["Code"] == "ValidationError"


@pytest.mark.slow
def test_endpoint_and_jobs_survive_a_restart(restart_cloud, unique_name):
    s3, sm = restart_cloud.client("s3"), restart_cloud.client("sagemaker")
    bucket = name = unique_name  # the restart cloud is shared: names of this test's own
    s3.create_bucket(Bucket=bucket)
    x, y = make_dataset()
    s3.put_object(Bucket=bucket, Key="data/train/train.csv", Body=csv_bytes(x, y))
    s3.put_object(Bucket=bucket, Key="code/sourcedir.tar.gz", Body=source_archive({"train.py": TRAIN_SCRIPT}))
    job = train(sm, name, bucket)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    deploy(sm, name, job["ModelArtifacts"]["S3ModelArtifacts"])
    runtime = restart_cloud.client("sagemaker-runtime")
    before = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                     Body=csv_bytes(x[:10]))["Body"].read()
    restart_cloud.restart()
    sm = restart_cloud.client("sagemaker")
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "Completed"
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    runtime = restart_cloud.client("sagemaker-runtime")
    after = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                    Body=csv_bytes(x[:10]))["Body"].read()
    assert after == before  # the model was reloaded lazily on the first request


INFERENCE_SCRIPT = '''
import json, os
import joblib, numpy as np

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "clf.pkl"))

def input_fn(body, content_type):
    assert isinstance(body, str), type(body)
    return np.array(json.loads(body)["rows"])

def predict_fn(data, model):
    return model.predict_proba(data)[:, 1]

def output_fn(prediction, accept):
    return json.dumps({"churn": [round(float(p), 6) for p in prediction]}), "application/vnd.churn+json"
'''


@pytest.mark.slow
def test_inference_script_inside_model_tar_gz_is_honoured(aws, sm, runtime, s3_bucket, unique_name):
    from sklearn.linear_model import LogisticRegression

    x, y = make_dataset(80)
    model = LogisticRegression().fit(x, y)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    files = {"clf.pkl": buffer.getvalue(), "code/inference.py": INFERENCE_SCRIPT.encode()}
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    aws.client("s3").put_object(Bucket=s3_bucket, Key="models/model.tar.gz", Body=archive.getvalue())
    endpoint = deploy(sm, unique_name, f"s3://{s3_bucket}/models/model.tar.gz", environment={
        "SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"})
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    response = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="application/json",
                                       Body=json.dumps({"rows": x[:4].tolist()}))
    assert response["ContentType"] == "application/vnd.churn+json"
    expected = [round(float(p), 6) for p in model.predict_proba(x[:4])[:, 1]]
    assert json.loads(response["Body"].read()) == {"churn": expected}


@pytest.mark.slow
def test_xgboost_script_mode(aws, sm, runtime, dataset, unique_name):
    script = '''
import argparse, os
import numpy as np, xgboost as xgb
p = argparse.ArgumentParser()
p.add_argument("--rounds", type=int)
a = p.parse_args()
data = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), delimiter=",")
booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(data[:, 1:], label=data[:, 0]), a.rounds)
booster.save_model(os.path.join(os.environ["SM_MODEL_DIR"], "xgboost-model"))
print("rounds", a.rounds)
'''
    bucket = dataset["bucket"]
    aws.client("s3").put_object(Bucket=bucket, Key="code/xgb.tar.gz", Body=source_archive({"xgb_train.py": script}))
    job = train(sm, unique_name, bucket, image=XGBOOST_IMAGE, hyperparameters={
        "sagemaker_program": '"xgb_train.py"', "sagemaker_submit_directory": f'"s3://{bucket}/code/xgb.tar.gz"',
        "rounds": "5"})
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    deploy(sm, unique_name, job["ModelArtifacts"]["S3ModelArtifacts"], image=XGBOOST_IMAGE)
    body = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv",
                                   Body=csv_bytes(dataset["x"][:3]))["Body"].read().decode()
    assert len(body.split(",")) == 3


@pytest.mark.slow
def test_max_runtime_stops_the_job(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=b"1,2\n")
    s3.put_object(Bucket=s3_bucket, Key="code/sourcedir.tar.gz",
                  Body=source_archive({"train.py": "import time\ntime.sleep(60)\n"}))
    request = training_request(unique_name, s3_bucket)
    request["StoppingCondition"] = {"MaxRuntimeInSeconds": 1}
    sm.create_training_job(**request)
    job = wait_training(sm, unique_name, timeout=30)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
