"""DynamoDB Streams and TTL as AWS documents them (Developer Guide "Change data capture for DynamoDB Streams",
"Time to Live (TTL)" and the DynamoDB Streams API reference)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers.waiting import wait_for


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


def _table(ddb, name, view="NEW_AND_OLD_IMAGES"):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def _records(streams, arn):
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return streams.get_records(ShardIterator=iterator["ShardIterator"])


def test_a_write_that_changes_nothing_writes_no_stream_record(aws, unique_name):
    """Developer Guide, "Change data capture for DynamoDB Streams": a PutItem or UpdateItem that does not change
    any data in an item writes no stream record. moto wrote a MODIFY with equal old and new images."""
    ddb, streams = aws.client("dynamodb"), aws.client("dynamodbstreams")
    arn = _table(ddb, unique_name)
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(TableName=unique_name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}})
    ddb.update_item(TableName=unique_name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    records = _records(streams, arn)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"} and records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}


def test_disabling_and_enabling_a_stream_gives_a_new_stream_and_keeps_the_old_readable(aws, unique_name):
    """Developer Guide, "Enabling a stream": disabling a stream keeps its records readable (StreamStatus
    DISABLED) and enabling it again creates a new stream with a new ARN and label. moto answered 500 to every
    write after the stream was disabled, and refused to enable a stream again."""
    ddb, streams = aws.client("dynamodb"), aws.client("dynamodbstreams")
    first = _table(ddb, unique_name)
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "before"}})
    ddb.update_table(TableName=unique_name, StreamSpecification={"StreamEnabled": False})
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "while-disabled"}})
    old = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert old["StreamStatus"] == "DISABLED" and old["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    page = _records(streams, first)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]] == ["before"]
    assert "NextShardIterator" not in page  # a closed shard read to its end
    ddb.update_table(TableName=unique_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    second = ddb.describe_table(TableName=unique_name)["Table"]["LatestStreamArn"]
    assert second != first
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "after"}, "v": {"N": "1"}})
    records = _records(streams, second)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["after"]
    assert "NewImage" not in records[0]["dynamodb"] and records[0]["dynamodb"]["StreamViewType"] == "KEYS_ONLY"
    assert {s["StreamArn"] for s in streams.list_streams(TableName=unique_name)["Streams"]} == {first, second}
    assert _code(ddb.update_table, TableName=unique_name,
                 StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}) == "ResourceInUseException"


def test_unknown_streams_shards_and_iterators_are_aws_errors(aws, unique_name):
    """DynamoDB Streams API reference (GetShardIterator, GetRecords): unknown streams and shards are
    ResourceNotFoundException, a malformed iterator or a sequence number outside the shard a
    ValidationException -- moto answered 500 or handed out an iterator for a stream that does not exist."""
    ddb, streams = aws.client("dynamodb"), aws.client("dynamodbstreams")
    arn = _table(ddb, unique_name)
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "a"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    assert _code(streams.get_records, ShardIterator="x" * 40) == "ValidationException"
    assert _code(streams.get_shard_iterator, StreamArn=arn + "0", ShardId=shard,
                 ShardIteratorType="TRIM_HORIZON") == "ResourceNotFoundException"
    assert _code(streams.get_shard_iterator, StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                 ShardIteratorType="TRIM_HORIZON") == "ResourceNotFoundException"
    assert _code(streams.get_shard_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                 SequenceNumber="1" * 21) == "ValidationException"
    assert _code(streams.describe_stream,
                 StreamArn=f"arn:aws:dynamodb:us-east-1:123456789012:table/{unique_name}-none/stream/2024-01-01T00:00:00"
                 ) == "ResourceNotFoundException"


def test_ttl_deletes_expired_items_with_a_service_remove_record(aws, unique_name):
    """Developer Guide, "Time to Live (TTL)": items whose TTL attribute (a Number of epoch seconds) is in the
    past are deleted by the service, and the stream's REMOVE record carries ``userIdentity`` of type Service,
    principal dynamodb.amazonaws.com. Items without the attribute, or with a non-number one, stay. A second
    UpdateTimeToLive with the same setting is a ValidationException."""
    ddb, streams = aws.client("dynamodb"), aws.client("dynamodbstreams")
    arn = _table(ddb, unique_name, view="OLD_IMAGE")
    ddb.update_time_to_live(TableName=unique_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert _code(ddb.update_time_to_live, TableName=unique_name,
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}) == "ValidationException"
    now = int(time.time())
    for pk, value in (("expired", {"N": str(now - 60)}), ("future", {"N": str(now + 3600)}),
                      ("text", {"S": str(now - 60)})):
        ddb.put_item(TableName=unique_name, Item={"pk": {"S": pk}, "exp": value})
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "no-ttl"}})
    wait_for(lambda: "Item" not in ddb.get_item(TableName=unique_name, Key={"pk": {"S": "expired"}}), timeout=15)
    assert sorted(i["pk"]["S"] for i in ddb.scan(TableName=unique_name)["Items"]) == ["future", "no-ttl", "text"]
    removes = [r for r in _records(streams, arn)["Records"] if r["eventName"] == "REMOVE"]
    assert len(removes) == 1
    assert removes[0]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert removes[0]["dynamodb"]["OldImage"]["pk"] == {"S": "expired"}


def test_stream_records_name_the_table_region(aws, unique_name):
    """DynamoDB Streams API reference, "Record": ``awsRegion`` is the region of the table the change happened
    in (moto wrote us-east-1 whatever the region)."""
    ddb = aws.client("dynamodb", region_name="eu-west-1")
    streams = aws.client("dynamodbstreams", region_name="eu-west-1")
    arn = _table(ddb, unique_name)
    ddb.put_item(TableName=unique_name, Item={"pk": {"S": "a"}})
    assert [r["awsRegion"] for r in _records(streams, arn)["Records"]] == ["eu-west-1"]
