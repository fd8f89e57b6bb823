"""The DuckDB side of a query: pooled locked-down connections, Presto-to-DuckDB translation, the tables a
statement reads, Athena's result column names, and DuckDB errors worded as Athena's."""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from emulators.athena.engine.types import QueryFailed
from emulators.athena.translate import Columns, StatementError, UnknownFunction, position_of, to_duckdb

# DuckDB settings that make it answer as Trino: UTC session, `x -> ...` lambdas, integer division of integers;
# then each statement's profile kept, for the bytes DuckDB's own readers read (DataScannedInBytes of tables read
# natively, native.py). Parquet footers are not cached between statements, so the same query always counts
# the same bytes.
SESSION_SETTINGS = ("SET TimeZone='UTC'", "SET lambda_syntax='ENABLE_SINGLE_ARROW'", "SET integer_division=true",
                    "SET enable_profiling='no_output'")


class _ConnectionPool:
    """Locked-down DuckDB connections, each used by one statement at a time and emptied after it.

    Opening an in-memory DuckDB database costs more than a small query (15-25 ms of CPU on this class of
    machine, 50-100 ms of wall time under load; closing one 2-4 ms), and opening one per statement made
    that the biggest part of a small query's CPU. So a statement takes an idle connection and gives it
    back, and the connection is emptied before it serves again (:func:`_emptied`): the registered Arrow
    objects, schemas, views and tables the statement made are dropped, and the connection must then hold
    nothing but the engine's own ``trino_*`` functions, which are the same for every statement. A
    connection that is not empty afterwards, or whose statement was cancelled or broke it, is closed.

    Every connection is locked down (:func:`emulators.core.sqlguard.lock_down`) when it is opened, before
    any statement sees it; a connection for a state folder's lake may open files under that folder's link
    sets (``native.py``) and nowhere else, so connections are kept per such folder (``root``). The views of
    tables read natively stay in a connection between statements (:func:`keep_views`): making one costs a
    bind of its files, about as much as a small query. One background thread opens the first connections
    ahead of the first query (:meth:`warm`), empties given-back ones (after the statement has answered, not
    before) and closes discarded ones; a statement that finds none ready empties a given-back one itself, and opens one only
    when there is none. At most :attr:`size` idle connections are kept.
    """

    def __init__(self, size: int = 4, spare: int = 2) -> None:
        self.size = size
        self.spare = spare  # how many :meth:`warm` opens ahead
        self.ready: list[Any] = []  # emptied, for the next statement
        self.to_empty: list[Any] = []  # given back, not emptied yet
        self.to_close: list[Any] = []
        self.wanted = 0  # connections the worker still has to open
        self.root: str | None = None  # the folder new connections may read (the last one asked for)
        self.roots: dict[int, str | None] = {}  # id(connection) -> the folder it may read
        self.lock = threading.Lock()
        self.closed = False
        self.worker: threading.Thread | None = None
        import atexit

        atexit.register(self.close)

    def close(self) -> None:
        """Stop the worker and close every connection (DuckDB must not be mid-open at interpreter exit)."""
        with self.lock:
            self.closed = True
            worker = self.worker
        if worker is not None:
            worker.join(timeout=10)
        with self.lock:
            idle, self.ready, used, self.to_close = self.ready + self.to_empty, [], self.to_close, []
            self.to_empty = []
        for con in idle + used:
            self._closed(con)

    def _closed(self, con: Any) -> None:
        self.roots.pop(id(con), None)
        _KEPT.pop(id(con), None)
        con.close()

    def _new(self, root: str | None) -> Any:
        import duckdb

        from emulators.core.sqlguard import lock_down

        con = duckdb.connect()
        settings = list(SESSION_SETTINGS)
        if root is not None:  # before the lock: the statements cannot change it
            settings.append(f"SET allowed_directories=['{root.replace(chr(39), chr(39) * 2)}/']")
        con.execute("; ".join(settings))
        con.execute("SELECT 1").fetchall()  # a new database's first statement pays its set-up: pay it here
        self.roots[id(con)] = root
        return lock_down(con)

    def _start(self) -> None:
        """Start the worker unless it runs (the lock is held)."""
        if self.closed or (self.worker is not None and self.worker.is_alive()):
            return
        self.worker = threading.Thread(target=self._work, name="athena-duckdb-pool", daemon=True)
        self.worker.start()

    def warm(self) -> None:
        """Open the first connections now, in the background (so that even the first query finds one)."""
        with self.lock:
            self.wanted = max(self.wanted, self.spare - len(self.ready))
            self._start()

    def take(self, root: str | None = None) -> Any:
        with self.lock:
            if root != self.root:  # another state folder: connections for the old one are closed
                self.root = root
                stale = [c for c in self.ready + self.to_empty if self.roots.get(id(c)) != root]
                self.ready = [c for c in self.ready if c not in stale]
                self.to_empty = [c for c in self.to_empty if c not in stale]
                self.to_close += stale
                if stale:
                    self._start()
            con = self.ready.pop() if self.ready else None
            given_back = self.to_empty.pop() if con is None and self.to_empty else None
        if con is not None:
            return con
        if given_back is not None:
            if _emptied(given_back):
                return given_back
            self._close_later(given_back)
        return self._new(root)

    def give_back(self, con: Any, reusable: bool) -> None:
        """A statement is done with ``con``: emptied in the background for the next one, or closed."""
        if not reusable:
            self._close_later(con)
            return
        with self.lock:
            if not self.closed:
                self.to_empty.append(con)
                self._start()
                return
        self._closed(con)

    def _close_later(self, con: Any) -> None:
        with self.lock:
            if not self.closed:
                self.to_close.append(con)
                self._start()
                return
        self._closed(con)

    def _work(self) -> None:
        while True:  # opening first (a query may wait for it), then emptying; closing can wait
            with self.lock:
                if self.closed:
                    return
                opening = self.wanted > 0 and len(self.ready) < self.size
                dirty = None if opening or not self.to_empty else self.to_empty.pop()
                used = None if opening or dirty is not None or not self.to_close else self.to_close.pop()
                if not opening and dirty is None and used is None:
                    self.wanted = 0
                    self.worker = None
                    return
            if dirty is not None:
                emptied = _emptied(dirty)
                with self.lock:
                    if (emptied and not self.closed and len(self.ready) < self.size
                            and self.roots.get(id(dirty)) == self.root):
                        self.ready.append(dirty)
                        continue
                    self.to_close.append(dirty)
                continue
            if used is not None:
                self._closed(used)
                continue
            con = self._new(self.root)
            with self.lock:
                self.ready.append(con)
                self.wanted -= 1


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# what a statement can leave in a connection: views (registered Arrow objects are temporary views), tables
# and schemas; one query lists them all (each call into DuckDB costs more than the listing)
_LEFT_BEHIND = (
    "SELECT 'view', database_name, schema_name, view_name, temporary FROM duckdb_views() WHERE NOT internal "
    "UNION ALL SELECT 'table', database_name, schema_name, table_name, temporary FROM duckdb_tables() "
    "UNION ALL SELECT 'schema', database_name, schema_name, NULL, false FROM duckdb_schemas() "
    "WHERE NOT internal AND schema_name <> 'main'")


