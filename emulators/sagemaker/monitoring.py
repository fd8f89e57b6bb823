"""Model Monitor schedules and the two analysis images (Model Monitor analyzer, Clarify).

moto has no monitoring schedules, so the operations are added here
(``CreateMonitoringSchedule``, ``DescribeMonitoringSchedule``, ``ListMonitoringSchedules``,
``UpdateMonitoringSchedule``, ``DeleteMonitoringSchedule``, ``Start``/``StopMonitoringSchedule``,
``ListMonitoringExecutions``). A schedule lives on the SageMaker backend (so it is in the
snapshot) and runs while the sandbox is up:

- ``ScheduleExpression`` ``NOW`` runs one execution at once over the window given by
  ``DataAnalysisStartTime``/``DataAnalysisEndTime`` (``-PT1H`` style offsets);
  ``cron(...)`` expressions (hourly, daily, every N hours) run on the minute they name, over the
  hour before (AWS adds a 0-20 minute delay; the sandbox does not).
- An execution is a real processing job (``model-monitoring-<time>-<hash>``) with the schedule's
  image and environment: the endpoint's captured JSON lines for the window are its input
  (``EndpointInput.LocalPath``), the baseline constraints/statistics are downloaded beside it, and
  its output goes to ``<S3Uri>/<endpoint>/<schedule>/<yyyy>/<mm>/<dd>/<hh>/`` as on AWS. The
  execution's status is the job's, ``CompletedWithViolations`` when violations were found.

- A window with nothing captured fails the execution with AWS's ``Job inputs had no data``
  (no processing job is started).
- ``RecordPreprocessorSourceUri`` / ``PostAnalyticsProcessorSourceUri`` run: the scripts are
  downloaded beside the data (``record_preprocessor_script`` / ``post_analytics_processor_script``
  in the environment, as the SDK sets them) and their ``preprocess_handler(inference_record)`` /
  ``postprocess_handler()`` run in a child Python; what a handler prints goes to the job's log.

The SageMaker Python SDK's ``DefaultModelMonitor`` works as written for AWS: it creates a
``DataQualityJobDefinition`` and a schedule naming it (``MonitoringJobDefinitionName``);
``attach``, ``update_monitoring_schedule``, ``list_executions``, ``latest_monitoring_*`` and
tags on the schedule ARN (``ListTags``/``AddTags``/``DeleteTags``) are answered here, and
``ListDataQualityJobDefinitions`` reports each definition's real endpoint and honours its
filters (moto answers the literal ``"EndpointName"`` and ignores them).

Not emulated: ModelQuality (ground-truth merge), ModelBias and ModelExplainability schedules
are refused with a ValidationException (run Clarify as a processing job instead); schedules on
batch transform inputs are refused too; a record preprocessor on a *baseline* job fails the job
(preprocess the baseline dataset itself); the 0-20 minute start delay is not modelled.

CloudWatch metrics: an execution whose environment has ``publish_cloudwatch_metrics`` =
``Enabled`` (the SDK's default for schedules) publishes ``feature_baseline_drift_<feature>``,
``feature_non_null_<feature>`` and ``feature_data_<feature>`` to
``aws/sagemaker/Endpoints/data-metrics`` (``monitor_metrics.py``), so CloudWatch alarms on drift work.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import AwsError
from emulators.core.server import current_cloud
from emulators.sagemaker import clarify, container, model_monitor, monitor_metrics
from emulators.sagemaker.container import ContainerError

log = logging.getLogger(__name__)

ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
CLARIFY_REPOSITORY = "sagemaker-clarify-processing"
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
OFFSET = re.compile(r"^-PT(?:(\d+)H)?(?:(\d+)M)?$")


def analysis_image(image: str) -> str | None:
    """``"model-monitor"`` / ``"clarify"`` for the two AWS analysis images (any account/region/tag)."""
    repository = image.split("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    if repository == ANALYZER_REPOSITORY:
        return "model-monitor"
    if repository == CLARIFY_REPOSITORY:
        return "clarify"
    return None


def run_analysis_image(kind: str, environment: dict[str, str], inputs: dict[str, Path], output_dirs: list[Path],
                       resolve: Any, predict_for_model: Any) -> list[str]:
    """Run one of the analysis images in-process; returns log lines. Raises ``ContainerError``."""
    try:
        if kind == "model-monitor":
            summary = model_monitor.run_analyzer(environment, resolve)
            lines = [f"analysed {summary['rows']} rows x {summary['columns']} columns; wrote "
                     f"{', '.join(summary['files'])}"]
            lines.extend(summary.get("printed") or [])
            for violation in summary.get("violations", []):
                lines.append(f"violation {violation['constraint_check_type']} on {violation['feature_name']}: "
                             f"{violation['description']}")
            try:
                published = monitor_metrics.publish(environment, summary)
            except Exception as exc:  # metrics never fail the execution
                log.exception("Model Monitor: CloudWatch metrics could not be published")
                published = f"CloudWatch metrics could not be published: {type(exc).__name__}: {exc}"
            if published:
                lines.append(published)
            return lines
        config_dir = inputs.get("analysis_config")
        dataset = inputs.get("dataset")
        if config_dir is None or dataset is None:
            raise ContainerError("ClientError: a Clarify job needs the processing inputs 'analysis_config' "
                                 "(analysis_config.json) and 'dataset'")
        config_file = config_dir if config_dir.is_file() else config_dir / "analysis_config.json"
        config = clarify.load_config(config_file)
        predictor = config.get("predictor") or {}
        predict = predict_for_model(predictor) if predictor.get("model_name") else None
        if not output_dirs:
            raise ContainerError("ClientError: a Clarify job needs one ProcessingOutput (the analysis result)")
        analysis = clarify.run_clarify(config_file, dataset, output_dirs[0], predict)
        return [f"wrote analysis.json with {', '.join(k for k in analysis if k != 'version')}"]
    except model_monitor.AnalyzerError as exc:
        raise ContainerError(str(exc)) from None


# ===================================================================== schedules
def _backend(account_id: str, region: str) -> Any:
    return moto_coupling.backend_for("sagemaker", account_id, region)


def _schedules(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "monitoring_schedules"):
        backend.monitoring_schedules = {}
    return backend.monitoring_schedules


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _not_found(name: str) -> AwsError:
    return AwsError("ResourceNotFound", f"Monitoring Schedule {name} not found")


def _job_definition(backend: Any, config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The schedule's MonitoringJobDefinition and MonitoringType, resolving a named job definition."""
    kind = config.get("MonitoringType") or "DataQuality"
    if kind != "DataQuality":
        raise AwsError("ValidationException", f"MonitoringType {kind} is not emulated by the sandbox: only "
                                              "DataQuality schedules run. Run Clarify as a processing job for bias "
                                              "and explainability.")
    definition = config.get("MonitoringJobDefinition")
    name = config.get("MonitoringJobDefinitionName")
    if definition and name:
        raise AwsError("ValidationException", "Specify either MonitoringJobDefinition or "
                                              "MonitoringJobDefinitionName, not both.")
    if name:
        stored = getattr(backend, "data_quality_job_definitions", {}).get(name)
        if stored is None:
            raise AwsError("ResourceNotFound", f"Job definition {name} not found")
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
        raise AwsError("ValidationException", "MonitoringScheduleConfig needs MonitoringJobDefinition or "
                                              "MonitoringJobDefinitionName.")
    inputs = definition.get("MonitoringInputs") or []
    if not inputs or "EndpointInput" not in inputs[0]:
        raise AwsError("ValidationException", "MonitoringInputs needs one EndpointInput (batch transform inputs "
                                              "are not emulated by the sandbox).")
    outputs = (definition.get("MonitoringOutputConfig") or {}).get("MonitoringOutputs") or []
    if not outputs or "S3Output" not in outputs[0]:
        raise AwsError("ValidationException", "MonitoringOutputConfig needs one MonitoringOutput with an S3Output.")
    image = (definition.get("MonitoringAppSpecification") or {}).get("ImageUri", "")
    if analysis_image(image) != "model-monitor":
        raise AwsError("ValidationException", f"ImageUri {image!r} cannot run in the sandbox: monitoring schedules "
                                              f"run the {ANALYZER_REPOSITORY} image (sagemaker.image_uris.retrieve("
                                              "'model-monitor', region)); custom containers need Docker.")
    return definition, kind


