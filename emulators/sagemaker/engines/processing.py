"""Processing jobs: ``AppSpecification.ContainerEntrypoint`` runs as a local process in a job folder.

``ProcessingInputs[].S3Input.LocalPath`` and ``ProcessingOutputs[].S3Output.LocalPath``
are container paths under ``/opt/ml/processing/``; they become the same paths
under the job folder (``<job>/processing/...``). The entry point and arguments
are rewritten the same way (every argument starting with ``/opt/ml/``), the
literal text ``/opt/ml/`` inside a Python script the command runs is rewritten
to the job folder, and ``python``/``python3`` is this environment's Python
(scikit-learn, pandas, pyarrow, xgboost are installed). The environment also
carries ``SM_PROCESSING_ROOT`` (the job folder's ``/opt/ml``), the
``AppSpecification``/job ``Environment``, and the sandbox endpoint variables.
Outputs are uploaded at the end of the job (``S3UploadMode`` EndOfJob; Continuous
is treated the same).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.sagemaker import container
from emulators.sagemaker.container import ContainerError
from emulators.sagemaker.engines import analysis, training


@dataclass
class ProcessingResult:
    status: str = "Failed"
    failure_reason: str | None = None
    exit_message: str | None = None
    log_lines: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_processing(job_name: str, app_specification: dict[str, Any], processing_inputs: list[dict[str, Any]],
                   output_config: dict[str, Any], environment: dict[str, str], stopping_condition: dict[str, Any],
                   jobs_dir: Path, s3: Any, endpoint_url: str, region: str,
                   should_stop: Callable[[], bool], on_line: Callable[[str], None] | None = None,
                   on_start: Callable[[Any], None] | None = None,
                   predict_for_model: Callable[[dict[str, Any]], Any] | None = None,
                   publish_metrics: analysis.PublishMetrics | None = None) -> ProcessingResult:
    result = ProcessingResult()
    folder = container.new_job_folder(jobs_dir, job_name)
    try:
        image = app_specification.get("ImageUri", "")
        kind = analysis.analysis_image(image)
        if kind:
            _run_analysis_job(kind, folder, processing_inputs, output_config, environment, s3,
                              predict_for_model, publish_metrics, result)
            for line in result.log_lines:
                if on_line:
                    on_line(line)
            return result
        runner = training.resolve_image(image)
        if runner.kind != "script":
            raise ContainerError(f"ClientError: processing jobs run Python entry points with the scikit-learn or "
                                 f"XGBoost framework images; {image!r} is a built-in algorithm image")
        entry = list(app_specification.get("ContainerEntrypoint") or [])
        if not entry:
            raise ContainerError("ClientError: AppSpecification.ContainerEntrypoint is required in the sandbox "
                                 "(e.g. [\"python3\", \"/opt/ml/processing/input/code/preprocess.py\"]): the "
                                 "image's own entry point is not available without Docker")
        config = folder.root / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "processingjobconfig.json").write_text(json.dumps({
            "ProcessingJobName": job_name, "AppSpecification": app_specification,
            "ProcessingInputs": processing_inputs, "ProcessingOutputConfig": output_config,
            "Environment": environment}, default=str))
        (config / "resourceconfig.json").write_text(json.dumps({"current_host": container.CURRENT_HOST,
                                                               "hosts": [container.CURRENT_HOST]}))
        for item in processing_inputs or []:
            source = item.get("S3Input")
            if not source:
                raise ContainerError(f"ClientError: input {item.get('InputName')!r}: only S3Input is emulated "
                                     "(DatasetDefinition needs Athena/Redshift query staging)")
            local = _local(folder, source.get("LocalPath", ""))
            local.mkdir(parents=True, exist_ok=True)
            container.download_prefix(s3, source["S3Uri"], local)
        outputs = (output_config or {}).get("Outputs") or []
        for item in outputs:
            if item.get("S3Output"):
                _local(folder, item["S3Output"].get("LocalPath", "")).mkdir(parents=True, exist_ok=True)
        command = container.python_command(
            [folder.map_path(a) for a in entry + list(app_specification.get("ContainerArguments") or [])])
        for arg in command[1:]:
            if arg.endswith(".py") and Path(arg).is_file() and str(folder.root) in arg:
                container.rewrite_script(Path(arg), folder)
        env = container.base_environment(endpoint_url, region)
        env.update({k: str(v) for k, v in (environment or {}).items()})
        env.update({"SM_PROCESSING_ROOT": str(folder.root), "SANDBOX_OPT_ML": str(folder.root),
                    "PROCESSING_JOB_NAME": job_name})
        lines = result.log_lines

        def line_seen(line: str) -> None:
            lines.append(line)
            if on_line:
                on_line(line)

        outcome = container.run_process(command, folder.root, env, folder.log, on_line=line_seen,
                                        should_stop=should_stop,
                                        max_seconds=(stopping_condition or {}).get("MaxRuntimeInSeconds"),
                                        on_start=on_start)
        result.seconds = outcome.seconds
        if outcome.stopped:
            result.status = "Stopped"
            return result
        if outcome.timed_out:
            result.status, result.failure_reason = "Stopped", "MaxRuntimeExceeded"
            return result
        if outcome.exit_code != 0:
            tail = "\n".join(line for line in lines[-10:] if line.strip())
            result.failure_reason = (f"AlgorithmError: See job logs for more information. ExitCode "
                                     f"{outcome.exit_code}: {tail}")[:1024]
            return result
        for item in outputs:
            target = item.get("S3Output")
            if target:
                container.upload_folder(s3, _local(folder, target.get("LocalPath", "")), target["S3Uri"])
        result.status = "Completed"
        result.exit_message = "Completed"
    except ContainerError as exc:
        result.failure_reason = str(exc)[:1024]
        result.log_lines.append(str(exc))
    except Exception as exc:
        result.failure_reason = f"InternalServerError: {type(exc).__name__}: {exc}"[:1024]
    return result


def _run_analysis_job(kind: str, folder: container.JobFolder, processing_inputs: list[dict[str, Any]],
                      output_config: dict[str, Any], environment: dict[str, str], s3: Any,
                      predict_for_model: Callable[[dict[str, Any]], Any] | None,
                      publish_metrics: analysis.PublishMetrics | None, result: ProcessingResult) -> None:
    """The Model Monitor analyzer and Clarify images run in-process (see :mod:`.analysis`)."""
    import time

    started = time.monotonic()
    inputs: dict[str, Path] = {}
    for item in processing_inputs or []:
        source = item.get("S3Input")
        if not source:
            raise ContainerError(f"ClientError: input {item.get('InputName')!r}: only S3Input is emulated")
        local = _local(folder, source.get("LocalPath", ""))
        local.mkdir(parents=True, exist_ok=True)
        container.download_prefix(s3, source["S3Uri"], local)
        inputs[item.get("InputName", "")] = local
    outputs = [item["S3Output"] for item in (output_config or {}).get("Outputs") or [] if item.get("S3Output")]
    output_dirs = [_local(folder, target.get("LocalPath", "")) for target in outputs]
    for path in output_dirs:
        path.mkdir(parents=True, exist_ok=True)
    if predict_for_model is None:
        def predict_for_model(predictor: dict[str, Any]) -> Any:
            raise ContainerError("ClientError: this sandbox cannot load models for Clarify here")
    lines = analysis.run_analysis_image(kind, dict(environment or {}), inputs, output_dirs,
                                        lambda path: _local(folder, path), predict_for_model, publish_metrics)
    result.log_lines.extend(lines)
    folder.log.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.log, "a", encoding="utf-8") as log_file:
        log_file.write("\n".join(lines) + "\n")
    for target, local in zip(outputs, output_dirs):
        container.upload_folder(s3, local, target["S3Uri"])
    result.seconds = time.monotonic() - started
    result.status = "Completed"
    result.exit_message = "Completed"


def _local(folder: container.JobFolder, local_path: str) -> Path:
    if not local_path.startswith(container.OPT_ML + "/processing"):
        raise ContainerError(f"ClientError: LocalPath {local_path!r} must be under /opt/ml/processing/")
    relative = local_path[len(container.OPT_ML) + 1:].rstrip("/")
    return container.safe_join(folder.root, relative)
