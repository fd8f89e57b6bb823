"""Athena's SQL on DuckDB, over the Glue catalog's tables in S3.

The engine takes a statement, a catalog (anything with the :class:`Catalog` methods) and the lake
(:class:`emulators.core.s3access.S3Access`), and returns a :class:`QueryResult`. It never imports
boto3, moto or the server.

SELECTs: every catalog table the statement names becomes a pyarrow dataset built from the catalog
-- one fragment per file, each partition's values fixed by the fragment's partition expression --
registered in DuckDB as ``<database>.<table>``. DuckDB pushes filters into the datasets, so
fragments of partitions that cannot match are never opened; the bytes of the files that are opened
are ``DataScannedInBytes``.

DDL: CREATE/DROP DATABASE, CREATE EXTERNAL TABLE (Hive DDL, registered in the catalog), DROP TABLE,
MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION, SHOW DATABASES/TABLES/PARTITIONS/COLUMNS,
DESCRIBE. CTAS, INSERT INTO and UNLOAD write Parquet, JSON or text files to S3.

Modules: ``types`` (errors, results, the catalog protocol, type mapping and value printing),
``lake`` (tables as datasets), ``sql`` (DuckDB connections, translation, names, errors), ``query``
(:class:`AthenaEngine`, SELECT), ``ddl``, ``views``, ``writes`` (CTAS/INSERT/UNLOAD), ``text``
(statement-text helpers).
"""

from emulators.athena.engine.lake import DataFile, split_s3, table_dataset
from emulators.athena.engine.query import AthenaEngine
from emulators.athena.engine.native import prepare as prepare_connections
from emulators.athena.engine.sql import SESSION_SETTINGS, athena_column_names
from emulators.athena.engine.text import strip_leading_comments
from emulators.athena.engine.types import (Catalog, QueryFailed, QueryResult, _ScanCounter, arrow_type, athena_type,
                                           column_precision, hive_type_of, java_double)
from emulators.athena.engine.views import VIEW_PREFIX, VIEW_SUFFIX, view_definition

ScanCounter = _ScanCounter

__all__ = ["AthenaEngine", "Catalog", "DataFile", "QueryFailed", "QueryResult", "ScanCounter", "SESSION_SETTINGS",
           "VIEW_PREFIX", "VIEW_SUFFIX", "arrow_type", "athena_column_names", "athena_type", "column_precision",
           "hive_type_of", "java_double", "prepare_connections", "split_s3", "strip_leading_comments", "table_dataset",
           "view_definition"]
