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

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.core.sqlguard import duckdb_only_call, lock_down, statement_count
from emulators.redshift import copy_load, spectrum, system_tables, unload
from emulators.redshift.dialect import (
    create_table_like,
    identity_columns,
    public_schema,
    redshift_column_name,
    redshift_type,
    strip_table_attributes,
    translate,
)

_connections: dict[str, Any] = {}
_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


class StatementFailed(Exception):
    """The statement failed; the message is what the Data API reports as Error."""


class BatchFailed(StatementFailed):
    """A statement of a batch failed (``index``: which one); the whole batch was rolled back."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


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
            system_tables.install(con)
            lock_down(con)  # the warehouse file is open: the SQL reaches no other host file (sqlguard)
            _connections[key] = con
            _locks[key] = threading.Lock()
        return _connections[key], _locks[key]


def copy_databases(source: Path, target: Path) -> None:
    """Copy every database file of a cluster's folder (a snapshot, a restore): each checkpointed first."""
    import shutil

    if not source.is_dir():
        return
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.duckdb")):
        con, lock = _connection(path)
        with lock:
            con.execute("CHECKPOINT")
            shutil.copyfile(path, target / path.name)


def drop_databases(folder: Path) -> None:
    """Close and delete every database file of a folder (a deleted cluster or snapshot)."""
    import shutil

    with _registry_lock:
        for key in [k for k in _connections if Path(k).parent == folder]:
            try:
                _connections.pop(key).close()
            except Exception:
                pass
            _locks.pop(key, None)
    shutil.rmtree(folder, ignore_errors=True)


def interrupt(path: Path) -> None:
    """Stop the statement running on a database file, if any (CancelStatement)."""
    with _registry_lock:
        con = _connections.get(str(path))
    if con is not None:
        con.interrupt()


def close_all() -> None:
    with _registry_lock:
        for con in _connections.values():
            try:
                con.close()
            except Exception:
                pass
        _connections.clear()
        _locks.clear()


