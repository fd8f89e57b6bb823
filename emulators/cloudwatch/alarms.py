"""CloudWatch metric alarms that evaluate, change state and run their actions.

moto stores alarms (``PutMetricAlarm``) and metric datapoints (``PutMetricData``)
but never evaluates one against the other. Here a periodic task (every
``SANDBOX_ALARMS_TICK_SECONDS``, default 2 s) evaluates every metric alarm of every
account and region over the datapoints moto keeps:

- the metric is matched exactly: ``Namespace``, ``MetricName``, the same set of
  ``Dimensions`` (name and value) and, when the alarm names one, the ``Unit``;
- periods are aligned to the clock as on AWS (a 60 s period runs from :00 to :00);
  each is reduced with the alarm's ``Statistic`` (Average, Sum, Minimum, Maximum,
  SampleCount; ``StatisticValues`` sets count with their sum/min/max/count) or
  ``ExtendedStatistic`` ``pNN`` (nearest rank over single values);
- the evaluation range is the last ``EvaluationPeriods`` periods *ending with the
  current, still open period when it already holds data*, otherwise ending with the
  last complete period. A datapoint counts as soon as it arrives (as on AWS, where an
  alarm reacts to the newest datapoint without waiting for the period to close), and a
  period that has only just begun is not yet "missing";
- ``DatapointsToAlarm`` (M of N, default N): ALARM when at least M of the evaluated
  datapoints breach the threshold, OK otherwise;
- ``TreatMissingData``: ``breaching`` / ``notBreaching`` count a missing period as
  breaching / not breaching; ``missing`` (the default) and ``ignore`` evaluate only the
  periods that have data, and when every period of the range is missing ``missing``
  goes to INSUFFICIENT_DATA while ``ignore`` keeps the current state. (AWS also looks
  further back than the range when some periods are missing; the sandbox does not.)

A new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"), as on
AWS, and a PutMetricAlarm on an existing name keeps its state. A transition sets
``StateValue``, ``StateReason`` (AWS's "Threshold Crossed: ..." wording),
``StateReasonData`` (JSON), ``StateUpdatedTimestamp``/``StateTransitionedTimestamp``,
adds a ``StateUpdate`` item to ``DescribeAlarmHistory`` (an operation moto lacks, added
here; history items live on the CloudWatch backend, so they are in the snapshot and
outlive a deleted alarm) and, when ``ActionsEnabled``, runs the new state's actions in
the background:

- SNS topic ARNs: Publish of AWS's alarm notification JSON (``AlarmName``,
  ``NewStateValue``, ``OldStateValue``, ``NewStateReason``, ``Trigger``, ...) with the
  subject ``ALARM: "name" in US East (N. Virginia)``;
- Lambda function ARNs: an invocation (through the ``invoke_lambda`` port)
  with AWS's alarm event (``source`` ``aws.cloudwatch``, ``alarmData.state``,
  ``previousState``, ``configuration``);
- other actions (Auto Scaling policies, EC2 stop/terminate/reboot/recover, SSM
  OpsItems/incidents) are logged and ignored. Each action adds an ``Action`` history item.

``SetAlarmState`` (moto's) also records the history item and runs the actions once; the
next evaluation then sets the state the data calls for, as AWS does.

Not evaluated (they keep their state and never fail the tick): metric math alarms
(``Metrics``), composite alarms (moto 5.2.5 answers ``PutCompositeAlarm`` with NotImplemented; a
composite alarm in a restored state would be skipped), anomaly-detection comparison
operators (``...OutsideThreshold``/``...LowerThreshold``/``...UpperThreshold``), and
``EvaluateLowSampleCountPercentile`` is not applied.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from datetime import datetime, timezone
from typing import Any

from emulators.core import clock, moto_coupling, paging, ports
from emulators.core.moto_coupling import Request
from emulators.core.server import current_cloud

log = logging.getLogger("emulators.alarms")
DEFAULT_TICK_SECONDS = 2.0
OPERATORS = {
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}
STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)", "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-south-1": "Asia Pacific (Mumbai)",
    "ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
}
INITIAL_REASON = "Unchecked: Initial alarm creation"


# ------------------------------------------------------------------ pure evaluation
def epoch(moment: Any) -> float:
    """Seconds since the epoch of a datetime (naive ones are UTC, as moto keeps them)."""
    if isinstance(moment, (int, float)):
        return float(moment)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def iso(seconds: float) -> str:
    """AWS's timestamp style in alarm documents: ``2026-12-02T10:00:00.000+0000``."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _short_date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def reduce(samples: list[tuple[str, Any]], statistic: str) -> float | None:
    """One period's value: ``samples`` are ("v", value) or ("agg", (sum, min, max, count))."""
    singles = [v for kind, v in samples if kind == "v"]
    aggregated = [v for kind, v in samples if kind == "agg"]
    count = len(singles) + sum(a[3] for a in aggregated)
    if count <= 0:
        return None
    if statistic.startswith("p"):
        if not singles:
            return None
        try:
            rank = float(statistic[1:])
        except ValueError:
            return None
        ordered = sorted(singles)
        index = min(len(ordered) - 1, max(0, math.ceil(rank / 100.0 * len(ordered)) - 1))
        return float(ordered[index])
    total = sum(singles) + sum(a[0] for a in aggregated)
    if statistic == "Sum":
        return float(total)
    if statistic == "SampleCount":
        return float(count)
    if statistic == "Average":
        return float(total / count)
    if statistic == "Minimum":
        return float(min([*singles, *(a[1] for a in aggregated)]))
    if statistic == "Maximum":
        return float(max([*singles, *(a[2] for a in aggregated)]))
    return None


