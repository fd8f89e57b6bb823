"""CloudWatch's provider: metric alarms evaluate and act (:mod:`emulators.cloudwatch.alarms`).

Logs, SNS and SQS are moto's own. EventBridge lives in ``emulators/events/``.
"""

from __future__ import annotations

import logging
from typing import Any

from emulators.cloudwatch import alarms
from emulators.core import ports

log = logging.getLogger("emulators.cloudwatch")


def emit_event(account: str, region: str, source: str, detail_type: str, detail: dict[str, Any],
               resources: list[str] | None = None) -> None:
    """Transitional: callers not yet moved to ``ports.emit_event`` (Glue, Batch) still import this name."""
    try:
        ports.emit_event(account, region, source, detail_type, detail, resources)
    except ports.PortUnavailable as exc:
        log.warning("service event %s not sent: %s", detail_type, exc)


def install(cloud: Any) -> None:
    alarms.install(cloud)
