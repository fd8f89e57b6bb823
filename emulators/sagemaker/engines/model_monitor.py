"""Model Monitor's pre-built analyzer (``sagemaker-model-monitor-analyzer``), on pandas.

AWS's container is Spark + Deequ. It runs as a processing job in two roles, told
apart by its environment:

- **baseline** (``DefaultModelMonitor.suggest_baseline``): no ``baseline_constraints``;
  reads the dataset under ``dataset_source`` and writes ``statistics.json`` and a
  suggested ``constraints.json`` to ``output_path``.
- **monitoring** (an execution of a monitoring schedule): ``dataset_format`` is
  ``sagemakerCaptureJson``; reads the endpoint's captured JSON lines, computes the
  same statistics and checks them against ``baseline_constraints`` /
  ``baseline_statistics``, writing ``statistics.json`` and ``constraint_violations.json``.

The files follow the documented schemas (statistics: ``dataset.item_count`` and per
feature ``numerical_statistics``/``string_statistics`` with a KLL-shaped distribution;
constraints: ``inferred_type``, ``completeness``, ``num_constraints.is_non_negative``,
``string_constraints.domains``, ``monitoring_config``; violations:
``feature_name``/``constraint_check_type``/``description``).

Differences from AWS, stated plainly: the numeric "sketch" is an exact sorted sample of
up to 2,048 quantiles rather than a KLL sketch; drift between numeric distributions is
the Kolmogorov-Smirnov distance between the baseline's quantiles and the current values
(AWS's "Robust" method is also a CDF distance over sketches, so values are close but not
identical); categorical drift is the L-infinity distance between value frequencies.

Captured columns are named by position after the baseline's features (as AWS does: the
inference data must have the baseline's columns in the same order, outputs first when
``output_columns_position`` is ``START``).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NO_DATA = "Job inputs had no data"
SKETCH_SIZE = 2048
BUCKETS = 10
CHECK_TYPES = ("data_type_check", "completeness_check", "baseline_drift_check", "missing_column_check",
               "extra_column_check", "categorical_values_check")
DEFAULT_MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1,
                                 "comparison_method": "Robust", "categorical_comparison_threshold": 0.1,
                                 "categorical_drift_method": "LInfinity"},
}


class AnalyzerError(Exception):
    """A problem with the analyzer's input, reported as the processing job's FailureReason."""


# ----------------------------------------------------------------------------- reading data
def _files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise AnalyzerError(f"ClientError: no data files under the dataset source {source.name!r}")
    return files


def _csv_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", ""))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_dataset(source: Path, dataset_format: dict[str, Any], names: list[str] | None = None,
                 environment_window: dict[str, str] | None = None,
                 preprocess: Callable[[list[dict[str, Any]]], list[Any]] | None = None) -> pd.DataFrame:
    """The dataset a job analyses, every column as text (types are inferred afterwards, as Deequ does).

    Captured data is kept only inside ``start_time``/``end_time`` when the environment gives them
    (the platform may download more than the monitoring period, as AWS documents).
    """
    environment_window = environment_window or {}
    if "sagemakerCaptureJson" in dataset_format:
        indexes = dataset_format["sagemakerCaptureJson"].get("captureIndexNames") or ["endpointInput"]
        return read_captured(source, indexes, names, _time(environment_window.get("start_time")),
                             _time(environment_window.get("end_time")), preprocess)
    if preprocess is not None:
        raise AnalyzerError("ClientError: the sandbox applies record_preprocessor_script to captured endpoint "
                            "data only; preprocess the baseline dataset itself before suggest_baseline")
    if "csv" in dataset_format:
        header = bool(dataset_format["csv"].get("header", False))
        rows: list[list[str]] = []
        columns: list[str] | None = None
        for path in _files(source):
            file_rows = _csv_rows(path.read_text(encoding="utf-8", errors="replace"))
            if header and file_rows:
                columns = columns or [c.strip() for c in file_rows[0]]
                file_rows = file_rows[1:]
            rows.extend(file_rows)
        return _frame(rows, columns or names)
    if "json" in dataset_format:
        records = []
        for path in _files(source):
            text = path.read_text(encoding="utf-8", errors="replace")
            if dataset_format["json"].get("lines", True):
                records.extend(json.loads(line) for line in text.splitlines() if line.strip())
            else:
                loaded = json.loads(text)
                records.extend(loaded if isinstance(loaded, list) else [loaded])
        return pd.DataFrame.from_records(records).astype(object)
    if "parquet" in dataset_format:
        frames = [pd.read_parquet(path) for path in _files(source) if path.suffix != ".crc"]
        return pd.concat(frames, ignore_index=True).astype(object)
    raise AnalyzerError(f"ClientError: unsupported dataset_format {json.dumps(dataset_format)}; "
                        "use csv, json, parquet or sagemakerCaptureJson")


def _frame(rows: list[list[str]], names: list[str] | None) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=len(names or []))
    padded = [r + [""] * (width - len(r)) for r in rows]
    columns = list(names or [])[:width]
    columns += [f"_c{i}" for i in range(len(columns), width)]
    frame = pd.DataFrame(padded, columns=columns, dtype=object)
    return frame.replace({"": None})


def _captured_values(entry: dict[str, Any]) -> list[list[str]]:
    data = entry.get("data", "")
    encoding = entry.get("encoding", "CSV")
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8", errors="replace")
    content_type = (entry.get("observedContentType") or "").lower()
    if encoding == "JSON" or "json" in content_type:
        parsed = json.loads(data)
        if isinstance(parsed, dict):
            for key in ("instances", "predictions", "features", "data"):
                if key in parsed:
                    parsed = parsed[key]
                    break
            else:
                parsed = [list(parsed.values())]
        if not isinstance(parsed, list):
            parsed = [[parsed]]
        return [[str(v) for v in (row if isinstance(row, list) else [row])] for row in parsed]
    return _csv_rows(data)


def read_captured(source: Path, indexes: list[str], names: list[str] | None,
                  start: datetime | None = None, end: datetime | None = None,
                  preprocess: Callable[[list[dict[str, Any]]], list[Any]] | None = None) -> pd.DataFrame:
    """Captured requests/responses (``captureData``) as rows: outputs first when both are captured.

    With a record preprocessor, each captured event in the window goes through its
    ``preprocess_handler`` instead and what it returns becomes the rows.
    """
    order = sorted(indexes, key=lambda name: 0 if name == "endpointOutput" else 1)
    rows: list[list[str]] = []
    events: list[dict[str, Any]] = []
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json")) \
        if source.is_dir() else []
    if not files:
        raise AnalyzerError(f"{NO_DATA}: no captured requests (*.jsonl) under the endpoint's DataCaptureConfig "
                            "destination; invoke the endpoint with data capture enabled first")
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            moment = _time((event.get("eventMetadata") or {}).get("inferenceTime"))
            if moment is not None and ((start and moment < start) or (end and moment > end)):
                continue
            if preprocess is not None:
                events.append(event)
                continue
            capture = event.get("captureData", {})
            parts = [_captured_values(capture[name]) for name in order if name in capture]
            if not parts:
                continue
            count = max(len(p) for p in parts)
            # a batch response may put one value per input row on a single line ("0.1,0.7,0.2")
            parts = [[[value] for value in part[0]] if len(part) == 1 and count > 1 and len(part[0]) == count
                     else part for part in parts]
            for i in range(count):
                row: list[str] = []
                for part in parts:
                    row.extend(part[i] if i < len(part) else [])
                rows.append(row)
    if preprocess is not None and events:
        for result in preprocess(events):
            rows.extend(_preprocessed_rows(result, names))
    return _frame(rows, names)


def _preprocessed_rows(result: Any, names: list[str] | None) -> list[list[str]]:
    """What a ``preprocess_handler`` returned, as rows: a dict (one row), a list of dicts, a list of values."""
    def text(value: Any) -> str:
        return "" if value is None else json.dumps(value) if isinstance(value, (dict, list)) else str(value)

    def row_of(record: Any) -> list[str]:
        if isinstance(record, dict):
            keys = list(record)
            if not (names and set(keys) <= set(names)):
                keys = sorted(keys, key=str)  # AWS orders unnamed keys lexicographically (hence zfill'd keys)
            else:
                keys = [n for n in names if n in record]
            return [text(record[k]) for k in keys]
        if isinstance(record, (list, tuple)):
            return [text(v) for v in record]
        return [text(record)]

    if result is None or result == [] or result == {}:
        return []
    if isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        return [row_of(r) for r in result]
    return [row_of(result)]


PREPROCESS_HARNESS = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("record_preprocessor", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
handler = getattr(module, sys.argv[3], None)
if handler is None:
    sys.exit(f"the script defines no {sys.argv[3]}()")

class CapturedData:
    def __init__(self, data):
        data = data or {}
        self.data, self.encoding = data.get("data"), data.get("encoding")
        self.mode, self.observed_content_type = data.get("mode"), data.get("observedContentType")

class EventMetadata:
    def __init__(self, data):
        data = data or {}
        self.event_id, self.inference_id = data.get("eventId"), data.get("inferenceId")
        self.inference_time = data.get("inferenceTime")

class InferenceRecord:
    def __init__(self, event):
        capture = event.get("captureData") or {}
        self.endpoint_input = CapturedData(capture["endpointInput"]) if "endpointInput" in capture else None
        self.endpoint_output = CapturedData(capture["endpointOutput"]) if "endpointOutput" in capture else None
        self.event_metadata = EventMetadata(event.get("eventMetadata"))
        self.event_version = event.get("eventVersion")

if sys.argv[3] == "postprocess_handler":
    handler()
    sys.exit(0)
with open(sys.argv[2], "w") as out:
    for line in sys.stdin:
        if line.strip():
            out.write(json.dumps(handler(InferenceRecord(json.loads(line))), default=str) + "\\n")
"""


