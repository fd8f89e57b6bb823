"""The engine: one statement in, a :class:`QueryResult` out; SELECTs run on DuckDB over the lake datasets.

:class:`AthenaEngine` sends each statement to its kind (DDL, views, writes come from the mixins in
the sibling modules); for a SELECT, DuckDB names the tables it needs, each becomes a lake dataset (a
view becomes what it reads, then a DuckDB view), and the connection is locked down before the
user's SQL runs.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from emulators.athena import functions
from emulators.athena.engine.alter import AlterStatements
from emulators.athena.engine.ddl import DdlStatements
from emulators.athena.engine import native
from emulators.athena.engine.lake import (PSEUDO_COLUMNS, is_regex_table, regex_select, regex_splitter,
                                           resolve_table, table_dataset)
from emulators.athena.engine.metadata import partitions_table, register_information_schema
from emulators.athena.engine.sql import (_clean_error, _ColumnKinds, _discard, _fresh_connection, _referenced_tables,
                                         _translate, athena_column_names, drop_kept_except, keep_views,
                                         partition_filter, scanned_bytes, unkeep)
from emulators.athena.engine.text import _qualified, strip_leading_comments
from emulators.athena.engine.types import (Catalog, QueryFailed, QueryResult, _format_value, _ScanCounter, athena_type,
                                           decimal_scale)
from emulators.athena.engine.views import ViewStatements, view_definition
from emulators.athena.engine.writes import WriteStatements
from emulators.core.sqlguard import statement_count



# AS, then (comments and) the query of a CREATE TABLE AS: awswrangler's ctas_approach puts the user's SQL, leading
# comments included, right after AS
_CTAS_QUERY = re.compile(r"\bAS\b(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(\(|SELECT\b|WITH\b)", re.I | re.S)

_STATEMENT_COUNTS: dict[str, int] = {}


def _statement_count(con: Any, sql: str) -> int:
    """:func:`statement_count`, remembered per text (DuckDB's parse costs a quarter of a small query's time)."""
    count = _STATEMENT_COUNTS.get(sql)
    if count is None:
        count = statement_count(con, sql)
        if len(_STATEMENT_COUNTS) > 512:
            _STATEMENT_COUNTS.clear()
        _STATEMENT_COUNTS[sql] = count
    return count


class AthenaEngine(DdlStatements, AlterStatements, ViewStatements, WriteStatements):
    def __init__(self, catalog: Catalog, lake: Any) -> None:
        self.catalog = catalog
        self.lake = lake
        self.cancelled = False
        self._running: set[Any] = set()  # DuckDB connections running this engine's statement
        self._running_lock = threading.Lock()

    def cancel(self) -> None:
        """Stop the statement this engine runs (StopQueryExecution): its DuckDB work is interrupted and it ends
        with :class:`QueryFailed`; a CTAS, INSERT or UNLOAD stopped while it reads writes nothing."""
        with self._running_lock:
            self.cancelled = True
            running = list(self._running)
        for con in running:
            try:
                con.interrupt()
            except Exception:  # the statement ended and its connection closed meanwhile
                pass

    def _release(self, con: Any) -> None:
        with self._running_lock:  # decided under the lock cancel() takes: a connection it may interrupt is closed
            self._running.discard(con)
            reusable = not self.cancelled
        _discard(con, reusable=reusable)
        if self.cancelled:
            raise QueryFailed("Query was cancelled by the user")

    def table_dataset(self, database: str, name: str, counter: _ScanCounter, pseudo: bool = False,
                      table: dict[str, Any] | None = None) -> Any:
        """The table as a pyarrow dataset (see :func:`emulators.athena.engine.lake.table_dataset`)."""
        return table_dataset(self.catalog, self.lake, database, name, counter, pseudo, table)

    def execute(self, sql: str, database: str | None, output_location: str | None = None,
                query_id: str | None = None) -> QueryResult:
        statement = strip_leading_comments(sql).strip().rstrip(";").strip()
        if not statement:
            raise QueryFailed("line 1:1: mismatched input '<EOF>'. Expecting: 'ALTER', 'CREATE', 'SELECT', ...")
        database = (database or "default").strip().strip("`\"").lower()  # awswrangler sends `db`
        words = statement.split(None, 3)
        head = words[0].upper()
        second = words[1].upper() if len(words) > 1 else ""
        if head == "CREATE" and second not in ("DATABASE", "SCHEMA"):
            self._default_database(statement, database)
        if head in ("SELECT", "WITH", "VALUES", "(", "TABLE") or statement.startswith("("):
            return self.select(statement, database)
        if head == "CREATE" and re.match(r"CREATE\s+(OR\s+REPLACE\s+)?(PROTECTED\s+)?VIEW\b", statement, re.I):
            return self.create_view(statement, database)
        if head == "DROP" and second == "VIEW":
            return self.drop_view(statement, database)
        if head == "CREATE" and second in ("DATABASE", "SCHEMA"):
            return self.create_database(statement)
        if head == "DROP" and second in ("DATABASE", "SCHEMA"):
            return self.drop_database(statement)
        if head == "CREATE" and (second == "EXTERNAL" or (second == "TABLE" and not _CTAS_QUERY.search(statement))):
            return self.create_external_table(statement, database)
        if head == "CREATE" and second == "TABLE":
            return self.create_table_as_select(statement, database, output_location, query_id)
        if head == "DROP" and second == "TABLE":
            return self.drop_table(statement, database)
        if head == "MSCK":
            return self.msck_repair(statement, database)
        if head == "ALTER" and second == "TABLE":
            return self.alter_table(statement, database)
        if head in ("SHOW", "DESCRIBE", "DESC"):
            # UTILITY: "query statements other than DDL and DML, such as SHOW CREATE TABLE, or DESCRIBE TABLE"
            # (API reference, QueryExecution.StatementType)
            result = self.show(statement, database) if head == "SHOW" else self.describe(statement, database)
            result.statement_type = "UTILITY"
            return result
        if head == "INSERT":
            return self.insert_into(statement, database)
        if head == "UNLOAD":
            return self.unload(statement, database)
        if head == "EXPLAIN":
            return self.explain(statement, database)
        if head in ("UPDATE", "DELETE", "MERGE", "OPTIMIZE", "VACUUM"):
            raise QueryFailed(f"NOT_SUPPORTED: {head} needs an Apache Iceberg table, and the sandbox's Athena does not "
                              "emulate Iceberg tables (their rows cannot be modified in place here; rewrite the data "
                              "with CTAS or INSERT INTO instead)")
        known = ("ALTER", "CREATE", "DESCRIBE", "DROP", "EXPLAIN", "INSERT", "MSCK", "SELECT", "SHOW", "UNLOAD", "WITH")
        if head not in known:
            raise QueryFailed(f"line 1:1: mismatched input '{words[0]}'. Expecting: "
                              + ", ".join(f"'{k}'" for k in known))
        raise QueryFailed(f"line 1:1: {head} {second} is not supported by the sandbox's Athena (supported: "
                          "SELECT/WITH, CREATE/DROP DATABASE, CREATE EXTERNAL TABLE, CTAS, CREATE/DROP VIEW, DROP "
                          "TABLE, MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION, SHOW, DESCRIBE, INSERT INTO, "
                          "UNLOAD)")

    def _default_database(self, statement: str, database: str) -> None:
        """Every account's Glue Data Catalog has a ``default`` database (Athena's default context): made the first
        time a statement creates something in it."""
        if self.catalog.database_exists("default"):
            return
        target = re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:EXTERNAL\s+|PROTECTED\s+)?(?:TABLE|VIEW)\s+"
                          r"(?:IF\s+NOT\s+EXISTS\s+)?([`\"\w.-]+)", statement, re.I)
        if target and _qualified(target.group(1), database)[0] == "default":
            self.catalog.create_database("default", "Default Hive database", None)

    def _connection(self, sql: str, database: str, counter: _ScanCounter) -> tuple[Any, str]:
        """A DuckDB connection with the tables ``sql`` reads registered, and ``sql`` in DuckDB's dialect.

        The only place the engine opens a connection for user SQL."""
        import duckdb

        translated = _translate(sql)
        self.query_text = sql  # injected partition projection reads its values from the query
        references = _referenced_tables(translated, database)
        self._native_root = native.root_for(self.lake)
        self._kept: set[tuple[str, str]] = set()  # the kept views (of natively read tables) this statement uses
        con = _fresh_connection(self._native_root)
        with self._running_lock:
            self._running.add(con)
        try:
            if self.cancelled:
                raise QueryFailed("Query was cancelled by the user")
            if _statement_count(con, translated) > 1:
                raise QueryFailed(f"line 1:1: Only one sql statement is allowed. Got: {sql[:500]}")
            pseudo = any(column in sql for column in PSEUDO_COLUMNS)
            kinds = _ColumnKinds()
            self._natives: list[tuple[Any, ...]] = []
            for db, table in references:
                self._register(con, db, table, database, counter, (), pseudo, kinds)
            if kinds.any():
                translated = _translate(sql, kinds.columns())
            for read, db, table, views, schema in self._natives:
                self._define_native(con, read, db, table, views, schema, counter, translated, database)
            drop_kept_except(con, self._kept)
            translated = register_information_schema(con, translated, self.catalog)
            functions.install(con, translated)  # the connection was locked down when opened (sqlguard)
        except BaseException:
            counter.release()
            self._release(con)
            raise
        return con, translated

    def _register(self, con: Any, db: str, name: str, database: str, counter: _ScanCounter,
                  within: tuple[str, ...], pseudo: bool = False, kinds: _ColumnKinds | None = None) -> None:
        """Make ``"db"."name"`` (and ``name`` when ``db`` is the query's database) readable in ``con``."""
        import duckdb

        key = f"{db}.{name}"
        if key in within:
            raise QueryFailed(f"VIEW_IS_RECURSIVE: line 1:1: View is recursive: awsdatacatalog.{key}")
        table = self.catalog.get_table(db, name)
        schema = f'CREATE SCHEMA IF NOT EXISTS "{db}"; '
        views = [(db, name)] + ([("main", name)] if db == database and not within else [])
        resolved = None
        if table is not None and table.get("TableType") != "VIRTUAL_VIEW":
            resolved = resolve_table(self.catalog, self.lake, db, name, table, getattr(self, "query_text", ""))
            root = getattr(self, "_native_root", None)
            read = native.lend(con, root, self.lake, db, name, resolved, counter) if root and not pseudo else None
            if read is not None:  # DuckDB reads the files itself (native.py)
                if kinds is not None:
                    kinds.add_schema(read.schema)
                if within:  # the view reading it is made next, and needs it
                    self._define_native(con, read, db, name, views, schema, counter)
                else:  # once the statement's final text is known: it may read only some partitions
                    self._natives.append((read, db, name, views, schema))
                return
        unkeep(con, views)
        partitions = partitions_table(self.catalog, db, name) if table is None else None
        if partitions is not None:  # "table$partitions"
            alias = f"__{db}__{name}".replace("$", "_")
            con.register(alias, partitions)
            schema += f'CREATE OR REPLACE VIEW "{db}"."{name}" AS SELECT * FROM "{alias}"; '
            if db == database and not within:
                schema += f'CREATE OR REPLACE VIEW main."{name}" AS SELECT * FROM "{alias}"; '
            con.execute(schema)
            return
        if table is not None and table.get("TableType") == "VIRTUAL_VIEW":
            con.execute(schema)
            schema = ""
        if table is not None and table.get("TableType") == "VIRTUAL_VIEW":
            # a view: register what it reads (unqualified names are the view's own schema), then the view
            original = view_definition(table)["originalSql"]
            view_sql = _translate(original)
            inner = _ColumnKinds()
            for ref_db, ref_name in _referenced_tables(view_sql, db):
                self._register(con, ref_db, ref_name, database, counter, (*within, key), pseudo, inner)
            if inner.any():
                view_sql = _translate(original, inner.columns())
            functions.install(con, view_sql)
            try:
                con.execute(f'CREATE OR REPLACE VIEW "{db}"."{name}" AS {view_sql}')
            except duckdb.Error as exc:
                raise QueryFailed(f"VIEW_IS_STALE: line 1:1: View 'awsdatacatalog.{key}' is stale or in invalid "
                                  f"state: {_clean_error(exc)}") from None
            source = f'"{db}"."{name}"'
            if kinds is not None:
                kinds.add_schema(con.sql(f'SELECT * FROM "{db}"."{name}" LIMIT 0').to_arrow_table().schema)
        else:
            alias = f"__{db}__{name}"
            dataset = table_dataset(self.catalog, self.lake, db, name, counter, pseudo, table, reuse=True,
                                    query=getattr(self, "query_text", ""), resolved=resolved)
            con.register(alias, dataset)
            if is_regex_table(table):  # RegexSerDe: the columns are the regex's groups of each line
                function = f"__regex{alias}"
                try:
                    con.remove_function(function)  # an earlier statement's, for this table's regex then
                except duckdb.InvalidInputException:
                    pass
                con.create_function(function, regex_splitter(table), [duckdb.sqltype("VARCHAR")],
                                    duckdb.sqltype("VARCHAR[]"), type="arrow", null_handling="special")
                select = regex_select(table, f'"{alias}"', function, PSEUDO_COLUMNS if pseudo else ())
                schema += f'CREATE OR REPLACE VIEW "{db}"."{name}" AS {select}; '
                con.execute(schema)
                schema, source = "", f'"{db}"."{name}"'
                if kinds is not None:
                    kinds.add_schema(con.sql(f'SELECT * FROM {source} LIMIT 0').to_arrow_table().schema)
            elif any(n != n.lower() for n in dataset.schema.names):  # a file's column spelled UserId
                columns = ", ".join(f'"{n}" AS "{n.lower()}"' if n != n.lower() else f'"{n}"'
                                    for n in dataset.schema.names)
                schema += f'CREATE OR REPLACE VIEW "{db}"."{name}" AS SELECT {columns} FROM "{alias}"; '
                con.execute(schema)
                schema, source = "", f'"{db}"."{name}"'
                if kinds is not None:
                    kinds.add_schema(con.sql(f'SELECT * FROM {source} LIMIT 0').to_arrow_table().schema)
            else:
                schema += f'CREATE OR REPLACE VIEW "{db}"."{name}" AS SELECT * FROM "{alias}"; '
                source = f'"{alias}"'
                if kinds is not None:
                    kinds.add_schema(dataset.schema)
        if db == database and not within:
            schema += f'CREATE OR REPLACE VIEW main."{name}" AS SELECT * FROM {source}; '
        if schema:
            con.execute(schema)  # one call: each call into DuckDB costs more than these statements

    def _define_native(self, con: Any, read: Any, db: str, name: str, views: list[tuple[str, str]], schema: str,
                       counter: _ScanCounter, translated: str | None = None, database: str = "") -> None:
        """The views of a table DuckDB reads itself (``native``), kept in the connection for later statements
        (:func:`keep_views`). A statement whose WHERE clause filters the partitions of the one table it reads
        (``translated``) gets, under the name it gives the table, a view of the files of those partitions only, as
        Athena reads only the partitions its filter keeps (kept too: the same statement again needs it again)."""
        found = (partition_filter(con, translated, database, (db, name), tuple(read.key_names))
                 if translated and read.key_types else None)
        files = read.kept(con, found[0]) if found else None
        counter.footers += sum(read.footers[i] for i in files) if files is not None else sum(read.footers)
        if files is None:
            defined = {(db, name): read.select}
            if len(views) == 2:
                defined[("main", name)] = f'SELECT * FROM "{db}"."{name}"'
        elif found[1] or len(views) == 1:  # named "db"."name"
            defined = {(db, name): read.select_of(files)}
        else:  # named by itself; a kept view of the whole table as "db"."name" stays for later statements
            defined = {("main", name): read.select_of(files)}
            self._kept.add((db, name))
        keep_views(con, schema, defined, self._kept)

    def query_arrow(self, sql: str, database: str) -> tuple[Any, int]:
        import duckdb

        counter = _ScanCounter()
        con, translated = self._connection(sql, database, counter)
        try:
            table = con.sql(translated).to_arrow_table()
            if counter.native:
                counter.bytes_read += scanned_bytes(con, counter.footers)
            names = athena_column_names(con, translated, table.column_names)
        except duckdb.Error as exc:
            if self.cancelled:
                raise QueryFailed("Query was cancelled by the user") from None
            raise QueryFailed(_clean_error(exc, sql)) from None
        finally:
            counter.release()
            self._release(con)
        if names != table.column_names:
            table = table.rename_columns(names)
        return table, counter.bytes_read

    def explain(self, sql: str, database: str) -> QueryResult:
        """EXPLAIN [ANALYZE] [(TYPE ..., FORMAT ...)] of a query: DuckDB's plan as the ``Query Plan`` column
        (the plan's operators are DuckDB's, not Trino's); TYPE VALIDATE answers ``Valid`` = true."""
        import duckdb

        match = re.match(r"EXPLAIN\s+(ANALYZE\s+(?:VERBOSE\s+)?)?(?:\(([^)]*)\)\s*)?(.+)$", sql, re.I | re.S)
        if not match:
            raise QueryFailed("line 1:8: mismatched input '<EOF>'. Expecting: <query>")
        options = {k.upper(): v.strip().upper() for k, _, v in
                   (o.strip().partition(" ") for o in (match.group(2) or "").split(",") if o.strip())}
        inner = match.group(3).strip()
        if inner.split(None, 1)[0].upper() not in ("SELECT", "WITH", "VALUES", "TABLE", "("):
            raise QueryFailed("NOT_SUPPORTED: the sandbox explains queries (SELECT, WITH, VALUES) only")
        counter = _ScanCounter()
        con, translated = self._connection(inner, database, counter)
        try:
            rows = con.execute(("EXPLAIN ANALYZE " if match.group(1) else "EXPLAIN ") + translated).fetchall()
            if counter.native and match.group(1):
                counter.bytes_read += scanned_bytes(con, counter.footers)
        except duckdb.Error as exc:
            raise QueryFailed(_clean_error(exc, inner)) from None
        finally:
            counter.release()
            self._release(con)
        if options.get("TYPE") == "VALIDATE":
            return QueryResult([("Valid", "boolean")], [["true"]], "UTILITY", substatement="EXPLAIN")
        lines = [line for row in rows for line in str(row[-1]).splitlines()]
        return QueryResult([("Query Plan", "varchar")], [[line] for line in lines], "UTILITY",
                           counter.bytes_read if match.group(1) else 0, substatement="EXPLAIN")

    def select(self, sql: str, database: str) -> QueryResult:
        import duckdb

        counter = _ScanCounter()
        con, translated = self._connection(sql, database, counter)
        try:
            cursor = con.execute(translated)
            description = cursor.description or []
            rows = cursor.fetchall()
            if counter.native:
                counter.bytes_read += scanned_bytes(con, counter.footers)
            names = athena_column_names(con, translated, [d[0] for d in description])
        except duckdb.Error as exc:
            if self.cancelled:
                raise QueryFailed("Query was cancelled by the user") from None
            raise QueryFailed(_clean_error(exc, sql)) from None
        finally:
            counter.release()
            self._release(con)
        columns = [(name, athena_type(d[1])) for name, d in zip(names, description)]
        kinds = [str(d[1]).upper() for d in description]
        return QueryResult(columns, [[_format_value(v, k) for v, k in zip(row, kinds)] for row in rows],
                           data_scanned_bytes=counter.bytes_read,
                           scales=[decimal_scale(d[1]) or (0, 0) for d in description])

