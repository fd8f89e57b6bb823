"""DuckDB connections that run a learner's SQL are locked inside the sandbox.

Athena, Redshift, S3 Select and Kinesis Analytics all run user SQL on DuckDB.
Lake data reaches those connections as registered Arrow datasets, and the
Redshift warehouse file is opened before the lock, so nothing they need reads a
host path. :func:`lock_down` then switches off everything that could: file and
network access (``read_csv('/etc/passwd')``, ``COPY ... TO``, ``ATTACH``,
``EXPORT DATABASE``, ``glob``), extension installs and autoloading, and locks the
configuration so the SQL cannot switch any of it back on.
"""

from __future__ import annotations

import re
from typing import Any

LOCKING_STATEMENTS = (
    "SET autoinstall_known_extensions=false",
    "SET autoload_known_extensions=false",
    "SET enable_external_access=false",
    "SET lock_configuration=true",
)


# DuckDB functions no AWS SQL engine has that reach outside the query (files, other databases, settings,
# the catalog): Athena and Redshift answer a call to one as they do for any unknown function
DUCKDB_ONLY_FUNCTIONS = frozenset({
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
    "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
    "read_text", "read_blob", "glob", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
    "parquet_kv_metadata", "sniff_csv", "iceberg_scan", "iceberg_metadata", "delta_scan", "sqlite_scan",
    "postgres_scan", "mysql_scan", "read_xlsx", "query", "query_table", "getenv", "current_setting",
    "duckdb_settings", "duckdb_tables", "duckdb_columns", "duckdb_databases", "duckdb_extensions",
    "duckdb_functions", "duckdb_secrets", "duckdb_views", "duckdb_schemas", "which_secret", "pragma_table_info",
    "pragma_storage_info", "pragma_database_size", "pragma_version", "pragma_show", "pragma_metadata_info",
    "pragma_platform", "pragma_user_agent", "load_aws_credentials", "read_file", "read_files",
})
_CALL = re.compile(r"(?<![\w.$\"])([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def duckdb_only_call(sql: str) -> str | None:
    """The first DuckDB-only function ``sql`` calls (outside string literals), or None."""
    without_strings = re.sub(r"'(?:[^']|'')*'", "''", sql)
    for match in _CALL.finditer(without_strings):
        if match.group(1).lower() in DUCKDB_ONLY_FUNCTIONS:
            return match.group(1)
    return None


class MultipleStatements(ValueError):
    """The text holds more than one SQL statement where the service runs exactly one."""


def lock_down(con: Any) -> Any:
    """Lock ``con`` (a DuckDB connection) so the SQL it runs cannot reach beyond the sandbox."""
    for statement in LOCKING_STATEMENTS:
        con.execute(statement)
    return con


def statement_count(con: Any, sql: str) -> int:
    """How many statements DuckDB parses in ``sql`` (a parse error counts as one: it fails later, clearly)."""
    try:
        return len(con.extract_statements(sql))
    except Exception:
        return 1


def require_single_statement(con: Any, sql: str, message: str) -> None:
    if statement_count(con, sql) > 1:
        raise MultipleStatements(message)
