"""SageMaker Autopilot with plain boto3: candidates are real training jobs, the best one serves."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import ROLE, wait_endpoint
from tests.helpers.waiting import wait_for_status

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*SageMaker Python SDK v2")]


def churn_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.integers(18, 70, rows), "plan": rng.choice(["basic", "pro", "max"], rows),
                          "spend": rng.normal(50, 20, rows).round(2)})
    frame["churn"] = np.where(((frame.spend < 45) & (frame.plan == "basic")) | (frame.age > 60), "yes", "no")
    return frame


def channel(uri: str, kind: str = "training") -> dict:
    return {"ChannelType": kind, "ContentType": "text/csv;header=present",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}


def test_tabular_job_trains_candidates_and_its_best_candidate_serves(aws, sm, runtime, s3_bucket, unique_name):
    s3 = aws.client("s3")
    frame = churn_frame()
    s3.put_object(Bucket=s3_bucket, Key="automl/train/churn.csv", Body=frame.to_csv(index=False).encode())
    sm.create_auto_ml_job_v2(
        AutoMLJobName=unique_name, RoleArn=ROLE,
        AutoMLJobInputDataConfig=[channel(f"s3://{s3_bucket}/automl/train/")],
        OutputDataConfig={"S3OutputPath": f"s3://{s3_bucket}/automl/output/"},
        AutoMLProblemTypeConfig={"TabularJobConfig": {
            "TargetAttributeName": "churn", "CompletionCriteria": {"MaxCandidates": 2},
            "CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["linear-learner",
                                                                                     "randomforest"]}]}}})
    job = wait_for_status(lambda: sm.describe_auto_ml_job_v2(AutoMLJobName=unique_name), "AutoMLJobStatus",
                   done=("Completed", "Failed", "Stopped"), timeout=240)
    assert job["AutoMLJobStatus"] == "Completed", job.get("FailureReason")
    resolved = job["ResolvedAttributes"]
    assert resolved["AutoMLProblemTypeResolvedAttributes"]["TabularResolvedAttributes"]["ProblemType"] == \
        "BinaryClassification"
    assert resolved["AutoMLJobObjective"] == {"MetricName": "F1"}

    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=unique_name,
                                                    SortBy="FinalObjectiveMetricValue")["Candidates"]
    assert len(candidates) == 2 and all(c["CandidateStatus"] == "Completed" for c in candidates)
    scores = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    best = job["BestCandidate"]
    assert best["CandidateName"] == candidates[0]["CandidateName"]
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] == max(scores)
    # each candidate is a real training job whose metrics are the candidate's
    step = best["CandidateSteps"][0]
    assert step["CandidateStepType"] == "AWS::SageMaker::TrainingJob"
    training = sm.describe_training_job(TrainingJobName=step["CandidateStepName"])
    assert training["TrainingJobStatus"] == "Completed"
    f1 = {m["MetricName"]: m["Value"] for m in training["FinalMetricDataList"]}["validation:F1"]
    assert f1 == pytest.approx(best["FinalAutoMLJobObjectiveMetric"]["Value"])
    assert {m["MetricName"] for m in best["CandidateProperties"]["CandidateMetrics"]} >= {"F1", "Accuracy", "AUC"}
    listed = s3.list_objects_v2(Bucket=s3_bucket, Prefix=f"automl/output/{unique_name}/preprocessed-data/")
    assert {o["Key"].rsplit("/", 1)[1] for o in listed["Contents"]} == {"train.csv", "validation.csv"}

    # the best candidate deploys as AWS's containers do: CSV rows without the target in, labels out
    sm.create_model(ModelName=unique_name, Containers=best["InferenceContainers"], ExecutionRoleArn=ROLE)
    sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": unique_name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=unique_name, EndpointConfigName=unique_name)
    wait_endpoint(sm, unique_name)
    fresh = churn_frame(rows=50, seed=1)
    body = fresh.drop(columns="churn").to_csv(index=False, header=False)
    answer = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=body)
    labels = answer["Body"].read().decode().split()
    assert len(labels) == 50 and set(labels) <= {"yes", "no"}
    assert np.mean(np.array(labels) == fresh.churn.to_numpy()) > 0.8
    answer = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Accept="application/json",
                                     Body=body)
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert [p["predicted_label"] for p in predictions] == labels
    assert all(0.5 <= p["probability"] <= 1 for p in predictions)
    sm.delete_endpoint(EndpointName=unique_name)


def test_v1_regression_with_a_validation_channel_and_its_errors(aws, sm, s3_bucket, unique_name):
    s3 = aws.client("s3")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"rooms": rng.integers(1, 6, 120), "area": rng.normal(80, 25, 120).round(1)})
    frame["price"] = (frame.rooms * 20 + frame.area * 1.5 + rng.normal(0, 2, 120)).round(2)
    s3.put_object(Bucket=s3_bucket, Key="reg/train/a.csv", Body=frame.iloc[:90].to_csv(index=False).encode())
    s3.put_object(Bucket=s3_bucket, Key="reg/valid/a.csv", Body=frame.iloc[90:].to_csv(index=False).encode())
    request = dict(RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{s3_bucket}/reg/out"},
                   InputDataConfig=[{**channel(f"s3://{s3_bucket}/reg/train/"), "TargetAttributeName": "price"},
                                    {**channel(f"s3://{s3_bucket}/reg/valid/", "validation"),
                                     "TargetAttributeName": "price"}],
                   AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 1},
                                    "CandidateGenerationConfig": {"AlgorithmsConfig": [
                                        {"AutoMLAlgorithms": ["linear-learner"]}]}})
    sm.create_auto_ml_job(AutoMLJobName=unique_name, ProblemType="Regression",
                          AutoMLJobObjective={"MetricName": "RMSE"}, **request)
    job = wait_for_status(lambda: sm.describe_auto_ml_job(AutoMLJobName=unique_name), "AutoMLJobStatus", timeout=180)
    assert job["AutoMLJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ResolvedAttributes"]["ProblemType"] == "Regression"
    metric = job["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]
    assert metric["MetricName"] == "RMSE" and metric["Type"] == "Minimize" and 0 < metric["Value"] < 5

    with pytest.raises(ClientError) as exc:  # the same name again
        sm.create_auto_ml_job(AutoMLJobName=unique_name, ProblemType="Regression", **request)
    assert exc.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as exc:  # an objective of another problem type
        sm.create_auto_ml_job(AutoMLJobName=f"{unique_name}-f1", ProblemType="Regression",
                              AutoMLJobObjective={"MetricName": "F1"}, **request)
    assert exc.value.response["Error"]["Code"] == "ValidationException" and "RMSE" in \
        exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        sm.create_auto_ml_job_v2(AutoMLJobName=f"{unique_name}-img", RoleArn=ROLE,
                                 AutoMLJobInputDataConfig=[channel(f"s3://{s3_bucket}/reg/train/")],
                                 OutputDataConfig={"S3OutputPath": f"s3://{s3_bucket}/reg/out"},
                                 AutoMLProblemTypeConfig={"ImageClassificationJobConfig": {}})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert "only TabularJobConfig runs" in exc.value.response["Error"]["Message"]

    # a target column the data does not have: the job fails and says which columns there are
    wrong = {**request, "InputDataConfig": [{**channel(f"s3://{s3_bucket}/reg/train/"),
                                             "TargetAttributeName": "cost"}]}
    sm.create_auto_ml_job(AutoMLJobName=f"{unique_name}-bad", **wrong)
    failed = wait_for_status(lambda: sm.describe_auto_ml_job(AutoMLJobName=f"{unique_name}-bad"), "AutoMLJobStatus")
    assert failed["AutoMLJobStatus"] == "Failed"
    assert "'cost' is not a column" in failed["FailureReason"] and "rooms, area, price" in failed["FailureReason"]
    names = {j["AutoMLJobName"] for j in sm.list_auto_ml_jobs(NameContains=unique_name)["AutoMLJobSummaries"]}
    assert names == {unique_name, f"{unique_name}-bad"}


def test_sagemaker_sdk_automl_fit_and_deploy(aws, sm, runtime, s3_bucket, monkeypatch):
    sagemaker = pytest.importorskip("sagemaker")
    from sagemaker.automl.automl import AutoML

    for key, value in aws.environment().items():
        monkeypatch.setenv(key, value)
    session = aws.sagemaker_session(default_bucket=s3_bucket)
    s3 = aws.client("s3")
    frame = churn_frame(rows=200, seed=2)
    s3.put_object(Bucket=s3_bucket, Key="sdk/train/churn.csv", Body=frame.to_csv(index=False).encode())
    automl = AutoML(role=ROLE, target_attribute_name="churn", sagemaker_session=session, max_candidates=2,
                    output_path=f"s3://{s3_bucket}/sdk/out/")
    automl.fit(inputs=f"s3://{s3_bucket}/sdk/train/", wait=True, logs=False)
    best = automl.best_candidate()
    assert best["CandidateStatus"] == "Completed" and best["FinalAutoMLJobObjectiveMetric"]["MetricName"] == "F1"
    endpoint = f"{automl.current_job_name[:40]}-ep"
    automl.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name=endpoint, wait=False)
    wait_endpoint(sm, endpoint)
    body = frame.drop(columns="churn").head(3).to_csv(index=False, header=False)
    labels = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)["Body"].read()
    assert labels.decode().split() == list(frame.churn.head(3))
    sm.delete_endpoint(EndpointName=endpoint)
    assert sagemaker.__version__.startswith("2.")
