"""Exercise 19: a model version registered and approved in the model registry."""

from sandbox.exercises.solutions._churn import XGBOOST_IMAGE, train_xgboost, upload_training_data

BUCKET, GROUP = "ex19-registry", "ex19-churn-models"


def solve(aws):
    sm = aws.client("sagemaker")
    data = upload_training_data(aws, BUCKET)
    model_data = train_xgboost(aws, "ex19-churn-xgboost", data, f"s3://{BUCKET}/models")
    if not sm.list_model_package_groups(NameContains=GROUP)["ModelPackageGroupSummaryList"]:
        sm.create_model_package_group(ModelPackageGroupName=GROUP, ModelPackageGroupDescription="churn models")
    arn = sm.create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
        ModelPackageDescription="built-in XGBoost, 5 features",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
