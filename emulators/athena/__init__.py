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
Athena). Trino's functions (engine version 3: math, bitwise, string, regexp, URL,
JSON, date/time, array, map, lambda, aggregate and approximate, window,
conditional, conversion, binary) run as DuckDB macros or Python functions
(``functions.py``); ``tests/conformance/athena_functions.py`` samples each one and
the run records the share that answers exactly as Athena (``athena_coverage.json``).
Results print as Athena prints them: timestamps at millisecond precision (also
through ``CAST(ts AS varchar)``), ``DATE + INTERVAL '1' DAY`` stays a DATE (for DATE
literals, casts, ``current_date`` and DATE columns), DOUBLE as Java prints it
(``1.0E10``), arrays ``[a, b]``, maps and rows ``{k=v}``, varbinary as hex bytes.
Integer division truncates as on Trino. The pseudo-columns ``"$path"``,
``"$file_size"`` and ``"$file_modified_time"`` are there when named (a filter on
them prunes files). An unknown function, DuckDB's own file and catalog functions
(``read_csv``, ``read_parquet``, ``glob``, ...) and the functions the sandbox cannot
provide (``at_timezone``, ``with_timezone``, ``timezone_hour``/``timezone_minute``:
DuckDB's timestamps with time zone keep no zone; ``word_stem``,
``numeric_histogram``, ``checksum``) fail as on Athena: ``FUNCTION_NOT_FOUND: line
1:8: Function 'x' not registered``. One statement per query.

A query lists only its tables' folders, once each, from a sorted name index of the
bucket (``listing.py``), so unrelated objects in the bucket cost nothing.

DDL: CREATE/DROP DATABASE, CREATE
EXTERNAL TABLE (registers in Glue), DROP TABLE, MSCK REPAIR TABLE, ALTER TABLE
ADD/DROP PARTITION, SHOW DATABASES/TABLES/PARTITIONS/COLUMNS/CREATE TABLE, DESCRIBE; CTAS
(format, external_location, partitioned_by, field_delimiter, WITH NO DATA), INSERT INTO and
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
prepared statements, ORC, result reuse, query queueing limits, time zones carried by
values (see above); the parser underneath is DuckDB's, so rare Trino syntax may be refused,
string literals are ``varchar`` (not ``varchar(n)``) and TIMESTAMP literals print with
milliseconds whatever their written precision.

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
