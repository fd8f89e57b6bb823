"""The sandbox's clock, once: timezone-aware UTC, as AWS's APIs report times."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (what boto3 parses AWS timestamps into)."""
    return datetime.now(timezone.utc)


def epoch_seconds() -> float:
    return time.time()


def epoch_millis() -> int:
    """Milliseconds since the epoch, as CloudWatch Logs and Kinesis stamp records."""
    return int(time.time() * 1000)
