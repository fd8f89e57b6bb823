"""Model Monitor and Clarify through the SageMaker Python SDK v2, as a learner writes them for AWS.

One SKLearn model is trained and deployed (with data capture) per module and shared: its
inference script answers the probability of class 1, so Clarify's ``probability_threshold``
and ``use_logit`` mean what they mean on AWS. See test_python_sdk.py for how the SDK is
pointed at the sandbox. Each SDK call's duration is printed (``pytest -s`` shows them);
``wait=True`` polls every 5 s inside the SDK, which is most of each job's time.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid

import joblib
import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import ROLE, csv_bytes, make_dataset
from tests.helpers.sdk import needs_sdk_v2

pytestmark = [pytest.mark.slow, needs_sdk_v2, pytest.mark.filterwarnings("ignore:.*SageMaker Python SDK v2")]

FEATURES = ["f0", "f1", "f2", "f3"]
TRAIN_SCRIPT = '''
import argparse, glob, os
import joblib, numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))

def predict_fn(data, model):
    return model.predict_proba(np.asarray(data, dtype=float))[:, 1]

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    args = parser.parse_args()
    frame = pd.concat([pd.read_csv(f, header=None) for f in sorted(glob.glob(args.train + "/*.csv"))])
    model = LogisticRegression().fit(frame.iloc[:, 1:].to_numpy(), frame.iloc[:, 0].to_numpy())
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
'''
# what a learner's record preprocessor looks like: it gets each captured event and returns a row
PREPROCESSOR = '''
def preprocess_handler(inference_record):
    probability = inference_record.endpoint_output.data.strip()
    f0, f1, f2, f3 = inference_record.endpoint_input.data.strip().split(",")
    print("preprocessing", inference_record.event_metadata.event_id)
    return {"probability": probability, "f0": f0, "f1": str(float(f1) - 6.0), "f2": f2, "f3": f3}
'''
POSTPROCESSOR = '''
def postprocess_handler():
    print("post-analytics ran after the analysis")
'''
TIMINGS: dict[str, float] = {}


class timed:
    def __init__(self, step: str) -> None:
        self.step = step

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        TIMINGS[self.step] = round(time.monotonic() - self.started, 2)
        print(f"[sdk timing] {self.step}: {TIMINGS[self.step]} s")


def s3_object(aws, uri: str) -> bytes:
    bucket, key = uri[5:].split("/", 1)
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture(scope="module")
def env(aws):
    """SDK session, bucket, a trained model (and its local copy) and an endpoint capturing its traffic."""
    import sagemaker
    from sagemaker.model_monitor import DataCaptureConfig
    from sagemaker.sklearn.estimator import SKLearn

    s3 = aws.client("s3")
    bucket = f"sdk-monitor-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    x, y = make_dataset()
    s3.put_object(Bucket=bucket, Key="data/train/train.csv", Body=csv_bytes(x, y))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in aws.environment().items():
            patch.setenv(key, value)
        config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
        session = sagemaker.Session(default_bucket=bucket, sagemaker_config=config)
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "train.py").write_text(TRAIN_SCRIPT)
            estimator = SKLearn(entry_point=str(Path(folder) / "train.py"), framework_version="1.2-1",
                                instance_type="ml.m5.large", instance_count=1, role=ROLE,
                                sagemaker_session=session)
            with timed("SKLearn.fit"):
                estimator.fit({"train": f"s3://{bucket}/data/train/"}, logs=False)
        with tarfile.open(fileobj=io.BytesIO(s3_object(aws, estimator.model_data))) as tar:
            model = joblib.load(tar.extractfile("model.joblib"))
        with timed("deploy with DataCaptureConfig"):
            predictor = estimator.deploy(
                initial_instance_count=1, instance_type="ml.m5.large", wait=False,
                data_capture_config=DataCaptureConfig(enable_capture=True, sampling_percentage=100,
                                                      destination_s3_uri=f"s3://{bucket}/datacapture"))
            session.wait_for_endpoint(predictor.endpoint_name, poll=1)
        description = session.sagemaker_client.describe_endpoint(EndpointName=predictor.endpoint_name)
        config_name = description["EndpointConfigName"]
        model_name = session.sagemaker_client.describe_endpoint_config(
            EndpointConfigName=config_name)["ProductionVariants"][0]["ModelName"]
        yield {"session": session, "bucket": bucket, "x": x, "y": y, "model": model, "predictor": predictor,
               "model_name": model_name}
        predictor.delete_endpoint()
    print("[sdk timing] all:", json.dumps(TIMINGS))


@pytest.fixture(scope="module")
def baseline(env, aws):
    """The baseline: the model's probability then the features, as the endpoint's captures are laid out."""
    from sagemaker.model_monitor import DefaultModelMonitor
    from sagemaker.model_monitor.dataset_format import DatasetFormat

    x, bucket = env["x"], env["bucket"]
    frame = pd.DataFrame(x, columns=FEATURES)
    frame.insert(0, "probability", env["model"].predict_proba(x)[:, 1].round(6))
    aws.client("s3").put_object(Bucket=bucket, Key="baseline/data/train.csv",
                                Body=frame.to_csv(index=False).encode())
    monitor = DefaultModelMonitor(ROLE, instance_count=1, instance_type="ml.m5.xlarge",
                                  sagemaker_session=env["session"])
    with timed("DefaultModelMonitor.suggest_baseline"):
        monitor.suggest_baseline(baseline_dataset=f"s3://{bucket}/baseline/data/train.csv",
                                 dataset_format=DatasetFormat.csv(header=True),
                                 output_s3_uri=f"s3://{bucket}/baseline/results", wait=True, logs=False)
    return {"monitor": monitor, "frame": frame}


@pytest.fixture(scope="module")
def drifted_traffic(env):
    """Every training row sent to the endpoint with f1 shifted by +6 (the other features unchanged)."""
    from sagemaker.deserializers import CSVDeserializer
    from sagemaker.serializers import CSVSerializer

    predictor = env["predictor"]
    predictor.serializer, predictor.deserializer = CSVSerializer(), CSVDeserializer()
    drifted = env["x"].copy()
    drifted[:, 1] += 6.0
    with timed(f"predictor.predict x{len(drifted)}"):
        answers = [float(predictor.predict(row)[0][0]) for row in drifted]
    assert answers[:5] == pytest.approx(env["model"].predict_proba(drifted[:5])[:, 1])
    return drifted


def wait_for_execution(monitor, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        summaries = monitor.sagemaker_session.sagemaker_client.list_monitoring_executions(
            MonitoringScheduleName=monitor.monitoring_schedule_name)["MonitoringExecutionSummaries"]
        if summaries and summaries[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"):
            return summaries[0]
        assert time.monotonic() < deadline, summaries
        time.sleep(0.5)


def test_default_model_monitor_baseline_and_one_time_schedule(env, baseline, drifted_traffic):
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    monitor, frame = baseline["monitor"], baseline["frame"]
    statistics = monitor.baseline_statistics().body_dict
    constraints = monitor.suggested_constraints().body_dict
    assert statistics["dataset"]["item_count"] == len(frame)
    by_name = {f["name"]: f for f in statistics["features"]}
    assert by_name["f1"]["numerical_statistics"]["mean"] == pytest.approx(frame.f1.mean())
    assert by_name["f2"]["numerical_statistics"]["std_dev"] == pytest.approx(frame.f2.std(ddof=0))
    assert [(f["name"], f["inferred_type"]) for f in constraints["features"]] == \
        [(name, "Fractional") for name in frame.columns]

    with timed("create_monitoring_schedule (NOW)"):
        monitor.create_monitoring_schedule(
            endpoint_input=env["predictor"].endpoint_name, output_s3_uri=f"s3://{env['bucket']}/monitoring",
            statistics=monitor.baseline_statistics(), constraints=monitor.suggested_constraints(),
            schedule_cron_expression=CronExpressionGenerator.now(),
            data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H")
    assert monitor.job_definition_name  # the SDK went through CreateDataQualityJobDefinition
    with timed("monitoring execution"):
        summary = wait_for_execution(monitor)
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary
    assert summary["MonitoringJobDefinitionName"] == monitor.job_definition_name

    with timed("list_executions + constraint_violations"):
        executions = monitor.list_executions()
        violations = executions[-1].constraint_violations().body_dict["violations"]
    flagged = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert ("f1", "baseline_drift_check") in flagged
    assert ("probability", "baseline_drift_check") in flagged  # the predictions moved with f1
    assert not {name for name, _ in flagged} & {"f0", "f2", "f3"}
    current = executions[-1].statistics().body_dict
    assert current["dataset"]["item_count"] == len(drifted_traffic)
    current_f1 = next(f for f in current["features"] if f["name"] == "f1")
    assert current_f1["numerical_statistics"]["mean"] == pytest.approx(drifted_traffic[:, 1].mean())
    assert monitor.latest_monitoring_constraint_violations().body_dict["violations"] == violations

    described = monitor.describe_schedule()
    assert described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == monitor.job_definition_name
    assert described["LastMonitoringExecutionSummary"]["MonitoringExecutionStatus"] == "CompletedWithViolations"
    attached = DefaultModelMonitor.attach(monitor.monitoring_schedule_name, sagemaker_session=env["session"])
    assert attached.job_definition_name == monitor.job_definition_name
    assert attached.instance_type == "ml.m5.xlarge"

    client = env["session"].sagemaker_client
    definition = client.describe_data_quality_job_definition(JobDefinitionName=monitor.job_definition_name)
    assert definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == env["predictor"].endpoint_name
    assert definition["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"].endswith("constraints.json")

    with timed("stop + delete_monitoring_schedule"):
        monitor.stop_monitoring_schedule()
        assert monitor.describe_schedule()["MonitoringScheduleStatus"] == "Stopped"
        name, definition_name = monitor.monitoring_schedule_name, monitor.job_definition_name
        monitor.delete_monitoring_schedule()
    with pytest.raises(ClientError) as gone:
        client.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as definition_gone:
        client.describe_data_quality_job_definition(JobDefinitionName=definition_name)
    assert definition_gone.value.response["Error"]["Code"] == "ResourceNotFound"


def test_hourly_schedule_tags_update_and_job_definition_listing(env, baseline):
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    endpoint = env["predictor"].endpoint_name
    monitor = DefaultModelMonitor(ROLE, instance_count=1, instance_type="ml.m5.xlarge",
                                  sagemaker_session=env["session"], tags=[{"Key": "team", "Value": "ml"}])
    with timed("create_monitoring_schedule (hourly)"):
        monitor.create_monitoring_schedule(
            endpoint_input=endpoint, output_s3_uri=f"s3://{env['bucket']}/hourly",
            statistics=baseline["monitor"].baseline_statistics(),
            constraints=baseline["monitor"].suggested_constraints(),
            schedule_cron_expression=CronExpressionGenerator.hourly())
    client = env["session"].sagemaker_client
    try:
        described = monitor.describe_schedule()
        assert described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
        assert described["MonitoringScheduleStatus"] == "Scheduled"
        assert env["session"].list_tags(described["MonitoringScheduleArn"]) == [{"Key": "team", "Value": "ml"}]

        summaries = client.list_data_quality_job_definitions(EndpointName=endpoint)["JobDefinitionSummaries"]
        assert [s["MonitoringJobDefinitionName"] for s in summaries] == [monitor.job_definition_name]
        assert summaries[0]["EndpointName"] == endpoint
        assert client.list_data_quality_job_definitions(EndpointName="other")["JobDefinitionSummaries"] == []
        with pytest.raises(ClientError) as duplicate:
            definition = client.describe_data_quality_job_definition(JobDefinitionName=monitor.job_definition_name)
            client.create_data_quality_job_definition(**{k: definition[k] for k in (
                "JobDefinitionName", "DataQualityAppSpecification", "DataQualityJobInput",
                "DataQualityJobOutputConfig", "JobResources", "RoleArn")})
        assert duplicate.value.response["Error"]["Code"] == "ResourceInUse"

        with timed("update_monitoring_schedule (daily)"):
            monitor.update_monitoring_schedule(schedule_cron_expression=CronExpressionGenerator.daily())
        assert monitor.describe_schedule()["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] \
            == "cron(0 0 ? * * *)"
        assert monitor.list_executions() == []  # not due yet
    finally:
        monitor.delete_monitoring_schedule()
    with pytest.raises(ClientError) as missing:
        client.list_tags(ResourceArn=described["MonitoringScheduleArn"])
    assert missing.value.response["Error"]["Code"] == "ValidationException"


def test_record_preprocessor_script_reshapes_captured_records(env, baseline, drifted_traffic, tmp_path):
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    script = tmp_path / "preprocessor.py"
    script.write_text(PREPROCESSOR)
    (tmp_path / "postprocessor.py").write_text(POSTPROCESSOR)
    monitor = DefaultModelMonitor(ROLE, instance_count=1, instance_type="ml.m5.xlarge",
                                  sagemaker_session=env["session"])
    with timed("create_monitoring_schedule (NOW, record preprocessor)"):
        monitor.create_monitoring_schedule(
            endpoint_input=env["predictor"].endpoint_name, record_preprocessor_script=str(script),
            post_analytics_processor_script=str(tmp_path / "postprocessor.py"),
            output_s3_uri=f"s3://{env['bucket']}/preprocessed",
            statistics=baseline["monitor"].baseline_statistics(),
            constraints=baseline["monitor"].suggested_constraints(),
            schedule_cron_expression=CronExpressionGenerator.now(),
            data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H")
    try:
        summary = wait_for_execution(monitor)
        assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary
        violations = monitor.list_executions()[-1].constraint_violations().body_dict["violations"]
        flagged = {v["feature_name"] for v in violations}
        assert flagged == {"probability"}  # the script undid f1's shift; the predictions still moved
        job_name = summary["ProcessingJobArn"].rsplit("/", 1)[-1]
        logs = env["session"].boto_session.client("logs")
        streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/ProcessingJobs",
                                            logStreamNamePrefix=job_name)["logStreams"]
        events = logs.get_log_events(logGroupName="/aws/sagemaker/ProcessingJobs",
                                     logStreamName=streams[0]["logStreamName"])["events"]
        messages = [e["message"] for e in events]
        assert "post-analytics ran after the analysis" in messages
        assert sum(m.startswith("preprocessing ") for m in messages) == len(drifted_traffic)
    finally:
        monitor.delete_monitoring_schedule()


def test_a_window_without_captured_requests_fails_with_job_inputs_had_no_data(env, baseline, drifted_traffic):
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    monitor = DefaultModelMonitor(ROLE, instance_count=1, instance_type="ml.m5.xlarge",
                                  sagemaker_session=env["session"])
    monitor.create_monitoring_schedule(
        endpoint_input=env["predictor"].endpoint_name, output_s3_uri=f"s3://{env['bucket']}/empty-window",
        statistics=baseline["monitor"].baseline_statistics(), constraints=baseline["monitor"].suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.now(),
        data_analysis_start_time="-PT3H", data_analysis_end_time="-PT2H")
    try:
        summary = wait_for_execution(monitor)
        assert summary["MonitoringExecutionStatus"] == "Failed"
        assert summary["FailureReason"].startswith("Job inputs had no data"), summary
    finally:
        monitor.delete_monitoring_schedule()


@pytest.fixture(scope="module")
def clarify_data(env, aws):
    x, y = env["x"], env["y"]
    frame = pd.DataFrame(x, columns=FEATURES)
    frame.insert(0, "label", y)
    frame.insert(0, "id", [f"c{i:03d}" for i in range(len(frame))])
    frame["group"] = (x[:, 2] > 0.3).astype(int)
    aws.client("s3").put_object(Bucket=env["bucket"], Key="clarify/data/data.csv",
                                Body=frame.to_csv(index=False, header=False).encode())
    return frame


def analysis_of(aws, env, name: str) -> dict:
    return json.loads(s3_object(aws, f"s3://{env['bucket']}/clarify/{name}/analysis.json"))


def metrics(section: dict, facet: str) -> dict[str, float]:
    return {m["name"]: m["value"] for m in section["facets"][facet][0]["metrics"]}


def test_clarify_bias_and_explainability(aws, env, clarify_data):
    from sagemaker import clarify

    frame, bucket = clarify_data, env["bucket"]
    processor = clarify.SageMakerClarifyProcessor(ROLE, instance_count=1, instance_type="ml.m5.xlarge",
                                                  sagemaker_session=env["session"])

    def data_config(name: str, **extra) -> clarify.DataConfig:
        return clarify.DataConfig(s3_data_input_path=f"s3://{bucket}/clarify/data/data.csv",
                                  s3_output_path=f"s3://{bucket}/clarify/{name}", label="label",
                                  headers=list(frame.columns), dataset_type="text/csv", joinsource="id", **extra)

    bias = clarify.BiasConfig(label_values_or_threshold=[1], facet_name="group", facet_values_or_threshold=[1])
    model = clarify.ModelConfig(model_name=env["model_name"], instance_type="ml.m5.xlarge", instance_count=1,
                                accept_type="text/csv", content_type="text/csv")
    predicted = clarify.ModelPredictedLabelConfig(probability_threshold=0.5)
    d = frame.group.to_numpy() == 1
    y = frame.label.to_numpy()
    probabilities = env["model"].predict_proba(frame[FEATURES].to_numpy())[:, 1]
    labels = probabilities > 0.5

    with timed("run_pre_training_bias"):
        processor.run_pre_training_bias(data_config("pre"), bias, methods="all", wait=True, logs=False)
    pre = metrics(analysis_of(aws, env, "pre")["pre_training_bias_metrics"], "group")
    assert pre["CI"] == pytest.approx(((~d).sum() - d.sum()) / len(d))
    assert pre["DPL"] == pytest.approx(y[~d].mean() - y[d].mean())

    # the facet is not a model input: exclude it (and the join column is never sent)
    with timed("run_post_training_bias"):
        processor.run_post_training_bias(data_config("post", excluded_columns=["group"]), bias, model, predicted,
                                         methods="all", wait=True, logs=False)
    post = metrics(analysis_of(aws, env, "post")["post_training_bias_metrics"], "group")
    assert post["DPPL"] == pytest.approx(labels[~d].mean() - labels[d].mean())
    correct = labels == (y == 1)
    assert post["AD"] == pytest.approx(correct[~d].mean() - correct[d].mean())

    with timed("run_bias"):
        processor.run_bias(data_config("bias", excluded_columns=["group"]), bias, model, predicted,
                           wait=True, logs=False)
    both = analysis_of(aws, env, "bias")
    assert metrics(both["pre_training_bias_metrics"], "group") == pytest.approx(pre)
    assert metrics(both["post_training_bias_metrics"], "group")["DI"] == pytest.approx(
        labels[d].mean() / labels[~d].mean())

    # log-odds of a logistic regression are linear: Kernel SHAP is exact, coef * (x - baseline)
    shap = clarify.SHAPConfig(baseline=[[0.0, 0.0, 0.0, 0.0]], num_samples=64, agg_method="mean_abs",
                              use_logit=True)
    with timed("run_explainability"):
        processor.run_explainability(data_config("explain", excluded_columns=["group"]), model, shap,
                                     wait=True, logs=False)
    explanation = analysis_of(aws, env, "explain")["explanations"]["kernel_shap"]["label0"]
    expected_local = frame[FEATURES].to_numpy() * env["model"].coef_[0]
    assert explanation["expected_value"] == pytest.approx(env["model"].intercept_[0], abs=1e-4)
    assert [explanation["global_shap_values"][f] for f in FEATURES] == pytest.approx(
        np.abs(expected_local).mean(axis=0), rel=1e-3)
    local = pd.read_csv(io.BytesIO(s3_object(aws, f"s3://{bucket}/clarify/explain/explanations_shap/out.csv")))
    assert list(local.columns) == ["id", *FEATURES]
    assert local.id.tolist() == frame.id.tolist()
    assert local[FEATURES].to_numpy() == pytest.approx(expected_local, rel=1e-3, abs=1e-4)


def test_clarify_model_failure_is_a_client_error_naming_the_columns_sent(env, clarify_data):
    from sagemaker import clarify

    processor = clarify.SageMakerClarifyProcessor(ROLE, instance_count=1, instance_type="ml.m5.xlarge",
                                                  sagemaker_session=env["session"])
    data = clarify.DataConfig(s3_data_input_path=f"s3://{env['bucket']}/clarify/data/data.csv",
                              s3_output_path=f"s3://{env['bucket']}/clarify/broken", label="label",
                              headers=list(clarify_data.columns), dataset_type="text/csv", joinsource="id")
    model = clarify.ModelConfig(model_name=env["model_name"], instance_type="ml.m5.xlarge", instance_count=1,
                                accept_type="text/csv", content_type="text/csv")
    from sagemaker.exceptions import UnexpectedStatusException

    with pytest.raises(UnexpectedStatusException) as failed:
        processor.run_explainability(data, model, clarify.SHAPConfig(baseline=[[0, 0, 0, 0, 0]], num_samples=8),
                                     wait=True, logs=False)
    reason = processor.jobs[-1].describe()["FailureReason"]
    assert reason.startswith("ClientError: the model failed on the records Clarify sent it"), reason
    assert "f0, f1, f2, f3, group" in reason
    assert "Failed" in str(failed.value)
