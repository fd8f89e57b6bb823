"""SageMaker built-in algorithms, re-implemented on XGBoost and scikit-learn.

Run as a training process inside a job folder laid out as ``/opt/ml``::

    python -m emulators.sagemaker.runtime.builtin_algorithms <algorithm> <job-folder>

Data: the ``train`` channel (and optional ``validation`` / ``test``) in CSV (no
header; for supervised algorithms the label is the first column, as on AWS) or
Parquet (``ContentType`` ``application/x-parquet`` or ``.parquet`` files; the
label is again the first column). RecordIO-protobuf and LibSVM are not read.

Algorithms and the AWS hyperparameters they honour:

- ``xgboost``: ``num_round`` (required), ``objective``, ``eta``, ``max_depth``,
  ``min_child_weight``, ``subsample``, ``colsample_bytree``, ``gamma``, ``alpha``,
  ``lambda``, ``num_class``, ``eval_metric``, ``scale_pos_weight``,
  ``early_stopping_rounds``, ... (any XGBoost parameter is passed through).
  Logs ``[i]#011train-rmse:...#011validation-rmse:...`` as AWS's container does;
  metrics ``train:<m>``, ``validation:<m>``. The model is ``xgboost-model``.
- ``linear-learner``: ``predictor_type`` (required: binary_classifier, regressor,
  multiclass_classifier), ``num_classes``, ``epochs``, ``learning_rate``, ``l1``,
  ``wd``, ``mini_batch_size``. Metrics ``train:objective_loss``,
  ``validation:objective_loss``, ``validation:binary_classification_accuracy``,
  ``validation:precision``, ``validation:recall``, ``validation:binary_f_beta``,
  ``validation:multiclass_accuracy``, ``validation:rmse``, ``validation:mse``,
  ``validation:absolute_loss`` (and ``test:``).
  ``feature_dim`` (``auto`` or the number of feature columns), ``num_classes`` (required
  for multiclass_classifier; labels 0..num_classes-1); binary_classifier labels must be
  0 or 1, as on AWS.
- ``kmeans``: ``k`` and ``feature_dim`` (required), ``epochs``, ``init_method``,
  ``mini_batch_size``. Metrics ``train:msd``, ``test:msd``, ``test:ssd``.
- ``pca``: ``num_components``, ``feature_dim`` and ``mini_batch_size`` (required),
  ``subtract_mean``, ``algorithm_mode`` (regular/randomized). No metrics (as on AWS).
- ``randomcutforest``: ``feature_dim`` (required), ``num_trees``,
  ``num_samples_per_tree``, ``eval_metrics``. **Not AWS's algorithm**: scikit-learn's
  IsolationForest (also an ensemble of random trees that isolates points) stands in.
  Scores are answered as AWS does (``{"scores": [{"score": s}]}``, higher = more
  anomalous) but are not on RCF's scale: compare them with each other (e.g. mean + 3
  standard deviations), not with thresholds taken from AWS. With a ``test`` channel
  (label in the first column, 1 = anomaly) it logs ``test:f1``, ``test:precision``,
  ``test:recall`` for the top-scoring share of points.

Every supervised channel has the label in the first column; ``feature_dim`` counts the
columns after it. ``feature_dim`` values that do not match the data fail the job with a
ClientError, as on AWS.

Models of linear-learner, kmeans, pca and randomcutforest are saved in a format of our
own (a joblib file ``model_algo-1``), not AWS's MXNet parameters: they are served by
the sandbox's endpoints and transform jobs, not by other tools.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
ALGORITHMS = ("xgboost", "linear-learner", "kmeans", "pca", "randomcutforest")
SUPERVISED = ("xgboost", "linear-learner")


class AlgorithmError(Exception):
    pass


# -- metric definitions (the regexes AWS uses for its own log lines) ---------------------------
def _xgb_metric(channel: str, metric: str) -> dict[str, str]:
    return {"Name": f"{channel}:{metric}", "Regex": rf".*\[[0-9]+\].*#011{channel}-{metric}:{NUMBER}"}


def _quality_metric(channel: str, metric: str, epoch: bool = False) -> dict[str, str]:
    middle = r"epoch=\S+, " if epoch else ""
    return {"Name": f"{channel}:{metric}",
            "Regex": rf"#quality_metric: host=\S+, {middle}{channel} {metric} <(?:score|loss)>={NUMBER}"}


XGB_METRICS = ("rmse", "mae", "logloss", "error", "auc", "merror", "mlogloss", "aucpr", "map", "ndcg",
               "accuracy", "f1", "mse", "r2")
LL_METRICS = ("objective_loss", "binary_classification_accuracy", "precision", "recall", "binary_f_beta",
              "multiclass_accuracy", "rmse", "mse", "absolute_loss", "roc_auc_score")


def metric_definitions(algorithm: str) -> list[dict[str, str]]:
    """The metric definitions SageMaker attaches to a built-in algorithm's training jobs."""
    if algorithm == "xgboost":
        return [_xgb_metric(c, m) for c in ("train", "validation") for m in XGB_METRICS]
    if algorithm == "linear-learner":
        return [_quality_metric(c, m, epoch=(c == "train")) for c in ("train", "validation", "test")
                for m in LL_METRICS]
    if algorithm == "kmeans":
        return [_quality_metric("train", "msd"), _quality_metric("test", "msd"), _quality_metric("test", "ssd")]
    if algorithm == "randomcutforest":
        return [_quality_metric("test", m) for m in ("f1", "precision", "recall")]
    return []


