"""Exercise 27: a SageMaker Clarify processing job measuring pre-training bias for business customers."""

import json

from sandbox import datasets
from sandbox.exercises._helpers import ROLE_SAGEMAKER, ensure_bucket, lookup, wait_until
from sandbox.exercises.ml import FEATURES

BUCKET, JOB = "ex27-fairness", "ex27-clarify-bias"
CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"


def solve(aws):
    sm, s3 = aws.client("sagemaker"), aws.client("s3")
    ensure_bucket(s3, BUCKET)
    frame = datasets.customers(2000, seed=7)
    frame = frame.assign(is_consumer=(frame["segment"] == "consumer").astype("int64"))[["churned", *FEATURES]]
    s3.put_object(Bucket=BUCKET, Key="data/train.csv", Body=frame.to_csv(header=False, index=False).encode())
    config = {"dataset_type": "text/csv", "headers": ["churned", *FEATURES], "label": "churned",
              "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "is_consumer", "value_or_threshold": [0]}],
              "methods": {"pre_training_bias": {"methods": "all"}}}
    s3.put_object(Bucket=BUCKET, Key="config/analysis_config.json", Body=json.dumps(config).encode())
    if not lookup(sm.describe_processing_job, ProcessingJobName=JOB):
        sm.create_processing_job(
            ProcessingJobName=JOB, RoleArn=ROLE_SAGEMAKER, AppSpecification={"ImageUri": CLARIFY_IMAGE},
            ProcessingInputs=[
                {"InputName": "analysis_config", "S3Input": {"S3Uri": f"s3://{BUCKET}/config/",
                                                             "LocalPath": "/opt/ml/processing/input/config",
                                                             "S3DataType": "S3Prefix", "S3InputMode": "File"}},
                {"InputName": "dataset", "S3Input": {"S3Uri": f"s3://{BUCKET}/data/",
                                                     "LocalPath": "/opt/ml/processing/input/data",
                                                     "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
            ProcessingOutputConfig={"Outputs": [{"OutputName": "analysis_result", "S3Output": {
                "S3Uri": f"s3://{BUCKET}/clarify", "LocalPath": "/opt/ml/processing/output",
                "S3UploadMode": "EndOfJob"}}]},
            ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                   "VolumeSizeInGB": 20}})
    wait_until(lambda: sm.describe_processing_job(ProcessingJobName=JOB),
               lambda j: j["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"), 120, "the Clarify job",
               interval=0.5)
