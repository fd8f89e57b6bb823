from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def endpoint(cloud) -> str:
    return cloud.endpoint
