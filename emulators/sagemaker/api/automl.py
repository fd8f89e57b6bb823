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
from typing import Any

from emulators.core import moto_coupling, paging
from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import automl_run, common
from emulators.sagemaker.api.automl_job import SandboxAutoMLJob
from emulators.sagemaker.engines import automl_plan as plan
from emulators.sagemaker.engines import validation


def _check_request(job: SandboxAutoMLJob) -> None:
    """What AWS refuses at once (and what the sandbox cannot run), as ValidationException."""
    config = job.tabular_config
    if job.api_version == 2:
        kinds = list((job.request.get("AutoMLProblemTypeConfig") or {}).keys())
        if kinds != ["TabularJobConfig"]:
            raise InvalidInput(f"AutoMLProblemTypeConfig {', '.join(kinds) or '(empty)'} is "
                               "not emulated by the sandbox: only TabularJobConfig runs")
    if not config.get("TargetAttributeName"):
        raise InvalidInput("TargetAttributeName is required")
    if config.get("GenerateCandidateDefinitionsOnly"):
        raise InvalidInput("GenerateCandidateDefinitionsOnly is not emulated by the sandbox: "
                           "it does not generate candidate notebooks")
    channels = job.channels
    if not channels or len(channels) > 2:
        raise InvalidInput("Give one training channel and at most one validation channel")
    types = [c.get("ChannelType", "training") for c in channels]
    if len(channels) == 2 and sorted(types) != ["training", "validation"]:
        raise InvalidInput("With two channels, one must be 'training' and the other "
                           "'validation' (ChannelType)")
    for channel in channels:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        if source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise InvalidInput(f"S3DataType {source.get('S3DataType')} is not emulated by the "
                               "sandbox: use S3Prefix")
        if not str(source.get("S3Uri", "")).startswith("s3://"):
            raise InvalidInput("DataSource.S3DataSource.S3Uri must be an s3:// URI")
    problem = config.get("ProblemType")
    if problem and problem not in plan.PROBLEM_TYPES:
        raise InvalidInput(f"ProblemType {problem!r} is not one of {', '.join(plan.PROBLEM_TYPES)}")
    metric = (job.request.get("AutoMLJobObjective") or {}).get("MetricName")
    if metric and problem and metric not in plan.OBJECTIVES[problem][1]:
        raise InvalidInput(f"The objective metric {metric} is not valid for {problem}; "
                           f"use one of {', '.join(plan.OBJECTIVES[problem][1])}")
    if metric and not problem:
        raise InvalidInput("ProblemType is required when AutoMLJobObjective is given")
    for algorithm in plan.algorithms(config):
        if algorithm not in plan.ALGORITHMS:
            raise InvalidInput(f"AutoMLAlgorithms: {algorithm!r} is not one of "
                               f"{', '.join(plan.ALGORITHMS)}")
    if not 0 < job.validation_fraction < 1:
        raise InvalidInput("ValidationFraction must be between 0 and 1")
    if not 1 <= plan.max_candidates(config) <= 750:
        raise InvalidInput("MaxCandidates must be between 1 and 750")
    deploy = job.request.get("ModelDeployConfig") or {}
    if deploy.get("AutoGenerateEndpointName") and deploy.get("EndpointName"):
        raise InvalidInput("An EndpointName cannot be provided while AutoGenerateEndpointName "
                           "is True.")


