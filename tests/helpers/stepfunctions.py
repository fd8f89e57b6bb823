"""Step Functions material shared by the state-machine and wiring tests."""

from __future__ import annotations

import time

ROLE = "arn:aws:iam::123456789012:role/sandbox-sfn"


def wait_for_execution(sfn, arn, timeout=60):
    """DescribeExecution until the execution leaves RUNNING (Step Functions has no botocore waiter)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2)
    raise AssertionError(f"execution still RUNNING after {timeout} s")
