"""Responses have the members and types of botocore's output shapes.

The botocore service models (the same JSON the AWS SDKs are generated from) are the reference: each
test drives a short flow of the service's Create/Describe/Get/List operations through boto3, and the
``checked_responses`` fixture (``response_shapes.py``) checks every response against its operation's
output shape: no member the model does not name, every required member present, each value of its
type, each enum value one of the model's. The same fixture runs in every conformance flow, so a missing
member such as ``ResourceConfig`` in ``DescribeTrainingJob`` is caught wherever it is returned.
"""

from __future__ import annotations

import datetime
import io
import json
import time
import zipfile

import botocore.session
import pytest

from .response_shapes import KNOWN_GAPS, checked_responses, is_known_gap, shape_problems  # noqa: F401

ROLE = "arn:aws:iam::123456789012:role/service-role/sandbox-role"
MODELS = botocore.session.get_session()


def output_shape(service: str, operation: str):
    return MODELS.get_service_model(service).operation_model(operation).output_shape


def test_checker_finds_missing_unknown_and_mistyped_members():
    """botocore's model for sagemaker DescribeTrainingJob (ResourceConfig is a required member)."""
    shape = output_shape("sagemaker", "DescribeTrainingJob")
    now = datetime.datetime.now(datetime.timezone.utc)
    good = {"TrainingJobName": "a", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/a",
            "ModelArtifacts": {"S3ModelArtifacts": "s3://b/k"}, "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed", "AlgorithmSpecification": {"TrainingInputMode": "File"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60}, "CreationTime": now, "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": "s3://b/out", "KmsKeyId": ""}, "HyperParameters": {},
            "EnableNetworkIsolation": False,
            "ResponseMetadata": {"HTTPStatusCode": 200}}
    assert shape_problems(good, shape) == []
    bad = {k: v for k, v in good.items() if k != "ResourceConfig"}
    bad.update(TrainingJobStatus="Done", BillableTimeInSeconds="12", Surprise=1)
    bad["ModelArtifacts"] = {"S3ModelArtifacts": 3}
    problems = shape_problems(bad, shape)
    # ResourceConfig is optional in the model, but AWS always returns it (ALWAYS_RETURNED)
    assert "ResourceConfig: required member missing" in problems
    assert "Surprise: not a member of DescribeTrainingJobResponse" in problems
    assert any(p.startswith("TrainingJobStatus: 'Done' is not one of") for p in problems)
    assert any(p.startswith("BillableTimeInSeconds: expected an integer") for p in problems)
    assert any(p.startswith("ModelArtifacts.S3ModelArtifacts: expected a string") for p in problems)


def test_checker_walks_lists_and_maps():
    shape = output_shape("glue", "GetTables")
    response = {"TableList": [{"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "c", "Type": 5}]},
                               "Parameters": {"classification": ["csv"]}}]}
    problems = shape_problems(response, shape)
    assert "TableList[0].StorageDescriptor.Columns[0].Type: expected a string, got int 5" in problems
    assert any(p.startswith("TableList[0].Parameters['classification']: expected a string") for p in problems)


def test_known_gaps_are_matched_by_service_operation_and_path():
    assert all(len(key) == 3 and reason for key, reason in KNOWN_GAPS.items())
    assert not is_known_gap("sagemaker", "DescribeTrainingJob", "ResourceConfig: required member missing")


def lambda_zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def lambda_role(aws):
    """An execution role Lambda can assume (the sandbox checks the trust policy names lambda.amazonaws.com)."""
    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "lambda.amazonaws.com"}}]}
    try:
        return iam.get_role(RoleName="conformance-lambda")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName="conformance-lambda",
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


