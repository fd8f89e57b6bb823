"""Training jobs: an image URI chooses a local runner, which runs in a job folder laid out as /opt/ml.

- Framework images (``sagemaker-scikit-learn``, ``sagemaker-xgboost`` with a
  ``sagemaker_program`` hyperparameter; any account, region and tag, as the
  SageMaker Python SDK builds them) run the user's script in *script mode*: the
  ``sagemaker_submit_directory`` archive (``sourcedir.tar.gz`` in S3) is unpacked
  into ``code/`` and ``python <sagemaker_program> --hp value ...`` runs there with
  the training toolkit's ``SM_*`` environment.
- A framework image with ``AlgorithmSpecification.ContainerEntrypoint`` runs that command (with its
  ``ContainerArguments``) in the job folder, ``/opt/ml`` pointed at the folder in the arguments and in
  the input channels' text files, ``python`` being the sandbox's interpreter: the SDK v3's
  ``ModelTrainer(source_code=...)`` starts its ``sm_drivers/sm_train.sh`` this way.
- Built-in algorithm images (``xgboost``/``sagemaker-xgboost`` without a script,
  ``linear-learner``, ``kmeans``, ``pca``, ``randomcutforest``) run :mod:`builtin_algorithms`.
- Any other image fails the job with a message listing what runs (bring-your-own
  containers need Docker, which the sandbox does not use).

This module never imports boto3 or moto: S3 is the ``S3Access`` handed in.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.sagemaker import container
from emulators.sagemaker.container import ContainerError, JobFolder
from emulators.sagemaker.runtime import builtin_algorithms

SCRIPT_FRAMEWORKS = {"sagemaker-scikit-learn": "sklearn", "sagemaker-xgboost": "xgboost"}
BUILTIN_REPOSITORIES = {"xgboost": "xgboost", "sagemaker-xgboost": "xgboost", "linear-learner": "linear-learner",
                        "kmeans": "kmeans", "pca": "pca", "randomcutforest": "randomcutforest"}
SUPPORTED_IMAGES = ("script mode: sagemaker-scikit-learn, sagemaker-xgboost (with sagemaker_program); "
                    "built-in algorithms: xgboost / sagemaker-xgboost (without a script), linear-learner, "
                    "kmeans, pca, randomcutforest")


@dataclass(frozen=True)
class Runner:
    kind: str  # "script" or "builtin"
    name: str  # framework (sklearn, xgboost) or algorithm


def image_repository(image: str) -> str:
    """``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3`` -> ``sagemaker-scikit-learn``."""
    path = image.split("/", 1)[1] if "/" in image else image
    path = path.split("@", 1)[0]
    return path.rsplit(":", 1)[0] if ":" in path else path


def resolve_image(image: str | None, hyperparameters: dict[str, str] | None = None,
                  environment: dict[str, str] | None = None) -> Runner:
    """The local runner for an image; ``ContainerError`` names what is supported."""
    repository = image_repository(image or "")
    scripted = "sagemaker_program" in (hyperparameters or {}) or "SAGEMAKER_PROGRAM" in (environment or {})
    if repository in SCRIPT_FRAMEWORKS and (scripted or repository == "sagemaker-scikit-learn"):
        return Runner("script", SCRIPT_FRAMEWORKS[repository])
    if repository in BUILTIN_REPOSITORIES:
        return Runner("builtin", BUILTIN_REPOSITORIES[repository])
    raise ContainerError(
        f"ClientError: the image {image!r} cannot run in the sandbox. Supported: {SUPPORTED_IMAGES}. "
        "Bring-your-own containers need Docker, which the sandbox does not use.")


def metric_history(definitions: list[dict[str, str]], line: str, into: dict[str, list[float]]) -> None:
    """Add the values a log line holds for each metric definition (the first group of its regex)."""
    for definition in definitions:
        try:
            match = re.search(definition["Regex"], line)
        except re.error:
            continue
        if match and match.groups():
            try:
                into.setdefault(definition["Name"], []).append(float(match.group(1)))
            except (TypeError, ValueError):
                pass


@dataclass
class TrainingSpec:
    job_name: str
    hyperparameters: dict[str, str]
    algorithm_specification: dict[str, Any]
    input_data_config: list[dict[str, Any]]
    output_data_config: dict[str, Any]
    resource_config: dict[str, Any]
    stopping_condition: dict[str, Any]
    region: str
    endpoint_url: str


@dataclass
class TrainingResult:
    status: str = "Failed"
    secondary_status: str = "Failed"
    failure_reason: str | None = None
    metrics: dict[str, list[float]] = field(default_factory=dict)
    model_artifact: str | None = None
    output_artifact: str | None = None
    script_seconds: float = 0.0
    log_lines: list[str] = field(default_factory=list)
    runner: Runner | None = None

    def final_metrics(self) -> dict[str, float]:
        return {name: values[-1] for name, values in self.metrics.items() if values}


def metric_definitions_for(spec: TrainingSpec, runner: Runner | None) -> list[dict[str, str]]:
    user = list(spec.algorithm_specification.get("MetricDefinitions") or [])
    if runner is not None and runner.kind == "builtin":
        return builtin_algorithms.metric_definitions(runner.name) + user
    return user


def run_training(spec: TrainingSpec, jobs_dir: Path, s3: Any,
                 on_status: Callable[[str, str], None],
                 should_stop: Callable[[], bool],
                 on_line: Callable[[str, dict[str, list[float]]], None] | None = None,
                 on_start: Callable[[Any], None] | None = None) -> TrainingResult:
    """Run one training job to its end; never raises (failures are in the result)."""
    result = TrainingResult()
    folder = container.new_job_folder(jobs_dir, spec.job_name)
    try:
        runner = _entrypoint_runner(spec) or resolve_image(spec.algorithm_specification.get("TrainingImage"),
                                                           spec.hyperparameters)
        result.runner = runner
        definitions = metric_definitions_for(spec, runner)
        on_status("Downloading", "Downloading input data")
        container.write_training_config(folder, spec.hyperparameters, spec.input_data_config, spec.resource_config)
        container.download_channels(s3, folder, spec.input_data_config)
        if should_stop():
            return _stopped(result)
        command, cwd = _command(runner, spec, folder, s3)
        env = container.training_environment(folder, spec.job_name, spec.hyperparameters, spec.input_data_config,
                                             spec.resource_config, command[1] if runner.kind == "script" else None,
                                             spec.endpoint_url, spec.region)
        if runner.kind == "entrypoint":  # `python` in the container's scripts is the sandbox's interpreter
            env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", os.environ.get("PATH", ""))
        on_status("Training", "Training image download completed. Training in progress.")

        def line_seen(line: str) -> None:
            result.log_lines.append(line)
            metric_history(definitions, line, result.metrics)
            if on_line:
                on_line(line, result.metrics)

        max_seconds = (spec.stopping_condition or {}).get("MaxRuntimeInSeconds")
        outcome = container.run_process(command, cwd, env, folder.log, on_line=line_seen, should_stop=should_stop,
                                        max_seconds=max_seconds, on_start=on_start)
        result.script_seconds = outcome.seconds
        on_status("Uploading", "Uploading generated training model")
        output_path = spec.output_data_config.get("S3OutputPath")
        if output_path:
            base = container.join_s3(output_path, spec.job_name, "output")
            result.model_artifact = _upload_archive(s3, folder.model, container.join_s3(base, "model.tar.gz"))
            if folder.output_data.exists() and any(folder.output_data.iterdir()) or folder.failure.exists():
                result.output_artifact = _upload_archive(s3, folder.output_data,
                                                         container.join_s3(base, "output.tar.gz"))
        if outcome.stopped:
            return _stopped(result)
        if outcome.timed_out:
            result.status, result.secondary_status = "Stopped", "MaxRuntimeExceeded"
            result.failure_reason = f"Training job reached the MaxRuntimeInSeconds of {max_seconds} s"
            return result
        if outcome.exit_code != 0 or folder.failure.exists():
            result.failure_reason = container.failure_reason(folder, outcome.exit_code, result.log_lines)
            return result
        result.status = result.secondary_status = "Completed"
    except ContainerError as exc:
        result.failure_reason = str(exc)[:1024]
        result.log_lines.append(str(exc))
    except Exception as exc:  # an engine bug must still end the job
        result.failure_reason = f"InternalServerError: {type(exc).__name__}: {exc}"[:1024]
        result.log_lines.append(result.failure_reason)
    return result


def _stopped(result: TrainingResult) -> TrainingResult:
    result.status = result.secondary_status = "Stopped"
    result.failure_reason = None
    return result


def _upload_archive(s3: Any, folder: Path, uri: str) -> str:
    bucket, key = container.parse_s3_uri(uri)
    folder.mkdir(parents=True, exist_ok=True)
    s3.put(bucket, key, container.pack_folder(folder), content_type="application/x-tar")
    return uri


def fetch_source_dir(s3: Any, submit_directory: str, destination: Path) -> None:
    """Unpack the SDK's ``sourcedir.tar.gz`` (or copy a single .py) from S3 into ``destination``."""
    bucket, key = container.parse_s3_uri(submit_directory)
    try:
        body = s3.get(bucket, key)
    except Exception as exc:
        raise ContainerError(f"ClientError: cannot read sagemaker_submit_directory {submit_directory}: {exc}") from None
    if key.endswith(".py"):
        (destination / key.rsplit("/", 1)[-1]).write_bytes(body)
    else:
        container.safe_extract(body, destination)


