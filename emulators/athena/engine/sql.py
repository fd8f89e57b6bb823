"""The DuckDB side of a query: pooled locked-down connections, Presto-to-DuckDB translation, the tables a
statement reads, Athena's result column names, and DuckDB errors worded as Athena's."""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from emulators.athena.engine.types import QueryFailed
from emulators.core.json_tree import json_objects
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
        self.work_to_do = threading.Condition(self.lock)  # the idle worker waits on it
        self.closed = False
        self.worker: threading.Thread | None = None
        import atexit

        atexit.register(self.close)

    def close(self) -> None:
        """Stop the worker and close every connection (DuckDB must not be mid-open at interpreter exit)."""
        with self.lock:
            self.closed = True
            self.work_to_do.notify_all()
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
        """Wake the worker, or start it (the lock is held): one thread for the pool's life, not one per statement
        (starting a thread cost a tenth of a millisecond of each small query)."""
        if self.closed:
            return
        if self.worker is not None and self.worker.is_alive():
            self.work_to_do.notify()
            return
        self.worker = threading.Thread(target=self._work, name="athena-duckdb-pool", daemon=True)
        self.worker.start()

    def warm(self, root: str | None = None) -> None:
        """Open the first connections now, in the background (so that even the first query finds one), for
        statements that read ``root`` (see :meth:`take`)."""
        with self.lock:
            self._move_to(root)
            self.wanted = max(self.wanted, self.spare - len(self.ready))
            self._start()

    def take(self, root: str | None = None) -> Any:
        with self.lock:
            self._move_to(root)
            con = self.ready.pop() if self.ready else None
            given_back = self.to_empty.pop() if con is None and self.to_empty else None
        if con is not None:
            return con
        if given_back is not None:
            if _emptied(given_back):
                return given_back
            self._close_later(given_back)
        return self._new(root)

    def _move_to(self, root: str | None) -> None:
        """Connections are for statements reading ``root`` from now on: those for another folder are closed (the
        lock is held)."""
        if root == self.root:
            return
        self.root = root
        stale = [c for c in self.ready + self.to_empty if self.roots.get(id(c)) != root]
        self.ready = [c for c in self.ready if c not in stale]
        self.to_empty = [c for c in self.to_empty if c not in stale]
        self.to_close += stale
        if stale:
            self._start()

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
                root = self.root
                dirty = None if opening or not self.to_empty else self.to_empty.pop()
                used = None if opening or dirty is not None or not self.to_close else self.to_close.pop()
                if not opening and dirty is None and used is None:
                    self.wanted = 0
                    self.work_to_do.wait()  # until a statement gives work, or the pool closes
                    continue
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
            con = self._new(root)
            with self.lock:
                self.wanted -= 1
                if root == self.root and not self.closed:
                    self.ready.append(con)
                    continue
                self.to_close.append(con)  # opened for a folder a statement has since moved away from


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


def scanned_bytes(con: Any, footers: int = 0) -> int:
    """The bytes DuckDB's own readers read from files in the last statement ``con`` ran (its profile); when that is
    nothing (a count answered from metadata DuckDB read when it bound the statement), ``footers``, the footers of
    the files it read."""
    import json

    try:
        return int(json.loads(con.get_profiling_information(format="json"))["io"]["total_bytes_read"]) or footers
    except Exception:
        return footers


_POOL = _ConnectionPool()


def _fresh_connection(root: str | None = None) -> Any:
    """A locked-down DuckDB connection holding no other statement's objects, with :data:`SESSION_SETTINGS`;
    with ``root``, it may read the files under that folder (and nothing else)."""
    return _POOL.take(root)


def _discard(con: Any, reusable: bool = True) -> None:
    """Done with a connection from :func:`_fresh_connection`: emptied for the next statement, or closed (in
    the background) when it cannot be (``reusable`` False: the statement was cancelled)."""
    _POOL.give_back(con, reusable)


def prepare_connections(root: str | None = None) -> None:
    """Open the first connections ahead of the first query (in the background), for statements that read the
    link sets under ``root`` (``native.root_for``)."""
    _POOL.warm(root)


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



def _parse_tree(con: Any, sql: str) -> dict[str, Any]:
    """DuckDB's parse tree of ``sql`` (``json_serialize_sql``; nothing is bound)."""
    import json

    import duckdb

    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if tree.get("error"):
        raise duckdb.ParserException(tree.get("error_message", "cannot parse the statement"))
    return tree


