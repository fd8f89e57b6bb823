"""Exercise 18: Bayesian tuning of built-in XGBoost on validation:auc."""

from sandbox.exercises._helpers import ROLE_SAGEMAKER, lookup, wait_until
from sandbox.exercises.solutions._churn import XGBOOST_IMAGE, upload_training_data

BUCKET, NAME = "ex18-tuning", "ex18-churn-hpo"


def solve(aws):
    sm = aws.client("sagemaker")
    data = upload_training_data(aws, BUCKET)
    if not lookup(sm.describe_hyper_parameter_tuning_job, HyperParameterTuningJobName=NAME):
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=NAME,
            HyperParameterTuningJobConfig={
                "Strategy": "Bayesian",
                "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
                "ParameterRanges": {
                    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "4"}],
                    "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.05", "MaxValue": "0.4",
                                                   "ScalingType": "Logarithmic"}]}},
            TrainingJobDefinition={
                "StaticHyperParameters": {"num_round": "50", "objective": "binary:logistic", "eval_metric": "auc"},
                "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
                "RoleArn": ROLE_SAGEMAKER,
                "InputDataConfig": [{"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": f"{data}/{c}/"}}} for c in ("train", "validation")],
                "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
                "StoppingCondition": {"MaxRuntimeInSeconds": 300}})
    wait_until(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=NAME),
               lambda j: j["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"), 300,
               "the tuning job", interval=1)
