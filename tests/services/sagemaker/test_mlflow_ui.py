"""`sandbox.mlflow_ui` starts the MLflow UI on the sandbox's tracking store, on 127.0.0.1."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest


@pytest.mark.slow
def test_mlflow_ui_serves_the_tracking_store(tmp_path):
    from sandbox.config import SandboxConfig
    from sandbox.mlflow_ui import start_mlflow_ui, tracking_uri
    from tests.helpers.cloud import free_port

    config = SandboxConfig(state_dir=tmp_path)
    assert tracking_uri(config) == f"sqlite:///{tmp_path}/services/sagemaker/mlflow/mlflow.db"
    port = free_port()
    process = start_mlflow_ui(config, port=port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=5",
                                    timeout=10) as response:
            assert response.status == 200 and b"experiments" in response.read()
        # MLflow's own host check is on: a rebinding name is refused
        rebound = urllib.request.Request(f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=5",
                                         headers={"Host": f"rebind.evil.example:{port}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(rebound, timeout=10)
        assert 400 <= refused.value.code < 500
    finally:
        process.terminate()
        process.wait(20)
