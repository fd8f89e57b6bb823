"""SageMaker Clarify's processing container (``sagemaker-clarify-processing``), on pandas and numpy.

A Clarify job is a processing job whose ``analysis_config`` input holds
``analysis_config.json`` (as ``SageMakerClarifyProcessor`` writes it) and whose ``dataset``
input holds the tabular data (``text/csv``, ``application/jsonlines``, ``application/json``,
``application/x-parquet``). The job writes ``analysis.json`` to its output:

- ``pre_training_bias_metrics``: CI, DPL, KL, JS, LP, TVD, KS and (with a
  ``group_variable``) CDDL, per facet and facet value, with AWS's formulas;
- ``post_training_bias_metrics``: DPPL, DI, DCA, DCR, RD, DAR, DRR, AD, SD, TE, GE and
  (with a ``group_variable``) CDDPL, from the predictions of the model named in
  ``predictor.model_name`` (AWS starts a shadow endpoint; the sandbox loads the model
  in-process), or from a ``predicted_label`` column of the dataset;
- ``explanations.kernel_shap``: global SHAP values (``agg_method`` mean_abs, median or
  mean_sq over every record) and the expected value, by Kernel SHAP against the
  ``shap.baseline`` rows (averaged over them) or, without a baseline, one row of the data's
  means/modes (AWS clusters the data with K-means instead). Every coalition is evaluated when
  there are at most ``num_samples`` of them (at most 12 features without ``num_samples``),
  otherwise ``num_samples`` coalitions are drawn with the Shapley kernel's size weights.
  ``use_logit`` explains the log-odds of the model output. Key ``label0``, or the first
  ``predictor.label_headers``.
- ``explanations_shap/out.csv`` (``save_local_shap_values``, true by default as in the SDK):
  one row of SHAP values per record, headed by the feature names, with the
  ``joinsource_name_or_index`` column first when the config names one.

Columns the model is not sent: the label, ``predicted_label``, ``joinsource_name_or_index`` and
``excluded_columns`` (the ``group_variable`` is sent unless it is excluded, as on AWS). A model
that fails on those records fails the job with a ClientError naming the columns sent.

Not emulated: the PDF/HTML/notebook report (``methods.report`` is accepted and ignored), the
flip test (FT), partial dependence plots, NLP/computer-vision/time-series explainability,
multi-class SHAP (only the first output is explained), a SHAP baseline given as an S3 URI
(refused with a ClientError), and the shadow endpoint itself (the model runs in-process).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emulators.sagemaker.engines.model_monitor import AnalyzerError

PRE_TRAINING = ("CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL")
POST_TRAINING = ("DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "SD", "TE", "GE", "CDDPL")
DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "RD": "Recall Difference (RD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
    "GE": "Generalized Entropy (GE)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
}
EXACT_SHAP_FEATURES = 12

Predict = Callable[[pd.DataFrame], np.ndarray]


# ----------------------------------------------------------------------------- reading
def load_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise AnalyzerError(f"ClientError: analysis_config.json cannot be read: {exc}") from exc
    if not isinstance(config, dict) or "methods" not in config:
        raise AnalyzerError("ClientError: analysis_config.json needs a 'methods' object (pre_training_bias, "
                            "post_training_bias and/or shap)")
    return config


def read_dataset(source: Path, config: dict[str, Any]) -> pd.DataFrame:
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file()
                                                     and not p.name.startswith("."))
    if not files:
        raise AnalyzerError("ClientError: the dataset input is empty")
    dataset_type = config.get("dataset_type", "text/csv")
    headers = config.get("headers")
    if dataset_type == "text/csv":
        frames = []
        for path in files:
            frame = pd.read_csv(path, header=None, dtype=str, skipinitialspace=True)
            if headers and list(frame.iloc[0].astype(str).str.strip()) == [str(h) for h in headers]:
                frame = frame.iloc[1:]
            frames.append(frame)
        frame = pd.concat(frames, ignore_index=True)
        if headers:
            if len(headers) != frame.shape[1]:
                raise AnalyzerError(f"ClientError: 'headers' names {len(headers)} columns but the dataset has "
                                    f"{frame.shape[1]}")
            frame.columns = [str(h) for h in headers]
        else:
            first = frame.iloc[0].astype(str)
            frame.columns, frame = list(first), frame.iloc[1:].reset_index(drop=True)
        return _numeric(frame)
    if dataset_type in ("application/jsonlines", "application/json"):
        records = []
        for path in files:
            text = path.read_text()
            if dataset_type == "application/jsonlines":
                records.extend(json.loads(line) for line in text.splitlines() if line.strip())
            else:
                loaded = json.loads(text)
                records.extend(loaded if isinstance(loaded, list) else [loaded])
        rows = [r.get("features", r) if isinstance(r, dict) and "features" in r else r for r in records]
        frame = pd.DataFrame(rows)
        if headers and len(headers) == frame.shape[1]:
            frame.columns = [str(h) for h in headers]
        return _numeric(frame)
    if dataset_type == "application/x-parquet":
        return _numeric(pd.concat([pd.read_parquet(p) for p in files], ignore_index=True))
    raise AnalyzerError(f"ClientError: dataset_type {dataset_type!r} is not supported by the sandbox's Clarify "
                        "(text/csv, application/jsonlines, application/json, application/x-parquet)")


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        converted = pd.to_numeric(out[column], errors="coerce")
        if converted.notna().sum() == out[column].notna().sum():
            out[column] = converted
    return out


def _column(frame: pd.DataFrame, name_or_index: Any, what: str) -> str:
    if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
        if not 0 <= name_or_index < frame.shape[1]:
            raise AnalyzerError(f"ClientError: {what} index {name_or_index} is outside the dataset's "
                                f"{frame.shape[1]} columns")
        return frame.columns[name_or_index]
    if str(name_or_index) not in frame.columns:
        raise AnalyzerError(f"ClientError: {what} {name_or_index!r} is not a column of the dataset "
                            f"(columns: {', '.join(map(str, frame.columns))})")
    return str(name_or_index)


def positive_mask(values: pd.Series, values_or_threshold: list[Any] | None) -> pd.Series:
    """Which rows hold a positive outcome: membership in the given values, or above a numeric threshold."""
    if not values_or_threshold:
        raise AnalyzerError("ClientError: label_values_or_threshold is required for bias metrics")
    wanted = list(values_or_threshold)
    numeric = pd.api.types.is_numeric_dtype(values)
    if numeric and len(wanted) == 1 and values.nunique() > 2 and float(wanted[0]) not in set(values.astype(float)):
        return values.astype(float) > float(wanted[0])
    as_text = values.astype(str)
    normalised = {str(int(w)) if isinstance(w, float) and w.is_integer() else str(w) for w in wanted}
    if numeric:
        as_text = values.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    return as_text.isin(normalised)


def facet_groups(values: pd.Series, values_or_threshold: list[Any] | None) -> list[tuple[str, pd.Series]]:
    """(facet value label, mask of the disadvantaged group d) for each sensitive group to report."""
    if values_or_threshold:
        wanted = list(values_or_threshold)
        if pd.api.types.is_numeric_dtype(values) and len(wanted) == 1 and values.nunique() > 2 \
                and float(wanted[0]) not in set(values.astype(float)):
            return [(f"({wanted[0]}, inf)", values.astype(float) > float(wanted[0]))]
        label = ",".join(str(w) for w in wanted)
        return [(label, positive_mask(values, wanted))]
    groups = []
    for value in sorted(values.dropna().unique(), key=str):
        groups.append((str(value), values == value))
    return groups


# ----------------------------------------------------------------------------- metrics
def _share(mask: pd.Series, positive: pd.Series) -> float:
    count = int(mask.sum())
    return float((positive & mask).sum()) / count if count else float("nan")


def _label_distribution(labels: pd.Series) -> dict[Any, float]:
    counts = labels.value_counts(normalize=True)
    return {k: float(v) for k, v in counts.items()}


def _kl(p: dict[Any, float], q: dict[Any, float]) -> float:
    total = 0.0
    for key, pk in p.items():
        if pk <= 0:
            continue
        qk = q.get(key, 0.0)
        if qk <= 0:
            return float("inf")
        total += pk * math.log(pk / qk)
    return total


def _cdd(facet_d: pd.Series, outcome: pd.Series, groups: pd.Series) -> float:
    """Conditional demographic disparity: the group-size weighted demographic disparity."""
    total = 0.0
    n = len(outcome)
    for _, index in groups.groupby(groups).groups.items():
        d, positive = facet_d.loc[index], outcome.loc[index]
        rejected, accepted = int((~positive).sum()), int(positive.sum())
        if rejected == 0 or accepted == 0:
            disparity = 0.0
        else:
            disparity = float((d & ~positive).sum()) / rejected - float((d & positive).sum()) / accepted
        total += len(index) * disparity
    return total / n if n else float("nan")


def pre_training_metrics(facet_d: pd.Series, labels: pd.Series, positive: pd.Series,
                         groups: pd.Series | None, wanted: list[str]) -> dict[str, float]:
    facet_a = ~facet_d
    na, nd = int(facet_a.sum()), int(facet_d.sum())
    values: dict[str, float] = {}
    dist_a = _label_distribution(positive[facet_a])
    dist_d = _label_distribution(positive[facet_d])
    keys = set(dist_a) | set(dist_d)
    pa = {k: dist_a.get(k, 0.0) for k in keys}
    pd_ = {k: dist_d.get(k, 0.0) for k in keys}
    mean = {k: 0.5 * (pa[k] + pd_[k]) for k in keys}
    for name in wanted:
        if name == "CI":
            values[name] = (na - nd) / (na + nd) if na + nd else float("nan")
        elif name == "DPL":
            values[name] = _share(facet_a, positive) - _share(facet_d, positive)
        elif name == "KL":
            values[name] = _kl(pa, pd_)
        elif name == "JS":
            values[name] = 0.5 * (_kl(pa, mean) + _kl(pd_, mean))
        elif name == "LP":
            values[name] = math.sqrt(sum((pa[k] - pd_[k]) ** 2 for k in keys))
        elif name == "TVD":
            values[name] = 0.5 * sum(abs(pa[k] - pd_[k]) for k in keys)
        elif name == "KS":
            values[name] = max((abs(pa[k] - pd_[k]) for k in keys), default=0.0)
        elif name == "CDDL" and groups is not None:
            values[name] = _cdd(facet_d, positive, groups)
    return values


def post_training_metrics(facet_d: pd.Series, positive: pd.Series, predicted: pd.Series,
                          groups: pd.Series | None, wanted: list[str]) -> dict[str, float]:
    facet_a = ~facet_d

    def counts(mask: pd.Series) -> dict[str, float]:
        y, p = positive[mask], predicted[mask]
        return {"TP": float((y & p).sum()), "FP": float((~y & p).sum()), "TN": float((~y & ~p).sum()),
                "FN": float((y & ~p).sum()), "n": float(mask.sum())}

    def ratio(num: float, den: float) -> float:
        return num / den if den else float("nan")

    a, d = counts(facet_a), counts(facet_d)
    qa, qd = ratio(a["TP"] + a["FP"], a["n"]), ratio(d["TP"] + d["FP"], d["n"])
    values: dict[str, float] = {}
    for name in wanted:
        if name == "DPPL":
            values[name] = qa - qd
        elif name == "DI":
            values[name] = ratio(qd, qa)
        elif name == "DCA":
            values[name] = ratio(a["TP"] + a["FN"], a["TP"] + a["FP"]) - ratio(d["TP"] + d["FN"], d["TP"] + d["FP"])
        elif name == "DCR":
            values[name] = ratio(d["TN"] + d["FP"], d["TN"] + d["FN"]) - ratio(a["TN"] + a["FP"], a["TN"] + a["FN"])
        elif name == "RD":
            values[name] = ratio(a["TP"], a["TP"] + a["FN"]) - ratio(d["TP"], d["TP"] + d["FN"])
        elif name == "DAR":
            values[name] = ratio(a["TP"], a["TP"] + a["FP"]) - ratio(d["TP"], d["TP"] + d["FP"])
        elif name == "DRR":
            values[name] = ratio(d["TN"], d["TN"] + d["FN"]) - ratio(a["TN"], a["TN"] + a["FN"])
        elif name == "AD":
            values[name] = ratio(a["TP"] + a["TN"], a["n"]) - ratio(d["TP"] + d["TN"], d["n"])
        elif name == "SD":
            values[name] = ratio(d["TN"], d["TN"] + d["FP"]) - ratio(a["TN"], a["TN"] + a["FP"])
        elif name == "TE":
            values[name] = ratio(d["FN"], d["FP"]) - ratio(a["FN"], a["FP"])
        elif name == "GE":
            benefit = predicted.astype(float) - positive.astype(float) + 1.0
            mu = benefit.mean()
            values[name] = float(((benefit / mu) ** 2 - 1).sum() / (len(benefit) * 2)) if mu else float("nan")
        elif name == "CDDPL" and groups is not None:
            values[name] = _cdd(facet_d, predicted, groups)
    return values


def _wanted(spec: Any, known: tuple[str, ...]) -> list[str]:
    if spec in (None, "all") or (isinstance(spec, dict) and spec.get("methods", "all") == "all"):
        return list(known)
    names = spec.get("methods") if isinstance(spec, dict) else spec
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise AnalyzerError(f"ClientError: unknown bias metric(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return list(names)


def _metric_list(values: dict[str, float]) -> list[dict[str, Any]]:
    out = []
    for name in sorted(values):
        value = values[name]
        out.append({"name": name, "description": DESCRIPTIONS[name],
                    "value": None if value is None or (isinstance(value, float) and math.isnan(value)) else value})
    return out


# ----------------------------------------------------------------------------- SHAP
SYNTHETIC_ROWS_PER_CALL = 100_000


def _shap_weights(size: int, features: int) -> float:
    return (features - 1) / (math.comb(features, size) * size * (features - size))


def _coalitions(m: int, num_samples: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Coalition masks and their regression weights: all of them when affordable, else a kernel-weighted sample."""
    full = 2 ** m - 2
    if full <= (num_samples if num_samples else 2 ** EXACT_SHAP_FEATURES - 2):
        masks = np.array([bits for size in range(1, m) for bits in _combinations(m, size)], bool)
        weights = np.array([_shap_weights(int(mask.sum()), m) for mask in masks])
        return masks, weights
    rng = np.random.default_rng(seed)
    sizes = np.arange(1, m)
    size_weights = np.array([(m - 1) / (s * (m - s)) for s in sizes])
    size_weights /= size_weights.sum()
    masks = np.zeros((max(int(num_samples or 2048), 2 * m), m), bool)
    for row in masks:
        row[rng.choice(m, rng.choice(sizes, p=size_weights), replace=False)] = True
    return masks, np.ones(len(masks))


