"""Autopilot's plan on tabular data: the problem type, the objective, the candidates and the dataset.

Plain functions: which problem a target column is (binary, multiclass,
regression), which algorithms and hyperparameters the candidates take (a small
grid per algorithm, drawn with the job name as seed), and the training data
under an S3 prefix as one DataFrame. The candidates themselves run
:mod:`emulators.sagemaker.runtime.automl_candidate` as training jobs.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from emulators.sagemaker import container

DEFAULT_MAX_CANDIDATES = 5
CANDIDATE_SCRIPT = Path(__file__).resolve().parents[1] / "runtime" / "automl_candidate.py"
SKLEARN_IMAGE = "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ALGORITHMS = ["xgboost", "linear-learner", "randomforest", "lightgbm", "extra-trees", "catboost", "nn-torch", "fastai"]
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
OBJECTIVES = {
    "BinaryClassification": ("F1", ["F1", "Accuracy", "AUC", "Precision", "Recall", "BalancedAccuracy", "LogLoss"]),
    "MulticlassClassification": ("Accuracy", ["Accuracy", "F1macro", "PrecisionMacro", "RecallMacro",
                                              "BalancedAccuracy", "LogLoss"]),
    "Regression": ("MSE", ["MSE", "RMSE", "MAE", "R2"]),
}
MINIMIZED = {"MSE", "RMSE", "MAE", "LogLoss"}
# a small grid per algorithm; candidate i of an algorithm takes draw i (seeded by the job name)
GRIDS: dict[str, dict[str, list[Any]]] = {
    "xgboost": {"n_estimators": [50, 100, 200], "max_depth": [3, 4, 6], "learning_rate": [0.05, 0.1, 0.3]},
    "linear-learner": {"C": [0.1, 1.0, 10.0], "alpha": [0.1, 1.0, 10.0]},
    "randomforest": {"n_estimators": [100, 200], "max_depth": [None, 6, 12], "min_samples_leaf": [1, 3, 5]},
    "extra-trees": {"n_estimators": [100, 200], "max_depth": [None, 8], "min_samples_leaf": [1, 3]},
    "lightgbm": {"n_estimators": [100, 200], "max_depth": [None, 4, 8], "learning_rate": [0.05, 0.1]},
    "catboost": {"n_estimators": [100, 200], "max_depth": [4, 6], "learning_rate": [0.03, 0.1]},
    "nn-torch": {"hidden_layer_sizes": [[64], [128, 64]]},
    "fastai": {"hidden_layer_sizes": [[200, 100]]},
}


class AutoMLFailed(Exception):
    """The job fails with this FailureReason."""


def max_candidates(config: dict[str, Any]) -> int:
    return int((config.get("CompletionCriteria") or {}).get("MaxCandidates") or DEFAULT_MAX_CANDIDATES)


def algorithms(config: dict[str, Any]) -> list[str]:
    chosen: list[str] = []
    for entry in (config.get("CandidateGenerationConfig") or {}).get("AlgorithmsConfig") or []:
        chosen.extend(entry.get("AutoMLAlgorithms") or [])
    return chosen


def candidate_plan(config: dict[str, Any], seed: str) -> list[tuple[str, dict[str, Any]]]:
    """(algorithm, hyperparameters) for each candidate: the algorithms in turn, each with its next grid draw."""
    chosen = algorithms(config) or ALGORITHMS[:4]
    rng = random.Random(seed)
    plan = []
    for index in range(max_candidates(config)):
        algorithm = chosen[index % len(chosen)]
        grid = GRIDS[algorithm]
        defaults = index < len(chosen)  # each algorithm's first candidate uses its defaults
        plan.append((algorithm, {} if defaults else {k: rng.choice(v) for k, v in grid.items()}))
    return plan


def infer_problem_type(target: Any) -> str:
    values = target.dropna()
    distinct = values.nunique()
    if distinct <= 2:
        return "BinaryClassification"
    if not is_numeric(values):
        return "MulticlassClassification"
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce")
    integral = bool((numbers == numbers.round()).all())
    return "MulticlassClassification" if integral and distinct <= 20 else "Regression"


def is_numeric(series: Any) -> bool:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    converted = pd.to_numeric(series.dropna(), errors="coerce")
    return len(converted) > 0 and converted.notna().all()


def read_dataset(s3: Any, uri: str, content_type: str | None, compression: str | None) -> Any:
    """Every data file under an S3 prefix as one DataFrame (CSV with a header, or Parquet)."""
    import pandas as pd

    bucket, prefix = container.parse_s3_uri(uri)
    objects = [o for o in s3.list(bucket, prefix) if not o.key.endswith("/") and o.size > 0]
    if not objects:
        raise AutoMLFailed(f"ClientError: no data found at {uri}")
    frames = []
    for obj in objects:
        body = s3.get(bucket, obj.key)
        parquet = (content_type or "").startswith("x-application/vnd.amazon+parquet") or obj.key.endswith(
            ".parquet") or body[:4] == b"PAR1"
        try:
            if parquet:
                frames.append(pd.read_parquet(io.BytesIO(body)))
            else:
                gzip = compression == "Gzip" or obj.key.endswith(".gz")
                frames.append(pd.read_csv(io.BytesIO(body), compression="gzip" if gzip else None))
        except Exception as exc:
            raise AutoMLFailed(f"ClientError: s3://{bucket}/{obj.key} cannot be read as "
                               f"{'Parquet' if parquet else 'CSV with a header'}: {exc}") from None
    columns = list(frames[0].columns)
    for frame, obj in zip(frames, objects):
        if list(frame.columns) != columns:
            raise AutoMLFailed(f"ClientError: s3://{bucket}/{obj.key} has other columns than the first file")
    return pd.concat(frames, ignore_index=True)
