"""Processing jobs: CreateProcessingJob / StopProcessingJob and the background run of each job.

The engine (:mod:`emulators.sagemaker.engines.processing`) runs the entry point,
or the Model Monitor / Clarify analysis in-process; this module gives it the
model loader Clarify's shadow endpoint stands for and the CloudWatch metrics
publisher of Model Monitor.
"""

from __future__ import annotations

import json
import time
from typing import Any

from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, InvalidInput
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common, hosting, monitor_metrics
from emulators.sagemaker.engines import processing


class ProcessingMixin:
    """Processing job operations of the SageMaker backend."""

    def create_processing_job(self, **kwargs: Any) -> Any:
        name = kwargs["processing_job_name"]
        if name in self.processing_jobs:  # type: ignore[attr-defined]
            raise AlreadyExists(f"Processing job names must be unique; {name} already exists", code="ResourceInUse")
        common.validate_request("CreateProcessingJob", kwargs)
        environment = kwargs.pop("environment", None)
        resources = kwargs.pop("processing_resources", None)
        job = super().create_processing_job(**kwargs)  # type: ignore[misc]
        job.processing_resources = resources
        job.processing_job_status = "InProgress"
        job.processing_end_time = None
        job.processing_start_time = utcnow()
        job.failure_reason = None
        job.exit_message = None
        job.environment = environment
        common.cloud().submit(run_processing_job, self.account_id, self.region_name, name)  # type: ignore
        return job

    def stop_processing_job(self, processing_job_name: str) -> None:
        job = self.processing_jobs.get(processing_job_name)  # type: ignore[attr-defined]
        if job is None:
            return super().stop_processing_job(processing_job_name)  # type: ignore[misc]
        if job.processing_job_status != "InProgress":
            raise InvalidInput(f"The request was rejected because the processing job is in status "
                               f"{job.processing_job_status}.")
        job.processing_job_status = "Stopping"
        common.STOP_REQUESTS.add(job.arn)


def create_processing_job_handler(request: Request) -> dict[str, Any]:
    """CreateProcessingJob with Environment and ProcessingResources (moto's handler drops them)."""
    job = common.backend_of(request).create_processing_job(
        app_specification=request.get("AppSpecification"),
        experiment_config=request.get("ExperimentConfig"),
        network_config=request.get("NetworkConfig"),
        processing_inputs=request.get("ProcessingInputs"),
        processing_job_name=request.get("ProcessingJobName"),
        processing_output_config=request.get("ProcessingOutputConfig"),
        role_arn=request.get("RoleArn"),
        stopping_condition=request.get("StoppingCondition"),
        tags=request.get("Tags"),
        environment=request.get("Environment"),
        processing_resources=request.get("ProcessingResources"),
    )
    return {"ProcessingJobArn": job.arn}


# ===================================================================== the run
def run_processing_job(account_id: str, region: str, name: str) -> None:
    backend = common.backend(account_id, region)
    job = backend.processing_jobs.get(name)
    if job is None:
        return
    cloud = common.cloud()
    shipper = common.log_stream(account_id, region, common.PROCESSING_LOG_GROUP,
                                f"{name}/algo-1-{int(time.time())}")
    try:
        result = processing.run_processing(
            name, job.app_specification or {}, job.processing_inputs or [], job.processing_output_config or {},
            job.environment or {}, job.stopping_condition or {}, common.data_dir() / "jobs", common.s3(),
            cloud.endpoint_url, region, should_stop=lambda: job.arn in common.STOP_REQUESTS, on_line=shipper.add,
            on_start=lambda p: common.started(job.arn, p),
            predict_for_model=lambda predictor: _clarify_predictor(backend, name, predictor),
            publish_metrics=monitor_metrics.publish)
    finally:
        common.PROCESSES.pop(job.arn, None)
    if result.failure_reason:
        shipper.add(result.failure_reason)
    shipper.flush()
    with cloud.mutating():
        now = utcnow()
        job.processing_job_status = result.status
        job.failure_reason = result.failure_reason
        job.exit_message = result.exit_message
        job.processing_end_time = now
        job.last_modified_time = now
    common.STOP_REQUESTS.discard(job.arn)
def _clarify_predictor(backend: Any, job_name: str, predictor: dict[str, Any]) -> Any:
    """What Clarify's shadow endpoint does: the named model, loaded in-process, fed CSV (or JSON lines) rows."""
    import io

    import numpy as np
    import pandas as pd

    model = hosting.load_model_for_serving(backend, predictor["model_name"], common.data_dir() / "clarify" / job_name)
    content_type = predictor.get("content_type") or "text/csv"
    accept = predictor.get("accept_type") or content_type
    label_key, probability_key = predictor.get("label"), predictor.get("probability")

    def predict(features: pd.DataFrame) -> np.ndarray:
        if content_type == "application/jsonlines":
            body = "\n".join(json.dumps({"features": list(map(_plain, row))}) for row in
                             features.itertuples(index=False)).encode()
        else:
            body = features.to_csv(header=False, index=False).encode()
        out, out_type = model.invoke(body, content_type, accept, batch=True)
        text = out.decode("utf-8", errors="replace").strip()
        if "json" in (out_type or accept):
            parsed = [json.loads(line) for line in text.splitlines()] if "\n" in text else json.loads(text)
            if isinstance(parsed, dict):
                parsed = parsed.get("predictions", parsed.get("scores", [parsed]))
            values = []
            for item in parsed if isinstance(parsed, list) else [parsed]:
                if isinstance(item, dict):
                    item = item.get(probability_key or "", item.get(label_key or "", item.get("score",
                                    item.get("predicted_label", next(iter(item.values()))))))
                values.append(item[0] if isinstance(item, list) else item)
            return np.asarray(values, float)
        frame = pd.read_csv(io.StringIO(text), header=None)
        column = int(probability_key) if str(probability_key).isdigit() else 0
        return frame.iloc[:, column].to_numpy(float)

    return predict


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
