"""SageMaker Python SDK v3 flows (``sagemaker`` 3.27: ``ModelTrainer``, ``sagemaker-core`` resources).

These run in their own environment, ``.venv-sdk3`` (``.venv/bin/python tests/conformance/sdk3_env.py test``),
because the default install carries the SDK v2; elsewhere the module is skipped. The sandbox is served by the
main environment's interpreter (``SANDBOX_SERVER_PYTHON``, set by ``sdk3_env.py``), as a learner would start it
with ``sandbox up`` and connect from a notebook running v3: ``sandbox.connect().sagemaker_session()`` is then a
``sagemaker.core`` session whose clients never reach AWS (not even the STS client the SDK builds with AWS's
regional address), and IAM's ``SimulatePrincipalPolicy`` answers the role check ``ModelTrainer`` makes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import numpy as np
import pytest

from tests.helpers.cloud import free_port
from tests.helpers.waiting import wait_for

def _sdk_major() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("sagemaker").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 0


# the installed version, read without importing the SDK (importing v2 to find no ``sagemaker.train`` took every
# worker ~4 s at collection)
if _sdk_major() < 3:
    pytest.skip("the SageMaker Python SDK v3 runs in .venv-sdk3 (sdk3_env.py)", allow_module_level=True)

pytestmark = [pytest.mark.sdk3, pytest.mark.slow]

ROLE_NAME = "SageMakerV3ExecutionRole"


def _control(python: str, action: str, env: dict[str, str]) -> None:
    code = (f"from sandbox import cloud; from sandbox.config import SandboxConfig; "
            f"cloud.{action}(SandboxConfig.from_env())")
    subprocess.run([python, "-c", code], env=env, check=True, timeout=180)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """A sandbox served by the main environment's interpreter (its engines), used from this v3 environment."""
    python = os.environ.get("SANDBOX_SERVER_PYTHON") or sys.executable
    env = dict(os.environ, SANDBOX_STATE_DIR=str(tmp_path_factory.mktemp("sdk3-state")), SANDBOX_PORT=str(free_port()))
    env.pop("AWS_ENDPOINT_URL", None)
    _control(python, "up", env)
    with pytest.MonkeyPatch.context() as patch:  # the environment as it was, once the module is done
        patch.setenv("SANDBOX_STATE_DIR", env["SANDBOX_STATE_DIR"])
        patch.setenv("SANDBOX_PORT", env["SANDBOX_PORT"])
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        yield env
        _control(python, "down", env)


@pytest.fixture(scope="module")
def aws(cloud):
    import sandbox

    return sandbox.connect(start=False)


@pytest.fixture(scope="module")
def session(aws):
    return aws.sagemaker_session()


@pytest.fixture(scope="module")
def role(aws):
    import json

    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    return iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


@pytest.fixture(scope="module")
def training_data(aws, session):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200, 3)).round(4)
    y = (x @ np.array([1.2, -0.7, 0.4]) > 0).astype(int)
    rows = "\n".join(",".join(f"{v:g}" for v in [label, *features]) for label, features in zip(y, x)) + "\n"
    bucket = session.default_bucket()
    aws.client("s3").put_object(Bucket=bucket, Key="v3/train/train.csv", Body=rows.encode())
    return {"x": x, "y": y, "uri": f"s3://{bucket}/v3/train/"}


def test_session_is_a_v3_session_on_the_sandbox(aws, session):
    """SageMaker Python SDK v3 docs, "Session" (sagemaker.core.helper.session_helper): ``default_bucket()`` and
    ``account_id()`` ask STS, at AWS's regional address, which the sandbox's boto3 session redirects."""
    from sagemaker.core.helper.session_helper import Session

    assert isinstance(session, Session)
    assert session.account_id() == "123456789012"
    assert session.default_bucket() == "sagemaker-us-east-1-123456789012"


