"""Amazon Athena: moto's control plane; queries really run on DuckDB over the lake.

Emulated: StartQueryExecution (database context, output location from the call
or the workgroup, EnforceWorkGroupConfiguration, ExecutionParameters),
GetQueryExecution (QUEUED -> RUNNING -> SUCCEEDED / FAILED / CANCELLED with
StateChangeReason and real Statistics: DataScannedInBytes is the bytes of the
files actually opened, so partition filters shrink it), GetQueryResults (header
row, Athena type names, MaxResults/NextToken), StopQueryExecution,
ListQueryExecutions, BatchGetQueryExecution, workgroups, named queries,
GetTableMetadata / ListTableMetadata (MaxResults, Expression) and ListDatabases /
GetDatabase, all answered from the Glue Data Catalog (``AwsDataCatalog``; other
catalog names are a MetadataException). Results are written to
``<OutputLocation>/<QueryExecutionId>.csv`` (DDL: ``.txt``).

SQL: SELECT with joins, aggregates, window functions and CTEs over Glue catalog
tables (Parquet, CSV/TSV text, JSON; hive partitions pruned), with Presto
spellings translated (see ``translate.py``; ``"AwsDataCatalog"."db"."table"``
names the Glue catalog; unnamed result columns are ``_col0``, ``_col1``... as on
Athena); DDL: CREATE/DROP DATABASE, CREATE
EXTERNAL TABLE (registers in Glue), DROP TABLE, MSCK REPAIR TABLE, ALTER TABLE
ADD/DROP PARTITION, SHOW DATABASES/TABLES/PARTITIONS/COLUMNS/CREATE TABLE, DESCRIBE; CTAS
(format, external_location, partitioned_by, field_delimiter), INSERT INTO and
UNLOAD.

Partition projection (``projection.*`` table properties: enum, integer, date
ranges with NOW offsets, ``storage.location.template``) computes partitions
without the catalog (``projection.py``); ``injected`` columns are refused.

Text tables read as Athena's SerDes do: LazySimpleSerDe does not understand
quotes (a row with more fields than columns fails with a hint to use
OpenCSVSerde, where Athena would silently split it), OpenCSVSerde does.

Views: ``CREATE [OR REPLACE] VIEW`` binds the query once (its columns), stores the
view in the Glue catalog as Athena does (``TableType`` VIRTUAL_VIEW, the SQL in
``ViewOriginalText`` as ``/* Presto View: <base64 JSON> */``), and a query over a view
expands it at run time (views over views, across databases); ``DROP VIEW``,
``SHOW VIEWS``, ``SHOW CREATE VIEW``, ``DESCRIBE``.

Not emulated: injected partition projection, federated and Iceberg tables,
prepared statements, ORC, result reuse, query queueing limits;
SQL is DuckDB's, so rare Presto functions may be missing (the error says so).

Clients: boto3, the AWS CLI, awswrangler and PyAthena's default and pandas cursors
work. PyAthena's ``ArrowCursor`` does not: it builds a pyarrow S3 filesystem without
an endpoint (pyarrow ignores ``AWS_ENDPOINT_URL``), so it looks for the results on AWS.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="Amazon Athena",
    api_names=("athena",),
    stand_in="DuckDB over pyarrow datasets built from the Glue catalog (S3 read in-process)",
    executes="SELECT/joins/windows/CTEs, DDL, views, MSCK REPAIR, partition projection, CTAS, INSERT INTO, "
             "UNLOAD; real bytes scanned",
    not_emulated="injected partition projection, federated/Iceberg tables, prepared statements, ORC; DuckDB "
                 "dialect underneath",
    provider="provider",
)