def _emptied(con: Any) -> bool:
    """Drop what a statement left in ``con``; True when nothing is left but the engine's macros and
    functions (the same for every statement) and the kept views of tables read natively (and their
    schemas), so that the next statement starts from an empty database."""
    import duckdb

    kept = _KEPT.get(id(con), {})
    kept_schemas = {schema for schema, _ in kept}
    try:
        con.abort()  # the rest of a result the statement did not fetch (DuckDB refuses other work until then)
        drops = []
        for kind, database, schema, name, temporary in con.execute(_LEFT_BEHIND).fetchall():
            if kind == "schema":
                if schema not in kept_schemas:
                    drops.append(f"DROP SCHEMA IF EXISTS {_quoted(database)}.{_quoted(schema)} CASCADE")
                continue
            if kind == "view" and (schema, name) in kept and not temporary:
                continue
            if kind == "view" and temporary:
                try:
                    con.unregister(name)  # a registered Arrow object (its dataset is let go of)
                except duckdb.Error:
                    pass
            drops.insert(0, f"DROP {kind.upper()} IF EXISTS {_quoted(database)}.{_quoted(schema)}.{_quoted(name)}")
        if not drops:
            return True
        con.execute("; ".join(drops)).fetchall()
        left = con.execute(_LEFT_BEHIND).fetchall()
        return all((kind == "view" and (schema, name) in kept) or (kind == "schema" and schema in kept_schemas)
                   for kind, _, schema, name, _ in left)
    except duckdb.Error:
        return False