def test_model_trainer_with_the_builtin_xgboost_image(aws, session, role, training_data):
    """SageMaker Python SDK v3 docs and the v3 example notebook "ModelTrainer with a SageMaker built-in
    algorithm" (v3-examples/training-examples): ``ModelTrainer(training_image=..., compute=Compute(...),
    hyperparameters=...).train(input_data_config=[InputData(...)])``, then the job through
    ``sagemaker.core.resources.TrainingJob``."""
    from sagemaker.core import image_uris
    from sagemaker.core.resources import TrainingJob
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData

    image = image_uris.retrieve(framework="xgboost", region="us-east-1", version="1.7-1")
    trainer = ModelTrainer(training_image=image, role=role, sagemaker_session=session,
                           base_job_name="v3-xgboost",
                           compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
                           hyperparameters={"objective": "binary:logistic", "num_round": 10, "max_depth": 3})
    trainer.train(input_data_config=[InputData(channel_name="train", data_source=training_data["uri"],
                                               content_type="text/csv")], wait=True, logs=False)
    job = TrainingJob.get(trainer._latest_training_job.training_job_name, session=session.boto_session)
    assert job.training_job_status == "Completed"
    assert job.resource_config.instance_type == "ml.m5.xlarge"
    assert job.model_artifacts.s3_model_artifacts.endswith("/output/model.tar.gz")
    metrics = {m.metric_name: m.value for m in job.final_metric_data_list}
    assert metrics["train:logloss"] < 0.6


SCRIPT = """
import argparse, glob, os
import joblib, pandas as pd
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, default=1.0)
args = parser.parse_args()
frame = pd.concat(pd.read_csv(f, header=None) for f in glob.glob(os.environ["SM_CHANNEL_TRAIN"] + "/*.csv"))
model = LogisticRegression(C=args.C).fit(frame.iloc[:, 1:], frame.iloc[:, 0])
print(f"train_accuracy={model.score(frame.iloc[:, 1:], frame.iloc[:, 0]):.4f} C={args.C}")
joblib.dump(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.joblib"))
"""


