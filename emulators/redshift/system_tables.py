"""The Redshift system tables a tutorial queries, and materialized views, on a warehouse's DuckDB file.

System tables are temporary views of each connection (never in the warehouse file, never in ListTables):

- ``svv_tables``, ``svv_columns`` (also what ``information_schema.tables`` / ``.columns`` read) and
  ``pg_tables``: user tables with DuckDB's ``main`` schema shown as ``public``;
- ``svv_table_info``: one row per user table that holds rows (as on Redshift, empty tables are not shown),
  with its DISTSTYLE and first SORTKEY column as CREATE TABLE declared them and ``tbl_rows``;
- ``pg_table_def``: the columns of user tables, with Redshift's type names, ``distkey`` and ``sortkey``;
- ``svv_external_schemas``: the Spectrum schemas and their Glue databases; ``svv_external_tables``,
  ``svv_external_columns`` and ``svv_external_partitions``: their Glue tables, read from the catalog when a
  query names them;
- ``stl_load_errors`` and ``sys_load_error_detail``: the rows COPY rejected (recorded by COPY in
  ``sandbox_load_errors``, kept across failures like Redshift's log).

Materialized views are tables filled from their query: ``CREATE MATERIALIZED VIEW`` runs it once,
``REFRESH MATERIALIZED VIEW`` runs it again, ``DROP MATERIALIZED VIEW`` drops it. Automatic refresh
and incremental refresh are not emulated (a refresh always recomputes).
"""

from __future__ import annotations

import json
import re
from typing import Any

TABLES = [
    "CREATE TABLE IF NOT EXISTS main.sandbox_load_errors (query BIGINT, starttime TIMESTAMP, tbl BIGINT, "
    "table_name VARCHAR, filename VARCHAR, line_number BIGINT, colname VARCHAR, type VARCHAR, col_length INTEGER, "
    "position INTEGER, raw_line VARCHAR, raw_field_value VARCHAR, err_code INTEGER, err_reason VARCHAR)",
    "CREATE TABLE IF NOT EXISTS main.sandbox_materialized_views (name VARCHAR PRIMARY KEY, query VARCHAR)",
    "CREATE TABLE IF NOT EXISTS main.sandbox_last_copy (id INTEGER PRIMARY KEY, loaded BIGINT)",
    # PG_LAST_COPY_COUNT(): the rows the last COPY into this database loaded
    "CREATE OR REPLACE TEMP MACRO pg_last_copy_count() AS (SELECT coalesce(max(loaded), 0) "
    "FROM main.sandbox_last_copy)",
]

_USER_TABLES = ("FROM duckdb_tables() t WHERE t.database_name = current_database() AND NOT t.temporary "
                "AND t.table_name NOT LIKE 'sandbox\\_%' ESCAPE '\\'")

_WITH_ATTRIBUTES = "FROM duckdb_tables() t LEFT JOIN main.sandbox_table_attributes a ON a.table_name = t.table_name"
_TYPE_NAME = ("CASE WHEN c.data_type = 'INTEGER' THEN 'integer' WHEN c.data_type = 'SMALLINT' THEN 'smallint' "
              "WHEN c.data_type = 'BIGINT' THEN 'bigint' WHEN c.data_type = 'DOUBLE' THEN 'double precision' "
              "WHEN c.data_type IN ('FLOAT', 'REAL') THEN 'real' WHEN c.data_type = 'BOOLEAN' THEN 'boolean' "
              "WHEN c.data_type = 'DATE' THEN 'date' WHEN c.data_type = 'VARCHAR' THEN 'character varying' "
              "WHEN c.data_type = 'TIMESTAMP' THEN 'timestamp without time zone' "
              "WHEN c.data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp with time zone' "
              "WHEN c.data_type LIKE 'DECIMAL%' THEN replace(lower(c.data_type), 'decimal', 'numeric') "
              "ELSE lower(c.data_type) END")