def evaluation_range(period: int, periods: int, now: float, has_data: Any) -> list[float]:
    """Start times (oldest first) of the periods to evaluate: see the module docstring."""
    current = math.floor(now / period) * period
    last = current if has_data(current) else current - period
    return [last - i * period for i in range(periods - 1, -1, -1)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _number(value: float) -> str:
    return repr(float(value))


def evaluate(spec: dict[str, Any], points: list[tuple[float, float | None, float]], now: float,
             current_state: str) -> tuple[str, str, dict[str, Any]] | None:
    """The state the datapoints call for: ``(state, reason, reason_data)``, or ``None`` to keep the state.

    ``spec``: ComparisonOperator, Threshold, EvaluationPeriods, DatapointsToAlarm, TreatMissingData,
    Period, Statistic (the name shown). ``points``: (period start, value or None, sample count),
    oldest first.
    """
    words, breaches = OPERATORS[spec["ComparisonOperator"]]
    threshold = float(spec["Threshold"])
    periods = len(points)
    needed = int(spec.get("DatapointsToAlarm") or periods)
    treat = spec.get("TreatMissingData") or "missing"
    present = [(start, value, count) for start, value, count in points if value is not None]
    missing = periods - len(present)
    breaching = [(s, v) for s, v, _ in present if breaches(v, threshold)]
    fine = [(s, v) for s, v, _ in present if not breaches(v, threshold)]
    reason_data: dict[str, Any] = {
        "version": "1.0", "queryDate": iso(now), "startDate": iso(points[0][0]) if points else iso(now),
        "statistic": spec["Statistic"], "period": int(spec["Period"]),
        "recentDatapoints": [v for _, v, _ in present], "threshold": threshold,
        "evaluatedDatapoints": [{"timestamp": iso(s), "sampleCount": float(c), "value": v}
                                for s, v, c in reversed(present)],
    }
    if treat in ("breaching", "notBreaching"):
        counted_breaching = len(breaching) + (missing if treat == "breaching" else 0)
        label = "Breaching" if treat == "breaching" else "NonBreaching"
        if not present:
            state = "ALARM" if counted_breaching >= needed else "OK"
            reason = (f"Threshold Crossed: no datapoints were received for {_plural(periods, 'period')} and "
                      f"{missing} missing {'datapoint' if missing == 1 else 'datapoints'} {_was(missing)} "
                      f"treated as [{label}].")
            return state, reason, reason_data
    else:
        if not present:
            if treat == "ignore":
                return None
            reason = f"Insufficient Data: {_plural(periods, 'datapoint')} {_was(periods)} unknown."
            return "INSUFFICIENT_DATA", reason, reason_data
        counted_breaching = len(breaching)
    newest_first = sorted(breaching if counted_breaching >= needed else fine, key=lambda p: -p[0])
    shown = ", ".join(f"{_number(v)} ({_short_date(s)})" for s, v in newest_first)
    evaluated = periods if treat in ("breaching", "notBreaching") else len(present)
    minimum = f"minimum {_plural(needed, 'datapoint')}"
    suffix = ""
    if missing and treat in ("breaching", "notBreaching"):
        label = "Breaching" if treat == "breaching" else "NonBreaching"
        suffix = f" and {missing} missing {'datapoint' if missing == 1 else 'datapoints'} {_was(missing)} " \
                 f"treated as [{label}]"
    if counted_breaching >= needed:
        n = counted_breaching
        reason = (f"Threshold Crossed: {n} out of the last {evaluated} datapoints [{shown}] {_was(n)} {words} "
                  f"the threshold ({_number(threshold)}){suffix} ({minimum} for {current_state} -> ALARM "
                  f"transition).")
        return "ALARM", reason, reason_data
    n = evaluated - counted_breaching
    reason = (f"Threshold Crossed: {n} out of the last {evaluated} datapoints [{shown}] {_was(n)} not {words} "
              f"the threshold ({_number(threshold)}){suffix} ({minimum} for {current_state} -> OK transition).")
    return "OK", reason, reason_data


# ------------------------------------------------------------------ reading moto's alarms and data
def _statistic(alarm: Any) -> str | None:
    if alarm.extended_statistic:
        return alarm.extended_statistic
    return alarm.statistic if alarm.statistic in STATISTICS else None


def evaluable(alarm: Any) -> bool:
    """A plain metric alarm the sandbox evaluates (not metric math, composite or anomaly detection)."""
    return (getattr(alarm, "rule", None) is None and not getattr(alarm, "metric_data_queries", None)
            and alarm.comparison_operator in OPERATORS and bool(alarm.metric_name) and bool(alarm.namespace)
            and _statistic(alarm) is not None and bool(alarm.period) and bool(alarm.evaluation_periods))


def _dimension_key(dimensions: list[Any]) -> frozenset[tuple[str, str]]:
    return frozenset((str(d.name), str(d.value)) for d in dimensions or [])


def index_metric_data(backend: Any) -> dict[tuple[str, str], list[Any]]:
    """moto's datapoints of a backend by (namespace, metric name), built once per tick."""
    index: dict[tuple[str, str], list[Any]] = {}
    for datum in list(backend.metric_data):
        index.setdefault((datum.namespace, datum.name), []).append(datum)
    return index


def _samples(backend: Any, alarm: Any, index: dict[tuple[str, str], list[Any]] | None = None
             ) -> list[tuple[float, tuple[str, Any]]]:
    wanted = _dimension_key(alarm.dimensions)
    out = []
    if index is None:
        index = index_metric_data(backend)
    for datum in index.get((alarm.namespace, alarm.metric_name), []):
        if _dimension_key(datum.dimensions) != wanted:
            continue
        if alarm.unit and datum.unit and datum.unit != alarm.unit:
            continue
        if hasattr(datum, "value"):
            out.append((epoch(datum.timestamp), ("v", float(datum.value))))
        else:
            out.append((epoch(datum.timestamp), ("agg", (datum.sum, datum.min, datum.max, datum.sample_count))))
    return out


def spec_of(alarm: Any) -> dict[str, Any]:
    return {"ComparisonOperator": alarm.comparison_operator, "Threshold": alarm.threshold,
            "EvaluationPeriods": int(alarm.evaluation_periods), "DatapointsToAlarm": alarm.datapoints_to_alarm,
            "TreatMissingData": alarm.treat_missing_data, "Period": int(alarm.period),
            "Statistic": _statistic(alarm)}


def evaluate_alarm(backend: Any, alarm: Any, now: float, index: dict[tuple[str, str], list[Any]] | None = None
                   ) -> tuple[str, str, dict[str, Any]] | None:
    period, periods = int(alarm.period), int(alarm.evaluation_periods)
    statistic = _statistic(alarm)
    samples = _samples(backend, alarm, index)

    def in_period(start: float) -> list[tuple[str, Any]]:
        return [s for t, s in samples if start <= t < start + period]

    starts = evaluation_range(period, periods, now, lambda start: bool(in_period(start)))
    points = []
    for start in starts:
        chunk = in_period(start)
        value = reduce(chunk, statistic) if chunk else None
        count = sum(1 if kind == "v" else v[3] for kind, v in chunk)
        points.append((start, value, count))
    return evaluate(spec_of(alarm), points, now, alarm.state_value)


# ------------------------------------------------------------------ transitions, history, actions
def _history(backend: Any) -> list[dict[str, Any]]:
    if not hasattr(backend, "sandbox_alarm_history"):
        backend.sandbox_alarm_history = []
    return backend.sandbox_alarm_history


def _add_history(backend: Any, alarm: Any, kind: str, summary: str, data: dict[str, Any]) -> None:
    items = _history(backend)
    items.append({"AlarmName": alarm.name,
                  "AlarmType": "CompositeAlarm" if getattr(alarm, "rule", None) else "MetricAlarm",
                  "Timestamp": clock.utcnow(), "HistoryItemType": kind, "HistorySummary": summary,
                  "HistoryData": json.dumps(data)})
    del items[:-5000]  # keep the newest (AWS keeps 30 days)


def transition(account: str, region: str, backend: Any, alarm: Any, state: str, reason: str,
               reason_data: str | None, *, already_set: bool = False) -> None:
    """Record a state change (history item) and start the actions (the caller holds the state lock)."""
    old_state, old_reason = alarm.state_value, alarm.state_reason
    old_time = epoch(alarm.state_updated_timestamp)
    if already_set:
        old_state, old_reason, old_time = getattr(alarm, "_sandbox_previous", (old_state, old_reason, old_time))
    else:
        alarm.update_state(reason, reason_data or "{}", state)
    now = time.time()
    alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
    new_state_doc: dict[str, Any] = {"stateValue": state, "stateReason": reason}
    if reason_data:
        try:
            new_state_doc["stateReasonData"] = json.loads(reason_data)
        except ValueError:
            pass
    _add_history(backend, alarm, "StateUpdate", f"Alarm updated from {old_state} to {state}",
                 {"version": "1.0", "oldState": {"stateValue": old_state, "stateReason": old_reason},
                  "newState": new_state_doc})
    if not alarm.actions_enabled:
        return
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
               "INSUFFICIENT_DATA": alarm.insufficient_data_actions}.get(state) or []
    if not actions:
        return
    notice = {"old_state": old_state, "old_reason": old_reason, "old_reason_data": None,
              "old_time": old_time, "time": now}
    for action in list(actions):
        try:
            current_cloud().submit(_run_action, account, region, alarm.name, action, _snapshot(alarm), notice)
        except RuntimeError:  # shutting down
            return


