"""Functions survive a restart; the extracted code folder is rebuilt when it is missing."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.services.awslambda.conftest import TRUST
from tests.helpers.awslambda import package


@pytest.mark.slow
def test_function_survives_a_restart_and_its_code_folder_is_rebuilt(private_cloud):
    iam, lam = private_cloud.client("iam"), private_cloud.client("lambda")
    role = iam.create_role(RoleName="durable", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam.create_function(FunctionName="durable", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": package({"app.py": "def handler(e, c):\n    return e['n'] + 1\n"})},
                        Environment={"Variables": {"KEPT": "yes"}})
    assert json.loads(lam.invoke(FunctionName="durable", Payload=b'{"n": 1}')["Payload"].read()) == 2
    private_cloud.down()
    shutil.rmtree(private_cloud.config.state_dir / "services" / "lambda")
    private_cloud.up()
    lam = private_cloud.client("lambda")
    assert lam.get_function_configuration(FunctionName="durable")["Environment"]["Variables"] == {"KEPT": "yes"}
    response = lam.invoke(FunctionName="durable", Payload=b'{"n": 41}')
    assert "FunctionError" not in response and json.loads(response["Payload"].read()) == 42
    logs = private_cloud.client("logs")
    assert logs.describe_log_streams(logGroupName="/aws/lambda/durable")["logStreams"]
