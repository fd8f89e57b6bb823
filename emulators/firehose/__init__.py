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
Redshift warehouse. Compression GZIP, ZIP, Snappy (framing format) and
HADOOP_SNAPPY; record format conversion to Parquet or ORC (OrcSerDe);
the AppendDelimiterToRecord processor; Lambda data transformation (the
sandbox's Lambda runs the function on batches of records with Firehose's event
-- invocationId, deliveryStreamArn, region, records of recordId,
approximateArrivalTimestamp and base64 data -- and honours the response: Ok data
goes on to conversion, partitioning (``!{partitionKeyFromLambda:...}`` from the
response's ``metadata.partitionKeys``) and delivery, Dropped records are gone,
ProcessingFailed, missing record IDs and function errors, after NumberOfRetries,
go to the error output as ``processing-failed`` with the lambdaArn).
CreateDeliveryStream/UpdateDestination check AWS's rules (buffering ranges, expressions in Prefix need an
ErrorOutputPrefix, partition-key expressions need dynamic partitioning and the
reverse, conversion and dynamic partitioning need SizeInMBs >= 64, conversion
needs CompressionFormat UNCOMPRESSED); PutRecord(Batch) enforce 1,000 KiB per
record, 500 records and 4 MiB per batch.

Not emulated: the Lambda processor's own buffering interval (a flush's records
are sent in batches of BufferSizeInMBs); HTTP/Splunk/OpenSearch/Snowflake/Iceberg
destinations (PutRecord answers InvalidArgumentException), source record backup,
server-side encryption of the stream, CloudWatch delivery metrics.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="Amazon Data Firehose",
    api_names=("firehose",),
    stand_in="moto's control plane + our buffering, partitioning and Parquet/ORC conversion (pyarrow)",
    executes="buffered delivery to S3 (size/interval hints), prefixes, dynamic partitions, GZIP/ZIP/Snappy, "
             "Parquet and ORC conversion, Lambda transformation, error output, Kinesis source, Redshift COPY",
    not_emulated="HTTP/OpenSearch/Splunk/Snowflake destinations, delivery metrics",
    provider="provider",
)
