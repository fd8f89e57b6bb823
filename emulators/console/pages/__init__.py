"""The console's pages, one module per service; each registers its routes with :func:`route`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ROUTES: dict[tuple[str, str], Callable[[Any], Any]] = {}


def route(path: str, method: str = "GET") -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    def register(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        ROUTES[(method, path)] = fn
        return fn

    return register


from emulators.console.pages import (  # noqa: E402,F401  (registration by import)
    athena,
    cloudwatch,
    glue,
    overview,
    redshift,
    s3,
    sagemaker,
    stepfunctions,
    streams,
)
