"""SageMaker engines without the cloud: images, archives, S3 key layout, metrics, the tuner, hosting defaults."""

from __future__ import annotations

import io
import json
import math
import tarfile
from pathlib import Path

import numpy as np
import pytest

from emulators.sagemaker import container
from emulators.sagemaker.container import ContainerError
from emulators.sagemaker.engines import hosting, training, tuning
from emulators.sagemaker.runtime import builtin_algorithms


@pytest.mark.parametrize("image,hps,expected", [
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", {}, ("script", "sklearn")),
    ("746614075791.dkr.ecr.eu-west-2.amazonaws.com/sagemaker-scikit-learn:0.23-1-cpu-py3", {}, ("script", "sklearn")),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
     {"sagemaker_program": '"t.py"'}, ("script", "xgboost")),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", {"num_round": "3"}, ("builtin", "xgboost")),
    ("811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:latest", {}, ("builtin", "xgboost")),
    ("382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1", {}, ("builtin", "linear-learner")),
    ("664544806723.dkr.ecr.eu-central-1.amazonaws.com/kmeans:1", {}, ("builtin", "kmeans")),
    ("382416733822.dkr.ecr.us-east-1.amazonaws.com/pca@sha256:abc", {}, ("builtin", "pca")),
])
def test_images_map_to_local_runners(image, hps, expected):
    runner = training.resolve_image(image, hps)
    assert (runner.kind, runner.name) == expected


def test_unknown_image_names_what_runs():
    with pytest.raises(ContainerError) as err:
        training.resolve_image("123.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-gpu")
    assert "sagemaker-scikit-learn" in str(err.value) and "Docker" in str(err.value)


def tar_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("bad", ["../evil.py", "/etc/evil", "a/../../evil"])
def test_safe_extract_refuses_escaping_members(tmp_path, bad):
    with pytest.raises(ContainerError):
        container.safe_extract(tar_of({"ok.py": b"1", bad: b"2"}), tmp_path / "x")
    assert not (tmp_path / "evil.py").exists()


def test_safe_extract_and_pack_round_trip(tmp_path):
    container.safe_extract(tar_of({"a.txt": b"A", "sub/b.txt": b"B", "./c.txt": b"C"}), tmp_path / "in")
    packed = container.pack_folder(tmp_path / "in")
    container.safe_extract(packed, tmp_path / "out")
    assert (tmp_path / "out/sub/b.txt").read_bytes() == b"B" and (tmp_path / "out/c.txt").read_bytes() == b"C"


@pytest.mark.parametrize("key,prefix,expected", [
    ("data/train/a.csv", "data/train/", "a.csv"),
    ("data/train/a.csv", "data/train", "a.csv"),
    ("data/train/x/a.csv", "data/train", "x/a.csv"),
    ("code/p.py", "code/p.py", "p.py"),
    ("data/train-2024.csv", "data/train", "train-2024.csv"),
])
def test_s3_keys_land_below_the_channel_as_sagemaker_lays_them_out(key, prefix, expected):
    assert container.relative_key(key, prefix) == expected


