"""Built-in algorithms, processing jobs, batch transform, production variants and data capture."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import (ROLE, SKLEARN_IMAGE, XGBOOST_IMAGE, csv_bytes, deploy, make_dataset, train,
                                     wait_endpoint, wait_processing, wait_transform)

KMEANS_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"
LINEAR_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
PCA_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/pca:1"
RCF_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/randomcutforest:1"


@pytest.mark.slow
def test_builtin_xgboost_trains_reports_metrics_and_serves(aws, sm, runtime, dataset, unique_name):
    bucket = dataset["bucket"]
    job = train(sm, unique_name, bucket, image=XGBOOST_IMAGE, channels=("train", "validation"),
                hyperparameters={"num_round": "20", "objective": "binary:logistic", "max_depth": "3",
                                 "eta": "0.3", "eval_metric": "auc"})
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert 0.5 < metrics["validation:auc"] <= 1.0 and 0.5 < metrics["train:auc"] <= 1.0
    assert any(d["Name"] == "validation:auc" for d in job["AlgorithmSpecification"]["MetricDefinitions"])

    endpoint = deploy(sm, unique_name, job["ModelArtifacts"]["S3ModelArtifacts"], image=XGBOOST_IMAGE)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    body = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv",
                                   Body=csv_bytes(dataset["x"][:5]))["Body"].read().decode()
    scores = [float(v) for v in body.split(",")]
    assert len(scores) == 5 and all(0.0 <= s <= 1.0 for s in scores)


@pytest.mark.slow
def test_builtin_xgboost_missing_required_hyperparameter(sm, dataset, unique_name):
    job = train(sm, unique_name, dataset["bucket"], image=XGBOOST_IMAGE, hyperparameters={"max_depth": "3"})
    assert job["TrainingJobStatus"] == "Failed"
    assert "num_round" in job["FailureReason"]


@pytest.mark.slow
@pytest.mark.parametrize("image,hps,metric", [
    (LINEAR_IMAGE, {"predictor_type": "binary_classifier", "epochs": "5"}, "validation:binary_classification_accuracy"),
    (KMEANS_IMAGE, {"k": "3", "feature_dim": "4"}, "train:msd"),
    (PCA_IMAGE, {"num_components": "2", "feature_dim": "4", "mini_batch_size": "50"}, None),
])
def test_other_builtin_algorithms(aws, sm, runtime, s3_bucket, unique_name, image, hps, metric):
    x, y = make_dataset(120)
    s3 = aws.client("s3")
    supervised = "linear" in image
    s3.put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=csv_bytes(x, y) if supervised else csv_bytes(x))
    s3.put_object(Bucket=s3_bucket, Key="data/validation/a.csv", Body=csv_bytes(x[:40], y[:40]))
    job = train(sm, unique_name, s3_bucket, image=image, hyperparameters=hps,
                channels=("train", "validation") if supervised else ("train",))
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    if metric:
        assert metric in {m["MetricName"] for m in job["FinalMetricDataList"]}
    deploy(sm, unique_name, job["ModelArtifacts"]["S3ModelArtifacts"], image=image)
    result = json.loads(runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv",
                                                Accept="application/json", Body=csv_bytes(x[:3]))["Body"].read())
    key = "projections" if "pca" in image else "predictions"
    assert len(result[key]) == 3
    if "kmeans" in image:
        assert all(0 <= p["closest_cluster"] < 3 for p in result[key])
    if "pca" in image:
        assert all(len(p["projection"]) == 2 for p in result[key])


PROCESS_SCRIPT = """
import argparse, os
import pandas as pd
parser = argparse.ArgumentParser()
parser.add_argument("--split", type=float, default=0.5)
args = parser.parse_args()
frame = pd.read_csv("/opt/ml/processing/input/data/raw.csv", header=None)
cut = int(len(frame) * args.split)
os.makedirs("/opt/ml/processing/train", exist_ok=True)
frame.iloc[:cut].to_csv("/opt/ml/processing/train/train.csv", header=False, index=False)
frame.iloc[cut:].to_csv("/opt/ml/processing/test/test.csv", header=False, index=False)
print("rows", len(frame), "greeting", os.environ.get("GREETING"))
"""


@pytest.mark.slow
def test_processing_job_outputs_land_in_s3(aws, sm, dataset, unique_name):
    bucket = dataset["bucket"]
    s3 = aws.client("s3")
    s3.put_object(Bucket=bucket, Key="raw/raw.csv", Body=csv_bytes(dataset["x"][:10], dataset["y"][:10]))
    s3.put_object(Bucket=bucket, Key="code/preprocess.py", Body=PROCESS_SCRIPT.encode())
    sm.create_processing_job(
        ProcessingJobName=unique_name, RoleArn=ROLE, Environment={"GREETING": "hello"},
        AppSpecification={"ImageUri": SKLEARN_IMAGE,
                          "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/preprocess.py"],
                          "ContainerArguments": ["--split", "0.7"]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                               "VolumeSizeInGB": 5}},
        ProcessingInputs=[
            {"InputName": "data", "S3Input": {"S3Uri": f"s3://{bucket}/raw", "LocalPath": "/opt/ml/processing/input/data",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "code", "S3Input": {"S3Uri": f"s3://{bucket}/code/preprocess.py",
                                              "LocalPath": "/opt/ml/processing/input/code",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [
            {"OutputName": "train", "S3Output": {"S3Uri": f"s3://{bucket}/prepared/train",
                                                 "LocalPath": "/opt/ml/processing/train", "S3UploadMode": "EndOfJob"}},
            {"OutputName": "test", "S3Output": {"S3Uri": f"s3://{bucket}/prepared/test",
                                                "LocalPath": "/opt/ml/processing/test", "S3UploadMode": "EndOfJob"}}]})
    job = wait_processing(sm, unique_name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    train_rows = s3.get_object(Bucket=bucket, Key="prepared/train/train.csv")["Body"].read().decode().splitlines()
    test_rows = s3.get_object(Bucket=bucket, Key="prepared/test/test.csv")["Body"].read().decode().splitlines()
    assert (len(train_rows), len(test_rows)) == (7, 3)
    logs = aws.client("logs")
    stream = logs.describe_log_streams(logGroupName="/aws/sagemaker/ProcessingJobs",
                                       logStreamNamePrefix=unique_name)["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName=stream)["events"]
    assert any(e["message"] == "rows 10 greeting hello" for e in events)


def test_processing_job_failure(aws, sm, s3_bucket, unique_name):
    aws.client("s3").put_object(Bucket=s3_bucket, Key="code/p.py", Body=b"raise RuntimeError('no input rows')")
    sm.create_processing_job(
        ProcessingJobName=unique_name, RoleArn=ROLE,
        AppSpecification={"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/p.py"]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}},
        ProcessingInputs=[{"InputName": "code", "S3Input": {"S3Uri": f"s3://{s3_bucket}/code/p.py",
                                                            "LocalPath": "/opt/ml/processing/code",
                                                            "S3DataType": "S3Prefix", "S3InputMode": "File"}}])
    job = wait_processing(sm, unique_name)
    assert job["ProcessingJobStatus"] == "Failed"
    assert "RuntimeError: no input rows" in job["FailureReason"]


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["MultiRecord", "SingleRecord"])
def test_batch_transform_writes_one_output_line_per_input_line(aws, sm, dataset, trained_model, unique_name,
                                                               strategy):
    bucket = dataset["bucket"]
    s3 = aws.client("s3")
    job = trained_model["job"]
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    s3.put_object(Bucket=bucket, Key="batch/in/part-1.csv", Body=csv_bytes(dataset["x"][:30]))
    s3.put_object(Bucket=bucket, Key="batch/in/part-2.csv", Body=csv_bytes(dataset["x"][30:37]))
    sm.create_transform_job(
        TransformJobName=unique_name, ModelName=unique_name, BatchStrategy=strategy, MaxPayloadInMB=1,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/batch/in/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/batch/out/", "AssembleWith": "Line", "Accept": "text/csv"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    result = wait_transform(sm, unique_name)
    assert result["TransformJobStatus"] == "Completed", result.get("FailureReason")
    first = s3.get_object(Bucket=bucket, Key="batch/out/part-1.csv.out")["Body"].read().decode().splitlines()
    second = s3.get_object(Bucket=bucket, Key="batch/out/part-2.csv.out")["Body"].read().decode().splitlines()
    assert (len(first), len(second)) == (30, 7)
    assert set(first) <= {"0", "1"}


@pytest.mark.slow
def test_weighted_variants_target_variant_and_data_capture(aws, sm, runtime, dataset, trained_model, unique_name):
    bucket = dataset["bucket"]
    job = trained_model["job"]
    uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    second = unique_name + "-b"
    sm.create_model(ModelName=second, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SKLEARN_IMAGE,
                                                                               "ModelDataUrl": uri})
    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SKLEARN_IMAGE,
                                                                                    "ModelDataUrl": uri})
    variants = [{"VariantName": "A", "ModelName": unique_name, "InitialInstanceCount": 1,
                 "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0},
                {"VariantName": "B", "ModelName": second, "InitialInstanceCount": 1,
                 "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}]
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100,
               "DestinationS3Uri": f"s3://{bucket}/capture", "CaptureOptions": [{"CaptureMode": "Input"},
                                                                                 {"CaptureMode": "Output"}]}
    sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=variants, DataCaptureConfig=capture)
    sm.create_endpoint(EndpointName=unique_name, EndpointConfigName=unique_name)
    wait_endpoint(sm, unique_name)
    summary = sm.describe_endpoint(EndpointName=unique_name)["DataCaptureConfig"]
    assert summary == {"EnableCapture": True, "CaptureStatus": "Started", "CurrentSamplingPercentage": 100,
                       "DestinationS3Uri": f"s3://{bucket}/capture"}
    seen = {runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv",
                                    Body=csv_bytes(dataset["x"][:1]))["InvokedProductionVariant"] for _ in range(30)}
    assert seen == {"A", "B"}
    targeted = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", TargetVariant="B",
                                       Body=csv_bytes(dataset["x"][:2]))
    assert targeted["InvokedProductionVariant"] == "B"
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", TargetVariant="C", Body=b"1,2,3,4")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=b"1,2")  # wrong width
    assert err.value.response["Error"]["Code"] == "ModelError"

    s3 = aws.client("s3")
    deadline = time.monotonic() + 10
    keys = []
    while time.monotonic() < deadline and not keys:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"capture/{unique_name}/B/")
                .get("Contents", [])]
        time.sleep(0.3)
    assert keys and keys[0].endswith(".jsonl")
    records = [json.loads(line) for k in keys for line in
               s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode().splitlines()]
    record = records[0]
    assert record["captureData"]["endpointInput"]["encoding"] == "CSV"
    assert record["captureData"]["endpointInput"]["mode"] == "INPUT"
    assert record["captureData"]["endpointOutput"]["observedContentType"] == "text/csv"
    assert record["eventVersion"] == "0" and record["eventMetadata"]["eventId"]

    # update_endpoint to a single variant
    sm.create_endpoint_config(EndpointConfigName=second, ProductionVariants=[dict(variants[1], VariantName="Only")])
    sm.update_endpoint(EndpointName=unique_name, EndpointConfigName=second)
    endpoint = wait_endpoint(sm, unique_name)
    assert endpoint["EndpointConfigName"] == second
    assert runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv",
                                   Body=csv_bytes(dataset["x"][:1]))["InvokedProductionVariant"] == "Only"
    sm.delete_endpoint(EndpointName=unique_name)
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=b"1,2,3,4")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_endpoint_with_missing_model_data_fails(sm, s3_bucket, unique_name):
    endpoint = deploy(sm, unique_name, f"s3://{s3_bucket}/nothing/model.tar.gz")
    assert endpoint["EndpointStatus"] == "Failed"
    assert "model data" in endpoint["FailureReason"]


@pytest.mark.parametrize("image,hps,reason", [
    (KMEANS_IMAGE, {"k": "3"}, "Missing required hyperparameter: feature_dim"),
    (KMEANS_IMAGE, {"k": "3", "feature_dim": "5"}, "feature_dim hyperparameter (5) does not match"),
    (PCA_IMAGE, {"num_components": "2", "feature_dim": "4"}, "Missing required hyperparameter: mini_batch_size"),
    (LINEAR_IMAGE, {"predictor_type": "multiclass_classifier"}, "Missing required hyperparameter: num_classes"),
    (LINEAR_IMAGE, {"predictor_type": "binary_classifier", "feature_dim": "3"}, "does not match"),
    (RCF_IMAGE, {"num_trees": "50"}, "Missing required hyperparameter: feature_dim"),
])
@pytest.mark.slow
def test_builtin_algorithms_check_their_required_hyperparameters(aws, sm, s3_bucket, unique_name, image, hps, reason):
    x, y = make_dataset(60)
    supervised = "linear" in image
    aws.client("s3").put_object(Bucket=s3_bucket, Key="data/train/a.csv",
                                Body=csv_bytes(x, y) if supervised else csv_bytes(x))
    job = train(sm, unique_name, s3_bucket, image=image, hyperparameters=hps)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError: ") and reason in job["FailureReason"]


@pytest.mark.slow
def test_binary_linear_learner_refuses_labels_other_than_0_and_1(aws, sm, s3_bucket, unique_name):
    x, y = make_dataset(60)
    aws.client("s3").put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=csv_bytes(x, y + 1))  # 1/2 labels
    job = train(sm, unique_name, s3_bucket, image=LINEAR_IMAGE, hyperparameters={"predictor_type": "binary_classifier"})
    assert job["TrainingJobStatus"] == "Failed"
    assert "labels must be 0 or 1" in job["FailureReason"]


@pytest.mark.slow
def test_random_cut_forest_scores_outliers_higher(aws, sm, runtime, s3_bucket, unique_name):
    import numpy as np

    rng = np.random.default_rng(1)
    normal = rng.normal(size=(300, 3)).round(4)
    outliers = (rng.normal(size=(10, 3)) * 0.1 + 8).round(4)
    labels = np.r_[np.zeros(40), np.ones(10)]
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data/train/a.csv", Body=csv_bytes(normal))
    s3.put_object(Bucket=s3_bucket, Key="data/test/a.csv", Body=csv_bytes(np.r_[normal[:40], outliers], labels))
    job = train(sm, unique_name, s3_bucket, image=RCF_IMAGE, channels=("train", "test"),
                hyperparameters={"feature_dim": "3", "num_trees": "50", "num_samples_per_tree": "128"})
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["test:f1"] == 1.0
    deploy(sm, unique_name, job["ModelArtifacts"]["S3ModelArtifacts"], image=RCF_IMAGE)
    answer = json.loads(runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv",
                                                Body=csv_bytes(np.r_[normal[:5], outliers[:2]]))["Body"].read())
    scores = [s["score"] for s in answer["scores"]]
    assert len(scores) == 7 and min(scores[5:]) > max(scores[:5])


@pytest.mark.slow
def test_batch_transform_filters_input_and_joins_results_with_it(aws, sm, dataset, unique_name):
    bucket = dataset["bucket"]
    s3 = aws.client("s3")
    job = train(sm, unique_name, bucket, image=XGBOOST_IMAGE,
                hyperparameters={"num_round": "10", "objective": "binary:logistic"})
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGBOOST_IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    ids = [f"c{i:03d}" for i in range(25)]
    rows = [f"{cid}," + ",".join(f"{v:g}" for v in x) for cid, x in zip(ids, dataset["x"][:25])]
    s3.put_object(Bucket=bucket, Key="join/in/customers.csv", Body=("\n".join(rows) + "\n").encode())
    request = dict(
        ModelName=unique_name, BatchStrategy="MultiRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/join/in/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/join/out/", "AssembleWith": "Line", "Accept": "text/csv"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"})
    sm.create_transform_job(TransformJobName=unique_name, **request)
    result = wait_transform(sm, unique_name)
    assert result["TransformJobStatus"] == "Completed", result.get("FailureReason")
    assert result["DataProcessing"]["JoinSource"] == "Input"
    lines = s3.get_object(Bucket=bucket, Key="join/out/customers.csv.out")["Body"].read().decode().splitlines()
    assert [line.split(",")[0] for line in lines] == ids
    assert all(0.0 < float(line.split(",")[1]) < 1.0 and line.count(",") == 1 for line in lines)

    with pytest.raises(ClientError) as err:
        sm.create_transform_job(TransformJobName=unique_name + "-bad", **{
            **request, "DataProcessing": {"InputFilter": "features[1:]"}})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "InputFilter" in err.value.response["Error"]["Message"]
