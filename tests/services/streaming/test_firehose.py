"""Firehose delivers as on AWS: buffering, prefixes, dynamic partitions, GZIP, Parquet, errors, Kinesis source."""

from __future__ import annotations

import functools
import gzip
import io
import json
import time

import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from tests.helpers.waiting import wait_for as shared_wait_for

ROLE = "arn:aws:iam::123456789012:role/firehose"


def objects(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


wait_for = functools.partial(shared_wait_for, timeout=20)


def create(firehose, name, bucket, **extended):
    config = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", **extended}
    firehose.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                                    ExtendedS3DestinationConfiguration=config)


@pytest.mark.slow
def test_size_hint_writes_one_object_then_interval_writes_the_rest(aws, s3_bucket, unique_name):
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    create(firehose, unique_name, s3_bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 4})
    record = json.dumps({"payload": "x" * 1000}).encode() + b"\n"
    per_batch = 500
    for _ in range(3):  # 1,500 records of ~1 KB: past the 1 MB size hint
        firehose.put_record_batch(DeliveryStreamName=unique_name, Records=[{"Data": record}] * per_batch)
    first = wait_for(lambda: objects(s3, s3_bucket), timeout=10)
    assert len(first) == 1
    key = first[0]
    now = time.gmtime()
    assert key.startswith(time.strftime("%Y/%m/%d/%H/", now))
    assert key.split("/")[-1].startswith(f"{unique_name}-1-")
    firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": record})
    time.sleep(1.0)
    assert len(objects(s3, s3_bucket)) == 1, "the interval has not passed yet"
    both = wait_for(lambda: objects(s3, s3_bucket) if len(objects(s3, s3_bucket)) == 2 else None, timeout=15)
    total = sum(s3.get_object(Bucket=s3_bucket, Key=k)["Body"].read().count(b"\n") for k in both)
    assert total == 3 * per_batch + 1  # every record delivered exactly once


def test_custom_prefix_and_gzip(aws, s3_bucket, unique_name):
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    create(firehose, unique_name, s3_bucket, Prefix="events/!{timestamp:yyyy}/!{timestamp:MM}/",
           ErrorOutputPrefix="errors/!{firehose:error-output-type}/", CompressionFormat="GZIP", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 1})
    firehose.put_record_batch(DeliveryStreamName=unique_name,
                              Records=[{"Data": f'{{"i": {i}}}\n'.encode()} for i in range(10)])
    key = wait_for(lambda: objects(s3, s3_bucket, "events/"))[0]
    assert key.startswith(time.strftime("events/%Y/%m/", time.gmtime())) and key.endswith(".gz")
    lines = gzip.decompress(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()).splitlines()
    assert [json.loads(line)["i"] for line in lines] == list(range(10))


