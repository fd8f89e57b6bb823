"""Amazon Kinesis Data Streams and Kinesis Video Streams, answered by moto.

Emulated (Data Streams): streams with shards and hash-key ranges (a record lands
on the open shard whose range holds the MD5 of its partition key, or its
ExplicitHashKey), PutRecord(s) with AWS's size and key validation, shard
iterators TRIM_HORIZON / LATEST / AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER /
AT_TIMESTAMP, GetRecords in order per shard with MillisBehindLatest,
SplitShard / MergeShards / UpdateShardCount (parents close and keep their
records; reading a closed shard to its end returns ChildShards and no next
iterator), ListShards with ShardFilter, paged (the NextToken stands for the
stream, the filter and the start shard, so a next-page call carries it alone, as
on AWS), retention period settings, KMS stream
encryption settings (the key must exist; records are stored unencrypted),
stream consumers (registration), on-demand and provisioned modes (a stream
created without ShardCount is on-demand, 4 shards). Sequence numbers count per
shard (AWS's are longer and unique per stream).
``sandbox.streaming.replay`` feeds a dataset into a stream at a chosen rate.

Not emulated: SubscribeToShard (enhanced fan-out's HTTP/2 push) -- consumers
register but read with GetRecords; retention never expires records; throughput
limits (ProvisionedThroughputExceededException) are not enforced. Kinesis Video
Streams: control plane only (streams are created and described; no media).
"""

from emulators.core.service import ServiceInfo

SERVICES = [
    ServiceInfo(
        aws="Amazon Kinesis Data Streams",
        api_names=("kinesis",),
        stand_in="moto (LocalStack in docker compose)",
        executes="shards, hash-key routing, iterators, ordered reads per shard, resharding with parent/child shards",
        not_emulated="SubscribeToShard push, retention expiry, throughput limits",
        provider="provider",
    ),
    ServiceInfo(
        aws="Amazon Kinesis Video Streams",
        api_names=("kinesisvideo",),
        stand_in="moto control plane",
        executes="streams are created, listed and described",
        not_emulated="no media ingestion or playback: concept only",
    ),
]