def _validate_schedule(expression: str | None, schedule: dict[str, Any]) -> None:
    if not expression:
        return
    if expression == "NOW":
        for key in ("DataAnalysisStartTime", "DataAnalysisEndTime"):
            if not OFFSET.match(schedule.get(key) or ""):
                raise AwsError("ValidationException", f"A NOW schedule needs {key} as a negative ISO 8601 duration "
                                                      "such as -PT1H.")
        return
    from emulators.glue import schedule as cron
    try:
        cron.parse(expression)
    except ValueError as exc:
        raise AwsError("ValidationException", f"Invalid ScheduleExpression: {exc}") from None


# ===================================================================== tags and job definitions
SCHEDULE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[^:]*:[0-9]*:monitoring-schedule/(.+)$")


def is_schedule_arn(arn: str | None) -> bool:
    return bool(arn and SCHEDULE_ARN.match(arn))


def _schedule_by_arn(backend: Any, arn: str) -> dict[str, Any]:
    for record in _schedules(backend).values():
        if record["MonitoringScheduleArn"] == arn:
            return record
    raise AwsError("ValidationException", f"Resource {arn} does not exist")


def list_schedule_tags(backend: Any, arn: str) -> list[dict[str, str]]:
    return list(_schedule_by_arn(backend, arn)["Tags"])