def test_dynamic_partitioning_and_error_prefix(aws, s3_bucket, unique_name):
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    create(firehose, unique_name, s3_bucket,
           Prefix="clicks/customer=!{partitionKeyFromQuery:customer}/",
           ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
           BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 1},
           DynamicPartitioningConfiguration={"Enabled": True},
           ProcessingConfiguration={"Enabled": True, "Processors": [{"Type": "MetadataExtraction", "Parameters": [
               {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{customer: .customer_id | tostring}"},
               {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]})
    records = [{"customer_id": c, "page": p} for c in (1, 2) for p in ("home", "cart")]
    payloads = [json.dumps(r).encode() + b"\n" for r in records] + [b"not json at all\n"]
    firehose.put_record_batch(DeliveryStreamName=unique_name, Records=[{"Data": p} for p in payloads])
    wait_for(lambda: len(objects(s3, s3_bucket, "clicks/")) == 2 and objects(s3, s3_bucket, "errors/"))
    keys = objects(s3, s3_bucket, "clicks/")
    assert [k.split("/")[1] for k in keys] == ["customer=1", "customer=2"]
    for key in keys:
        customer = int(key.split("/")[1].split("=")[1])
        lines = s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read().splitlines()
        assert {json.loads(line)["customer_id"] for line in lines} == {customer} and len(lines) == 2
    error_key = objects(s3, s3_bucket, "errors/")[0]
    assert error_key.startswith("errors/partitioning-failed/")
    error = json.loads(s3.get_object(Bucket=s3_bucket, Key=error_key)["Body"].read())
    import base64

    assert base64.b64decode(error["rawData"]) == b"not json at all\n"


def test_parquet_conversion_with_a_glue_schema(aws, s3_bucket, unique_name):
    firehose, s3, glue = aws.client("firehose"), aws.client("s3"), aws.client("glue")
    glue.create_database(DatabaseInput={"Name": unique_name})
    glue.create_table(DatabaseName=unique_name, TableInput={"Name": "clicks", "StorageDescriptor": {
        "Columns": [{"Name": "event_id", "Type": "string"}, {"Name": "customer_id", "Type": "bigint"},
                    {"Name": "amount", "Type": "double"}, {"Name": "event_ts", "Type": "timestamp"}],
        "Location": f"s3://{s3_bucket}/parquet/"}})
    create(firehose, unique_name, s3_bucket, Prefix="parquet/", ErrorOutputPrefix="bad/",
           BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 1},
           DataFormatConversionConfiguration={
               "Enabled": True,
               "SchemaConfiguration": {"DatabaseName": unique_name, "TableName": "clicks", "RoleARN": ROLE,
                                       "Region": "us-east-1"},
               "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
               "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}}})
    good = [{"event_id": f"e{i}", "customer_id": i, "amount": i * 1.5, "event_ts": "2024-01-01T10:00:00Z"}
            for i in range(5)]
    payloads = [json.dumps(g).encode() for g in good] + [b'{"event_id": "x", "customer_id": "not a number"}']
    firehose.put_record_batch(DeliveryStreamName=unique_name, Records=[{"Data": p} for p in payloads])
    key = wait_for(lambda: objects(s3, s3_bucket, "parquet/"))[0]
    assert key.endswith(".parquet")
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()))
    assert table.column("customer_id").to_pylist() == list(range(5))
    assert str(table.schema.field("event_ts").type).startswith("timestamp")
    import duckdb

    clicks = table  # noqa: F841 (DuckDB reads the Arrow table by its variable name)
    total = duckdb.sql("SELECT sum(amount) FROM clicks").fetchall()[0][0]
    assert total == pytest.approx(sum(g["amount"] for g in good))
    bad = wait_for(lambda: objects(s3, s3_bucket, "bad/"))
    assert "format-conversion-failed" not in bad[0] or bad[0].startswith("bad/")
    error = json.loads(s3.get_object(Bucket=s3_bucket, Key=bad[0])["Body"].read())
    assert error["errorCode"] == "DataFormatConversion.MalformedData"


@pytest.mark.slow
def test_kinesis_stream_as_source(aws, s3_bucket, unique_name):
    kinesis, firehose, s3 = aws.client("kinesis"), aws.client("firehose"), aws.client("s3")
    kinesis.create_stream(StreamName=unique_name, ShardCount=2)
    arn = kinesis.describe_stream(StreamName=unique_name)["StreamDescription"]["StreamARN"]
    firehose.create_delivery_stream(
        DeliveryStreamName=unique_name, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{s3_bucket}",
                                            "Prefix": "from-kinesis/",
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}})
    for i in range(20):
        kinesis.put_record(StreamName=unique_name, Data=f'{{"n": {i}}}\n'.encode(), PartitionKey=f"k{i}")
    keys = wait_for(lambda: objects(s3, s3_bucket, "from-kinesis/"))
    time.sleep(2.5)
    keys = objects(s3, s3_bucket, "from-kinesis/")
    numbers = sorted(json.loads(line)["n"] for k in keys
                     for line in s3.get_object(Bucket=s3_bucket, Key=k)["Body"].read().splitlines())
    assert numbers == list(range(20))
    with pytest.raises(ClientError) as exc:
        firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": b"x"})
    assert exc.value.response["Error"]["Code"] == "InvalidArgumentException"


