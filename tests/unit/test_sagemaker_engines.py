"""SageMaker engines and declared state, without a server: pipeline documents, Autopilot's plan, analysis images."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from emulators.sagemaker.api.state import DeclaredState, ModelVersion, SageMakerExtras, TuningTrial
from emulators.sagemaker.engines import analysis, automl_plan, pipeline_definition


# ---------------------------------------------------------------- pipeline definitions
def test_parameters_take_defaults_and_typed_overrides():
    definition = pipeline_definition.parse_definition(
        '{"Parameters": [{"Name": "Epochs", "Type": "Integer", "DefaultValue": 3},'
        ' {"Name": "Rate", "Type": "Float", "DefaultValue": 0.1},'
        ' {"Name": "Deploy", "Type": "Boolean", "DefaultValue": false},'
        ' {"Name": "Bucket", "Type": "String", "DefaultValue": "lake"}]}')
    values = pipeline_definition.resolve_parameters(definition, [{"Name": "Epochs", "Value": "7"},
                                                                 {"Name": "Deploy", "Value": "true"}])
    assert values == {"Epochs": 7, "Rate": 0.1, "Deploy": True, "Bucket": "lake"}


@pytest.mark.parametrize("given, message", [
    ([{"Name": "Nope", "Value": "1"}], "is not defined"),
    ([{"Name": "Epochs", "Value": "many"}], "cannot be"),
])
def test_bad_parameters_are_refused(given, message):
    definition = {"Parameters": [{"Name": "Epochs", "Type": "Integer", "DefaultValue": 1}]}
    with pytest.raises(ValueError, match=message):
        pipeline_definition.resolve_parameters(definition, given)


def test_a_parameter_without_default_must_be_given():
    with pytest.raises(ValueError, match="no DefaultValue"):
        pipeline_definition.resolve_parameters({"Parameters": [{"Name": "Input"}]}, [])


def test_definition_must_be_a_json_object():
    with pytest.raises(ValueError, match="not valid JSON"):
        pipeline_definition.parse_definition("{")
    with pytest.raises(ValueError, match="JSON object"):
        pipeline_definition.parse_definition("[]")


def test_property_paths_walk_lists_by_name():
    described = {"ProcessingOutputConfig": {"Outputs": [
        {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}},
        {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/test"}}]},
        "FinalMetricDataList": [{"MetricName": "loss", "Value": 0.25}]}
    assert pipeline_definition.walk(described, "ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri") == "s3://b/test"
    assert pipeline_definition.walk(described, "FinalMetricDataList['loss'].Value") == 0.25
    assert pipeline_definition.walk(described, "ProcessingOutputConfig.Outputs[0].OutputName") == "train"
    with pytest.raises(KeyError):
        pipeline_definition.walk(described, "ProcessingOutputConfig.Outputs['missing']")


def test_references_and_comparisons():
    arguments = {"A": {"Get": "Parameters.X"}, "B": [{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}]}
    assert pipeline_definition.references(arguments) == ["Parameters.X", "Steps.Train.ModelArtifacts.S3ModelArtifacts"]
    assert pipeline_definition.compare("10", 9.5) == 1  # numbers compare as numbers
    assert pipeline_definition.compare("abc", "abd") == -1
    assert pipeline_definition.text(True) == "true"


def test_arguments_are_coerced_to_the_operation_shapes():
    coerced = pipeline_definition.coerce_to_request("CreateTrainingJob", {
        "HyperParameters": {"epochs": 5}, "ResourceConfig": {"InstanceCount": "1", "VolumeSizeInGB": 30},
        "EnableNetworkIsolation": "false"})
    assert coerced["HyperParameters"] == {"epochs": "5"}
    assert coerced["ResourceConfig"]["InstanceCount"] == 1
    assert coerced["EnableNetworkIsolation"] is False


def test_pipeline_names_and_execution_ids_from_arns():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn/execution/abc123"
    assert pipeline_definition.pipeline_name(arn) == "churn"
    assert pipeline_definition.pipeline_name("churn") == "churn"
    assert pipeline_definition.execution_id(arn) == "abc123"


# ---------------------------------------------------------------- Autopilot's plan
def test_candidate_plan_is_deterministic_and_starts_with_defaults():
    config = {"CompletionCriteria": {"MaxCandidates": 6}}
    plan = automl_plan.candidate_plan(config, "job-a")
    assert plan == automl_plan.candidate_plan(config, "job-a")
    assert [algorithm for algorithm, _ in plan] == (automl_plan.ALGORITHMS[:4] * 2)[:6]
    assert all(params == {} for _, params in plan[:4])
    assert all(params for _, params in plan[4:])


def test_candidate_plan_uses_the_chosen_algorithms():
    config = {"CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["xgboost"]}]},
              "CompletionCriteria": {"MaxCandidates": 2}}
    assert [a for a, _ in automl_plan.candidate_plan(config, "x")] == ["xgboost", "xgboost"]
    assert automl_plan.max_candidates({}) == automl_plan.DEFAULT_MAX_CANDIDATES


@pytest.mark.parametrize("values, expected", [
    ([0, 1, 1, 0], "BinaryClassification"),
    (["a", "b", "c", "a"], "MulticlassClassification"),
    ([1, 2, 3, 4, 5], "MulticlassClassification"),
    ([0.5, 1.7, 2.2, 3.9], "Regression"),
])
def test_problem_type_is_inferred_from_the_target(values, expected):
    assert automl_plan.infer_problem_type(pd.Series(values)) == expected


def test_the_candidate_script_is_the_runtime_module():
    assert automl_plan.CANDIDATE_SCRIPT.is_file()
    assert automl_plan.CANDIDATE_SCRIPT.parent.name == "runtime"


# ---------------------------------------------------------------- analysis images
@pytest.mark.parametrize("image, kind", [
    ("156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer", "model-monitor"),
    ("205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0", "clarify"),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", None),
])
def test_analysis_images_are_recognised(image, kind):
    assert analysis.analysis_image(image) == kind


# ---------------------------------------------------------------- declared state
class _Backend:
    extras = DeclaredState(SageMakerExtras)


def test_declared_state_is_made_once_and_pickled_with_its_owner():
    backend = _Backend()
    backend.extras.tuning_trials["arn:job"] = TuningTrial(tuning_job_arn="arn:tuning", objective_metric="auc")
    backend.extras.model_versions["arn:package"] = ModelVersion(group="churn", version="1")
    assert backend.extras is backend.extras
    restored = pickle.loads(pickle.dumps(backend))
    assert restored.extras.tuning_trials["arn:job"].objective_metric == "auc"
    assert restored.extras.model_versions["arn:package"] == ModelVersion(group="churn", version="1")
    assert _Backend().extras.tuning_trials == {}  # each owner has its own


# ---------------------------------------------------------------- built-in algorithms
def test_xgboost_training_trains_without_importing_scikit_learn(tmp_path):
    """The built-in XGBoost's training process leaves scikit-learn (and SciPy) unimported: xgboost imports them
    only for its scikit-learn estimators; scikit-learn stays importable afterwards."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import numpy as np\n"
        "from pathlib import Path\n"
        "from emulators.sagemaker.runtime.builtin_algorithms import train_xgboost\n"
        "rows = np.random.default_rng(0).random((60, 3)); rows[:, 0] = rows[:, 1] > 0.5\n"
        "train_xgboost({'num_round': '3', 'objective': 'binary:logistic'}, {'train': rows}, Path(sys.argv[1]))\n"
        "assert 'sklearn' not in sys.modules and 'scipy.stats' not in sys.modules, 'scikit-learn was imported'\n"
        "assert Path(sys.argv[1], 'xgboost-model').stat().st_size > 0\n"
        "import sklearn\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
