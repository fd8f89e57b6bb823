"""Batch transform: CreateTransformJob / StopTransformJob and the background run of each job.

The job's model is loaded in-process as an endpoint's would be
(:func:`.hosting.load_model_for_serving`); the engine
(:mod:`emulators.sagemaker.engines.transform`) splits, batches, filters and joins
the records and writes ``<object>.out`` files.
"""

from __future__ import annotations

import time
from typing import Any

from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, InvalidInput
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common, hosting
from emulators.sagemaker.container import ContainerError
from emulators.sagemaker.engines import hosting as serving
from emulators.sagemaker.engines import transform as engine


class TransformMixin:
    """Batch transform operations of the SageMaker backend."""

    def create_transform_job(self, **kwargs: Any) -> Any:
        name = kwargs["transform_job_name"]
        if name in self.transform_jobs:
            raise AlreadyExists(f"Transform job names must be unique; {name} already exists", code="ResourceInUse")
        common.validate_request("CreateTransformJob", kwargs)
        for member in ("InputFilter", "OutputFilter"):
            try:
                engine.parse_path((kwargs.get("data_processing") or {}).get(member))
            except ValueError as exc:
                raise InvalidInput(f"DataProcessing.{member}: {exc}") from None
        if kwargs["model_name"] not in self._models:
            arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:model/{kwargs['model_name']}"
            raise InvalidInput(f"Could not find model \"{arn}\".")
        job = super().create_transform_job(**kwargs)
        job.transform_job_status = "InProgress"
        job.transform_end_time = None
        job.failure_reason = None
        common.cloud().submit(run_transform_job, self.account_id, self.region_name, name)
        return job

    def stop_transform_job(self, name: str) -> None:
        job = self.transform_jobs.get(name)
        if job is None:
            raise InvalidInput(f"Could not find transform job '{name}'.")
        if job.transform_job_status == "InProgress":
            job.transform_job_status = "Stopping"
            common.STOP_REQUESTS.add(job.arn)


def stop_transform_job_handler(request: Request) -> dict[str, Any]:
    common.backend_of(request).stop_transform_job(request.get("TransformJobName"))
    return {}


# ===================================================================== the run
def run_transform_job(account_id: str, region: str, name: str) -> None:
    backend = common.backend(account_id, region)
    job = backend.transform_jobs.get(name)
    if job is None:
        return
    cloud = common.cloud()
    shipper = common.log_stream(account_id, region, common.TRANSFORM_LOG_GROUP, f"{name}/sandbox-{int(time.time())}")
    try:
        with serving.LOAD_LOCK:  # importing inference code touches sys.path
            model = hosting.load_model_for_serving(backend, job.model_name, common.data_dir() / "jobs" / name)
        result = engine.run_transform(model, job.transform_input or {}, job.transform_output or {},
                                         job.batch_strategy, job.max_payload_in_mb, common.s3(),
                                         should_stop=lambda: job.arn in common.STOP_REQUESTS,
                                         data_processing=job.data_processing)
    except ContainerError as exc:
        result = engine.TransformResult(failure_reason=f"ClientError: {exc}"[:1024])
    except Exception as exc:
        result = engine.TransformResult(failure_reason=f"InternalServerError: {exc}"[:1024])
    shipper.add(f"transform {result.status}: {result.objects} object(s), {result.records} record(s)"
                + (f": {result.failure_reason}" if result.failure_reason else ""))
    shipper.flush()
    with cloud.mutating():
        now = utcnow()
        job.transform_job_status = result.status
        job.failure_reason = result.failure_reason
        job.transform_end_time = now
        job.last_modified_time = now
    common.STOP_REQUESTS.discard(job.arn)