def _run_script_handler(script: Path, handler: str, events: list[dict[str, Any]] | None,
                        timeout: float = 600) -> tuple[list[Any], list[str]]:
    """Run a user's ``preprocess_handler``/``postprocess_handler`` in a child Python; (results, printed lines)."""
    if not script.is_file():
        raise AnalyzerError(f"ClientError: the {handler.split('_')[0]}ing script {script.name!r} was not downloaded "
                            "(check RecordPreprocessorSourceUri / PostAnalyticsProcessorSourceUri)")
    work = script.parent
    harness = work / f".sandbox_{handler}.py"
    harness.write_text(PREPROCESS_HARNESS)
    results_file = work / f".sandbox_{handler}.jsonl"
    payload = "".join(json.dumps(e) + "\n" for e in events or [])
    try:
        done = subprocess.run([sys.executable, str(harness), str(script), str(results_file), handler],
                              input=payload, capture_output=True, text=True, timeout=timeout, cwd=str(work))
    except subprocess.TimeoutExpired:
        raise AnalyzerError(f"ClientError: {handler} in {script.name} ran longer than {timeout:.0f} s") from None
    printed = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0:
        tail = " | ".join(printed[-6:])
        raise AnalyzerError(f"ClientError: {handler} in {script.name} failed: {tail}"[:1000])
    results = []
    if results_file.exists():
        results = [json.loads(line) for line in results_file.read_text().splitlines() if line.strip()]
    return results, printed


