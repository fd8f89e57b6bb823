"""Model Monitor executions: the job definition a schedule runs, its window, and the processing job of each run.

An execution is a real processing job (``model-monitoring-<time>-<hash>``) of the
analyzer image over the endpoint's captured JSON lines for the schedule's window;
its status is the job's (``CompletedWithViolations`` when the job wrote
violations). :func:`tick` starts what cron schedules are due for. See
:mod:`.monitoring` for the schedules themselves.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from emulators.core import cron, paging, s3uri
from emulators.core.clock import utcnow
from emulators.core.errors import InvalidInput, NotFound
from emulators.sagemaker.api import capture, common
from emulators.sagemaker.engines.analysis import ANALYZER_REPOSITORY, analysis_image

OFFSET = re.compile(r"^-PT(?:(\d+)H)?(?:(\d+)M)?$")


def not_found(name: str) -> NotFound:
    return NotFound(f"Monitoring Schedule {name} not found", code="ResourceNotFound")


def job_definition(backend: Any, config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The schedule's MonitoringJobDefinition and MonitoringType, resolving a named job definition."""
    kind = config.get("MonitoringType") or "DataQuality"
    if kind != "DataQuality":
        raise InvalidInput(f"MonitoringType {kind} is not emulated by the sandbox: only "
                           "DataQuality schedules run. Run Clarify as a processing job for bias "
                           "and explainability.")
    definition = config.get("MonitoringJobDefinition")
    name = config.get("MonitoringJobDefinitionName")
    if definition and name:
        raise InvalidInput("Specify either MonitoringJobDefinition or "
                           "MonitoringJobDefinitionName, not both.")
    if name:
        stored = backend.data_quality_job_definitions.get(name)
        if stored is None:
            raise NotFound(f"Job definition {name} not found", code="ResourceNotFound")
        app = dict(stored.data_quality_app_specification or {})
        definition = {
            "BaselineConfig": {k: v for k, v in (stored.data_quality_baseline_config or {}).items()
                               if k in ("ConstraintsResource", "StatisticsResource")},
            "MonitoringInputs": [stored.data_quality_job_input],
            "MonitoringOutputConfig": stored.data_quality_job_output_config,
            "MonitoringResources": stored.job_resources,
            "MonitoringAppSpecification": {k: v for k, v in app.items() if k != "Environment"},
            "StoppingCondition": stored.stopping_condition,
            "Environment": {**(app.get("Environment") or {}), **(stored.environment or {})},
            "RoleArn": stored.role_arn,
        }
    if not definition:
        raise InvalidInput("MonitoringScheduleConfig needs MonitoringJobDefinition or "
                           "MonitoringJobDefinitionName.")
    inputs = definition.get("MonitoringInputs") or []
    if not inputs or "EndpointInput" not in inputs[0]:
        raise InvalidInput("MonitoringInputs needs one EndpointInput (batch transform inputs "
                           "are not emulated by the sandbox).")
    outputs = (definition.get("MonitoringOutputConfig") or {}).get("MonitoringOutputs") or []
    if not outputs or "S3Output" not in outputs[0]:
        raise InvalidInput("MonitoringOutputConfig needs one MonitoringOutput with an S3Output.")
    image = (definition.get("MonitoringAppSpecification") or {}).get("ImageUri", "")
    if analysis_image(image) != "model-monitor":
        raise InvalidInput(f"ImageUri {image!r} cannot run in the sandbox: monitoring schedules "
                           f"run the {ANALYZER_REPOSITORY} image (sagemaker.image_uris.retrieve("
                           "'model-monitor', region)); custom containers need Docker.")
    return definition, kind


def validate_schedule(expression: str | None, schedule: dict[str, Any]) -> None:
    if not expression:
        return
    if expression == "NOW":
        for key in ("DataAnalysisStartTime", "DataAnalysisEndTime"):
            if not OFFSET.match(schedule.get(key) or ""):
                raise InvalidInput(f"A NOW schedule needs {key} as a negative ISO 8601 duration "
                                   "such as -PT1H.")
        return
    try:
        cron.parse(expression)
    except ValueError as exc:
        raise InvalidInput(f"Invalid ScheduleExpression: {exc}") from None


def filter_times(items: list[dict[str, Any]], params: dict[str, Any], prefix: str, key: str) -> list[dict[str, Any]]:
    before, after = params.get(f"{prefix}Before"), params.get(f"{prefix}After")
    if before:
        items = [i for i in items if i[key] < as_time(before)]
    if after:
        items = [i for i in items if i[key] > as_time(after)]
    return items


def as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) or str(value).replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
    """One page of a listing (10 items unless MaxResults says otherwise), with AWS's NextToken."""
    found, token = paging.page(items, params.get("NextToken"), params.get("MaxResults"), default_size=10,
                               listing=f"sagemaker:{key}")
    out: dict[str, Any] = {key: found}
    if token:
        out["NextToken"] = token
    return out