def test_unknown_stream(aws):
    with pytest.raises(ClientError) as exc:
        aws.client("firehose").put_record(DeliveryStreamName="nope", Record={"Data": b"x"})
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.slow
def test_buffered_records_survive_a_restart(private_cloud):
    s3, firehose = private_cloud.client("s3"), private_cloud.client("firehose")
    s3.create_bucket(Bucket="durable-firehose")
    create(firehose, "durable", "durable-firehose", BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 900})
    firehose.put_record_batch(DeliveryStreamName="durable",
                              Records=[{"Data": f"{i}\n".encode()} for i in range(25)])
    private_cloud.restart()  # the buffer is far from full: nothing was delivered yet
    s3 = private_cloud.client("s3")
    assert objects(s3, "durable-firehose") == []
    firehose = private_cloud.client("firehose")
    firehose.update_destination(
        DeliveryStreamName="durable", CurrentDeliveryStreamVersionId="1", DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}})
    keys = wait_for(lambda: objects(s3, "durable-firehose"))
    lines = s3.get_object(Bucket="durable-firehose", Key=keys[0])["Body"].read().split()
    assert sorted(int(x) for x in lines) == list(range(25))


def test_redshift_destination_copies_into_the_warehouse(aws, s3_bucket, unique_name):
    redshift, data, firehose = aws.client("redshift"), aws.client("redshift-data"), aws.client("firehose")
    redshift.create_cluster(ClusterIdentifier=unique_name, NodeType="ra3.xlplus", ClusterType="single-node",
                            MasterUsername="awsuser", MasterUserPassword="Sandbox-Passw0rd", DBName="dev")

    def run(sql):
        statement = data.execute_statement(ClusterIdentifier=unique_name, Database="dev", DbUser="awsuser", Sql=sql)
        return wait_for(lambda: (d := data.describe_statement(Id=statement["Id"]))["Status"] in ("FINISHED", "FAILED")
                        and d)

    assert run("CREATE TABLE events (event_id VARCHAR, amount DOUBLE PRECISION)")["Status"] == "FINISHED"
    firehose.create_delivery_stream(DeliveryStreamName=unique_name, RedshiftDestinationConfiguration={
        "RoleARN": ROLE, "ClusterJDBCURL": f"jdbc:redshift://{unique_name}.abc.us-east-1.redshift.amazonaws.com:5439/dev",
        "CopyCommand": {"DataTableName": "events", "DataTableColumns": "event_id,amount", "CopyOptions": "JSON 'auto'"},
        "Username": "awsuser", "Password": "Sandbox-Passw0rd",
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{s3_bucket}", "Prefix": "staging/",
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}}})
    firehose.put_record_batch(DeliveryStreamName=unique_name, Records=[
        {"Data": json.dumps({"event_id": f"e{i}", "amount": float(i)}).encode() + b"\n"} for i in range(4)])
    wait_for(lambda: objects(aws.client("s3"), s3_bucket, "staging/"))

    def loaded():
        described = run("SELECT COUNT(*), SUM(amount) FROM events")
        records = data.get_statement_result(Id=described["Id"])["Records"][0]
        return records if records[0]["longValue"] == 4 else None

    records = wait_for(loaded)
    assert records[1]["doubleValue"] == 6.0


@pytest.mark.slow
def test_kinesis_source_starts_at_latest(aws, s3_bucket, unique_name):
    kinesis, firehose, s3 = aws.client("kinesis"), aws.client("firehose"), aws.client("s3")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    kinesis.put_record(StreamName=unique_name, Data=b'{"before": true}\n', PartitionKey="k")
    arn = kinesis.describe_stream(StreamName=unique_name)["StreamDescription"]["StreamARN"]
    firehose.create_delivery_stream(
        DeliveryStreamName=unique_name, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{s3_bucket}",
                                            "Prefix": "latest/", "BufferingHints": {"IntervalInSeconds": 1}})
    kinesis.put_record(StreamName=unique_name, Data=b'{"after": true}\n', PartitionKey="k")
    keys = wait_for(lambda: objects(s3, s3_bucket, "latest/"))
    time.sleep(1.5)
    bodies = b"".join(s3.get_object(Bucket=s3_bucket, Key=k)["Body"].read() for k in objects(s3, s3_bucket, "latest/"))
    assert bodies == b'{"after": true}\n' and keys


def _unframe_snappy(body: bytes) -> bytes:
    """Read Snappy's framing format back (stream identifier, then compressed or raw chunks)."""
    import pyarrow as pa

    assert body[:10] == b"\xff\x06\x00\x00sNaPpY"
    out, pos = b"", 10
    while pos < len(body):
        kind, length = body[pos], int.from_bytes(body[pos + 1:pos + 4], "little")
        payload = body[pos + 8:pos + 4 + length]
        if kind == 0x00:
            size, shift, i = 0, 0, 0
            while True:  # the raw block starts with its uncompressed length as a varint
                size |= (payload[i] & 0x7F) << shift
                shift += 7
                i += 1
                if payload[i - 1] < 0x80:
                    break
            out += pa.decompress(payload, decompressed_size=size, codec="snappy", asbytes=True)
        else:
            out += payload
        pos += 4 + length
    return out


