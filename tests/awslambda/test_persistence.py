"""Functions survive a restart; the extracted code folder is rebuilt when it is missing."""

from __future__ import annotations

import json
import shutil

from tests.awslambda.conftest import TRUST
from tests.awslambda.test_functions import package


def test_function_survives_a_restart_and_its_code_folder_is_rebuilt(tmp_path):
    import boto3

    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig
    from tests.conftest import free_port

    config = SandboxConfig(state_dir=tmp_path / "state", port=free_port())
    kw = dict(endpoint_url=config.endpoint_url, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test")
    cloud_control.up(config)
    try:
        iam, lam = boto3.client("iam", **kw), boto3.client("lambda", **kw)
        role = iam.create_role(RoleName="durable", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam.create_function(FunctionName="durable", Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": package({"app.py": "def handler(e, c):\n    return e['n'] + 1\n"})},
                            Environment={"Variables": {"KEPT": "yes"}})
        assert json.loads(lam.invoke(FunctionName="durable", Payload=b'{"n": 1}')["Payload"].read()) == 2
        cloud_control.down(config)
        shutil.rmtree(config.state_dir / "services" / "lambda")
        cloud_control.up(config)
        lam = boto3.client("lambda", **kw)
        assert lam.get_function_configuration(FunctionName="durable")["Environment"]["Variables"] == {"KEPT": "yes"}
        response = lam.invoke(FunctionName="durable", Payload=b'{"n": 41}')
        assert "FunctionError" not in response and json.loads(response["Payload"].read()) == 42
        logs = boto3.client("logs", **kw)
        assert logs.describe_log_streams(logGroupName="/aws/lambda/durable")["logStreams"]
    finally:
        cloud_control.down(config)
