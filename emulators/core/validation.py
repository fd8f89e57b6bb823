"""Request validation against the botocore service models (filled in below)."""
from __future__ import annotations

from typing import Any


def validate_request(environ: dict[str, Any], service: str, body: bytes | None, protocol: str) -> None:
    return None
