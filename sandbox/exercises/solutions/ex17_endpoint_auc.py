"""Exercise 17: scikit-learn in script mode, deployed with a predict_fn that returns probabilities."""

from sandbox.exercises._helpers import ROLE_SAGEMAKER, lookup, wait_until
from sandbox.exercises.solutions._churn import SKLEARN_IMAGE, source_archive, upload_training_data, wait_training

BUCKET, NAME = "ex17-churn", "ex17-churn"
TRAIN = '''
import argparse, glob, os
import joblib, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def predict_fn(data, model):
    return model.predict_proba(data)[:, 1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    args = parser.parse_args()
    frame = pd.concat(pd.read_csv(f, header=None) for f in sorted(glob.glob(args.train + "/*.csv")))
    y, x = frame.iloc[:, 0], frame.iloc[:, 1:]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=1000)).fit(x.to_numpy(), y)
    print(f"train_accuracy={model.score(x.to_numpy(), y):.4f}")
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
'''


def solve(aws):
    sm, s3 = aws.client("sagemaker"), aws.client("s3")
    data = upload_training_data(aws, BUCKET)
    s3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=source_archive({"train.py": TRAIN}))
    code = {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"s3://{BUCKET}/code/sourcedir.tar.gz"'}
    job = "ex17-churn-logistic"
    if not lookup(sm.describe_training_job, TrainingJobName=job):
        sm.create_training_job(
            TrainingJobName=job, RoleArn=ROLE_SAGEMAKER, HyperParameters={**code, "C": "1.0"},
            AlgorithmSpecification={"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File"},
            InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"{data}/train/"}}}],
            OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/models"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            StoppingCondition={"MaxRuntimeInSeconds": 300})
    model_data = wait_training(sm, job)["ModelArtifacts"]["S3ModelArtifacts"]
    if not lookup(sm.describe_model, ModelName=NAME):
        sm.create_model(ModelName=NAME, ExecutionRoleArn=ROLE_SAGEMAKER, PrimaryContainer={
            "Image": SKLEARN_IMAGE, "ModelDataUrl": model_data,
            "Environment": {"SAGEMAKER_PROGRAM": "train.py",
                            "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{BUCKET}/code/sourcedir.tar.gz"}})
    if not lookup(sm.describe_endpoint_config, EndpointConfigName=NAME):
        sm.create_endpoint_config(EndpointConfigName=NAME, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": NAME, "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large"}])
    if not lookup(sm.describe_endpoint, EndpointName=NAME):
        sm.create_endpoint(EndpointName=NAME, EndpointConfigName=NAME)
    wait_until(lambda: sm.describe_endpoint(EndpointName=NAME), lambda e: e["EndpointStatus"] in ("InService", "Failed"),
               120, "the endpoint")