def _snapshot(alarm: Any) -> dict[str, Any]:
    """What the actions need, copied while the lock is held."""
    return {
        "name": alarm.name, "arn": alarm.alarm_arn, "description": alarm.description, "state": alarm.state_value,
        "reason": alarm.state_reason, "reason_data": alarm.state_reason_data, "namespace": alarm.namespace,
        "metric_name": alarm.metric_name, "dimensions": [(d.name, d.value) for d in alarm.dimensions or []],
        "statistic": alarm.statistic, "extended_statistic": alarm.extended_statistic, "unit": alarm.unit,
        "period": alarm.period, "evaluation_periods": alarm.evaluation_periods,
        "datapoints_to_alarm": alarm.datapoints_to_alarm, "comparison_operator": alarm.comparison_operator,
        "threshold": alarm.threshold, "treat_missing_data": alarm.treat_missing_data or "missing",
        "evaluate_low_sample_count_percentile": alarm.evaluate_low_sample_count_percentile or "",
        "alarm_actions": list(alarm.alarm_actions or []), "ok_actions": list(alarm.ok_actions or []),
        "insufficient_data_actions": list(alarm.insufficient_data_actions or []),
        "configuration_updated": epoch(alarm.configuration_updated_timestamp),
    }


def sns_notification(account: str, region: str, alarm: dict[str, Any], notice: dict[str, Any]) -> dict[str, Any]:
    """AWS's alarm notification message (the JSON an SNS subscriber receives)."""
    trigger: dict[str, Any] = {
        "MetricName": alarm["metric_name"], "Namespace": alarm["namespace"],
        "StatisticType": "ExtendedStatistic" if alarm["extended_statistic"] else "Statistic",
        "Unit": alarm["unit"], "Dimensions": [{"value": v, "name": n} for n, v in alarm["dimensions"]],
        "Period": alarm["period"], "EvaluationPeriods": alarm["evaluation_periods"],
        "ComparisonOperator": alarm["comparison_operator"], "Threshold": alarm["threshold"],
        "TreatMissingData": alarm["treat_missing_data"],
        "EvaluateLowSampleCountPercentile": alarm["evaluate_low_sample_count_percentile"],
    }
    if alarm["extended_statistic"]:
        trigger["ExtendedStatistic"] = alarm["extended_statistic"]
    else:
        trigger["Statistic"] = str(alarm["statistic"] or "").upper()
    if alarm["datapoints_to_alarm"]:
        trigger["DatapointsToAlarm"] = alarm["datapoints_to_alarm"]
    return {
        "AlarmName": alarm["name"], "AlarmDescription": alarm["description"], "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": iso(alarm["configuration_updated"]),
        "NewStateValue": alarm["state"], "NewStateReason": alarm["reason"], "StateChangeTime": iso(notice["time"]),
        "Region": REGION_NAMES.get(region, region), "AlarmArn": alarm["arn"], "OldStateValue": notice["old_state"],
        "OKActions": alarm["ok_actions"], "AlarmActions": alarm["alarm_actions"],
        "InsufficientDataActions": alarm["insufficient_data_actions"], "Trigger": trigger,
    }


