"""Exercises on streaming ingest: Kinesis Data Streams and Firehose."""

from __future__ import annotations

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


EXERCISES = [
    Exercise(21, "kinesis-stream", "Kinesis Data Streams", "Ingest the clickstream into a 2-shard stream",
             "Create the Kinesis data stream `ex21-clicks` with 2 shards and put at least 100 clickstream events "
             "into it so that both shards receive records.",
             ("Kinesis Data Streams: shards, partition keys, capacity planning (1 MB/s or 1,000 records/s in "
              "per shard)", "ordering per shard"),
             ("kinesis.create_stream(ShardCount=2)", "put_records with PartitionKey = the session id"),
             check_stream, NOTEBOOK, ("kinesis",)),
    Exercise(22, "firehose-to-s3", "Kinesis Data Firehose", "Load the stream into the lake with Firehose",
             "Create the delivery stream `ex22-clicks-to-lake` that writes events, GZIP-compressed, under "
             "`s3://ex22-lake/clicks/` at least every 60 seconds, and deliver some events.",
             ("Firehose: near-real-time loading into S3/Redshift/OpenSearch/Splunk", "buffering hints",
              "compression and format conversion"),
             ("firehose.create_delivery_stream(ExtendedS3DestinationConfiguration={... 'CompressionFormat': "
              "'GZIP', 'BufferingHints': {'IntervalInSeconds': 60, 'SizeInMBs': 5}})", "put_record_batch"),
             check_firehose, NOTEBOOK, ("firehose", "s3")),
]
