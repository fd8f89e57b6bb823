"""SageMaker Developer Guide pages and sample notebooks, followed as a new user would, where the sandbox used to
differ from AWS: Feature Store (the whole runtime was missing), the model registry's deletes and deployments,
production variants and asynchronous inference.

Each test names the page or notebook it follows. Every boto3 response is checked against botocore's output
shape (``checked_responses``). The session's one trained model (``trained_model``) serves every endpoint.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.helpers.sagemaker import ROLE, SKLEARN_IMAGE, csv_bytes, wait_endpoint

from .response_shapes import checked_responses  # noqa: F401  (autouse)

pytestmark = pytest.mark.filterwarnings("ignore:.*SageMaker Python SDK v2")


def error_of(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def poll(fn, done, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def athena_rows(athena, sql: str, output: str) -> list[list[str | None]]:
    qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={"OutputLocation": output})[
        "QueryExecutionId"]
    status = poll(lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"],
                  lambda s: s["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"), 60)
    assert status["State"] == "SUCCEEDED", status
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows[1:]]


def event_queue(aws, name: str, pattern: dict) -> str:
    """An SQS queue that an EventBridge rule with ``pattern`` delivers to (its URL)."""
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    return url


def received_events(aws, url: str, count: int = 1) -> list[dict]:
    sqs, got = aws.client("sqs"), []
    poll(lambda: got.extend(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))
         or len(got) >= count, lambda done: done, 20)
    return [json.loads(m["Body"]) for m in got]


@pytest.fixture(scope="module")
def lake(aws):
    s3 = aws.client("s3")
    bucket = f"sm-docs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    return bucket


def feature(name: str, value: str) -> dict[str, str]:
    return {"FeatureName": name, "ValueAsString": value}


def test_feature_store_records_online_and_offline_with_boto3(aws, lake):
    """Source: Developer Guide "Create feature groups", "Use Feature Store with SDK for Python (Boto3)" and the
    Feature Store Runtime API reference (PutRecord, GetRecord, BatchGetRecord, DeleteRecord, ListRecords), then
    "Query Feature Store with Athena": the offline store's Glue table in sagemaker_featurestore holds every
    write with write_time, api_invocation_time and is_deleted."""
    sm, fs = aws.client("sagemaker"), aws.client("sagemaker-featurestore-runtime")
    name = f"customers-{uuid.uuid4().hex[:6]}"
    definitions = [{"FeatureName": "customer_id", "FeatureType": "Integral"},
                   {"FeatureName": "event_time", "FeatureType": "String"},
                   {"FeatureName": "age", "FeatureType": "Fractional"},
                   {"FeatureName": "city", "FeatureType": "String"}]
    arn = sm.create_feature_group(
        FeatureGroupName=name, RecordIdentifierFeatureName="customer_id", EventTimeFeatureName="event_time",
        FeatureDefinitions=definitions, OnlineStoreConfig={"EnableOnlineStore": True},
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{lake}/feature-store"}}, RoleArn=ROLE,
        Description="customer features", Tags=[{"Key": "team", "Value": "ml"}])["FeatureGroupArn"]
    assert arn.endswith(f":feature-group/{name}")
    described = poll(lambda: sm.describe_feature_group(FeatureGroupName=name),
                     lambda d: d["FeatureGroupStatus"] != "Creating")
    assert described["FeatureGroupStatus"] == "Created"
    assert described["OfflineStoreStatus"] == {"Status": "Active"}
    catalog = described["OfflineStoreConfig"]["DataCatalogConfig"]
    assert catalog["Database"] == "sagemaker_featurestore" and catalog["Catalog"] == "AwsDataCatalog"
    resolved = described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    assert resolved.startswith(f"s3://{lake}/feature-store/123456789012/sagemaker/us-east-1/offline-store/{name}-")
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    summaries = sm.list_feature_groups(NameContains=name)["FeatureGroupSummaries"]
    assert [s["FeatureGroupName"] for s in summaries] == [name]
    found = sm.search(Resource="FeatureGroup", SearchExpression={"Filters": [
        {"Name": "FeatureGroupName", "Operator": "Contains", "Value": name}]})["Results"]
    assert [r["FeatureGroup"]["FeatureGroupArn"] for r in found] == [arn]

    fs.put_record(FeatureGroupName=name, Record=[feature("customer_id", "1"), feature("event_time",
                  "2024-05-01T10:00:00Z"), feature("age", "31.5"), feature("city", "Seattle")])
    fs.put_record(FeatureGroupName=name, Record=[feature("customer_id", "2"), feature("event_time",
                  "2024-05-01T11:00:00Z"), feature("age", "45"), feature("city", "Boston")])
    # an older event time reaches the offline store only: the online store keeps the newest record
    fs.put_record(FeatureGroupName=name, Record=[feature("customer_id", "1"), feature("event_time",
                  "2024-04-01T10:00:00Z"), feature("age", "30"), feature("city", "Austin")])
    record = fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="1")["Record"]
    assert {f["FeatureName"]: f["ValueAsString"] for f in record}["city"] == "Seattle"
    some = fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="2", FeatureNames=["age"])
    assert some["Record"] == [feature("age", "45")]
    batch = fs.batch_get_record(Identifiers=[{"FeatureGroupName": name,
                                              "RecordIdentifiersValueAsString": ["1", "2", "99"]}])
    assert sorted(r["RecordIdentifierValueAsString"] for r in batch["Records"]) == ["1", "2"]
    assert batch["Errors"] == [] and batch["UnprocessedIdentifiers"] == []
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="99")
    unchecked = aws.client("sagemaker-featurestore-runtime", config=Config(parameter_validation=False))
    code, status, message = error_of(unchecked.get_record, FeatureGroupName=name)
    assert (code, status) == ("ValidationException", 400) and "recordIdentifierValueAsString" in message

    fs.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="2", EventTime="2024-05-02T00:00:00Z")
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="2")
    assert fs.list_records(FeatureGroupName=name)["RecordIdentifiers"] == ["1"]
    assert fs.list_records(FeatureGroupName=name, IncludeSoftDeletedRecords=True)["RecordIdentifiers"] == ["1", "2"]

    # AWS's errors: the runtime's ValidationError / ResourceNotFound, the control plane's ResourceInUse
    assert error_of(fs.put_record, FeatureGroupName=name, Record=[feature("customer_id", "3"),
                    feature("event_time", "2024-05-01T10:00:00Z"), feature("colour", "red")])[0] == "ValidationError"
    assert error_of(fs.put_record, FeatureGroupName=name, Record=[feature("customer_id", "3"),
                    feature("event_time", "yesterday")])[0] == "ValidationError"
    assert error_of(fs.put_record, FeatureGroupName=name, Record=[feature("customer_id", "x"),
                    feature("event_time", "2024-05-01T10:00:00Z")])[0] == "ValidationError"
    assert error_of(fs.get_record, FeatureGroupName="no-such-group",
                    RecordIdentifierValueAsString="1")[0] == "ResourceNotFound"
    code, _, message = error_of(fs.put_record, FeatureGroupName="no-such-group", Record=[feature("customer_id", "1")])
    assert code == "ValidationError" and message.startswith("Resource Not Found")  # PutRecord's model has no 404
    assert "cannot be both disabled" in error_of(sm.create_feature_group, FeatureGroupName=f"{name}-none",
                                                 RecordIdentifierFeatureName="customer_id",
                                                 EventTimeFeatureName="event_time", FeatureDefinitions=definitions)[2]
    assert error_of(sm.describe_feature_group, FeatureGroupName="no-such-group")[0] == "ResourceNotFound"
    assert error_of(sm.create_feature_group, FeatureGroupName=name, RecordIdentifierFeatureName="customer_id",
                    EventTimeFeatureName="event_time", FeatureDefinitions=definitions,
                    OnlineStoreConfig={"EnableOnlineStore": True})[0] == "ResourceInUse"
    assert error_of(sm.create_feature_group, FeatureGroupName=f"{name}-bad", RecordIdentifierFeatureName="id",
                    EventTimeFeatureName="event_time", FeatureDefinitions=definitions,
                    OnlineStoreConfig={"EnableOnlineStore": True})[0] == "ValidationException"

    athena = aws.client("athena")
    table = f'"{catalog["Database"]}"."{catalog["TableName"]}"'
    sql = f"SELECT customer_id, event_time, city, is_deleted FROM {table} ORDER BY customer_id, event_time"
    rows = poll(lambda: athena_rows(athena, sql, f"s3://{lake}/athena/"), lambda r: len(r) == 4)
    assert rows == [["1", "2024-04-01T10:00:00Z", "Austin", "false"], ["1", "2024-05-01T10:00:00Z", "Seattle", "false"],
                    ["2", "2024-05-01T11:00:00Z", "Boston", "false"], ["2", "2024-05-02T00:00:00Z", None, "true"]]
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=lake, Prefix="feature-store/")["Contents"]]
    assert any("/year=2024/month=05/day=01/hour=10/" in k and k.endswith(".parquet") for k in keys)

    sm.delete_feature_group(FeatureGroupName=name)
    assert error_of(sm.describe_feature_group, FeatureGroupName=name)[0] == "ResourceNotFound"


@pytest.mark.slow
def test_feature_store_sdk_ingest_and_athena_query(aws, lake):
    """Source: amazon-sagemaker-examples "Introduction to SageMaker Feature Store" (feature_store_introduction):
    FeatureGroup.load_feature_definitions from a DataFrame, create, wait while Creating, ingest, get_record
    through the runtime client, then athena_query() over the offline store and a feature's metadata
    (update_feature_metadata / describe_feature_metadata)."""
    import pandas as pd
    from sagemaker.feature_store.feature_group import FeatureGroup

    session = aws.sagemaker_session(default_bucket=lake)
    frame = pd.DataFrame({"order_id": [10, 11, 12], "amount": [12.5, 7.0, 99.9]})
    frame["status"] = pd.Series(["new", "paid", "paid"], dtype="string")
    frame["event_time"] = float(round(time.time()))
    group = FeatureGroup(name=f"orders-{uuid.uuid4().hex[:6]}", sagemaker_session=session)
    group.load_feature_definitions(data_frame=frame)
    group.create(s3_uri=f"s3://{lake}/sdk-offline", record_identifier_name="order_id",
                 event_time_feature_name="event_time", role_arn=ROLE, enable_online_store=True)
    status = poll(lambda: group.describe()["FeatureGroupStatus"], lambda s: s != "Creating")
    assert status == "Created"
    group.ingest(data_frame=frame, max_workers=1, max_processes=1, wait=True)
    runtime = session.boto_session.client("sagemaker-featurestore-runtime")
    record = runtime.get_record(FeatureGroupName=group.name, RecordIdentifierValueAsString="11")["Record"]
    assert {f["FeatureName"]: f["ValueAsString"] for f in record} == {
        "order_id": "11", "amount": "7.0", "status": "paid", "event_time": str(frame["event_time"][0])}

    def offline_rows():
        query = group.athena_query()
        query.run(query_string=f'SELECT order_id, status FROM "{query.table_name}" ORDER BY order_id',
                  output_location=f"s3://{lake}/sdk-athena/")
        query.wait()
        return query.as_dataframe()

    rows = poll(offline_rows, lambda df: len(df) == 3)
    assert rows.values.tolist() == [[10, "new"], [11, "paid"], [12, "paid"]]

    from sagemaker.feature_store.inputs import FeatureParameter
    group.update_feature_metadata(feature_name="amount", description="order total in USD",
                                  parameter_additions=[FeatureParameter(key="unit", value="USD")])
    metadata = group.describe_feature_metadata(feature_name="amount")
    assert (metadata["Description"], metadata["Parameters"]) == ("order total in USD", [{"Key": "unit",
                                                                                          "Value": "USD"}])


def test_model_registry_approve_deploy_and_delete(aws, trained_model, unique_name):
    """Source: Developer Guide "Model Registry": "Create a Model Group", "Register a Model Version", "Update the
    Approval Status of a Model" (with "Amazon SageMaker events sent to EventBridge": an approval is a "SageMaker
    Model Package State Change" event), "Deploy a Model from the Registry with Boto3" (CreateModel with Containers
    [{ModelPackageName: arn}]) and "Delete a Model Group" (its versions first)."""
    sm, runtime = aws.client("sagemaker"), aws.client("sagemaker-runtime")
    group = f"{unique_name}-group"
    sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="churn models")
    code, _, message = error_of(sm.create_model_package_group, ModelPackageGroupName=group)
    assert code == "ValidationException" and "already exists" in message
    spec = {"Containers": [{"Image": SKLEARN_IMAGE, "ModelDataUrl": trained_model["uri"]}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    arns = [sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec)["ModelPackageArn"]
            for _ in range(2)]
    assert sm.describe_model_package(ModelPackageName=arns[0])["ModelApprovalStatus"] == "PendingManualApproval"
    queue = event_queue(aws, f"{unique_name}-approved", {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"]}})
    sm.update_model_package(ModelPackageArn=arns[1], ModelApprovalStatus="Approved", ApprovalDescription="AUC ok")
    (approval,) = received_events(aws, queue)  # the MLOps trigger: "SageMaker Model Package State Change"
    assert approval["resources"] == [arns[1]] and approval["detail"]["ModelPackageArn"] == arns[1]
    approved = sm.list_model_packages(ModelPackageGroupName=group, ModelApprovalStatus="Approved",
                                      SortBy="CreationTime", SortOrder="Descending")["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in approved] == [arns[1]]

    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": approved[0][
        "ModelPackageArn"]}])
    sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": unique_name, "InitialInstanceCount": 1,
         "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=unique_name, EndpointConfigName=unique_name)
    assert wait_endpoint(sm, unique_name)["EndpointStatus"] == "InService"
    answer = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv",
                                     Body=csv_bytes(trained_model["x"][:3]))["Body"].read().decode()
    assert len(answer.split()) == 3
    sm.delete_endpoint(EndpointName=unique_name)

    assert error_of(sm.delete_model_package_group, ModelPackageGroupName=group)[0] == "ConflictException"
    for arn in arns:
        sm.delete_model_package(ModelPackageName=arn)
    assert sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []
    sm.delete_model_package_group(ModelPackageGroupName=group)
    assert error_of(sm.describe_model_package_group, ModelPackageGroupName=group)[0] == "ValidationException"


def test_production_variants_async_and_serverless_inference(aws, trained_model, unique_name, lake):
    """Source: Developer Guide "Test models in production" (two variants, TargetVariant,
    UpdateEndpointWeightsAndCapacities; the "SageMaker Endpoint State Change" event when it is InService),
    "Asynchronous inference" ("Create", "Invoke": InvokeEndpointAsync with
    an InputLocation, the answer at OutputLocation) and "Serverless Inference" (a ServerlessConfig variant)."""
    sm, runtime, s3 = aws.client("sagemaker"), aws.client("sagemaker-runtime"), aws.client("s3")
    body = csv_bytes(trained_model["x"][:2])
    sm.create_model(ModelName=unique_name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": SKLEARN_IMAGE, "ModelDataUrl": trained_model["uri"]})
    variant = {"ModelName": unique_name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
    assert error_of(sm.create_endpoint_config, EndpointConfigName=f"{unique_name}-dup", ProductionVariants=[
        {**variant, "VariantName": "A"}, {**variant, "VariantName": "A"}])[0] == "ValidationException"
    sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=[
        {**variant, "VariantName": "A", "InitialVariantWeight": 1.0},
        {**variant, "VariantName": "B", "InitialVariantWeight": 0.0}])
    queue = event_queue(aws, f"{unique_name}-in-service", {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Endpoint State Change"],
        "detail": {"EndpointName": [unique_name], "EndpointStatus": ["InService"]}})
    sm.create_endpoint(EndpointName=unique_name, EndpointConfigName=unique_name)
    described = wait_endpoint(sm, unique_name)
    assert received_events(aws, queue)[0]["resources"] == [described["EndpointArn"]]
    assert [(v["VariantName"], v["CurrentWeight"], v["CurrentInstanceCount"])
            for v in described["ProductionVariants"]] == [("A", 1.0, 1), ("B", 0.0, 1)]
    invoked = Counter(runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=body)[
        "InvokedProductionVariant"] for _ in range(8))
    assert invoked == Counter({"A": 8})  # a weight of 0 takes no traffic
    targeted = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=body, TargetVariant="B")
    assert targeted["InvokedProductionVariant"] == "B"

    sm.update_endpoint_weights_and_capacities(EndpointName=unique_name, DesiredWeightsAndCapacities=[
        {"VariantName": "A", "DesiredWeight": 0.0}, {"VariantName": "B", "DesiredWeight": 1.0}])
    described = wait_endpoint(sm, unique_name)
    assert [(v["VariantName"], v["CurrentWeight"], v["DesiredWeight"], v["CurrentInstanceCount"])
            for v in described["ProductionVariants"]] == [("A", 0.0, 0.0, 1), ("B", 1.0, 1.0, 1)]
    assert runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Body=body)[
        "InvokedProductionVariant"] == "B"
    assert error_of(sm.update_endpoint_weights_and_capacities, EndpointName=unique_name, DesiredWeightsAndCapacities=[
        {"VariantName": "C", "DesiredWeight": 1.0}])[0] == "ValidationException"
    sm.delete_endpoint(EndpointName=unique_name)

    asynchronous = f"{unique_name}-async"
    sm.create_endpoint_config(EndpointConfigName=asynchronous, ProductionVariants=[{**variant, "VariantName": "v"}],
                              AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": f"s3://{lake}/async-out/"}})
    sm.create_endpoint(EndpointName=asynchronous, EndpointConfigName=asynchronous)
    assert wait_endpoint(sm, asynchronous)["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"] == \
        f"s3://{lake}/async-out/"
    s3.put_object(Bucket=lake, Key="async-in/payload.csv", Body=body)
    response = runtime.invoke_endpoint_async(EndpointName=asynchronous, ContentType="text/csv",
                                             InputLocation=f"s3://{lake}/async-in/payload.csv")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202 and response["InferenceId"]
    output = response["OutputLocation"]
    assert output.startswith(f"s3://{lake}/async-out/") and output.endswith(".out")
    key = output.split("/", 3)[3]
    listed = poll(lambda: s3.list_objects_v2(Bucket=lake, Prefix=key).get("KeyCount", 0), lambda n: n > 0)
    assert listed == 1
    assert len(s3.get_object(Bucket=lake, Key=key)["Body"].read().split()) == 2
    assert error_of(runtime.invoke_endpoint_async, EndpointName=asynchronous, ContentType="text/csv",
                    InputLocation=f"s3://{lake}/async-in/missing.csv")[0] == "ValidationError"
    assert error_of(runtime.invoke_endpoint, EndpointName=asynchronous, ContentType="text/csv", Body=body)[0] == \
        "ValidationError"  # an asynchronous endpoint answers InvokeEndpointAsync only
    sm.delete_endpoint(EndpointName=asynchronous)

    serverless = f"{unique_name}-sls"
    for wrong in ({"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}, "InstanceType": "ml.m5.large"},
                  {"ServerlessConfig": {"MemorySizeInMB": 1500, "MaxConcurrency": 5}}, {}):
        assert error_of(sm.create_endpoint_config, EndpointConfigName=f"{serverless}-bad", ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": unique_name, **wrong}])[0] == "ValidationException"
    sm.create_endpoint_config(EndpointConfigName=serverless, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": unique_name,
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}])
    sm.create_endpoint(EndpointName=serverless, EndpointConfigName=serverless)
    summary = wait_endpoint(sm, serverless)["ProductionVariants"][0]
    assert summary["CurrentServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert len(runtime.invoke_endpoint(EndpointName=serverless, ContentType="text/csv", Body=body)[
        "Body"].read().split()) == 2
    assert error_of(runtime.invoke_endpoint_async, EndpointName=serverless, ContentType="text/csv",
                    InputLocation=f"s3://{lake}/async-in/payload.csv")[0] == "ValidationError"
    sm.delete_endpoint(EndpointName=serverless)


@pytest.mark.slow
def test_experiments_runs_with_the_sdk_and_boto3(aws, lake, unique_name):
    """Source: Developer Guide "Create an Amazon SageMaker Experiment" (sagemaker.experiments.Run: log_parameter,
    log_metric, list_runs, load_run), amazon-sagemaker-examples "sagemaker-experiments/local_experiment_tracking"
    (ExperimentAnalytics over the experiment) and the API reference of CreateExperiment, CreateTrial and Search
    (Filters on Parents.ExperimentName and Metrics.<name>.<stat>)."""
    from sagemaker.analytics import ExperimentAnalytics
    from sagemaker.experiments.run import Run, list_runs, load_run

    session = aws.sagemaker_session(default_bucket=lake)
    experiment = f"{unique_name}-exp"
    for run_name, rate in (("run-a", 0.1), ("run-b", 0.3)):
        with Run(experiment_name=experiment, run_name=run_name, sagemaker_session=session) as run:
            run.log_parameters({"learning_rate": rate, "kind": "tree"})
            for step in range(3):
                run.log_metric(name="loss", value=rate / (step + 1), step=step)
    assert sorted(r.run_name for r in list_runs(experiment_name=experiment, sagemaker_session=session)) == [
        "run-a", "run-b"]
    with load_run(experiment_name=experiment, run_name="run-b", sagemaker_session=session) as loaded:
        assert loaded._trial_component.parameters == {"learning_rate": 0.3, "kind": "tree"}
    frame = ExperimentAnalytics(experiment_name=experiment, sagemaker_session=session).dataframe()
    by_name = frame.set_index("DisplayName")
    assert by_name.loc[f"{experiment}-run-a", "learning_rate"] == 0.1
    assert by_name.loc[f"{experiment}-run-b", "loss - Count"] == 3
    assert by_name.loc[f"{experiment}-run-b", "loss - Last"] == pytest.approx(0.1)

    sm = aws.client("sagemaker")
    found = sm.search(Resource="ExperimentTrialComponent", SearchExpression={"Filters": [
        {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment},
        {"Name": "Metrics.loss.Max", "Operator": "GreaterThan", "Value": "0.2"}]})["Results"]
    assert [r["TrialComponent"]["TrialComponentName"] for r in found] == [f"{experiment}-run-b"]
    recent = sm.search(Resource="ExperimentTrialComponent", SearchExpression={"Filters": [
        {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment},
        {"Name": "CreationTime", "Operator": "GreaterThan", "Value": "2020-01-01T00:00:00Z"}]},
        SortBy="Parameters.learning_rate", SortOrder="Ascending")["Results"]
    assert [r["TrialComponent"]["TrialComponentName"] for r in recent] == [f"{experiment}-run-a", f"{experiment}-run-b"]
    assert found[0]["TrialComponent"]["Parents"][0]["ExperimentName"] == experiment
    code, _, message = error_of(sm.create_experiment, ExperimentName=experiment)
    assert code == "ValidationException" and "already exists" in message
    assert error_of(sm.describe_experiment, ExperimentName=f"{unique_name}-none")[0] == "ResourceNotFound"
    assert error_of(sm.create_trial, TrialName=f"{unique_name}-t", ExperimentName=f"{unique_name}-none")[0] == \
        "ResourceNotFound"
    sm.create_experiment(ExperimentName=f"{unique_name}-doc", DisplayName="Churn", Description="churn runs")
    described = sm.describe_experiment(ExperimentName=f"{unique_name}-doc")
    assert (described["DisplayName"], described["Description"]) == ("Churn", "churn runs")


def test_training_job_with_an_experiment_config_has_its_trial_component(aws, lake, unique_name, trained_model):
    """Source: Developer Guide "Experiments: associate a training job" (CreateTrainingJob's ExperimentConfig):
    SageMaker makes the job's trial component <job>-aws-training-job, Source the job, in the config's trial,
    with the job's hyperparameters and, once the job ends, its status; the end is a "SageMaker Training Job State
    Change" event on EventBridge (a job whose channel is empty fails at
    once, which keeps this test cheap; ``trained_model`` is asked for so MLflow, which tracks every job, is
    warm)."""
    from tests.helpers.sagemaker import training_request, wait_training

    sm = aws.client("sagemaker")
    sm.create_experiment(ExperimentName=f"{unique_name}-exp")
    sm.create_trial(TrialName=f"{unique_name}-trial", ExperimentName=f"{unique_name}-exp")
    request = training_request(unique_name, lake)
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://{lake}/{unique_name}-empty/"
    request["HyperParameters"]["C"] = "0.5"
    request["ExperimentConfig"] = {"ExperimentName": f"{unique_name}-exp", "TrialName": f"{unique_name}-trial",
                                   "TrialComponentDisplayName": "training"}
    queue = event_queue(aws, f"{unique_name}-ended", {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Training Job State Change"],
        "detail": {"TrainingJobName": [unique_name], "TrainingJobStatus": ["Completed", "Failed", "Stopped"]}})
    sm.create_training_job(**request)
    name = f"{unique_name}-aws-training-job"
    assert sm.describe_trial_component(TrialComponentName=name)["Status"]["PrimaryStatus"] in ("InProgress",
                                                                                               "Failed")
    job = wait_training(sm, unique_name)
    assert job["TrainingJobStatus"] == "Failed"
    component = sm.describe_trial_component(TrialComponentName=name)
    assert component["Source"] == {"SourceArn": job["TrainingJobArn"], "SourceType": "SageMakerTrainingJob"}
    assert component["DisplayName"] == "training" and component["Status"]["PrimaryStatus"] == "Failed"
    assert component["Parameters"]["C"] == {"StringValue": "0.5"} and "EndTime" in component
    listed = sm.list_trial_components(TrialName=f"{unique_name}-trial")["TrialComponentSummaries"]
    assert [c["TrialComponentName"] for c in listed] == [name]
    (ended,) = received_events(aws, queue)
    assert ended["detail"]["TrainingJobStatus"] == "Failed" and ended["resources"] == [job["TrainingJobArn"]]


def test_pipeline_condition_fail_step_and_status_change_event(aws, unique_name):
    """Source: Developer Guide "Pipelines steps" (ConditionStep on a parameter, FailStep whose ErrorMessage joins
    Execution.PipelineExecutionId), ListPipelineExecutionSteps, and "Amazon SageMaker events sent to
    EventBridge" ("SageMaker Model Building Pipeline Execution Status Change" when an execution ends)."""
    sm = aws.client("sagemaker")
    definition = {"Version": "2020-12-01", "Parameters": [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}],
                  "Steps": [{"Name": "CheckThreshold", "Type": "Condition", "Arguments": {
                      "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Threshold"},
                                      "RightValue": 0.7}],
                      "IfSteps": [{"Name": "TooHigh", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {
                          "On": " ", "Values": ["threshold too high in", {"Get": "Execution.PipelineExecutionId"}]}}}}],
                      "ElseSteps": []}}]}
    sm.create_pipeline(PipelineName=unique_name, PipelineDefinition=json.dumps(definition), RoleArn=ROLE)
    queue = event_queue(aws, f"{unique_name}-status", {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
        "detail": {"currentPipelineExecutionStatus": ["Succeeded", "Failed"],
                   "pipelineArn": [{"suffix": f"pipeline/{unique_name}"}]}})
    passed = sm.start_pipeline_execution(PipelineName=unique_name)["PipelineExecutionArn"]
    failed = sm.start_pipeline_execution(PipelineName=unique_name, PipelineParameters=[
        {"Name": "Threshold", "Value": "0.9"}])["PipelineExecutionArn"]
    ended = {e["detail"]["pipelineExecutionArn"]: e["detail"] for e in received_events(aws, queue, count=2)}
    assert ended[passed]["currentPipelineExecutionStatus"] == "Succeeded"
    assert ended[failed]["currentPipelineExecutionStatus"] == "Failed"
    assert ended[failed]["previousPipelineExecutionStatus"] == "Executing"
    execution = sm.describe_pipeline_execution(PipelineExecutionArn=failed)
    assert execution["FailureReason"] == f"threshold too high in {failed.rsplit('/', 1)[1]}"
    steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=failed)["PipelineExecutionSteps"]
    assert {s["StepName"]: s["StepStatus"] for s in steps} == {"CheckThreshold": "Succeeded", "TooHigh": "Failed"}
    check = next(s for s in steps if s["StepName"] == "CheckThreshold")
    assert check["Metadata"]["Condition"]["Outcome"] == "True"
