"""Streaming ingestion as AWS's developer guides show it: Kinesis Data Streams tagging and resharding, Firehose
server-side encryption, DynamoDB export to S3, and Lambda event filtering on Kinesis, DynamoDB Streams and SQS.

Each test follows one AWS page (named in its docstring) and checks what a new user would look at: the response
fields, the error codes, and the data that arrives.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.helpers.awslambda import package
from tests.helpers.waiting import wait_for

from .response_shapes import checked_responses  # noqa: F401  (autouse)

ROLE = "arn:aws:iam::123456789012:role/streaming-docs"


def _code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def bucket(aws):
    s3 = aws.client("s3")
    name = f"streaming-docs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    return name


def test_kinesis_tags_on_streams_and_consumers(aws):
    """Kinesis Data Streams developer guide, "Tag your Amazon Kinesis Data Streams resources" (tagging.html) and
    the API reference of CreateStream (Tags), TagResource, UntagResource and ListTagsForResource."""
    kinesis = aws.client("kinesis")
    name = f"tags-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1, Tags={"project": "dea", "env": "dev"})
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}, {"Key": "project", "Value": "dea"}]
    kinesis.tag_resource(ResourceARN=arn, Tags={"owner": "data-team"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["env"])
    by_name = kinesis.list_tags_for_stream(StreamName=name)
    assert {t["Key"]: t["Value"] for t in by_name["Tags"]} == {"project": "dea", "owner": "data-team"}
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="efo-app",
                                                Tags={"app": "efo"})["Consumer"]
    assert kinesis.list_tags_for_resource(ResourceARN=consumer["ConsumerARN"])["Tags"] == [
        {"Key": "app", "Value": "efo"}]
    with pytest.raises(ClientError) as missing:
        kinesis.list_tags_for_resource(ResourceARN=arn + "-missing")
    assert _code(missing) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as twice:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert _code(twice) == "ResourceInUseException" and f"Stream {name} under account" in str(twice.value)
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def test_kinesis_resharded_stream_read_to_the_end(aws):
    """Kinesis Data Streams developer guide, "Resharding a stream" and "Handle data persistence after resharding"
    (kinesis-using-sdk-java-after-resharding): PutRecords with an ExplicitHashKey, SplitShard, the parent read to
    its end gives ChildShards and no NextShardIterator, and MergeShards names both parents."""
    kinesis = aws.client("kinesis")
    name = f"reshard-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    put = kinesis.put_records(StreamName=name, Records=[
        {"Data": b'{"n": 1}', "PartitionKey": "a"},
        {"Data": b'{"n": 2}', "PartitionKey": "b", "ExplicitHashKey": str(2**127)}])
    assert put["FailedRecordCount"] == 0 and len(put["Records"]) == 2
    assert all(r["ShardId"] == "shardId-000000000000" and r["SequenceNumber"] for r in put["Records"])
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    children = [s for s in shards if s.get("ParentShardId") == "shardId-000000000000"]
    assert len(children) == 2 and "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    after = kinesis.put_record(StreamName=name, Data=b'{"n": 3}', PartitionKey="c", ExplicitHashKey=str(2**127))
    assert after["ShardId"] == max(c["ShardId"] for c in children)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = kinesis.get_records(ShardIterator=iterator)
    assert [json.loads(r["Data"])["n"] for r in page["Records"]] == [1, 2]
    assert "NextShardIterator" not in page
    assert sorted(c["ShardId"] for c in page["ChildShards"]) == sorted(c["ShardId"] for c in children)
    low, high = sorted(children, key=lambda c: int(c["HashKeyRange"]["StartingHashKey"]))
    kinesis.merge_shards(StreamName=name, ShardToMerge=low["ShardId"], AdjacentShardToMerge=high["ShardId"])
    merged = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(merged) == 1 and merged[0]["AdjacentParentShardId"] == high["ShardId"]
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    scaled = kinesis.update_shard_count(StreamARN=arn, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert scaled == {**scaled, "StreamName": name, "StreamARN": arn, "CurrentShardCount": 1, "TargetShardCount": 2}
    assert len(kinesis.list_shards(StreamARN=arn, ShardFilter={"Type": "AT_LATEST"})["Shards"]) == 2
    kinesis.delete_stream(StreamName=name)


def test_firehose_server_side_encryption(aws, bucket):
    """Amazon Data Firehose developer guide, "Data protection in Amazon Data Firehose" (encryption) and the API
    reference of StartDeliveryStreamEncryption / StopDeliveryStreamEncryption / PutRecordBatch (Encrypted)."""
    firehose, kms, kinesis = aws.client("firehose"), aws.client("kms"), aws.client("kinesis")
    name = f"sse-{uuid.uuid4().hex[:8]}"
    destination = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "sse/",
                   "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}
    firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=destination)
    describe = firehose.describe_delivery_stream
    assert describe(DeliveryStreamName=name)["DeliveryStreamDescription"][
        "DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED"
    assert firehose.put_record(DeliveryStreamName=name, Record={"Data": b"plain\n"})["Encrypted"] is False
    key = kms.create_key(Description="firehose sse")["KeyMetadata"]["Arn"]
    firehose.start_delivery_stream_encryption(DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key})
    sse = describe(DeliveryStreamName=name)["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]
    assert sse == {"KeyARN": key, "KeyType": "CUSTOMER_MANAGED_CMK", "Status": "ENABLED"}
    assert firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"secret\n"}])["Encrypted"] is True
    firehose.stop_delivery_stream_encryption(DeliveryStreamName=name)
    assert describe(DeliveryStreamName=name)["DeliveryStreamDescription"][
        "DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED"
    for wrong, code in (({"KeyType": "CUSTOMER_MANAGED_CMK"}, "InvalidArgumentException"),
                        ({"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key.rsplit("/", 1)[0] + "/missing"},
                         "InvalidKMSResourceException"),
                        ({"KeyType": "AWS_OWNED_CMK", "KeyARN": key}, "InvalidArgumentException")):
        with pytest.raises(ClientError) as refused:
            firehose.start_delivery_stream_encryption(DeliveryStreamName=name,
                                                      DeliveryStreamEncryptionConfigurationInput=wrong)
        assert _code(refused) == code, wrong
    created = f"{name}-on"
    firehose.create_delivery_stream(DeliveryStreamName=created, ExtendedS3DestinationConfiguration=destination,
                                    DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    assert describe(DeliveryStreamName=created)["DeliveryStreamDescription"][
        "DeliveryStreamEncryptionConfiguration"] == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    source = f"{name}-src"
    kinesis.create_stream(StreamName=source, ShardCount=1)
    source_arn = kinesis.describe_stream_summary(StreamName=source)["StreamDescriptionSummary"]["StreamARN"]
    firehose.create_delivery_stream(DeliveryStreamName=source, DeliveryStreamType="KinesisStreamAsSource",
                                    KinesisStreamSourceConfiguration={"KinesisStreamARN": source_arn,
                                                                      "RoleARN": ROLE},
                                    ExtendedS3DestinationConfiguration=destination)
    kinesis_source = describe(DeliveryStreamName=source)["DeliveryStreamDescription"]["Source"][
        "KinesisStreamSourceDescription"]
    assert kinesis_source["KinesisStreamARN"] == source_arn and kinesis_source["DeliveryStartTimestamp"]
    with pytest.raises(ClientError) as not_direct_put:
        firehose.start_delivery_stream_encryption(DeliveryStreamName=source,
                                                  DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    assert _code(not_direct_put) == "InvalidArgumentException"
    for stream in (name, created, source):
        firehose.delete_delivery_stream(DeliveryStreamName=stream)
    kinesis.delete_stream(StreamName=source)


def test_dynamodb_export_to_s3(aws, bucket):
    """DynamoDB developer guide, "DynamoDB data export to Amazon S3: how it works" and "Requesting a table export"
    (S3DataExport): PITR must be on, the export runs asynchronously and writes the documented
    AWSDynamoDB/<export id>/ layout with manifest-summary.json, manifest-files.json and data/*.json.gz."""
    dynamodb, s3 = aws.client("dynamodb"), aws.client("s3")
    table = f"orders-{uuid.uuid4().hex[:8]}"
    arn = dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    for i in range(3):
        dynamodb.put_item(TableName=table, Item={"id": {"S": f"o{i}"}, "total": {"N": str(10 * i)}})
    with pytest.raises(ClientError) as no_pitr:
        dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="exports")
    assert _code(no_pitr) == "PointInTimeRecoveryUnavailableException"
    dynamodb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    started = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="exports",
                                                     ExportFormat="DYNAMODB_JSON")["ExportDescription"]
    export_arn = started["ExportArn"]
    assert export_arn.startswith(f"{arn}/export/") and started["ExportStatus"] in ("IN_PROGRESS", "COMPLETED")

    def finished():
        description = dynamodb.describe_export(ExportArn=export_arn)["ExportDescription"]
        return description if description["ExportStatus"] != "IN_PROGRESS" else None

    done = wait_for(finished)
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 3
    summary = json.loads(s3.get_object(Bucket=bucket, Key=done["ExportManifest"])["Body"].read())
    assert summary["exportArn"] == export_arn and summary["itemCount"] == 3
    files = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=summary["manifestFilesS3Key"])[
        "Body"].read().decode().splitlines()]
    items = []
    for entry in files:
        body = s3.get_object(Bucket=bucket, Key=entry["dataFileS3Key"])["Body"].read()
        items += [json.loads(line)["Item"] for line in gzip.decompress(body).decode().splitlines()]
    assert sorted(item["id"]["S"] for item in items) == ["o0", "o1", "o2"]
    assert {"id": {"S": "o2"}, "total": {"N": "20"}} in items
    summaries = dynamodb.list_exports(TableArn=arn)["ExportSummaries"]
    assert [s["ExportArn"] for s in summaries] == [export_arn]
    assert export_arn in [s["ExportArn"] for s in dynamodb.list_exports()["ExportSummaries"]]
    with pytest.raises(ClientError) as unknown:
        dynamodb.describe_export(ExportArn=f"{arn}/export/01234567890123-abcdef01")
    assert _code(unknown) == "ExportNotFoundException"


FILTER_HANDLER = '''
import base64, json, os, time
import boto3

def value(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    if "dynamodb" in record:
        return record["eventName"] + ":" + record["dynamodb"]["Keys"]["id"]["S"]
    return record["body"]

def main(event, context):
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=f"filtered/{time.time_ns()}.json",
                                  Body=json.dumps([value(r) for r in event["Records"]]))
'''


def _pattern(pattern: dict) -> dict:
    return {"Filters": [{"Pattern": json.dumps(pattern)}]}


def test_lambda_event_filtering_on_kinesis_dynamodb_and_sqs(aws, bucket):
    """Lambda developer guide, "Control which events Lambda sends to your function" (invocation-eventfiltering),
    "Using event filtering with a Kinesis event source", "... with a DynamoDB event source" and "... with an
    Amazon SQS event source": only matching records reach the function; the others are dropped."""
    kinesis, dynamodb, sqs = aws.client("kinesis"), aws.client("dynamodb"), aws.client("sqs")
    awslambda, iam, s3 = aws.client("lambda"), aws.client("iam"), aws.client("s3")
    suffix = uuid.uuid4().hex[:8]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = iam.create_role(RoleName=f"filtering-{suffix}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    function = awslambda.create_function(FunctionName=f"filtering-{suffix}", Runtime="python3.12", Role=role,
                                         Handler="recorder.main", Timeout=60,
                                         Code={"ZipFile": package({"recorder.py": FILTER_HANDLER})},
                                         Environment={"Variables": {"BUCKET": bucket}})["FunctionName"]
    stream = f"orders-{suffix}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    table = dynamodb.create_table(
        TableName=f"customers-{suffix}", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    queue_url = sqs.create_queue(QueueName=f"jobs-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    with pytest.raises(ClientError) as bad_pattern:
        awslambda.create_event_source_mapping(FunctionName=function, EventSourceArn=stream_arn,
                                              StartingPosition="TRIM_HORIZON",
                                              FilterCriteria={"Filters": [{"Pattern": "{not json"}]})
    assert _code(bad_pattern) == "InvalidParameterValueException"

    mapping = awslambda.create_event_source_mapping(
        FunctionName=function, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON", BatchSize=10,
        FilterCriteria=_pattern({"data": {"order": {"type": ["buy"]}}}))
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == {"data": {"order": {"type": ["buy"]}}}
    awslambda.create_event_source_mapping(
        FunctionName=function, EventSourceArn=table["LatestStreamArn"], StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"], "dynamodb": {
            "NewImage": {"tier": {"S": ["gold"]}}}})}, {"Pattern": json.dumps({"eventName": ["REMOVE"]})}]})
    # an enhanced fan-out consumer as the source (Lambda guide, "Using Lambda with Kinesis": stream consumers)
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="lambda-efo")["Consumer"]
    efo = awslambda.create_event_source_mapping(FunctionName=function, EventSourceArn=consumer["ConsumerARN"],
                                                StartingPosition="LATEST", FilterCriteria=_pattern({"data": {
                                                    "efo": [True]}}))
    assert efo["EventSourceArn"] == consumer["ConsumerARN"]
    with pytest.raises(ClientError) as no_consumer:
        awslambda.create_event_source_mapping(FunctionName=function, StartingPosition="LATEST",
                                              EventSourceArn=consumer["ConsumerARN"] + "0")
    assert _code(no_consumer) == "ResourceNotFoundException"
    for wrong in ({"StartingPosition": "LATEST"}, {"BatchSize": 50}):  # SQS: no position; > 10 needs a window
        with pytest.raises(ClientError) as refused:
            awslambda.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn, **wrong)
        assert _code(refused) == "InvalidParameterValueException", wrong
    awslambda.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn, BatchSize=10,
                                          FilterCriteria=_pattern({"body": {"priority": [{"numeric": [">", 5]}]}}))

    for order in ({"order": {"type": "buy", "id": 1}}, {"order": {"type": "sell", "id": 2}}, "not json",
                  {"order": {"type": "buy", "id": 3}}, {"efo": True}):
        data = order if isinstance(order, str) else json.dumps(order, separators=(",", ":"))
        kinesis.put_record(StreamName=stream, Data=data.encode(), PartitionKey="p")
    customers = table["TableName"]
    dynamodb.put_item(TableName=customers, Item={"id": {"S": "c1"}, "tier": {"S": "gold"}})
    dynamodb.put_item(TableName=customers, Item={"id": {"S": "c2"}, "tier": {"S": "silver"}})
    dynamodb.put_item(TableName=customers, Item={"id": {"S": "c1"}, "tier": {"S": "gold"}, "v": {"N": "2"}})
    dynamodb.delete_item(TableName=customers, Key={"id": {"S": "c2"}})
    for body in ('{"priority": 9, "job": "a"}', '{"priority": 1, "job": "b"}', "plain text"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    def received():
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="filtered/").get("Contents", [])]
        values = sorted(v for k in keys for v in json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
        return values if len(values) >= 6 else None

    expected = sorted(['{"order":{"type":"buy","id":1}}', '{"order":{"type":"buy","id":3}}', "INSERT:c1",
                       "REMOVE:c2", '{"priority": 9, "job": "a"}', '{"efo":true}'])
    assert wait_for(received, timeout=60) == expected
    # the messages no filter matched are deleted from the queue, as Lambda does
    attributes = wait_for(lambda: (lambda a: a if a["ApproximateNumberOfMessages"] == "0" and a[
        "ApproximateNumberOfMessagesNotVisible"] == "0" else None)(sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]), timeout=20)
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert received() == expected  # nothing else arrived meanwhile


def test_dynamodb_kinesis_streaming_destination(aws):
    """DynamoDB developer guide, "Change data capture for Kinesis Data Streams with DynamoDB" (kds) and "Getting
    started with Kinesis Data Streams for DynamoDB": enable the destination, write items, read the change
    records (INSERT/MODIFY/REMOVE with images) from the Kinesis stream; a cancelled transaction puts none."""
    dynamodb, kinesis = aws.client("dynamodb"), aws.client("kinesis")
    suffix = uuid.uuid4().hex[:8]
    table, stream = f"music-{suffix}", f"music-changes-{suffix}"
    dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"},
                                                      {"AttributeName": "SongTitle", "KeyType": "RANGE"}],
                          AttributeDefinitions=[{"AttributeName": "Artist", "AttributeType": "S"},
                                                {"AttributeName": "SongTitle", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    with pytest.raises(ClientError) as missing_stream:
        dynamodb.enable_kinesis_streaming_destination(TableName=table, StreamArn=stream_arn + "-missing")
    assert _code(missing_stream) == "ResourceNotFoundException"
    enabled = dynamodb.enable_kinesis_streaming_destination(TableName=table, StreamArn=stream_arn)
    assert enabled["DestinationStatus"] == "ENABLING" and enabled["StreamArn"] == stream_arn
    described = wait_for(lambda: (lambda d: d if d[0]["DestinationStatus"] == "ACTIVE" else None)(
        dynamodb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"]))
    assert described[0]["StreamArn"] == stream_arn

    song = {"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}}
    dynamodb.put_item(TableName=table, Item={**song, "Year": {"N": "2020"}})
    dynamodb.put_item(TableName=table, Item={**song, "Year": {"N": "2020"}})  # no change: no record
    dynamodb.update_item(TableName=table, Key=song, UpdateExpression="SET #y = :y",
                         ExpressionAttributeNames={"#y": "Year"}, ExpressionAttributeValues={":y": {"N": "2021"}})
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"Artist": {"S": "Acme"}, "SongTitle": {"S": "Never"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"Artist": {"S": "x"}, "SongTitle": {"S": "y"}},
                                "ConditionExpression": "attribute_exists(Artist)"}}])
    dynamodb.delete_item(TableName=table, Key=song)

    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = [json.loads(r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    assert insert["tableName"] == table and insert["eventSource"] == "aws:dynamodb"
    assert insert["recordFormat"] == "application/json" and insert["dynamodb"]["Keys"] == song
    assert "OldImage" not in insert["dynamodb"] and insert["dynamodb"]["NewImage"]["Year"] == {"N": "2020"}
    assert modify["dynamodb"]["OldImage"]["Year"] == {"N": "2020"}
    assert modify["dynamodb"]["NewImage"]["Year"] == {"N": "2021"}
    assert "NewImage" not in remove["dynamodb"] and remove["dynamodb"]["OldImage"]["Year"] == {"N": "2021"}
    assert isinstance(insert["dynamodb"]["ApproximateCreationDateTime"], int)

    disabled = dynamodb.disable_kinesis_streaming_destination(TableName=table, StreamArn=stream_arn)
    assert disabled["DestinationStatus"] == "DISABLING"
    dynamodb.put_item(TableName=table, Item=song)
    assert len(kinesis.get_records(ShardIterator=iterator)["Records"]) == 3
    assert dynamodb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"][0][
        "DestinationStatus"] == "DISABLED"
    kinesis.delete_stream(StreamName=stream)


def test_kinesis_enhanced_fan_out_subscription(aws):
    """Kinesis Data Streams developer guide, "Develop enhanced fan-out consumers with the Kinesis Data Streams
    API" (building-enhanced-consumers-api): RegisterStreamConsumer, DescribeStreamConsumer by ConsumerARN,
    SubscribeToShard's event stream, re-subscribing with the ContinuationSequenceNumber, DeregisterStreamConsumer."""
    kinesis = aws.client("kinesis")
    name = f"efo-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    for i in range(3):
        kinesis.put_record(StreamName=name, Data=json.dumps({"i": i}).encode(), PartitionKey="p")
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="dashboard")["Consumer"]
    assert consumer["ConsumerARN"].startswith(f"{arn}/consumer/dashboard:")
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
    assert described["ConsumerStatus"] == "ACTIVE" and described["StreamARN"] == arn

    def subscribe(position: dict) -> list[dict]:
        answer = kinesis.subscribe_to_shard(ConsumerARN=consumer["ConsumerARN"], ShardId="shardId-000000000000",
                                            StartingPosition=position)
        return [event["SubscribeToShardEvent"] for event in answer["EventStream"]]

    first = subscribe({"Type": "TRIM_HORIZON"})
    assert [json.loads(r["Data"])["i"] for e in first for r in e["Records"]] == [0, 1, 2]
    continuation = first[-1]["ContinuationSequenceNumber"]
    kinesis.put_record(StreamName=name, Data=b'{"i": 3}', PartitionKey="p")
    resumed = subscribe({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": continuation})
    assert [json.loads(r["Data"])["i"] for e in resumed for r in e["Records"]] == [3]
    assert [r for e in subscribe({"Type": "LATEST"}) for r in e["Records"]] == []
    with pytest.raises(ClientError) as unknown:
        kinesis.subscribe_to_shard(ConsumerARN=consumer["ConsumerARN"] + "0", ShardId="shardId-000000000000",
                                   StartingPosition={"Type": "LATEST"})
    assert _code(unknown) == "ResourceNotFoundException"
    kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == []
    kinesis.delete_stream(StreamName=name)


def test_dynamodb_transactions_idempotency_and_cancellation_reasons(aws):
    """DynamoDB developer guide, "Amazon DynamoDB Transactions: How it works" (transaction-apis): a
    ClientRequestToken makes TransactWriteItems idempotent for 10 minutes (the same token with other items is
    IdempotentParameterMismatchException); a failed condition cancels the whole transaction with
    CancellationReasons in item order, the failed one carrying the item with ReturnValuesOnConditionCheckFailure."""
    dynamodb = aws.client("dynamodb")
    table = f"accounts-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "alice"}, "balance": {"N": "100"}})
    deposit = [{"Update": {"TableName": table, "Key": {"id": {"S": "alice"}}, "UpdateExpression": "ADD balance :d",
                           "ExpressionAttributeValues": {":d": {"N": "10"}}}}]
    token = uuid.uuid4().hex
    dynamodb.transact_write_items(TransactItems=deposit, ClientRequestToken=token)
    dynamodb.transact_write_items(TransactItems=deposit, ClientRequestToken=token)  # a retry: not applied again
    balance = dynamodb.get_item(TableName=table, Key={"id": {"S": "alice"}})["Item"]["balance"]
    assert balance == {"N": "110"}
    with pytest.raises(ClientError) as mismatch:
        dynamodb.transact_write_items(TransactItems=[{"Put": {
            "TableName": table, "Item": {"id": {"S": "bob"}}}}], ClientRequestToken=token)
    assert _code(mismatch) == "IdempotentParameterMismatchException"

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"id": {"S": "carol"}, "balance": {"N": "5"}},
                     "ConditionExpression": "attribute_not_exists(id)"}},
            {"Update": {"TableName": table, "Key": {"id": {"S": "alice"}}, "UpdateExpression": "ADD balance :w",
                        "ConditionExpression": "balance >= :amount", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        "ExpressionAttributeValues": {":w": {"N": "-500"}, ":amount": {"N": "500"}}}}])
    assert _code(cancelled) == "TransactionCanceledException"
    reasons = cancelled.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"] == {"id": {"S": "alice"}, "balance": {"N": "110"}}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"id": {"S": "carol"}})


TRANSFORM = '''
import base64, json

def lambda_handler(event, context):
    output = []
    for record in event["records"]:
        payload = json.loads(base64.b64decode(record["data"]))
        if payload["n"] % 3 == 0:
            output.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
        elif payload["n"] % 3 == 1:
            payload["processed"] = True
            data = base64.b64encode((json.dumps(payload) + "\\n").encode()).decode()
            output.append({"recordId": record["recordId"], "result": "Ok", "data": data})
        else:
            output.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
    return {"records": output}
'''


def test_firehose_lambda_transformation_and_error_output(aws, bucket):
    """Amazon Data Firehose developer guide, "Transform source data in Amazon Data Firehose" (data-transformation:
    the recordId/result/data contract, Ok/Dropped/ProcessingFailed), "Handle data transformation failure" and
    "Understand custom prefixes for Amazon S3 objects" (!{firehose:error-output-type} in ErrorOutputPrefix),
    with zero buffering (IntervalInSeconds 0)."""
    firehose, awslambda, iam, s3 = aws.client("firehose"), aws.client("lambda"), aws.client("iam"), aws.client("s3")
    suffix = uuid.uuid4().hex[:8]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = iam.create_role(RoleName=f"transform-{suffix}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = {"ZipFile": package({"lambda_function.py": TRANSFORM})}
    function_arn = awslambda.create_function(FunctionName=f"transform-{suffix}", Runtime="python3.12", Role=role,
                                             Handler="lambda_function.lambda_handler", Timeout=60,
                                             Code=code)["FunctionArn"]
    name = f"transform-{suffix}"
    for wrong in ([{"ParameterName": "BufferSizeInMBs", "ParameterValue": "10"}],
                  [{"ParameterName": "LambdaArn", "ParameterValue": function_arn},
                   {"ParameterName": "NumberOfRetries", "ParameterValue": "500"}]):
        with pytest.raises(ClientError) as refused:
            firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "ProcessingConfiguration": {
                    "Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": wrong}]}})
        assert _code(refused) == "InvalidArgumentException", wrong
    firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": f"{name}/data/",
        "ErrorOutputPrefix": f"{name}/errors/!{{firehose:error-output-type}}/",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": f"{function_arn}:$LATEST"},
            {"ParameterName": "NumberOfRetries", "ParameterValue": "0"}]}]}})
    answer = firehose.put_record_batch(DeliveryStreamName=name,
                                       Records=[{"Data": json.dumps({"n": n}).encode()} for n in range(6)])
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 6

    def delivered():
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{name}/").get("Contents", [])]
        return keys if len(keys) == 2 else None

    keys = wait_for(delivered)
    data = next(k for k in keys if k.startswith(f"{name}/data/"))
    errors = next(k for k in keys if k.startswith(f"{name}/errors/processing-failed/"))
    lines = s3.get_object(Bucket=bucket, Key=data)["Body"].read().decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"n": 1, "processed": True}, {"n": 4, "processed": True}]
    failed = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=errors)["Body"].read().splitlines()]
    assert sorted(json.loads(base64.b64decode(f["rawData"]))["n"] for f in failed) == [2, 5]
    for document in failed:
        assert document["errorCode"] == "Lambda.ProcessingFailedStatus"
        assert document["lambdaArn"] == f"{function_arn}:$LATEST"
        assert {"attemptsMade", "arrivalTimestamp", "errorMessage", "attemptEndingTimestamp"} <= set(document)
    firehose.delete_delivery_stream(DeliveryStreamName=name)


def test_firehose_parquet_conversion_reads_json_keys_as_the_deserializer_does(aws, bucket):
    """Amazon Data Firehose developer guide, "Convert input data format in Amazon Data Firehose" and the API
    reference of OpenXJsonSerDe: Glue column names are lower case and the OpenX JSON SerDe matches JSON keys
    case-insensitively by default, ColumnToJsonKeyMappings renames a key and ConvertDotsInJsonKeysToUnderscores
    turns ``a.b`` into ``a_b``."""
    import pyarrow.parquet as pq

    firehose, glue, s3 = aws.client("firehose"), aws.client("glue"), aws.client("s3")
    suffix = uuid.uuid4().hex[:8]
    database, name = f"streaming_{suffix}", f"parquet-{suffix}"
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput={"Name": "trades", "StorageDescriptor": {
        "Columns": [{"Name": "tickersymbol", "Type": "string"}, {"Name": "price", "Type": "double"},
                    {"Name": "trade_ts", "Type": "string"}, {"Name": "venue_name", "Type": "string"}],
        "Location": f"s3://{bucket}/{name}/"}})
    firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": f"{name}/",
        "ErrorOutputPrefix": f"{name}-errors/", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
        "DataFormatConversionConfiguration": {
            "Enabled": True,
            "SchemaConfiguration": {"DatabaseName": database, "TableName": "trades", "RoleARN": ROLE},
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {
                "ColumnToJsonKeyMappings": {"trade_ts": "timestamp"}, "ConvertDotsInJsonKeysToUnderscores": True}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}}}})
    records = [{"TickerSymbol": "AMZN", "Price": 181.5, "timestamp": "2024-05-01T10:00:00Z", "venue.name": "X"},
               {"TICKERSYMBOL": "MSFT", "price": 410.0, "timestamp": "2024-05-01T10:00:01Z", "venue.name": "Y"}]
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": json.dumps(r).encode()} for r in records])
    key = wait_for(lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{name}/").get(
        "Contents", [])], timeout=30)[0]
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    assert table.to_pylist() == [
        {"tickersymbol": "AMZN", "price": 181.5, "trade_ts": "2024-05-01T10:00:00Z", "venue_name": "X"},
        {"tickersymbol": "MSFT", "price": 410.0, "trade_ts": "2024-05-01T10:00:01Z", "venue_name": "Y"}]
    firehose.delete_delivery_stream(DeliveryStreamName=name)


def test_kinesis_server_side_encryption_and_retention(aws):
    """Kinesis Data Streams developer guide, "Data protection in Amazon Kinesis Data Streams" (server-side
    encryption with StartStreamEncryption) and "Change the data retention period": records written while the
    stream is encrypted report EncryptionType KMS in PutRecord and GetRecords; retention is 24 to 8760 hours."""
    kinesis = aws.client("kinesis")
    name = f"sse-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    assert kinesis.put_record(StreamName=name, Data=b"before", PartitionKey="p")["EncryptionType"] == "NONE"
    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "KMS" and summary["KeyId"] == "alias/aws/kinesis"
    assert kinesis.put_record(StreamName=name, Data=b"after", PartitionKey="p")["EncryptionType"] == "KMS"
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [(r["Data"], r.get("EncryptionType", "NONE")) for r in records] == [(b"before", "NONE"), (b"after", "KMS")]
    with pytest.raises(ClientError) as no_key:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/does-not-exist")
    assert _code(no_key) == "KMSNotFoundException"
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=168)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"] == 168
    with pytest.raises(ClientError) as too_long:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=9000)
    assert _code(too_long) == "InvalidArgumentException"
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    kinesis.delete_stream(StreamName=name)


def test_dynamodb_stream_records_one_insert_for_an_update_that_creates_the_item(aws):
    """DynamoDB developer guide, "Change data capture for DynamoDB Streams" (Streams.html): each item-level
    modification appears once in the stream; an UpdateItem on a key that does not exist yet is one INSERT
    with the final NewImage, a later UpdateItem a MODIFY with both images."""
    dynamodb, streams = aws.client("dynamodb"), aws.client("dynamodbstreams")
    table = f"counters-{uuid.uuid4().hex[:8]}"
    arn = dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"][
        "LatestStreamArn"]
    for value in ("1", "2"):
        dynamodb.update_item(TableName=table, Key={"id": {"S": "page"}}, UpdateExpression="SET hits = :h",
                             ExpressionAttributeValues={":h": {"N": value}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [(r["eventName"], r["dynamodb"]["NewImage"]["hits"]["N"]) for r in records] == [
        ("INSERT", "1"), ("MODIFY", "2")]
    assert records[1]["dynamodb"]["OldImage"]["hits"] == {"N": "1"}
    assert all(r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb" for r in records)
