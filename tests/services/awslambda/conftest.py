from __future__ import annotations

import json

import pytest

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module", autouse=True)
def execution_role(aws):
    """CreateFunction checks that the execution role exists, as AWS does."""
    iam = aws.client("iam")
    try:
        iam.create_role(RoleName="sandbox-lambda-tests", AssumeRolePolicyDocument=json.dumps(TRUST))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