class Warehouse:
    """One Redshift database (a DuckDB file) with the lake and the Glue catalog beside it."""

    def __init__(self, path: Path, lake: Any, catalog: Any, user: str | None = None) -> None:
        self.path = path
        self.lake = lake
        self.catalog = catalog
        self.user = user  # who CURRENT_USER is

    def run(self, sql: str) -> StatementOutcome:
        con, lock = _connection(self.path)
        with lock:
            return self._run_locked(con, sql)

    def run_batch(self, sqls: list[str]) -> list[StatementOutcome]:
        """BatchExecuteStatement: every statement in one transaction, no other statement in between.

        A failure rolls the whole batch back and raises :class:`BatchFailed` with the failed statement's index.
        """
        con, lock = _connection(self.path)
        outcomes: list[StatementOutcome] = []
        with lock:
            con.execute("BEGIN TRANSACTION")
            try:
                for sql in sqls:
                    outcomes.append(self._run_locked(con, sql))
            except StatementFailed as exc:
                con.execute("ROLLBACK")
                raise BatchFailed(str(exc), len(outcomes)) from None
            except Exception:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        return outcomes

    def _run_locked(self, con: Any, sql: str) -> StatementOutcome:
        import duckdb

        text = sql.strip().rstrip(";").strip()
        if not text or statement_count(con, text) == 0:  # whitespace or comments only (a script split on ';')
            return StatementOutcome()
        host_function = duckdb_only_call(text)
        if host_function:  # Redshift's answer for a function it does not have
            raise StatementFailed(f"ERROR: function {host_function.lower()} does not exist")
        if statement_count(con, text) > 1:
            raise StatementFailed("ERROR: ExecuteStatement runs one SQL statement; use BatchExecuteStatement "
                                  "for several (the text holds more than one statement)")
        try:
            return self._dispatch(con, public_schema(text))
        except duckdb.Error as exc:
            raise StatementFailed(f"ERROR: {_clean(exc)}") from None
        except ValueError as exc:  # the sandbox's own parsing of a Redshift-only statement
            raise StatementFailed(f"ERROR: {exc}") from None

    def _dispatch(self, con: Any, text: str) -> StatementOutcome:
        import duckdb

        upper = " ".join(text.split()[:4]).upper()
        if re.match(r"(GRANT|REVOKE|(CREATE|ALTER|DROP) (USER|GROUP|ROLE))\b", upper):
            raise StatementFailed("ERROR: users, groups, roles and privileges are not emulated by the sandbox (one "
                                  "user owns every object): leave this statement out")
        if re.match(r"(CALL|CREATE (OR REPLACE )?PROCEDURE)\b", upper):
            raise StatementFailed("ERROR: stored procedures are not emulated by the sandbox")
        if upper.startswith("COPY "):
            return self.copy(con, text)
        if upper.startswith("UNLOAD"):
            return self.unload(con, text)
        if upper.startswith("CREATE EXTERNAL SCHEMA"):
            return self.create_external_schema(con, text)
        if upper.startswith("CREATE EXTERNAL TABLE"):
            return self.create_external_table(con, text)
        external = re.match(r"(DROP|ALTER)\s+TABLE\s+(IF\s+EXISTS\s+)?([\w\"]+)\s*\.\s*([\w\"]+)", text, re.I)
        if external and external.group(3).strip('"').lower() in self._external_schemas(con):
            return self.change_external_table(con, text, external)
        maintenance = self.maintenance(con, text)
        if maintenance is not None:
            return maintenance
        kind = system_tables.materialized_view_statement(text)
        if kind:
            prepare = lambda query: self._bind_external_tables(con, translate(query, self.user))  # noqa: E731
            if kind == "create":
                system_tables.create_materialized_view(con, text, prepare)
            elif kind == "refresh":
                system_tables.refresh_materialized_view(con, text, prepare)
            else:
                system_tables.drop_materialized_view(con, text)
            return StatementOutcome()
        if upper.startswith("CREATE TABLE") or upper.startswith("CREATE TEMP") or upper.startswith("CREATE TEMPORARY"):
            like = create_table_like(text)
            if like:  # CREATE TABLE t (LIKE other): other's columns, no rows
                table, source, if_not_exists = like
                exists = "IF NOT EXISTS " if if_not_exists else ""
                con.execute(f"CREATE TABLE {exists}{table} AS SELECT * FROM {source} LIMIT 0")
                return StatementOutcome()
            match = re.match(r"CREATE\s+(?:TEMP\w*\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.\"]+)", text, re.I)
            stripped, sequences = identity_columns(text, match.group(1).strip('"').lower()) if match else (text, [])
            stripped, attributes = strip_table_attributes(stripped)
            if sequences:
                for sequence, seed, step in sequences:
                    try:
                        con.execute(f"CREATE OR REPLACE SEQUENCE {sequence} START WITH {seed} INCREMENT BY {step} "
                                    f"MINVALUE {min(seed, 0) - 1 if step > 0 else -(2 ** 62)} "
                                    f"MAXVALUE {2 ** 62 if step > 0 else max(seed, 0) + 1}")
                    except duckdb.Error:
                        pass  # the table already exists and uses it: CREATE TABLE says so
            outcome = self.execute(con, stripped)
            if match and attributes:
                table = re.sub(r"^main\.", "", match.group(1).replace('"', "").lower())  # public.t is t
                con.execute("INSERT OR REPLACE INTO main.sandbox_table_attributes VALUES (?, ?, ?, ?)",
                            [table, attributes.get("diststyle"), attributes.get("distkey"), attributes.get("sortkey")])
            return outcome
        return self.execute(con, text)

    def maintenance(self, con: Any, text: str) -> StatementOutcome | None:
        """Redshift's table maintenance: VACUUM [FULL | SORT ONLY | DELETE ONLY | REINDEX | RECLUSTER] and ANALYZE
        [PREDICATE COLUMNS] have nothing to sort or sample in DuckDB (done, no effect); ALTER TABLE ... ALTER
        DISTSTYLE / DISTKEY / SORTKEY / ENCODE records the new design for svv_table_info and pg_table_def."""
        flat = " ".join(text.split())
        if re.match(r"VACUUM\b", flat, re.I):
            return StatementOutcome()
        if re.match(r"ANALYZE\s+COMPRESSION\b", flat, re.I):
            raise StatementFailed("ERROR: ANALYZE COMPRESSION is not emulated by the sandbox (column encodings have "
                                  "no effect on DuckDB's storage)")
        if re.match(r"ANALYZE\b", flat, re.I):
            return StatementOutcome()
        renamed = re.match(r"ALTER\s+TABLE\s+([\w.\"]+)\s+RENAME\s+TO\s+([\w\"]+)$", flat, re.I)
        dropped = re.match(r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w.\"]+)(?:\s+(?:CASCADE|RESTRICT))?$", flat, re.I)
        if renamed or dropped:  # the design recorded for the table follows it
            outcome = self.execute(con, text)
            name = re.sub(r"^main\.", "", (renamed or dropped).group(1).replace('"', "").lower())
            if renamed:
                con.execute("UPDATE main.sandbox_table_attributes SET table_name = ? WHERE table_name = ?",
                            [renamed.group(2).replace('"', "").lower(), name])
            else:
                con.execute("DELETE FROM main.sandbox_table_attributes WHERE table_name = ?", [name])
            return outcome
        alter = re.match(r"ALTER\s+TABLE\s+([\w.\"]+)\s+ALTER\s+(.*)$", flat, re.I)
        if not alter or not re.match(r"(DISTSTYLE|DISTKEY|(COMPOUND\s+|INTERLEAVED\s+)?SORTKEY|ENCODE)\b",
                                     alter.group(2), re.I):
            return None
        table = re.sub(r"^main\.", "", alter.group(1).replace('"', "").lower())
        if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", [table.split(".")[-1]]).fetchone():
            raise StatementFailed(f'ERROR: relation "{table}" does not exist')
        _, changes = strip_table_attributes(f"CREATE TABLE x () {alter.group(2)}")
        style = re.match(r"DISTSTYLE\s+(\w+)", alter.group(2), re.I)
        if style:
            changes["diststyle"] = style.group(1).lower()
        key = re.search(r"\bDISTKEY\s+\(?\s*([\w\"]+)", alter.group(2), re.I)
        if key:
            changes["distkey"] = key.group(1).strip('"').lower()
            changes.setdefault("diststyle", "key")
        if re.search(r"\bSORTKEY\s+(AUTO|NONE)\b", alter.group(2), re.I):
            changes["sortkey"] = None
        con.execute("INSERT OR IGNORE INTO main.sandbox_table_attributes (table_name) VALUES (?)", [table])
        for column in ("diststyle", "distkey", "sortkey"):
            if column in changes:
                con.execute(f"UPDATE main.sandbox_table_attributes SET {column} = ? WHERE table_name = ?",
                            [changes[column], table])
        return StatementOutcome()

    def execute(self, con: Any, text: str) -> StatementOutcome:
        sql = self._bind_external_tables(con, translate(text, self.user))
        system_tables.refresh_external_views(con, sql, self._external_schemas(con), self.catalog)
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
        except duckdb.Error:  # DuckDB binds INSERT/UPDATE targets to list names: the external ones by their schema
            without_strings = re.sub(r"'(?:[^']|'')*'", "''", sql)
            names = {f"{m.group(1)}.{m.group(2)}" for m in re.finditer(
                r'"?\b(' + "|".join(re.escape(e) for e in externals) + r')\b"?\s*\.\s*"?(\w+)"?', without_strings,
                re.I)}
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

    def create_external_table(self, con: Any, text: str) -> StatementOutcome:
        schema, table, table_input, if_not_exists = spectrum.external_table_input(text)
        database = self._external_schemas(con).get(schema)
        if database is None:
            raise StatementFailed(f'ERROR: External schema "{schema}" does not exist (CREATE EXTERNAL SCHEMA first)')
        if self.catalog.get_table(database, table) is not None:
            if if_not_exists:
                return StatementOutcome()
            raise StatementFailed(f'ERROR: relation "{table}" already exists')
        self.catalog.create_table(database, table_input)
        return StatementOutcome()

    def change_external_table(self, con: Any, text: str, match: re.Match[str]) -> StatementOutcome:
        """DROP TABLE / ALTER TABLE ... ADD PARTITION of a Spectrum table: a change to its Glue table."""
        schema, table = match.group(3).strip('"').lower(), match.group(4).strip('"').lower()
        database = self._external_schemas(con)[schema]
        found = self.catalog.get_table(database, table)
        if found is None:
            if match.group(2):
                return StatementOutcome()
            raise StatementFailed(f'ERROR: relation "{schema}.{table}" does not exist')
        if match.group(1).upper() == "DROP":
            self.catalog.delete_table(database, table)
            return StatementOutcome()
        if not re.search(r"\bADD\s+(IF\s+NOT\s+EXISTS\s+)?PARTITION\b", text, re.I):
            raise StatementFailed("ERROR: the sandbox's ALTER TABLE of an external table supports ADD PARTITION only")
        partitions, if_not_exists = spectrum.added_partitions(text, found)
        existing = {tuple(p["Values"]) for p in self.catalog.get_partitions(database, table)}
        new = [p for p in partitions if tuple(p["Values"]) not in existing]
        if len(new) < len(partitions) and not if_not_exists:
            raise StatementFailed("ERROR: Partition already exists.")
        if new:
            self.catalog.add_partitions(database, table, new)
        return StatementOutcome()

    # ---- COPY / UNLOAD ----
    def copy(self, con: Any, text: str) -> StatementOutcome:
        loaded = copy_load.copy(con, text, self.lake)
        system_tables.record_copy(con, loaded)
        return StatementOutcome(rows_affected=loaded)

    def unload(self, con: Any, text: str) -> StatementOutcome:
        def run_query(query: str) -> Any:
            return con.sql(self._bind_external_tables(con, translate(query, self.user))).to_arrow_table()

        return StatementOutcome(rows_affected=unload.unload(text, self.lake, run_query))


def _clean(exc: Exception) -> str:
    message = str(exc).strip()
    message = re.sub(r"__spectrum_(\w+?)_(\w+)", r"\1.\2", message)
    missing = re.match(r"Catalog Error: Table with name (\S+) does not exist!", message)
    if missing:  # as Redshift says it, without DuckDB's hints (which name the sandbox's own tables)
        return f'relation "{missing.group(1).lower()}" does not exist'
    return message


def to_json_rows(outcome: StatementOutcome) -> str:
    return json.dumps({"columns": outcome.columns, "rows": outcome.rows}, default=str)
