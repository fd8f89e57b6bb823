"""Exercise 20: batch transform scores every customer in S3, one line per row."""

from sandbox.exercises._helpers import ROLE_SAGEMAKER, lookup, wait_until
from sandbox.exercises.ml import FEATURES, holdout
from sandbox.exercises.solutions._churn import XGBOOST_IMAGE, train_xgboost, upload_training_data

BUCKET, NAME = "ex20-scoring", "ex20-score-customers"


def solve(aws):
    sm, s3 = aws.client("sagemaker"), aws.client("s3")
    data = upload_training_data(aws, BUCKET)
    model_data = train_xgboost(aws, "ex20-churn-xgboost", data, f"s3://{BUCKET}/models")
    customers = holdout()[FEATURES].head(300)
    s3.put_object(Bucket=BUCKET, Key="to-score/customers.csv", Body=customers.to_csv(header=False, index=False).encode())
    if not lookup(sm.describe_model, ModelName="ex20-churn"):
        sm.create_model(ModelName="ex20-churn", ExecutionRoleArn=ROLE_SAGEMAKER,
                        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data})
    if not lookup(sm.describe_transform_job, TransformJobName=NAME):
        sm.create_transform_job(
            TransformJobName=NAME, ModelName="ex20-churn",
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                            "S3Uri": f"s3://{BUCKET}/to-score/"}},
                            "ContentType": "text/csv", "SplitType": "Line"},
            TransformOutput={"S3OutputPath": f"s3://{BUCKET}/predictions/", "AssembleWith": "Line"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    wait_until(lambda: sm.describe_transform_job(TransformJobName=NAME),
               lambda j: j["TransformJobStatus"] in ("Completed", "Failed", "Stopped"), 300, "the transform job",
               interval=0.5)
