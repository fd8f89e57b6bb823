"""The model registry: model package groups and packages, mirrored as MLflow registered models and versions.

A model package group is a registered model; a model package is one of its
versions (linked to the MLflow run of the training job that made its artifact)
and its ``ModelApprovalStatus`` is the version's approval status tag.
"""

from __future__ import annotations

import logging
from typing import Any

from emulators.core.errors import Conflict, InvalidInput
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common, events
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
        if model_package_group_name in self.model_package_groups:
            raise InvalidInput("Model Package Group already exists: "
                               f"{self.model_package_groups[model_package_group_name].arn}")
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
            if not package.model_approval_status:  # a versioned package waits for approval unless told otherwise
                package.model_approval_status = "PendingManualApproval"
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
        events.model_package_changed(self, arn)
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
        events.model_package_changed(self, arn)
        return arn

    def _run_for_artifact(self, model_data_url: str) -> str | None:
        for job in self.training_jobs.values():
            if (job.model_artifacts or {}).get("S3ModelArtifacts") == model_data_url:
                return self.extras.mlflow_runs.get(job.arn)
        return None


def _package_key(backend: Any, name: str | None) -> str:
    for key, package in backend.model_packages.items():
        if name == package.arn or (package.model_package_version is None and name == package.model_package_name):
            return key
    raise InvalidInput(f"Model package {name} not found")


def delete_model_package(request: Request) -> dict[str, Any]:
    """DeleteModelPackage (moto has none): a versioned package is named by its ARN, an unversioned one by name."""
    backend = common.backend_of(request)
    key = _package_key(backend, request.get("ModelPackageName"))
    package = backend.model_packages.pop(key)
    linked = backend.extras.model_versions.pop(package.arn, None)
    if linked is not None:
        try:
            tracking.delete_model_version(common.mlflow_root(), linked.group, linked.version)
        except Exception:
            log.exception("MLflow model version of %s", package.arn)
    return {}


def delete_model_package_group(request: Request) -> dict[str, Any]:
    """DeleteModelPackageGroup (moto has none): only a group without model packages can go."""
    backend = common.backend_of(request)
    name = str(request.get("ModelPackageGroupName") or "").rsplit("model-package-group/", 1)[-1]
    group = backend.model_package_groups.get(name)
    if group is None:
        raise InvalidInput(f"ModelPackageGroup arn:{request.partition}:sagemaker:{request.region}:"
                           f"{request.account_id}:model-package-group/{name} does not exist.")
    if any(p.model_package_group_name == name for p in backend.model_packages.values()):
        raise Conflict(f"Model Package Group {name} still has model packages: delete them (DeleteModelPackage) "
                       "before the group.")
    del backend.model_package_groups[name]
    try:
        tracking.delete_registered_model(common.mlflow_root(), name)
    except Exception:
        log.exception("MLflow registered model of %s", name)
    return {}


def describe_model_package(request: Request) -> dict[str, Any]:
    """DescribeModelPackage with its required ModelPackageName (a versioned package's is its group's; moto drops it)."""
    package = common.backend_of(request).describe_model_package(request.get("ModelPackageName"))
    answer = package.gen_response_object()
    answer.setdefault("ModelPackageName", package.model_package_name or package.model_package_group_name)
    return answer