# ===================================================================== backend operations
class AutoMLBackendMixin:
    """AutoML operations of the SageMaker backend (mixed into the provider's backend class)."""

    def _start_auto_ml_job(self, name: str, api_version: int, request: dict[str, Any]) -> str:
        if name in self.auto_ml_jobs:  # type: ignore[attr-defined]
            raise AlreadyExists(f"Resource Already Exists: Auto ML Job with name {name} already "
                                "exists. Choose a different name.", code="ResourceInUse")
        operation = "CreateAutoMLJobV2" if api_version == 2 else "CreateAutoMLJob"
        errors = validation.request_errors(operation, request)
        if errors:
            raise InvalidInput(validation.message(errors))
        arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:automl-job/{name}"  # type: ignore
        job = SandboxAutoMLJob(name, arn, api_version, copy.deepcopy(request))
        _check_request(job)
        self.auto_ml_jobs[name] = job  # type: ignore[attr-defined]
        if request.get("Tags"):
            self.add_tags(arn, request["Tags"])  # type: ignore[attr-defined]
        common.cloud().submit(automl_run.run_auto_ml_job, self.account_id, self.region_name, name)  # type: ignore
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
            raise NotFound(f"Could not find AutoML job with name {name}.", code="ResourceNotFound")
        return job

    def describe_auto_ml_job_v2(self, auto_ml_job_name: str) -> dict[str, Any]:
        return self._auto_ml_job(auto_ml_job_name).describe()

    def stop_auto_ml_job(self, auto_ml_job_name: str) -> None:
        job = self._auto_ml_job(auto_ml_job_name)
        if job.auto_ml_job_status != "InProgress":
            raise InvalidInput(f"The AutoML job {auto_ml_job_name} is not in progress "
                               f"(it is {job.auto_ml_job_status}).")
        job.stop_requested = True
        job.auto_ml_job_status = "Stopping"
        job.touch("Stopping")


# ===================================================================== operations moto lacks
def _v1_request(request: Request) -> dict[str, Any]:
    members = ("AutoMLJobName", "InputDataConfig", "OutputDataConfig", "ProblemType", "AutoMLJobObjective",
               "AutoMLJobConfig", "RoleArn", "GenerateCandidateDefinitionsOnly", "Tags", "ModelDeployConfig")
    return {m: request.get(m) for m in members if request.get(m) is not None}


def _create_auto_ml_job(request: Request) -> dict[str, Any]:
    backend = common.backend_of(request)
    job_request = _v1_request(request)
    return {"AutoMLJobArn": backend._start_auto_ml_job(job_request.get("AutoMLJobName", ""), 1, job_request)}


def _describe_auto_ml_job(request: Request) -> dict[str, Any]:
    backend = common.backend_of(request)
    return backend._auto_ml_job(request.get("AutoMLJobName")).describe_v1()


def _list_candidates(request: Request) -> dict[str, Any]:
    backend = common.backend_of(request)
    job = backend._auto_ml_job(request.get("AutoMLJobName"))
    candidates = list(job.candidates)
    status, name = request.get("StatusEquals"), request.get("CandidateNameEquals")
    if status:
        candidates = [c for c in candidates if c["CandidateStatus"] == status]
    if name:
        candidates = [c for c in candidates if c["CandidateName"] == name]
    sort_by = request.get("SortBy") or "CreationTime"
    descending = (request.get("SortOrder") or "Descending") == "Descending"
    if sort_by == "FinalObjectiveMetricValue":
        scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
        candidates = sorted(scored, key=lambda c: c["FinalAutoMLJobObjectiveMetric"]["Value"],
                            reverse=descending) + [c for c in candidates if c not in scored]
    else:
        key = "CandidateStatus" if sort_by == "Status" else "CreationTime"
        candidates = sorted(candidates, key=lambda c: c[key], reverse=descending)
    found, token = paging.page(candidates, request.get("NextToken"), request.get("MaxResults"),
                               default_size=10, listing=f"sagemaker:list_candidates:{job.auto_ml_job_name}")
    result: dict[str, Any] = {"Candidates": found}
    if token:
        result["NextToken"] = token
    return result


def fail_interrupted_jobs(backend: Any) -> None:
    """After a restart, a job that was running cannot go on: it fails, keeping the candidates it had."""
    for job in list(backend.auto_ml_jobs.values()):
        if isinstance(job, SandboxAutoMLJob) and job.auto_ml_job_status in ("InProgress", "Stopping"):
            job.auto_ml_job_status = "Failed"
            job.failure_reason = common.interrupted("AutoML job")
            job.end_time = utcnow()
            job.touch("Failed")


def install(cloud: Any) -> None:
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "create_auto_ml_job", _create_auto_ml_job)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "describe_auto_ml_job", _describe_auto_ml_job)
    moto_coupling.add_operation("sagemaker", "SageMakerResponse", "list_candidates_for_auto_ml_job",
                                _list_candidates)
