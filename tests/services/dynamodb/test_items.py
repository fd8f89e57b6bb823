"""DynamoDB item calls as the API reference describes them: key validation, paging keys, transaction sizes."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


def _table(ddb, name):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def test_a_key_of_the_wrong_type_or_name_does_not_match_the_schema(aws, unique_name):
    """DynamoDB API reference, GetItem: a Key whose attributes or types differ from the key schema is a
    ValidationException "The provided key element does not match the schema" (moto answered an empty item)."""
    ddb = aws.client("dynamodb")
    _table(ddb, unique_name)
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "1"}})
    assert _code(ddb.get_item, TableName=unique_name, Key={"pk": {"N": "1"}}) == "ValidationException"
    assert _code(ddb.get_item, TableName=unique_name, Key={"id": {"S": "1"}}) == "ValidationException"
    assert _code(ddb.delete_item, TableName=unique_name, Key={"pk": {"S": "1"}, "x": {"S": "2"}}) == "ValidationException"
    assert ddb.get_item(TableName=unique_name, Key={"pk": {"S": "1"}})["Item"] == {"pk": {"S": "1"}}


def test_an_exclusive_start_key_that_is_not_the_key_is_a_validation_error(aws, unique_name):
    """DynamoDB API reference, Scan/Query ``ExclusiveStartKey``: "The primary key of the first item that this
    operation will evaluate" -- anything else is a ValidationException (moto answered 500). Paging with the
    returned LastEvaluatedKey still reads every item once."""
    ddb = aws.client("dynamodb")
    _table(ddb, unique_name)
    for i in range(5):
        ddb.put_item(TableName=unique_name, Item={"pk": {"S": str(i)}})
    assert _code(ddb.scan, TableName=unique_name, ExclusiveStartKey={"other": {"S": "1"}}) == "ValidationException"
    assert _code(ddb.query, TableName=unique_name, KeyConditionExpression="pk = :p",
                 ExpressionAttributeValues={":p": {"S": "1"}}, ExclusiveStartKey={"x": {"S": "1"}}) == "ValidationException"
    seen, start = [], None
    while True:
        page = ddb.scan(TableName=unique_name, Limit=2, **({"ExclusiveStartKey": start} if start else {}))
        seen += [i["pk"]["S"] for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert sorted(seen) == ["0", "1", "2", "3", "4"]


def test_transact_get_items_takes_100_items(aws, unique_name):
    """DynamoDB API reference, TransactGetItems: ``TransactItems`` holds 1 to 100 items (moto stopped at 25)."""
    ddb = aws.client("dynamodb")
    _table(ddb, unique_name)
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "7"}})
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": unique_name, "Key": {"pk": {"S": str(i)}}}}
                                                for i in range(100)])["Responses"]
    assert len(got) == 100 and got[7]["Item"] == {"pk": {"S": "7"}} and "Item" not in got[8]


def test_expression_placeholders_must_be_defined_and_used(aws, unique_name):
    """DynamoDB Developer Guide, "Using expression attribute names/values": a ``:value`` or ``#name`` the
    expression uses must be defined (moto answered 500), one that is defined must be used (moto accepted it,
    so code that ran here failed on AWS), and a set may not be empty."""
    ddb = aws.client("dynamodb")
    _table(ddb, unique_name)
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    key = {"pk": {"S": "a"}}
    cases = [
        (ddb.put_item, dict(Item=key, ConditionExpression="v = :missing"), "attribute value: :missing"),
        (ddb.update_item, dict(Key=key, UpdateExpression="SET #n = :v", ExpressionAttributeValues={":v": {"N": "2"}}),
         "attribute name: #n"),
        (ddb.update_item, dict(Key=key, UpdateExpression="SET v = :v",
                               ExpressionAttributeValues={":v": {"N": "2"}, ":unused": {"N": "3"}}), "{:unused}"),
        (ddb.scan, dict(FilterExpression="v = :v", ExpressionAttributeValues={":v": {"N": "1"}},
                        ExpressionAttributeNames={"#unused": "x"}), "{#unused}"),
        (ddb.query, dict(KeyConditionExpression="pk = :p"), "attribute value: :p"),
        (ddb.update_item, dict(Key=key, UpdateExpression="SET s = :s", ExpressionAttributeValues={":s": {"SS": []}}),
         "may not be empty"),
    ]
    for call, kwargs, wording in cases:
        with pytest.raises(ClientError) as exc:
            call(TableName=unique_name, **kwargs)
        error = exc.value.response["Error"]
        assert error["Code"] == "ValidationException" and wording in error["Message"], (kwargs, error)
    ddb.update_item(TableName=unique_name, Key=key, UpdateExpression="SET #v = :v", ExpressionAttributeNames={"#v": "v"},
                    ExpressionAttributeValues={":v": {"N": "5"}}, ConditionExpression="attribute_exists(pk)")
    assert ddb.get_item(TableName=unique_name, Key=key)["Item"]["v"] == {"N": "5"}