VIEWS = [
    "CREATE OR REPLACE TEMP VIEW svv_table_info AS SELECT t.database_name AS database, "
    "CASE t.schema_name WHEN 'main' THEN 'public' ELSE t.schema_name END AS schema, t.table_oid AS table_id, "
    "t.table_name AS \"table\", 'N' AS encoded, "
    "CASE upper(a.diststyle) WHEN 'KEY' THEN 'KEY(' || a.distkey || ')' WHEN 'ALL' THEN 'ALL' WHEN 'EVEN' THEN 'EVEN' "
    "ELSE CASE WHEN a.distkey IS NOT NULL THEN 'KEY(' || a.distkey || ')' ELSE 'AUTO(EVEN)' END END AS diststyle, "
    "NULLIF(trim(split_part(a.sortkey, ',', 1)), '') AS sortkey1, "
    "CASE WHEN a.sortkey IS NULL THEN 0 ELSE len(string_split(a.sortkey, ',')) END AS sortkey_num, "
    "t.estimated_size AS tbl_rows, t.estimated_size AS estimated_visible_rows, t.column_count AS max_varchar_columns, "
    "0.0 AS unsorted, 0.0 AS stats_off, NULL AS skew_rows, NULL AS skew_sortkey1 "
    f"{_USER_TABLES.replace('FROM duckdb_tables() t', _WITH_ATTRIBUTES)} "
    "AND t.estimated_size > 0",
    "CREATE OR REPLACE TEMP VIEW pg_table_def AS SELECT CASE c.schema_name WHEN 'main' THEN 'public' "
    "ELSE c.schema_name END AS schemaname, c.table_name AS tablename, c.column_name AS \"column\", "
    f"{_TYPE_NAME} AS type, 'none' AS encoding, coalesce(lower(a.distkey) = lower(c.column_name), false) AS distkey, "
    "coalesce(list_position(list_transform(string_split(a.sortkey, ','), lambda x: lower(trim(x))), "
    "lower(c.column_name)), 0) "
    "AS sortkey, NOT c.is_nullable AS notnull FROM duckdb_columns() c LEFT JOIN main.sandbox_table_attributes a "
    "ON a.table_name = c.table_name WHERE c.database_name = current_database() AND NOT c.internal "
    "AND c.schema_name <> 'temp' AND c.table_name NOT LIKE 'sandbox\\_%' ESCAPE '\\'",
    "CREATE OR REPLACE TEMP VIEW svv_tables AS SELECT t.table_catalog, CASE t.table_schema WHEN 'main' THEN 'public' "
    "ELSE t.table_schema END AS table_schema, t.table_name, t.table_type, NULL AS remarks "
    "FROM information_schema.tables t WHERE t.table_catalog = current_database() "
    "AND t.table_name NOT LIKE 'sandbox\\_%' ESCAPE '\\'",
    "CREATE OR REPLACE TEMP VIEW svv_columns AS SELECT c.table_catalog, CASE c.table_schema WHEN 'main' "
    "THEN 'public' ELSE c.table_schema END AS table_schema, c.table_name, c.column_name, c.ordinal_position, "
    f"c.column_default, c.is_nullable, {_TYPE_NAME} AS data_type, c.character_maximum_length, "
    "c.numeric_precision, c.numeric_scale, NULL AS remarks FROM information_schema.columns c "
    "WHERE c.table_catalog = current_database() AND c.table_name NOT LIKE 'sandbox\\_%' ESCAPE '\\'",
    "CREATE OR REPLACE TEMP VIEW pg_tables AS SELECT CASE t.schema_name WHEN 'main' THEN 'public' "
    "ELSE t.schema_name END AS schemaname, t.table_name AS tablename, 'awsuser' AS tableowner, NULL AS tablespace, "
    "false AS hasindexes, false AS hasrules, false AS hastriggers "
    f"{_USER_TABLES}",
    "CREATE OR REPLACE TEMP VIEW svv_external_schemas AS SELECT row_number() OVER (ORDER BY schema_name) AS esoid, "
    "1 AS eskind, schema_name AS schemaname, 100 AS esowner, glue_database AS databasename, "
    "CASE WHEN iam_role IS NULL THEN NULL ELSE '{\"IAM_ROLE\":\"' || iam_role || '\"}' END AS esoptions "
    "FROM main.sandbox_external_schemas",
    "CREATE OR REPLACE TEMP VIEW stl_load_errors AS SELECT 100 AS userid, 0 AS slice, tbl, starttime, 0 AS session, "
    "query, filename, line_number, colname, type, col_length, position, raw_line, raw_field_value, err_code, "
    "err_reason, false AS is_partial, 0 AS start_offset FROM main.sandbox_load_errors",
    "CREATE OR REPLACE TEMP VIEW sys_load_error_detail AS SELECT 100 AS user_id, query AS query_id, "
    "0 AS transaction_id, 0 AS session_id, current_database() AS database_name, tbl AS table_id, "
    "starttime AS start_time, filename AS file_name, line_number, colname AS column_name, type AS column_type, "
    "col_length AS column_length, position, err_code AS error_code, err_reason AS error_message "
    "FROM main.sandbox_load_errors",
]