def _entrypoint_runner(spec: TrainingSpec) -> Runner | None:
    """A framework image whose ``ContainerEntrypoint`` the request names runs that command (the SDK v3's
    ModelTrainer starts its ``sm_drivers/sm_train.sh`` this way), not the image's script-mode launcher."""
    if not spec.algorithm_specification.get("ContainerEntrypoint"):
        return None
    repository = image_repository(spec.algorithm_specification.get("TrainingImage") or "")
    if repository not in SCRIPT_FRAMEWORKS:
        return None
    return Runner("entrypoint", SCRIPT_FRAMEWORKS[repository])


def _entrypoint_command(spec: TrainingSpec, folder: JobFolder) -> tuple[list[str], Path]:
    """``ContainerEntrypoint`` + ``ContainerArguments`` with ``/opt/ml`` pointed at the job folder, in the
    arguments and in the text files of the input channels (driver scripts, the user's code)."""
    root = str(folder.root).replace("\\", "/")

    def mapped(text: str) -> str:
        return re.sub(r"/opt/ml(?=[/'\"\s]|$)", root, text)

    for path in folder.data.rglob("*"):
        if path.is_file() and path.suffix in (".sh", ".py", ".json", ".env", ".txt", "") and path.stat().st_size < 2**20:
            container.rewrite_script(path, folder)
    spec_algorithm = spec.algorithm_specification
    command = [mapped(str(a)) for a in [*spec_algorithm.get("ContainerEntrypoint", []),
                                        *(spec_algorithm.get("ContainerArguments") or [])]]
    return command, folder.root


