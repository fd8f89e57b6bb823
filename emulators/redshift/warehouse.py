"""A Redshift database as a persistent DuckDB file.

``Warehouse.run(sql)`` executes one Redshift statement: DDL with Redshift's
table attributes (DISTSTYLE, DISTKEY, SORTKEY, ENCODE, IDENTITY: accepted,
recorded in ``sandbox_table_attributes``, stripped for DuckDB), DML and queries
(a few Redshift spellings translated), ``COPY`` from S3 (Parquet, CSV, JSON
lines, gzip), ``UNLOAD`` to S3 (Parquet or CSV), and ``CREATE EXTERNAL SCHEMA
... FROM DATA CATALOG`` (Spectrum): tables of that schema are read from the
lake through the Athena engine's datasets at query time, never loaded. The
engine never imports boto3 or moto.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.core.sqlguard import duckdb_only_call, lock_down, statement_count

_connections: dict[str, Any] = {}
_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


class StatementFailed(Exception):
    """The statement failed; the message is what the Data API reports as Error."""


@dataclass
class StatementOutcome:
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, Redshift type name)
    rows: list[list[Any]] = field(default_factory=list)
    has_result_set: bool = False
    rows_affected: int = -1


def _connection(path: Path) -> tuple[Any, threading.Lock]:
    import duckdb

    key = str(path)
    with _registry_lock:
        if key not in _connections:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(key)
            con.execute("SET TimeZone='UTC'")
            con.execute("CREATE OR REPLACE TEMP MACRO date_add_rs(unit, n, d) AS CASE lower(unit) "
                        "WHEN 'day' THEN d + to_days(CAST(n AS INTEGER)) WHEN 'days' THEN d + to_days(CAST(n AS INTEGER)) "
                        "WHEN 'week' THEN d + to_weeks(CAST(n AS INTEGER)) "
                        "WHEN 'month' THEN d + to_months(CAST(n AS INTEGER)) "
                        "WHEN 'year' THEN d + to_years(CAST(n AS INTEGER)) "
                        "WHEN 'hour' THEN d + to_hours(CAST(n AS INTEGER)) "
                        "WHEN 'minute' THEN d + to_minutes(CAST(n AS INTEGER)) "
                        "ELSE d + to_seconds(CAST(n AS INTEGER)) END")
            con.execute("CREATE TABLE IF NOT EXISTS main.sandbox_table_attributes (table_name VARCHAR PRIMARY KEY, "
                        "diststyle VARCHAR, distkey VARCHAR, sortkey VARCHAR)")
            con.execute("CREATE TABLE IF NOT EXISTS main.sandbox_external_schemas (schema_name VARCHAR PRIMARY KEY, "
                        "glue_database VARCHAR, iam_role VARCHAR)")
            lock_down(con)  # the warehouse file is open: the SQL reaches no other host file (sqlguard)
            _connections[key] = con
            _locks[key] = threading.Lock()
        return _connections[key], _locks[key]


def close_all() -> None:
    with _registry_lock:
        for con in _connections.values():
            try:
                con.close()
            except Exception:
                pass
        _connections.clear()
        _locks.clear()


REDSHIFT_TYPES = {"BIGINT": "int8", "INTEGER": "int4", "SMALLINT": "int2", "TINYINT": "int2", "HUGEINT": "numeric",
                  "DOUBLE": "float8", "FLOAT": "float4", "VARCHAR": "varchar", "BOOLEAN": "bool", "DATE": "date",
                  "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIME": "time",
                  "BLOB": "varbyte", "UBIGINT": "int8", "UINTEGER": "int8"}


def redshift_type(duck_type: Any) -> str:
    text = str(duck_type).upper()
    if text.startswith("DECIMAL"):
        return "numeric"
    return REDSHIFT_TYPES.get(text, "varchar")


def redshift_column_name(name: str) -> str:
    """The name Redshift gives a result column DuckDB named ``name``.

    Redshift names an unaliased aggregate or function call after the function
    (``count(*)`` -> ``count``), a cast after its column, other expressions ``?column?``.
    """
    if re.fullmatch(r"[A-Za-z_][\w$]*", name):
        return name
    cast = re.fullmatch(r"CAST\((\w+) AS .*\)", name)
    if cast and cast.group(1).upper() != "NULL":
        return cast.group(1)
    call = re.fullmatch(r"(\w+)\(.*\)", name, re.S)
    if call:
        return {"count_star": "count"}.get(call.group(1), call.group(1)).lower()
    return "?column?"


def translate(sql: str) -> str:
    """Redshift spellings DuckDB writes differently."""
    sql = re.sub(r"\bGETDATE\s*\(\s*\)", "current_timestamp", sql, flags=re.I)
    sql = re.sub(r"\bSYSDATE\b", "current_timestamp", sql, flags=re.I)
    sql = re.sub(r"\bNVL\s*\(", "coalesce(", sql, flags=re.I)
    sql = re.sub(r"\bLISTAGG\s*\(", "string_agg(", sql, flags=re.I)
    sql = re.sub(r"\bWITHIN\s+GROUP\s*\(\s*ORDER\s+BY[^)]*\)", "", sql, flags=re.I)
    sql = re.sub(r"\b(DATEADD)\s*\(\s*(\w+)\s*,\s*([^,]+?)\s*,\s*", r"date_add_rs('\2', \3, ", sql, flags=re.I)
    sql = re.sub(r"\bDATEDIFF\s*\(\s*(\w+)\s*,", r"date_diff('\1',", sql, flags=re.I)
    sql = re.sub(r"\bSUPER\b", "VARCHAR", sql, flags=re.I)
    sql = re.sub(r"\bDOUBLE\s+PRECISION\b", "DOUBLE", sql, flags=re.I)
    sql = re.sub(r"\bTIMESTAMPTZ\b", "TIMESTAMP WITH TIME ZONE", sql, flags=re.I)
    sql = re.sub(r"\bBPCHAR\b", "VARCHAR", sql, flags=re.I)
    return sql


TABLE_ATTRIBUTES = [
    (r"\bDISTSTYLE\s+(EVEN|KEY|ALL|AUTO)\b", "diststyle"),
    (r"\bDISTKEY\s*\(\s*([\w\"]+)\s*\)", "distkey"),
    (r"\b(?:COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*\(([^)]*)\)", "sortkey"),
]


def strip_table_attributes(sql: str) -> tuple[str, dict[str, str]]:
    attributes: dict[str, str] = {}
    for pattern, name in TABLE_ATTRIBUTES:
        match = re.search(pattern, sql, re.I)
        if match:
            attributes[name] = match.group(1).strip().strip('"').lower()
            sql = sql[:match.start()] + sql[match.end():]
    sql = re.sub(r"\bSORTKEY\s+AUTO\b", "", sql, flags=re.I)
    sql = re.sub(r"\s+DISTKEY\b", "", sql, flags=re.I)  # column-level DISTKEY
    sql = re.sub(r"\s+SORTKEY\b", "", sql, flags=re.I)
    sql = re.sub(r"\s+ENCODE\s+\w+", "", sql, flags=re.I)
    sql = re.sub(r"\s+IDENTITY\s*\(\s*\d+\s*,\s*\d+\s*\)", "", sql, flags=re.I)
    sql = re.sub(r"\bBACKUP\s+(YES|NO)\b", "", sql, flags=re.I)
    return sql, attributes


class Warehouse:
    """One Redshift database (a DuckDB file) with the lake and the Glue catalog beside it."""

    def __init__(self, path: Path, lake: Any, catalog: Any) -> None:
        self.path = path
        self.lake = lake
        self.catalog = catalog

    def run(self, sql: str) -> StatementOutcome:
        import duckdb

        con, lock = _connection(self.path)
        text = sql.strip().rstrip(";").strip()
        if not text:
            raise StatementFailed("ERROR: syntax error at end of input")
        with lock:
            host_function = duckdb_only_call(text)
            if host_function:  # Redshift's answer for a function it does not have
                raise StatementFailed(f"ERROR: function {host_function.lower()} does not exist")
            if statement_count(con, text) > 1:
                raise StatementFailed("ERROR: ExecuteStatement runs one SQL statement; use BatchExecuteStatement "
                                      "for several (the text holds more than one statement)")
            try:
                return self._dispatch(con, text)
            except duckdb.Error as exc:
                raise StatementFailed(f"ERROR: {_clean(exc)}") from None

    def _dispatch(self, con: Any, text: str) -> StatementOutcome:
        upper = " ".join(text.split()[:4]).upper()
        if upper.startswith("COPY "):
            return self.copy(con, text)
        if upper.startswith("UNLOAD"):
            return self.unload(con, text)
        if upper.startswith("CREATE EXTERNAL SCHEMA"):
            return self.create_external_schema(con, text)
        if upper.startswith("CREATE TABLE") or upper.startswith("CREATE TEMP") or upper.startswith("CREATE TEMPORARY"):
            stripped, attributes = strip_table_attributes(text)
            outcome = self.execute(con, stripped)
            match = re.match(r"CREATE\s+(?:TEMP\w*\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.\"]+)", stripped, re.I)
            if match and attributes:
                con.execute("INSERT OR REPLACE INTO main.sandbox_table_attributes VALUES (?, ?, ?, ?)",
                            [match.group(1).strip('"').lower(), attributes.get("diststyle"),
                             attributes.get("distkey"), attributes.get("sortkey")])
            return outcome
        return self.execute(con, text)

    def execute(self, con: Any, text: str) -> StatementOutcome:
        sql = self._bind_external_tables(con, translate(text))
        cursor = con.execute(sql)
        if cursor.description is None:
            return StatementOutcome()
        rows = cursor.fetchall()
        names = [d[0] for d in cursor.description]
        head = text.split(None, 1)[0].upper()
        if head in ("INSERT", "UPDATE", "DELETE", "MERGE") and names == ["Count"]:
            return StatementOutcome(rows_affected=int(rows[0][0]) if rows else 0)
        if head in ("CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "COMMENT", "ANALYZE", "VACUUM"):
            return StatementOutcome()  # DDL has no result set on Redshift
        names = [redshift_column_name(n) for n in names]
        return StatementOutcome([(n, redshift_type(d[1])) for n, d in zip(names, cursor.description)],
                                [list(r) for r in rows], has_result_set=True, rows_affected=len(rows))

    # ---- metadata (ListSchemas / ListTables / DescribeTable) ----
    def schemas(self) -> list[str]:
        """Schema names as Redshift shows them (DuckDB's ``main`` is ``public``), external ones too."""
        con, lock = _connection(self.path)
        with lock:
            local = [r[0] for r in con.execute(
                "SELECT DISTINCT schema_name FROM information_schema.schemata WHERE catalog_name = current_database() "
                "AND schema_name NOT IN ('information_schema', 'pg_catalog')").fetchall()]
            external = list(self._external_schemas(con))
        names = {"public" if n == "main" else n for n in local} | set(external) | {"information_schema", "pg_catalog"}
        return sorted(names)

    def tables(self) -> list[dict[str, str]]:
        """``{"schema", "name", "type"}`` of every user table and view (Spectrum tables as EXTERNAL TABLE)."""
        con, lock = _connection(self.path)
        with lock:
            rows = con.execute(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                "WHERE table_catalog = current_database() AND table_name NOT LIKE 'sandbox\\_%' ESCAPE '\\' "
                "ORDER BY 1, 2").fetchall()
            external = self._external_schemas(con)
        out = [{"schema": "public" if schema == "main" else schema, "name": name,
                "type": "VIEW" if kind == "VIEW" else "TABLE"} for schema, name, kind in rows]
        for schema, database in sorted(external.items()):
            for name in sorted(self.catalog.list_tables(database) if self.catalog.database_exists(database) else []):
                out.append({"schema": schema, "name": name, "type": "EXTERNAL TABLE"})
        return out

    def columns(self, schema: str, table: str) -> list[dict[str, Any]] | None:
        """Columns of one table (name, Redshift type, nullable, default, position), or None when it is unknown."""
        con, lock = _connection(self.path)
        with lock:
            external = self._external_schemas(con)
            if schema in external:
                glue = self.catalog.get_table(external[schema], table)
                if glue is None:
                    return None
                cols = glue["StorageDescriptor"]["Columns"] + glue.get("PartitionKeys", [])
                return [{"name": c["Name"], "type": c["Type"], "nullable": True, "default": None} for c in cols]
            rows = con.execute(
                "SELECT column_name, data_type, is_nullable, column_default, numeric_precision, numeric_scale, "
                "character_maximum_length FROM information_schema.columns WHERE table_catalog = current_database() "
                "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                ["main" if schema == "public" else schema, table]).fetchall()
        if not rows:
            return None
        return [{"name": name, "type": redshift_type(kind), "nullable": nullable == "YES", "default": default,
                 "precision": precision or 0, "scale": scale or 0, "length": length or 0}
                for name, kind, nullable, default, precision, scale, length in rows]

    # ---- Spectrum ----
    def _external_schemas(self, con: Any) -> dict[str, str]:
        return dict(con.execute("SELECT schema_name, glue_database FROM main.sandbox_external_schemas").fetchall())

    def _bind_external_tables(self, con: Any, sql: str) -> str:
        import duckdb

        externals = self._external_schemas(con)
        if not externals:
            return sql
        from emulators.core import ports

        try:
            names = duckdb.get_table_names(sql, qualified=True)
        except duckdb.Error:
            return sql
        for name in names:
            bare = re.sub(r"\s+AS\s+.*$", "", name, flags=re.I)
            parts = [p.strip('"').lower() for p in bare.split(".")]
            if len(parts) != 2 or parts[0] not in externals:
                continue
            schema, table = parts
            try:  # the table as Athena reads it (the lake_table_dataset port), never a copy
                dataset = ports.lake_table_dataset(self.catalog.account_id, self.catalog.region, externals[schema],
                                                   table)
            except ports.NotFoundThroughPort as exc:
                raise StatementFailed(f"ERROR: relation \"{schema}.{table}\" does not exist ({exc})") from None
            alias = f"__spectrum_{schema}_{table}"
            con.register(alias, dataset)
            pattern = rf'"?\b{re.escape(schema)}\b"?\s*\.\s*"?\b{re.escape(table)}\b"?'
            sql = re.sub(pattern, f'"{alias}"', sql, flags=re.I)
        return sql

    def create_external_schema(self, con: Any, text: str) -> StatementOutcome:
        match = re.match(r"CREATE\s+EXTERNAL\s+SCHEMA\s+(IF\s+NOT\s+EXISTS\s+)?([\w\"]+)\s+FROM\s+DATA\s+CATALOG\s+"
                         r"DATABASE\s+'([^']+)'(.*)$", " ".join(text.split()), re.I)
        if not match:
            raise StatementFailed("ERROR: only CREATE EXTERNAL SCHEMA ... FROM DATA CATALOG DATABASE '...' is "
                                  "supported by the sandbox")
        schema, database, rest = match.group(2).strip('"').lower(), match.group(3).lower(), match.group(4)
        role = re.search(r"IAM_ROLE\s+'([^']+)'", rest, re.I)
        if schema in self._external_schemas(con):
            if match.group(1):
                return StatementOutcome()
            raise StatementFailed(f"ERROR: Schema \"{schema}\" already exists")
        if not self.catalog.database_exists(database):
            if re.search(r"CREATE\s+EXTERNAL\s+DATABASE\s+IF\s+NOT\s+EXISTS", rest, re.I):
                self.catalog.create_database(database, "created by CREATE EXTERNAL SCHEMA", None)
            else:
                raise StatementFailed(f"ERROR: External database \"{database}\" does not exist in the Data Catalog")
        con.execute("INSERT INTO main.sandbox_external_schemas VALUES (?, ?, ?)",
                    [schema, database, role.group(1) if role else None])
        return StatementOutcome()

    # ---- COPY / UNLOAD ----
    def copy(self, con: Any, text: str) -> StatementOutcome:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.json as pajson
        import pyarrow.parquet as pq

        flat = " ".join(text.split())
        match = re.match(r"COPY\s+([\w.\"]+)\s*(\([^)]*\))?\s+FROM\s+'([^']+)'(.*)$", flat, re.I)
        if not match:
            raise StatementFailed("ERROR: syntax error in COPY: expected COPY table FROM 's3://...' ...")
        table, column_list, source, options = match.group(1), match.group(2), match.group(3), match.group(4)
        if not source.startswith("s3://"):
            raise StatementFailed("ERROR: COPY in the sandbox reads from s3:// only")
        bucket, _, prefix = source[len("s3://"):].partition("/")
        try:
            objects = [o for o in self.lake.list(bucket, prefix) if not o.key.endswith("/")]
        except Exception as exc:
            raise StatementFailed(f"ERROR: S3ServiceException: {exc}") from None
        if not objects:
            raise StatementFailed(f"ERROR: The specified S3 prefix '{prefix}' does not exist")
        fmt = "parquet" if re.search(r"FORMAT\s+(AS\s+)?PARQUET", options, re.I) else \
            "json" if re.search(r"\bJSON\b", options, re.I) else "csv"
        delimiter = (re.search(r"DELIMITER\s+(?:AS\s+)?'((?:\\.|[^'])*)'", options, re.I) or [None, ","])[1]
        delimiter = delimiter.encode().decode("unicode_escape")
        ignore = int((re.search(r"IGNOREHEADER\s+(?:AS\s+)?(\d+)", options, re.I) or [None, "0"])[1])
        target_cols = [c.strip().strip('"') for c in column_list[1:-1].split(",")] if column_list else None
        described = con.execute(f"DESCRIBE {table}").fetchall()
        columns = target_cols or [row[0] for row in described]
        loaded = 0
        for obj in objects:
            data = self.lake.get(bucket, obj.key)
            if obj.key.endswith(".gz") or re.search(r"\bGZIP\b", options, re.I):
                data = gzip.decompress(data)
            if fmt == "parquet":
                arrow = pq.read_table(io.BytesIO(data))
            elif fmt == "json":
                arrow = pajson.read_json(io.BytesIO(data))
                arrow = arrow.select([c for c in columns if c in arrow.column_names])
            else:
                arrow = pacsv.read_csv(io.BytesIO(data), read_options=pacsv.ReadOptions(
                    skip_rows=ignore, autogenerate_column_names=True),
                    parse_options=pacsv.ParseOptions(delimiter=delimiter),
                    convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
            if arrow.num_columns != len(columns) and fmt != "json":
                raise StatementFailed(f"ERROR: Load into table '{table}' failed. Check 'sys_load_error_detail' "
                                      f"system table for details. (file {obj.key} has {arrow.num_columns} columns, "
                                      f"the table {len(columns)})")
            arrow = arrow.rename_columns(columns[: arrow.num_columns]) if fmt != "json" else arrow
            con.register("__copy_source", pa.Table.from_batches(arrow.to_batches(), arrow.schema))
            cols = ", ".join(f'"{c}"' for c in arrow.column_names)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM __copy_source")
            con.unregister("__copy_source")
            loaded += arrow.num_rows
        return StatementOutcome(rows_affected=loaded)

    def unload(self, con: Any, text: str) -> StatementOutcome:
        import pyarrow.parquet as pq

        flat = " ".join(text.split())
        match = re.match(r"UNLOAD\s*\(\s*'((?:''|[^'])*)'\s*\)\s+TO\s+'([^']+)'(.*)$", flat, re.I)
        if not match:
            raise StatementFailed("ERROR: syntax error in UNLOAD: expected UNLOAD ('select ...') TO 's3://...' ...")
        query, target, options = match.group(1).replace("''", "'"), match.group(2), match.group(3)
        bucket, _, prefix = target[len("s3://"):].partition("/")
        existing = self.lake.list(bucket, prefix)
        if existing and not re.search(r"\bALLOWOVERWRITE\b", options, re.I):
            raise StatementFailed(f"ERROR: Specified unload destination on S3 is not empty. Consider using a "
                                  f"different bucket / prefix, manually removing the target files in S3, or using "
                                  f"the ALLOWOVERWRITE option.")
        arrow = con.sql(self._bind_external_tables(con, translate(query))).to_arrow_table()
        partition = re.search(r"PARTITION\s+BY\s*\(([^)]*)\)\s*(INCLUDE)?", options, re.I)
        if partition:
            return self._unload_partitioned(arrow, bucket, prefix, options,
                                            [c.strip().strip('"') for c in partition.group(1).split(",") if c.strip()],
                                            bool(partition.group(2)))
        if re.search(r"FORMAT\s+(AS\s+)?PARQUET", options, re.I):
            buf = io.BytesIO()
            pq.write_table(arrow, buf)
            body, suffix = buf.getvalue(), ".parquet"
        else:
            delimiter = (re.search(r"DELIMITER\s+(?:AS\s+)?'((?:\\.|[^'])*)'", options, re.I) or [None, "|"])[1]
            if re.search(r"FORMAT\s+(AS\s+)?CSV", options, re.I):
                delimiter = ","
            out = io.StringIO()
            writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
            if re.search(r"\bHEADER\b", options, re.I):
                writer.writerow(arrow.column_names)
            for row in arrow.to_pylist():
                writer.writerow(["" if v is None else v for v in row.values()])
            body, suffix = out.getvalue().encode(), ""
            if re.search(r"\bGZIP\b", options, re.I):
                body, suffix = gzip.compress(body), ".gz"
        self.lake.put(bucket, f"{prefix}0000_part_00{suffix}", body)
        return StatementOutcome(rows_affected=arrow.num_rows)


    def _unload_partitioned(self, arrow: Any, bucket: str, prefix: str, options: str, keys: list[str],
                            include: bool) -> StatementOutcome:
        """UNLOAD ... PARTITION BY (cols): one ``col=value/`` folder per partition, Hive style."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        missing = [k for k in keys if k not in arrow.column_names]
        if missing:
            raise StatementFailed(f"ERROR: Partition column \"{missing[0]}\" is not in the UNLOAD query's columns")
        folder = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        parquet = re.search(r"FORMAT\s+(AS\s+)?PARQUET", options, re.I) is not None
        combos = arrow.select(keys).group_by(keys).aggregate([]).to_pylist()
        for combo in combos:
            mask = None
            for key in keys:
                column = arrow[key]
                test = pc.is_null(column) if combo[key] is None else pc.equal(column, combo[key])
                mask = test if mask is None else pc.and_(mask, test)
            part = arrow.filter(mask)
            if not include:
                part = part.drop_columns(keys)
            path = "".join(f"{k}={'__HIVE_DEFAULT_PARTITION__' if combo[k] is None else combo[k]}/" for k in keys)
            if parquet:
                buf = io.BytesIO()
                pq.write_table(part, buf)
                body, suffix = buf.getvalue(), ".parquet"
            else:
                out = io.StringIO()
                writer = csv.writer(out, delimiter="," if re.search(r"\bCSV\b", options, re.I) else "|",
                                    lineterminator="\n")
                if re.search(r"\bHEADER\b", options, re.I):
                    writer.writerow(part.column_names)
                for row in part.to_pylist():
                    writer.writerow(["" if v is None else v for v in row.values()])
                body, suffix = out.getvalue().encode(), ""
            self.lake.put(bucket, f"{folder}{path}0000_part_00{suffix}", body)
        return StatementOutcome(rows_affected=arrow.num_rows)


def _clean(exc: Exception) -> str:
    message = str(exc).strip()
    message = re.sub(r"__spectrum_(\w+?)_(\w+)", r"\1.\2", message)
    missing = re.match(r"Catalog Error: Table with name (\S+) does not exist!", message)
    if missing:  # as Redshift says it, without DuckDB's hints (which name the sandbox's own tables)
        return f'relation "{missing.group(1).lower()}" does not exist'
    return message


def to_json_rows(outcome: StatementOutcome) -> str:
    return json.dumps({"columns": outcome.columns, "rows": outcome.rows}, default=str)
