"""``sandbox.connect().sagemaker_session()`` never reaches AWS, whichever SDK generation is installed.

The SageMaker Python SDK (v2 ``Session.account_id()``/``default_bucket()``, v3's
``sagemaker.core.helper.session_helper.Session``) builds an STS client with AWS's regional address
(``sts_regional_endpoint``), which beats ``AWS_ENDPOINT_URL``; the sandbox's boto3 session hands out
clients on the sandbox for any AWS address.
"""

from __future__ import annotations

import pytest

from .response_shapes import checked_responses  # noqa: F401  (autouse)


def test_clients_named_with_an_aws_endpoint_reach_the_sandbox(aws):
    """SageMaker Python SDK docs, "Configure and use defaults" / Session.default_bucket: the SDK asks STS
    at ``https://sts.<region>.amazonaws.com`` for the account of ``sagemaker-<region>-<account>``."""
    sts = aws.boto3_session.client("sts", region_name="us-east-1", endpoint_url="https://sts.us-east-1.amazonaws.com")
    assert sts.meta.endpoint_url == aws.endpoint_for("sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    s3 = aws.boto3_session.resource("s3", endpoint_url="https://s3.eu-west-1.amazonaws.com")
    assert s3.meta.client.meta.endpoint_url == aws.endpoint_for("s3")
    # the SDK v2 names SageMaker Runtime by its old alias
    runtime = aws.boto3_session.client("runtime.sagemaker")
    assert runtime.meta.endpoint_url == aws.endpoint_for("sagemaker-runtime")
    own = aws.boto3_session.client("s3", endpoint_url=aws.endpoint_url)
    assert own.meta.endpoint_url == aws.endpoint_url


@pytest.mark.slow
def test_sdk_session_default_bucket_and_account_come_from_the_sandbox(aws):
    """SageMaker Python SDK docs, ``sagemaker.session.Session`` (v2) / ``sagemaker.core`` Session (v3):
    ``account_id()`` and ``default_bucket()`` on the sandbox, with no explicit bucket."""
    pytest.importorskip("sagemaker")
    session = aws.sagemaker_session()
    assert session.account_id() == "123456789012"
    assert session.default_bucket() == "sagemaker-us-east-1-123456789012"
    aws.client("s3").head_bucket(Bucket="sagemaker-us-east-1-123456789012")
