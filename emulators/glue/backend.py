"""The Glue backend a request is for (its account and region): the one lookup every Glue API module uses."""

from __future__ import annotations

from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import Request


def glue_backend(request: Request) -> Any:
    return moto_coupling.backend_for("glue", request.account_id, request.region)
