"""Views: Glue tables of type ``VIRTUAL_VIEW`` whose ``ViewOriginalText`` holds Athena's base64
"Presto View" JSON; CREATE [OR REPLACE] VIEW binds the query once to learn its columns."""

from __future__ import annotations

import re
from typing import Any

from emulators.athena.engine.sql import _clean_error, athena_column_names
from emulators.athena.engine.text import _ddl, _qualified
from emulators.athena.engine.types import QueryFailed, QueryResult, _ScanCounter, athena_type

def _hive_view_type(athena: str) -> str:
    """A view column's type as Glue records it (Hive spelling: varchar -> string)."""
    return {"varchar": "string", "integer": "int"}.get(athena, athena)



VIEW_PREFIX = "/* Presto View: "
VIEW_SUFFIX = " */"


def view_definition(table: dict[str, Any]) -> dict[str, Any]:
    """The JSON Athena keeps in a view's ViewOriginalText (``/* Presto View: <base64> */``)."""
    import base64
    import json

    text = table.get("ViewOriginalText") or ""
    if not (text.startswith(VIEW_PREFIX) and text.endswith(VIEW_SUFFIX)):
        raise QueryFailed(f"VIEW_IS_STALE: line 1:1: View '{table.get('Name')}' is not an Athena view "
                          "(its ViewOriginalText is not a Presto view)")
    try:
        return json.loads(base64.b64decode(text[len(VIEW_PREFIX):-len(VIEW_SUFFIX)]))
    except ValueError:
        raise QueryFailed(f"VIEW_IS_STALE: line 1:1: View '{table.get('Name')}' cannot be decoded") from None



class ViewStatements:
    """CREATE VIEW and DROP VIEW (a mixin of :class:`AthenaEngine`)."""

    def create_view(self, sql: str, database: str) -> QueryResult:
        import base64
        import json

        import duckdb

        match = re.match(r"CREATE\s+(OR\s+REPLACE\s+)?(?:PROTECTED\s+)?VIEW\s+([`\"\w.-]+)\s+AS\s+(.+)$", sql,
                         re.I | re.S)
        if not match:
            raise QueryFailed("line 1:1: cannot parse CREATE VIEW (CREATE [OR REPLACE] VIEW name AS query)")
        db, name = _qualified(match.group(2), database)
        query = match.group(3).strip()
        if not self.catalog.database_exists(db):
            raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
        existing = self.catalog.get_table(db, name)
        if existing is not None and (existing.get("TableType") != "VIRTUAL_VIEW" or not match.group(1)):
            kind = "View" if existing.get("TableType") == "VIRTUAL_VIEW" else "Table"
            raise QueryFailed(f"line 1:1: {kind} already exists: 'awsdatacatalog.{db}.{name}'")
        # bind the query once, as Athena does, to know its columns (and to fail now if it is wrong)
        counter = _ScanCounter()
        con, translated = self._connection(query, db, counter)
        try:
            description = con.execute(f"SELECT * FROM ({translated}) AS view_columns LIMIT 0").description or []
            names = athena_column_names(con, translated, [d[0] for d in description])
        except duckdb.Error as exc:
            raise QueryFailed(_clean_error(exc, query)) from None
        finally:
            counter.release()
            self._release(con)
        columns = [{"Name": n, "Type": athena_type(d[1])} for n, d in zip(names, description)]
        definition = {"originalSql": query, "catalog": "awsdatacatalog", "schema": db,
                      "columns": [{"name": c["Name"], "type": c["Type"]} for c in columns]}
        encoded = base64.b64encode(json.dumps(definition).encode()).decode()
        with self.catalog.changing():
            if existing is not None:
                self.catalog.delete_table(db, name)
            self.catalog.create_table(db, {
                "Name": name, "TableType": "VIRTUAL_VIEW",
                "Parameters": {"presto_view": "true", "comment": "Presto View"},
                "ViewOriginalText": f"{VIEW_PREFIX}{encoded}{VIEW_SUFFIX}", "ViewExpandedText": "/* Presto View */",
                "PartitionKeys": [],
                "StorageDescriptor": {"Columns": [{"Name": c["Name"], "Type": _hive_view_type(c["Type"])}
                                                  for c in columns],
                                      "Location": "", "SerdeInfo": {}, "Parameters": {}}})
        return _ddl()

    def drop_view(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"DROP\s+VIEW\s+(IF\s+EXISTS\s+)?([`\"\w.-]+)", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse DROP VIEW statement")
        db, name = _qualified(match.group(2), database)
        table = self.catalog.get_table(db, name)
        if table is None or table.get("TableType") != "VIRTUAL_VIEW":
            if match.group(1) and table is None:
                return _ddl()
            raise QueryFailed(f"line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist")
        self.catalog.delete_table(db, name)
        return _ddl()