def add_schedule_tags(backend: Any, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    record = _schedule_by_arn(backend, arn)
    keys = {t["Key"] for t in tags or []}
    record["Tags"] = [t for t in record["Tags"] if t["Key"] not in keys] + list(tags or [])
    return list(tags or [])


def delete_schedule_tags(backend: Any, arn: str, keys: list[str]) -> None:
    record = _schedule_by_arn(backend, arn)
    record["Tags"] = [t for t in record["Tags"] if t["Key"] not in set(keys or [])]


def list_data_quality_job_definitions(account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    """moto answers every summary with the literal EndpointName "EndpointName" and ignores the filters."""
    backend = _backend(account_id, region)
    items = []
    for name, definition in getattr(backend, "data_quality_job_definitions", {}).items():
        endpoint = ((definition.data_quality_job_input or {}).get("EndpointInput") or {}).get("EndpointName")
        item = {"MonitoringJobDefinitionName": name, "MonitoringJobDefinitionArn": definition.arn,
                "CreationTime": _as_time(definition.creation_time)}
        if endpoint:
            item["EndpointName"] = endpoint
        items.append(item)
    if params.get("EndpointName"):
        items = [i for i in items if i.get("EndpointName") == params["EndpointName"]]
    if params.get("NameContains"):
        items = [i for i in items if params["NameContains"] in i["MonitoringJobDefinitionName"]]
    items = _filter_times(items, params, "CreationTime", "CreationTime")
    key = "MonitoringJobDefinitionName" if params.get("SortBy") == "Name" else "CreationTime"
    items.sort(key=lambda i: i[key], reverse=(params.get("SortOrder") or "Descending") == "Descending")
    return _page(items, params, "JobDefinitionSummaries")


def check_new_job_definition(account_id: str, region: str, name: str) -> None:
    backend = _backend(account_id, region)
    if name in getattr(backend, "data_quality_job_definitions", {}):
        raise AwsError("ResourceInUse", f"Job definition {name} already exists")


def create_monitoring_schedule(account_id: str, region: str, name: str, config: dict[str, Any],
                               tags: list[dict[str, str]] | None) -> str:
    backend = _backend(account_id, region)
    if not name or not NAME_PATTERN.match(name):
        raise AwsError("ValidationException", f"1 validation error detected: Value '{name}' at "
                                              "'monitoringScheduleName' failed to satisfy constraint: Member must "
                                              "satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
    schedules = _schedules(backend)
    if name in schedules:
        raise AwsError("ResourceInUse", f"Monitoring Schedule {name} already exists")
    definition, kind = _job_definition(backend, config or {})
    schedule = (config or {}).get("ScheduleConfig") or {}
    _validate_schedule(schedule.get("ScheduleExpression"), schedule)
    endpoint = definition["MonitoringInputs"][0]["EndpointInput"].get("EndpointName")
    if endpoint not in backend.endpoints:
        raise AwsError("ValidationException", f"Could not find endpoint \"{endpoint}\".")
    arn = f"arn:aws:sagemaker:{region}:{account_id}:monitoring-schedule/{name.lower()}"
    now = _now()
    schedules[name] = {"MonitoringScheduleArn": arn, "MonitoringScheduleName": name,
                       "MonitoringScheduleStatus": "Scheduled", "MonitoringType": kind,
                       "CreationTime": now, "LastModifiedTime": now, "MonitoringScheduleConfig": config,
                       "EndpointName": endpoint, "Tags": tags or [], "executions": [], "last_tick": None}
    if schedule.get("ScheduleExpression") == "NOW":
        current_cloud().submit(start_execution, account_id, region, name, now)
    return arn


def _public(record: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k not in ("executions", "last_tick", "Tags")}
    if record["executions"]:
        out["LastMonitoringExecutionSummary"] = _execution_summary(account_id, region, record,
                                                                   record["executions"][-1])
    return out


def describe_monitoring_schedule(account_id: str, region: str, name: str) -> dict[str, Any]:
    record = _schedules(_backend(account_id, region)).get(name)
    if record is None:
        raise _not_found(name)
    return _public(record, account_id, region)


def _filter_times(items: list[dict[str, Any]], params: dict[str, Any], prefix: str, key: str) -> list[dict[str, Any]]:
    before, after = params.get(f"{prefix}Before"), params.get(f"{prefix}After")
    if before:
        items = [i for i in items if i[key] < _as_time(before)]
    if after:
        items = [i for i in items if i[key] > _as_time(after)]
    return items


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) or str(value).replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 10)
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def list_monitoring_schedules(account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    records = list(_schedules(_backend(account_id, region)).values())
    items = [{"MonitoringScheduleName": r["MonitoringScheduleName"], "MonitoringScheduleArn": r["MonitoringScheduleArn"],
              "CreationTime": r["CreationTime"], "LastModifiedTime": r["LastModifiedTime"],
              "MonitoringScheduleStatus": r["MonitoringScheduleStatus"], "EndpointName": r["EndpointName"],
              "MonitoringType": r["MonitoringType"],
              **({"MonitoringJobDefinitionName": r["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]}
                 if r["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName") else {})} for r in records]
    if params.get("EndpointName"):
        items = [i for i in items if i["EndpointName"] == params["EndpointName"]]
    if params.get("NameContains"):
        items = [i for i in items if params["NameContains"] in i["MonitoringScheduleName"]]
    if params.get("StatusEquals"):
        items = [i for i in items if i["MonitoringScheduleStatus"] == params["StatusEquals"]]
    if params.get("MonitoringJobDefinitionName"):
        items = [i for i in items if i.get("MonitoringJobDefinitionName") == params["MonitoringJobDefinitionName"]]
    items = _filter_times(items, params, "CreationTime", "CreationTime")
    items = _filter_times(items, params, "LastModifiedTime", "LastModifiedTime")
    sort_key = {"Name": "MonitoringScheduleName", "Status": "MonitoringScheduleStatus"}.get(
        params.get("SortBy") or "CreationTime", "CreationTime")
    items.sort(key=lambda i: i[sort_key], reverse=(params.get("SortOrder") or "Descending") == "Descending")
    return _page(items, params, "MonitoringScheduleSummaries")


def update_monitoring_schedule(account_id: str, region: str, name: str, config: dict[str, Any]) -> str:
    backend = _backend(account_id, region)
    record = _schedules(backend).get(name)
    if record is None:
        raise _not_found(name)
    definition, kind = _job_definition(backend, config or {})
    schedule = (config or {}).get("ScheduleConfig") or {}
    _validate_schedule(schedule.get("ScheduleExpression"), schedule)
    record.update(MonitoringScheduleConfig=config, MonitoringType=kind, LastModifiedTime=_now(),
                  EndpointName=definition["MonitoringInputs"][0]["EndpointInput"].get("EndpointName"))
    return record["MonitoringScheduleArn"]


def set_schedule_status(account_id: str, region: str, name: str, status: str) -> None:
    record = _schedules(_backend(account_id, region)).get(name)
    if record is None:
        raise _not_found(name)
    record["MonitoringScheduleStatus"] = status
    record["LastModifiedTime"] = _now()


def delete_monitoring_schedule(account_id: str, region: str, name: str) -> None:
    schedules = _schedules(_backend(account_id, region))
    if name not in schedules:
        raise _not_found(name)
    del schedules[name]


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
    capture = (getattr(config, "data_capture_config", None) or getattr(endpoint, "data_capture_config", None) or {})
    return capture.get("DestinationS3Uri") if capture.get("EnableCapture", True) else None


def _has_captures(uri: str) -> bool:
    from emulators.core.s3access import s3_access

    try:
        bucket, prefix = container.parse_s3_uri(uri)
        return any(not o.key.endswith("/") for o in s3_access().list(bucket, prefix))
    except Exception:
        return False


def start_execution(account_id: str, region: str, name: str, scheduled: datetime) -> None:
    """Start one monitoring execution (a processing job) for a schedule."""
    from emulators.sagemaker import provider

    cloud = current_cloud()
    backend = _backend(account_id, region)
    record = _schedules(backend).get(name)
    if record is None:
        return
    provider.flush_captures()
    definition, _ = _job_definition(backend, record["MonitoringScheduleConfig"])
    endpoint_input = definition["MonitoringInputs"][0]["EndpointInput"]
    endpoint = endpoint_input["EndpointName"]
    start, end = _window(record, scheduled)
    stamp = scheduled.strftime("%Y%m%d%H%M")
    job_name = f"model-monitoring-{stamp}-{hashlib.sha1(f'{name}{scheduled.isoformat()}'.encode()).hexdigest()[:12]}"
    execution = {"ScheduledTime": scheduled, "CreationTime": _now(), "ProcessingJobName": job_name,
                 "status": "Pending", "FailureReason": None}
    with cloud.mutating():
        record["executions"].append(execution)
    destination = _capture_destination(backend, endpoint)
    if not destination:
        with cloud.mutating():
            execution.update(status="Failed", FailureReason=f"Endpoint {endpoint} has no data capture: set "
                                                             "DataCaptureConfig on its endpoint config")
            execution["LastModifiedTime"] = _now()
        return
    if not _has_captures(destination.rstrip("/") + f"/{endpoint}/"):
        with cloud.mutating():
            execution.update(status="Failed", FailureReason=f"{model_monitor.NO_DATA}: nothing captured under "
                                                             f"{destination.rstrip('/')}/{endpoint}/ yet")
            execution["LastModifiedTime"] = _now()
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


def _execution_summary(account_id: str, region: str, record: dict[str, Any],
                       execution: dict[str, Any]) -> dict[str, Any]:
    backend = _backend(account_id, region)
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
            execution["LastModifiedTime"] = job.processing_end_time or _now()
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
    from emulators.core.s3access import s3_access

    try:
        uri = job.processing_output_config["Outputs"][0]["S3Output"]["S3Uri"]
        bucket, prefix = container.parse_s3_uri(uri.rstrip("/") + "/constraint_violations.json")
        report = json.loads(s3_access().get(bucket, prefix))
        return bool(report.get("violations"))
    except Exception:
        return False


def list_monitoring_executions(account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    schedules = _schedules(_backend(account_id, region))
    items = []
    for record in schedules.values():
        if params.get("MonitoringScheduleName") and record["MonitoringScheduleName"] != params["MonitoringScheduleName"]:
            continue
        if params.get("EndpointName") and record["EndpointName"] != params["EndpointName"]:
            continue
        items.extend(_execution_summary(account_id, region, record, e) for e in record["executions"])
    if params.get("StatusEquals"):
        items = [i for i in items if i["MonitoringExecutionStatus"] == params["StatusEquals"]]
    if params.get("MonitoringTypeEquals"):
        items = [i for i in items if i["MonitoringType"] == params["MonitoringTypeEquals"]]
    items = _filter_times(items, params, "ScheduledTime", "ScheduledTime")
    items = _filter_times(items, params, "CreationTime", "CreationTime")
    items = _filter_times(items, params, "LastModifiedTime", "LastModifiedTime")
    sort_key = {"Status": "MonitoringExecutionStatus", "CreationTime": "CreationTime"}.get(
        params.get("SortBy") or "ScheduledTime", "ScheduledTime")
    items.sort(key=lambda i: i[sort_key], reverse=(params.get("SortOrder") or "Descending") == "Descending")
    return _page(items, params, "MonitoringExecutionSummaries")


def tick() -> None:
    """Start the executions cron schedules are due for (called every few seconds)."""
    from emulators.glue import schedule as cron

    now = _now().replace(second=0, microsecond=0)
    for account_id, region, backend in list(moto_coupling.backend_dict("sagemaker").iter_backends()):
        for name, record in list(_schedules(backend).items()):
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


# ===================================================================== operations
def _params(response: Any, *names: str) -> dict[str, Any]:
    return {n: response._get_param(n) for n in names if response._get_param(n) is not None}


def install(cloud: Any) -> None:
    def create(response: Any) -> dict[str, Any]:
        arn = create_monitoring_schedule(response.current_account, response.region,
                                         response._get_param("MonitoringScheduleName"),
                                         response._get_param("MonitoringScheduleConfig"), response._get_param("Tags"))
        return {"MonitoringScheduleArn": arn}

    def describe(response: Any) -> dict[str, Any]:
        return describe_monitoring_schedule(response.current_account, response.region,
                                            response._get_param("MonitoringScheduleName"))

    def update(response: Any) -> dict[str, Any]:
        arn = update_monitoring_schedule(response.current_account, response.region,
                                         response._get_param("MonitoringScheduleName"),
                                         response._get_param("MonitoringScheduleConfig"))
        return {"MonitoringScheduleArn": arn}

    def delete(response: Any) -> dict[str, Any]:
        delete_monitoring_schedule(response.current_account, response.region,
                                   response._get_param("MonitoringScheduleName"))
        return {}

    def start(response: Any) -> dict[str, Any]:
        set_schedule_status(response.current_account, response.region,
                            response._get_param("MonitoringScheduleName"), "Scheduled")
        return {}

    def stop(response: Any) -> dict[str, Any]:
        set_schedule_status(response.current_account, response.region,
                            response._get_param("MonitoringScheduleName"), "Stopped")
        return {}

    def list_schedules(response: Any) -> dict[str, Any]:
        return list_monitoring_schedules(response.current_account, response.region, _params(
            response, "EndpointName", "SortBy", "SortOrder", "NextToken", "MaxResults", "NameContains",
            "CreationTimeBefore", "CreationTimeAfter", "LastModifiedTimeBefore", "LastModifiedTimeAfter",
            "StatusEquals", "MonitoringJobDefinitionName", "MonitoringTypeEquals"))

    def list_executions(response: Any) -> dict[str, Any]:
        return list_monitoring_executions(response.current_account, response.region, _params(
            response, "MonitoringScheduleName", "EndpointName", "SortBy", "SortOrder", "NextToken", "MaxResults",
            "ScheduledTimeBefore", "ScheduledTimeAfter", "CreationTimeBefore", "CreationTimeAfter",
            "LastModifiedTimeBefore", "LastModifiedTimeAfter", "StatusEquals", "MonitoringJobDefinitionName",
            "MonitoringTypeEquals"))

    def list_definitions(response: Any) -> dict[str, Any]:
        return list_data_quality_job_definitions(response.current_account, response.region, _params(
            response, "EndpointName", "SortBy", "SortOrder", "NextToken", "MaxResults", "NameContains",
            "CreationTimeBefore", "CreationTimeAfter"))

    for operation, handler in (("create_monitoring_schedule", create), ("describe_monitoring_schedule", describe),
                               ("list_data_quality_job_definitions", list_definitions),
                               ("update_monitoring_schedule", update), ("delete_monitoring_schedule", delete),
                               ("start_monitoring_schedule", start), ("stop_monitoring_schedule", stop),
                               ("list_monitoring_schedules", list_schedules),
                               ("list_monitoring_executions", list_executions)):
        moto_coupling.add_operation("sagemaker", "SageMakerResponse", operation, handler)
    cloud.every(10.0, tick, name="sagemaker-monitoring-schedules")
