"""Steps of ``sandbox demo``: each module has ``run(ctx)`` (see :mod:`sandbox.demo`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    """Poll ``check`` until it returns something other than None; raise if ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result is not None:
            return result
        time.sleep(interval)
    raise RuntimeError(f"{what} did not finish within {timeout:.0f} s")