def _command(runner: Runner, spec: TrainingSpec, folder: JobFolder, s3: Any) -> tuple[list[str], Path]:
    if runner.kind == "entrypoint":
        return _entrypoint_command(spec, folder)
    if runner.kind == "builtin":
        return [sys.executable, "-m", "emulators.sagemaker.runtime.builtin_algorithms", runner.name, str(folder.root)], \
            folder.root
    hps = container.decode_hyperparameters(spec.hyperparameters)
    program = hps.get("sagemaker_program")
    if not program:
        raise ContainerError("ClientError: script mode needs the sagemaker_program hyperparameter (the entry "
                             "point script), and sagemaker_submit_directory (the S3 URI of sourcedir.tar.gz)")
    submit = hps.get("sagemaker_submit_directory")
    if submit and str(submit).startswith("s3://"):
        fetch_source_dir(s3, str(submit), folder.code)
    script = container.safe_join(folder.code, str(program))
    if not script.exists():
        raise ContainerError(f"ClientError: the entry point {program!r} is not in the source directory "
                             f"{submit or '(none given)'}")
    container.rewrite_script(script, folder)
    arguments = [folder.map_path(a) for a in container.hyperparameter_arguments(spec.hyperparameters)]
    return [sys.executable, str(script.relative_to(folder.code)), *arguments], folder.code
