"""Helpers shared by the CloudWatch and EventBridge tests."""

from __future__ import annotations

import time

ACCOUNT = "123456789012"


def wait_for(check, timeout=30.0, interval=0.25):
    """Call ``check()`` until it returns something true; that value is returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met in time")