@pytest.mark.slow
def test_lambda_kinesis_and_event_source_mapping_responses(aws, unique_name, lambda_role):
    """Lambda developer guide "Using Lambda with Kinesis" (services-kinesis-create): create the function
    and stream, map them, then describe each; Kinesis API reference for the stream calls."""
    awslambda, kinesis = aws.client("lambda"), aws.client("kinesis")
    awslambda.create_function(FunctionName=unique_name, Runtime="python3.12", Role=lambda_role, Handler="handler.main",
                              Code={"ZipFile": lambda_zip("def main(event, context):\n    return len(event)\n")})
    awslambda.get_function(FunctionName=unique_name)
    awslambda.get_function_configuration(FunctionName=unique_name)
    awslambda.list_functions()
    awslambda.invoke(FunctionName=unique_name, Payload=b"{}")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    stream = kinesis.describe_stream(StreamName=unique_name)["StreamDescription"]
    kinesis.describe_stream_summary(StreamName=unique_name)
    kinesis.list_shards(StreamName=unique_name)
    kinesis.put_record(StreamName=unique_name, Data=b"x", PartitionKey="p")
    kinesis.put_records(StreamName=unique_name, Records=[{"Data": b"y", "PartitionKey": "q"}])
    iterator = kinesis.get_shard_iterator(StreamName=unique_name, ShardId=stream["Shards"][0]["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    kinesis.get_records(ShardIterator=iterator)
    mapping = awslambda.create_event_source_mapping(FunctionName=unique_name, EventSourceArn=stream["StreamARN"],
                                                    StartingPosition="LATEST", Enabled=False)
    awslambda.get_event_source_mapping(UUID=mapping["UUID"])
    awslambda.list_event_source_mappings(FunctionName=unique_name)
    awslambda.delete_event_source_mapping(UUID=mapping["UUID"])
    awslambda.delete_function(FunctionName=unique_name)
    kinesis.delete_stream(StreamName=unique_name)


def test_step_functions_responses(aws, unique_name):
    """Step Functions API reference: CreateStateMachine, DescribeStateMachine, StartExecution,
    DescribeExecution, GetExecutionHistory, ListExecutions (a Pass state machine)."""
    sfn = aws.client("stepfunctions")
    definition = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    sfn.describe_state_machine(stateMachineArn=arn)
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 20
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    sfn.get_execution_history(executionArn=execution)
    sfn.list_executions(stateMachineArn=arn)
    sfn.describe_state_machine_for_execution(executionArn=execution)
    sfn.list_state_machines()
    sfn.delete_state_machine(stateMachineArn=arn)


def test_glue_and_athena_responses(aws, s3_bucket, unique_name):
    """Glue API reference (GetDatabase, GetTable(s), GetPartitions, GetCrawler) and Athena API reference
    (StartQueryExecution, GetQueryExecution, GetQueryResults, GetWorkGroup) over a small CSV table."""
    glue, athena, s3 = aws.client("glue"), aws.client("athena"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="sales/part.csv", Body=b"1,north,2.5\n2,south,4.0\n")
    glue.create_database(DatabaseInput={"Name": unique_name})
    glue.create_table(DatabaseName=unique_name, TableInput={
        "Name": "sales", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "int"}, {"Name": "region", "Type": "string"},
                        {"Name": "amount", "Type": "double"}],
            "Location": f"s3://{s3_bucket}/sales/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}})
    glue.get_database(Name=unique_name)
    glue.get_databases()
    glue.get_table(DatabaseName=unique_name, Name="sales")
    glue.get_tables(DatabaseName=unique_name)
    glue.get_partitions(DatabaseName=unique_name, TableName="sales")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/sales/"}]})
    glue.get_crawler(Name=unique_name)
    glue.get_crawlers()
    glue.delete_crawler(Name=unique_name)
    query = athena.start_query_execution(
        QueryString="SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region",
        QueryExecutionContext={"Database": unique_name},
        ResultConfiguration={"OutputLocation": f"s3://{s3_bucket}/athena/"})["QueryExecutionId"]
    deadline = time.monotonic() + 30
    state = "QUEUED"
    while state in ("QUEUED", "RUNNING") and time.monotonic() < deadline:
        state = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]["State"]
        time.sleep(0.2)
    assert state == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"]
    assert len(rows) == 3
    athena.get_work_group(WorkGroup="primary")
    athena.list_query_executions()
    glue.delete_database(Name=unique_name)


@pytest.mark.slow
def test_sagemaker_describe_responses(aws, s3_bucket, unique_name):
    """SageMaker API reference: CreateTrainingJob then DescribeTrainingJob while it runs and once it is done
    (the built-in XGBoost algorithm on a tiny CSV), CreateModel/DescribeModel, ListTrainingJobs."""
    from sagemaker.image_uris import retrieve

    sm, s3 = aws.client("sagemaker"), aws.client("s3")
    rows = "\n".join(f"{i % 2},{i},{(i * 7) % 5}" for i in range(40)) + "\n"
    s3.put_object(Bucket=s3_bucket, Key="train/train.csv", Body=rows.encode())
    image = retrieve("xgboost", "us-east-1", "1.7-1")
    sm.create_training_job(
        TrainingJobName=unique_name, RoleArn=ROLE, HyperParameters={"num_round": "3", "objective": "binary:logistic"},
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{s3_bucket}/train/"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{s3_bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 300})
    deadline = time.monotonic() + 120
    job = sm.describe_training_job(TrainingJobName=unique_name)
    while job["TrainingJobStatus"] == "InProgress" and time.monotonic() < deadline:
        time.sleep(0.3)
        job = sm.describe_training_job(TrainingJobName=unique_name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm.list_training_jobs(NameContains=unique_name)
    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": image, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    sm.describe_model(ModelName=unique_name)
    sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": unique_name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sm.describe_endpoint_config(EndpointConfigName=unique_name)
    sm.delete_endpoint_config(EndpointConfigName=unique_name)
    sm.delete_model(ModelName=unique_name)


def test_iam_policy_simulator_answers_allowed(aws, unique_name):
    """IAM API reference, SimulatePrincipalPolicy and SimulateCustomPolicy (the SageMaker Python SDK v3 checks
    its execution role with the former): the sandbox enforces no policy, so every action is ``allowed``."""
    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    role = iam.create_role(RoleName=unique_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    answer = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:GetObject", "sagemaker:CreateTrainingJob"],
                                           ResourceArns=["arn:aws:s3:::bucket/key"])
    assert [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in answer["EvaluationResults"]] == [
        ("s3:GetObject", "arn:aws:s3:::bucket/key", "allowed"),
        ("sagemaker:CreateTrainingJob", "arn:aws:s3:::bucket/key", "allowed")]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    custom = iam.simulate_custom_policy(PolicyInputList=[json.dumps(policy)], ActionNames=["s3:PutObject"])
    assert custom["EvaluationResults"][0]["EvalDecision"] == "allowed"  # not evaluated: the sandbox allows all
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::123456789012:role/{unique_name}-missing",
                                      ActionNames=["s3:GetObject"])
    iam.delete_role(RoleName=unique_name)
