"""SageMaker Autopilot (AutoML jobs) on tabular data: every candidate is a real training job.

``CreateAutoMLJob`` (v1) and ``CreateAutoMLJobV2`` with a ``TabularJobConfig`` start a
background run that does what Autopilot does, at a small scale:

1. **AnalyzingData**: reads the training channel (CSV with a header, or Parquet; gzip
   too) from S3, checks the target column, infers the problem type when none is
   given (two classes -> BinaryClassification, a few classes or text labels ->
   MulticlassClassification, many numeric values -> Regression) and the default
   objective (F1 / Accuracy / MSE, as AWS documents), and splits off a validation
   set (``DataSplitConfig.ValidationFraction``, default 0.2, stratified) unless a
   ``validation`` channel is given. Both sets are written under
   ``<S3OutputPath>/<job>/preprocessed-data/``.
2. **FeatureEngineering / ModelTuning**: up to ``MaxCandidates`` candidates (default
   :data:`DEFAULT_MAX_CANDIDATES` here, 250 on AWS), each a scikit-learn script-mode
   **training job** (:mod:`.automl_candidate`) with imputation, scaling and one-hot
   encoding in front of an algorithm: ``linear-learner`` (logistic/ridge regression),
   ``xgboost``, ``randomforest``, ``extra-trees``, ``lightgbm`` and ``catboost``
   (scikit-learn's histogram gradient boosting stands in for both), ``nn-torch`` /
   ``fastai`` (scikit-learn's MLP). ``AutoMLAlgorithms`` (v2 ``CandidateGenerationConfig``
   or v1 ``AutoMLJobConfig.CandidateGenerationConfig``) restricts the list. The
   candidates' training jobs, logs and MLflow runs are the ordinary ones.
3. The best candidate by the objective on the validation set becomes ``BestCandidate``
   with ``InferenceContainers`` (scikit-learn image, the candidate's model.tar.gz) that
   ``CreateModel`` / endpoints / batch transform serve: CSV rows without the target
   in, ``predicted_label`` out (JSON: ``predicted_label`` and ``probability``).
   ``ModelDeployConfig`` deploys it to an endpoint.

``ListCandidatesForAutoMLJob`` lists every candidate with its metrics; ``StopAutoMLJob``
stops the running candidate and keeps the best so far.

Not emulated: the generated notebooks (``AutoMLJobArtifacts``), explainability and
model-insights reports, ensembling with AutoGluon (``Mode=ENSEMBLING`` runs the same
candidates), ``GenerateCandidateDefinitionsOnly``, image/text/time-series/LLM problem
types, ``ManifestFile`` inputs, sample weights, and ``SAGEMAKER_INFERENCE_OUTPUT``
(models are served in-process, so the output keys are fixed).
"""

from __future__ import annotations

import copy
import io
import json
import logging
import random
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import AwsError
from emulators.core.s3access import s3_access
from emulators.core.server import current_cloud
from emulators.sagemaker import container, validation

log = logging.getLogger("emulators.sagemaker.automl")