def install(con: Any) -> None:
    """The system tables on a newly opened warehouse connection (before it is locked down)."""
    for statement in TABLES + VIEWS:
        con.execute(statement)


EXTERNAL_VIEWS = re.compile(r"\bsvv_external_(tables|columns|partitions)\b", re.I)


def refresh_external_views(con: Any, sql: str, externals: dict[str, str], catalog: Any) -> None:
    """Before a query that reads svv_external_tables / _columns / _partitions: those tables from the Glue catalog
    (the Spectrum schemas' databases), as they are now."""
    wanted = {m.lower() for m in EXTERNAL_VIEWS.findall(sql)}
    if not wanted:
        return
    tables, columns, partitions = [], [], []
    for schema, database in sorted(externals.items()):
        if not catalog.database_exists(database):
            continue
        for name in sorted(catalog.list_tables(database)):
            table = catalog.get_table(database, name) or {}
            descriptor = table.get("StorageDescriptor", {})
            serde = descriptor.get("SerdeInfo", {})
            tables.append([schema, name, descriptor.get("Location"), descriptor.get("InputFormat"),
                           descriptor.get("OutputFormat"), serde.get("SerializationLibrary"),
                           json.dumps(serde.get("Parameters") or {}), 0,
                           json.dumps(table.get("Parameters") or {}), table.get("TableType") or "EXTERNAL_TABLE"])
            keys = table.get("PartitionKeys") or []
            for position, column in enumerate(descriptor.get("Columns", []) + keys, start=1):
                partition_key = keys.index(column) + 1 if column in keys else 0
                columns.append([schema, name, column["Name"], column["Type"], position, partition_key, True])
            if "partitions" in wanted and keys:
                for part in catalog.get_partitions(database, name):
                    partitions.append([schema, name, json.dumps(part.get("Values", [])),
                                       part.get("StorageDescriptor", {}).get("Location"), 0])
    con.execute("CREATE OR REPLACE TEMP TABLE svv_external_tables (schemaname VARCHAR, tablename VARCHAR, "
                "location VARCHAR, input_format VARCHAR, output_format VARCHAR, serialization_lib VARCHAR, "
                "serde_parameters VARCHAR, compressed INTEGER, parameters VARCHAR, tabletype VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE svv_external_columns (schemaname VARCHAR, tablename VARCHAR, "
                "columnname VARCHAR, external_type VARCHAR, columnnum INTEGER, part_key INTEGER, is_nullable BOOLEAN)")
    con.execute("CREATE OR REPLACE TEMP TABLE svv_external_partitions (schemaname VARCHAR, tablename VARCHAR, "
                "\"values\" VARCHAR, location VARCHAR, compressed INTEGER)")
    for table, rows in (("svv_external_tables", tables), ("svv_external_columns", columns),
                        ("svv_external_partitions", partitions)):
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def record_copy(con: Any, loaded: int) -> None:
    con.execute("INSERT OR REPLACE INTO main.sandbox_last_copy VALUES (1, ?)", [loaded])


def next_query_id(con: Any) -> int:
    """A query id for COPY's error rows (one per COPY, increasing)."""
    return int(con.execute("SELECT coalesce(max(query), 0) + 1 FROM main.sandbox_load_errors").fetchone()[0])