def lambda_event(account: str, region: str, alarm: dict[str, Any], notice: dict[str, Any]) -> dict[str, Any]:
    """AWS's event for a Lambda alarm action."""
    stat = alarm["extended_statistic"] or alarm["statistic"]
    return {
        "source": "aws.cloudwatch", "alarmArn": alarm["arn"], "accountId": account, "time": iso(notice["time"]),
        "region": region,
        "alarmData": {
            "alarmName": alarm["name"],
            "state": {"value": alarm["state"], "reason": alarm["reason"], "reasonData": alarm["reason_data"],
                      "timestamp": iso(notice["time"])},
            "previousState": {"value": notice["old_state"], "reason": notice["old_reason"],
                              "timestamp": iso(notice["old_time"])},
            "configuration": {"description": alarm["description"], "metrics": [{
                "id": "m1", "returnData": True,
                "metricStat": {"metric": {"namespace": alarm["namespace"], "name": alarm["metric_name"],
                                          "dimensions": {n: v for n, v in alarm["dimensions"]}},
                               "period": alarm["period"], "stat": stat}}]},
        },
    }


def _run_action(account: str, region: str, name: str, action: str, alarm: dict[str, Any],
                notice: dict[str, Any]) -> None:
    parts = action.split(":")
    service = parts[2] if len(parts) > 5 and parts[0] == "arn" else ""
    ok, detail = True, ""
    try:
        if service == "sns":
            message = json.dumps(sns_notification(account, region, alarm, notice))
            subject = f'{alarm["state"]}: "{alarm["name"]}" in {REGION_NAMES.get(region, region)}'[:100]
            with current_cloud().mutating():
                moto_coupling.backend_for("sns", parts[4], parts[3]).publish(message, arn=action, subject=subject)
        elif service == "lambda":
            _, error = ports.invoke_lambda(action, json.dumps(lambda_event(account, region, alarm, notice)).encode(),
                                           parts[4], parts[3])
            if error:
                ok, detail = False, f"the function answered with an error ({error})"
        else:
            log.info("CloudWatch alarm %s: action %s is not emulated by the sandbox (ignored)", name, action)
            ok, detail = False, "this kind of action is not emulated by the sandbox"
    except Exception as exc:
        log.warning("CloudWatch alarm %s could not run action %s: %s", name, action, exc)
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    summary = (f"Successfully executed action {action}" if ok else f"Failed to execute action {action}")
    data = {"actionState": "Succeeded" if ok else "Failed", "notificationResource": action,
            "stateUpdateTimestamp": int(notice["time"] * 1000)}
    if detail:
        data["error"] = detail
    try:
        with current_cloud().mutating():
            backend = moto_coupling.backend_for("cloudwatch", account, region)
            stub = type("AlarmRef", (), {"name": name, "rule": None})()
            _add_history(backend, stub, "Action", summary, data)
    except Exception:
        log.exception("CloudWatch alarm %s: could not record the action history", name)


