"""CloudWatch's provider: metric alarms evaluate and act (:mod:`emulators.cloudwatch.alarms`).

Logs, SNS and SQS are moto's own, except Logs Insights' StartQuery, which also takes the log groups as
``logGroupIdentifiers`` (names or ARNs), as the AWS SDK for pandas' ``wr.cloudwatch.read_logs`` sends them,
and GetQueryResults, whose ``@timestamp`` and ``@ingestionTime`` read as on AWS (``2024-01-02 03:04:05.678``,
UTC), not as epoch milliseconds.
EventBridge lives in ``emulators/events/``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from emulators.cloudwatch import alarms
from emulators.core import moto_coupling
from emulators.core.errors import InvalidInput
from emulators.core.moto_coupling import Request


def _log_group_name(identifier: str) -> str:
    """A log group's name from its name or ARN (``arn:aws:logs:<region>:<account>:log-group:<name>[:*]``)."""
    if identifier.startswith("arn:") and ":log-group:" in identifier:
        name = identifier.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return identifier


def start_query(request: Request) -> dict[str, Any]:
    name, names, identifiers = (request.get("logGroupName"), request.get("logGroupNames"),
                                request.get("logGroupIdentifiers"))
    if sum(1 for given in (name, names, identifiers) if given) != 1:
        raise InvalidInput("Specify exactly one of logGroupName, logGroupNames and logGroupIdentifiers",
                           code="InvalidParameterException")
    groups = [name] if name else list(names or [_log_group_name(i) for i in identifiers])
    backend = moto_coupling.backend_for("logs", request.account_id, request.region)
    query_id = backend.start_query(groups, request.get_int("startTime"), request.get_int("endTime"),
                                   request.get("queryString"))
    return {"queryId": str(query_id)}


_TIME_FIELDS = ("@timestamp", "@ingestionTime")


def get_query_results(request: Request) -> dict[str, Any]:
    backend = moto_coupling.backend_for("logs", request.account_id, request.region)
    result = backend.get_query_results(request.get("queryId")).to_result_json()
    for row in result.get("results", []):
        for cell in row:
            value = cell.get("value", "")
            if cell.get("field") in _TIME_FIELDS and value.lstrip("-").isdigit():
                moment = datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
                cell["value"] = moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return result


def install(cloud: Any) -> None:
    alarms.install(cloud)
    moto_coupling.add_operation("logs", "LogsResponse", "start_query", start_query)
    moto_coupling.add_operation("logs", "LogsResponse", "get_query_results", get_query_results)
