"""Lambda event source mappings for Kinesis, DynamoDB Streams and SQS, as the Lambda developer guide sets them up.

Each handler records every batch it receives as one S3 object (the values in order and whether it failed), so
the tests see exactly which records reached the function, in which batches and how often.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest

from tests.helpers.waiting import wait_for

from .response_shapes import checked_responses  # noqa: F401  (autouse)

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"Service": "lambda.amazonaws.com"}}]}

# fails a batch holding "poison"; with REPORT set, reports the first "retry-me" record once (then accepts it)
HANDLER = '''
import base64, json, os, time
import boto3

s3 = boto3.client("s3")


def value_of(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    if "dynamodb" in record:
        return record["eventName"] + ":" + record["dynamodb"]["Keys"]["id"]["S"]
    return record["body"]


def identifier(record):
    if "kinesis" in record:
        return record["kinesis"]["sequenceNumber"]
    if "dynamodb" in record:
        return record["dynamodb"]["SequenceNumber"]
    return record["messageId"]


def main(event, context):
    bucket, prefix = os.environ["BUCKET"], os.environ["PREFIX"]
    values = [value_of(r) for r in event["Records"]]
    failed = any(v == "poison" or v.endswith(":poison") for v in values)  # a record or a DynamoDB key
    answer = {"batchItemFailures": []}
    for record, value in zip(event["Records"], values):
        if value == "retry-me" and os.environ.get("REPORT"):
            marker = f"{prefix}-marker/{identifier(record)}"
            if "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=marker):
                s3.put_object(Bucket=bucket, Key=marker, Body=b"seen")
                answer["batchItemFailures"].append({"itemIdentifier": identifier(record)})
        if value == "bad" and os.environ.get("REPORT"):
            answer["batchItemFailures"].append({"itemIdentifier": identifier(record)})
    s3.put_object(Bucket=bucket, Key=f"{prefix}/{time.time_ns()}.json",
                  Body=json.dumps({"values": values, "failed": failed,
                                   "reported": [f["itemIdentifier"] for f in answer["batchItemFailures"]]}))
    if failed:
        raise ValueError("a poison record")
    return answer
'''


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("recorder.py", HANDLER)
    return buffer.getvalue()


def make_function(clients, name: str, bucket: str, report: bool = False) -> str:
    iam, awslambda = clients("iam"), clients("lambda")
    try:
        role = iam.get_role(RoleName="conformance-esm")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="conformance-esm", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    variables = {"BUCKET": bucket, "PREFIX": name, **({"REPORT": "1"} if report else {})}
    return awslambda.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="recorder.main",
                                     Code={"ZipFile": handler_zip()}, Timeout=30,
                                     Environment={"Variables": variables})["FunctionArn"]


def batches(s3, bucket: str, name: str) -> list[dict]:
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{name}/").get("Contents", []))
    return [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]


def delivered(s3, bucket: str, name: str) -> list[str]:
    return [v for b in batches(s3, bucket, name) if not b["failed"] for v in b["values"]]


def make_stream(kinesis, name: str) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def put(kinesis, name: str, values: list[str]) -> None:
    for value in values:  # one PutRecord each, so the order is the order of the calls
        kinesis.put_record(StreamName=name, Data=value.encode(), PartitionKey="k")


@pytest.mark.slow
def test_kinesis_mapping_batches_in_order_from_trim_horizon_and_latest(aws, s3_bucket, unique_name):
    """Lambda developer guide, "Tutorial: Using Lambda with Kinesis Data Streams" (with-kinesis-example) and
    "Lambda parameters for Kinesis event source mappings" (services-kinesis-parameters): BatchSize,
    StartingPosition TRIM_HORIZON and LATEST."""
    kinesis, awslambda, s3 = aws.client("kinesis"), aws.client("lambda"), aws.client("s3")
    arn = make_stream(kinesis, unique_name)
    put(kinesis, unique_name, [f"r{i}" for i in range(7)])
    oldest, latest = f"{unique_name}-oldest", f"{unique_name}-latest"
    make_function(aws.client, oldest, s3_bucket)
    make_function(aws.client, latest, s3_bucket)
    mapping = awslambda.create_event_source_mapping(FunctionName=oldest, EventSourceArn=arn, BatchSize=3,
                                                    StartingPosition="TRIM_HORIZON")
    assert mapping["BatchSize"] == 3 and mapping["StartingPosition"] == "TRIM_HORIZON"
    awslambda.create_event_source_mapping(FunctionName=latest, EventSourceArn=arn, StartingPosition="LATEST")
    wait_for(lambda: len(delivered(s3, s3_bucket, oldest)) == 7, timeout=60)
    assert [b["values"] for b in batches(s3, s3_bucket, oldest)] == [["r0", "r1", "r2"], ["r3", "r4", "r5"], ["r6"]]
    put(kinesis, unique_name, ["new1", "new2"])
    wait_for(lambda: len(delivered(s3, s3_bucket, latest)) == 2, timeout=60)
    wait_for(lambda: len(delivered(s3, s3_bucket, oldest)) == 9, timeout=60)
    assert delivered(s3, s3_bucket, latest) == ["new1", "new2"]
    assert delivered(s3, s3_bucket, oldest)[-2:] == ["new1", "new2"]


@pytest.mark.slow
def test_kinesis_bisect_and_on_failure_destination(aws, s3_bucket, unique_name):
    """Lambda developer guide, "Retain discarded batch records for a Kinesis Data Streams event source"
    (kinesis-on-failure-destination): BisectBatchOnFunctionError isolates the bad record, MaximumRetryAttempts
    bounds its retries, and the OnFailure SQS queue gets AWS's invocation record with KinesisBatchInfo."""
    kinesis, awslambda, s3, sqs = aws.client("kinesis"), aws.client("lambda"), aws.client("s3"), aws.client("sqs")
    arn = make_stream(kinesis, unique_name)
    queue_url = sqs.create_queue(QueueName=f"{unique_name}-failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(aws.client, unique_name, s3_bucket)
    put(kinesis, unique_name, ["a", "b", "poison", "c"])
    sequence = {r["Data"].decode(): r["SequenceNumber"] for r in kinesis.get_records(ShardIterator=kinesis.get_shard_iterator(
        StreamName=unique_name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"]}
    awslambda.create_event_source_mapping(
        FunctionName=unique_name, EventSourceArn=arn, BatchSize=4, StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    wait_for(lambda: delivered(s3, s3_bucket, unique_name) == ["a", "b", "c"], timeout=60)
    attempts = [b["values"] for b in batches(s3, s3_bucket, unique_name)]
    # the whole batch, then its halves: "a", "b" succeed and are checkpointed; the failing half is split until
    # the bad record is alone; it is retried once (the retry splits the remaining records again), then discarded
    assert attempts[:4] == [["a", "b", "poison", "c"], ["a", "b"], ["poison", "c"], ["poison"]]
    assert attempts.count(["poison"]) == 2 and attempts[-1] == ["c"]
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages"))
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn and info["shardId"] == "shardId-000000000000"
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence["poison"]


@pytest.mark.slow
def test_kinesis_report_batch_item_failures_retries_from_the_failed_record(aws, s3_bucket, unique_name):
    """Lambda developer guide, "Configuring partial batch response with Kinesis Data Streams and Lambda"
    (services-kinesis-batchfailurereporting): the batch is retried from the reported sequence number."""
    kinesis, awslambda, s3 = aws.client("kinesis"), aws.client("lambda"), aws.client("s3")
    arn = make_stream(kinesis, unique_name)
    make_function(aws.client, unique_name, s3_bucket, report=True)
    put(kinesis, unique_name, ["x1", "x2", "retry-me", "x4"])
    awslambda.create_event_source_mapping(FunctionName=unique_name, EventSourceArn=arn, BatchSize=10,
                                          StartingPosition="TRIM_HORIZON",
                                          FunctionResponseTypes=["ReportBatchItemFailures"])
    wait_for(lambda: len(batches(s3, s3_bucket, unique_name)) >= 2, timeout=60)
    time.sleep(1.5)
    assert [b["values"] for b in batches(s3, s3_bucket, unique_name)] == [["x1", "x2", "retry-me", "x4"],
                                                                           ["retry-me", "x4"]]


@pytest.mark.slow
def test_dynamodb_stream_mapping(aws, s3_bucket, unique_name):
    """Lambda developer guide, "Tutorial: Using Lambda with Amazon DynamoDB streams" (with-ddb-example):
    a table with a stream, a mapping from TRIM_HORIZON, INSERT/MODIFY/REMOVE records in batches."""
    dynamodb, awslambda, s3 = aws.client("dynamodb"), aws.client("lambda"), aws.client("s3")
    table = dynamodb.create_table(
        TableName=unique_name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    make_function(aws.client, unique_name, s3_bucket)
    dynamodb.put_item(TableName=unique_name, Item={"id": {"S": "1"}, "v": {"N": "1"}})
    dynamodb.put_item(TableName=unique_name, Item={"id": {"S": "2"}, "v": {"N": "1"}})
    awslambda.create_event_source_mapping(FunctionName=unique_name, EventSourceArn=table["LatestStreamArn"],
                                          BatchSize=2, StartingPosition="TRIM_HORIZON")
    dynamodb.put_item(TableName=unique_name, Item={"id": {"S": "1"}, "v": {"N": "2"}})
    dynamodb.delete_item(TableName=unique_name, Key={"id": {"S": "2"}})
    wait_for(lambda: len(delivered(s3, s3_bucket, unique_name)) == 4, timeout=60)
    assert delivered(s3, s3_bucket, unique_name) == ["INSERT:1", "INSERT:2", "MODIFY:1", "REMOVE:2"]
    sent = [b["values"] for b in batches(s3, s3_bucket, unique_name)]
    assert sent[0] == ["INSERT:1", "INSERT:2"] and all(len(values) <= 2 for values in sent)


@pytest.mark.slow
def test_sqs_mapping_batching_window_partial_failures_and_dead_letter_queue(aws, s3_bucket, unique_name):
    """Lambda developer guide, "Using Lambda with Amazon SQS" (with-sqs), "Handling errors for an SQS event
    source" and partial batch responses (services-sqs-errorhandling): MaximumBatchingWindowInSeconds gathers
    the messages into one batch; a reported failure stays on the queue and reaches its dead-letter queue."""
    sqs, awslambda, s3 = aws.client("sqs"), aws.client("lambda"), aws.client("s3")
    dlq_url = sqs.create_queue(QueueName=f"{unique_name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=unique_name, Attributes={
        "VisibilityTimeout": "1", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                                               "maxReceiveCount": "2"})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(aws.client, unique_name, s3_bucket, report=True)
    awslambda.create_event_source_mapping(FunctionName=unique_name, EventSourceArn=arn, BatchSize=10,
                                          MaximumBatchingWindowInSeconds=2,
                                          FunctionResponseTypes=["ReportBatchItemFailures"])
    for body in ("m1", "bad", "m3"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    first = wait_for(lambda: batches(s3, s3_bucket, unique_name), timeout=30)
    assert sorted(first[0]["values"]) == ["bad", "m1", "m3"]  # one batch, gathered by the window
    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages"), timeout=60)
    assert [m["Body"] for m in dead] == ["bad"]
    later = [b["values"] for b in batches(s3, s3_bucket, unique_name)[1:]]
    assert later and all(values == ["bad"] for values in later)  # m1 and m3 were deleted after the first batch


@pytest.mark.slow
def test_kinesis_checkpoint_survives_a_restart(restart_cloud, tmp_path):
    """Lambda developer guide, "How Lambda processes records from Kinesis Data Streams" (with-kinesis): the
    mapping keeps its place in each shard; after the sandbox restarts only new records are delivered."""
    clients = restart_cloud.client
    s3, kinesis, awslambda = clients("s3"), clients("kinesis"), clients("lambda")
    s3.create_bucket(Bucket="esm-restart")
    arn = make_stream(kinesis, "clicks")
    make_function(clients, "clicks-consumer", "esm-restart")
    put(kinesis, "clicks", ["before1", "before2"])
    awslambda.create_event_source_mapping(FunctionName="clicks-consumer", EventSourceArn=arn,
                                          StartingPosition="TRIM_HORIZON")
    wait_for(lambda: delivered(s3, "esm-restart", "clicks-consumer") == ["before1", "before2"], timeout=60)
    time.sleep(1.5)  # the checkpoint reaches the snapshot
    restart_cloud.restart()
    s3, kinesis = clients("s3"), clients("kinesis")
    put(kinesis, "clicks", ["after"])
    wait_for(lambda: delivered(s3, "esm-restart", "clicks-consumer") == ["before1", "before2", "after"], timeout=60)
    time.sleep(1.5)
    assert delivered(s3, "esm-restart", "clicks-consumer") == ["before1", "before2", "after"]


@pytest.mark.slow
def test_kinesis_at_timestamp_and_sns_on_failure_destination(aws, s3_bucket, unique_name):
    """Lambda developer guide, "Lambda parameters for Kinesis event source mappings" (StartingPosition
    AT_TIMESTAMP with StartingPositionTimestamp) and "Retain discarded batch records" with an SNS topic as the
    OnFailure destination (MaximumRetryAttempts 0: a failed batch is discarded at once)."""
    import datetime

    kinesis, awslambda, s3 = aws.client("kinesis"), aws.client("lambda"), aws.client("s3")
    sns, sqs = aws.client("sns"), aws.client("sqs")
    arn = make_stream(kinesis, unique_name)
    topic = sns.create_topic(Name=f"{unique_name}-failures")["TopicArn"]
    url = sqs.create_queue(QueueName=f"{unique_name}-inbox")["QueueUrl"]
    inbox = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox, Attributes={"RawMessageDelivery": "true"})
    make_function(aws.client, unique_name, s3_bucket)
    put(kinesis, unique_name, ["old1", "old2"])
    time.sleep(1.5)
    start = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.5)
    put(kinesis, unique_name, ["new1", "poison", "new2"])
    awslambda.create_event_source_mapping(
        FunctionName=unique_name, EventSourceArn=arn, StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=start, BatchSize=1, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": topic}})
    wait_for(lambda: delivered(s3, s3_bucket, unique_name) == ["new1", "new2"], timeout=60)
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"))
    info = json.loads(messages[0]["Body"])["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn
    assert [b["values"] for b in batches(s3, s3_bucket, unique_name)].count(["poison"]) == 1  # no retry


@pytest.mark.slow
def test_dynamodb_stream_failed_batch_goes_to_the_on_failure_queue(aws, s3_bucket, unique_name):
    """Lambda developer guide, "Configuring destinations for failed invocations" for DynamoDB Streams
    (services-dynamodb-errors): after MaximumRetryAttempts the batch is discarded and the SQS destination gets
    the invocation record with DDBStreamBatchInfo; later records are still delivered."""
    dynamodb, awslambda, s3, sqs = (aws.client(n) for n in ("dynamodb", "lambda", "s3", "sqs"))
    table = dynamodb.create_table(
        TableName=unique_name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    url = sqs.create_queue(QueueName=f"{unique_name}-failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(aws.client, unique_name, s3_bucket)
    dynamodb.put_item(TableName=unique_name, Item={"id": {"S": "poison"}})  # its record fails the handler
    awslambda.create_event_source_mapping(
        FunctionName=unique_name, EventSourceArn=table["LatestStreamArn"], StartingPosition="TRIM_HORIZON",
        BatchSize=1, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    dynamodb.put_item(TableName=unique_name, Item={"id": {"S": "fine"}})
    wait_for(lambda: delivered(s3, s3_bucket, unique_name) == ["INSERT:fine"], timeout=60)
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"), timeout=30)
    record = json.loads(messages[0]["Body"])
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == table["LatestStreamArn"]
    assert record["requestContext"]["approximateInvokeCount"] == 2  # the first try and one retry
