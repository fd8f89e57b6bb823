"""SageMaker Python SDK v2 flows of AWS's example notebooks, run unchanged against the sandbox.

Each test follows one notebook of aws/amazon-sagemaker-examples (named in its docstring) with data we
generate of the same shape (a small binary-classification table, label first, no header, as the
direct-marketing and churn notebooks prepare it). Sessions come from ``sandbox.connect()``
(``aws.sagemaker_session()``); every boto3 response is checked against botocore's output shape
(``checked_responses``).
"""

from __future__ import annotations

import numpy as np
import pytest

from .response_shapes import checked_responses  # noqa: F401  (autouse)

sagemaker = pytest.importorskip("sagemaker")

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*SageMaker Python SDK v2")]

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole"


def make_marketing_table(rows: int = 240, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Numeric features and a yes/no label shaped like the direct-marketing notebook's prepared data."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows)
    duration = rng.exponential(250, rows).round()
    campaign = rng.integers(1, 8, rows)
    previous = rng.integers(0, 3, rows)
    score = 0.01 * duration - 0.4 * campaign + 0.8 * previous + 0.02 * (age - 40) + rng.normal(0, 0.7, rows)
    x = np.column_stack([age, duration, campaign, previous]).astype(float)
    return x, (score > np.median(score)).astype(int)


def csv_bytes(x: np.ndarray, y: np.ndarray | None = None) -> bytes:
    rows = np.column_stack([y, x]) if y is not None else x
    return "\n".join(",".join(f"{v:g}" for v in row) for row in rows).encode() + b"\n"


@pytest.fixture
def session(aws, s3_bucket):
    return aws.sagemaker_session(default_bucket=s3_bucket)


@pytest.fixture
def marketing_data(aws, s3_bucket):
    x, y = make_marketing_table()
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="direct-marketing/train/train.csv", Body=csv_bytes(x[:180], y[:180]))
    s3.put_object(Bucket=s3_bucket, Key="direct-marketing/validation/validation.csv",
                  Body=csv_bytes(x[180:], y[180:]))
    return x, y


def xgboost_estimator(session, bucket: str):
    from sagemaker.estimator import Estimator

    image = sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    estimator = Estimator(image, ROLE, instance_count=1, instance_type="ml.m4.xlarge",
                          output_path=f"s3://{bucket}/direct-marketing/output", sagemaker_session=session)
    estimator.set_hyperparameters(eval_metric="auc", objective="binary:logistic", num_round=20)
    return estimator


def test_xgboost_tuning_analytics_attach_and_deploy(aws, session, marketing_data, s3_bucket):
    """amazon-sagemaker-examples hyperparameter_tuning/xgboost_direct_marketing/
    hpo_xgboost_direct_marketing_sagemaker_python_sdk.ipynb and hyperparameter_tuning/analyze_results/
    HPO_Analyze_TuningJob_Results.ipynb: ``HyperparameterTuner(...).fit``, ``tuner.analytics().dataframe()``,
    ``Estimator.attach(best job)``, ``tuner.deploy()`` and a CSV ``Predictor``."""
    from sagemaker.deserializers import CSVDeserializer
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.serializers import CSVSerializer
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter

    x, y = marketing_data
    ranges = {"eta": ContinuousParameter(0.05, 0.5), "min_child_weight": ContinuousParameter(1, 10),
              "alpha": ContinuousParameter(0, 2), "max_depth": IntegerParameter(1, 6)}
    tuner = HyperparameterTuner(xgboost_estimator(session, s3_bucket), "validation:auc", ranges,
                                max_jobs=3, max_parallel_jobs=2)
    channels = {c: TrainingInput(f"s3://{s3_bucket}/direct-marketing/{c}/", content_type="text/csv")
                for c in ("train", "validation")}
    tuner.fit(channels, include_cls_metadata=False, wait=False)
    tuner.wait()

    status = session.sagemaker_client.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuner.latest_tuning_job.name)
    assert status["HyperParameterTuningJobStatus"] == "Completed", status.get("FailureReason")
    assert status["TrainingJobStatusCounters"]["Completed"] == 3

    frame = tuner.analytics().dataframe()
    assert len(frame) == 3
    assert {"eta", "max_depth", "FinalObjectiveValue", "TrainingJobName", "TrainingJobStatus"} <= set(frame.columns)
    best_name = tuner.best_training_job()
    assert frame.sort_values("FinalObjectiveValue", ascending=False).iloc[0]["TrainingJobName"] == best_name
    assert 0.5 < frame["FinalObjectiveValue"].max() <= 1.0

    attached = Estimator.attach(best_name, sagemaker_session=session)
    assert attached.instance_type == "ml.m4.xlarge" and attached.instance_count == 1
    assert attached.model_data.startswith(f"s3://{s3_bucket}/direct-marketing/output/{best_name}/")
    tuned = frame.set_index("TrainingJobName").loc[best_name]
    assert int(attached.hyperparameters()["max_depth"]) == int(tuned["max_depth"])

    predictor = tuner.deploy(initial_instance_count=1, instance_type="ml.m4.xlarge", wait=False,
                             serializer=CSVSerializer(), deserializer=CSVDeserializer())
    try:
        session.wait_for_endpoint(predictor.endpoint_name, poll=1)
        # the XGBoost container answers a CSV request with one comma-separated line of scores
        rows = predictor.predict(x[180:])
        probabilities = np.array([float(v) for row in rows for v in row])
        assert len(probabilities) == 60 and ((probabilities >= 0) & (probabilities <= 1)).all()
        assert ((probabilities > 0.5) == y[180:]).mean() > 0.7
    finally:
        predictor.delete_endpoint()
