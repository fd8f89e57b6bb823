"""The SageMaker Python SDK (v2) pointed at the sandbox, as a learner would write it.

The SDK makes its S3, CloudWatch Logs and STS clients from the boto3 session, so the
sandbox is reached through ``AWS_ENDPOINT_URL`` (``sandbox.connect().environment()``).
Two things the learner must pass, both forced by the SDK rather than the sandbox:

- ``default_bucket=``: ``Session.default_bucket()`` calls STS at the hard-coded
  ``https://sts.<region>.amazonaws.com`` (an explicit endpoint beats AWS_ENDPOINT_URL);
- ``TelemetryOptOut``: otherwise each SDK call also tries to reach an AWS telemetry
  bucket (it fails quietly offline, after a DNS lookup).

``deploy(wait=True)`` sleeps 30 s before its first DescribeEndpoint; the tests deploy
with ``wait=False`` and ``wait_for_endpoint(poll=1)``.
"""

from __future__ import annotations

import io
import tarfile

import joblib
import numpy as np
import pytest

from tests.helpers.sagemaker import ROLE, TRAIN_SCRIPT, csv_bytes, make_dataset
from tests.helpers.sdk import needs_sdk_v2

pytestmark = [pytest.mark.slow, needs_sdk_v2, pytest.mark.filterwarnings("ignore:.*SageMaker Python SDK v2")]

PREPROCESS_SCRIPT = '''
import glob, os
import pandas as pd
frame = pd.concat([pd.read_csv(f, header=None) for f in glob.glob("/opt/ml/processing/input/*.csv")])
frame.iloc[:150].to_csv("/opt/ml/processing/train/train.csv", header=False, index=False)
frame.iloc[150:].to_csv("/opt/ml/processing/test/test.csv", header=False, index=False)
print("rows", len(frame))
'''


@pytest.fixture
def sdk_session(aws, s3_bucket, monkeypatch):
    import sagemaker

    for key, value in aws.environment().items():
        monkeypatch.setenv(key, value)
    config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    return sagemaker.Session(default_bucket=s3_bucket, sagemaker_config=config)


@pytest.fixture
def training_data(aws, s3_bucket):
    x, y = make_dataset()
    aws.client("s3").put_object(Bucket=s3_bucket, Key="data/train/train.csv", Body=csv_bytes(x, y))
    return x, y


def s3_object(aws, uri: str) -> bytes:
    bucket, key = uri[5:].split("/", 1)
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_sklearn_estimator_fit_deploy_predict(aws, sdk_session, training_data, s3_bucket, tmp_path):
    from sagemaker.deserializers import CSVDeserializer
    from sagemaker.serializers import CSVSerializer
    from sagemaker.sklearn.estimator import SKLearn

    x, y = training_data
    (tmp_path / "train.py").write_text(TRAIN_SCRIPT)
    estimator = SKLearn(entry_point=str(tmp_path / "train.py"), framework_version="1.2-1",
                        instance_type="ml.m5.large", instance_count=1, role=ROLE,
                        hyperparameters={"C": 0.5}, sagemaker_session=sdk_session)
    estimator.fit({"train": f"s3://{s3_bucket}/data/train/"})  # streams the job's CloudWatch logs

    job = sdk_session.describe_training_job(estimator.latest_training_job.name)
    assert job["TrainingJobStatus"] == "Completed"
    assert job["HyperParameters"]["C"] == "0.5"
    assert estimator.model_data.startswith(f"s3://{s3_bucket}/")
    with tarfile.open(fileobj=io.BytesIO(s3_object(aws, estimator.model_data))) as tar:
        local_model = joblib.load(tar.extractfile("model.joblib"))

    predictor = estimator.deploy(initial_instance_count=1, instance_type="ml.m5.large", wait=False)
    sdk_session.wait_for_endpoint(predictor.endpoint_name, poll=1)
    try:
        # the SKLearn predictor's default: NumPy arrays as application/x-npy, both ways
        predictions = predictor.predict(x[:20])
        assert isinstance(predictions, np.ndarray)
        assert predictions.tolist() == local_model.predict(x[:20]).tolist()

        predictor.serializer, predictor.deserializer = CSVSerializer(), CSVDeserializer()
        rows = predictor.predict(x[:5])
        assert [int(r[0]) for r in rows] == local_model.predict(x[:5]).tolist()
    finally:
        predictor.delete_endpoint()
    endpoints = aws.client("sagemaker").list_endpoints(NameContains=predictor.endpoint_name)["Endpoints"]
    assert endpoints == []


def test_builtin_xgboost_estimator_and_batch_transformer(aws, sdk_session, training_data, s3_bucket):
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput

    x, y = training_data
    aws.client("s3").put_object(Bucket=s3_bucket, Key="data/batch/batch.csv", Body=csv_bytes(x[:30]))
    image = image_uris.retrieve("xgboost", sdk_session.boto_region_name, "1.7-1")
    estimator = Estimator(image, ROLE, instance_count=1, instance_type="ml.m5.large",
                          output_path=f"s3://{s3_bucket}/xgb", sagemaker_session=sdk_session)
    estimator.set_hyperparameters(objective="binary:logistic", num_round=15, max_depth=3)
    estimator.fit({"train": TrainingInput(f"s3://{s3_bucket}/data/train/", content_type="text/csv")})
    job = sdk_session.describe_training_job(estimator.latest_training_job.name)
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["train:logloss"] < 0.5

    transformer = estimator.transformer(instance_count=1, instance_type="ml.m5.large", accept="text/csv",
                                        assemble_with="Line", output_path=f"s3://{s3_bucket}/predictions")
    transformer.transform(f"s3://{s3_bucket}/data/batch/", content_type="text/csv", split_type="Line",
                          wait=True, logs=False)
    lines = s3_object(aws, f"s3://{s3_bucket}/predictions/batch.csv.out").decode().split()
    probabilities = np.array([float(v) for v in lines])
    assert len(probabilities) == 30 and ((probabilities > 0) & (probabilities < 1)).all()
    assert ((probabilities > 0.5) == y[:30]).mean() > 0.8


def test_sklearn_processor_run(aws, sdk_session, training_data, s3_bucket, tmp_path):
    from sagemaker.processing import ProcessingInput, ProcessingOutput
    from sagemaker.sklearn.processing import SKLearnProcessor

    (tmp_path / "preprocess.py").write_text(PREPROCESS_SCRIPT)
    processor = SKLearnProcessor(framework_version="1.2-1", role=ROLE, instance_type="ml.m5.large",
                                 instance_count=1, sagemaker_session=sdk_session)
    processor.run(code=str(tmp_path / "preprocess.py"),
                  inputs=[ProcessingInput(source=f"s3://{s3_bucket}/data/train/",
                                          destination="/opt/ml/processing/input")],
                  outputs=[ProcessingOutput(source="/opt/ml/processing/train",
                                            destination=f"s3://{s3_bucket}/processed/train"),
                           ProcessingOutput(source="/opt/ml/processing/test",
                                            destination=f"s3://{s3_bucket}/processed/test")],
                  logs=False)
    description = processor.jobs[-1].describe()
    assert description["ProcessingJobStatus"] == "Completed"
    assert description["ProcessingResources"]["ClusterConfig"]["InstanceType"] == "ml.m5.large"
    train_rows = s3_object(aws, f"s3://{s3_bucket}/processed/train/train.csv").decode().splitlines()
    test_rows = s3_object(aws, f"s3://{s3_bucket}/processed/test/test.csv").decode().splitlines()
    assert (len(train_rows), len(test_rows)) == (150, 50)