DEFAULT_MAX_CANDIDATES = 5
POLL_SECONDS = 0.25
CANDIDATE_SCRIPT = Path(__file__).with_name("automl_candidate.py")
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


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ===================================================================== the job record
class SandboxAutoMLJob:
    """An AutoML job as the sandbox runs it (kept in moto's ``auto_ml_jobs``, pickled with the backend)."""

    def __init__(self, name: str, arn: str, api_version: int, request: dict[str, Any]) -> None:
        now = utcnow()
        self.auto_ml_job_name = name
        self.arn = arn
        self.api_version = api_version
        self.request = request  # the API members as sent, for Describe*
        self.auto_ml_job_status = "InProgress"
        self.auto_ml_job_secondary_status = "Starting"
        self.creation_time = now
        self.last_modified_time = now
        self.end_time: datetime | None = None
        self.failure_reason: str | None = None
        self.partial_failure_reasons: list[dict[str, str]] = []
        self.problem_type: str | None = None
        self.objective: dict[str, str] | None = None
        self.candidates: list[dict[str, Any]] = []
        self.best_candidate_name: str | None = None
        self.model_deploy_result: dict[str, Any] | None = None
        self.stop_requested = False

    # -- the request, whichever API version sent it
    @property
    def tabular_config(self) -> dict[str, Any]:
        if self.api_version == 2:
            return (self.request.get("AutoMLProblemTypeConfig") or {}).get("TabularJobConfig") or {}
        config = self.request.get("AutoMLJobConfig") or {}
        channels = self.request.get("InputDataConfig") or []
        return {"TargetAttributeName": channels[0].get("TargetAttributeName") if channels else None,
                "ProblemType": self.request.get("ProblemType"),
                "CompletionCriteria": config.get("CompletionCriteria") or {},
                "CandidateGenerationConfig": config.get("CandidateGenerationConfig") or {},
                "Mode": config.get("Mode"),
                "GenerateCandidateDefinitionsOnly": self.request.get("GenerateCandidateDefinitionsOnly")}

    @property
    def channels(self) -> list[dict[str, Any]]:
        return self.request.get("AutoMLJobInputDataConfig" if self.api_version == 2 else "InputDataConfig") or []

    @property
    def validation_fraction(self) -> float:
        split = self.request.get("DataSplitConfig") or (self.request.get("AutoMLJobConfig") or {}).get(
            "DataSplitConfig") or {}
        return float(split.get("ValidationFraction", 0.2))

    def touch(self, secondary: str | None = None) -> None:
        if secondary:
            self.auto_ml_job_secondary_status = secondary
        self.last_modified_time = utcnow()

    def best_candidate(self) -> dict[str, Any] | None:
        return next((c for c in self.candidates if c["CandidateName"] == self.best_candidate_name), None)

    def resolved_attributes(self) -> dict[str, Any] | None:
        if not self.problem_type:
            return None
        criteria = {"MaxCandidates": max_candidates(self.tabular_config), **(
            self.tabular_config.get("CompletionCriteria") or {})}
        if self.api_version == 1:
            return {"AutoMLJobObjective": self.objective, "ProblemType": self.problem_type,
                    "CompletionCriteria": criteria}
        return {"AutoMLJobObjective": self.objective, "CompletionCriteria": criteria,
                "AutoMLProblemTypeResolvedAttributes": {
                    "TabularResolvedAttributes": {"ProblemType": self.problem_type}}}

    def describe(self) -> dict[str, Any]:
        """DescribeAutoMLJobV2 (and, through :meth:`describe_v1`, DescribeAutoMLJob)."""
        if self.api_version == 1:
            return self.describe_v1()
        body = {"AutoMLJobName": self.auto_ml_job_name, "AutoMLJobArn": self.arn,
                "AutoMLJobInputDataConfig": self.channels, "OutputDataConfig": self.request.get("OutputDataConfig"),
                "RoleArn": self.request.get("RoleArn"),
                "AutoMLJobObjective": self.objective or self.request.get("AutoMLJobObjective"),
                "AutoMLProblemTypeConfig": self.request.get("AutoMLProblemTypeConfig"),
                "AutoMLProblemTypeConfigName": "Tabular",
                "DataSplitConfig": self.request.get("DataSplitConfig") or {"ValidationFraction": 0.2},
                "SecurityConfig": self.request.get("SecurityConfig"),
                "ModelDeployConfig": self.request.get("ModelDeployConfig")}
        return self._common(body)

    def describe_v1(self) -> dict[str, Any]:
        body = {"AutoMLJobName": self.auto_ml_job_name, "AutoMLJobArn": self.arn,
                "InputDataConfig": self.channels, "OutputDataConfig": self.request.get("OutputDataConfig"),
                "RoleArn": self.request.get("RoleArn"),
                "AutoMLJobObjective": self.objective or self.request.get("AutoMLJobObjective"),
                "ProblemType": self.request.get("ProblemType") or self.problem_type,
                "AutoMLJobConfig": self.request.get("AutoMLJobConfig"),
                "GenerateCandidateDefinitionsOnly": bool(self.request.get("GenerateCandidateDefinitionsOnly")),
                "ModelDeployConfig": self.request.get("ModelDeployConfig")}
        return self._common(body)

    def _common(self, body: dict[str, Any]) -> dict[str, Any]:
        body.update({"CreationTime": self.creation_time, "EndTime": self.end_time,
                     "LastModifiedTime": self.last_modified_time, "FailureReason": self.failure_reason,
                     "PartialFailureReasons": self.partial_failure_reasons or None,
                     "BestCandidate": self.best_candidate(), "AutoMLJobStatus": self.auto_ml_job_status,
                     "AutoMLJobSecondaryStatus": self.auto_ml_job_secondary_status,
                     "ResolvedAttributes": self.resolved_attributes(),
                     "ModelDeployResult": self.model_deploy_result})
        return {k: v for k, v in body.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        body = {"AutoMLJobName": self.auto_ml_job_name, "AutoMLJobArn": self.arn,
                "AutoMLJobStatus": self.auto_ml_job_status,
                "AutoMLJobSecondaryStatus": self.auto_ml_job_secondary_status, "CreationTime": self.creation_time,
                "EndTime": self.end_time, "LastModifiedTime": self.last_modified_time,
                "FailureReason": self.failure_reason, "PartialFailureReasons": self.partial_failure_reasons or None}
        return {k: v for k, v in body.items() if v is not None}


def max_candidates(config: dict[str, Any]) -> int:
    return int((config.get("CompletionCriteria") or {}).get("MaxCandidates") or DEFAULT_MAX_CANDIDATES)


def _check_request(job: SandboxAutoMLJob) -> None:
    """What AWS refuses at once (and what the sandbox cannot run), as ValidationException."""
    config = job.tabular_config
    if job.api_version == 2:
        kinds = list((job.request.get("AutoMLProblemTypeConfig") or {}).keys())
        if kinds != ["TabularJobConfig"]:
            raise AwsError("ValidationException", f"AutoMLProblemTypeConfig {', '.join(kinds) or '(empty)'} is "
                                                  "not emulated by the sandbox: only TabularJobConfig runs")
    if not config.get("TargetAttributeName"):
        raise AwsError("ValidationException", "TargetAttributeName is required")
    if config.get("GenerateCandidateDefinitionsOnly"):
        raise AwsError("ValidationException", "GenerateCandidateDefinitionsOnly is not emulated by the sandbox: "
                                              "it does not generate candidate notebooks")
    channels = job.channels
    if not channels or len(channels) > 2:
        raise AwsError("ValidationException", "Give one training channel and at most one validation channel")
    types = [c.get("ChannelType", "training") for c in channels]
    if len(channels) == 2 and sorted(types) != ["training", "validation"]:
        raise AwsError("ValidationException", "With two channels, one must be 'training' and the other "
                                              "'validation' (ChannelType)")
    for channel in channels:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        if source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise AwsError("ValidationException", f"S3DataType {source.get('S3DataType')} is not emulated by the "
                                                  "sandbox: use S3Prefix")
        if not str(source.get("S3Uri", "")).startswith("s3://"):
            raise AwsError("ValidationException", "DataSource.S3DataSource.S3Uri must be an s3:// URI")
    problem = config.get("ProblemType")
    if problem and problem not in PROBLEM_TYPES:
        raise AwsError("ValidationException", f"ProblemType {problem!r} is not one of {', '.join(PROBLEM_TYPES)}")
    metric = (job.request.get("AutoMLJobObjective") or {}).get("MetricName")
    if metric and problem and metric not in OBJECTIVES[problem][1]:
        raise AwsError("ValidationException", f"The objective metric {metric} is not valid for {problem}; "
                                              f"use one of {', '.join(OBJECTIVES[problem][1])}")
    if metric and not problem:
        raise AwsError("ValidationException", "ProblemType is required when AutoMLJobObjective is given")
    for algorithm in _algorithms(config):
        if algorithm not in ALGORITHMS:
            raise AwsError("ValidationException", f"AutoMLAlgorithms: {algorithm!r} is not one of "
                                                  f"{', '.join(ALGORITHMS)}")
    if not 0 < job.validation_fraction < 1:
        raise AwsError("ValidationException", "ValidationFraction must be between 0 and 1")
    if not 1 <= max_candidates(config) <= 750:
        raise AwsError("ValidationException", "MaxCandidates must be between 1 and 750")
    deploy = job.request.get("ModelDeployConfig") or {}
    if deploy.get("AutoGenerateEndpointName") and deploy.get("EndpointName"):
        raise AwsError("ValidationException", "An EndpointName cannot be provided while AutoGenerateEndpointName "
                                              "is True.")


def _algorithms(config: dict[str, Any]) -> list[str]:
    chosen: list[str] = []
    for entry in (config.get("CandidateGenerationConfig") or {}).get("AlgorithmsConfig") or []:
        chosen.extend(entry.get("AutoMLAlgorithms") or [])
    return chosen


# ===================================================================== backend operations
class AutoMLBackendMixin:
    """AutoML operations of the SageMaker backend (mixed into the provider's backend class)."""

    def _start_auto_ml_job(self, name: str, api_version: int, request: dict[str, Any]) -> str:
        if name in self.auto_ml_jobs:  # type: ignore[attr-defined]
            raise AwsError("ResourceInUse", f"Resource Already Exists: Auto ML Job with name {name} already "
                                            "exists. Choose a different name.")
        operation = "CreateAutoMLJobV2" if api_version == 2 else "CreateAutoMLJob"
        errors = validation.request_errors(operation, request)
        if errors:
            raise AwsError("ValidationException", validation.message(errors))
        arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:automl-job/{name}"  # type: ignore
        job = SandboxAutoMLJob(name, arn, api_version, copy.deepcopy(request))
        _check_request(job)
        self.auto_ml_jobs[name] = job  # type: ignore[attr-defined]
        if request.get("Tags"):
            self.add_tags(arn, request["Tags"])  # type: ignore[attr-defined]
        current_cloud().submit(run_auto_ml_job, self.account_id, self.region_name, name)  # type: ignore
        return arn

    def create_auto_ml_job_v2(self, auto_ml_job_name: str, auto_ml_job_input_data_config: list[dict[str, Any]],
                              output_data_config: dict[str, Any], auto_ml_problem_type_config: dict[str, Any],
                              role_arn: str, tags: list[dict[str, str]] | None, security_config: Any,
                              auto_ml_job_objective: dict[str, str] | None, model_deploy_config: Any,
                              data_split_config: Any) -> str:
        request = {"AutoMLJobName": auto_ml_job_name, "AutoMLJobInputDataConfig": auto_ml_job_input_data_config,
                   "OutputDataConfig": output_data_config, "AutoMLProblemTypeConfig": auto_ml_problem_type_config,
                   "RoleArn": role_arn, "Tags": tags, "SecurityConfig": security_config,
                   "AutoMLJobObjective": auto_ml_job_objective, "ModelDeployConfig": model_deploy_config,
                   "DataSplitConfig": data_split_config}
        return self._start_auto_ml_job(auto_ml_job_name, 2, {k: v for k, v in request.items() if v is not None})

    def _auto_ml_job(self, name: str) -> SandboxAutoMLJob:
        job = self.auto_ml_jobs.get(name)  # type: ignore[attr-defined]
        if not isinstance(job, SandboxAutoMLJob):
            raise AwsError("ResourceNotFound", f"Could not find AutoML job with name {name}.")
        return job

    def describe_auto_ml_job_v2(self, auto_ml_job_name: str) -> dict[str, Any]:
        return self._auto_ml_job(auto_ml_job_name).describe()

    def stop_auto_ml_job(self, auto_ml_job_name: str) -> None:
        job = self._auto_ml_job(auto_ml_job_name)
        if job.auto_ml_job_status != "InProgress":
            raise AwsError("ValidationException", f"The AutoML job {auto_ml_job_name} is not in progress "
                                                  f"(it is {job.auto_ml_job_status}).")
        job.stop_requested = True
        job.auto_ml_job_status = "Stopping"
        job.touch("Stopping")


def _backend(account_id: str, region: str) -> Any:
    return moto_coupling.backend_for("sagemaker", account_id, region)


# ===================================================================== the run
def run_auto_ml_job(account_id: str, region: str, name: str) -> None:
    backend = _backend(account_id, region)
    job = backend.auto_ml_jobs.get(name)
    if not isinstance(job, SandboxAutoMLJob):
        return
    cloud = current_cloud()
    try:
        AutoMLRun(backend, job, region).run()
        status, secondary, reason = ("Stopped", "Stopped", None) if job.stop_requested else (
            "Completed", "Completed", None)
        if job.best_candidate() is None:
            status, secondary = ("Stopped", "Stopped") if job.stop_requested else ("Failed", "Failed")
            reason = None if job.stop_requested else "No candidate completed: " + "; ".join(
                c.get("FailureReason", "") for c in job.candidates)[:1000]
    except AutoMLFailed as exc:
        status, secondary, reason = "Failed", "Failed", str(exc)[:1024]
    except Exception as exc:
        log.exception("AutoML job %s", name)
        status, secondary, reason = "Failed", "Failed", f"InternalServerError: {type(exc).__name__}: {exc}"[:1024]
    with cloud.mutating():
        job.auto_ml_job_status = status
        job.failure_reason = reason
        job.end_time = utcnow()
        job.touch(secondary)


class AutoMLRun:
    def __init__(self, backend: Any, job: SandboxAutoMLJob, region: str) -> None:
        self.backend = backend
        self.job = job
        self.region = region
        self.cloud = current_cloud()
        self.s3 = s3_access()
        self.config = job.tabular_config
        self.target = self.config["TargetAttributeName"]
        self.output = container.join_s3((job.request.get("OutputDataConfig") or {}).get("S3OutputPath", ""),
                                        job.auto_ml_job_name)

    def _set(self, **changes: Any) -> None:
        with self.cloud.mutating():
            for key, value in changes.items():
                setattr(self.job, key, value)
            self.job.touch()

    def run(self) -> None:
        if not self.output.startswith("s3://"):
            raise AutoMLFailed("ClientError: OutputDataConfig.S3OutputPath must be an s3:// URI")
        self._set(auto_ml_job_secondary_status="AnalyzingData")
        train, valid, problem = self._datasets()
        metric = (self.job.request.get("AutoMLJobObjective") or {}).get("MetricName") or OBJECTIVES[problem][0]
        if metric not in OBJECTIVES[problem][1]:
            raise AutoMLFailed(f"ClientError: the objective metric {metric} is not valid for {problem}")
        numeric = [c for c in train.columns if c != self.target and _is_numeric(train[c])]
        self._set(problem_type=problem, objective={"MetricName": metric},
                  auto_ml_job_secondary_status="FeatureEngineering")
        train_uri = self._upload(train, "train")
        valid_uri = self._upload(valid, "validation")
        source_uri = container.join_s3(self.output, "sagemaker-automl-candidates", "source", "sourcedir.tar.gz")
        self._upload_source(source_uri)
        self._set(auto_ml_job_secondary_status="ModelTuning")
        plan = candidate_plan(self.config, self.job.auto_ml_job_name)
        deadline = (self.config.get("CompletionCriteria") or {}).get("MaxAutoMLJobRuntimeInSeconds")
        started = time.time()
        for index, (algorithm, params) in enumerate(plan, start=1):
            if self.job.stop_requested:
                return
            if deadline and time.time() - started > float(deadline):
                self._set(auto_ml_job_secondary_status="MaxAutoMLJobRuntimeReached")
                break
            self._run_candidate(index, algorithm, params, problem, metric, numeric, train_uri, valid_uri,
                                source_uri)
        if self.job.best_candidate() is not None and not self.job.stop_requested:
            self._deploy_best()

    # -- data
    def _datasets(self) -> tuple[Any, Any, str]:
        """The training and validation sets, and the problem type (given, or inferred from the target)."""
        import pandas as pd

        frames = {}
        for channel in self.job.channels:
            uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
            frames[channel.get("ChannelType", "training")] = read_dataset(
                self.s3, uri, channel.get("ContentType"), channel.get("CompressionType"))
        train = frames["training"]
        if self.target not in train.columns:
            raise AutoMLFailed(f"ClientError: the target attribute {self.target!r} is not a column of the training "
                               f"data (columns: {', '.join(map(str, train.columns))}). The data needs a header row.")
        train = train[train[self.target].notna()].reset_index(drop=True)
        if len(train) < 10:
            raise AutoMLFailed(f"ClientError: the training data has {len(train)} rows with a target value; "
                               "AutoML needs at least 10 (AWS asks for 500)")
        problem = self.config.get("ProblemType") or infer_problem_type(train[self.target])
        if "validation" in frames:
            valid = frames["validation"]
            if list(valid.columns) != list(train.columns):
                raise AutoMLFailed("ClientError: the validation channel's columns differ from the training "
                                   "channel's")
            return train, valid, problem
        from sklearn.model_selection import train_test_split

        labels = train[self.target].astype(str)
        stratify = labels if problem != "Regression" and labels.value_counts().min() >= 2 else None
        fit, valid = train_test_split(train, test_size=self.job.validation_fraction, random_state=0,
                                      stratify=stratify)
        return pd.DataFrame(fit).reset_index(drop=True), pd.DataFrame(valid).reset_index(drop=True), problem

    def _upload(self, frame: Any, part: str) -> str:
        uri = container.join_s3(self.output, "preprocessed-data", part, f"{part}.csv")
        bucket, key = container.parse_s3_uri(uri)
        self.s3.put(bucket, key, frame.to_csv(index=False).encode(), "text/csv")
        return uri.rsplit("/", 1)[0] + "/"

    def _upload_source(self, uri: str) -> None:
        import tarfile

        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(CANDIDATE_SCRIPT, arcname=CANDIDATE_SCRIPT.name)
        bucket, key = container.parse_s3_uri(uri)
        self.s3.put(bucket, key, buffer.getvalue(), "application/x-tar")

    # -- candidates
    def _run_candidate(self, index: int, algorithm: str, params: dict[str, Any], problem: str, metric: str,
                       numeric: list[str], train_uri: str, valid_uri: str, source_uri: str) -> None:
        job_name = f"{self.job.auto_ml_job_name[:32]}-{algorithm[:8].strip('-')}-{index:03d}"
        hyperparameters = {"algorithm": algorithm, "params": json.dumps(params), "target": self.target,
                           "problem_type": problem, "numeric_columns": json.dumps(numeric),
                           "sagemaker_program": CANDIDATE_SCRIPT.name, "sagemaker_submit_directory": source_uri}
        metric_names = OBJECTIVES[problem][1]
        definitions = [{"Name": f"validation:{m}", "Regex": f"validation:{m}=([-0-9.eE+]+)"} for m in metric_names]
        channel = {"S3DataSource": {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}}
        inputs = [{"ChannelName": name, "ContentType": "text/csv",
                   "DataSource": {"S3DataSource": {**channel["S3DataSource"], "S3Uri": uri}}}
                  for name, uri in (("train", train_uri), ("validation", valid_uri))]
        runtime = (self.config.get("CompletionCriteria") or {}).get("MaxRuntimePerTrainingJobInSeconds") or 3600
        image = SKLEARN_IMAGE.format(region=self.region)
        now = utcnow()
        record: dict[str, Any] = {
            "CandidateName": job_name, "ObjectiveStatus": "Pending", "CandidateStatus": "InProgress",
            "CandidateSteps": [], "CreationTime": now, "LastModifiedTime": now,
            "CandidateProperties": {}, "InferenceContainers": []}
        with self.cloud.mutating():
            self.job.candidates.append(record)
            try:
                training_job = self.backend.create_training_job(
                    training_job_name=job_name, hyper_parameters=hyperparameters,
                    algorithm_specification={"TrainingImage": image, "TrainingInputMode": "File",
                                             "MetricDefinitions": definitions},
                    role_arn=self.job.request.get("RoleArn"), input_data_config=inputs,
                    output_data_config={"S3OutputPath": container.join_s3(self.output, "tuning")},
                    resource_config={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
                    vpc_config=None, stopping_condition={"MaxRuntimeInSeconds": int(runtime)}, tags=None,
                    enable_network_isolation=False, enable_inter_container_traffic_encryption=False,
                    enable_managed_spot_training=False, checkpoint_config=None, debug_hook_config=None,
                    debug_rule_configurations=None, tensor_board_output_config=None, experiment_config=None)
            except Exception as exc:
                record.update(CandidateStatus="Failed", ObjectiveStatus="Failed", EndTime=utcnow(),
                              FailureReason=f"{getattr(exc, 'code', type(exc).__name__)}: "
                                            f"{getattr(exc, 'message', None) or exc}")
                return
            record["CandidateSteps"] = [{"CandidateStepType": "AWS::SageMaker::TrainingJob",
                                         "CandidateStepArn": training_job.arn, "CandidateStepName": job_name}]
        while training_job.training_job_status in ("InProgress", "Stopping"):
            if self.job.stop_requested and training_job.training_job_status == "InProgress":
                with self.cloud.mutating():
                    try:
                        self.backend.stop_training_job(job_name)
                    except Exception:
                        log.exception("stopping %s", job_name)
            time.sleep(POLL_SECONDS)
        self._record_outcome(record, training_job, metric)

    def _record_outcome(self, record: dict[str, Any], training_job: Any, metric: str) -> None:
        status = training_job.training_job_status
        values = {m["MetricName"].split(":", 1)[1]: m["Value"] for m in training_job.final_metric_data_list or []}
        objective_type = "Minimize" if metric in MINIMIZED else "Maximize"
        with self.cloud.mutating():
            record.update(EndTime=utcnow(), LastModifiedTime=utcnow(),
                          CandidateStatus={"Completed": "Completed", "Stopped": "Stopped"}.get(status, "Failed"))
            if training_job.failure_reason:
                record["FailureReason"] = training_job.failure_reason
            if status != "Completed" or metric not in values:
                record["ObjectiveStatus"] = "Failed"
                record.setdefault("FailureReason", f"the candidate reported no {metric}")
                return
            record["ObjectiveStatus"] = "Succeeded"
            record["FinalAutoMLJobObjectiveMetric"] = {"Type": objective_type, "MetricName": metric,
                                                       "Value": values[metric], "StandardMetricName": metric}
            record["CandidateProperties"] = {"CandidateMetrics": [
                {"MetricName": name, "Value": value, "Set": "Validation", "StandardMetricName": name}
                for name, value in values.items()]}
            record["InferenceContainers"] = [{
                "Image": training_job.algorithm_specification["TrainingImage"],
                "ModelDataUrl": training_job.model_artifacts["S3ModelArtifacts"],
                "Environment": {"SAGEMAKER_PROGRAM": "inference.py",
                                "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                                "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                                "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}}]
            best = self.job.best_candidate()
            better = best is None or (values[metric] < best["FinalAutoMLJobObjectiveMetric"]["Value"]
                                      if objective_type == "Minimize"
                                      else values[metric] > best["FinalAutoMLJobObjectiveMetric"]["Value"])
            if better:
                self.job.best_candidate_name = record["CandidateName"]
            self.job.touch()

    def _deploy_best(self) -> None:
        deploy = self.job.request.get("ModelDeployConfig") or {}
        endpoint = deploy.get("EndpointName")
        if deploy.get("AutoGenerateEndpointName"):
            endpoint = f"{self.job.auto_ml_job_name[:50]}-endpoint"
        if not endpoint:
            return
        self._set(auto_ml_job_secondary_status="DeployingModel")
        best = self.job.best_candidate()
        name = f"{self.job.auto_ml_job_name[:40]}-best-model"
        try:
            with self.cloud.mutating():
                self.backend.create_model(model_name=name, primary_container=best["InferenceContainers"][0],
                                          execution_role_arn=self.job.request.get("RoleArn"), tags=[],
                                          vpc_config=None, containers=None)
                self.backend.create_endpoint_config(
                    endpoint_config_name=name, production_variants=[{
                        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
                        "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}],
                    data_capture_config=None, async_inference_config=None, tags=[], kms_key_id=None)
                self.backend.create_endpoint(endpoint_name=endpoint, endpoint_config_name=name, tags=[])
            self._set(model_deploy_result={"EndpointName": endpoint})
        except Exception as exc:
            self._set(auto_ml_job_secondary_status="ModelDeploymentError",
                      partial_failure_reasons=[{"PartialFailureMessage": f"deploying the best candidate: "
                                                f"{getattr(exc, 'message', None) or exc}"}])


def candidate_plan(config: dict[str, Any], seed: str) -> list[tuple[str, dict[str, Any]]]:
    """(algorithm, hyperparameters) for each candidate: the algorithms in turn, each with its next grid draw."""
    algorithms = _algorithms(config) or ALGORITHMS[:4]
    rng = random.Random(seed)
    plan = []
    for index in range(max_candidates(config)):
        algorithm = algorithms[index % len(algorithms)]
        grid = GRIDS[algorithm]
        defaults = index < len(algorithms)  # each algorithm's first candidate uses its defaults
        plan.append((algorithm, {} if defaults else {k: rng.choice(v) for k, v in grid.items()}))
    return plan


def infer_problem_type(target: Any) -> str:
    values = target.dropna()
    distinct = values.nunique()
    if distinct <= 2:
        return "BinaryClassification"
    if not _is_numeric(values):
        return "MulticlassClassification"
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce")
    integral = bool((numbers == numbers.round()).all())
    return "MulticlassClassification" if integral and distinct <= 20 else "Regression"


def _is_numeric(series: Any) -> bool:
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


# ===================================================================== operations moto lacks
def _v1_request(response: Any) -> dict[str, Any]:
    members = ("AutoMLJobName", "InputDataConfig", "OutputDataConfig", "ProblemType", "AutoMLJobObjective",
               "AutoMLJobConfig", "RoleArn", "GenerateCandidateDefinitionsOnly", "Tags", "ModelDeployConfig")
    return {m: response._get_param(m) for m in members if response._get_param(m) is not None}


def _create_auto_ml_job(response: Any) -> dict[str, Any]:
    backend = _backend(response.current_account, response.region)
    request = _v1_request(response)
    return {"AutoMLJobArn": backend._start_auto_ml_job(request.get("AutoMLJobName", ""), 1, request)}


def _describe_auto_ml_job(response: Any) -> dict[str, Any]:
    backend = _backend(response.current_account, response.region)
    return backend._auto_ml_job(response._get_param("AutoMLJobName")).describe_v1()


def _list_candidates(response: Any) -> dict[str, Any]:
    backend = _backend(response.current_account, response.region)
    job = backend._auto_ml_job(response._get_param("AutoMLJobName"))
    candidates = list(job.candidates)
    status, name = response._get_param("StatusEquals"), response._get_param("CandidateNameEquals")
    if status:
        candidates = [c for c in candidates if c["CandidateStatus"] == status]
    if name:
        candidates = [c for c in candidates if c["CandidateName"] == name]
    sort_by = response._get_param("SortBy") or "CreationTime"
    descending = (response._get_param("SortOrder") or "Descending") == "Descending"
    if sort_by == "FinalObjectiveMetricValue":
        scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
        candidates = sorted(scored, key=lambda c: c["FinalAutoMLJobObjectiveMetric"]["Value"],
                            reverse=descending) + [c for c in candidates if c not in scored]
    else:
        key = "CandidateStatus" if sort_by == "Status" else "CreationTime"
        candidates = sorted(candidates, key=lambda c: c[key], reverse=descending)
    start = int(response._get_param("NextToken") or 0)
    size = int(response._get_param("MaxResults") or 10)
    page = candidates[start:start + size]
    result: dict[str, Any] = {"Candidates": page}
    if start + size < len(candidates):
        result["NextToken"] = str(start + size)
    return result


def fail_interrupted_jobs(backend: Any) -> None:
    """After a restart, a job that was running cannot go on: it fails, keeping the candidates it had."""
    for job in list(backend.auto_ml_jobs.values()):
        if isinstance(job, SandboxAutoMLJob) and job.auto_ml_job_status in ("InProgress", "Stopping"):
            job.auto_ml_job_status = "Failed"
            job.failure_reason = "InternalServerError: the sandbox stopped while this job ran"
            job.end_time = utcnow()
            job.touch("Failed")


def install(cloud: Any) -> None:
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "create_auto_ml_job", _create_auto_ml_job)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "describe_auto_ml_job", _describe_auto_ml_job)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "list_candidates_for_auto_ml_job",
                                _list_candidates)
