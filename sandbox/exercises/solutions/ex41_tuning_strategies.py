"""Exercise 41: Random and Bayesian search of built-in XGBoost on one search space and one budget."""

from sandbox.exercises._helpers import ROLE_SAGEMAKER, lookup, wait_until
from sandbox.exercises.solutions._churn import XGBOOST_IMAGE, upload_training_data

BUCKET = "ex41-tuning"


def tuning_config(strategy):
    return {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 6, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "5"}],
            "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.02", "MaxValue": "0.5",
                                           "ScalingType": "Logarithmic"}]}}


def solve(aws):
    sm = aws.client("sagemaker")
    data = upload_training_data(aws, BUCKET)
    for strategy, name in (("Random", "ex41-random"), ("Bayesian", "ex41-bayesian")):
        if not lookup(sm.describe_hyper_parameter_tuning_job, HyperParameterTuningJobName=name):
            sm.create_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=tuning_config(strategy),
                TrainingJobDefinition={
                    "StaticHyperParameters": {"num_round": "40", "objective": "binary:logistic",
                                              "eval_metric": "auc"},
                    "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
                    "RoleArn": ROLE_SAGEMAKER,
                    "InputDataConfig": [{"ChannelName": c, "ContentType": "text/csv", "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{data}/{c}/"}}}
                        for c in ("train", "validation")],
                    "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models/{strategy.lower()}"},
                    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
                    "StoppingCondition": {"MaxRuntimeInSeconds": 300}})
    for name in ("ex41-random", "ex41-bayesian"):
        wait_until(lambda n=name: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=n),
                   lambda j: j["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"), 600,
                   f"the tuning job {name}", interval=1)
