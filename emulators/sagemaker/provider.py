"""SageMaker and SageMaker Runtime on moto, with jobs that really run and endpoints that really predict.

moto keeps the resources (jobs, models, endpoint configs, endpoints, model
packages) and answers describe/list. The backend class here is composed of one
mixin per API area (:mod:`emulators.sagemaker.api`: training, processing,
hosting, transform, tuning, registry, monitoring, pipelines, AutoML); each area
starts its work in the background and moves the resources through AWS's states,
with the engines of :mod:`emulators.sagemaker.engines` doing the work. What the
sandbox keeps beyond moto's resources is :class:`~.api.state.SageMakerExtras`
(``backend.extras``), pickled with the backend. :func:`install` is the single
entry point the registry calls.
"""

from __future__ import annotations

from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import NotEmulated
from emulators.sagemaker.api import (async_inference, automl, capture, common, experiments, feature_groups,
                                     feature_records, hosting, monitoring, pipelines, processing, recovery, registry,
                                     training, transform, tuning)
from emulators.sagemaker.api.hosting import SandboxRuntimeBackend
from emulators.sagemaker.api.state import DeclaredState, SageMakerExtras
from emulators.sagemaker.engines import hosting as serving
from emulators.sagemaker.engines import tracking

SageMakerBackend = moto_coupling.backend_class("sagemaker")


class SandboxSageMakerBackend(training.TrainingMixin, processing.ProcessingMixin,  # type: ignore[misc, valid-type]
                              hosting.HostingMixin, transform.TransformMixin, tuning.TuningMixin,
                              registry.RegistryMixin, feature_groups.FeatureStoreMixin, experiments.ExperimentsMixin,
                              monitoring.MonitoringMixin,
                              pipelines.PipelineBackendMixin, automl.AutoMLBackendMixin, SageMakerBackend):
    """moto's SageMaker backend with training, processing, tuning, AutoML, transform, hosting and pipelines executed."""

    extras = DeclaredState(SageMakerExtras)

    def create_compilation_job(self, **kwargs: Any) -> Any:
        # moto marks a compilation job COMPLETED at once without writing a compiled model
        raise NotEmulated("SageMaker Neo compilation jobs are not emulated by the offline sandbox: compiling for a "
                          "target device needs AWS's Neo compiler. Deploy the uncompiled model.tar.gz instead; run "
                          "`sandbox services` for what runs.", code="NotImplemented")


def _on_reset() -> None:
    training.forget_warmed()
    tracking.forget_clients()
    common.kill_all(forget=True)
    serving.LOADED.clear()
    common.METRICS.clear()
    capture.forget_captures()


def _on_shutdown() -> None:
    capture.flush_captures()
    common.kill_all(forget=False)


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("sagemaker", SandboxSageMakerBackend)
    moto_coupling.install_backend_class("sagemaker-runtime", SandboxRuntimeBackend)
    for operation, handler in (
            ("stop_training_job", training.stop_training_job_handler),
            ("describe_endpoint_config", hosting.describe_endpoint_config_handler),
            ("stop_transform_job", transform.stop_transform_job_handler),
            # moto's CreateProcessingJob drops Environment and ProcessingResources
            ("create_processing_job", processing.create_processing_job_handler),
            ("update_endpoint", hosting.update_endpoint_handler),
            ("stop_hyper_parameter_tuning_job", tuning.stop_tuning_job_handler),
            ("list_training_jobs_for_hyper_parameter_tuning_job", tuning.list_training_jobs_for_tuning_job_handler),
            ("delete_model_package", registry.delete_model_package),
            ("delete_model_package_group", registry.delete_model_package_group),
            ("describe_model_package", registry.describe_model_package),
            *experiments.OPERATIONS.items()):
        moto_coupling.add_operation("sagemaker", "SageMakerResponse", operation, handler)
    # moto's InvokeEndpoint hands the backend a digest of the request; ours needs the body and headers
    moto_coupling.replace_response_method("sagemakerruntime", "SageMakerRuntimeResponse", "invoke_endpoint",
                                          hosting.invoke_endpoint_handler, raw_body=True)
    cloud.after_restore(recovery.fail_interrupted_work)
    cloud.every(1.0, capture.flush_captures, name="sagemaker-data-capture")
    monitoring.install(cloud)
    pipelines.install(cloud)
    automl.install(cloud)
    feature_records.install(cloud)
    async_inference.install()
    cloud.on_reset(_on_reset)
    cloud.on_shutdown(_on_shutdown)