# ----------------------------------------------------------------------------- statistics
def infer_type(values: pd.Series) -> str:
    present = values.dropna()
    if present.empty:
        return "Unknown"
    numbers = pd.to_numeric(present.astype(str).str.strip(), errors="coerce")
    if numbers.isna().any():
        return "String"
    if (numbers == numbers.round()).all() and not present.astype(str).str.contains(r"[.eE]").any():
        return "Integral"
    return "Fractional"


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values.dropna().astype(str).str.strip(), errors="coerce").dropna().to_numpy(float)


def _kll(numbers: np.ndarray) -> dict[str, Any]:
    low, high = float(numbers.min()), float(numbers.max())
    edges = np.linspace(low, high, BUCKETS + 1) if high > low else np.array([low, high])
    counts, _ = np.histogram(numbers, bins=edges)
    buckets = [{"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(counts[i])}
               for i in range(len(counts))]
    if len(numbers) > SKETCH_SIZE:
        sketch = np.quantile(numbers, np.linspace(0, 1, SKETCH_SIZE))
    else:
        sketch = np.sort(numbers)
    return {"buckets": buckets,
            "sketch": {"parameters": {"c": 0.64, "k": float(SKETCH_SIZE)}, "data": [sketch.tolist()]}}


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


def compute_statistics(frame: pd.DataFrame) -> dict[str, Any]:
    """``statistics.json`` for a dataset."""
    features = []
    for name in frame.columns:
        column = frame[name]
        present = int(column.notna().sum())
        common = {"num_present": present, "num_missing": int(len(column) - present)}
        kind = infer_type(column)
        feature: dict[str, Any] = {"name": str(name), "inferred_type": kind}
        if kind in ("Integral", "Fractional"):
            numbers = _numbers(column)
            feature["numerical_statistics"] = {
                "common": common, "mean": _finite(numbers.mean()), "sum": _finite(numbers.sum()),
                "std_dev": _finite(numbers.std(ddof=0)), "min": _finite(numbers.min()),
                "max": _finite(numbers.max()), "distribution": {"kll": _kll(numbers)}}
        else:
            text = column.dropna().astype(str)
            counts = text.value_counts()
            feature["string_statistics"] = {
                "common": common, "distinct_count": float(len(counts)),
                "distribution": {"categorical": {"buckets": [{"value": str(v), "count": int(c)}
                                                             for v, c in counts.items()]}}}
        features.append(feature)
    return {"version": 0.0, "dataset": {"item_count": int(len(frame))}, "features": features}


def suggest_constraints(statistics: dict[str, Any]) -> dict[str, Any]:
    """The constraints the baseline suggests: type, completeness, non-negativity, categorical domains."""
    features = []
    count = statistics["dataset"]["item_count"] or 1
    for feature in statistics["features"]:
        entry: dict[str, Any] = {"name": feature["name"], "inferred_type": feature["inferred_type"]}
        if "numerical_statistics" in feature:
            stats = feature["numerical_statistics"]
            entry["completeness"] = stats["common"]["num_present"] / count
            entry["num_constraints"] = {"is_non_negative": stats["min"] >= 0}
        elif "string_statistics" in feature:
            stats = feature["string_statistics"]
            entry["completeness"] = stats["common"]["num_present"] / count
            buckets = stats["distribution"]["categorical"]["buckets"]
            # Deequ suggests a domain only for low-cardinality columns
            if 0 < len(buckets) <= max(10, int(0.1 * count)) and len(buckets) < count:
                entry["string_constraints"] = {"domains": sorted(b["value"] for b in buckets)}
        else:
            entry["completeness"] = 0.0
        features.append(entry)
    return {"version": 0.0, "features": features, "monitoring_config": json.loads(json.dumps(DEFAULT_MONITORING_CONFIG))}


# ----------------------------------------------------------------------------- checking
def ks_distance(baseline_sample: np.ndarray, current: np.ndarray) -> float:
    """Largest gap between the two empirical distribution functions."""
    if baseline_sample.size == 0 or current.size == 0:
        return 0.0
    base, cur = np.sort(baseline_sample), np.sort(current)
    points = np.concatenate([base, cur])
    cdf_base = np.searchsorted(base, points, side="right") / base.size
    cdf_cur = np.searchsorted(cur, points, side="right") / cur.size
    return float(np.max(np.abs(cdf_base - cdf_cur)))


def linf_distance(baseline: dict[str, float], current: dict[str, float]) -> float:
    base_total = sum(baseline.values()) or 1.0
    cur_total = sum(current.values()) or 1.0
    keys = set(baseline) | set(current)
    return max((abs(baseline.get(k, 0) / base_total - current.get(k, 0) / cur_total) for k in keys), default=0.0)


def _type_matches(expected: str, values: pd.Series) -> float:
    """The share of present values that fit the baseline's type."""
    present = values.dropna().astype(str).str.strip()
    if present.empty or expected in ("String", "Unknown"):
        return 1.0
    numbers = pd.to_numeric(present, errors="coerce")
    if expected == "Fractional":
        return float(numbers.notna().mean())
    return float((numbers.notna() & (numbers == numbers.round()) & ~present.str.contains(r"[.eE]")).mean())


def check_constraints(frame: pd.DataFrame, constraints: dict[str, Any],
                      baseline_statistics: dict[str, Any] | None,
                      distances: dict[str, float] | None = None) -> list[dict[str, str]]:
    """``constraint_violations.json``'s list for ``frame`` against a baseline.

    ``distances``, when given, receives each compared feature's drift distance (the
    ``feature_baseline_drift_<feature>`` CloudWatch metric).
    """
    config = {**DEFAULT_MONITORING_CONFIG, **(constraints.get("monitoring_config") or {})}
    distribution = {**DEFAULT_MONITORING_CONFIG["distribution_constraints"], **(config.get("distribution_constraints") or {})}
    expected = constraints.get("features") or []
    violations: list[dict[str, str]] = []
    if frame.shape[1] < len(expected):
        violations.append({"feature_name": expected[frame.shape[1]]["name"], "constraint_check_type": "missing_column_check",
                           "description": f"There are missing columns in current dataset. Number of columns in "
                                          f"current dataset: {frame.shape[1]}, Number of columns in baseline "
                                          f"constraints: {len(expected)}"})
    if frame.shape[1] > len(expected):
        violations.append({"feature_name": str(frame.columns[len(expected)]), "constraint_check_type": "extra_column_check",
                           "description": f"There are extra columns in current dataset. Number of columns in "
                                          f"current dataset: {frame.shape[1]}, Number of columns in baseline "
                                          f"constraints: {len(expected)}"})
    baseline_features = {f["name"]: f for f in (baseline_statistics or {}).get("features", [])}
    total = len(frame) or 1
    for feature in expected:
        name = feature["name"]
        if name not in frame.columns:
            continue
        values = frame[name]
        kind = feature.get("inferred_type", "Unknown")
        fit = _type_matches(kind, values)
        if fit < float(config.get("datatype_check_threshold", 1.0)):
            violations.append({"feature_name": name, "constraint_check_type": "data_type_check",
                               "description": f"Data type match requirement is not met. Expected data type: {kind}, "
                                              f"Expected match: {float(config.get('datatype_check_threshold', 1.0)) * 100:.0f}%. "
                                              f"Observed: Only {fit * 100:.1f}% of data is {kind}."})
        completeness = float(values.notna().sum()) / total
        wanted = feature.get("completeness")
        if wanted is not None and completeness < float(wanted) - 1e-9:
            violations.append({"feature_name": name, "constraint_check_type": "completeness_check",
                               "description": f"Data completeness requirement is not met. Expected completeness: "
                                              f"{float(wanted) * 100:.1f}%. Observed: {completeness * 100:.1f}% complete."})
        domains = (feature.get("string_constraints") or {}).get("domains")
        if domains:
            present = values.dropna().astype(str)
            unknown = present[~present.isin(domains)]
            conforming = 1.0 - (len(unknown) / len(present) if len(present) else 0.0)
            if conforming < float(config.get("domain_content_threshold", 1.0)):
                sample = ", ".join(sorted(set(unknown.head(5))))
                violations.append({"feature_name": name, "constraint_check_type": "categorical_values_check",
                                   "description": f"Data content requirement is not met. Expected: "
                                                  f"{float(config.get('domain_content_threshold', 1.0)) * 100:.0f}% of values in "
                                                  f"the baseline domain. Observed: {conforming * 100:.1f}%; values outside it: {sample}"})
        if str(distribution.get("perform_comparison", "Enabled")) != "Enabled" or name not in baseline_features:
            continue
        base = baseline_features[name]
        if "numerical_statistics" in base and kind in ("Integral", "Fractional"):
            sample = np.asarray(base["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"][0], float)
            distance = ks_distance(sample, _numbers(values))
            threshold = float(distribution.get("comparison_threshold", 0.1))
        elif "string_statistics" in base:
            buckets = base["string_statistics"]["distribution"]["categorical"]["buckets"]
            counts = values.dropna().astype(str).value_counts()
            distance = linf_distance({b["value"]: b["count"] for b in buckets}, counts.to_dict())
            threshold = float(distribution.get("categorical_comparison_threshold",
                                               distribution.get("comparison_threshold", 0.1)))
        else:
            continue
        if distances is not None:
            distances[name] = distance
        if distance > threshold:
            violations.append({"feature_name": name, "constraint_check_type": "baseline_drift_check",
                               "description": f"Baseline drift distance: {distance:.4f} exceeds threshold: {threshold}"})
    return violations


# ----------------------------------------------------------------------------- the container
def run_analyzer(environment: dict[str, str], resolve: Any) -> dict[str, Any]:
    """Run the analyzer as its container would; ``resolve`` maps a container path to a local one.

    Returns a summary (``violations`` count, ``files`` written) for the job's log.
    """
    try:
        dataset_format = json.loads(environment.get("dataset_format") or '{"csv": {"header": true}}')
    except json.JSONDecodeError as exc:
        raise AnalyzerError(f"ClientError: the dataset_format environment variable is not JSON: {exc}") from exc
    source = environment.get("dataset_source")
    output = environment.get("output_path")
    if not source or not output:
        raise AnalyzerError("ClientError: the analyzer needs the dataset_source and output_path environment "
                            "variables (DefaultModelMonitor.suggest_baseline sets them)")
    out_dir = resolve(output)
    out_dir.mkdir(parents=True, exist_ok=True)
    constraints_path = environment.get("baseline_constraints")
    statistics_path = environment.get("baseline_statistics")
    constraints = json.loads(resolve(constraints_path).read_text()) if constraints_path else None
    baseline_stats = json.loads(resolve(statistics_path).read_text()) if statistics_path else None
    reference = constraints or baseline_stats
    names = [f["name"] for f in reference["features"]] if reference else None
    printed: list[str] = []
    script = resolve(environment["record_preprocessor_script"]) if environment.get("record_preprocessor_script") \
        else None

    def preprocess(events: list[dict[str, Any]]) -> list[Any]:
        results, lines = _run_script_handler(script, "preprocess_handler", events)
        printed.extend(lines)
        return results
    frame = read_dataset(resolve(source), dataset_format, names, environment, preprocess if script else None)
    if frame.empty:
        if "sagemakerCaptureJson" in dataset_format:
            raise AnalyzerError(f"{NO_DATA}: no captured requests between start_time "
                                f"{environment.get('start_time')} and end_time {environment.get('end_time')}")
        raise AnalyzerError("ClientError: the dataset to analyse has no rows")
    statistics = compute_statistics(frame)
    (out_dir / "statistics.json").write_text(json.dumps(statistics, indent=2))
    written = ["statistics.json"]
    summary: dict[str, Any] = {"rows": len(frame), "columns": frame.shape[1]}
    if constraints is None:
        (out_dir / "constraints.json").write_text(json.dumps(suggest_constraints(statistics), indent=2))
        written.append("constraints.json")
    else:
        drift: dict[str, float] = {}
        violations = check_constraints(frame, constraints, baseline_stats, drift)
        summary.update(statistics=statistics, drift=drift,
                       emit_metrics=str((constraints.get("monitoring_config") or {}).get("emit_metrics", "Enabled")))
        (out_dir / "constraint_violations.json").write_text(json.dumps({"violations": violations}, indent=2))
        written.append("constraint_violations.json")
        summary["violations"] = violations
    summary["files"] = written
    if environment.get("post_analytics_processor_script"):
        _, lines = _run_script_handler(resolve(environment["post_analytics_processor_script"]),
                                       "postprocess_handler", None)
        printed.extend(lines)
    summary["printed"] = printed
    return summary