# -- data ----------------------------------------------------------------------------------
def read_channel(folder: Path, content_type: str | None) -> Any:
    """All files of a channel as one float numpy matrix."""
    import numpy as np
    import pandas as pd

    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise AlgorithmError(f"no data files in channel folder {folder.name!r}")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("application/x-recordio-protobuf", "application/x-recordio", "text/libsvm", "libsvm"):
        raise AlgorithmError(f"content type {ctype!r} is not read by the sandbox's built-in algorithms "
                             "(use text/csv or application/x-parquet)")
    frames = []
    for path in files:
        if ctype in ("application/x-parquet", "parquet") or path.suffix == ".parquet":
            frames.append(pd.read_parquet(path))
        else:
            try:
                frames.append(pd.read_csv(path, header=None))
            except pd.errors.EmptyDataError:
                continue
    if not frames:
        raise AlgorithmError(f"channel {folder.name!r} holds no rows")
    frame = pd.concat([f.set_axis(range(f.shape[1]), axis=1) for f in frames], ignore_index=True)
    try:
        return frame.to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise AlgorithmError(f"channel {folder.name!r}: every value must be numeric (CSV without header, "
                             "label in the first column)") from None


def parse_records(body: bytes, content_type: str | None) -> Any:
    """An inference request body (text/csv, application/json, application/x-parquet, x-npy) as a matrix."""
    import numpy as np
    import pandas as pd

    ctype = (content_type or "text/csv").split(";")[0].strip().lower()
    if ctype in ("application/json", "application/jsonlines"):
        data = json.loads(body)
        if isinstance(data, dict):
            data = data.get("instances") or data.get("features") or data.get("data") or []
            data = [row.get("features", row.get("data", row)) if isinstance(row, dict) else row for row in data]
        array = np.asarray(data, dtype=np.float64)
    elif ctype == "application/x-parquet":
        array = pd.read_parquet(io.BytesIO(body)).to_numpy(dtype=np.float64)
    elif ctype == "application/x-npy":
        array = np.load(io.BytesIO(body), allow_pickle=False).astype(np.float64)
    elif ctype in ("text/csv", "csv", "text/plain"):
        text = body.decode("utf-8").strip()
        if not text:
            raise AlgorithmError("the request body is empty")
        array = pd.read_csv(io.StringIO(text), header=None).to_numpy(dtype=np.float64)
    else:
        raise AlgorithmError(f"content type {ctype!r} is not supported (text/csv, application/json, "
                             "application/x-parquet, application/x-npy)")
    return array.reshape(1, -1) if array.ndim == 1 else array


# -- training ---------------------------------------------------------------------------------
def _hp(hps: dict[str, str], name: str, cast: Any, default: Any = None, required: bool = False) -> Any:
    if name not in hps:
        if required:
            raise AlgorithmError(f"Missing required hyperparameter: {name}")
        return default
    try:
        value = hps[name]
        if cast is bool:
            return str(value).lower() in ("true", "1")
        return cast(value)
    except (TypeError, ValueError):
        raise AlgorithmError(f"hyperparameter {name}={hps[name]!r} is not a valid {cast.__name__}") from None


