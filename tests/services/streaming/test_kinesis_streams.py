"""Kinesis Data Streams as AWS answers: resharding with parent/child shards, validation errors, filters."""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


def _read_all(kinesis, iterator):
    records = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator)
        records += page["Records"]
        if not page["Records"]:
            return records, page
        iterator = page.get("NextShardIterator")
    return records, page


def test_split_keeps_parent_records_and_routes_new_records_to_children(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=unique_name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    for i in range(3):
        kinesis.put_record(StreamName=unique_name, Data=f"old-{i}".encode(), PartitionKey=str(i))
    kinesis.split_shard(StreamName=unique_name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    low = kinesis.put_record(StreamName=unique_name, Data=b"new-low", PartitionKey="a", ExplicitHashKey="5")
    high = kinesis.put_record(StreamName=unique_name, Data=b"new-high", PartitionKey="a",
                              ExplicitHashKey=str(2**128 - 1))  # the very last hash key has a shard too
    assert {low["ShardId"], high["ShardId"]} == {"shardId-000000000001", "shardId-000000000002"}

    parent = kinesis.get_shard_iterator(StreamName=unique_name, ShardId="shardId-000000000000",
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records, last_page = _read_all(kinesis, parent)
    assert [r["Data"] for r in records] == [b"old-0", b"old-1", b"old-2"]
    # a closed shard read to its end: no next iterator, the children named
    assert "NextShardIterator" not in last_page
    assert {c["ShardId"] for c in last_page["ChildShards"]} == {"shardId-000000000001", "shardId-000000000002"}

    open_only = kinesis.list_shards(StreamName=unique_name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"] for s in open_only] == ["shardId-000000000001", "shardId-000000000002"]
    everything = kinesis.list_shards(StreamName=unique_name, ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    assert len(everything) == 3 and "EndingSequenceNumber" in everything[0]["SequenceNumberRange"]
    summary = kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2

    kinesis.merge_shards(StreamName=unique_name, ShardToMerge="shardId-000000000001",
                         AdjacentShardToMerge="shardId-000000000002")
    merged = kinesis.list_shards(StreamName=unique_name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [(s["ShardId"], s["ParentShardId"], s["AdjacentParentShardId"]) for s in merged] == [
        ("shardId-000000000003", "shardId-000000000001", "shardId-000000000002")]
    assert _code(kinesis.merge_shards, StreamName=unique_name, ShardToMerge="shardId-000000000001",
                 AdjacentShardToMerge="shardId-000000000002") == "InvalidArgumentException"


def test_update_shard_count_limits_and_result(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=2)
    assert kinesis.update_shard_count(StreamName=unique_name, TargetShardCount=3,
                                      ScalingType="UNIFORM_SCALING")["CurrentShardCount"] == 2
    shards = kinesis.list_shards(StreamName=unique_name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(shards) == 3
    ranges = sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
                    for s in shards)
    assert ranges[0][0] == 0 and ranges[-1][1] == 2**128 - 1
    assert all(a[1] + 1 == b[0] for a, b in zip(ranges, ranges[1:]))  # no gap, no overlap
    assert _code(kinesis.update_shard_count, StreamName=unique_name, TargetShardCount=10,
                 ScalingType="UNIFORM_SCALING") == "LimitExceededException"


def test_record_validation_errors_are_aws_shaped(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    big = b"x" * (1024 * 1024 + 1)
    assert _code(kinesis.put_record, StreamName=unique_name, Data=big, PartitionKey="k") == "ValidationException"
    assert _code(kinesis.put_records, StreamName=unique_name,
                 Records=[{"Data": b"ok", "PartitionKey": "k"}, {"Data": big, "PartitionKey": "k"}]
                 ) == "ValidationException"
    assert _code(kinesis.put_record, StreamName=unique_name, Data=b"x", PartitionKey="k" * 257
                 ) == "ValidationException"
    assert _code(kinesis.put_record, StreamName=unique_name, Data=b"x", PartitionKey="k",
                 ExplicitHashKey="not-a-number") == "ValidationException"
    assert _code(kinesis.put_record, StreamName=unique_name, Data=b"x", PartitionKey="k",
                 ExplicitHashKey=str(2**128)) == "InvalidArgumentException"
    assert _code(kinesis.put_record, StreamName="no-such-stream", Data=b"x", PartitionKey="k"
                 ) == "ResourceNotFoundException"
    shard = "shardId-000000000000"
    assert _code(kinesis.get_shard_iterator, StreamName=unique_name, ShardId=shard,
                 ShardIteratorType="AT_TIMESTAMP") == "InvalidArgumentException"
    assert _code(kinesis.get_shard_iterator, StreamName=unique_name, ShardId=shard,
                 ShardIteratorType="AFTER_SEQUENCE_NUMBER") == "InvalidArgumentException"
    assert _code(kinesis.get_records, ShardIterator="not-an-iterator") == "InvalidArgumentException"
    # nothing half-written: the stream is still empty
    iterator = kinesis.get_shard_iterator(StreamName=unique_name, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []


def test_iterators_by_arn_and_timestamp(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.put_record(StreamARN=arn, Data=b"before", PartitionKey="k")
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(milliseconds=200)
    import time
    time.sleep(0.5)
    kinesis.put_record(StreamARN=arn, Data=b"after", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(StreamARN=arn, ShardId="shardId-000000000000",
                                          ShardIteratorType="AT_TIMESTAMP", Timestamp=moment)["ShardIterator"]
    page = kinesis.get_records(ShardIterator=iterator, StreamARN=arn)
    assert [r["Data"] for r in page["Records"]] == [b"after"]
    assert page["MillisBehindLatest"] == 0 and page["NextShardIterator"]


def test_stream_without_shard_count_is_on_demand_and_encryption_needs_a_real_key(aws, unique_name):
    kinesis, kms = aws.client("kinesis"), aws.client("kms")
    kinesis.create_stream(StreamName=unique_name)
    summary = kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert _code(kinesis.update_shard_count, StreamName=unique_name, TargetShardCount=2,
                 ScalingType="UNIFORM_SCALING") == "ValidationException"
    assert _code(kinesis.start_stream_encryption, StreamName=unique_name, EncryptionType="KMS",
                 KeyId="alias/no-such-key") == "KMSNotFoundException"
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kinesis.start_stream_encryption(StreamName=unique_name, EncryptionType="KMS", KeyId=key)
    put = kinesis.put_record(StreamName=unique_name, Data=b"secret", PartitionKey="k")
    assert put["EncryptionType"] == "KMS"
    assert kinesis.put_records(StreamName=unique_name, Records=[{"Data": b"s", "PartitionKey": "k"}]
                               )["EncryptionType"] == "KMS"


def test_consumers_on_a_missing_stream_and_duplicates(aws, unique_name):
    kinesis = aws.client("kinesis")
    missing = f"arn:aws:kinesis:us-east-1:123456789012:stream/{unique_name}-missing"
    assert _code(kinesis.register_stream_consumer, StreamARN=missing, ConsumerName="c"
                 ) == "ResourceNotFoundException"
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")
    assert _code(kinesis.register_stream_consumer, StreamARN=arn, ConsumerName="c") == "ResourceInUseException"


def test_list_shards_pages_with_a_token_bound_to_the_stream_and_filter(aws, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=4)
    kinesis.split_shard(StreamName=unique_name, ShardToSplit="shardId-000000000002",
                        NewStartingHashKey=str(2**127 + 2**125))  # shard 2 closes, shards 4 and 5 open
    open_ids = [f"shardId-00000000000{i}" for i in (0, 1, 3, 4, 5)]

    first = kinesis.list_shards(StreamName=unique_name, ShardFilter={"Type": "AT_LATEST"}, MaxResults=2)
    pages, token = [first["Shards"]], first["NextToken"]
    while token:  # the token alone names the stream and the filter, as on AWS
        page = kinesis.list_shards(NextToken=token, MaxResults=2)
        pages.append(page["Shards"])
        token = page.get("NextToken")
    assert [[s["ShardId"] for s in p] for p in pages] == [open_ids[:2], open_ids[2:4], open_ids[4:]]
    rest = kinesis.list_shards(StreamName=unique_name, ExclusiveStartShardId="shardId-000000000003")
    assert [s["ShardId"] for s in rest["Shards"]] == open_ids[3:] and "NextToken" not in rest
    capped = kinesis.list_shards(StreamName=unique_name, MaxResults=10000)  # up to 1000 a call
    assert len(capped["Shards"]) == 6 and "NextToken" not in capped

    # the token stands for the stream and the filter: naming them again is refused, as AWS does
    for extra in ({"StreamName": unique_name}, {"ShardFilter": {"Type": "AT_LATEST"}},
                  {"ExclusiveStartShardId": "shardId-000000000001"}):
        assert _code(kinesis.list_shards, NextToken=first["NextToken"], **extra) == "InvalidArgumentException"
    # tokens ListShards did not give out: garbled, ours with a broken scope, another listing's (Glue's)
    for bad in ("garbled", "a2luZXNpczpsaXN0X3NoYXJkczp4OjI", "Z2x1ZTpnZXRfZGF0YWJhc2VzOjE"):
        assert _code(kinesis.list_shards, NextToken=bad) == "InvalidArgumentException"
    # the token is bound to its stream: once the stream is gone, so is the listing
    kinesis.delete_stream(StreamName=unique_name)
    assert _code(kinesis.list_shards, NextToken=first["NextToken"]) == "ResourceNotFoundException"


def test_describe_stream_pages_by_exclusive_start_shard_id_and_names_the_mode(aws, unique_name):
    """AWS API reference, Kinesis "DescribeStream": ``StreamModeDetails`` is part of ``StreamDescription``, and a
    stream with more shards than ``Limit`` is read page by page with ``ExclusiveStartShardId`` (the last shard
    of the page before) while ``HasMoreShards`` is true. moto ignored the start shard: that loop never ended."""
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=5)
    shards, start, pages = [], None, 0
    while True:
        kwargs = {"ExclusiveStartShardId": start} if start else {}
        page = kinesis.describe_stream(StreamName=unique_name, Limit=2, **kwargs)["StreamDescription"]
        shards += [s["ShardId"] for s in page["Shards"]]
        pages += 1
        assert pages <= 3
        if not page["HasMoreShards"]:
            break
        start = page["Shards"][-1]["ShardId"]
    assert len(shards) == len(set(shards)) == 5
    assert page["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}


def test_delete_stream_with_consumers_needs_enforce_consumer_deletion(aws, unique_name):
    """AWS API reference, Kinesis "DeleteStream": with registered consumers and without
    ``EnforceConsumerDeletion``, the call fails with ResourceInUseException."""
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    assert _code(kinesis.delete_stream, StreamName=unique_name) == "ResourceInUseException"
    assert kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]["StreamStatus"]
    kinesis.delete_stream(StreamName=unique_name, EnforceConsumerDeletion=True)
    assert _code(kinesis.describe_stream, StreamName=unique_name) == "ResourceNotFoundException"


def test_list_streams_pages_with_next_token_and_the_paginator_reads_them_all(aws, unique_name):
    """AWS API reference, Kinesis "ListStreams": ``Limit``, ``NextToken`` while ``HasMoreStreams``, and
    ``StreamSummaries`` of the streams of the page. moto gave no NextToken (boto3's paginator stopped after the
    first page), summaries of every stream on every page, and a 500 for an ExclusiveStartStreamName it did
    not know."""
    kinesis = aws.client("kinesis")
    names = [f"{unique_name}-{i}" for i in range(5)]
    for name in names:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    listed = []
    for page in kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 2}):
        assert [s["StreamName"] for s in page["StreamSummaries"]] == page["StreamNames"]
        listed += page["StreamNames"]
    assert [n for n in listed if n.startswith(unique_name)] == names
    after = kinesis.list_streams(ExclusiveStartStreamName=names[1], Limit=2)
    assert after["StreamNames"][:2] == names[2:4] and after["HasMoreStreams"]
    rest = kinesis.list_streams(NextToken=after["NextToken"], Limit=100)["StreamNames"]
    assert rest[:1] == names[4:]
    assert kinesis.list_streams(ExclusiveStartStreamName=f"{unique_name}-zzz")["StreamNames"] == [
        n for n in kinesis.list_streams(Limit=10000)["StreamNames"] if n > f"{unique_name}-zzz"]


def test_deregistering_a_consumer_removes_only_that_consumer(aws, unique_name):
    """AWS API reference, Kinesis "DeregisterStreamConsumer" and "DescribeStreamSummary" (``ConsumerCount``):
    moto, given the stream ARN and a consumer name, removed every *other* consumer and kept that one."""
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]["StreamARN"]
    for name in ("a", "b", "c"):
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=name)
    assert kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]["ConsumerCount"] == 3
    kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="b")
    assert sorted(c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]) == ["a", "c"]
    assert _code(kinesis.deregister_stream_consumer, StreamARN=arn, ConsumerName="b") == "ResourceNotFoundException"


def test_a_shard_iterator_expires(tmp_path, monkeypatch):
    """AWS API reference, Kinesis "GetShardIterator": "A shard iterator expires 5 minutes after it is returned
    to the requester"; GetRecords then answers ExpiredIteratorException. The lifetime is shortened here
    (``SANDBOX_KINESIS_ITERATOR_SECONDS``) so the test need not wait 5 minutes; a NextShardIterator is fresh."""
    import time

    from tests.helpers.cloud import PrivateCloud

    monkeypatch.setenv("SANDBOX_KINESIS_ITERATOR_SECONDS", "1")
    cloud = PrivateCloud(tmp_path / "state")
    cloud.up()
    try:
        kinesis = cloud.client("kinesis")
        kinesis.create_stream(StreamName="expiring", ShardCount=1)
        kinesis.put_record(StreamName="expiring", Data=b"x", PartitionKey="k")
        iterator = kinesis.get_shard_iterator(StreamName="expiring", ShardId="shardId-000000000000",
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        page = kinesis.get_records(ShardIterator=iterator)
        assert [r["Data"] for r in page["Records"]] == [b"x"]
        fresh = kinesis.get_records(ShardIterator=page["NextShardIterator"])["NextShardIterator"]
        time.sleep(1.3)
        assert _code(kinesis.get_records, ShardIterator=iterator) == "ExpiredIteratorException"
        assert _code(kinesis.get_records, ShardIterator=fresh) == "ExpiredIteratorException"
    finally:
        cloud.down()