# id(connection) -> {(schema, view): its definition}: views of natively read tables a connection keeps
_KEPT: dict[int, dict[tuple[str, str], str]] = {}


def keep_views(con: Any, prefix: str, views: dict[tuple[str, str], str], used: set[tuple[str, str]]) -> None:
    """Define ``views`` ((schema, name) -> SELECT) in ``con``, keeping them for later statements; one already
    there with the same definition is not made again. ``prefix`` (schema statements) runs first when
    anything is made. The names go into ``used``, this statement's kept views."""
    kept = _KEPT.setdefault(id(con), {})
    statements = [f"CREATE OR REPLACE VIEW {_quoted(schema)}.{_quoted(name)} AS {select}"
                  for (schema, name), select in views.items() if kept.get((schema, name)) != select]
    if statements:
        for view in views:
            kept.pop(view, None)  # until made: a failure leaves them to be dropped with the statement's views
        con.execute(prefix + "; ".join(statements))
        kept.update(views)
    used.update(views)


def unkeep(con: Any, views: list[tuple[str, str]]) -> None:
    """These names are about to become this statement's own views (dropped after it)."""
    kept = _KEPT.get(id(con))
    if kept:
        for view in views:
            kept.pop(view, None)


def drop_kept_except(con: Any, used: set[tuple[str, str]]) -> None:
    """Drop the kept views this statement did not ask for, so that it sees only the tables it names."""
    kept = _KEPT.get(id(con))
    stale = [view for view in kept or () if view not in used]
    if stale:
        con.execute("; ".join(f"DROP VIEW IF EXISTS {_quoted(schema)}.{_quoted(name)}" for schema, name in stale))
        for view in stale:
            del kept[view]


def scanned_bytes(con: Any) -> int:
    """The bytes DuckDB's own readers read from files in the last statement ``con`` ran (its profile)."""
    import json

    try:
        return int(json.loads(con.get_profiling_information(format="json"))["io"]["total_bytes_read"])
    except Exception:
        return 0


_POOL = _ConnectionPool()


def _fresh_connection(root: str | None = None) -> Any:
    """A locked-down DuckDB connection holding no other statement's objects, with :data:`SESSION_SETTINGS`;
    with ``root``, it may read the files under that folder (and nothing else)."""
    return _POOL.take(root)


def _discard(con: Any, reusable: bool = True) -> None:
    """Done with a connection from :func:`_fresh_connection`: emptied for the next statement, or closed (in
    the background) when it cannot be (``reusable`` False: the statement was cancelled)."""
    _POOL.give_back(con, reusable)


def prepare_connections() -> None:
    """Open the first connections ahead of the first query (in the background)."""
    _POOL.warm()


@functools.lru_cache(maxsize=256)
def _translate_cached(sql: str, columns: Columns | None) -> str:
    return to_duckdb(sql, columns)


def _translate(sql: str, columns: Columns | None = None) -> str:
    try:
        return _translate_cached(sql, columns)
    except (UnknownFunction, StatementError) as exc:
        raise QueryFailed(str(exc)) from None