# ------------------------------------------------------------------ the periodic task
def tick(now: float | None = None) -> int:
    """Evaluate every metric alarm; returns how many changed state."""
    cloud = current_cloud()
    now = time.time() if now is None else now
    changed = 0
    with cloud.store.lock.shared():
        for account, region, backend in list(moto_coupling.backend_dict("cloudwatch").iter_backends()):
            alarms = [a for a in list(getattr(backend, "alarms", {}).values()) if evaluable(a)]
            index = index_metric_data(backend) if alarms else {}
            for alarm in alarms:
                try:
                    result = evaluate_alarm(backend, alarm, now, index)
                    if result is None or result[0] == alarm.state_value:
                        continue
                    state, reason, reason_data = result
                    transition(account, region, backend, alarm, state, reason, json.dumps(reason_data))
                    changed += 1
                except Exception:
                    log.exception("CloudWatch alarm %s could not be evaluated", getattr(alarm, "name", "?"))
    if changed:
        cloud.mark_dirty()
    return changed


# ------------------------------------------------------------------ the backend and the added operation
MotoCloudWatch = moto_coupling.backend_class("cloudwatch")


class AlarmingCloudWatchBackend(MotoCloudWatch):  # type: ignore[misc, valid-type]
    """moto's CloudWatch backend: new alarms start INSUFFICIENT_DATA, updates keep the state, SetAlarmState acts."""

    def put_metric_alarm(self, name: str, *args: Any, **kwargs: Any) -> Any:
        previous = self.alarms.get(name)
        alarm = super().put_metric_alarm(name, *args, **kwargs)
        if previous is not None:
            for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp",
                         "history"):
                setattr(alarm, attr, getattr(previous, attr))
            alarm.state_transitioned_timestamp = getattr(previous, "state_transitioned_timestamp",
                                                         previous.state_updated_timestamp)
        else:
            alarm.state_value, alarm.state_reason = "INSUFFICIENT_DATA", INITIAL_REASON
            alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
        return alarm

    def set_alarm_state(self, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
        alarm = self.alarms.get(alarm_name)
        previous = ((alarm.state_value, alarm.state_reason, epoch(alarm.state_updated_timestamp))
                    if alarm is not None else None)
        super().set_alarm_state(alarm_name, reason, reason_data, state_value)
        if alarm is None or previous is None or previous[0] == state_value:
            return
        alarm._sandbox_previous = previous
        try:
            transition(self.account_id, self.region_name, self, alarm, state_value, reason, reason_data,
                       already_set=True)
        finally:
            del alarm._sandbox_previous


def describe_alarm_history(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    items = list(_history(backend))
    if params.get("AlarmName"):
        items = [i for i in items if i["AlarmName"] == params["AlarmName"]]
    if params.get("AlarmTypes"):
        items = [i for i in items if i["AlarmType"] in params["AlarmTypes"]]
    if params.get("HistoryItemType"):
        items = [i for i in items if i["HistoryItemType"] == params["HistoryItemType"]]
    if params.get("StartDate"):
        items = [i for i in items if epoch(i["Timestamp"]) >= epoch(params["StartDate"])]
    if params.get("EndDate"):
        items = [i for i in items if epoch(i["Timestamp"]) <= epoch(params["EndDate"])]
    items.sort(key=lambda i: epoch(i["Timestamp"]), reverse=(params.get("ScanBy") or
                                                             "TimestampDescending") == "TimestampDescending")
    found, next_token = paging.page(items, params.get("NextToken"), params.get("MaxRecords"), default_size=100,
                                    listing="cloudwatch:describe_alarm_history", token_error="InvalidNextToken")
    result: dict[str, Any] = {"AlarmHistoryItems": [dict(i) for i in found]}
    if next_token:
        result["NextToken"] = next_token
    return result


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("cloudwatch", AlarmingCloudWatchBackend)

    def history(request: Request) -> dict[str, Any]:
        params = {name: request.get(name) for name in (
            "AlarmName", "AlarmTypes", "HistoryItemType", "StartDate", "EndDate", "MaxRecords", "NextToken",
            "ScanBy")}
        return describe_alarm_history(moto_coupling.backend_for("cloudwatch", request.account_id,
                                                                request.region), params)

    moto_coupling.add_operation("cloudwatch", "CloudWatchResponse", "describe_alarm_history", history)
    seconds = float(os.environ.get("SANDBOX_ALARMS_TICK_SECONDS") or DEFAULT_TICK_SECONDS)
    cloud.every(max(0.5, seconds), tick, name="cloudwatch-alarms")
