"""CloudWatch metrics of a Model Monitor (data quality) execution.

On AWS the analyzer of a monitoring execution publishes, when the job's environment
has ``publish_cloudwatch_metrics`` = ``Enabled`` (the SageMaker SDK's
``create_monitoring_schedule`` sets it by default, ``enable_cloudwatch_metrics=True``)
and the baseline constraints' ``monitoring_config.emit_metrics`` is ``Enabled`` (the
suggested default), one set of metrics per feature in the namespace
``aws/sagemaker/Endpoints/data-metrics`` with the dimensions ``Endpoint`` and
``MonitoringSchedule``:

- ``feature_baseline_drift_<feature>``: the drift distance against the baseline (our
  Kolmogorov-Smirnov / L-infinity distance, the number the ``baseline_drift_check``
  compares with its threshold), for every feature the baseline statistics allow comparing;
- ``feature_non_null_<feature>``: the completeness (share of non-null values, 0..1);
- ``feature_data_<feature>`` for numerical features: one statistic set (SampleCount, Sum,
  Minimum, Maximum, so Average too) of the analysed values.

The sandbox puts them in-process into the CloudWatch backend (as PutMetricData would)
when the analyzer finishes, timestamped with that moment, in the account and region of
the schedule the environment names (``sagemaker_monitoring_schedule_name``). Alarms on
them evaluate like any other (``emulators/cloudwatch/alarms.py``).

(AWS's page on these metrics also spells the namespace ``/aws/sagemaker/Endpoints/data-metric``
with ``EndpointName``/``ScheduleName`` dimensions; the SDK examples and the console use the
spelling above, which is the one emulated.)
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from emulators.core import moto_coupling
from emulators.core.clock import utcnow
from emulators.core.server import current_cloud

log = logging.getLogger(__name__)

NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
ENV_FLAG = "publish_cloudwatch_metrics"


def metric_data(statistics: dict[str, Any], drift: dict[str, float], endpoint: str, schedule: str,
                when: datetime) -> list[dict[str, Any]]:
    """The PutMetricData entries of one execution (pure)."""
    dimensions = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]
    count = float((statistics.get("dataset") or {}).get("item_count") or 0)
    out: list[dict[str, Any]] = []

    def add(name: str, **value: Any) -> None:
        out.append({"MetricName": name, "Dimensions": dimensions, "Timestamp": when, "Unit": "None", **value})

    for feature in statistics.get("features") or []:
        name = feature["name"]
        stats = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        present = float((stats.get("common") or {}).get("num_present") or 0)
        if name in drift:
            add(f"feature_baseline_drift_{name}", Value=float(drift[name]))
        if count:
            add(f"feature_non_null_{name}", Value=present / count)
        numbers = feature.get("numerical_statistics")
        if numbers and present:
            add(f"feature_data_{name}", StatisticValues={
                "SampleCount": present, "Sum": float(numbers["sum"]), "Minimum": float(numbers["min"]),
                "Maximum": float(numbers["max"])})
    return out


def _schedule_owner(schedule: str, endpoint: str) -> tuple[str, str]:
    """The account and region whose SageMaker backend holds the schedule."""
    for account, region, backend in list(moto_coupling.backend_dict("sagemaker").iter_backends()):
        record = backend.extras.monitoring_schedules.get(schedule)
        if record is not None and record.get("EndpointName") == endpoint:
            return account, region
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return moto_coupling.DEFAULT_ACCOUNT_ID, region


def publish(environment: dict[str, str], summary: dict[str, Any]) -> str | None:
    """Publish an execution's metrics when its environment asks for them; returns a log line."""
    if str(environment.get(ENV_FLAG, "")).lower() != "enabled":
        return None
    endpoint = environment.get("sagemaker_endpoint_name")
    schedule = environment.get("sagemaker_monitoring_schedule_name")
    statistics = summary.get("statistics")
    if not endpoint or not schedule or statistics is None:
        return None  # a baseline job, or an analyzer run outside a monitoring schedule
    if str(summary.get("emit_metrics", "Enabled")).lower() != "enabled":
        return "CloudWatch metrics not published: emit_metrics is Disabled in the baseline constraints"
    # naive UTC, as moto keeps the timestamps PutMetricData parses (it compares them with query times)
    data = metric_data(statistics, summary.get("drift") or {}, endpoint, schedule,
                       utcnow().replace(tzinfo=None))
    if not data:
        return None
    account, region = _schedule_owner(schedule, endpoint)
    with current_cloud().mutating():
        backend = moto_coupling.backend_for("cloudwatch", account, region)
        for start in range(0, len(data), 1000):
            backend.put_metric_data(NAMESPACE, data[start:start + 1000])
    return f"published {len(data)} CloudWatch metrics to {NAMESPACE} (Endpoint={endpoint}, MonitoringSchedule={schedule})"