def _logit(values: np.ndarray) -> np.ndarray:
    clipped = np.clip(values, 1e-7, 1 - 1e-7)
    return np.log(clipped / (1 - clipped))


def kernel_shap(predict: Predict, rows: pd.DataFrame, baseline: pd.DataFrame, num_samples: int | None = None,
                seed: int = 0, use_logit: bool = False) -> tuple[np.ndarray, float]:
    """SHAP values (one row per instance) and the expected value, against the baseline rows.

    Kernel SHAP as in Lundberg & Lee: a coalition's value is the model output averaged over the
    baseline rows with the coalition's features taken from the instance; with ``use_logit`` the
    averaged outputs go through the logit before the weighted least squares (so SHAP values are
    in log-odds). Every coalition is evaluated when there are at most ``num_samples`` of them.
    """
    m, k = rows.shape[1], len(baseline)
    dtypes = rows.dtypes.to_dict()

    def first_output(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(predict(frame), float).reshape(len(frame), -1)[:, 0]

    link = _logit if use_logit else (lambda values: values)
    expected = float(link(np.array([first_output(baseline).mean()]))[0])
    full = link(first_output(rows))
    if m == 1:
        return (full - expected).reshape(-1, 1), expected
    masks, weights = _coalitions(m, num_samples, seed)
    z = masks.astype(float)
    design = z[:, :-1] - z[:, -1:]
    sqrt_w = np.sqrt(weights)
    instance_values, base_values = rows.to_numpy(object), baseline.to_numpy(object)
    chunk = max(1, SYNTHETIC_ROWS_PER_CALL // (len(masks) * k))
    phis = []
    for start in range(0, len(rows), chunk):
        block = instance_values[start:start + chunk]
        synthetic = np.where(masks[None, :, None, :], block[:, None, None, :], base_values[None, None, :, :])
        frame = pd.DataFrame(synthetic.reshape(-1, m), columns=rows.columns)
        frame = frame.astype(dtypes, errors="ignore")
        outputs = link(first_output(frame).reshape(len(block), len(masks), k).mean(axis=2))
        gap = full[start:start + chunk] - expected
        # constrained weighted least squares: sum(phi) = f(x) - E[f] (eliminate the last feature)
        target = outputs.T - expected - z[:, -1:] * gap[None, :]
        solution, *_ = np.linalg.lstsq(design * sqrt_w[:, None], target * sqrt_w[:, None], rcond=None)
        phis.append(np.vstack([solution, gap[None, :] - solution.sum(axis=0, keepdims=True)]).T)
    return np.vstack(phis), expected


def _combinations(m: int, size: int):
    for chosen in itertools.combinations(range(m), size):
        bits = [False] * m
        for i in chosen:
            bits[i] = True
        yield bits


def _baseline_rows(features: pd.DataFrame, spec: Any) -> pd.DataFrame:
    """The SHAP baseline: the rows given in the config, or one row of means (numbers) and modes (others)."""
    if isinstance(spec, str):
        raise AnalyzerError("ClientError: a SHAP baseline given as an S3 URI is not emulated by the sandbox; "
                            "pass the baseline rows inline (SHAPConfig(baseline=[[...]]))")
    if isinstance(spec, list) and spec:
        rows = spec if isinstance(spec[0], (list, tuple)) else [spec]
        for row in rows:
            if len(row) != features.shape[1]:
                raise AnalyzerError(f"ClientError: the SHAP baseline has {len(row)} values but the model takes "
                                    f"{features.shape[1]} features ({', '.join(map(str, features.columns))})")
        frame = pd.DataFrame([list(r) for r in rows], columns=features.columns)
        return _numeric(frame).astype(features.dtypes.to_dict(), errors="ignore")
    values = {}
    for column in features.columns:
        series = features[column]
        values[column] = series.mean() if pd.api.types.is_numeric_dtype(series) else series.mode().iloc[0]
    return pd.DataFrame([values]).astype(features.dtypes.to_dict(), errors="ignore")


# ----------------------------------------------------------------------------- the container
def run_analysis(config: dict[str, Any], data: pd.DataFrame, predict: Predict | None) -> dict[str, Any]:
    """``analysis.json`` for a dataset; ``predict`` maps feature rows to model outputs (post-training/SHAP)."""
    methods = config.get("methods") or {}
    label = _column(data, config["label"], "label") if config.get("label") is not None else None
    excluded = [_column(data, c, "excluded column") for c in config.get("excluded_columns") or []]
    predicted_column = config.get("predicted_label")
    predicted_name = _column(data, predicted_column, "predicted_label") if predicted_column is not None else None
    join = config.get("joinsource_name_or_index")
    join_name = _column(data, join, "joinsource_name_or_index") if join is not None else None
    feature_columns = [c for c in data.columns if c not in {label, predicted_name, join_name, *excluded}]
    features = data[feature_columns]
    analysis: dict[str, Any] = {"version": "1.0"}
    threshold = float((config.get("predictor") or {}).get("probability_threshold",
                                                            config.get("probability_threshold", 0.5)))
    predictions: np.ndarray | None = None
    model = _guarded(predict, feature_columns) if predict is not None else None

    def model_outputs() -> np.ndarray:
        nonlocal predictions
        if predictions is None:
            if model is None:
                raise AnalyzerError("ClientError: post-training bias and SHAP need a model: set "
                                    "predictor.model_name (a model created with CreateModel) in the analysis config")
            predictions = np.asarray(model(features), float).reshape(len(features), -1)[:, 0]
        return predictions

    bias_wanted = {"pre_training_bias": PRE_TRAINING, "post_training_bias": POST_TRAINING}
    for key, known in bias_wanted.items():
        if key not in methods:
            continue
        if label is None:
            raise AnalyzerError("ClientError: bias metrics need the 'label' column in the analysis config")
        facets = config.get("facet") or []
        if not facets:
            raise AnalyzerError("ClientError: bias metrics need at least one 'facet' (name_or_index)")
        positive = positive_mask(data[label], config.get("label_values_or_threshold"))
        groups = data[_column(data, config["group_variable"], "group_variable")] \
            if config.get("group_variable") is not None else None
        wanted = _wanted(methods[key], known)
        if key == "post_training_bias":
            if predicted_name is not None:
                predicted = positive_mask(data[predicted_name], config.get("label_values_or_threshold"))
            else:
                predicted = pd.Series(model_outputs() > threshold, index=data.index) \
                    if _is_probability(model_outputs()) else positive_mask(
                        pd.Series(model_outputs(), index=data.index), config.get("label_values_or_threshold"))
        report: dict[str, Any] = {"label": str(label), "facets": {},
                                  "label_value_or_threshold": ",".join(
                                      str(v) for v in config.get("label_values_or_threshold") or [])}
        for facet in facets:
            column = _column(data, facet.get("name_or_index"), "facet")
            entries = []
            for value, facet_d in facet_groups(data[column], facet.get("value_or_threshold")):
                facet_d = facet_d.fillna(False).astype(bool)
                if key == "pre_training_bias":
                    values = pre_training_metrics(facet_d, data[label], positive, groups, wanted)
                else:
                    values = post_training_metrics(facet_d, positive, predicted, groups, wanted)
                entries.append({"value_or_threshold": value, "metrics": _metric_list(values)})
            report["facets"][str(column)] = entries
        analysis[f"{key}_metrics"] = report
    if "shap" in methods:
        spec = methods["shap"] or {}
        model_outputs()
        baseline = _baseline_rows(features, spec.get("baseline"))
        phis, expected = kernel_shap(model, features, baseline, spec.get("num_samples"), int(spec.get("seed", 0)),
                                     use_logit=bool(spec.get("use_logit", False)))
        aggregate = spec.get("agg_method", "mean_abs")
        if aggregate == "median":
            values = np.median(phis, axis=0)
        elif aggregate == "mean_sq":
            values = np.mean(phis ** 2, axis=0)
        elif aggregate == "mean_abs":
            values = np.mean(np.abs(phis), axis=0)
        else:
            raise AnalyzerError(f"ClientError: agg_method {aggregate!r} is not one of mean_abs, median, mean_sq")
        headers = (config.get("predictor") or {}).get("label_headers") or []
        label_key = str(headers[0]) if headers else "label0"
        analysis["explanations"] = {"kernel_shap": {label_key: {
            "global_shap_values": {str(c): float(v) for c, v in zip(features.columns, values)},
            "expected_value": expected}}}
        if spec.get("save_local_shap_values", True):
            local = pd.DataFrame(phis, columns=[str(c) for c in features.columns])
            if join_name is not None:
                local.insert(0, str(join_name), data[join_name].to_numpy())
            analysis["_local_shap_values"] = local
    return analysis


def _guarded(predict: Predict, columns: list[str]) -> Predict:
    """The model as Clarify's shadow endpoint answers: a failure is the job's ClientError, with what was sent."""
    def call(frame: pd.DataFrame) -> np.ndarray:
        try:
            outputs = np.asarray(predict(frame), float)
        except AnalyzerError:
            raise
        except Exception as exc:
            raise AnalyzerError(
                f"ClientError: the model failed on the records Clarify sent it ({len(columns)} feature columns: "
                f"{', '.join(map(str, columns))}; the label, predicted_label, joinsource and excluded_columns are "
                f"not sent): {type(exc).__name__}: {exc}"[:900]) from None
        if outputs.size == 0 or outputs.shape[0] != len(frame):
            raise AnalyzerError(f"ClientError: the model answered {outputs.shape[0] if outputs.ndim else 0} "
                                f"predictions for {len(frame)} records")
        return outputs
    return call


def _is_probability(outputs: np.ndarray) -> bool:
    finite = outputs[np.isfinite(outputs)]
    return finite.size > 0 and bool(((finite >= 0) & (finite <= 1)).all()) and not bool(
        np.isin(finite, [0.0, 1.0]).all())


def run_clarify(config_path: Path, dataset: Path, output_dir: Path, predict: Predict | None) -> dict[str, Any]:
    config = load_config(config_path)
    data = read_dataset(dataset, config)
    if data.empty:
        raise AnalyzerError("ClientError: the dataset has no rows")
    analysis = run_analysis(config, data, predict)
    output_dir.mkdir(parents=True, exist_ok=True)
    local = analysis.pop("_local_shap_values", None)
    if local is not None:
        (output_dir / "explanations_shap").mkdir(exist_ok=True)
        local.to_csv(output_dir / "explanations_shap" / "out.csv", index=False)
    (output_dir / "analysis.json").write_text(json.dumps(analysis, indent=2))
    return analysis