def test_training_environment_and_arguments(tmp_path):
    folder = container.new_job_folder(tmp_path, "job-1")
    hps = {"sagemaker_program": '"train.py"', "epochs": "5", "lr": "0.1", "name": '"abc"', "_tuning_objective_metric": "x"}
    channels = [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/k"}}}]
    container.write_training_config(folder, hps, channels, {"InstanceType": "ml.m5.large"})
    env = container.training_environment(folder, "job-1", hps, channels, {}, "train.py", "http://127.0.0.1:1",
                                         "us-east-1")
    assert env["SM_CHANNEL_TRAIN"] == str(folder.root / "input/data/train")
    assert env["SM_MODEL_DIR"] == str(folder.root / "model")
    assert json.loads(env["SM_HPS"]) == {"epochs": 5, "lr": 0.1, "name": "abc"}
    assert env["SM_HP_NAME"] == "abc" and env["SM_CURRENT_HOST"] == "algo-1"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1" and env["TRAINING_JOB_NAME"] == "job-1"
    assert container.hyperparameter_arguments(hps) == ["--epochs", "5", "--lr", "0.1", "--name", "abc"]
    config = json.loads((folder.config / "inputdataconfig.json").read_text())
    assert config["train"]["TrainingInputMode"] == "File"


def test_script_paths_are_rewritten_to_the_job_folder(tmp_path):
    folder = container.new_job_folder(tmp_path, "job")
    script = folder.code / "s.py"
    script.write_text("open('/opt/ml/model/m.bin', 'w')\nx = \"/opt/ml/input/data/train\"\nother = '/opt/mlx'\n")
    container.rewrite_script(script, folder)
    text = script.read_text()
    assert f"'{folder.root}/model/m.bin'" in text and f'"{folder.root}/input/data/train"' in text
    assert "'/opt/mlx'" in text
    assert folder.map_path("/opt/ml/processing/input") == f"{folder.root}/processing/input"
    assert folder.map_path("/tmp/x") == "/tmp/x"


def test_failure_reason_keeps_the_exception_within_1024_characters(tmp_path):
    folder = container.new_job_folder(tmp_path, "job")
    lines = ["x" * 300] * 10 + ["ValueError: the real problem"]
    reason = container.failure_reason(folder, 1, lines)
    assert len(reason) <= 1024 and "ValueError: the real problem" in reason
    folder.failure.write_text("y" * 2000)
    assert container.failure_reason(folder, 1, lines) == "y" * 1024


def test_metric_definitions_of_builtin_xgboost_match_its_log_lines():
    history: dict[str, list[float]] = {}
    for line in ["[0]#011train-auc:0.80000#011validation-auc:0.70000",
                 "[1]#011train-auc:0.85000#011validation-auc:0.75000"]:
        training.metric_history(builtin_algorithms.metric_definitions("xgboost"), line, history)
    assert history == {"train:auc": [0.8, 0.85], "validation:auc": [0.7, 0.75]}
    history = {}
    training.metric_history(builtin_algorithms.metric_definitions("linear-learner"),
                            "#quality_metric: host=algo-1, validation binary_f_beta <score>=0.5", history)
    assert history == {"validation:binary_f_beta": [0.5]}


def test_sampler_honours_ranges_and_scaling():
    config = {"Strategy": "Random", "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "m"},
              "ParameterRanges": {
                  "IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "1000",
                                              "ScalingType": "Logarithmic"}],
                  "ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.0001", "MaxValue": "1",
                                                 "ScalingType": "Logarithmic"},
                                                {"Name": "momentum", "MinValue": "0.9", "MaxValue": "0.9999",
                                                 "ScalingType": "ReverseLogarithmic"}],
                  "CategoricalParameterRanges": [{"Name": "kind", "Values": ["a", "b"]}]}}
    tuning.validate_ranges(config)
    sampler = tuning.Sampler(config, seed=1)
    values = [sampler.ask()[1] for _ in range(200)]
    lrs = [float(v["lr"]) for v in values]
    assert all(0.0001 <= x <= 1 for x in lrs)
    assert sum(x < 0.01 for x in lrs) > 60  # log scale: half the draws below the geometric middle
    assert all(0.9 <= float(v["momentum"]) <= 0.9999 for v in values)
    assert all(1 <= int(v["n"]) <= 1000 for v in values) and {v["kind"] for v in values} == {"a", "b"}


@pytest.mark.parametrize("change,message", [
    (lambda r: r["ContinuousParameterRanges"][0].update(MinValue="0"), "Logarithmic"),
    (lambda r: r["ContinuousParameterRanges"][0].update(MinValue="5"), "greater than"),
    (lambda r: r.clear(), "at least one range"),
])
def test_invalid_ranges(change, message):
    ranges = {"ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.1", "MaxValue": "1",
                                             "ScalingType": "Logarithmic"}]}
    change(ranges)
    with pytest.raises(tuning.TuningError, match=message):
        tuning.validate_ranges({"ParameterRanges": ranges})


def test_tuner_respects_parallelism_and_stops_bad_jobs_early():
    """Fake jobs: 'bad' reports low objectives; with Auto early stopping it is stopped mid-way."""
    config = {"Strategy": "Grid", "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "m"},
              "ResourceLimits": {"MaxNumberOfTrainingJobs": 10, "MaxParallelTrainingJobs": 2},
              "TrainingJobEarlyStoppingType": "Auto",
              "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "kind",
                                                                  "Values": ["good1", "good2", "bad"]}]}}
    jobs: dict[str, dict] = {}
    running_peak = []
    order: list[str] = []

    def start_job(index, values):
        name = f"job-{index}"
        jobs[name] = {"kind": values["kind"], "steps": 0, "stopped": False}
        order.append(values["kind"])
        return name

    def job_state(name):
        job = jobs[name]
        if job["stopped"]:
            return "Stopped", job["history"]
        job["steps"] += 1
        base = 0.9 if job["kind"].startswith("good") else 0.1
        job["history"] = [base + 0.01 * i for i in range(job["steps"])]
        running_peak.append(sum(1 for j in jobs.values() if not j.get("done") and not j["stopped"]))
        if job["steps"] >= 6:
            job["done"] = True
            return "Completed", job["history"]
        return "InProgress", job["history"]

    def stop_job(name):
        jobs[name]["stopped"] = True

    outcome = tuning.run_tuning(config, start_job, job_state, stop_job, should_stop=lambda: False,
                                on_change=lambda o: None, poll_seconds=0.0)
    assert len(outcome.trials) == 3  # the grid has 3 points
    assert max(running_peak) <= 2
    assert outcome.best is not None and outcome.best.hyperparameters["kind"].startswith("good")
    bad = next(t for t in outcome.trials if t.hyperparameters["kind"] == "bad")
    assert order == ["good1", "good2", "bad"]  # Grid: every combination once, in order
    assert bad.early_stopped and bad.status == "Stopped"  # worse than the median of the finished peers
    assert len(bad.history) == 3
    assert math.isclose(outcome.best.objective, 0.95)


