"""The record of an Autopilot job as the sandbox runs it, and its Describe* / summary shapes.

moto has no AutoML jobs that run; a :class:`SandboxAutoMLJob` is kept in moto's
``auto_ml_jobs`` (so it is pickled with the backend) and answers
``DescribeAutoMLJob``, ``DescribeAutoMLJobV2`` and ``ListAutoMLJobs``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulators.core.clock import utcnow
from emulators.sagemaker.engines import automl_plan as plan


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
        criteria = {"MaxCandidates": plan.max_candidates(self.tabular_config), **(
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
