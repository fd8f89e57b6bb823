"""Amazon Redshift, the Redshift Data API and Redshift Spectrum, on DuckDB.

Emulated: the control plane (CreateCluster, DescribeClusters, ... by moto), and
the Data API: ExecuteStatement, BatchExecuteStatement (one transaction),
DescribeStatement (SUBMITTED -> STARTED -> FINISHED / FAILED / ABORTED, Error,
SubStatements), GetStatementResult (typed Records, ColumnMetadata with
Redshift's column names such as ``count`` and ``?column?``, paging),
ListStatements, CancelStatement, ListDatabases, ListSchemas (``public``),
ListTables and DescribeTable (warehouse tables, views and Spectrum tables). Each cluster's (or serverless workgroup's)
database is a persistent DuckDB file under the state folder. SQL: CREATE TABLE
with DISTSTYLE / DISTKEY / SORTKEY / ENCODE accepted (recorded in
``sandbox_table_attributes``, no effect on storage), INSERT/UPDATE/DELETE,
SELECT with a few Redshift spellings (GETDATE, NVL, DATEADD, DATEDIFF, LISTAGG),
``COPY ... FROM 's3://...' FORMAT AS PARQUET | CSV | JSON`` (IGNOREHEADER,
DELIMITER, GZIP), ``UNLOAD ('...') TO 's3://...'`` (Parquet or text, HEADER,
ALLOWOVERWRITE, PARTITION BY (cols) [INCLUDE] into ``col=value/`` folders), and Spectrum: ``CREATE EXTERNAL SCHEMA s FROM DATA CATALOG
DATABASE 'db'`` makes the Glue catalog's tables queryable as ``s.table`` and
joinable with warehouse tables, read from S3 at query time.

Not emulated: JDBC/ODBC connections (use the Data API), distribution and sort
keys affecting anything, WLM, concurrency scaling, materialized views refresh,
stored procedures, system tables (STL_/SVL_); the SQL underneath is DuckDB's.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="Amazon Redshift (+ Data API, Spectrum)",
    api_names=("redshift", "redshift-data"),
    stand_in="a persistent DuckDB database per cluster; Spectrum via the Glue catalog and the Athena engine",
    executes="Data API statements, CREATE TABLE/INSERT/SELECT, COPY from S3, UNLOAD to S3, external schemas",
    not_emulated="no JDBC/ODBC endpoint; DISTKEY/SORTKEY recorded only; no WLM, system tables, stored procedures",
    provider="provider",
)