@pytest.mark.slow
def test_default_handlers_encode_csv_and_json(tmp_path):
    from sklearn.linear_model import LinearRegression
    import joblib

    x = np.arange(20, dtype=float).reshape(10, 2)
    model = LinearRegression().fit(x, x[:, 0] * 2 + x[:, 1])
    (tmp_path / "model").mkdir()
    joblib.dump(model, tmp_path / "model" / "model.joblib")
    served = hosting.FrameworkModel("sklearn", tmp_path / "model", None)
    body, ctype = served.invoke(b"1,2\n3,4", "text/csv", "application/json")
    assert ctype == "application/json" and np.allclose(json.loads(body), model.predict([[1, 2], [3, 4]]))
    body, ctype = served.invoke(json.dumps([[1, 2]]).encode(), "application/json", "text/csv")
    assert ctype == "text/csv" and math.isclose(float(body), model.predict([[1, 2]])[0])
    with pytest.raises(hosting.ModelError):
        served.invoke(b"<xml/>", "application/xml", "text/csv")


def test_batch_transform_splitting():
    from emulators.sagemaker.engines import transform

    records = transform.split_records(b"a\n\nb\nc\n", "Line")
    assert records == [b"a", b"b", b"c"]
    assert transform.batches(records, "MultiRecord", 4) == [[b"a", b"b"], [b"c"]]
    assert transform.batches(records, "SingleRecord", 100) == [[b"a"], [b"b"], [b"c"]]


def test_builtin_algorithm_reads_parquet_and_reports_bad_content_types(tmp_path: Path):
    import pandas as pd

    (tmp_path / "c").mkdir()
    pd.DataFrame({"label": [0, 1], "f": [0.5, 1.5]}).to_parquet(tmp_path / "c" / "p.parquet")
    matrix = builtin_algorithms.read_channel(tmp_path / "c", "application/x-parquet")
    assert matrix.tolist() == [[0.0, 0.5], [1.0, 1.5]]
    with pytest.raises(builtin_algorithms.AlgorithmError, match="recordio"):
        builtin_algorithms.read_channel(tmp_path / "c", "application/x-recordio-protobuf")


class FakeS3:
    """The S3Access interface over a dict (engines only see this interface)."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects = objects

    def list(self, bucket, prefix=""):
        from emulators.core.s3access import S3Object

        return [S3Object(k, len(v), "", None) for (b, k), v in sorted(self.objects.items())
                if b == bucket and k.startswith(prefix)]

    def get(self, bucket, key):
        return self.objects[(bucket, key)]

    def put(self, bucket, key, body, content_type=None):
        self.objects[(bucket, key)] = body


def test_channels_from_prefix_and_manifest(tmp_path):
    s3 = FakeS3({("b", "train/a.csv"): b"1", ("b", "train/sub/b.csv"): b"2", ("b", "other/c.csv"): b"3",
                 ("b", "m.json"): json.dumps([{"prefix": "s3://b/other/"}, "c.csv"]).encode()})
    folder = container.new_job_folder(tmp_path, "job")
    container.download_channels(s3, folder, [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://b/train", "S3DataDistributionType": "ShardedByS3Key"}}},
        {"ChannelName": "extra", "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile",
                                                                 "S3Uri": "s3://b/m.json"}}}])
    assert (folder.channel("train") / "a.csv").read_bytes() == b"1"
    assert (folder.channel("train") / "sub" / "b.csv").read_bytes() == b"2"
    assert (folder.channel("extra") / "c.csv").read_bytes() == b"3"
    with pytest.raises(ContainerError, match="No S3 objects"):
        container.download_prefix(s3, "s3://b/none/", tmp_path / "x")
    assert container.upload_folder(s3, folder.channel("train"), "s3://b/copy/") == 2
    assert s3.get("b", "copy/sub/b.csv") == b"2"


def test_transform_data_processing_on_json_records():
    from emulators.sagemaker.engines import transform

    processing = transform.DataProcessing({"InputFilter": "$.features", "JoinSource": "Input",
                                           "OutputFilter": "$['id','SageMakerOutput']"},
                                          "application/jsonlines", "application/json")
    record = b'{"id": 7, "features": [1.5, 2.0], "note": "x"}'
    assert json.loads(processing.filter_input(record)) == [1.5, 2.0]
    assert json.loads(processing.output(record, b'{"score": 0.25}')) == {"id": 7, "SageMakerOutput": {"score": 0.25}}
    assert transform.split_results(b'{"predictions": [{"score": 1}, {"score": 2}]}', 2) == [
        b'{"score": 1}', b'{"score": 2}']
    with pytest.raises(ContainerError, match="one result per record"):
        transform.split_results(b"0.1", 2)
    csv_only = transform.DataProcessing({"OutputFilter": "$[-1]"}, "text/csv", "text/csv")
    assert csv_only.output(b"a,b", b"0.1,0.9") == b"0.9"
    for bad in ("features", "$[x]", "$..a"):
        with pytest.raises(ValueError):
            transform.parse_path(bad)
