"""Athena's metadata tables, answered from the Glue catalog ("Query the AWS Glue Data Catalog" page):
``information_schema.schemata``, ``.tables``, ``.columns`` and ``.views``, and a table's partitions as
``"db"."table$partitions"``.

DuckDB has an ``information_schema`` of its own (its in-memory catalog): a statement that names
Athena's is rewritten to read Arrow tables built from the Glue catalog instead.
"""

from __future__ import annotations

import re
from typing import Any

from emulators.athena.engine.types import QueryFailed, arrow_type
from emulators.athena.engine.views import view_definition

INFORMATION_SCHEMA = re.compile(r'(?<![\w."])"?information_schema"?\s*\.\s*"?(schemata|tables|columns|views)"?\b',
                                re.IGNORECASE)
CATALOG = "awsdatacatalog"


def trino_type(hive: str) -> str:
    """A Hive column type as Athena's SQL names it (``string`` -> ``varchar``, ``int`` -> ``integer``)."""
    t = re.sub(r"\s+", "", hive.strip().lower())
    for hive_name, trino_name in (("string", "varchar"), ("int", "integer"), ("float", "real"),
                                  ("binary", "varbinary")):
        t = re.sub(rf"\b{hive_name}\b", trino_name, t)
    t = re.sub(r"array<(.*)>$", r"array(\1)", t)
    t = re.sub(r"map<(.*)>$", r"map(\1)", t)
    if t.startswith("struct<"):
        t = "row(" + t[7:-1].replace(":", " ") + ")"
    return t


def _is_view(table: dict[str, Any]) -> bool:
    return table.get("TableType") == "VIRTUAL_VIEW"


def _tables(catalog: Any) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for db in sorted(catalog.list_databases()):
        for name in sorted(catalog.list_tables(db)):
            table = catalog.get_table(db, name)
            if table is not None:
                out.append((db, name, table))
    return out


def _build(kind: str, catalog: Any) -> Any:
    import pyarrow as pa

    if kind == "schemata":
        names = sorted({*catalog.list_databases(), "default", "information_schema"})
        return pa.table({"catalog_name": [CATALOG] * len(names), "schema_name": names})
    tables = _tables(catalog)
    if kind == "tables":
        return pa.table({"table_catalog": [CATALOG] * len(tables), "table_schema": [db for db, _, _ in tables],
                         "table_name": [n for _, n, _ in tables],
                         "table_type": ["VIEW" if _is_view(t) else "BASE TABLE" for _, _, t in tables]})
    if kind == "views":
        views = [(db, n, t) for db, n, t in tables if _is_view(t)]
        return pa.table({"table_catalog": [CATALOG] * len(views), "table_schema": [db for db, _, _ in views],
                         "table_name": [n for _, n, _ in views],
                         "view_definition": [view_definition(t)["originalSql"] for _, _, t in views]})
    rows: dict[str, list[Any]] = {k: [] for k in ("table_catalog", "table_schema", "table_name", "column_name",
                                                  "ordinal_position", "column_default", "is_nullable", "data_type",
                                                  "comment", "extra_info")}
    for db, name, table in tables:
        columns = [(c, None) for c in table.get("StorageDescriptor", {}).get("Columns", [])]
        columns += [(k, "partition key") for k in table.get("PartitionKeys", [])]
        for position, (column, extra) in enumerate(columns, start=1):
            for key, value in (("table_catalog", CATALOG), ("table_schema", db), ("table_name", name),
                               ("column_name", column["Name"]), ("ordinal_position", position),
                               ("column_default", None), ("is_nullable", "YES"),
                               ("data_type", trino_type(column["Type"])), ("comment", column.get("Comment")),
                               ("extra_info", extra)):
                rows[key].append(value)
    schema = pa.schema([(k, pa.int64() if k == "ordinal_position" else pa.string()) for k in rows])
    return pa.table(rows, schema=schema)


def register_information_schema(con: Any, sql: str, catalog: Any) -> str:
    """Register the information_schema tables ``sql`` names (from ``catalog``) and point ``sql`` at them."""
    kinds = {m.group(1).lower() for m in INFORMATION_SCHEMA.finditer(sql)}
    for kind in kinds:
        con.register(f"__information_schema_{kind}", _build(kind, catalog))
    if not kinds:
        return sql
    return INFORMATION_SCHEMA.sub(lambda m: f'"__information_schema_{m.group(1).lower()}"', sql)


def partitions_table(catalog: Any, db: str, name: str) -> Any | None:
    """``"table$partitions"``: one row per partition, a column per partition key; None for other names."""
    import pyarrow as pa

    if not name.endswith("$partitions"):
        return None
    base = name[:-len("$partitions")]
    table = catalog.get_table(db, base)
    if table is None:
        return None
    keys = table.get("PartitionKeys", [])
    if not keys:
        raise QueryFailed(f"NOT_SUPPORTED: Table '{CATALOG}.{db}.{base}' is not partitioned")
    values = sorted(tuple(p["Values"]) for p in catalog.get_partitions(db, base))
    columns = {}
    for index, key in enumerate(keys):
        strings = pa.array([v[index] for v in values], pa.string())
        try:
            columns[key["Name"]] = strings.cast(arrow_type(key["Type"]))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            columns[key["Name"]] = strings
    return pa.table(columns)
