"""Waiting for asynchronous states: botocore's waiters where the service has one, polling otherwise."""

from __future__ import annotations

import time
from typing import Any, Callable

DONE = ("Completed", "Failed", "Stopped")


def wait_for(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Call ``check()`` until it returns something true, and return that; fail after ``timeout`` seconds.

    The limits are wall-clock budgets for a loaded machine (the suite runs four workers on two cores next to
    Spark JVMs), not expectations of speed: a condition that holds returns as soon as it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout} s")


def wait_for_status(describe: Callable[[], dict], status_key: str, done: tuple[str, ...] = DONE,
                    timeout: float = 120, interval: float = 0.2) -> dict:
    """Call ``describe()`` until ``status_key`` is one of ``done``; return that description."""
    deadline = time.monotonic() + timeout
    last: dict | None = None
    while time.monotonic() < deadline:
        last = describe()
        if last[status_key] in done:
            return last
        time.sleep(interval)
    raise AssertionError(f"still {last and last[status_key]} after {timeout} s")


def wait_with_waiter(client: Any, waiter_name: str, timeout: float = 120, delay: float = 0.2,
                     **params: Any) -> dict:
    """Run botocore's waiter ``waiter_name`` (polling every ``delay`` s) and return the resource's description.

    A waiter's failure state (say, a training job that ``Failed``) is an answer, not an error: the
    description is returned for the test to assert on. Only running out of time fails.
    """
    from botocore import xform_name
    from botocore.exceptions import WaiterError

    waiter = client.get_waiter(waiter_name)
    describe = getattr(client, xform_name(waiter.config.operation))
    try:
        waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(timeout / delay))}, **params)
    except WaiterError as err:
        if "terminal failure" not in str(err):
            raise AssertionError(f"{waiter_name} not reached in {timeout} s: {err.last_response}") from None
    return describe(**params)


def wait_for_statement(data: Any, statement_id: str, timeout: float = 60) -> dict:
    """The Redshift Data API statement ``statement_id`` once FINISHED, FAILED or ABORTED (DescribeStatement)."""
    return wait_for_status(lambda: data.describe_statement(Id=statement_id), "Status",
                           ("FINISHED", "FAILED", "ABORTED"), timeout, interval=0.05)


def wait_for_emr_step(emr: Any, cluster_id: str, step_id: str, timeout: float = 180, interval: float = 0.2) -> dict:
    """The EMR step once COMPLETED, FAILED, CANCELLED or INTERRUPTED (DescribeStep)."""
    ended = ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED")

    def check() -> dict | None:
        step = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]
        return step if step["Status"]["State"] in ended else None

    return wait_for(check, timeout, interval)
