"""ALTER TABLE beyond partitions, and SHOW TBLPROPERTIES: the Hive DDL pages of Athena's reference
("ALTER TABLE ADD COLUMNS", "REPLACE COLUMNS", "CHANGE COLUMN", "SET TBLPROPERTIES", "SET LOCATION",
"ALTER TABLE RENAME PARTITION", partition "SET LOCATION"), applied to the Glue catalog.

The catalog protocol has no update: a changed table is written back as a new table with the same
partitions (the data in S3 is never touched, as on Athena).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from emulators.athena.engine.text import _column_def, _ddl, _parenthesised, _qualified
from emulators.athena.engine.types import QueryFailed, QueryResult, _split_top

TABLE_INPUT_KEYS = ("Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention",
                    "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType",
                    "Parameters", "TargetTable")
PARTITION_INPUT_KEYS = ("Values", "LastAccessTime", "StorageDescriptor", "Parameters", "LastAnalyzedTime")


def _spec(text: str, keys: list[str]) -> list[str]:
    given = {k.strip().strip('`"').lower(): v.strip().strip("'\"")
             for k, v in (item.split("=", 1) for item in _split_top(text))}
    if set(given) != set(keys):
        raise QueryFailed(f"FAILED: SemanticException: partition spec {given} does not match partition keys {keys}")
    return [given[k] for k in keys]


def _columns(body: str) -> list[dict[str, str]]:
    out = []
    for item in _split_top(body):
        name, kind = _column_def(item)
        comment = re.search(r"\bCOMMENT\s+'((?:[^']|'')*)'", item, re.I)
        column = {"Name": name, "Type": kind}
        if comment:
            column["Comment"] = comment.group(1).replace("''", "'")
        out.append(column)
    return out


class AlterStatements:
    """ALTER TABLE column, property and location changes (a mixin of :class:`AthenaEngine`)."""

    catalog: Any

    def alter_table_other(self, sql: str, database: str) -> QueryResult | None:
        """The ALTER TABLE forms other than ADD/DROP PARTITION; None when ``sql`` is none of them."""
        text = " ".join(sql.split())
        head = re.match(r"ALTER\s+TABLE\s+([`\"\w.-]+)\s+", text, re.I)
        if not head:
            return None
        rest = text[head.end():]
        db, name = _qualified(head.group(1), database)
        upper = rest.upper()
        if upper.startswith(("ADD COLUMNS", "REPLACE COLUMNS")):
            body, _ = _parenthesised(rest, rest.index("("))
            return self._alter_columns(db, name, upper.startswith("ADD"), _columns(body))
        change = re.match(r"CHANGE\s+(?:COLUMN\s+)?([`\"\w]+)\s+([`\"\w]+)\s+(.+?)"
                          r"(?:\s+COMMENT\s+'((?:[^']|'')*)')?(?:\s+(FIRST|AFTER\s+[`\"\w]+))?$", rest, re.I)
        if change:
            return self._change_column(db, name, change)
        if upper.startswith("SET TBLPROPERTIES"):
            body, _ = _parenthesised(rest, rest.index("("))
            props = dict(re.findall(r"'([^']*)'\s*=\s*'((?:[^']|'')*)'", body))
            return self._rewrite(db, name, lambda t: t.setdefault("Parameters", {}).update(props))
        location = re.match(r"SET\s+LOCATION\s+'([^']+)'$", rest, re.I)
        if location:
            return self._rewrite(db, name, lambda t: t["StorageDescriptor"].update(Location=location.group(1)))
        partition = re.match(r"PARTITION\s*\(([^)]*)\)\s+(SET\s+LOCATION\s+'([^']+)'|RENAME\s+TO\s+PARTITION\s*"
                             r"\(([^)]*)\))$", rest, re.I)
        if partition:
            return self._alter_partition(db, name, partition)
        return None

    def show_tblproperties(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"SHOW\s+TBLPROPERTIES\s+([`\"\w.-]+)(?:\s*\(\s*'([^']*)'\s*\))?", " ".join(sql.split()), re.I)
        if not match:
            raise QueryFailed("line 1:1: SHOW TBLPROPERTIES needs a table name")
        db, name = _qualified(match.group(1), database)
        table = self._table(db, name)
        props = dict(table.get("Parameters") or {})
        if match.group(2) is not None:
            if match.group(2) not in props:
                return QueryResult([("prpt_name", "string"), ("prpt_value", "string")],
                                   [[f"Table awsdatacatalog.{db}.{name} does not have property: {match.group(2)}"]],
                                   "DDL", header=False)
            props = {match.group(2): props[match.group(2)]}
        return QueryResult([("prpt_name", "string"), ("prpt_value", "string")],
                           [[f"{k}\t{v}"] for k, v in sorted(props.items())], "DDL", header=False)

    # ---- helpers ----
    def _table(self, db: str, name: str) -> dict[str, Any]:
        table = self.catalog.get_table(db, name)
        if table is None:
            raise QueryFailed(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}")
        return table

    def _rewrite(self, db: str, name: str, change: Any) -> QueryResult:
        """Apply ``change`` to a copy of the table's input and store it, keeping its partitions."""
        table = self._table(db, name)
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise QueryFailed(f"FAILED: SemanticException [Error 10131]: To alter a view you need to use the "
                              f"ALTER VIEW command: {db}.{name}")
        table_input = {k: copy.deepcopy(v) for k, v in table.items() if k in TABLE_INPUT_KEYS}
        change(table_input)
        partitions = [{k: copy.deepcopy(v) for k, v in p.items() if k in PARTITION_INPUT_KEYS}
                      for p in self.catalog.get_partitions(db, name)]
        with self.catalog.changing():
            self.catalog.delete_table(db, name)
            self.catalog.create_table(db, table_input)
            if partitions:
                self.catalog.add_partitions(db, name, partitions)
        return _ddl()

    def _alter_columns(self, db: str, name: str, add: bool, columns: list[dict[str, str]]) -> QueryResult:
        table = self._table(db, name)
        current = table["StorageDescriptor"].get("Columns", [])
        taken = {c["Name"].lower() for c in (current if add else [])} | \
                {k["Name"].lower() for k in table.get("PartitionKeys", [])}
        for column in columns:
            if column["Name"] in taken:
                raise QueryFailed(f"FAILED: SemanticException [Error 10036]: Duplicate column name: {column['Name']}")
            taken.add(column["Name"])

        iceberg = str((table.get("Parameters") or {}).get("table_type", "")).upper() == "ICEBERG"

        def apply(table_input: dict[str, Any]) -> None:
            descriptor = table_input["StorageDescriptor"]
            kept = descriptor.get("Columns", []) if add else []
            added = [dict(column) for column in columns]
            if iceberg:  # Athena marks an Iceberg table's columns as its current schema fields
                for number, column in enumerate(added, len(kept) + 1):
                    column["Parameters"] = {"iceberg.field.id": str(number), "iceberg.field.optional": "true",
                                            "iceberg.field.current": "true"}
            descriptor["Columns"] = kept + added
        return self._rewrite(db, name, apply)

    def _change_column(self, db: str, name: str, change: Any) -> QueryResult:
        old, new = change.group(1).strip('`"').lower(), change.group(2).strip('`"').lower()
        kind = re.sub(r"\s+", "", change.group(3).lower())
        table = self._table(db, name)
        names = [c["Name"].lower() for c in table["StorageDescriptor"].get("Columns", [])]
        if old not in names:
            raise QueryFailed(f"FAILED: SemanticException [Error 10002]: Invalid column reference {old}")
        if new != old and new in names:
            raise QueryFailed(f"FAILED: SemanticException [Error 10036]: Duplicate column name: {new}")
        position = (change.group(5) or "").split()

        def apply(table_input: dict[str, Any]) -> None:
            columns = table_input["StorageDescriptor"]["Columns"]
            index = [c["Name"].lower() for c in columns].index(old)
            column = columns.pop(index)
            column.update(Name=new, Type=kind)
            if change.group(4) is not None:
                column["Comment"] = change.group(4).replace("''", "'")
            if position and position[0].upper() == "FIRST":
                columns.insert(0, column)
            elif position:
                after = position[1].strip('`"').lower()
                others = [c["Name"].lower() for c in columns]
                if after not in others:
                    raise QueryFailed(f"FAILED: SemanticException [Error 10002]: Invalid column reference {after}")
                columns.insert(others.index(after) + 1, column)
            else:
                columns.insert(index, column)
        return self._rewrite(db, name, apply)

    def _alter_partition(self, db: str, name: str, match: Any) -> QueryResult:
        table = self._table(db, name)
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        values = _spec(match.group(1), keys)
        found = [p for p in self.catalog.get_partitions(db, name) if list(p["Values"]) == values]
        if not found:
            raise QueryFailed(f"FAILED: SemanticException [Error 10006]: Partition not found {values}")
        partition = {k: copy.deepcopy(v) for k, v in found[0].items() if k in PARTITION_INPUT_KEYS}
        if match.group(3):
            partition.setdefault("StorageDescriptor", {})["Location"] = match.group(3)
        else:
            new_values = _spec(match.group(4), keys)
            if any(list(p["Values"]) == new_values for p in self.catalog.get_partitions(db, name)):
                raise QueryFailed(f"FAILED: AlreadyExistsException: Partition already exists: {new_values}")
            partition["Values"] = new_values
        with self.catalog.changing():
            self.catalog.delete_partition(db, name, values)
            self.catalog.add_partitions(db, name, [partition])
        return _ddl()