def _parsed_table_names(sql: str) -> set[str]:
    """The tables ``sql`` reads (``"schema"."table"``), from DuckDB's parse tree (nothing is bound)."""
    import duckdb

    con = duckdb.connect()
    try:
        tree = _parse_tree(con, sql)
    finally:
        con.close()
    names: set[str] = set()
    for node in json_objects(tree):
        if node.get("type") == "BASE_TABLE" and node.get("table_name"):
            parts = [p for p in (node.get("catalog_name"), node.get("schema_name"), node["table_name"]) if p]
            names.add(".".join(f'"{p}"' for p in parts))
    return names


# what a condition on partition columns alone may be made of (a parse tree's expression classes and operator
# types): comparisons, IN, BETWEEN, IS [NOT] NULL, NOT, AND/OR, casts and constants; no function, subquery or
# parameter, so that it means the same for a table of partition values as for the table's rows
_PARTITION_CONDITION_CLASSES = {"COMPARISON", "CONJUNCTION", "BETWEEN", "CONSTANT", "COLUMN_REF", "CAST", "TYPE"}
_PARTITION_CONDITION_OPERATORS = {"OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "COMPARE_IN",
                                  "COMPARE_NOT_IN"}
PARTITIONS_VIEW = "__partitions"
_PARTITION_FILTERS: dict[tuple[Any, ...], tuple[str, bool] | None] = {}


def partition_filter(con: Any, translated: str, database: str, table: tuple[str, str],
                     keys: tuple[str, ...]) -> tuple[str, bool] | None:
    """A query answering the list of ``__partition`` numbers of :data:`PARTITIONS_VIEW` (one row per partition:
    its number and its key values, typed as the table's) whose rows the statement can read, and whether the
    statement names the table with its database; or None.

    That is the statement's own WHERE conditions on partition columns alone, when the statement is one SELECT
    over this table alone (no join, subquery, CTE or view reads anything else, or this table twice): a row of a
    partition those conditions refuse cannot be in its result. So Athena prunes with the catalog's partitions.
    Remembered per statement, as DuckDB's parse costs a third of a millisecond."""
    cache_key = (translated, database, table, keys)
    if cache_key in _PARTITION_FILTERS:
        return _PARTITION_FILTERS[cache_key]
    try:
        found = _partition_filter(con, translated, database, table, keys)
    except Exception:  # not a statement this can read: DuckDB prunes what it can itself
        found = None
    if len(_PARTITION_FILTERS) > 512:
        _PARTITION_FILTERS.clear()
    _PARTITION_FILTERS[cache_key] = found
    return found


def _partition_filter(con: Any, translated: str, database: str, table: tuple[str, str],
                      keys: tuple[str, ...]) -> tuple[str, bool] | None:
    import json

    tree = _parse_tree(con, translated)
    statements = tree.get("statements") or []
    node = statements[0].get("node", {}) if len(statements) == 1 else {}
    source = node.get("from_table") or {}
    if (node.get("type") != "SELECT_NODE" or (node.get("cte_map") or {}).get("map") or not node.get("where_clause")
            or source.get("type") != "BASE_TABLE" or source.get("sample")
            or sum(n.get("type") == "BASE_TABLE" for n in json_objects(tree)) != 1):
        return None
    catalog, schema, name = ((source.get(k) or "").lower() for k in ("catalog_name", "schema_name", "table_name"))
    if catalog not in ("", "awsdatacatalog") or (schema or database, name) != table:
        return None
    alias = (source.get("alias") or name).lower()
    where = node["where_clause"]
    conjuncts = where["children"] if where.get("type") == "CONJUNCTION_AND" else [where]
    kept = [c for c in conjuncts if _on_partitions_only(c, alias, keys)]
    if not kept:
        return None
    template = _parse_tree(con, f'SELECT list("__partition") FROM {_quoted(PARTITIONS_VIEW)} AS {_quoted(alias)} '
                                "WHERE true")
    template["statements"][0]["node"]["where_clause"] = kept[0] if len(kept) == 1 else {**where, "children": kept}
    return con.execute("SELECT json_deserialize_sql(?)", [json.dumps(template)]).fetchall()[0][0], bool(schema)


def _on_partitions_only(condition: dict[str, Any], alias: str, keys: tuple[str, ...]) -> bool:
    """Whether ``condition`` reads partition columns (of ``alias``) and constants only."""
    for node in json_objects(condition):
        kind = node.get("class")
        if kind is None:
            continue  # a constant's value, a type's name
        if kind == "OPERATOR":
            if node.get("type") not in _PARTITION_CONDITION_OPERATORS:
                return False
        elif kind not in _PARTITION_CONDITION_CLASSES:
            return False
        elif kind == "COLUMN_REF":
            names = [n.lower() for n in node.get("column_names") or []]
            if not (len(names) == 1 or (len(names) == 2 and names[0] == alias)) or names[-1] not in keys:
                return False
    return True


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