# ===================================================================== executions
def _window(record: dict[str, Any], scheduled: datetime) -> tuple[datetime, datetime]:
    schedule = record["MonitoringScheduleConfig"].get("ScheduleConfig") or {}
    if schedule.get("ScheduleExpression") == "NOW":
        def offset(text: str) -> timedelta:
            match = OFFSET.match(text)
            return timedelta(hours=int(match.group(1) or 0), minutes=int(match.group(2) or 0)) if match else timedelta()
        return scheduled - offset(schedule["DataAnalysisStartTime"]), scheduled - offset(schedule["DataAnalysisEndTime"])
    return scheduled - timedelta(hours=1), scheduled


def _capture_destination(backend: Any, endpoint_name: str) -> str | None:
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        return None
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    settings = (config.data_capture_config if config is not None else None) or endpoint.data_capture_config or {}
    return settings.get("DestinationS3Uri") if settings.get("EnableCapture", True) else None


def _has_captures(uri: str) -> bool:
    try:
        target = s3uri.parse(uri)
        return any(not o.key.endswith("/") for o in common.s3().list(target.bucket, target.key))
    except Exception:
        return False


def start_execution(account_id: str, region: str, name: str, scheduled: datetime) -> None:
    """Start one monitoring execution (a processing job) for a schedule."""
    cloud = common.cloud()
    backend = common.backend(account_id, region)
    record = backend.extras.monitoring_schedules.get(name)
    if record is None:
        return
    capture.flush_captures()
    definition, _ = job_definition(backend, record["MonitoringScheduleConfig"])
    endpoint_input = definition["MonitoringInputs"][0]["EndpointInput"]
    endpoint = endpoint_input["EndpointName"]
    start, end = _window(record, scheduled)
    stamp = scheduled.strftime("%Y%m%d%H%M")
    job_name = f"model-monitoring-{stamp}-{hashlib.sha1(f'{name}{scheduled.isoformat()}'.encode()).hexdigest()[:12]}"
    execution = {"ScheduledTime": scheduled, "CreationTime": utcnow(), "ProcessingJobName": job_name,
                 "status": "Pending", "FailureReason": None}
    with cloud.mutating():
        record["executions"].append(execution)
    destination = _capture_destination(backend, endpoint)
    if not destination:
        with cloud.mutating():
            execution.update(status="Failed", FailureReason=f"Endpoint {endpoint} has no data capture: set "
                                                             "DataCaptureConfig on its endpoint config")
            execution["LastModifiedTime"] = utcnow()
        return
    if not _has_captures(destination.rstrip("/") + f"/{endpoint}/"):
        from emulators.sagemaker.engines import model_monitor  # pandas: only when the wording is needed

        with cloud.mutating():
            execution.update(status="Failed", FailureReason=f"{model_monitor.NO_DATA}: nothing captured under "
                                                             f"{destination.rstrip('/')}/{endpoint}/ yet")
            execution["LastModifiedTime"] = utcnow()
        return
    input_path = endpoint_input.get("LocalPath") or "/opt/ml/processing/input/endpoint"
    output = definition["MonitoringOutputConfig"]["MonitoringOutputs"][0]["S3Output"]
    output_path = output.get("LocalPath") or "/opt/ml/processing/output"
    hour = scheduled.strftime("%Y/%m/%d/%H")
    inputs = [{"InputName": "endpoint_input_1", "S3Input": {
        "S3Uri": destination.rstrip("/") + f"/{endpoint}", "LocalPath": f"{input_path.rstrip('/')}/{endpoint}",
        "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}]
    environment = {
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                      "endpointOutput"]}}),
        "dataset_source": input_path, "output_path": output_path, "publish_cloudwatch_metrics": "Disabled",
        "sagemaker_endpoint_name": endpoint, "sagemaker_monitoring_schedule_name": name,
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    baseline = definition.get("BaselineConfig") or {}
    for key, resource, local, variable in (("ConstraintsResource", "constraints", "constraints.json",
                                            "baseline_constraints"),
                                           ("StatisticsResource", "statistics", "statistics.json",
                                            "baseline_statistics")):
        uri = (baseline.get(key) or {}).get("S3Uri")
        if uri:
            inputs.append({"InputName": f"baseline_{resource}", "S3Input": {
                "S3Uri": uri, "LocalPath": f"/opt/ml/processing/baseline/{resource}", "S3DataType": "S3Prefix",
                "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}})
            environment[variable] = f"/opt/ml/processing/baseline/{resource}/{uri.rstrip('/').rsplit('/', 1)[-1]}"
    environment.update(definition.get("Environment") or {})
    app = dict(definition.get("MonitoringAppSpecification") or {})
    for key, input_name, variable in (
            ("RecordPreprocessorSourceUri", "pre_processor_script", "record_preprocessor_script"),
            ("PostAnalyticsProcessorSourceUri", "post_processor_script", "post_analytics_processor_script")):
        uri = app.get(key)
        if uri:
            local = f"/opt/ml/processing/code/{input_name}"
            inputs.append({"InputName": input_name, "S3Input": {
                "S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated"}})
            environment[variable] = f"{local}/{uri.rstrip('/').rsplit('/', 1)[-1]}"
    try:
        backend.create_processing_job(
            app_specification={k: v for k, v in app.items() if k in ("ImageUri", "ContainerEntrypoint",
                                                                       "ContainerArguments")},
            experiment_config=None, network_config=definition.get("NetworkConfig"),
            processing_inputs=inputs, processing_job_name=job_name,
            processing_output_config={"Outputs": [{"OutputName": "result", "S3Output": {
                "S3Uri": f"{output['S3Uri'].rstrip('/')}/{endpoint}/{name}/{hour}", "LocalPath": output_path,
                "S3UploadMode": output.get("S3UploadMode", "EndOfJob")}}]},
            role_arn=definition.get("RoleArn") or "arn:aws:iam::123456789012:role/sandbox",
            stopping_condition=definition.get("StoppingCondition") or {"MaxRuntimeInSeconds": 3600},
            tags=None, environment=environment,
            processing_resources=definition.get("MonitoringResources") or {"ClusterConfig": {
                "InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}})
        with cloud.mutating():
            execution["status"] = "InProgress"
    except Exception as exc:
        with cloud.mutating():
            execution.update(status="Failed", FailureReason=f"{type(exc).__name__}: {exc}"[:1024])


def execution_summary(account_id: str, region: str, record: dict[str, Any],
                       execution: dict[str, Any]) -> dict[str, Any]:
    backend = common.backend(account_id, region)
    job = backend.processing_jobs.get(execution["ProcessingJobName"])
    status = execution["status"]
    if job is not None and status in ("Pending", "InProgress"):
        job_status = job.processing_job_status
        if job_status == "Completed":
            status = "CompletedWithViolations" if _has_violations(job) else "Completed"
        elif job_status in ("Failed", "Stopped", "Stopping"):
            status = job_status
            execution["FailureReason"] = job.failure_reason
        else:
            status = "InProgress"
        if status not in ("InProgress",):
            execution["status"] = status
            execution["LastModifiedTime"] = job.processing_end_time or utcnow()
    summary = {"MonitoringScheduleName": record["MonitoringScheduleName"],
               "ScheduledTime": execution["ScheduledTime"], "CreationTime": execution["CreationTime"],
               "LastModifiedTime": execution.get("LastModifiedTime") or execution["CreationTime"],
               "MonitoringExecutionStatus": status, "EndpointName": record["EndpointName"],
               "MonitoringType": record["MonitoringType"]}
    if job is not None:
        summary["ProcessingJobArn"] = job.arn
    if execution.get("FailureReason"):
        summary["FailureReason"] = execution["FailureReason"]
    if record["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName"):
        summary["MonitoringJobDefinitionName"] = record["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
    return summary


def _has_violations(job: Any) -> bool:
    try:
        uri = job.processing_output_config["Outputs"][0]["S3Output"]["S3Uri"]
        report_uri = s3uri.parse(uri.rstrip("/") + "/constraint_violations.json")
        report = json.loads(common.s3().get(report_uri.bucket, report_uri.key))
        return bool(report.get("violations"))
    except Exception:
        return False


def list_monitoring_executions(account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    schedules = common.backend(account_id, region).extras.monitoring_schedules
    items = []
    for record in schedules.values():
        if params.get("MonitoringScheduleName") and record["MonitoringScheduleName"] != params["MonitoringScheduleName"]:
            continue
        if params.get("EndpointName") and record["EndpointName"] != params["EndpointName"]:
            continue
        items.extend(execution_summary(account_id, region, record, e) for e in record["executions"])
    if params.get("StatusEquals"):
        items = [i for i in items if i["MonitoringExecutionStatus"] == params["StatusEquals"]]
    if params.get("MonitoringTypeEquals"):
        items = [i for i in items if i["MonitoringType"] == params["MonitoringTypeEquals"]]
    items = filter_times(items, params, "ScheduledTime", "ScheduledTime")
    items = filter_times(items, params, "CreationTime", "CreationTime")
    items = filter_times(items, params, "LastModifiedTime", "LastModifiedTime")
    sort_key = {"Status": "MonitoringExecutionStatus", "CreationTime": "CreationTime"}.get(
        params.get("SortBy") or "ScheduledTime", "ScheduledTime")
    items.sort(key=lambda i: i[sort_key], reverse=(params.get("SortOrder") or "Descending") == "Descending")
    return page(items, params, "MonitoringExecutionSummaries")


def tick() -> None:
    """Start the executions cron schedules are due for (called every few seconds)."""
    now = utcnow().replace(second=0, microsecond=0)
    for account_id, region, backend in common.backends():
        for name, record in list(backend.extras.monitoring_schedules.items()):
            expression = (record["MonitoringScheduleConfig"].get("ScheduleConfig") or {}).get("ScheduleExpression")
            if record["MonitoringScheduleStatus"] != "Scheduled" or not expression or expression == "NOW":
                continue
            if record.get("last_tick") == now:
                continue
            try:
                due = cron.cron_matches(expression, now)
            except ValueError:
                continue
            if due:
                record["last_tick"] = now
                start_execution(account_id, region, name, now)