class _ColumnKinds:
    """The DATE, array and map columns of the tables a statement reads (for type-dependent translation)."""

    def __init__(self) -> None:
        self.dates: set[str] = set()
        self.arrays: set[str] = set()
        self.maps: set[str] = set()

    def add_schema(self, schema: Any) -> None:
        import pyarrow.types as pt

        for f in schema:
            if pt.is_date(f.type):
                self.dates.add(f.name.lower())
            elif pt.is_list(f.type) or pt.is_large_list(f.type):
                self.arrays.add(f.name.lower())
            elif pt.is_map(f.type):
                self.maps.add(f.name.lower())

    def any(self) -> bool:
        return bool(self.dates or self.arrays or self.maps)

    def columns(self) -> Columns:
        return Columns(frozenset(self.dates), frozenset(self.arrays), frozenset(self.maps))



_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


_COLUMN_NAMES: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def athena_column_names(con: Any, sql: str, names: list[str]) -> list[str]:
    """Result column names as Athena gives them (see :func:`_athena_column_names`); cached per statement."""
    key = (sql, tuple(names))
    cached = _COLUMN_NAMES.get(key)
    if cached is None:
        cached = _athena_column_names(con, sql, names)
        if len(_COLUMN_NAMES) > 1024:
            _COLUMN_NAMES.clear()
        _COLUMN_NAMES[key] = cached
    return list(cached)


def _athena_column_names(con: Any, sql: str, names: list[str]) -> list[str]:
    """Result column names as Athena gives them: an unnamed expression is ``_col<position>``.

    DuckDB names ``count(*)`` ``count_star()``; Athena (Trino) names it ``_col0``. Aliases
    and plain column references keep their names; the first SELECT of a UNION names them.
    """
    import json

    values = re.search(r"\bVALUES\s*\(", sql, re.I) is not None  # DuckDB names a VALUES list's columns col0, col1
    fallback = [n if _NAME.match(n) and not (values and n == f"col{i}") else f"_col{i}" for i, n in enumerate(names)]
    try:
        parsed = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
        node = parsed["statements"][0]["node"]
        while node.get("type") == "SET_OPERATION_NODE":
            node = node["left"]
        items = node["select_list"] if node.get("type") == "SELECT_NODE" else None
    except Exception:  # noqa: BLE001 - the names are cosmetic; never fail a query over them
        return fallback
    if not items or len(items) != len(names) or any(i.get("class") == "STAR" for i in items):
        return fallback
    out = []
    for position, (item, name) in enumerate(zip(items, names)):
        if item.get("alias") or item.get("class") == "COLUMN_REF":
            out.append(name)
        else:
            out.append(f"_col{position}")
    return out



def _referenced_tables(translated: str, database: str) -> list[tuple[str, str]]:
    """The (database, table) pairs a DuckDB-dialect statement reads, CTE names left out (cached per statement:
    DuckDB's parse costs about a millisecond, and dashboards and notebooks send the same statements again)."""
    return list(_referenced_tables_cached(translated, database))


@functools.lru_cache(maxsize=512)
def _referenced_tables_cached(translated: str, database: str) -> tuple[tuple[str, str], ...]:
    import duckdb

    try:
        names = duckdb.get_table_names(translated, qualified=True)
    except (duckdb.BinderException, duckdb.CatalogException):
        # get_table_names binds some expressions (UNNEST in FROM, approx_quantile's list):
        # name the tables from the parse tree instead
        try:
            names = _parsed_table_names(translated)
        except duckdb.Error as exc:
            raise QueryFailed(_clean_error(exc)) from None
    except duckdb.Error as exc:
        raise QueryFailed(_clean_error(exc)) from None
    ctes = {m.lower() for m in re.findall(r"(?:\bWITH|,)\s+\"?(\w+)\"?\s+AS\s*\(", translated, re.IGNORECASE)}
    pairs: list[tuple[str, str]] = []
    for name in sorted(names):
        bare = re.sub(r"\s+(AS|TABLESAMPLE)\s+.*$", "", name, flags=re.IGNORECASE | re.DOTALL)
        parts = [(quoted or plain).strip().lower() for quoted, plain in re.findall(r'"([^"]*)"|([^."]+)', bare)]
        if len(parts) == 1 and parts[0] in ctes:
            continue
        if len(parts) >= 3 and parts[0] in ("awsdatacatalog",):
            parts = parts[1:]
        pair = (parts[-2], parts[-1]) if len(parts) >= 2 else (database, parts[0])
        if pair not in pairs:
            pairs.append(pair)
    return tuple(pairs)



