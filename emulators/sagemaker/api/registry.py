"""The model registry: model package groups and packages, mirrored as MLflow registered models and versions.

A model package group is a registered model; a model package is one of its
versions (linked to the MLflow run of the training job that made its artifact)
and its ``ModelApprovalStatus`` is the version's approval status tag.
"""

from __future__ import annotations

import logging
from typing import Any

from emulators.core.errors import InvalidInput
from emulators.sagemaker.api import common
from emulators.sagemaker.api.state import ModelVersion
from emulators.sagemaker.engines import tracking

log = logging.getLogger("emulators.sagemaker")


class RegistryMixin:
    """Model package group and model package operations of the SageMaker backend."""

    def create_model_package_group(self, model_package_group_name: str, model_package_group_description: str,
                                   tags: Any = None) -> str:
        common.validate_request("CreateModelPackageGroup", {"model_package_group_name": model_package_group_name,
                                                     "model_package_group_description":
                                                         model_package_group_description, "tags": tags})
        arn = super().create_model_package_group(model_package_group_name, model_package_group_description, tags)
        try:
            tracking.ensure_registered_model(common.mlflow_root(), model_package_group_name,
                                             model_package_group_description)
        except Exception:
            log.exception("MLflow registered model for %s", model_package_group_name)
        return arn

    def create_model_package(self, **kwargs: Any) -> str:
        common.validate_request("CreateModelPackage", kwargs)
        group = kwargs.get("model_package_group_name")
        if group and group not in self.model_package_groups:
            raise InvalidInput(f"Model Package Group {group} does not exist.")
        arn = super().create_model_package(**kwargs)
        if group:
            package = next(p for p in self.model_packages.values() if p.arn == arn)
            containers = ((kwargs.get("inference_specification") or {}).get("Containers") or [{}])
            source = containers[0].get("ModelDataUrl") or ""
            run_id = self._run_for_artifact(source)
            try:
                version = tracking.create_model_version(
                    common.mlflow_root(), group, source, kwargs.get("model_package_description"),
                    package.model_approval_status or "PendingManualApproval", arn, run_id)
                self.extras.model_versions[arn] = ModelVersion(group=group, version=version)
            except Exception:
                log.exception("MLflow model version for %s", arn)
        return arn

    def update_model_package(self, model_package_arn: str, model_approval_status: str | None, **kwargs: Any) -> str:
        common.validate_request("UpdateModelPackage", {"model_package_arn": model_package_arn,
                                                "model_approval_status": model_approval_status, **kwargs})
        arn = super().update_model_package(model_package_arn=model_package_arn,
                                           model_approval_status=model_approval_status, **kwargs)
        linked = self.extras.model_versions.get(arn)
        if linked is not None and model_approval_status:
            try:
                tracking.set_approval_status(common.mlflow_root(), linked.group, linked.version,
                                             model_approval_status)
            except Exception:
                log.exception("MLflow approval status for %s", arn)
        return arn

    def _run_for_artifact(self, model_data_url: str) -> str | None:
        for job in self.training_jobs.values():
            if (job.model_artifacts or {}).get("S3ModelArtifacts") == model_data_url:
                return self.extras.mlflow_runs.get(job.arn)
        return None