def _unblock_hadoop_snappy(body: bytes) -> bytes:
    import pyarrow as pa

    out, pos = b"", 0
    while pos < len(body):
        size = int.from_bytes(body[pos:pos + 4], "big")
        length = int.from_bytes(body[pos + 4:pos + 8], "big")
        out += pa.decompress(body[pos + 8:pos + 8 + length], decompressed_size=size, codec="snappy", asbytes=True)
        pos += 8 + length
    return out


def test_every_compression_format_is_delivered_and_readable(aws, s3_bucket, unique_name):
    import zipfile

    firehose, s3 = aws.client("firehose"), aws.client("s3")
    lines = [json.dumps({"i": i, "text": "repeat " * 20}).encode() + b"\n" for i in range(200)]
    readers = {"Snappy": (".snappy", _unframe_snappy), "HADOOP_SNAPPY": (".hsnappy", _unblock_hadoop_snappy),
               "ZIP": (".zip", lambda b: zipfile.ZipFile(io.BytesIO(b)).read(zipfile.ZipFile(io.BytesIO(b)).namelist()[0])),
               "UNCOMPRESSED": ("", lambda b: b)}
    for fmt in readers:
        create(firehose, f"{unique_name}-{fmt.lower()}", s3_bucket, Prefix=f"{fmt}/", CompressionFormat=fmt,
               BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
        firehose.put_record_batch(DeliveryStreamName=f"{unique_name}-{fmt.lower()}",
                                  Records=[{"Data": line} for line in lines])
    for fmt, (suffix, read) in readers.items():
        key = wait_for(lambda: objects(s3, s3_bucket, f"{fmt}/"))[0]
        assert key.endswith(suffix) if suffix else "." not in key.rsplit("-", 1)[-1]
        assert read(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()) == b"".join(lines), fmt


def test_orc_conversion(aws, s3_bucket, unique_name):
    import pyarrow.orc as orc

    firehose, s3, glue = aws.client("firehose"), aws.client("s3"), aws.client("glue")
    glue.create_database(DatabaseInput={"Name": unique_name})
    glue.create_table(DatabaseName=unique_name, TableInput={"Name": "t", "StorageDescriptor": {
        "Columns": [{"Name": "id", "Type": "int"}, {"Name": "name", "Type": "string"}]}})
    create(firehose, unique_name, s3_bucket, Prefix="orc/", ErrorOutputPrefix="bad/",
           BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 0},
           DataFormatConversionConfiguration={
               "Enabled": True,
               "SchemaConfiguration": {"DatabaseName": unique_name, "TableName": "t", "RoleARN": ROLE},
               "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
               "OutputFormatConfiguration": {"Serializer": {"OrcSerDe": {"Compression": "ZLIB"}}}})
    firehose.put_record_batch(DeliveryStreamName=unique_name,
                              Records=[{"Data": json.dumps({"id": i, "name": f"n{i}"}).encode()} for i in range(4)])
    key = wait_for(lambda: objects(s3, s3_bucket, "orc/"))[0]
    assert key.endswith(".orc")
    table = orc.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()))
    assert table.column("id").to_pylist() == [0, 1, 2, 3]


