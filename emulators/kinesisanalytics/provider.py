"""Kinesis Analytics (v2) SQL applications on moto's control plane, run by :mod:`.engine`.

StartApplication runs the application every second: the source stream's new
records (by the input schema's mappings) join the in-application source stream;
each pump's SELECT runs over it; the rows of a tumbling window are emitted once, when
the window has closed (rows of other queries once), as JSON lines to the output's
Kinesis stream or Firehose delivery stream.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import datetime, timezone
from typing import Any

from emulators.core import clock, moto_coupling, ports
from emulators.core.errors import InvalidInput, NotEmulated, NotFound
from emulators.core.moto_coupling import Request
from emulators.core.server import current_cloud
from emulators.kinesisanalytics import engine

log = logging.getLogger("emulators.kinesisanalytics")
KdaBackend = moto_coupling.backend_class("kinesisanalyticsv2")
_running_lock = threading.Lock()


class SandboxKinesisAnalyticsBackend(KdaBackend):  # type: ignore[misc, valid-type]
    @property
    def sandbox_apps(self) -> dict[str, dict[str, Any]]:
        if "_sandbox_apps" not in self.__dict__:
            self._sandbox_apps = {}
        return self._sandbox_apps

    def create_application(self, application_name: str, application_description: str | None,
                           runtime_environment: str, service_execution_role: str,
                           application_configuration: dict[str, Any] | None, *args: Any, **kwargs: Any) -> Any:
        result = super().create_application(application_name, application_description, runtime_environment,
                                            service_execution_role, application_configuration, *args, **kwargs)
        app = self.applications[application_name]
        app.application_status = "READY"
        self.sandbox_apps[application_name] = {"config": application_configuration or {}, "positions": {},
                                               "emitted": [], "rows": [], "error": None}
        return result


    def describe_application(self, application_name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if application_name not in self.applications:
            raise NotFound(f"Application {application_name} not found in account {self.account_id}")
        detail = super().describe_application(application_name, *args, **kwargs)
        sql = (self.sandbox_apps.get(application_name, {}).get("config") or {}).get("SqlApplicationConfiguration")
        if sql:
            description = detail.get("ApplicationConfigurationDescription") or {}
            description["SqlApplicationConfigurationDescription"] = {
                "InputDescriptions": [{"InputId": f"1.{i + 1}", **{k: v for k, v in item.items()
                                                                  if k != "KinesisStreamsInput"},
                                       **({"KinesisStreamsInputDescription": item["KinesisStreamsInput"]}
                                          if "KinesisStreamsInput" in item else {}),
                                       "InAppStreamNames": [f"{item.get('NamePrefix', 'SOURCE_SQL_STREAM')}_001"]}
                                      for i, item in enumerate(sql.get("Inputs") or [])],
                "OutputDescriptions": [{"OutputId": f"1.{i + 1}", "Name": item.get("Name"),
                                        **({"KinesisStreamsOutputDescription": item["KinesisStreamsOutput"]}
                                           if "KinesisStreamsOutput" in item else {}),
                                        **({"KinesisFirehoseOutputDescription": item["KinesisFirehoseOutput"]}
                                           if "KinesisFirehoseOutput" in item else {}),
                                        "DestinationSchema": item.get("DestinationSchema", {})}
                                       for i, item in enumerate(sql.get("Outputs") or [])],
                "ReferenceDataSourceDescriptions": [],
            }
            detail["ApplicationConfigurationDescription"] = description
        return detail


def _backend(request: Request) -> SandboxKinesisAnalyticsBackend:
    return moto_coupling.backend_for("kinesisanalyticsv2", request.account_id, request.region)


def _start_application(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    name = request.get("ApplicationName")
    if name not in backend.applications:
        raise NotFound(f"Application {name} not found")
    app = backend.applications[name]
    if not str(app.runtime_environment).startswith("SQL"):
        raise NotEmulated("Only SQL applications run in the sandbox (Flink applications need a Flink "
                          "cluster; use the sandbox's Python API sandbox.streaming.run_windowed_sql)")
    state = backend.sandbox_apps.get(name)
    code = (((state or {}).get("config") or {}).get("ApplicationCodeConfiguration") or {}).get(
        "CodeContent", {}).get("TextContent", "")
    try:
        engine.parse_application(code)
    except engine.ApplicationError as exc:
        raise InvalidInput(str(exc), code="InvalidApplicationConfigurationException") from None
    app.application_status = "RUNNING"
    return {}


def _stop_application(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    name = request.get("ApplicationName")
    if name not in backend.applications:
        raise NotFound(f"Application {name} not found")
    backend.applications[name].application_status = "READY"
    return {}


def _tick() -> None:
    for account, region, backend in list(moto_coupling.backend_dict("kinesisanalyticsv2").iter_backends()):
        for name, app in list(backend.applications.items()):
            if app.application_status != "RUNNING" or name not in getattr(backend, "_sandbox_apps", {}):
                continue
            try:
                _run_application(account, region, backend, name)
            except Exception as exc:
                log.warning("application %s: %s", name, exc)
                backend.sandbox_apps[name]["error"] = str(exc)


def _run_application(account: str, region: str, backend: Any, name: str) -> None:
    state = backend.sandbox_apps[name]
    sql_config = state["config"].get("SqlApplicationConfiguration") or {}
    code = state["config"].get("ApplicationCodeConfiguration", {}).get("CodeContent", {}).get("TextContent", "")
    inputs = sql_config.get("Inputs") or []
    if not inputs:
        return
    source = inputs[0]
    prefix = source.get("NamePrefix", "SOURCE_SQL_STREAM")
    schema = source.get("InputSchema", {})
    columns = [(c["Name"], c.get("SqlType", "VARCHAR")) for c in schema.get("RecordColumns", [])]
    mappings = {c["Name"]: c.get("Mapping", f"$.{c['Name']}") for c in schema.get("RecordColumns", [])}
    stream_arn = (source.get("KinesisStreamsInput") or {}).get("ResourceARN", "")
    kinesis = moto_coupling.backend_for("kinesis", account, region)
    stream = kinesis.describe_stream(stream_arn=stream_arn, stream_name=stream_arn.rsplit("/", 1)[-1])
    positions = state["positions"]
    # a row enters the in-application stream when the application reads it (ROWTIME, as on AWS): never before
    # the last run, whose closed windows are already out
    floor = datetime.fromisoformat(state["rowtime_floor"]) if state.get("rowtime_floor") else None
    for shard_id, shard in stream.shards.items():
        for record in shard.records.values():
            if int(record.sequence_number) <= int(positions.get(shard_id, "0")):
                continue
            positions[shard_id] = record.sequence_number
            try:
                document = json.loads(base64.b64decode(record.data))
            except ValueError:
                continue
            row = {column: engine.extract(document, mapping) for column, mapping in mappings.items()}
            rowtime = record.created_at_datetime.replace(tzinfo=None)
            row["ROWTIME"] = (max(rowtime, floor) if floor is not None else rowtime).isoformat()
            state["rows"].append(row)
    rows = [{**r, "ROWTIME": datetime.fromisoformat(r["ROWTIME"])} for r in state["rows"]]
    now = clock.utcnow().replace(tzinfo=None)
    outputs = {o.get("Name"): o for o in sql_config.get("Outputs") or []}
    # per tumbling-window pump: the end of the last window emitted (its rows are never looked at again)
    from_before = "closed_until" not in state and bool(state["emitted"])  # a state an earlier version kept
    closed = state.setdefault("closed_until", {})
    for number, pump in enumerate(engine.parse_application(code, f"{prefix}_001")):
        fresh = []
        if pump.window_seconds:
            # the windows that closed since the last run, each emitted once: two windows may well give equal
            # rows (the same key and count), which are two results, not one
            cutoff = (int(now.timestamp()) // pump.window_seconds) * pump.window_seconds
            start = closed.get(str(number), cutoff if from_before else None)
            usable = [r for r in rows if (start is None or _seconds(r["ROWTIME"]) >= start)
                      and _seconds(r["ROWTIME"]) < cutoff]
            closed[str(number)] = cutoff
            if usable:
                fresh = [json.dumps(out_row, default=str)
                         for out_row in engine.run_pump(pump, usable, columns, f"{prefix}_001")]
        else:
            emitted = set(state["emitted"])
            for out_row in engine.run_pump(pump, rows, columns, f"{prefix}_001"):
                line = json.dumps(out_row, default=str, sort_keys=True)
                if line not in emitted:
                    emitted.add(line)
                    state["emitted"].append(line)
                    fresh.append(json.dumps(out_row, default=str))
        output = outputs.get(pump.destination)
        if fresh and output:
            _deliver(account, region, output, fresh)
    state["rowtime_floor"] = now.isoformat()


def _seconds(rowtime: datetime) -> float:
    return rowtime.replace(tzinfo=timezone.utc).timestamp()


def _deliver(account: str, region: str, output: dict[str, Any], lines: list[str]) -> None:
    cloud = current_cloud()
    if output.get("KinesisStreamsOutput"):
        arn = output["KinesisStreamsOutput"]["ResourceARN"]
        kinesis = moto_coupling.backend_for("kinesis", account, region)
        with cloud.mutating():
            for line in lines:
                kinesis.put_record(stream_arn=arn, stream_name=arn.rsplit("/", 1)[-1], partition_key="kda",
                                   explicit_hash_key=None, data=base64.b64encode((line + "\n").encode()).decode())
    elif output.get("KinesisFirehoseOutput"):
        arn = output["KinesisFirehoseOutput"]["ResourceARN"]
        ports.accept_firehose_records(account, region, arn.rsplit("/", 1)[-1],
                                      [(line + "\n").encode() for line in lines])


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("kinesisanalyticsv2", SandboxKinesisAnalyticsBackend)
    moto_coupling.add_operation("kinesisanalyticsv2", "KinesisAnalyticsV2Response", "start_application",
                                _start_application)
    moto_coupling.add_operation("kinesisanalyticsv2", "KinesisAnalyticsV2Response", "stop_application",
                                _stop_application)
    cloud.every(1.0, _tick, name="kinesis-analytics")
