"""Requests AWS refuses on the server side (patterns, enums, missing image) and AWS-shaped describe answers."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import ROLE, training_request


@pytest.mark.parametrize("change, path, constraint", [
    ({"TrainingJobName": "my_job"}, "trainingJobName", "regular expression pattern"),
    ({"ResourceConfig": {"InstanceType": "m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}},
     "resourceConfig.instanceType", "enum value set"),
    ({"OutputDataConfig": {"S3OutputPath": "my-bucket/output"}}, "outputDataConfig.s3OutputPath",
     "regular expression pattern"),
    ({"algo": {"TrainingInputMode": "Stream"}}, "algorithmSpecification.trainingInputMode", "enum value set"),
])
def test_create_training_job_constraints_are_validation_exceptions(sm, s3_bucket, unique_name, change, path,
                                                                   constraint):
    request = training_request(unique_name, s3_bucket)
    if "algo" in change:
        request["AlgorithmSpecification"].update(change.pop("algo"))
    request.update(change)
    with pytest.raises(ClientError) as err:
        sm.create_training_job(**request)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = err.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value ")
    assert f"at '{path}' failed to satisfy constraint: Member must satisfy {constraint}" in message
    with pytest.raises(ClientError):  # nothing was created
        sm.describe_training_job(TrainingJobName=request["TrainingJobName"])


def test_training_job_without_image_is_refused(sm, s3_bucket, unique_name):
    request = training_request(unique_name, s3_bucket)
    del request["AlgorithmSpecification"]["TrainingImage"]
    with pytest.raises(ClientError) as err:
        sm.create_training_job(**request)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "TrainingImage" in err.value.response["Error"]["Message"]


def test_duplicate_model_and_endpoint_config_are_refused(sm, unique_name):
    container = {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"}
    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    with pytest.raises(ClientError) as err:
        sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Cannot create already existing model" in err.value.response["Error"]["Message"]
    variants = [{"VariantName": "AllTraffic", "ModelName": unique_name, "InitialInstanceCount": 1,
                 "InstanceType": "ml.m5.large"}]
    sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=variants)
    with pytest.raises(ClientError) as err:
        sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=variants)
    assert "Cannot create already existing endpoint configuration" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        sm.create_endpoint_config(EndpointConfigName=unique_name + "-x", ProductionVariants=[
            {**variants[0], "InstanceType": "ml.nope.large"}])
    assert "productionVariants.1.member.instanceType" in err.value.response["Error"]["Message"]
    sm.delete_endpoint_config(EndpointConfigName=unique_name)
    sm.delete_model(ModelName=unique_name)


@pytest.mark.slow
def test_model_package_approval_status_must_be_an_aws_value(sm, unique_name):
    sm.create_model_package_group(ModelPackageGroupName=unique_name)
    arn = sm.create_model_package(ModelPackageGroupName=unique_name, InferenceSpecification={
        "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    with pytest.raises(ClientError) as err:
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approve")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "enum value set: [Approved, Rejected, PendingManualApproval]" in err.value.response["Error"]["Message"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    listed = sm.list_model_packages(ModelPackageGroupName=unique_name, ModelApprovalStatus="Approved")
    assert [p["ModelPackageArn"] for p in listed["ModelPackageSummaryList"]] == [arn]


def test_invoke_missing_endpoint_is_validation_error_as_on_aws(runtime):
    # SageMaker Runtime answers ValidationError (not ValidationException) for an unknown endpoint
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="no-such-endpoint", Body=b"\x93NUMPY", ContentType="application/x-npy")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["Error"]["Message"].endswith("no-such-endpoint of account 123456789012 not found.")


def test_neo_compilation_is_refused_rather_than_completed_without_a_model(sm, s3_bucket, unique_name):
    with pytest.raises(ClientError) as exc:
        sm.create_compilation_job(
            CompilationJobName=unique_name, RoleArn=ROLE,
            InputConfig={"S3Uri": f"s3://{s3_bucket}/model.tar.gz", "DataInputConfig": '{"input": [1, 4]}',
                         "Framework": "SKLEARN"},
            OutputConfig={"S3OutputLocation": f"s3://{s3_bucket}/compiled/", "TargetDevice": "ml_c5"},
            StoppingCondition={"MaxRuntimeInSeconds": 900})
    assert exc.value.response["Error"]["Code"] == "NotImplemented"
    assert "Neo compilation jobs are not emulated" in exc.value.response["Error"]["Message"]
