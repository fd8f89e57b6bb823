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

from tests.helpers.sdk import needs_sdk_v2

from .response_shapes import checked_responses  # noqa: F401  (autouse)

pytestmark = [pytest.mark.slow, needs_sdk_v2, pytest.mark.filterwarnings("ignore:.*SageMaker Python SDK v2")]

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
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator

    image = image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
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


IRIS_SCRIPT = '''
import argparse, glob, json, os
import joblib, numpy as np, pandas as pd
from sklearn.tree import DecisionTreeClassifier


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    if content_type == "application/json":
        return np.array(json.loads(body))
    return pd.read_csv(__import__("io").StringIO(body), header=None).to_numpy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max_leaf_nodes", type=int, default=-1)
    parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
    args = parser.parse_args()
    frame = pd.concat(pd.read_csv(f, header=None) for f in glob.glob(args.train + "/*.csv"))
    y, x = frame.iloc[:, 0].to_numpy(), frame.iloc[:, 1:].to_numpy()
    model = DecisionTreeClassifier(max_leaf_nodes=args.max_leaf_nodes).fit(x, y)
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
'''


def test_sklearn_model_deploy_json_predictor_and_batch_transform(aws, session, s3_bucket, tmp_path):
    """amazon-sagemaker-examples sagemaker-python-sdk/scikit_learn_iris/
    scikit_learn_estimator_example_with_batch_transform.ipynb: train a script-mode ``SKLearn`` estimator,
    then ``SKLearnModel(model_data=...).deploy()`` with JSON serializers and ``model.transformer().transform()``."""
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.serializers import JSONSerializer
    from sagemaker.sklearn.estimator import SKLearn
    from sagemaker.sklearn.model import SKLearnModel

    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(c, 0.3, size=(30, 4)) for c in (0.0, 2.0, 4.0)]).round(3)
    y = np.repeat([0, 1, 2], 30)
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="iris/train/iris.csv", Body=csv_bytes(x, y))
    s3.put_object(Bucket=s3_bucket, Key="iris/batch/iris.csv", Body=csv_bytes(x[::10]))
    (tmp_path / "iris.py").write_text(IRIS_SCRIPT)
    estimator = SKLearn(entry_point=str(tmp_path / "iris.py"), framework_version="1.2-1", role=ROLE,
                        instance_type="ml.c5.xlarge", hyperparameters={"max_leaf_nodes": 10},
                        sagemaker_session=session)
    estimator.fit({"train": f"s3://{s3_bucket}/iris/train/"}, logs=False)

    model = SKLearnModel(model_data=estimator.model_data, role=ROLE, entry_point=str(tmp_path / "iris.py"),
                         framework_version="1.2-1", sagemaker_session=session)
    predictor = model.deploy(initial_instance_count=1, instance_type="ml.c5.xlarge", wait=False,
                             serializer=JSONSerializer(), deserializer=JSONDeserializer())
    try:
        session.wait_for_endpoint(predictor.endpoint_name, poll=1)
        assert predictor.predict(x[[0, 45, 89]].tolist()) == [0, 1, 2]
    finally:
        predictor.delete_endpoint()

    transformer = model.transformer(instance_count=1, instance_type="ml.c5.xlarge", assemble_with="Line",
                                    accept="text/csv", output_path=f"s3://{s3_bucket}/iris/predictions")
    transformer.transform(f"s3://{s3_bucket}/iris/batch/", content_type="text/csv", split_type="Line", logs=False)
    transformer.wait(logs=False)
    lines = s3.get_object(Bucket=s3_bucket, Key="iris/predictions/iris.csv.out")["Body"].read().decode().split()
    assert [int(float(v)) for v in lines] == y[::10].tolist()
