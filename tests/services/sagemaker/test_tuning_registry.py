"""Tuning jobs pick the best training job; training/tuning jobs and model packages are in MLflow."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import ROLE, SKLEARN_IMAGE, XGBOOST_IMAGE, source_archive, train
from tests.helpers.waiting import wait_for_status

# the objective is a known function of the hyperparameters, so the best job is checkable
SCORE_SCRIPT = """
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--depth", type=int)
parser.add_argument("--kind")
args = parser.parse_args()
bonus = {"a": 0.0, "b": 0.5}[args.kind]
for step in range(3):
    print(f"epoch {step} score={-(args.x - 0.3) ** 2 - abs(args.depth - 4) * 0.1 + bonus - (2 - step):.6f}")
"""


def tuning_request(name, bucket, strategy="Random", max_jobs=4, parallel=2, early="Off"):
    return dict(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": strategy,
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "score"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs, "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "x", "MinValue": "0.01", "MaxValue": "1.0",
                                               "ScalingType": "Logarithmic"}],
                "IntegerParameterRanges": [{"Name": "depth", "MinValue": "1", "MaxValue": "8",
                                            "ScalingType": "Linear"}],
                "CategoricalParameterRanges": [{"Name": "kind", "Values": ["a", "b"]}]},
            "TrainingJobEarlyStoppingType": early},
        TrainingJobDefinition={
            "StaticHyperParameters": {"sagemaker_program": '"score.py"',
                                      "sagemaker_submit_directory": f'"s3://{bucket}/code/score.tar.gz"'},
            "AlgorithmSpecification": {"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File",
                                       "MetricDefinitions": [{"Name": "score", "Regex": r"score=([-0-9.]+)"}]},
            "RoleArn": ROLE,
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/data/train/"}}}],
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/tuning"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 120}})


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["Bayesian", "Random"])
def test_tuning_job_best_training_job_has_the_best_objective(aws, sm, dataset, unique_name, strategy):
    bucket = dataset["bucket"]
    aws.client("s3").put_object(Bucket=bucket, Key="code/score.tar.gz", Body=source_archive({"score.py": SCORE_SCRIPT}))
    # early stopping Auto is accepted (the median rule needs longer jobs than these to stop one)
    sm.create_hyper_parameter_tuning_job(**tuning_request(unique_name, bucket, strategy=strategy,
                                                          early="Auto" if strategy == "Random" else "Off"))
    job = wait_for_status(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=unique_name),
                   "HyperParameterTuningJobStatus", timeout=180)
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    assert job["TrainingJobStatusCounters"]["Completed"] == 4
    assert job["ObjectiveStatusCounters"]["Succeeded"] == 4
    summaries = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=unique_name)["TrainingJobSummaries"]
    assert len(summaries) == 4
    values = {s["TrainingJobName"]: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in summaries}
    best = job["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == max(values.values())
    assert values[best["TrainingJobName"]] == max(values.values())
    tuned = best["TunedHyperParameters"]
    assert 0.01 <= float(tuned["x"]) <= 1.0 and 1 <= int(tuned["depth"]) <= 8 and tuned["kind"] in ("a", "b")
    # the objective is the last value the regex matched in the job's log
    expected = -(float(tuned["x"]) - 0.3) ** 2 - abs(int(tuned["depth"]) - 4) * 0.1 + \
        {"a": 0.0, "b": 0.5}[tuned["kind"]]
    assert abs(best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] - expected) < 1e-5
    training_job = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert training_job["TuningJobArn"] == job["HyperParameterTuningJobArn"]
    ordered = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=unique_name, SortBy="FinalObjectiveMetricValue",
        SortOrder="Descending")["TrainingJobSummaries"]
    assert ordered[0]["TrainingJobName"] == best["TrainingJobName"]

    # MLflow: the tuning job is a parent run of its training jobs
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_uri(aws))
    experiment = client.get_experiment_by_name("sagemaker-training-jobs")
    parent = client.search_runs([experiment.experiment_id], f"tags.mlflow.runName = '{unique_name}'")[0]
    children = client.search_runs([experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(children) == 4
    assert parent.data.tags["sagemaker.best_training_job"] == best["TrainingJobName"]


def test_invalid_tuning_ranges_are_refused(sm, s3_bucket, unique_name):
    request = tuning_request(unique_name, s3_bucket)
    request["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"][0]["MinValue"] = "0"
    with pytest.raises(ClientError) as err:
        sm.create_hyper_parameter_tuning_job(**request)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Logarithmic" in err.value.response["Error"]["Message"]


@pytest.mark.slow
def test_builtin_xgboost_tuning_uses_the_algorithm_metrics(aws, sm, dataset, unique_name):
    bucket = dataset["bucket"]
    request = tuning_request(unique_name, bucket, max_jobs=2, parallel=2)
    config = request["HyperParameterTuningJobConfig"]
    config["HyperParameterTuningJobObjective"] = {"Type": "Maximize", "MetricName": "validation:auc"}
    config["ParameterRanges"] = {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "4"}]}
    definition = request["TrainingJobDefinition"]
    definition["StaticHyperParameters"] = {"num_round": "10", "objective": "binary:logistic"}
    definition["AlgorithmSpecification"] = {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"}
    definition["InputDataConfig"] = [
        {"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/data/{c}/"}}} for c in ("train", "validation")]
    sm.create_hyper_parameter_tuning_job(**request)
    job = wait_for_status(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=unique_name),
                   "HyperParameterTuningJobStatus", timeout=120)
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    assert 0.5 < job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] <= 1.0


def mlflow_uri(aws) -> str:
    import os
    from pathlib import Path

    state = Path(os.environ["SANDBOX_STATE_DIR"])
    return f"sqlite:///{state / 'services' / 'sagemaker' / 'mlflow' / 'mlflow.db'}"


@pytest.mark.slow
def test_training_job_run_and_model_registry_in_mlflow(aws, sm, dataset, unique_name):
    from mlflow.tracking import MlflowClient

    bucket = dataset["bucket"]
    hps = {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"s3://{bucket}/code/sourcedir.tar.gz"',
           "C": "2.0"}
    job = train(sm, unique_name, bucket, hyperparameters=hps,
                algo={"MetricDefinitions": [{"Name": "train:accuracy", "Regex": r"train_accuracy=([0-9.]+)"}]})
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    client = MlflowClient(tracking_uri=mlflow_uri(aws), registry_uri=mlflow_uri(aws))
    experiment = client.get_experiment_by_name("sagemaker-training-jobs")
    run = client.search_runs([experiment.experiment_id], f"tags.mlflow.runName = '{unique_name}'")[0]
    assert run.data.params["C"] == "2.0"
    assert run.data.metrics["train_accuracy"] > 0.5
    assert run.info.status == "FINISHED"
    assert {a.path for a in client.list_artifacts(run.info.run_id, "model")} == {"model/model.joblib"}

    group = unique_name + "-group"
    sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="churn models")
    uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    arn = sm.create_model_package(
        ModelPackageGroupName=group, ModelPackageDescription="first", ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": SKLEARN_IMAGE, "ModelDataUrl": uri}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    )["ModelPackageArn"]
    versions = client.search_model_versions(f"name = '{group}'")
    assert len(versions) == 1 and versions[0].source == uri
    assert versions[0].tags["ModelApprovalStatus"] == "PendingManualApproval"
    assert versions[0].run_id == run.info.run_id
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    versions = client.search_model_versions(f"name = '{group}'")
    assert versions[0].tags["ModelApprovalStatus"] == "Approved"
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"


@pytest.mark.slow
def test_stop_tuning_job_stops_its_training_jobs(aws, sm, dataset, unique_name):
    bucket = dataset["bucket"]
    slow = "import time\nprint('score=0.1', flush=True)\ntime.sleep(60)\n"
    aws.client("s3").put_object(Bucket=bucket, Key="code/score.tar.gz", Body=source_archive({"score.py": slow}))
    sm.create_hyper_parameter_tuning_job(**tuning_request(unique_name, bucket, max_jobs=4, parallel=2))
    describe = lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=unique_name)  # noqa: E731
    wait_for_status(lambda: {"n": str(describe()["TrainingJobStatusCounters"]["InProgress"])}, "n", done=("2",),
                    timeout=30)
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=unique_name)
    job = wait_for_status(describe, "HyperParameterTuningJobStatus", timeout=60)
    assert job["HyperParameterTuningJobStatus"] == "Stopped"
    assert job["TrainingJobStatusCounters"]["Stopped"] == 2
    summaries = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=unique_name)["TrainingJobSummaries"]
    assert {s["TrainingJobStatus"] for s in summaries} == {"Stopped"} and len(summaries) == 2