def _parsed_table_names(sql: str) -> set[str]:
    """The tables ``sql`` reads (``"schema"."table"``), from DuckDB's parse tree (nothing is bound)."""
    import json

    import duckdb

    con = duckdb.connect()
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    finally:
        con.close()
    if tree.get("error"):
        raise duckdb.ParserException(tree.get("error_message", "cannot parse the statement"))
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node.get("table_name"):
                parts = [p for p in (node.get("catalog_name"), node.get("schema_name"), node["table_name"]) if p]
                names.add(".".join(f'"{p}"' for p in parts))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return names


def _word_position(sql: str, word: str) -> tuple[int, int]:
    """(line, column), 1-based, of ``word``'s first appearance in ``sql`` (1:1 if none)."""
    match = re.search(rf"(?<!\w){re.escape(word)}\b", sql, re.I)
    if not match:
        return 1, 1
    before = sql[:match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


def _clean_error(exc: Exception, sql: str = "") -> str:
    message = str(exc).strip()
    message = re.sub(r'"__\w+__(\w+)"', r'"\1"', message)
    unknown = re.search(r"Function with name \"?(\w+)\"? does not exist", message)
    if "Catalog Error" in message and unknown:
        name = unknown.group(1).removeprefix("trino_")
        line, column = position_of(sql, name)
        return f"FUNCTION_NOT_FOUND: line {line}:{column}: Function '{name.lower()}' not registered"
    mismatch = re.search(r"No function matches the given name and argument types '(\w+)\(([^']*)\)'", message)
    if mismatch:
        name = mismatch.group(1).removeprefix("trino_")
        line, column = position_of(sql, name)
        return (f"FUNCTION_NOT_FOUND: line {line}:{column}: Unexpected parameters ({mismatch.group(2).lower()}) "
                f"for function {name}")
    raised = re.search(r"QueryFailed: ([A-Z_]+: [^\n]*)", message)
    if raised:  # an Athena error raised while Arrow read a file (a SerDe's)
        return raised.group(1)
    if "JSON parse error" in message:
        detail = re.search(r"(JSON parse error[^.\n]*\.?[^\n]*?)(?:\. Detail|$)", message, re.M)
        return ("HIVE_CURSOR_ERROR: Row is not a valid JSON Object - " + (detail.group(1) if detail else "")
                + " (the table's 'ignore.malformed.json' = 'true' reads such lines as NULLs)")
    if "Binder Error" in message and "Referenced column" in message:
        column = re.search(r'Referenced column "?([^"\s]+)"? not found', message)
        if column:  # Athena's wording (DuckDB's candidate list kept as a hint)
            line, position = _word_position(sql, column.group(1))
            hint = re.search(r"Candidate bindings: (.+)", message)
            return (f"COLUMN_NOT_FOUND: line {line}:{position}: Column '{column.group(1)}' cannot be resolved or "
                    "requester is not authorized to access requested resources"
                    + (f" (candidates: {hint.group(1).strip()})" if hint else ""))
        return "COLUMN_NOT_FOUND: " + message
    if "Catalog Error" in message and "does not exist" in message:
        return "TABLE_NOT_FOUND: " + message
    if "CSV parse error" in message and re.search(r"Expected \d+ columns, got \d+", message):
        return ("HIVE_BAD_DATA: " + message.splitlines()[0] + " (a row has more or fewer fields than the table "
                "has columns: quoted fields with the delimiter inside need ROW FORMAT SERDE "
                "'org.apache.hadoop.hive.serde2.OpenCSVSerde'; the crawler's LazySimpleSerDe does not read quotes)")
    return message.splitlines()[0] if len(message) > 2000 else message