def record_load_errors(con: Any, table: str, errors: list[dict[str, Any]]) -> None:
    """Rows COPY rejected, as stl_load_errors shows them (kept even when the COPY fails)."""
    if not errors:
        return
    query = next_query_id(con)
    oid = con.execute("SELECT table_oid FROM duckdb_tables() WHERE table_name = ? LIMIT 1",
                      [table.split(".")[-1].strip('"').lower()]).fetchone()
    for error in errors:
        con.execute("INSERT INTO main.sandbox_load_errors VALUES (?, current_localtimestamp(), ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?)",
                    [query, oid[0] if oid else None, table, error["filename"], error.get("line_number"),
                     error.get("colname", ""), error.get("type", ""), error.get("col_length", 0),
                     error.get("position", 0), (error.get("raw_line") or "")[:1024],
                     (error.get("raw_field_value") or "")[:1024], error["err_code"], error["err_reason"][:100]])


# ---- materialized views ----
CREATE_MV = re.compile(r"CREATE\s+MATERIALIZED\s+VIEW\s+([\w.\"]+)\s+(.*?)\bAS\s+(.*)$", re.I | re.S)
REFRESH_MV = re.compile(r"REFRESH\s+MATERIALIZED\s+VIEW\s+([\w.\"]+)\s*$", re.I)
DROP_MV = re.compile(r"DROP\s+MATERIALIZED\s+VIEW\s+(IF\s+EXISTS\s+)?([\w.\"]+)\s*(CASCADE|RESTRICT)?\s*$", re.I)


def materialized_view_statement(text: str) -> str | None:
    """``create`` / ``refresh`` / ``drop`` when ``text`` is a materialized view statement."""
    head = " ".join(text.split()[:3]).upper()
    if head == "CREATE MATERIALIZED VIEW":
        return "create"
    if head == "REFRESH MATERIALIZED VIEW":
        return "refresh"
    if head == "DROP MATERIALIZED VIEW":
        return "drop"
    return None


def _name(raw: str) -> str:
    return raw.strip('"').lower()


def create_materialized_view(con: Any, text: str, prepare: Any) -> None:
    """``prepare(sql)`` turns the view's query into DuckDB's SQL (Redshift spellings, Spectrum tables)."""
    match = CREATE_MV.match(text.strip())
    if not match:
        raise ValueError("syntax error in CREATE MATERIALIZED VIEW: expected CREATE MATERIALIZED VIEW name AS query")
    # the clauses between name and AS (BACKUP, DISTSTYLE, SORTKEY, AUTO REFRESH) are accepted and have no effect
    name, query = _name(match.group(1)), match.group(3).strip()
    if con.execute("SELECT 1 FROM main.sandbox_materialized_views WHERE name = ?", [name]).fetchone():
        raise ValueError(f'relation "{name}" already exists')
    con.execute(f"CREATE TABLE {name} AS {prepare(query)}")
    con.execute("INSERT INTO main.sandbox_materialized_views VALUES (?, ?)", [name, query])


def refresh_materialized_view(con: Any, text: str, prepare: Any) -> None:
    match = REFRESH_MV.match(text.strip())
    name = _name(match.group(1)) if match else ""
    found = con.execute("SELECT query FROM main.sandbox_materialized_views WHERE name = ?", [name]).fetchone()
    if not found:
        raise ValueError(f'"{name}" is not a materialized view')
    con.execute(f"DELETE FROM {name}")
    con.execute(f"INSERT INTO {name} {prepare(found[0])}")


def drop_materialized_view(con: Any, text: str) -> None:
    match = DROP_MV.match(text.strip())
    if not match:
        raise ValueError("syntax error in DROP MATERIALIZED VIEW")
    name = _name(match.group(2))
    if not con.execute("SELECT 1 FROM main.sandbox_materialized_views WHERE name = ?", [name]).fetchone():
        if match.group(1):
            return
        raise ValueError(f'materialized view "{name}" does not exist')
    con.execute(f"DROP TABLE {name}")
    con.execute("DELETE FROM main.sandbox_materialized_views WHERE name = ?", [name])
