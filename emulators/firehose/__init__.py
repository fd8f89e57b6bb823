"""Amazon Data Firehose: moto's control plane; delivery really buffers, converts and writes.

Emulated: DirectPut and KinesisStreamAsSource streams (the source stream's shards
are polled every second); buffering hints (SizeInMBs, IntervalInSeconds -- 0 to
900 as on AWS) respected while the sandbox runs; acknowledged records are
journalled to disk before PutRecord(Batch) returns and survive a restart;
default ``YYYY/MM/DD/HH/`` prefixes and object names
``<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>``; custom prefixes with
``!{timestamp:...}``, ``!{firehose:error-output-type}``,
``!{firehose:random-string}``; dynamic partitioning with
``!{partitionKeyFromQuery:...}`` from a MetadataExtraction JQ query (object of
``.path`` fields, ``| tostring``, ``| .[a:b]``); GZIP; record format conversion
to Parquet with a Glue table's schema; records that fail partitioning or
conversion go to ``ErrorOutputPrefix`` as Firehose's error JSON (nothing else
is lost); Redshift destinations stage to S3 and COPY into the sandbox's
Redshift warehouse.

Not emulated: Lambda record transformation, ORC output, HTTP/Splunk/OpenSearch/
Snowflake/Iceberg destinations (PutRecord answers InvalidArgumentException),
source record backup, server-side encryption of the stream, CloudWatch delivery
metrics.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="Amazon Data Firehose",
    api_names=("firehose",),
    stand_in="moto's control plane + our buffering, partitioning and Parquet conversion (pyarrow)",
    executes="buffered delivery to S3 (size/interval hints), prefixes, dynamic partitions, GZIP, Parquet, "
             "error output, Kinesis source, Redshift COPY",
    not_emulated="Lambda transformation, ORC, HTTP/OpenSearch/Splunk/Snowflake destinations, delivery metrics",
    provider="provider",
)
