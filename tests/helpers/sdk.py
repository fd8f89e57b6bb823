"""The SageMaker Python SDK v2 takes seconds to import: test modules that use it import it inside their
tests and fixtures (so collecting them, or running the quick tier, does not), and skip when it is absent."""

from __future__ import annotations

import importlib.util

import pytest

needs_sdk_v2 = pytest.mark.skipif(importlib.util.find_spec("sagemaker") is None,
                                  reason="the SageMaker Python SDK (the ml extra) is not installed")
