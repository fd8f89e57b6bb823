"""After a restart: what was running cannot go on, what was loading finishes.

Jobs that were ``InProgress`` or ``Stopping`` when the sandbox stopped (training,
processing, transform, tuning, AutoML) are ``Failed`` through the core's one
restart rule (:func:`emulators.core.jobs.settle_interrupted`); their FailureReason is
its wording behind AWS's ``InternalServerError:`` prefix. Endpoints that were
``Creating`` or ``Updating`` load the configuration they were loading. Pipeline
executions are failed by :mod:`.pipelines`.
"""

from __future__ import annotations

from typing import Any

from emulators.core import jobs
from emulators.core.clock import utcnow
from emulators.sagemaker.api import automl, common, hosting

RUNNING = ("InProgress", "Stopping")


def fail_interrupted_work() -> None:
    for _, _, backend in common.backends():
        now = utcnow()

        def failed(job: Any, reason: str) -> None:
            job.failure_reason = f"InternalServerError: {reason}"

        def training(job: Any, reason: str) -> None:
            job.training_job_status, job.training_end_time = "Failed", now
            failed(job, reason)

        def processing(job: Any, reason: str) -> None:
            job.processing_job_status = "Failed"
            failed(job, reason)

        def transform(job: Any, reason: str) -> None:
            job.transform_job_status = "Failed"
            failed(job, reason)

        def tuning(job: Any, reason: str) -> None:
            job.hyper_parameter_tuning_job_status = "Failed"
            failed(job, reason)

        jobs.settle_interrupted(backend.training_jobs.values(), lambda j: j.training_job_status in RUNNING,
                                training, "training job")
        jobs.settle_interrupted(backend.processing_jobs.values(), lambda j: j.processing_job_status in RUNNING,
                                processing, "processing job")
        jobs.settle_interrupted(backend.transform_jobs.values(), lambda j: j.transform_job_status in RUNNING,
                                transform, "transform job")
        jobs.settle_interrupted(backend.hyper_parameter_tuning_jobs.values(),
                                lambda j: j.hyper_parameter_tuning_job_status in RUNNING, tuning, "tuning job")
        automl.fail_interrupted_jobs(backend)
        for name, endpoint in backend.endpoints.items():
            if endpoint.endpoint_status in ("Creating", "Updating"):  # finish what the restart interrupted
                config = endpoint.endpoint_config_name
                if endpoint.endpoint_status == "Updating":
                    config = backend.extras.pending_endpoint_configs.get(endpoint.arn, config)
                common.cloud().submit(hosting.load_endpoint, backend.account_id, backend.region_name, name, config)