def _feature_dim(hps: dict[str, str], columns: int, required: bool) -> None:
    """Check ``feature_dim`` against the number of feature columns, as AWS's algorithms do."""
    value = hps.get("feature_dim")
    if value is None or str(value).lower() == "auto":
        if required:
            raise AlgorithmError("Missing required hyperparameter: feature_dim")
        return
    dim = _hp(hps, "feature_dim", int)
    if dim != columns:
        raise AlgorithmError(f"The feature_dim hyperparameter ({dim}) does not match the number of features in the "
                             f"data ({columns} columns{' after the label' if not required else ''})")


def _channels(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    config = json.loads((root / "input/config/inputdataconfig.json").read_text())
    data = {}
    for name in ("train", "validation", "test"):
        if (root / "input/data" / name).exists():
            data[name] = read_channel(root / "input/data" / name, (config.get(name) or {}).get("ContentType"))
    if "train" not in data:
        raise AlgorithmError("the built-in algorithms need a 'train' channel")
    return data, config


def train(algorithm: str, root: Path) -> None:
    hps = json.loads((root / "input/config/hyperparameters.json").read_text())
    data, _ = _channels(root)
    model_dir = root / "model"
    if algorithm == "xgboost":
        train_xgboost(hps, data, model_dir)
    elif algorithm == "linear-learner":
        train_linear_learner(hps, data, model_dir)
    elif algorithm == "kmeans":
        train_kmeans(hps, data, model_dir)
    elif algorithm == "pca":
        train_pca(hps, data, model_dir)
    elif algorithm == "randomcutforest":
        train_random_cut_forest(hps, data, model_dir)
    else:
        raise AlgorithmError(f"unknown built-in algorithm {algorithm!r}")


XGB_CAST = {"eta": float, "max_depth": int, "min_child_weight": float, "subsample": float, "gamma": float,
            "colsample_bytree": float, "colsample_bylevel": float, "colsample_bynode": float, "alpha": float,
            "lambda": float, "num_class": int, "scale_pos_weight": float, "max_delta_step": float,
            "seed": int, "max_bin": int, "base_score": float, "nthread": int, "verbosity": int}


def _xgboost_without_sklearn() -> Any:
    """xgboost for a training process: its compatibility module imports scikit-learn (with SciPy, about a
    second of the job's start) only for xgboost's scikit-learn estimators, which training does not use."""
    if "xgboost" not in sys.modules and "sklearn" not in sys.modules:
        sys.modules["sklearn"] = None  # type: ignore[assignment]  # makes `import sklearn` fail inside xgboost
        try:
            import xgboost
        finally:
            del sys.modules["sklearn"]
    import xgboost

    return xgboost


def train_xgboost(hps: dict[str, str], data: dict[str, Any], model_dir: Path) -> None:
    xgb = _xgboost_without_sklearn()

    rounds = _hp(hps, "num_round", int, required=True)
    early = _hp(hps, "early_stopping_rounds", int)
    params: dict[str, Any] = {"objective": "reg:squarederror", "nthread": 1}
    for name, value in hps.items():
        if name in ("num_round", "early_stopping_rounds", "csv_weights", "_tuning_objective_metric") or \
                name.startswith("sagemaker_"):
            continue
        if name == "eval_metric":
            params[name] = value.split(",")
            continue
        try:
            params[name] = XGB_CAST[name](value) if name in XGB_CAST else value
        except ValueError:
            raise AlgorithmError(f"hyperparameter {name}={value!r} is not valid") from None
    evals = []
    matrices = {}
    for channel in ("train", "validation"):
        if channel in data:
            matrix = data[channel]
            matrices[channel] = xgb.DMatrix(matrix[:, 1:], label=matrix[:, 0])
            evals.append((matrices[channel], channel))
    tuning_metric = hps.get("_tuning_objective_metric", "")
    if tuning_metric and ":" in tuning_metric:  # the tuning objective must be computed
        metric = tuning_metric.split(":", 1)[1]
        wanted = params.setdefault("eval_metric", [])
        if isinstance(wanted, str):
            wanted = params["eval_metric"] = [wanted]
        if metric not in wanted:
            wanted.append(metric)

    class AwsLog(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
            parts = [f"{channel}-{metric}:{values[-1]:.5f}" for channel, metrics in evals_log.items()
                     for metric, values in metrics.items()]
            print(f"[{epoch}]#011" + "#011".join(parts), flush=True)
            return False

    try:
        booster = xgb.train(params, matrices["train"], num_boost_round=rounds, evals=evals,
                            early_stopping_rounds=early if early and "validation" in matrices else None,
                            verbose_eval=False, callbacks=[AwsLog()])
    except xgb.core.XGBoostError as exc:
        raise AlgorithmError(f"XGBoost: {str(exc).splitlines()[0]}") from None
    booster.save_model(str(model_dir / "xgboost-model.json"))
    (model_dir / "xgboost-model.json").rename(model_dir / "xgboost-model")


def _log_quality(channel: str, metric: str, value: float, epoch: int | None = None) -> None:
    kind = "loss" if metric in ("objective_loss", "msd", "ssd", "rmse", "mse", "absolute_loss") else "score"
    middle = f"epoch={epoch}, " if epoch is not None else ""
    print(f"#quality_metric: host=algo-1, {middle}{channel} {metric} <{kind}>={value}", flush=True)


def train_linear_learner(hps: dict[str, str], data: dict[str, Any], model_dir: Path) -> None:
    import joblib
    import numpy as np
    from sklearn import linear_model, metrics

    predictor = _hp(hps, "predictor_type", str, required=True)
    if predictor not in ("binary_classifier", "regressor", "multiclass_classifier"):
        raise AlgorithmError("predictor_type must be one of binary_classifier, regressor, multiclass_classifier")
    epochs = _hp(hps, "epochs", int, 15)
    _feature_dim(hps, data["train"].shape[1] - 1, required=False)
    labels = set(np.unique(data["train"][:, 0]).tolist())
    if predictor == "binary_classifier" and not labels <= {0.0, 1.0}:
        raise AlgorithmError(f"binary_classifier labels must be 0 or 1; the train channel holds "
                             f"{sorted(labels)[:10]}")
    if predictor == "multiclass_classifier":
        num_classes = _hp(hps, "num_classes", int, required=True)
        if not labels <= set(float(i) for i in range(num_classes)):
            raise AlgorithmError(f"multiclass_classifier labels must be integers 0..{num_classes - 1} "
                                 f"(num_classes={num_classes}); the train channel holds {sorted(labels)[:10]}")
    lr = hps.get("learning_rate", "auto")
    eta0 = 0.01 if lr == "auto" else float(lr)
    wd = _hp(hps, "wd", float, 0.0) if hps.get("wd", "auto") != "auto" else 0.0001
    l1 = _hp(hps, "l1", float, 0.0) if hps.get("l1", "auto") != "auto" else 0.0
    train = data["train"]
    x, y = train[:, 1:], train[:, 0]
    if predictor == "regressor":
        model = linear_model.SGDRegressor(learning_rate="invscaling", eta0=eta0, alpha=wd + l1,
                                          l1_ratio=(l1 / (wd + l1)) if wd + l1 else 0.15, random_state=0)
    else:
        model = linear_model.SGDClassifier(loss="log_loss", learning_rate="optimal" if lr == "auto" else "constant",
                                           eta0=eta0, alpha=max(wd + l1, 1e-6), random_state=0)
    classes = np.unique(y) if predictor != "regressor" else None
    for epoch in range(epochs):
        model.partial_fit(x, y, classes=classes) if classes is not None else model.partial_fit(x, y)
        if predictor == "regressor":
            loss = float(metrics.mean_squared_error(y, model.predict(x)))
        else:
            loss = float(metrics.log_loss(y, model.predict_proba(x), labels=classes))
        _log_quality("train", "objective_loss", loss, epoch)
    for channel in ("validation", "test"):
        if channel not in data:
            continue
        vx, vy = data[channel][:, 1:], data[channel][:, 0]
        pred = model.predict(vx)
        if predictor == "regressor":
            mse = float(metrics.mean_squared_error(vy, pred))
            values = {"objective_loss": mse, "mse": mse, "rmse": mse ** 0.5,
                      "absolute_loss": float(metrics.mean_absolute_error(vy, pred))}
        else:
            values = {"objective_loss": float(metrics.log_loss(vy, model.predict_proba(vx), labels=classes))}
            if predictor == "binary_classifier":
                values.update({
                    "binary_classification_accuracy": float(metrics.accuracy_score(vy, pred)),
                    "precision": float(metrics.precision_score(vy, pred, zero_division=0)),
                    "recall": float(metrics.recall_score(vy, pred, zero_division=0)),
                    "binary_f_beta": float(metrics.f1_score(vy, pred, zero_division=0)),
                })
                if len(np.unique(vy)) > 1:
                    values["roc_auc_score"] = float(metrics.roc_auc_score(vy, model.predict_proba(vx)[:, 1]))
            else:
                values["multiclass_accuracy"] = float(metrics.accuracy_score(vy, pred))
        for metric, value in values.items():
            _log_quality(channel, metric, value)
    joblib.dump({"algorithm": "linear-learner", "predictor_type": predictor, "model": model},
                model_dir / "model_algo-1")


def train_kmeans(hps: dict[str, str], data: dict[str, Any], model_dir: Path) -> None:
    import joblib
    from sklearn.cluster import KMeans

    k = _hp(hps, "k", int, required=True)
    _feature_dim(hps, data["train"].shape[1], required=True)
    init = "random" if hps.get("init_method") == "random" else "k-means++"
    model = KMeans(n_clusters=k, init=init, n_init=3, max_iter=max(10, _hp(hps, "epochs", int, 1) * 50),
                   random_state=0).fit(data["train"])
    _log_quality("train", "msd", float(model.inertia_ / len(data["train"])))
    if "test" in data:
        distances = model.transform(data["test"]).min(axis=1) ** 2
        _log_quality("test", "msd", float(distances.mean()))
        _log_quality("test", "ssd", float(distances.sum()))
    joblib.dump({"algorithm": "kmeans", "model": model}, model_dir / "model_algo-1")


def train_pca(hps: dict[str, str], data: dict[str, Any], model_dir: Path) -> None:
    import joblib
    from sklearn.decomposition import PCA

    n = _hp(hps, "num_components", int, required=True)
    _feature_dim(hps, data["train"].shape[1], required=True)
    _hp(hps, "mini_batch_size", int, required=True)
    mode = hps.get("algorithm_mode", "regular")
    model = PCA(n_components=n, svd_solver="randomized" if mode == "randomized" else "full", random_state=0)
    model.fit(data["train"])
    print(f"#pca: explained_variance_ratio={model.explained_variance_ratio_.round(4).tolist()}", flush=True)
    joblib.dump({"algorithm": "pca", "model": model,
                 "subtract_mean": _hp(hps, "subtract_mean", bool, True)}, model_dir / "model_algo-1")


def train_random_cut_forest(hps: dict[str, str], data: dict[str, Any], model_dir: Path) -> None:
    import joblib
    import numpy as np
    from sklearn import metrics
    from sklearn.ensemble import IsolationForest

    train = data["train"]
    _feature_dim(hps, train.shape[1], required=True)
    trees = _hp(hps, "num_trees", int, 100)
    samples = _hp(hps, "num_samples_per_tree", int, 256)
    if not 50 <= trees <= 1000:
        raise AlgorithmError("num_trees must be between 50 and 1000")
    if not 1 <= samples <= 2048:
        raise AlgorithmError("num_samples_per_tree must be between 1 and 2048")
    print("[sandbox] randomcutforest: scikit-learn IsolationForest stands in; scores are not on RCF's scale",
          flush=True)
    model = IsolationForest(n_estimators=trees, max_samples=min(samples, len(train)), random_state=0).fit(train)
    if "test" in data:
        labels, features = data["test"][:, 0], data["test"][:, 1:]
        scores = -model.score_samples(features)
        share = max(float(labels.mean()), 1.0 / len(labels))
        predicted = (scores >= np.quantile(scores, 1 - share)).astype(int)
        for name, fn in (("f1", metrics.f1_score), ("precision", metrics.precision_score),
                         ("recall", metrics.recall_score)):
            _log_quality("test", name, float(fn(labels, predicted, zero_division=0)))
    joblib.dump({"algorithm": "randomcutforest", "model": model}, model_dir / "model_algo-1")


# -- serving ----------------------------------------------------------------------------------
class BuiltinPredictor:
    """A built-in algorithm's model, answering inference requests as AWS's container does."""

    def __init__(self, algorithm: str, model_dir: Path) -> None:
        self.algorithm = algorithm
        if algorithm == "xgboost":
            import xgboost as xgb

            path = model_dir / "xgboost-model"
            if not path.exists():
                raise AlgorithmError("model.tar.gz holds no xgboost-model file")
            self.model = xgb.Booster()
            self.model.load_model(str(path))
        else:
            import joblib

            path = model_dir / "model_algo-1"
            if not path.exists():
                raise AlgorithmError(f"model.tar.gz holds no model_algo-1 file of a sandbox {algorithm} job")
            self.model = joblib.load(path)

    def predict(self, records: Any) -> Any:
        if self.algorithm == "xgboost":
            import xgboost as xgb

            return self.model.predict(xgb.DMatrix(records))
        return records

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               batch: bool = False) -> tuple[bytes, str]:
        import numpy as np

        records = parse_records(body, content_type)
        accept = (accept or "").split(";")[0].strip().lower()
        if accept in ("", "*/*"):
            accept = "text/csv" if self.algorithm == "xgboost" else "application/json"
        if self.algorithm == "xgboost":
            predictions = self.predict(records)
            if accept == "application/json":
                return json.dumps({"predictions": [{"score": p.tolist()} for p in predictions]}).encode(), accept
            rows = [",".join(str(v) for v in np.atleast_1d(p).tolist()) for p in predictions]
            return ("\n" if batch else ",").join(rows).encode(), "text/csv"
        bundle = self.model
        model = bundle["model"]
        if self.algorithm == "linear-learner":
            if bundle["predictor_type"] == "regressor":
                results = [{"score": float(s)} for s in model.predict(records)]
            else:
                probabilities = model.predict_proba(records)
                labels = model.classes_[probabilities.argmax(axis=1)]
                if bundle["predictor_type"] == "binary_classifier":
                    results = [{"score": float(p[1]), "predicted_label": int(lbl)}
                               for p, lbl in zip(probabilities, labels)]
                else:
                    results = [{"score": p.tolist(), "predicted_label": int(lbl)}
                               for p, lbl in zip(probabilities, labels)]
            key = "predicted_label" if bundle["predictor_type"] != "regressor" else "score"
            csv_rows = [str(r[key]) for r in results]
        elif self.algorithm == "randomcutforest":
            results = [{"score": float(s)} for s in -model.score_samples(records)]
            csv_rows = [str(r["score"]) for r in results]
        elif self.algorithm == "kmeans":
            distances = model.transform(records)
            results = [{"closest_cluster": float(d.argmin()), "distance_to_cluster": float(d.min())}
                       for d in distances]
            csv_rows = [f"{r['closest_cluster']},{r['distance_to_cluster']}" for r in results]
        else:  # pca
            projections = model.transform(records)
            results = [{"projection": p.tolist()} for p in projections]
            csv_rows = [",".join(str(v) for v in p) for p in projections.tolist()]
        if accept == "text/csv":
            return "\n".join(csv_rows).encode(), "text/csv"
        if accept == "application/jsonlines":
            return "\n".join(json.dumps(r) for r in results).encode(), accept
        key = {"pca": "projections", "randomcutforest": "scores"}.get(self.algorithm, "predictions")
        return json.dumps({key: results}).encode(), "application/json"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ALGORITHMS:
        print(f"usage: builtin_algorithms {{{','.join(ALGORITHMS)}}} <job-folder>", file=sys.stderr)
        return 2
    root = Path(argv[1])
    try:
        print(f"[sandbox] built-in algorithm {argv[0]} (re-implemented on XGBoost/scikit-learn)", flush=True)
        train(argv[0], root)
    except AlgorithmError as exc:
        message = f"ClientError: {exc}"
        (root / "output").mkdir(parents=True, exist_ok=True)
        (root / "output" / "failure").write_text(message)
        print(message, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