def test_model_trainer_script_mode_with_source_code(aws, session, role, training_data, tmp_path):
    """SageMaker Python SDK v3 docs, "Train with ModelTrainer" (``SourceCode(source_dir=..., entry_script=...)``
    on the scikit-learn framework image): the SDK uploads its ``sm_drivers`` channel and starts the job with the
    ``/bin/bash -c .../sm_train.sh`` ContainerEntrypoint, which the sandbox runs in the job folder."""
    import io
    import tarfile

    import joblib
    from sagemaker.core import image_uris
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, SourceCode

    (tmp_path / "train.py").write_text(SCRIPT)
    image = image_uris.retrieve(framework="sklearn", region="us-east-1", version="1.2-1", py_version="py3",
                                instance_type="ml.m5.xlarge")
    trainer = ModelTrainer(training_image=image, role=role, sagemaker_session=session, base_job_name="v3-script",
                           source_code=SourceCode(source_dir=str(tmp_path), entry_script="train.py"),
                           compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
                           hyperparameters={"C": 0.5})
    trainer.train(input_data_config=[InputData(channel_name="train", data_source=training_data["uri"])],
                  wait=True, logs=False)
    job = aws.client("sagemaker").describe_training_job(TrainingJobName=trainer._latest_training_job.training_job_name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["AlgorithmSpecification"]["ContainerEntrypoint"] == ["/bin/bash"]
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"][5:].split("/", 1)
    archive = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        model = joblib.load(tar.extractfile("model.joblib"))
    assert model.C == 0.5
    assert (model.predict(training_data["x"]) == training_data["y"]).mean() > 0.8


def test_sagemaker_core_resources_create_wait_deploy_invoke(aws, session, role, training_data):
    """sagemaker-core's "Intro to sagemaker-core" example (TrainingJob.create / wait, Model.create,
    EndpointConfig.create, Endpoint.create / wait_for_status, Endpoint.invoke) on the built-in XGBoost image."""
    from sagemaker.core import image_uris
    from sagemaker.core.resources import Endpoint, EndpointConfig, Model, TrainingJob
    from sagemaker.core.shapes import (AlgorithmSpecification, Channel, ContainerDefinition, DataSource,
                                       OutputDataConfig, ProductionVariant, ResourceConfig, S3DataSource,
                                       StoppingCondition)

    boto = session.boto_session
    name = f"core-{uuid.uuid4().hex[:8]}"
    image = image_uris.retrieve(framework="xgboost", region="us-east-1", version="1.7-1")
    job = TrainingJob.create(
        training_job_name=name, role_arn=role, session=boto,
        algorithm_specification=AlgorithmSpecification(training_image=image, training_input_mode="File"),
        hyper_parameters={"objective": "binary:logistic", "num_round": "10"},
        input_data_config=[Channel(channel_name="train", content_type="text/csv", data_source=DataSource(
            s3_data_source=S3DataSource(s3_data_type="S3Prefix", s3_uri=training_data["uri"],
                                        s3_data_distribution_type="FullyReplicated")))],
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{session.default_bucket()}/v3/core"),
        resource_config=ResourceConfig(instance_type="ml.m5.xlarge", instance_count=1, volume_size_in_gb=5),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=600))
    job.wait(logs=False)
    assert job.training_job_status == "Completed"

    model = Model.create(model_name=name, execution_role_arn=role, session=boto, primary_container=ContainerDefinition(
        image=image, model_data_url=job.model_artifacts.s3_model_artifacts))
    config = EndpointConfig.create(endpoint_config_name=name, session=boto, production_variants=[ProductionVariant(
        variant_name="AllTraffic", model_name=model.model_name, initial_instance_count=1,
        instance_type="ml.m5.xlarge")])
    endpoint = Endpoint.create(endpoint_name=name, endpoint_config_name=config.endpoint_config_name, session=boto)
    try:
        endpoint.wait_for_status("InService")
        x, y = training_data["x"], training_data["y"]
        body = "\n".join(",".join(f"{v:g}" for v in row) for row in x[:40])
        answer = endpoint.invoke(body=body, content_type="text/csv", accept="text/csv")
        scores = np.array([float(v) for v in answer.body.read().decode().replace("\n", ",").split(",") if v])
        assert len(scores) == 40 and ((scores > 0.5) == y[:40]).mean() > 0.8
    finally:
        endpoint.delete()
        wait_for(lambda: not aws.client("sagemaker").list_endpoints(NameContains=name)["Endpoints"], timeout=60)


def test_model_builder_build_and_deploy_a_trained_model(aws, session, role, training_data):
    """SageMaker Python SDK v3 docs, "Deploy models with ModelBuilder" (``ModelBuilder(model=<trained
    ModelTrainer>, image_uri=..., instance_type=...).build()`` then ``.deploy()`` and ``Endpoint.invoke``)."""
    from sagemaker.core import image_uris
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData

    image = image_uris.retrieve(framework="xgboost", region="us-east-1", version="1.7-1")
    trainer = ModelTrainer(training_image=image, role=role, sagemaker_session=session, base_job_name="v3-builder",
                           compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
                           hyperparameters={"objective": "binary:logistic", "num_round": 10})
    trainer.train(input_data_config=[InputData(channel_name="train", data_source=training_data["uri"],
                                               content_type="text/csv")], wait=True, logs=False)
    builder = ModelBuilder(model=trainer, image_uri=image, role_arn=role, sagemaker_session=session,
                           instance_type="ml.m5.xlarge")
    model = builder.build()
    assert aws.client("sagemaker").describe_model(ModelName=model.model_name)["PrimaryContainer"]["Image"] == image
    endpoint = builder.deploy(endpoint_name=f"builder-{uuid.uuid4().hex[:8]}", initial_instance_count=1)
    try:
        x, y = training_data["x"], training_data["y"]
        body = "\n".join(",".join(f"{v:g}" for v in row) for row in x[:40])
        answer = endpoint.invoke(body=body, content_type="text/csv", accept="text/csv")
        scores = np.array([float(v) for v in answer.body.read().decode().replace("\n", ",").split(",") if v])
        assert len(scores) == 40 and ((scores > 0.5) == y[:40]).mean() > 0.8
    finally:
        endpoint.delete()
