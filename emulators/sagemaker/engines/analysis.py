"""The two AWS analysis images that run in-process: the Model Monitor analyzer and Clarify.

A processing job whose ``ImageUri`` names ``sagemaker-model-monitor-analyzer`` or
``sagemaker-clarify-processing`` (any account, region or tag) does not start a
process: :func:`run_analysis_image` runs our analyzer (:mod:`.model_monitor`) or
Clarify analysis (:mod:`.clarify`) on the job folder's inputs. Publishing
CloudWatch metrics and loading Clarify's model are the caller's (the API layer
passes them in), so this module works on paths and plain values only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulators.sagemaker.container import ContainerError

log = logging.getLogger("emulators.sagemaker.monitoring")

ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
CLARIFY_REPOSITORY = "sagemaker-clarify-processing"

PublishMetrics = Callable[[dict[str, str], dict[str, Any]], "str | None"]


def analysis_image(image: str) -> str | None:
    """``"model-monitor"`` / ``"clarify"`` for the two AWS analysis images (any account/region/tag)."""
    repository = image.split("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    if repository == ANALYZER_REPOSITORY:
        return "model-monitor"
    if repository == CLARIFY_REPOSITORY:
        return "clarify"
    return None


def run_analysis_image(kind: str, environment: dict[str, str], inputs: dict[str, Path], output_dirs: list[Path],
                       resolve: Any, predict_for_model: Any,
                       publish_metrics: PublishMetrics | None = None) -> list[str]:
    """Run one of the analysis images in-process; returns log lines. Raises ``ContainerError``."""
    from emulators.sagemaker.engines import clarify, model_monitor  # pandas: only when an analysis runs

    try:
        if kind == "model-monitor":
            summary = model_monitor.run_analyzer(environment, resolve)
            lines = [f"analysed {summary['rows']} rows x {summary['columns']} columns; wrote "
                     f"{', '.join(summary['files'])}"]
            lines.extend(summary.get("printed") or [])
            for violation in summary.get("violations", []):
                lines.append(f"violation {violation['constraint_check_type']} on {violation['feature_name']}: "
                             f"{violation['description']}")
            try:
                published = publish_metrics(environment, summary) if publish_metrics else None
            except Exception as exc:  # metrics never fail the execution
                log.exception("Model Monitor: CloudWatch metrics could not be published")
                published = f"CloudWatch metrics could not be published: {type(exc).__name__}: {exc}"
            if published:
                lines.append(published)
            return lines
        config_dir = inputs.get("analysis_config")
        dataset = inputs.get("dataset")
        if config_dir is None or dataset is None:
            raise ContainerError("ClientError: a Clarify job needs the processing inputs 'analysis_config' "
                                 "(analysis_config.json) and 'dataset'")
        config_file = config_dir if config_dir.is_file() else config_dir / "analysis_config.json"
        config = clarify.load_config(config_file)
        predictor = config.get("predictor") or {}
        predict = predict_for_model(predictor) if predictor.get("model_name") else None
        if not output_dirs:
            raise ContainerError("ClientError: a Clarify job needs one ProcessingOutput (the analysis result)")
        analysis = clarify.run_clarify(config_file, dataset, output_dirs[0], predict)
        return [f"wrote analysis.json with {', '.join(k for k in analysis if k != 'version')}"]
    except model_monitor.AnalyzerError as exc:
        raise ContainerError(str(exc)) from None
