"""Exercise 21: a 2-shard stream, records spread by session id."""

from sandbox import datasets, streaming
from sandbox.exercises._helpers import wait_until

STREAM = "ex21-clicks"


def solve(aws):
    kinesis = aws.client("kinesis")
    if STREAM not in kinesis.list_streams()["StreamNames"]:
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    wait_until(lambda: kinesis.describe_stream(StreamName=STREAM)["StreamDescription"],
               lambda d: d["StreamStatus"] == "ACTIVE", 30, "the stream")
    streaming.replay(aws, datasets.clickstream(300), STREAM, partition_key="session_id", progress=False)
