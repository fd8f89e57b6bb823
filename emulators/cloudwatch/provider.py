"""CloudWatch's provider: metric alarms evaluate and act (:mod:`emulators.cloudwatch.alarms`).

Logs, SNS and SQS are moto's own. EventBridge lives in ``emulators/events/``.
"""

from __future__ import annotations

from typing import Any

from emulators.cloudwatch import alarms


def install(cloud: Any) -> None:
    alarms.install(cloud)
