"""Model-backed analysis is refused clearly; control-plane services still answer."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


@pytest.mark.parametrize("service,call,kwargs", [
    ("rekognition", "detect_labels", {"Image": {"Bytes": b"\x89PNG"}}),
    ("textract", "detect_document_text", {"Document": {"Bytes": b"%PDF"}}),
    ("comprehend", "detect_sentiment", {"Text": "I love this sandbox", "LanguageCode": "en"}),
])
def test_analysis_calls_answer_not_implemented(aws, service, call, kwargs):
    with pytest.raises(ClientError) as exc:
        getattr(aws.client(service), call)(**kwargs)
    error = exc.value.response["Error"]
    assert error["Code"] == "NotImplemented"
    assert "not emulated by the offline sandbox" in error["Message"]


def test_data_pipeline_activation_is_refused_rather_than_scheduled_forever(aws, unique_name):
    pipelines = aws.client("datapipeline")
    pipeline_id = pipelines.create_pipeline(name=unique_name, uniqueId=unique_name)["pipelineId"]
    with pytest.raises(ClientError) as exc:
        pipelines.activate_pipeline(pipelineId=pipeline_id)
    error = exc.value.response["Error"]
    assert error["Code"] == "NotImplemented"
    assert "AWS Data Pipeline activate_pipeline is not emulated" in error["Message"]
    assert "EC2" in error["Message"]
    # the control plane still answers, and the pipeline was not marked as scheduled
    fields = pipelines.describe_pipelines(pipelineIds=[pipeline_id])["pipelineDescriptionList"][0]["fields"]
    assert {"key": "@pipelineState", "stringValue": "PENDING"} in fields


def test_operations_moto_lacks_answer_not_implemented_not_a_crash(aws, unique_name):
    with pytest.raises(ClientError) as exc:
        aws.client("rekognition").create_collection(CollectionId=unique_name)
    assert exc.value.response["Error"]["Code"] == "NotImplemented"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "does not emulate this operation" in exc.value.response["Error"]["Message"]


def test_dynamodb_really_stores_and_queries(aws, unique_name):
    ddb = aws.client("dynamodb")
    ddb.create_table(TableName=unique_name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    for i in range(5):
        ddb.put_item(TableName=unique_name, Item={"pk": {"S": "user#1"}, "sk": {"N": str(i)}})
    result = ddb.query(TableName=unique_name, KeyConditionExpression="pk = :p AND sk >= :s",
                       ExpressionAttributeValues={":p": {"S": "user#1"}, ":s": {"N": "3"}})
    assert [item["sk"]["N"] for item in result["Items"]] == ["3", "4"]
