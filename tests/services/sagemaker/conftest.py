"""Fixtures for SageMaker tests: clients and a small dataset in a test's own bucket.

The material itself (dataset, training script, requests, waiters) is in ``tests/helpers/sagemaker.py``;
the session's one trained model (``trained_model``) is in ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest

from tests.helpers.sagemaker import put_dataset


@pytest.fixture
def sm(aws):
    return aws.client("sagemaker")


@pytest.fixture
def runtime(aws):
    return aws.client("sagemaker-runtime")


@pytest.fixture
def dataset(aws, s3_bucket):
    """A binary classification CSV (label first, no header) in S3 and the source archive of a sklearn script."""
    return put_dataset(aws.client("s3"), s3_bucket)