def test_lambda_transformation_with_a_missing_function_fails_into_the_error_prefix(aws, s3_bucket, unique_name):
    # transformations that run are tested in tests/services/awslambda/test_wiring.py
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:no-such-enrich-function"
    create(firehose, unique_name, s3_bucket, Prefix="ok/", ErrorOutputPrefix="failed/",
           BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0},
           ProcessingConfiguration={"Enabled": True, "Processors": [
               {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": arn}]}]})
    firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": b'{"a": 1}'})
    key = wait_for(lambda: objects(s3, s3_bucket, "failed/"))[0]
    error = json.loads(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read())
    assert error["errorCode"] == "Lambda.ResourceNotFound" and error["lambdaArn"] == arn
    assert "no-such-enrich-function" in error["errorMessage"]
    assert objects(s3, s3_bucket, "ok/") == []  # nothing delivered untransformed


def test_append_delimiter_processor(aws, s3_bucket, unique_name):
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    create(firehose, unique_name, s3_bucket, Prefix="d/", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0},
           ProcessingConfiguration={"Enabled": True, "Processors": [
               {"Type": "AppendDelimiterToRecord", "Parameters": [{"ParameterName": "Delimiter",
                                                                   "ParameterValue": "\\n"}]}]})
    firehose.put_record_batch(DeliveryStreamName=unique_name, Records=[{"Data": b'{"a":1}'}, {"Data": b'{"a":2}'}])
    key = wait_for(lambda: objects(s3, s3_bucket, "d/"))[0]
    assert s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == b'{"a":1}\n{"a":2}\n'


@pytest.mark.parametrize("extended, code", [
    ({"Prefix": "data/!{timestamp:yyyy}/"}, "InvalidArgumentException"),  # expressions need an error prefix
    ({"Prefix": "data/!{nope:x}/", "ErrorOutputPrefix": "e/"}, "InvalidArgumentException"),
    ({"Prefix": "data/!{firehose:error-output-type}/", "ErrorOutputPrefix": "e/"}, "InvalidArgumentException"),
    ({"Prefix": "c=!{partitionKeyFromQuery:c}/", "ErrorOutputPrefix": "e/"}, "InvalidArgumentException"),
    ({"BufferingHints": {"SizeInMBs": 200, "IntervalInSeconds": 60}}, "ValidationException"),
    ({"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 1000}}, "ValidationException"),
    ({"CompressionFormat": "GZIP", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
      "DataFormatConversionConfiguration": {"Enabled": True, "OutputFormatConfiguration": {
          "Serializer": {"ParquetSerDe": {}}}}}, "InvalidArgumentException"),
    ({"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60},
      "DataFormatConversionConfiguration": {"Enabled": True, "OutputFormatConfiguration": {
          "Serializer": {"ParquetSerDe": {}}}}}, "InvalidArgumentException"),
])
def test_destination_rules_as_aws(aws, s3_bucket, unique_name, extended, code):
    firehose = aws.client("firehose")
    with pytest.raises(ClientError) as exc:
        create(firehose, unique_name, s3_bucket, **extended)
    assert exc.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as missing:
        firehose.describe_delivery_stream(DeliveryStreamName=unique_name)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_record_and_batch_size_limits(aws, s3_bucket, unique_name):
    firehose = aws.client("firehose")
    create(firehose, unique_name, s3_bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    with pytest.raises(ClientError) as exc:
        firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": b"x" * (1024 * 1000 + 1)})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        firehose.put_record_batch(DeliveryStreamName=unique_name, Records=[{"Data": b"x" * 1_000_000}] * 5)
    assert exc.value.response["Error"]["Code"] == "InvalidArgumentException"
    with pytest.raises(ClientError) as exc:
        firehose.put_record_batch(DeliveryStreamName=unique_name, Records=[{"Data": b"x"}] * 501)
    # the model's list bound (500), checked before Firehose sees the request, as AWS's request validation does
    # ("1 validation error detected: Value '[...]' at 'records' failed to satisfy constraint: Member must have
    # length less than or equal to 500")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert "at 'records' failed to satisfy constraint" in exc.value.response["Error"]["Message"]


def test_update_destination_is_validated_and_rolled_back(aws, s3_bucket, unique_name):
    firehose = aws.client("firehose")
    create(firehose, unique_name, s3_bucket, Prefix="raw/")
    described = firehose.describe_delivery_stream(DeliveryStreamName=unique_name)["DeliveryStreamDescription"]
    with pytest.raises(ClientError) as exc:
        firehose.update_destination(DeliveryStreamName=unique_name,
                                    CurrentDeliveryStreamVersionId=described["VersionId"],
                                    DestinationId=described["Destinations"][0]["DestinationId"],
                                    ExtendedS3DestinationUpdate={"Prefix": "raw/!{timestamp:yyyy}/"})
    assert exc.value.response["Error"]["Code"] == "InvalidArgumentException"
    after = firehose.describe_delivery_stream(DeliveryStreamName=unique_name)["DeliveryStreamDescription"]
    assert after["VersionId"] == described["VersionId"]
    assert after["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"] == "raw/"


def test_dynamic_partitioning_with_the_documented_jq_time_functions(aws, s3_bucket, unique_name):
    """Firehose Developer Guide, "Understand partitioning keys" (inline parsing, jq 1.6): the sample record and
    its mapping ``year: .event_timestamp| strftime("%Y")``, ``month``/``day``/``hour`` likewise and
    ``device: .type.device``. The sandbox's jq subset knew only tostring and slices, so every record of that
    example went to the error output."""
    firehose, s3 = aws.client("firehose"), aws.client("s3")
    query = ('{customer_id: .customer_id, device: .type.device, year: .event_timestamp| strftime("%Y"), '
             'month: .event_timestamp| strftime("%m"), day: .event_timestamp| strftime("%d"), '
             'hour: .event_timestamp| strftime("%H")}')
    create(firehose, unique_name, s3_bucket,
           Prefix="data/customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/"
                  "year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/"
                  "day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/",
           ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
           BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 1},
           DynamicPartitioningConfiguration={"Enabled": True},
           ProcessingConfiguration={"Enabled": True, "Processors": [{"Type": "MetadataExtraction", "Parameters": [
               {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
               {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]})
    record = {"type": {"device": "mobile", "event": "user_clicked_submit_button"}, "customer_id": "1234567890",
              "event_timestamp": 1565382027, "region": "sample_region"}
    firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": json.dumps(record).encode() + b"\n"})
    keys = wait_for(lambda: objects(s3, s3_bucket, "data/"))
    assert keys[0].startswith("data/customer_id=1234567890/device=mobile/year=2019/month=08/day=09/hour=20/")
    assert objects(s3, s3_bucket, "errors/") == []


def test_describe_reports_the_s3_destination_defaults(aws, s3_bucket, unique_name):
    """AWS API reference, Firehose "DescribeDeliveryStream": an (Extended)S3DestinationDescription always holds
    BufferingHints, CompressionFormat and EncryptionConfiguration (required members); with none configured they
    are Firehose's defaults (5 MiB / 300 s, UNCOMPRESSED, NoEncryption). moto left them out."""
    firehose = aws.client("firehose")
    create(firehose, unique_name, s3_bucket, BufferingHints={"IntervalInSeconds": 60})
    destination = firehose.describe_delivery_stream(DeliveryStreamName=unique_name
                                                    )["DeliveryStreamDescription"]["Destinations"][0]
    extended = destination["ExtendedS3DestinationDescription"]
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 60}
    assert extended["CompressionFormat"] == "UNCOMPRESSED"
    assert extended["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}
    assert destination["S3DestinationDescription"]["CompressionFormat"] == "UNCOMPRESSED"


def test_timestamp_prefixes_take_java_patterns_time_zone_and_file_extension(aws, s3_bucket, unique_name):
    """Firehose Developer Guide, "Understand custom prefixes for Amazon S3 objects" and "Configure Amazon S3
    object name format": ``!{timestamp:...}`` takes Java DateTimeFormatter patterns, quoted literals included
    (``yyyy'-'MM'-'dd``), evaluated at the arrival of the oldest record in the object, in ``CustomTimeZone``;
    ``FileExtension`` replaces the default extension. The quotes used to land in the key as they were."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    firehose, s3 = aws.client("firehose"), aws.client("s3")
    create(firehose, unique_name, s3_bucket, Prefix="dt=!{timestamp:yyyy'-'MM'-'dd}/h=!{timestamp:HH}/",
           ErrorOutputPrefix="errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy'-'MM'-'dd}/",
           CompressionFormat="GZIP", FileExtension=".json.gz", CustomTimeZone="Asia/Tokyo",
           BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 1})
    before = dt.datetime.now(ZoneInfo("Asia/Tokyo"))
    firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": b'{"a": 1}\n'})
    key = wait_for(lambda: objects(s3, s3_bucket, "dt="))[0]
    assert key.startswith(before.strftime("dt=%Y-%m-%d/h=%H/")) or key.startswith(
        dt.datetime.now(ZoneInfo("Asia/Tokyo")).strftime("dt=%Y-%m-%d/h=%H/")), key
    assert key.endswith(".json.gz") and not key.endswith(".gz.gz")
    assert gzip.decompress(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()) == b'{"a": 1}\n'
