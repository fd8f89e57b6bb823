"""Exercise 39: train -> Condition(validation:auc >= MinAuc) -> RegisterModel, else Fail; run with two thresholds."""

import json

from sandbox.exercises._helpers import ROLE_SAGEMAKER, lookup, wait_until
from sandbox.exercises.solutions._churn import XGBOOST_IMAGE, upload_training_data

BUCKET, NAME, GROUP = "ex39-pipelines", "ex39-churn-pipeline", "ex39-churn-models"


def definition(data):
    model_data = {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    return {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "MinAuc", "Type": "Float", "DefaultValue": 0.7}],
        "Steps": [
            {"Name": "Train", "Type": "Training", "Arguments": {
                "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
                "RoleArn": ROLE_SAGEMAKER,
                "HyperParameters": {"objective": "binary:logistic", "num_round": "40", "max_depth": "3",
                                    "eta": "0.2", "eval_metric": "auc"},
                "InputDataConfig": [{"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": f"{data}/{c}/"}}} for c in ("train", "validation")],
                "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
                "StoppingCondition": {"MaxRuntimeInSeconds": 300}}},
            {"Name": "CheckAuc", "Type": "Condition", "Arguments": {
                "Conditions": [{"Type": "GreaterThanOrEqualTo",
                                "LeftValue": {"Get": "Steps.Train.FinalMetricDataList['validation:auc'].Value"},
                                "RightValue": {"Get": "Parameters.MinAuc"}}],
                "IfSteps": [{"Name": "Register", "Type": "RegisterModel", "Arguments": {
                    "ModelPackageGroupName": GROUP, "ModelApprovalStatus": "PendingManualApproval",
                    "InferenceSpecification": {
                        "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data}],
                        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}}}],
                "ElseSteps": [{"Name": "AucTooLow", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {
                    "On": " ", "Values": ["validation:auc below", {"Get": "Parameters.MinAuc"}]}}}}]}},
        ],
    }


def solve(aws):
    sm = aws.client("sagemaker")
    data = upload_training_data(aws, BUCKET)
    document = json.dumps(definition(data))
    if lookup(sm.describe_pipeline, PipelineName=NAME):
        sm.update_pipeline(PipelineName=NAME, PipelineDefinition=document, RoleArn=ROLE_SAGEMAKER)
    else:
        sm.create_pipeline(PipelineName=NAME, PipelineDefinition=document, RoleArn=ROLE_SAGEMAKER)
    for threshold in ("0.7", "0.999"):
        arn = sm.start_pipeline_execution(PipelineName=NAME, PipelineParameters=[
            {"Name": "MinAuc", "Value": threshold}])["PipelineExecutionArn"]
        wait_until(lambda a=arn: sm.describe_pipeline_execution(PipelineExecutionArn=a),
                   lambda e: e["PipelineExecutionStatus"] not in ("Executing", "Stopping"), 300,
                   "the pipeline execution", interval=1)
