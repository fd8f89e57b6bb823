"""The Model Monitor analyzer and the Clarify analysis, as engines (no sandbox needed)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from emulators.sagemaker.engines import clarify, model_monitor
from emulators.sagemaker.engines.model_monitor import AnalyzerError


@pytest.fixture
def baseline_frame():
    rng = np.random.default_rng(1)
    n = 400
    return pd.DataFrame({
        "label": (rng.random(n) > 0.7).astype(int),
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50, 10, n).round(3),
        "plan": rng.choice(["basic", "plus", "pro"], n),
    })


def run_baseline(tmp_path, frame):
    (tmp_path / "in").mkdir()
    frame.to_csv(tmp_path / "in" / "train.csv", index=False)
    env = {"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
           "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
           "output_path": "/opt/ml/processing/output"}
    summary = model_monitor.run_analyzer(env, lambda p: tmp_path / ("in" if "input" in p else "out"))
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    constraints = json.loads((tmp_path / "out" / "constraints.json").read_text())
    return summary, stats, constraints


def test_baseline_statistics_and_suggested_constraints(tmp_path, baseline_frame):
    summary, stats, constraints = run_baseline(tmp_path, baseline_frame)
    assert summary["files"] == ["statistics.json", "constraints.json"]
    assert stats["dataset"]["item_count"] == 400
    by_name = {f["name"]: f for f in stats["features"]}
    assert [f["name"] for f in stats["features"]] == ["label", "age", "income", "plan"]
    income = by_name["income"]
    assert income["inferred_type"] == "Fractional"
    numbers = income["numerical_statistics"]
    assert numbers["mean"] == pytest.approx(baseline_frame.income.mean())
    assert numbers["std_dev"] == pytest.approx(baseline_frame.income.std(ddof=0))
    assert numbers["min"] == baseline_frame.income.min() and numbers["max"] == baseline_frame.income.max()
    assert sum(b["count"] for b in numbers["distribution"]["kll"]["buckets"]) == 400
    assert by_name["age"]["inferred_type"] == "Integral"
    plan = by_name["plan"]["string_statistics"]
    assert plan["distinct_count"] == 3
    assert {b["value"]: b["count"] for b in plan["distribution"]["categorical"]["buckets"]} == \
        baseline_frame.plan.value_counts().to_dict()
    suggested = {f["name"]: f for f in constraints["features"]}
    assert suggested["plan"]["string_constraints"]["domains"] == ["basic", "plus", "pro"]
    assert suggested["income"]["completeness"] == 1.0
    assert constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1


def capture_lines(rows, outputs):
    for row, output in zip(rows, outputs):
        yield json.dumps({"captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": row, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": output,
                               "encoding": "CSV"}},
            "eventMetadata": {"eventId": "x", "inferenceTime": "2026-11-25T10:00:00Z"}, "eventVersion": "0"})


def monitor(tmp_path, lines):
    capture = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "11" / "25" / "10"
    capture.mkdir(parents=True)
    (capture / "a.jsonl").write_text("\n".join(lines) + "\n")
    env = {"dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                       "endpointOutput"]}}),
           "dataset_source": "/opt/ml/processing/input/endpoint", "output_path": "/opt/ml/processing/resultdata",
           "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
           "baseline_statistics": "/opt/ml/processing/baseline/stats/statistics.json"}
    paths = {"endpoint": tmp_path / "capture", "resultdata": tmp_path / "result",
             "constraints.json": tmp_path / "out" / "constraints.json",
             "statistics.json": tmp_path / "out" / "statistics.json"}
    summary = model_monitor.run_analyzer(env, lambda p: paths[p.rstrip("/").rsplit("/", 1)[-1]])
    report = json.loads((tmp_path / "result" / "constraint_violations.json").read_text())
    assert report["violations"] == summary["violations"]
    return {(v["feature_name"], v["constraint_check_type"]) for v in report["violations"]}


def test_data_like_the_baseline_has_no_violations(tmp_path, baseline_frame):
    run_baseline(tmp_path, baseline_frame)
    sample = baseline_frame.sample(300, random_state=2)
    rows = [f"{r.age},{r.income},{r.plan}" for r in sample.itertuples()]
    assert monitor(tmp_path, capture_lines(rows, [str(v) for v in sample.label])) == set()


def test_drift_unknown_categories_and_missing_columns_are_violations(tmp_path, baseline_frame):
    run_baseline(tmp_path, baseline_frame)
    rows = [f"{age},{income:.2f},enterprise" for age, income in zip(range(20, 70), np.linspace(90, 120, 50))]
    found = monitor(tmp_path, capture_lines(rows, ["1"] * 50))
    assert ("income", "baseline_drift_check") in found
    assert ("plan", "categorical_values_check") in found

    other = tmp_path / "second"
    other.mkdir()
    run_baseline(other, baseline_frame)
    found = monitor(other, capture_lines(["30,50.5"] * 20, ["0"] * 20))
    assert ("plan", "missing_column_check") in found


def test_a_text_value_in_a_numeric_column_is_a_data_type_violation(tmp_path, baseline_frame):
    run_baseline(tmp_path, baseline_frame)
    sample = baseline_frame.head(100)
    rows = [f"{'unknown' if i % 2 else r.age},{r.income},{r.plan}" for i, r in enumerate(sample.itertuples())]
    assert ("age", "data_type_check") in monitor(tmp_path, capture_lines(rows, [str(v) for v in sample.label]))


def test_unknown_dataset_format_is_a_client_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.csv").write_text("a\n1\n")
    env = {"dataset_format": '{"avro": {}}', "dataset_source": "/opt/ml/in", "output_path": "/opt/ml/out"}
    with pytest.raises(AnalyzerError, match="unsupported dataset_format"):
        model_monitor.run_analyzer(env, lambda p: tmp_path / p.rsplit("/", 1)[-1])


# ----------------------------------------------------------------------------- Clarify
def confusion_frame(cells_a, cells_d):
    """Rows from two confusion matrices {(predicted, actual): count} for facets a and d."""
    rows = []
    for facet, cells in (("a", cells_a), ("d", cells_d)):
        for (predicted, actual), count in cells.items():
            rows += [{"facet": facet, "label": actual, "predicted": predicted}] * count
    return pd.DataFrame(rows)


def post_metrics(frame, wanted):
    config = {"label": "label", "predicted_label": "predicted", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "facet", "value_or_threshold": ["d"]}],
              "methods": {"post_training_bias": {"methods": wanted}}}
    report = clarify.run_analysis(config, frame, None)["post_training_bias_metrics"]
    return {m["name"]: m["value"] for m in report["facets"]["facet"][0]["metrics"]}


def test_post_training_metrics_match_the_aws_documentation_examples():
    # the specificity-difference example of the Clarify guide
    frame = confusion_frame({(0, 0): 20, (0, 1): 5, (1, 0): 10, (1, 1): 65},
                           {(0, 0): 18, (0, 1): 7, (1, 0): 5, (1, 1): 20})
    values = post_metrics(frame, ["SD", "AD", "RD", "DPPL", "DI"])
    assert values["SD"] == pytest.approx(18 / 23 - 20 / 30, abs=1e-4)
    assert values["AD"] == pytest.approx(85 / 100 - 38 / 50)
    assert values["RD"] == pytest.approx(65 / 70 - 20 / 27)
    assert values["DPPL"] == pytest.approx(75 / 100 - 25 / 50)
    assert values["DI"] == pytest.approx((25 / 50) / (75 / 100))
    # the difference-in-acceptance-rates example: 35 of 70 and 40 of 100 predicted acceptances are right
    frame = confusion_frame({(1, 1): 35, (1, 0): 35}, {(1, 1): 40, (1, 0): 60})
    assert post_metrics(frame, ["DAR"])["DAR"] == pytest.approx(0.10)


def test_pre_training_metrics_by_hand():
    frame = pd.DataFrame({"gender": ["f"] * 30 + ["m"] * 70,
                          "label": [1] * 10 + [0] * 20 + [1] * 42 + [0] * 28,
                          "x": range(100)})
    config = {"label": "label", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "gender", "value_or_threshold": ["f"]}],
              "methods": {"pre_training_bias": {"methods": "all"}}}
    analysis = clarify.run_analysis(config, frame, None)
    metrics = {m["name"]: m["value"] for m in analysis["pre_training_bias_metrics"]["facets"]["gender"][0]["metrics"]}
    qa, qd = 42 / 70, 10 / 30
    assert metrics["CI"] == pytest.approx((70 - 30) / 100)
    assert metrics["DPL"] == pytest.approx(qa - qd)
    assert metrics["KL"] == pytest.approx(qa * np.log(qa / qd) + (1 - qa) * np.log((1 - qa) / (1 - qd)))
    assert metrics["TVD"] == pytest.approx(abs(qa - qd))
    assert metrics["KS"] == pytest.approx(abs(qa - qd))
    assert metrics["LP"] == pytest.approx(np.sqrt(2) * abs(qa - qd))
    assert "CDDL" not in metrics  # needs a group_variable


def test_kernel_shap_of_a_linear_model_is_exact():
    rng = np.random.default_rng(3)
    rows = pd.DataFrame(rng.normal(size=(5, 4)), columns=list("abcd"))
    weights = np.array([2.0, -1.0, 0.5, 3.0])

    def predict(frame):
        return frame.to_numpy(float) @ weights + 1.0

    baseline = pd.DataFrame([[0.1, 0.2, 0.3, 0.4]], columns=list("abcd"))
    phis, expected = clarify.kernel_shap(predict, rows, baseline)
    assert expected == pytest.approx(float((baseline.to_numpy() @ weights)[0]) + 1.0)
    assert phis == pytest.approx((rows.to_numpy() - baseline.to_numpy()) * weights, abs=1e-8)


def test_post_training_without_a_model_says_what_is_missing():
    frame = pd.DataFrame({"g": ["a", "b"], "label": [1, 0], "x": [1.0, 2.0]})
    config = {"label": "label", "label_values_or_threshold": [1], "facet": [{"name_or_index": "g"}],
              "methods": {"post_training_bias": {"methods": "all"}}}
    with pytest.raises(AnalyzerError, match="predictor.model_name"):
        clarify.run_analysis(config, frame, None)
    config["facet"] = [{"name_or_index": "nope"}]
    with pytest.raises(AnalyzerError, match="'nope' is not a column"):
        clarify.run_analysis({**config, "methods": {"pre_training_bias": {}}}, frame, None)


def test_kernel_shap_averages_several_baseline_rows_samples_coalitions_and_explains_log_odds():
    rng = np.random.default_rng(4)
    columns = [f"x{i}" for i in range(14)]  # more than 12 features: coalitions are sampled
    rows = pd.DataFrame(rng.normal(size=(6, 14)), columns=columns)
    weights = rng.normal(size=14)

    def probability(frame):
        return 1 / (1 + np.exp(-(frame.to_numpy(float) @ weights - 0.3)))

    baseline = pd.DataFrame(rng.normal(size=(3, 14)), columns=columns)
    phis, expected = clarify.kernel_shap(probability, rows, baseline, num_samples=400, use_logit=True)
    # log-odds are linear, but averaging over 3 baseline rows happens before the logit: check additivity
    full = np.log(probability(rows) / (1 - probability(rows)))
    assert phis.sum(axis=1) == pytest.approx(full - expected)
    mean_p = probability(baseline).mean()
    assert expected == pytest.approx(np.log(mean_p / (1 - mean_p)))

    one = baseline.iloc[:1]
    phis, expected = clarify.kernel_shap(probability, rows, one, num_samples=400, use_logit=True)
    assert phis == pytest.approx((rows.to_numpy() - one.to_numpy()) * weights, abs=1e-6)


def test_clarify_writes_local_shap_values_keyed_by_the_join_column(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "label": [1, 0, 1], "x": [1.0, 2.0, 3.0], "z": [0.5, 0.0, 1.0],
                          "skip": [9, 9, 9]})
    (tmp_path / "data.csv").write_text(frame.to_csv(index=False, header=False))
    config = {"dataset_type": "text/csv", "headers": list(frame.columns), "label": "label",
              "joinsource_name_or_index": "id", "excluded_columns": ["skip"],
              "methods": {"shap": {"baseline": [[0.0, 0.0]], "save_local_shap_values": True},
                          "report": {"name": "report"}}}
    (tmp_path / "analysis_config.json").write_text(json.dumps(config))
    sent = []

    def predict(features):
        sent.append(list(features.columns))
        return features.to_numpy(float) @ np.array([2.0, -1.0])

    analysis = clarify.run_clarify(tmp_path / "analysis_config.json", tmp_path / "data.csv", tmp_path / "out", predict)
    assert all(columns == ["x", "z"] for columns in sent)
    local = pd.read_csv(tmp_path / "out" / "explanations_shap" / "out.csv")
    assert list(local.columns) == ["id", "x", "z"]
    assert local[["x", "z"]].to_numpy() == pytest.approx(frame[["x", "z"]].to_numpy() * [2.0, -1.0])
    assert analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]["x"] == pytest.approx(4.0)

    config["methods"]["shap"]["baseline"] = "s3://bucket/baseline.csv"
    with pytest.raises(AnalyzerError, match="S3 URI is not emulated"):
        clarify.run_analysis(config, clarify.read_dataset(tmp_path / "data.csv", config), predict)

    def broken(features):
        raise ValueError("X has 2 features, but the model is expecting 3")

    with pytest.raises(AnalyzerError, match=r"ClientError: the model failed .*\(2 feature columns: x, z;"):
        clarify.run_analysis(config, clarify.read_dataset(tmp_path / "data.csv", config), broken)


def test_record_preprocessor_results_become_rows():
    names = ["probability", "a", "b"]
    assert model_monitor._preprocessed_rows({"b": 2, "probability": 0.5, "a": 1}, names) == [["0.5", "1", "2"]]
    assert model_monitor._preprocessed_rows({"0002": "z", "0001": "y"}, names) == [["y", "z"]]
    assert model_monitor._preprocessed_rows([{"a": 1}, {"a": 2}], names) == [["1"], ["2"]]
    assert model_monitor._preprocessed_rows([0.5, 1, 2], names) == [["0.5", "1", "2"]]
    assert model_monitor._preprocessed_rows([], names) == []


def test_captured_data_outside_the_window_is_job_inputs_had_no_data(tmp_path):
    event = {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                               "data": "1,2", "encoding": "CSV"}},
             "eventMetadata": {"eventId": "e1", "inferenceTime": "2024-01-01T10:00:00Z"}, "eventVersion": "0"}
    (tmp_path / "in" / "ep").mkdir(parents=True)
    (tmp_path / "in" / "ep" / "data.jsonl").write_text(json.dumps(event) + "\n")
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "constraints.json").write_text(json.dumps({"features": [
        {"name": "a", "inferred_type": "Integral"}, {"name": "b", "inferred_type": "Integral"}]}))
    env = {"dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}),
           "dataset_source": "/opt/ml/processing/input/endpoint", "output_path": "/opt/ml/processing/output",
           "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
           "start_time": "2024-01-01T11:00:00Z", "end_time": "2024-01-01T12:00:00Z"}

    def resolve(path):
        return tmp_path / ("in" if "input" in path else "out" if "output" in path else "base/constraints.json")

    with pytest.raises(AnalyzerError, match="^Job inputs had no data"):
        model_monitor.run_analyzer(env, resolve)
    env["start_time"] = "2024-01-01T09:00:00Z"
    assert model_monitor.run_analyzer(env, resolve)["violations"] == []
