"""Exercises on streaming ingest: Kinesis Data Streams and Firehose."""

from __future__ import annotations

import json
import re

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import list_keys, lookup, need_bucket

NOTEBOOK = "notebooks/02_streaming_ingest.ipynb"


def check_stream(g: Grader) -> None:
    kinesis, name = g.client("kinesis"), "ex21-clicks"
    found = lookup(kinesis.describe_stream, StreamName=name)
    g.need(found, f"Kinesis stream {name} does not exist (kinesis.create_stream(StreamName='{name}', ShardCount=2))",
           f"stream {name} exists")
    description = found["StreamDescription"]
    g.need(description["StreamStatus"] == "ACTIVE", f"stream {name} is {description['StreamStatus']}, not ACTIVE")
    open_shards = [s for s in description["Shards"] if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    g.expect(len(open_shards) == 2, f"stream {name} has {len(open_shards)} open shard(s), not 2",
             "2 open shards")
    counts = {}
    for shard in open_shards:
        iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        total = 0
        for _ in range(50):   # bounded: at most 50 pages of 1,000 records per shard
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            total += len(page["Records"])
            iterator = page.get("NextShardIterator")
            if not page["Records"] or not iterator:
                break
        counts[shard["ShardId"]] = total
    records = sum(counts.values())
    g.expect(records >= 100, f"the stream holds {records} record(s); put at least 100 clickstream events",
             f"{records} records")
    g.expect(records and all(counts.values()), f"records per shard {counts}: with a good partition key "
                                               "(e.g. session_id) both shards receive records",
             "records spread over both shards")


def check_firehose(g: Grader) -> None:
    firehose, name = g.client("firehose"), "ex22-clicks-to-lake"
    found = lookup(firehose.describe_delivery_stream, DeliveryStreamName=name)
    g.need(found, f"Firehose delivery stream {name} does not exist (firehose.create_delivery_stream)",
           f"delivery stream {name} exists")
    description = found["DeliveryStreamDescription"]
    destinations = description.get("Destinations", [])
    s3_dest = (destinations[0].get("ExtendedS3DestinationDescription") or
               destinations[0].get("S3DestinationDescription") or {}) if destinations else {}
    g.need(s3_dest, f"{name} does not deliver to S3")
    g.expect(s3_dest.get("BucketARN") == "arn:aws:s3:::ex22-lake",
             f"{name} delivers to {s3_dest.get('BucketARN')}, not arn:aws:s3:::ex22-lake", "delivers to ex22-lake")
    g.expect(s3_dest.get("Prefix", "").startswith("clicks/"),
             f"the delivery prefix is {s3_dest.get('Prefix')!r}; it must start with clicks/", "prefix clicks/")
    g.expect(s3_dest.get("CompressionFormat") == "GZIP",
             f"compression is {s3_dest.get('CompressionFormat')}, not GZIP", "GZIP compressed")
    interval = s3_dest.get("BufferingHints", {}).get("IntervalInSeconds", 300)
    g.expect(interval <= 60, f"the buffer interval is {interval} s; deliver at least every 60 s",
             f"delivers every {interval} s")
    s3 = need_bucket(g, "ex22-lake")
    delivered = [o for o in list_keys(s3, "ex22-lake", "clicks/") if o["Size"] > 0]
    g.expect(delivered, "nothing delivered under s3://ex22-lake/clicks/ yet: put records and wait for the buffer "
                        "interval", f"{len(delivered)} object(s) delivered")
    if delivered:
        head = s3.get_object(Bucket="ex22-lake", Key=delivered[0]["Key"], Range="bytes=0-1")["Body"].read()
        g.expect(head == b"\x1f\x8b", f"{delivered[0]['Key']} is not gzip data", "objects are gzip")


def check_streaming_sql(g: Grader) -> None:
    kda, name = g.client("kinesisanalyticsv2"), "ex25-view-counter"
    # list, not describe: the sandbox answers DescribeApplication on an unknown name with InternalFailure
    names = [a["ApplicationName"] for a in kda.list_applications()["ApplicationSummaries"]]
    g.need(name in names, f"Kinesis Data Analytics application {name} does not exist "
                          "(kinesisanalyticsv2.create_application with RuntimeEnvironment='SQL-1_0')",
           f"application {name} exists")
    app = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
    g.expect(app.get("RuntimeEnvironment") == "SQL-1_0", f"{name} runs {app.get('RuntimeEnvironment')}, not a SQL "
                                                         "application (SQL-1_0)", "a SQL application")
    g.need(app.get("ApplicationStatus") == "RUNNING", f"{name} is {app.get('ApplicationStatus')}, not RUNNING "
                                                      "(start_application)", "RUNNING")
    code = (app.get("ApplicationConfigurationDescription", {}).get("ApplicationCodeConfigurationDescription", {})
            .get("CodeContentDescription", {}).get("TextContent", ""))
    window = re.search(r"STEP\s*\(|RANGE\s+INTERVAL|FLOOR\s*\(", code, re.I)
    g.expect(window, "the application's SQL has no time window (GROUP BY ... STEP(\"SOURCE_SQL_STREAM_001\".ROWTIME "
                     "BY INTERVAL '10' SECOND))", "aggregates in a time window")
    kinesis = g.client("kinesis")
    found = lookup(kinesis.describe_stream, StreamName="ex25-view-counts")
    g.need(found, "the output stream ex25-view-counts does not exist")
    rows = []
    for shard in found["StreamDescription"]["Shards"]:
        iterator = kinesis.get_shard_iterator(StreamName="ex25-view-counts", ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        rows += kinesis.get_records(ShardIterator=iterator, Limit=100)["Records"]
    g.need(rows, "ex25-view-counts holds no records: put view events into ex25-clicks-in while the application runs")
    try:
        first = json.loads(rows[0]["Data"])
    except ValueError:
        g.stop("the output records are not JSON (DestinationSchema RecordFormatType JSON)")
    g.expect({"product_id", "views"} <= set(first), f"output records have {sorted(first)}; expected product_id "
                                                    "and views", f"{len(rows)}+ windowed counts in ex25-view-counts")


def check_firehose_parquet_lambda(g: Grader) -> None:
    import io

    firehose, name = g.client("firehose"), "ex32-clicks-parquet"
    found = lookup(firehose.describe_delivery_stream, DeliveryStreamName=name)
    g.need(found, f"Firehose delivery stream {name} does not exist (firehose.create_delivery_stream with "
                  "ExtendedS3DestinationConfiguration)", f"delivery stream {name} exists")
    destinations = found["DeliveryStreamDescription"].get("Destinations", [])
    dest = (destinations[0].get("ExtendedS3DestinationDescription") or {}) if destinations else {}
    g.need(dest, f"{name} has no extended S3 destination (format conversion and Lambda processing need one)")
    g.expect(dest.get("BucketARN") == "arn:aws:s3:::ex32-lake" and dest.get("Prefix", "").startswith("clicks/"),
             f"{name} delivers to {dest.get('BucketARN')} prefix {dest.get('Prefix')!r}, not "
             "arn:aws:s3:::ex32-lake prefix clicks/", "delivers to s3://ex32-lake/clicks/")
    processing = dest.get("ProcessingConfiguration") or {}
    lambdas = [p for p in processing.get("Processors", []) if p.get("Type") == "Lambda"]
    arns = [x["ParameterValue"] for p in lambdas for x in p.get("Parameters", []) if x["ParameterName"] == "LambdaArn"]
    g.expect(processing.get("Enabled") and any(a.split(":function:")[-1].split(":")[0] == "ex32-normalise"
                                                for a in arns),
             f"{name} does not transform records with the Lambda function ex32-normalise (ProcessingConfiguration "
             f"Enabled with a Lambda processor; found {arns or 'none'})", "records go through ex32-normalise")
    conversion = dest.get("DataFormatConversionConfiguration") or {}
    serializer = (conversion.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
    schema = conversion.get("SchemaConfiguration") or {}
    g.expect(conversion.get("Enabled") and "ParquetSerDe" in serializer,
             f"{name} does not convert records to Parquet (DataFormatConversionConfiguration Enabled with a "
             "ParquetSerDe serializer)", "converts to Parquet")
    g.expect((schema.get("DatabaseName"), schema.get("TableName")) == ("ex32_lake", "clicks"),
             f"the conversion takes its schema from {schema.get('DatabaseName')}.{schema.get('TableName')}, not "
             "from the Glue table ex32_lake.clicks", "schema from ex32_lake.clicks")
    s3 = need_bucket(g, "ex32-lake")
    delivered = [o["Key"] for o in list_keys(s3, "ex32-lake", "clicks/") if o["Size"] > 0]
    g.need(delivered, "nothing delivered under s3://ex32-lake/clicks/ yet: put raw events and wait for the buffer")
    import pyarrow.parquet as pq

    rows, types, columns = 0, set(), set()
    for key in delivered[:20]:
        body = s3.get_object(Bucket="ex32-lake", Key=key)["Body"].read()
        if body[:4] != b"PAR1":
            g.stop(f"{key} is not Parquet (it does not start with PAR1)")
        table = pq.read_table(io.BytesIO(body))
        rows += table.num_rows
        columns |= set(table.column_names)
        if "event_type" in table.column_names:
            types |= set(table.column("event_type").to_pylist())
    g.expect({"event_id", "customer_id", "event_type", "event_ts"} <= columns,
             f"the Parquet files have the columns {sorted(columns)}, not those of ex32_lake.clicks: the Lambda "
             "function must rename the raw fields", "Parquet rows with the catalog's columns")
    g.expect(rows and types and all(isinstance(t, str) and t == t.lower() for t in types),
             f"event_type values {sorted(map(str, types))[:5]} are not lower case: the transformation did not run "
             "on every record", f"{rows} rows, event types normalised ({sorted(types)[:4]})")


EXERCISES = [
    Exercise(21, "kinesis-stream", "Kinesis Data Streams", "Ingest the clickstream into a 2-shard stream",
             "Create the Kinesis data stream `ex21-clicks` with 2 shards and put at least 100 clickstream events "
             "into it so that both shards receive records.",
             ("Kinesis Data Streams: shards, partition keys, capacity planning (1 MB/s or 1,000 records/s in "
              "per shard)", "ordering per shard"),
             ("kinesis.create_stream(ShardCount=2)", "put_records with PartitionKey = the session id"),
             check_stream, NOTEBOOK, ("kinesis",)),
    Exercise(22, "firehose-to-s3", "Amazon Data Firehose", "Load the stream into the lake with Firehose",
             "Create the delivery stream `ex22-clicks-to-lake` that writes events, GZIP-compressed, under "
             "`s3://ex22-lake/clicks/` at least every 60 seconds, and deliver some events.",
             ("Firehose: near-real-time loading into S3/Redshift/OpenSearch/Splunk", "buffering hints",
              "compression and format conversion"),
             ("firehose.create_delivery_stream(ExtendedS3DestinationConfiguration={... 'CompressionFormat': "
              "'GZIP', 'BufferingHints': {'IntervalInSeconds': 60, 'SizeInMBs': 5}})", "put_record_batch"),
             check_firehose, NOTEBOOK, ("firehose", "s3")),
    Exercise(25, "streaming-sql", "Kinesis Data Analytics for SQL (discontinued)", "Count views per product in real time with SQL",
             "Create the Kinesis Data Analytics SQL application `ex25-view-counter` that reads clickstream JSON from "
             "the stream `ex25-clicks-in` and writes, every 10 seconds, the number of `view` events per product "
             "(columns product_id, views) as JSON to the stream `ex25-view-counts`. Start it and send it events.",
             ("Kinesis Data Analytics: real-time SQL on streams", "tumbling vs sliding windows",
              "in-application streams and pumps"),
             ("kinesisanalyticsv2.create_application(RuntimeEnvironment='SQL-1_0', ...)",
              "CREATE OR REPLACE PUMP ... SELECT STREAM ... GROUP BY product_id, STEP(... BY INTERVAL '10' SECOND)"),
             check_streaming_sql, NOTEBOOK, ("kinesisanalyticsv2", "kinesis")),
    Exercise(32, "firehose-parquet-lambda", "Amazon Data Firehose, Lambda, Glue",
             "Normalise events with Lambda and land them as Parquet",
             "The web front end sends raw JSON events like `{\"EventId\": \"e1\", \"Customer\": 42, \"Type\": "
             "\"VIEW\", \"Timestamp\": \"2024-01-03T10:00:00Z\", \"Device\": \"ios\"}`. Create the delivery "
             "stream `ex32-clicks-parquet` that runs each batch through the Lambda function `ex32-normalise` "
             "(renaming the fields to event_id, customer_id, event_type, event_ts, device and lower-casing the "
             "type) and writes Parquet under `s3://ex32-lake/clicks/`, with the schema of the Glue table "
             "`ex32_lake.clicks`. Deliver some events.",
             ("Firehose data transformation with Lambda (recordId, result Ok/Dropped/ProcessingFailed, base64 data)",
              "Firehose record format conversion to Parquet/ORC with a Glue table schema",
              "columnar formats for the data lake"),
             ("glue.create_table(ex32_lake.clicks) for the schema",
              "ExtendedS3DestinationConfiguration: ProcessingConfiguration (Type Lambda, LambdaArn), "
              "DataFormatConversionConfiguration (OpenXJsonSerDe in, ParquetSerDe out, SchemaConfiguration)",
              "firehose.put_record_batch"),
             check_firehose_parquet_lambda, NOTEBOOK, ("firehose", "s3", "lambda")),
]
