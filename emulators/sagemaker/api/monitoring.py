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
``aws/sagemaker/Endpoints/data-metrics`` (:mod:`.monitor_metrics`), so CloudWatch alarms on drift work.

Executions (the processing job each run starts, its window, ``ListMonitoringExecutions``
and the cron tick) are :mod:`.monitoring_executions`.
"""

from __future__ import annotations

import re
from typing import Any

from emulators.core import moto_coupling
from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, InvalidInput
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common
from emulators.sagemaker.api import monitoring_executions as executions

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class MonitoringMixin:
    """Data quality job definitions and tags on monitoring schedule ARNs (moto has no schedules)."""

    def create_data_quality_job_definition(self, account_id: str, job_definition_name: str, **kwargs: Any) -> Any:
        check_new_job_definition(self, job_definition_name)
        return super().create_data_quality_job_definition(account_id=account_id,
                                                          job_definition_name=job_definition_name, **kwargs)

    def list_tags(self, arn: str, **kwargs: Any) -> Any:
        if is_schedule_arn(arn):
            return list_schedule_tags(self, arn), None
        try:
            return super().list_tags(arn=arn, **kwargs)
        except AttributeError:  # moto: the ARN names no resource it keeps
            raise InvalidInput(f"Resource {arn} does not exist") from None

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> Any:
        if is_schedule_arn(arn):
            return add_schedule_tags(self, arn, tags)
        try:
            return super().add_tags(arn, tags)
        except AttributeError:
            raise InvalidInput(f"Resource {arn} does not exist") from None

    def delete_tags(self, arn: str, tag_keys: list[str]) -> None:
        if is_schedule_arn(arn):
            return delete_schedule_tags(self, arn, tag_keys)
        try:
            return super().delete_tags(arn, tag_keys)
        except AttributeError:
            raise InvalidInput(f"Resource {arn} does not exist") from None


SCHEDULE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[^:]*:[0-9]*:monitoring-schedule/(.+)$")


def is_schedule_arn(arn: str | None) -> bool:
    return bool(arn and SCHEDULE_ARN.match(arn))


def _schedule_by_arn(backend: Any, arn: str) -> dict[str, Any]:
    for record in backend.extras.monitoring_schedules.values():
        if record["MonitoringScheduleArn"] == arn:
            return record
    raise InvalidInput(f"Resource {arn} does not exist")


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
    backend = common.backend(account_id, region)
    items = []
    for name, definition in backend.data_quality_job_definitions.items():
        endpoint = ((definition.data_quality_job_input or {}).get("EndpointInput") or {}).get("EndpointName")
        item = {"MonitoringJobDefinitionName": name, "MonitoringJobDefinitionArn": definition.arn,
                "CreationTime": executions.as_time(definition.creation_time)}
        if endpoint:
            item["EndpointName"] = endpoint
        items.append(item)
    if params.get("EndpointName"):
        items = [i for i in items if i.get("EndpointName") == params["EndpointName"]]
    if params.get("NameContains"):
        items = [i for i in items if params["NameContains"] in i["MonitoringJobDefinitionName"]]
    items = executions.filter_times(items, params, "CreationTime", "CreationTime")
    key = "MonitoringJobDefinitionName" if params.get("SortBy") == "Name" else "CreationTime"
    items.sort(key=lambda i: i[key], reverse=(params.get("SortOrder") or "Descending") == "Descending")
    return executions.page(items, params, "JobDefinitionSummaries")


def check_new_job_definition(backend: Any, name: str) -> None:
    if name in backend.data_quality_job_definitions:
        raise AlreadyExists(f"Job definition {name} already exists", code="ResourceInUse")


def create_monitoring_schedule(account_id: str, region: str, name: str, config: dict[str, Any],
                               tags: list[dict[str, str]] | None) -> str:
    backend = common.backend(account_id, region)
    if not name or not NAME_PATTERN.match(name):
        raise InvalidInput(f"1 validation error detected: Value '{name}' at "
                           "'monitoringScheduleName' failed to satisfy constraint: Member must "
                           "satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
    schedules = backend.extras.monitoring_schedules
    if name in schedules:
        raise AlreadyExists(f"Monitoring Schedule {name} already exists", code="ResourceInUse")
    definition, kind = executions.job_definition(backend, config or {})
    schedule = (config or {}).get("ScheduleConfig") or {}
    executions.validate_schedule(schedule.get("ScheduleExpression"), schedule)
    endpoint = definition["MonitoringInputs"][0]["EndpointInput"].get("EndpointName")
    if endpoint not in backend.endpoints:
        raise InvalidInput(f"Could not find endpoint \"{endpoint}\".")
    arn = f"arn:aws:sagemaker:{region}:{account_id}:monitoring-schedule/{name.lower()}"
    now = utcnow()
    schedules[name] = {"MonitoringScheduleArn": arn, "MonitoringScheduleName": name,
                       "MonitoringScheduleStatus": "Scheduled", "MonitoringType": kind,
                       "CreationTime": now, "LastModifiedTime": now, "MonitoringScheduleConfig": config,
                       "EndpointName": endpoint, "Tags": tags or [], "executions": [], "last_tick": None}
    if schedule.get("ScheduleExpression") == "NOW":
        common.cloud().submit(executions.start_execution, account_id, region, name, now)
    return arn


def _public(record: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k not in ("executions", "last_tick", "Tags")}
    if record["executions"]:
        out["LastMonitoringExecutionSummary"] = executions.execution_summary(account_id, region, record,
                                                                   record["executions"][-1])
    return out


def describe_monitoring_schedule(account_id: str, region: str, name: str) -> dict[str, Any]:
    record = common.backend(account_id, region).extras.monitoring_schedules.get(name)
    if record is None:
        raise executions.not_found(name)
    return _public(record, account_id, region)


def list_monitoring_schedules(account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    records = list(common.backend(account_id, region).extras.monitoring_schedules.values())
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
    items = executions.filter_times(items, params, "CreationTime", "CreationTime")
    items = executions.filter_times(items, params, "LastModifiedTime", "LastModifiedTime")
    sort_key = {"Name": "MonitoringScheduleName", "Status": "MonitoringScheduleStatus"}.get(
        params.get("SortBy") or "CreationTime", "CreationTime")
    items.sort(key=lambda i: i[sort_key], reverse=(params.get("SortOrder") or "Descending") == "Descending")
    return executions.page(items, params, "MonitoringScheduleSummaries")


def update_monitoring_schedule(account_id: str, region: str, name: str, config: dict[str, Any]) -> str:
    backend = common.backend(account_id, region)
    record = backend.extras.monitoring_schedules.get(name)
    if record is None:
        raise executions.not_found(name)
    definition, kind = executions.job_definition(backend, config or {})
    schedule = (config or {}).get("ScheduleConfig") or {}
    executions.validate_schedule(schedule.get("ScheduleExpression"), schedule)
    record.update(MonitoringScheduleConfig=config, MonitoringType=kind, LastModifiedTime=utcnow(),
                  EndpointName=definition["MonitoringInputs"][0]["EndpointInput"].get("EndpointName"))
    return record["MonitoringScheduleArn"]


def set_schedule_status(account_id: str, region: str, name: str, status: str) -> None:
    record = common.backend(account_id, region).extras.monitoring_schedules.get(name)
    if record is None:
        raise executions.not_found(name)
    record["MonitoringScheduleStatus"] = status
    record["LastModifiedTime"] = utcnow()


def delete_monitoring_schedule(account_id: str, region: str, name: str) -> None:
    schedules = common.backend(account_id, region).extras.monitoring_schedules
    if name not in schedules:
        raise executions.not_found(name)
    del schedules[name]


# ===================================================================== operations
def _params(request: Request, *names: str) -> dict[str, Any]:
    return {n: request.get(n) for n in names if request.get(n) is not None}


def install(cloud: Any) -> None:
    def create(request: Request) -> dict[str, Any]:
        arn = create_monitoring_schedule(request.account_id, request.region,
                                         request.get("MonitoringScheduleName"),
                                         request.get("MonitoringScheduleConfig"), request.get("Tags"))
        return {"MonitoringScheduleArn": arn}

    def describe(request: Request) -> dict[str, Any]:
        return describe_monitoring_schedule(request.account_id, request.region,
                                            request.get("MonitoringScheduleName"))

    def update(request: Request) -> dict[str, Any]:
        arn = update_monitoring_schedule(request.account_id, request.region,
                                         request.get("MonitoringScheduleName"),
                                         request.get("MonitoringScheduleConfig"))
        return {"MonitoringScheduleArn": arn}

    def delete(request: Request) -> dict[str, Any]:
        delete_monitoring_schedule(request.account_id, request.region,
                                   request.get("MonitoringScheduleName"))
        return {}

    def start(request: Request) -> dict[str, Any]:
        set_schedule_status(request.account_id, request.region,
                            request.get("MonitoringScheduleName"), "Scheduled")
        return {}

    def stop(request: Request) -> dict[str, Any]:
        set_schedule_status(request.account_id, request.region,
                            request.get("MonitoringScheduleName"), "Stopped")
        return {}

    def list_schedules(request: Request) -> dict[str, Any]:
        return list_monitoring_schedules(request.account_id, request.region, _params(
            request, "EndpointName", "SortBy", "SortOrder", "NextToken", "MaxResults", "NameContains",
            "CreationTimeBefore", "CreationTimeAfter", "LastModifiedTimeBefore", "LastModifiedTimeAfter",
            "StatusEquals", "MonitoringJobDefinitionName", "MonitoringTypeEquals"))

    def list_executions(request: Request) -> dict[str, Any]:
        return executions.list_monitoring_executions(request.account_id, request.region, _params(
            request, "MonitoringScheduleName", "EndpointName", "SortBy", "SortOrder", "NextToken", "MaxResults",
            "ScheduledTimeBefore", "ScheduledTimeAfter", "CreationTimeBefore", "CreationTimeAfter",
            "LastModifiedTimeBefore", "LastModifiedTimeAfter", "StatusEquals", "MonitoringJobDefinitionName",
            "MonitoringTypeEquals"))

    def list_definitions(request: Request) -> dict[str, Any]:
        return list_data_quality_job_definitions(request.account_id, request.region, _params(
            request, "EndpointName", "SortBy", "SortOrder", "NextToken", "MaxResults", "NameContains",
            "CreationTimeBefore", "CreationTimeAfter"))

    for operation, handler in (("create_monitoring_schedule", create), ("describe_monitoring_schedule", describe),
                               ("list_data_quality_job_definitions", list_definitions),
                               ("update_monitoring_schedule", update), ("delete_monitoring_schedule", delete),
                               ("start_monitoring_schedule", start), ("stop_monitoring_schedule", stop),
                               ("list_monitoring_schedules", list_schedules),
                               ("list_monitoring_executions", list_executions)):
        moto_coupling.add_operation("sagemaker", "SageMakerResponse", operation, handler)
    cloud.every(10.0, executions.tick, name="sagemaker-monitoring-schedules")
