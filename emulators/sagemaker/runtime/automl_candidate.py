"""One Autopilot candidate: the training script and, inside model.tar.gz, the inference script.

The sandbox's AutoML jobs (:mod:`emulators.sagemaker.api.automl`) run this file as a
scikit-learn script-mode training job. It reads the ``train`` and ``validation``
channels (CSV with a header), fits a scikit-learn pipeline (imputation, scaling,
one-hot encoding, then the candidate's algorithm), prints every validation metric
of the problem type as ``validation:<Metric>=<value>`` lines (the job's metric
definitions read them), and saves ``model.joblib`` with a copy of itself as
``code/inference.py`` so the model serves as Autopilot's containers do: CSV rows
without a header in, ``predicted_label`` (or the predicted value) out.

It is user code as far as the sandbox is concerned: it imports only pandas,
numpy, scikit-learn, joblib and (for the ``xgboost`` algorithm) xgboost.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import types
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

MODEL_FILE = "model.joblib"
POSITIVE_LABELS = ("1", "true", "yes", "y", "positive", "1.0")


# -- data ------------------------------------------------------------------------------
def read_channel(folder: str) -> pd.DataFrame:
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith("."))
    frames = [pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p) for p in files]
    if not frames:
        raise SystemExit(f"the channel {folder} holds no data files")
    return pd.concat(frames, ignore_index=True)


def coerce_features(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in numeric:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in categorical:
        frame[column] = frame[column].astype("string").astype(object).where(frame[column].notna(), np.nan)
    return frame


def positive_label(labels: list[str]) -> str:
    for label in labels:
        if str(label).strip().lower() in POSITIVE_LABELS:
            return label
    return sorted(labels)[-1]


# -- the model -------------------------------------------------------------------------
def build_estimator(algorithm: str, params: dict, problem_type: str):
    from sklearn import ensemble, linear_model, neural_network

    classify = problem_type != "Regression"
    if algorithm == "linear-learner":
        if classify:
            return linear_model.LogisticRegression(max_iter=2000, C=params.get("C", 1.0))
        return linear_model.Ridge(alpha=params.get("alpha", 1.0))
    if algorithm == "randomforest":
        cls = ensemble.RandomForestClassifier if classify else ensemble.RandomForestRegressor
        return cls(n_estimators=params.get("n_estimators", 100), max_depth=params.get("max_depth"),
                   min_samples_leaf=params.get("min_samples_leaf", 1), random_state=0, n_jobs=1)
    if algorithm == "extra-trees":
        cls = ensemble.ExtraTreesClassifier if classify else ensemble.ExtraTreesRegressor
        return cls(n_estimators=params.get("n_estimators", 100), max_depth=params.get("max_depth"),
                   min_samples_leaf=params.get("min_samples_leaf", 1), random_state=0, n_jobs=1)
    if algorithm in ("lightgbm", "catboost"):
        cls = ensemble.HistGradientBoostingClassifier if classify else ensemble.HistGradientBoostingRegressor
        return cls(learning_rate=params.get("learning_rate", 0.1), max_depth=params.get("max_depth"),
                   max_iter=params.get("n_estimators", 100), random_state=0)
    if algorithm == "xgboost":
        import xgboost

        cls = xgboost.XGBClassifier if classify else xgboost.XGBRegressor
        return cls(n_estimators=params.get("n_estimators", 100), max_depth=params.get("max_depth", 6),
                   learning_rate=params.get("learning_rate", 0.3), n_jobs=1, random_state=0)
    if algorithm in ("nn-torch", "fastai", "mlp"):
        cls = neural_network.MLPClassifier if classify else neural_network.MLPRegressor
        return cls(hidden_layer_sizes=tuple(params.get("hidden_layer_sizes", (64,))), max_iter=500,
                   early_stopping=True, random_state=0)
    raise SystemExit(f"unknown algorithm {algorithm!r}")


def build_pipeline(algorithm: str, params: dict, problem_type: str, numeric: list[str], categorical: list[str]):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = ColumnTransformer([
        ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("categorical", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                  ("encode", OneHotEncoder(handle_unknown="ignore"))]), categorical),
    ])
    return Pipeline([("features", features), ("model", build_estimator(algorithm, params, problem_type))])


class CandidateModel:
    """The fitted pipeline with the label encoding and the feature columns it expects."""

    def __init__(self, pipeline, problem_type: str, features: list[str], numeric: list[str],
                 categorical: list[str], labels: list | None) -> None:
        self.pipeline = pipeline
        self.problem_type = problem_type
        self.features = features
        self.numeric = numeric
        self.categorical = categorical
        self.labels = labels

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return coerce_features(frame[self.features], self.numeric, self.categorical)

    def predict(self, frame: pd.DataFrame) -> list[dict]:
        data = self.frame(frame)
        if self.problem_type == "Regression":
            return [{"predicted_label": float(v)} for v in self.pipeline.predict(data)]
        probabilities = self.pipeline.predict_proba(data)
        rows = []
        for row in probabilities:
            best = int(np.argmax(row))
            rows.append({"predicted_label": self.labels[best], "probability": float(row[best]),
                         "probabilities": [float(p) for p in row], "labels": list(self.labels)})
        return rows


# -- metrics ---------------------------------------------------------------------------
def validation_metrics(model: CandidateModel, frame: pd.DataFrame, target: str) -> dict[str, float]:
    from sklearn import metrics

    rows = model.predict(frame)
    if model.problem_type == "Regression":
        truth = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=float)
        predicted = np.array([r["predicted_label"] for r in rows])
        mse = metrics.mean_squared_error(truth, predicted)
        return {"MSE": mse, "RMSE": float(np.sqrt(mse)), "MAE": metrics.mean_absolute_error(truth, predicted),
                "R2": metrics.r2_score(truth, predicted)}
    truth = frame[target].astype(str).to_numpy()
    predicted = np.array([str(r["predicted_label"]) for r in rows])
    probabilities = np.array([r["probabilities"] for r in rows])
    labels = [str(label) for label in model.labels]
    values = {"Accuracy": metrics.accuracy_score(truth, predicted),
              "BalancedAccuracy": metrics.balanced_accuracy_score(truth, predicted),
              "LogLoss": metrics.log_loss(truth, probabilities, labels=labels)}
    if model.problem_type == "BinaryClassification":
        positive = positive_label(labels)
        values.update({
            "F1": metrics.f1_score(truth, predicted, pos_label=positive, zero_division=0),
            "Precision": metrics.precision_score(truth, predicted, pos_label=positive, zero_division=0),
            "Recall": metrics.recall_score(truth, predicted, pos_label=positive, zero_division=0),
        })
        if len(set(truth)) == 2:
            values["AUC"] = metrics.roc_auc_score(truth == positive, probabilities[:, labels.index(positive)])
    else:
        values.update({
            "F1macro": metrics.f1_score(truth, predicted, average="macro", zero_division=0),
            "PrecisionMacro": metrics.precision_score(truth, predicted, average="macro", zero_division=0),
            "RecallMacro": metrics.recall_score(truth, predicted, average="macro", zero_division=0),
        })
    return {name: float(value) for name, value in values.items()}


# -- training --------------------------------------------------------------------------
def train(args: argparse.Namespace) -> None:
    train_frame = read_channel(os.environ["SM_CHANNEL_TRAIN"])
    validation_frame = read_channel(os.environ["SM_CHANNEL_VALIDATION"])
    target = args.target
    features = [c for c in train_frame.columns if c != target]
    numeric = json.loads(args.numeric_columns)
    categorical = [c for c in features if c not in numeric]
    train_frame = train_frame[train_frame[target].notna()]
    labels = None
    y = train_frame[target]
    if args.problem_type == "Regression":
        y = pd.to_numeric(y, errors="coerce")
    else:  # classes as 0..n-1 (XGBoost wants them so); predict_proba's columns follow `labels`
        y = y.astype(str)
        labels = sorted(y.unique().tolist())
        y = y.map({label: index for index, label in enumerate(labels)})
    pipeline = build_pipeline(args.algorithm, json.loads(args.params), args.problem_type, numeric, categorical)
    pipeline.fit(coerce_features(train_frame[features], numeric, categorical), y)
    # pickle the model under a module name that model_fn can provide (the script runs as __main__)
    sys.modules["automl_candidate"] = sys.modules[__name__]
    CandidateModel.__module__ = "automl_candidate"
    model = CandidateModel(pipeline, args.problem_type, features, numeric, categorical, labels)
    for name, value in validation_metrics(model, validation_frame, target).items():
        print(f"validation:{name}={value:.6f}", flush=True)
    model_dir = Path(os.environ["SM_MODEL_DIR"])
    joblib.dump(model, model_dir / MODEL_FILE)
    (model_dir / "code").mkdir(exist_ok=True)
    shutil.copy(__file__, model_dir / "code" / "inference.py")


# -- serving (the handler functions of the SageMaker scikit-learn container) ---------------
def model_fn(model_dir: str) -> CandidateModel:
    # the pickle names the model's class by the module name it had during training
    if "automl_candidate" not in sys.modules:
        holder = types.ModuleType("automl_candidate")
        holder.CandidateModel = CandidateModel
        sys.modules["automl_candidate"] = holder
    return joblib.load(Path(model_dir) / MODEL_FILE)


def input_fn(body, content_type: str):
    if content_type == "application/json":
        document = json.loads(body)
        rows = document.get("instances", document) if isinstance(document, dict) else document
        rows = [r.get("features", r) if isinstance(r, dict) else r for r in rows]
        return pd.DataFrame(rows)
    if content_type != "text/csv":
        raise ValueError(f"content type {content_type} is not supported: send text/csv or application/json")
    text = body if isinstance(body, str) else body.decode("utf-8")
    return pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, na_values=[""])


def predict_fn(data: pd.DataFrame, model: CandidateModel) -> list[dict]:
    if list(data.columns) != model.features:
        if data.shape[1] != len(model.features):
            raise ValueError(f"expected {len(model.features)} columns ({', '.join(model.features)}), "
                             f"got {data.shape[1]}")
        data = data.set_axis(model.features, axis=1)
    return model.predict(data)


def output_fn(prediction: list[dict], accept: str):
    if accept == "application/json":
        keep = ("predicted_label", "probability")
        return json.dumps({"predictions": [{k: r[k] for k in keep if k in r} for r in prediction]}), accept
    return "".join(f"{r['predicted_label']}\n" for r in prediction), "text/csv"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--algorithm", required=True)
    parser.add_argument("--params", default="{}")
    parser.add_argument("--target", required=True)
    parser.add_argument("--problem-type", "--problem_type", dest="problem_type", required=True)
    parser.add_argument("--numeric-columns", "--numeric_columns", dest="numeric_columns", default="[]")
    train(parser.parse_known_args()[0])
