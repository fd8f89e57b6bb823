"""SageMaker Pipelines executions run their steps: processing -> training -> condition -> model/register or fail."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import ROLE, SKLEARN_IMAGE, TRAIN_SCRIPT, csv_bytes

PREPARE_SCRIPT = '''
import glob, json, os, sys
import pandas as pd
from sklearn.linear_model import LogisticRegression
frame = pd.concat([pd.read_csv(f, header=None) for f in glob.glob("/opt/ml/processing/input/*.csv")])
cut = int(sys.argv[sys.argv.index("--train-rows") + 1])
frame.iloc[:cut].to_csv("/opt/ml/processing/train/train.csv", header=False, index=False)
model = LogisticRegression().fit(frame.iloc[:cut, 1:], frame.iloc[:cut, 0])
accuracy = model.score(frame.iloc[cut:, 1:], frame.iloc[cut:, 0])
os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
with open("/opt/ml/processing/evaluation/evaluation.json", "w") as f:
    json.dump({"metrics": {"accuracy": {"value": accuracy}}, "rows": [cut, len(frame) - cut]}, f)
print("holdout accuracy", accuracy)
'''


def wait_execution(sm, arn: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] not in ("Executing", "Stopping"):
            return described
        time.sleep(0.2)
    raise AssertionError(f"execution {arn} still {described['PipelineExecutionStatus']} after {timeout} s")


def steps_of(sm, arn: str) -> dict[str, dict]:
    listed = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return {s["StepName"]: s for s in listed}


def definition(bucket: str, group: str) -> dict:
    prefix = {"Std:Join": {"On": "/", "Values": [f"s3://{bucket}/pipeline",
                                                   {"Get": "Execution.PipelineExecutionId"}]}}
    train_uri = {"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}
    model_data = {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    return {
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": "MinAccuracy", "Type": "Float", "DefaultValue": 0.6},
            {"Name": "TrainRows", "Type": "Integer", "DefaultValue": 100},
            {"Name": "C", "Type": "Float", "DefaultValue": 0.5},
        ],
        "Steps": [
            {"Name": "Prepare", "Type": "Processing", "Arguments": {
                "RoleArn": ROLE,
                "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                                     "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/prepare.py"],
                                     "ContainerArguments": ["--train-rows", {"Get": "Parameters.TrainRows"}]},
                "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                          "VolumeSizeInGB": 5}},
                "ProcessingInputs": [
                    {"InputName": "data", "S3Input": {"S3Uri": f"s3://{bucket}/data/train/",
                                                      "LocalPath": "/opt/ml/processing/input", "S3DataType": "S3Prefix",
                                                      "S3InputMode": "File"}},
                    {"InputName": "code", "S3Input": {"S3Uri": f"s3://{bucket}/code/prepare.py",
                                                      "LocalPath": "/opt/ml/processing/code", "S3DataType": "S3Prefix",
                                                      "S3InputMode": "File"}}],
                "ProcessingOutputConfig": {"Outputs": [
                    {"OutputName": "train", "S3Output": {
                        "S3Uri": {"Std:Join": {"On": "/", "Values": [prefix, "train"]}},
                        "LocalPath": "/opt/ml/processing/train", "S3UploadMode": "EndOfJob"}},
                    {"OutputName": "evaluation", "S3Output": {
                        "S3Uri": {"Std:Join": {"On": "/", "Values": [prefix, "evaluation"]}},
                        "LocalPath": "/opt/ml/processing/evaluation", "S3UploadMode": "EndOfJob"}}]}},
             "PropertyFiles": [{"PropertyFileName": "Evaluation", "OutputName": "evaluation",
                                "FilePath": "evaluation.json"}]},
            {"Name": "Train", "Type": "Training", "Arguments": {
                "AlgorithmSpecification": {"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File"},
                "RoleArn": ROLE,
                "HyperParameters": {"sagemaker_program": '"train.py"', "C": {"Get": "Parameters.C"},
                                    "sagemaker_submit_directory": f'"s3://{bucket}/code/sourcedir.tar.gz"'},
                "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": train_uri,
                                     "S3DataDistributionType": "FullyReplicated"}}}],
                "OutputDataConfig": {"S3OutputPath": {"Std:Join": {"On": "/", "Values": [prefix, "model"]}}},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
                "StoppingCondition": {"MaxRuntimeInSeconds": 300}}},
            {"Name": "CheckAccuracy", "Type": "Condition", "Arguments": {
                "Conditions": [{"Type": "GreaterThanOrEqualTo",
                                "LeftValue": {"Std:JsonGet": {
                                    "PropertyFile": {"Get": "Steps.Prepare.PropertyFiles.Evaluation"},
                                    "Path": "metrics.accuracy.value"}},
                                "RightValue": {"Get": "Parameters.MinAccuracy"}}],
                "IfSteps": [
                    {"Name": "CreateModel", "Type": "Model", "DependsOn": ["Train"], "Arguments": {
                        "ExecutionRoleArn": ROLE,
                        "PrimaryContainer": {"Image": SKLEARN_IMAGE, "ModelDataUrl": model_data}}},
                    {"Name": "Score", "Type": "Transform", "Arguments": {
                        "ModelName": {"Get": "Steps.CreateModel.ModelName"},
                        "TransformInput": {"DataSource": {"S3DataSource": {
                            "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/batch/"}},
                            "ContentType": "text/csv", "SplitType": "Line"},
                        "TransformOutput": {"S3OutputPath": {"Std:Join": {"On": "/", "Values": [prefix, "scores"]}},
                                            "AssembleWith": "Line", "Accept": "text/csv"},
                        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}},
                    {"Name": "Register", "Type": "RegisterModel", "Arguments": {
                        "ModelPackageGroupName": group, "ModelApprovalStatus": "PendingManualApproval",
                        "ModelPackageDescription": {"Std:Join": {"On": " ", "Values": [
                            "trained by", {"Get": "Steps.Train.TrainingJobName"}]}},
                        "InferenceSpecification": {
                            "Containers": [{"Image": SKLEARN_IMAGE, "ModelDataUrl": model_data}],
                            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}}}],
                "ElseSteps": [
                    {"Name": "TooInaccurate", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {
                        "On": " ", "Values": ["accuracy below", {"Get": "Parameters.MinAccuracy"}]}}}}]}},
        ],
    }


@pytest.fixture
def pipeline(aws, sm, dataset, unique_name):
    bucket = dataset["bucket"]
    aws.client("s3").put_object(Bucket=bucket, Key="code/prepare.py", Body=PREPARE_SCRIPT.encode())
    aws.client("s3").put_object(Bucket=bucket, Key="batch/part.csv", Body=csv_bytes(dataset["x"][:20]))
    group = f"{unique_name}-models"
    sm.create_model_package_group(ModelPackageGroupName=group)
    sm.create_pipeline(PipelineName=unique_name, RoleArn=ROLE,
                       PipelineDefinition=json.dumps(definition(bucket, group)))
    return {"name": unique_name, "group": group, "bucket": bucket}


@pytest.mark.slow
def test_pipeline_runs_processing_training_condition_and_registers(aws, sm, pipeline):
    arn = sm.start_pipeline_execution(PipelineName=pipeline["name"],
                                      PipelineParameters=[{"Name": "C", "Value": "2.0"}])["PipelineExecutionArn"]
    assert sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] == "Executing"
    described = wait_execution(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    assert "FailureReason" not in described

    listed = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    assert [s["StepName"] for s in listed] == ["Register", "Score", "CreateModel", "CheckAccuracy", "Train", "Prepare"]
    assert all(s["StepStatus"] == "Succeeded" and s["EndTime"] >= s["StartTime"] for s in listed)
    steps = {s["StepName"]: s for s in listed}
    assert "TooInaccurate" not in steps  # the branch not taken does not run
    assert steps["CheckAccuracy"]["Metadata"] == {"Condition": {"Outcome": "True"}}

    execution_id = arn.rsplit("/", 1)[-1]
    processing_name = steps["Prepare"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1]
    assert processing_name.startswith(f"pipelines-{execution_id}-Prepare-")
    processing = sm.describe_processing_job(ProcessingJobName=processing_name)
    assert processing["ProcessingJobStatus"] == "Completed"
    assert processing["AppSpecification"]["ContainerArguments"] == ["--train-rows", "100"]
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in processing["ProcessingOutputConfig"]["Outputs"]}
    assert outputs["train"] == f"s3://{pipeline['bucket']}/pipeline/{execution_id}/train"

    training_name = steps["Train"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1]
    training = sm.describe_training_job(TrainingJobName=training_name)
    assert training["TrainingJobStatus"] == "Completed"
    assert training["HyperParameters"]["C"] == "2.0"
    assert training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == outputs["train"]

    model_name = steps["CreateModel"]["Metadata"]["Model"]["Arn"].split("/")[-1]
    model = sm.describe_model(ModelName=model_name)
    assert model["PrimaryContainer"]["ModelDataUrl"] == training["ModelArtifacts"]["S3ModelArtifacts"]

    transform_name = steps["Score"]["Metadata"]["TransformJob"]["Arn"].split("/")[-1]
    transform = sm.describe_transform_job(TransformJobName=transform_name)
    assert (transform["TransformJobStatus"], transform["ModelName"]) == ("Completed", model_name)
    scores = aws.client("s3").get_object(Bucket=pipeline["bucket"],
                                         Key=f"pipeline/{execution_id}/scores/part.csv.out")["Body"].read()
    assert len(scores.decode().split()) == 20 and set(scores.decode().split()) <= {"0", "1"}

    package_arn = steps["Register"]["Metadata"]["RegisterModel"]["Arn"]
    packages = sm.list_model_packages(ModelPackageGroupName=pipeline["group"])["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in packages] == [package_arn]
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelPackageDescription"] == f"trained by {training_name}"
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == \
        training["ModelArtifacts"]["S3ModelArtifacts"]

    summaries = sm.list_pipeline_executions(PipelineName=pipeline["name"])["PipelineExecutionSummaries"]
    assert [(s["PipelineExecutionArn"], s["PipelineExecutionStatus"]) for s in summaries] == [(arn, "Succeeded")]

    # a stricter threshold takes the Fail branch
    strict = sm.start_pipeline_execution(PipelineName=pipeline["name"],
                                         PipelineParameters=[{"Name": "MinAccuracy", "Value": "1.5"}])
    failed = wait_execution(sm, strict["PipelineExecutionArn"])
    assert failed["PipelineExecutionStatus"] == "Failed"
    assert failed["FailureReason"] == "accuracy below 1.5"
    steps = steps_of(sm, strict["PipelineExecutionArn"])
    assert steps["CheckAccuracy"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert steps["TooInaccurate"]["StepStatus"] == "Failed"
    assert steps["TooInaccurate"]["Metadata"] == {"Fail": {"ErrorMessage": "accuracy below 1.5"}}
    assert "CreateModel" not in steps and "Register" not in steps
    assert len(sm.list_model_packages(ModelPackageGroupName=pipeline["group"])["ModelPackageSummaryList"]) == 1
    summaries = sm.list_pipeline_executions(PipelineName=pipeline["name"])["PipelineExecutionSummaries"]
    assert [s["PipelineExecutionStatus"] for s in summaries] == ["Failed", "Succeeded"]
    assert summaries[0]["PipelineExecutionFailureReason"] == "accuracy below 1.5"
    oldest = sm.list_pipeline_executions(PipelineName=pipeline["name"], SortOrder="Ascending", MaxResults=1)
    assert [s["PipelineExecutionArn"] for s in oldest["PipelineExecutionSummaries"]] == [arn]
    rest = sm.list_pipeline_executions(PipelineName=pipeline["name"], SortOrder="Ascending", MaxResults=1,
                                       NextToken=oldest["NextToken"])
    assert [s["PipelineExecutionArn"] for s in rest["PipelineExecutionSummaries"]] == [strict["PipelineExecutionArn"]]
    assert "NextToken" not in rest


def test_unsupported_step_type_fails_the_execution_clearly(sm, unique_name):
    body = {"Version": "2020-12-01", "Parameters": [], "Steps": [
        {"Name": "Notify", "Type": "Lambda", "Arguments": {},
         "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:notify"},
        {"Name": "After", "Type": "Fail", "DependsOn": ["Notify"], "Arguments": {"ErrorMessage": "never"}}]}
    sm.create_pipeline(PipelineName=unique_name, RoleArn=ROLE, PipelineDefinition=json.dumps(body))
    arn = sm.start_pipeline_execution(PipelineName=unique_name)["PipelineExecutionArn"]
    described = wait_execution(sm, arn, timeout=20)
    assert described["PipelineExecutionStatus"] == "Failed"
    assert "Notify" in described["FailureReason"]
    steps = steps_of(sm, arn)
    assert list(steps) == ["Notify"]
    reason = steps["Notify"]["FailureReason"]
    assert steps["Notify"]["StepStatus"] == "Failed"
    assert "'Lambda' is not emulated" in reason and "Processing" in reason and "Condition" in reason


def test_undefined_parameter_is_refused(sm, unique_name):
    body = {"Version": "2020-12-01", "Parameters": [{"Name": "Rows", "Type": "Integer", "DefaultValue": 1}],
            "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Parameters.Rows"}}}]}
    sm.create_pipeline(PipelineName=unique_name, RoleArn=ROLE, PipelineDefinition=json.dumps(body))
    with pytest.raises(ClientError) as err:
        sm.start_pipeline_execution(PipelineName=unique_name, PipelineParameters=[{"Name": "Typo", "Value": "3"}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    token = "retry-me".ljust(32, "0")
    arn = sm.start_pipeline_execution(PipelineName=unique_name, ClientRequestToken=token,
                                      PipelineParameters=[{"Name": "Rows", "Value": "3"}])["PipelineExecutionArn"]
    again = sm.start_pipeline_execution(PipelineName=unique_name, ClientRequestToken=token,
                                        PipelineParameters=[{"Name": "Rows", "Value": "3"}])["PipelineExecutionArn"]
    assert again == arn
    described = wait_execution(sm, arn, timeout=20)
    assert (described["PipelineExecutionStatus"], described["FailureReason"]) == ("Failed", "3")


def test_stop_pipeline_execution_stops_the_running_job(aws, sm, s3_bucket, unique_name):
    aws.client("s3").put_object(Bucket=s3_bucket, Key="code/slow.py", Body=b"import time\ntime.sleep(60)\n")
    body = {"Version": "2020-12-01", "Steps": [
        {"Name": "Slow", "Type": "Processing", "Arguments": {
            "RoleArn": ROLE,
            "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                                 "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/slow.py"]},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                      "VolumeSizeInGB": 5}},
            "ProcessingInputs": [{"InputName": "code", "S3Input": {
                "S3Uri": f"s3://{s3_bucket}/code/slow.py", "LocalPath": "/opt/ml/processing/code",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}]}},
        {"Name": "Never", "Type": "Fail", "DependsOn": ["Slow"], "Arguments": {"ErrorMessage": "not reached"}}]}
    sm.create_pipeline(PipelineName=unique_name, RoleArn=ROLE, PipelineDefinition=json.dumps(body))
    arn = sm.start_pipeline_execution(PipelineName=unique_name)["PipelineExecutionArn"]
    deadline = time.monotonic() + 20
    while not steps_of(sm, arn).get("Slow", {}).get("Metadata") and time.monotonic() < deadline:
        time.sleep(0.2)
    stopped = sm.stop_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="stop-1".ljust(32, "0"))
    assert stopped["PipelineExecutionArn"] == arn
    described = wait_execution(sm, arn, timeout=30)
    assert described["PipelineExecutionStatus"] == "Stopped"
    steps = steps_of(sm, arn)
    assert list(steps) == ["Slow"] and steps["Slow"]["StepStatus"] == "Stopped"
    job = sm.describe_processing_job(ProcessingJobName=steps["Slow"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1])
    assert job["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as err:
        sm.stop_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="stop-2".ljust(32, "0"))
    assert err.value.response["Error"]["Code"] == "ValidationException"


SDK_PREPROCESS = '''
import glob, json, os
import pandas as pd
frame = pd.concat([pd.read_csv(f, header=None) for f in glob.glob("/opt/ml/processing/input/*.csv")])
frame.iloc[:120].to_csv("/opt/ml/processing/train/train.csv", header=False, index=False)
os.makedirs("/opt/ml/processing/report", exist_ok=True)
with open("/opt/ml/processing/report/report.json", "w") as f:
    json.dump({"rows": {"train": 120, "total": len(frame)}}, f)
'''


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*SageMaker Python SDK v2")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore:Running within a PipelineSession")
def test_python_sdk_pipeline_upsert_start_wait(aws, sm, dataset, unique_name, tmp_path, monkeypatch):
    sagemaker = pytest.importorskip("sagemaker")
    from sagemaker.processing import ProcessingInput, ProcessingOutput
    from sagemaker.sklearn.estimator import SKLearn
    from sagemaker.sklearn.processing import SKLearnProcessor
    from sagemaker.inputs import TrainingInput
    from sagemaker.workflow.parameters import ParameterFloat
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.pipeline_context import PipelineSession
    from sagemaker.sklearn.model import SKLearnModel
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import JsonGet
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.steps import ProcessingStep, TrainingStep

    for key, value in aws.environment().items():
        monkeypatch.setenv(key, value)
    bucket = dataset["bucket"]
    config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    session = PipelineSession(boto_session=aws.boto3_session, sagemaker_client=sm, default_bucket=bucket,
                              sagemaker_config=config)
    (tmp_path / "preprocess.py").write_text(SDK_PREPROCESS)
    (tmp_path / "train.py").write_text(TRAIN_SCRIPT)
    c_value = ParameterFloat(name="C", default_value=1.0)
    report = PropertyFile(name="Report", output_name="report", path="report.json")

    processor = SKLearnProcessor(framework_version="1.2-1", role=ROLE, instance_type="ml.m5.large",
                                 instance_count=1, sagemaker_session=session)
    prepare = ProcessingStep(name="Prepare", step_args=processor.run(
        code=str(tmp_path / "preprocess.py"),
        inputs=[ProcessingInput(source=f"s3://{bucket}/data/train/", destination="/opt/ml/processing/input")],
        outputs=[ProcessingOutput(output_name="train", source="/opt/ml/processing/train"),
                 ProcessingOutput(output_name="report", source="/opt/ml/processing/report")]),
        property_files=[report])
    estimator = SKLearn(entry_point=str(tmp_path / "train.py"), framework_version="1.2-1", role=ROLE,
                        instance_type="ml.m5.large", instance_count=1, hyperparameters={"C": c_value},
                        output_path=f"s3://{bucket}/sdk-models", sagemaker_session=session)
    train = TrainingStep(name="Train", step_args=estimator.fit({"train": TrainingInput(
        prepare.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri, content_type="text/csv")}))
    model = SKLearnModel(model_data=train.properties.ModelArtifacts.S3ModelArtifacts, role=ROLE,
                         entry_point=str(tmp_path / "train.py"), framework_version="1.2-1", sagemaker_session=session)
    register = ModelStep(name="Register", step_args=model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"], model_package_group_name=f"{unique_name}-group"))
    check = ConditionStep(name="EnoughRows", conditions=[ConditionGreaterThanOrEqualTo(
        left=JsonGet(step_name=prepare.name, property_file=report, json_path="rows.train"), right=100)],
        if_steps=[register], else_steps=[FailStep(name="TooFewRows", error_message="not enough rows")])
    pipeline = Pipeline(name=unique_name, parameters=[c_value], steps=[prepare, train, check],
                        sagemaker_session=session)
    pipeline.upsert(role_arn=ROLE)

    execution = pipeline.start(parameters={"C": 0.25})
    execution.wait(delay=1, max_attempts=90)
    assert execution.describe()["PipelineExecutionStatus"] == "Succeeded"
    steps = {s["StepName"]: s for s in execution.list_steps()}
    assert set(steps) == {"Prepare", "Train", "EnoughRows", "Register-RegisterModel"}
    assert all(step["StepStatus"] == "Succeeded" for step in steps.values())
    assert steps["EnoughRows"]["Metadata"] == {"Condition": {"Outcome": "True"}}
    package_arn = steps["Register-RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelPackageGroupName"] == f"{unique_name}-group"  # the step created the missing group
    job = sm.describe_training_job(TrainingJobName=steps["Train"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1])
    assert job["HyperParameters"]["C"] == "0.25"
    assert job["ModelArtifacts"]["S3ModelArtifacts"].startswith(f"s3://{bucket}/sdk-models/")
    processing = sm.describe_processing_job(
        ProcessingJobName=steps["Prepare"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1])
    train_uri = processing["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == \
        job["ModelArtifacts"]["S3ModelArtifacts"]
    assert job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == train_uri
    rows = aws.client("s3").get_object(Bucket=bucket, Key=train_uri.split("/", 3)[3] + "/train.csv")["Body"].read()
    assert len(rows.decode().splitlines()) == 120


@pytest.mark.slow
def test_execution_interrupted_by_a_restart_is_failed(restart_cloud, unique_name):
    s3, sm = restart_cloud.client("s3"), restart_cloud.client("sagemaker")
    bucket = unique_name  # the restart cloud is shared: names of this test's own
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/slow.py", Body=b"import time, boto3\n"
                  b"boto3.client('s3').put_object(Bucket='%s', Key='started', Body=b'1')\ntime.sleep(60)\n"
                  % bucket.encode())
    body = {"Version": "2020-12-01", "Steps": [{"Name": "Slow", "Type": "Processing", "Arguments": {
        "RoleArn": ROLE, "AppSpecification": {"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": [
            "python3", "/opt/ml/processing/code/slow.py"]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 5}},
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": f"s3://{bucket}/code/slow.py", "LocalPath": "/opt/ml/processing/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}]}}]}
    sm.create_pipeline(PipelineName=unique_name, RoleArn=ROLE, PipelineDefinition=json.dumps(body))
    arn = sm.start_pipeline_execution(PipelineName=unique_name)["PipelineExecutionArn"]
    deadline = time.monotonic() + 30
    while not s3.list_objects_v2(Bucket=bucket, Prefix="started").get("KeyCount"):  # the job's script runs
        assert time.monotonic() < deadline, steps_of(sm, arn)
        time.sleep(0.2)
    restart_cloud.restart()
    sm = restart_cloud.client("sagemaker")
    described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    assert "sandbox stopped" in described["FailureReason"]
    step = steps_of(sm, arn)["Slow"]
    assert step["StepStatus"] == "Failed" and "sandbox stopped" in step["FailureReason"]
    job_name = step["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1]
    assert sm.describe_processing_job(ProcessingJobName=job_name)["ProcessingJobStatus"] == "Failed"
