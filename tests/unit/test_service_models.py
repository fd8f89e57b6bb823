"""botocore's models are read once per server process (emulators/core/service_models.py)."""

from __future__ import annotations


def test_request_checks_and_engines_share_one_parsed_model():
    from emulators.core import service_models, validation
    from emulators.sagemaker.engines import validation as sagemaker_validation

    shared = service_models.service_model("sagemaker")
    assert validation._service_model("sagemaker") is shared
    assert sagemaker_validation._service_model() is shared
    assert service_models.service_model("stepfunctions").service_id == "SFN"
