"""DDL on the Glue catalog: databases, external tables (Hive DDL parsed with regular expressions),
MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION, SHOW and DESCRIBE."""

from __future__ import annotations

import re
from typing import Any

from emulators.athena.engine.lake import _data_files, split_s3
from emulators.athena.engine.text import _column_def, _ddl, _like, _parenthesised, _properties, _qualified
from emulators.athena.engine.types import (JSON_SERDE, LAZY_SERDE, ORC_IO, PARQUET_IO, TEXT_IO, QueryFailed,
                                           QueryResult, _split_top)
from emulators.athena.engine.views import view_definition

def _create_statement(table: dict[str, Any]) -> list[str]:
    """The lines of ``SHOW CREATE TABLE`` for a Glue table, in Athena's layout."""
    sd = table.get("StorageDescriptor") or {}
    columns = [f"  `{c['Name']}` {c['Type']}" for c in sd.get("Columns", [])]
    lines = [f"CREATE EXTERNAL TABLE `{table['Name']}`("]
    lines += [c + ("," if i < len(columns) - 1 else ")") for i, c in enumerate(columns)] or [")"]
    keys = [f"  `{k['Name']}` {k['Type']}" for k in table.get("PartitionKeys", [])]
    if keys:
        lines.append("PARTITIONED BY ( ")
        lines += [k + ("," if i < len(keys) - 1 else ")") for i, k in enumerate(keys)]
    serde = sd.get("SerdeInfo") or {}
    if serde.get("SerializationLibrary"):
        lines += ["ROW FORMAT SERDE ", f"  '{serde['SerializationLibrary']}' "]
        params = serde.get("Parameters") or {}
        if params:
            lines.append("WITH SERDEPROPERTIES ( ")
            items = [f"  '{k}'='{v}'" for k, v in params.items()]
            lines += [item + ("," if i < len(items) - 1 else ") ") for i, item in enumerate(items)]
    if sd.get("InputFormat"):
        lines += ["STORED AS INPUTFORMAT ", f"  '{sd['InputFormat']}' "]
    if sd.get("OutputFormat"):
        lines += ["OUTPUTFORMAT ", f"  '{sd['OutputFormat']}'"]
    if sd.get("Location"):
        lines += ["LOCATION", f"  '{sd['Location']}'"]
    properties = table.get("Parameters") or {}
    if properties:
        lines.append("TBLPROPERTIES (")
        items = [f"  '{k}'='{v}'" for k, v in properties.items()]
        lines += [item + ("," if i < len(items) - 1 else ")") for i, item in enumerate(items)]
    return lines



class DdlStatements:
    """The DDL statements (a mixin of :class:`AthenaEngine`)."""

    # ---- DDL ----
    def create_database(self, sql: str) -> QueryResult:
        match = re.match(r"CREATE\s+(?:DATABASE|SCHEMA)\s+(IF\s+NOT\s+EXISTS\s+)?[`\"]?([\w-]+)[`\"]?"
                         r"(?:\s+COMMENT\s+'([^']*)')?(?:\s+LOCATION\s+'([^']*)')?", sql, re.IGNORECASE)
        if not match:
            raise QueryFailed(f"line 1:1: cannot parse CREATE DATABASE statement: {sql[:200]}")
        name = match.group(2).lower()
        if self.catalog.database_exists(name):
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database {name} already exists")
        self.catalog.create_database(name, match.group(3), match.group(4))
        return _ddl()

    def drop_database(self, sql: str) -> QueryResult:
        match = re.match(r"DROP\s+(?:DATABASE|SCHEMA)\s+(IF\s+EXISTS\s+)?[`\"]?([\w-]+)[`\"]?\s*(CASCADE)?",
                         sql, re.IGNORECASE)
        if not match:
            raise QueryFailed("line 1:1: cannot parse DROP DATABASE statement")
        name = match.group(2).lower()
        if not self.catalog.database_exists(name):
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database does not exist: {name}")
        tables = self.catalog.list_tables(name)
        if tables and not match.group(3):
            raise QueryFailed(f"FAILED: InvalidOperationException(message:Database {name} is not empty. "
                              "One or more tables exist.)")
        for table in tables:
            self.catalog.delete_table(name, table)
        self.catalog.drop_database(name)
        return _ddl()

    def create_external_table(self, sql: str, database: str) -> QueryResult:
        text = " ".join(sql.split())
        match = re.match(r"CREATE\s+(?:EXTERNAL\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([`\"\w.-]+)\s*\(", text, re.I)
        if not match:
            raise QueryFailed(f"line 1:8: cannot parse CREATE EXTERNAL TABLE: {sql[:200]}")
        db, name = _qualified(match.group(2), database)
        body, rest = _parenthesised(text, match.end() - 1)
        columns = [_column_def(c) for c in _split_top(body)]
        table_props = _properties(rest, "TBLPROPERTIES")
        iceberg = str(table_props.get("table_type", "")).upper() == "ICEBERG"
        partition_keys: list[tuple[str, str]] = []
        part = re.search(r"PARTITIONED\s+BY\s*\(", rest, re.I)
        if part and not iceberg:  # an Iceberg spec names columns of the list (or transforms of them)
            pbody, _ = _parenthesised(rest, part.end() - 1)
            partition_keys = [_column_def(c) for c in _split_top(pbody)]
        location = re.search(r"LOCATION\s+'([^']+)'", rest, re.I)
        if not location:
            raise QueryFailed("FAILED: an external table needs LOCATION 's3://bucket/prefix/'")
        stored = (re.search(r"STORED\s+AS\s+(\w+)", rest, re.I) or [None, "TEXTFILE"])[1].upper()
        delim = re.search(r"FIELDS\s+TERMINATED\s+BY\s+'((?:\\.|[^'])*)'", rest, re.I)
        serde = re.search(r"ROW\s+FORMAT\s+SERDE\s+'([^']+)'", rest, re.I)
        serde_props = _properties(rest, "WITH\\s+SERDEPROPERTIES")
        if iceberg:  # kept as a plain Parquet table: INSERT and SELECT work, row-level changes are refused
            stored = str(table_props.get("format") or "PARQUET").upper()
        if not self.catalog.database_exists(db):
            raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}")
        if self.catalog.get_table(db, name) is not None:
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: AlreadyExistsException(message:Table {name} already exists)")
        if stored == "INPUTFORMAT":  # STORED AS INPUTFORMAT '...' OUTPUTFORMAT '...' (SHOW CREATE TABLE's form)
            named = re.search(r"INPUTFORMAT\s+'([^']+)'", rest, re.I)
            named_format = named.group(1).lower() if named else ""
            stored = "PARQUET" if "parquet" in named_format else "ORC" if ".orc." in named_format else "TEXTFILE"
        if serde and stored == "TEXTFILE" and "parquet" in serde.group(1).lower():
            stored = "PARQUET"
        if serde and stored == "TEXTFILE" and "orc" in serde.group(1).lower().rsplit(".", 1)[-1]:
            stored = "ORC"
        if stored == "PARQUET":
            input_format, output_format, library = PARQUET_IO
            classification = "parquet"
        elif stored == "ORC":
            input_format, output_format, library = ORC_IO
            classification = "orc"
        elif stored in ("AVRO", "SEQUENCEFILE", "RCFILE", "ION"):
            raise QueryFailed(f"NOT_SUPPORTED: STORED AS {stored} tables are not emulated by the sandbox's Athena "
                              "(PARQUET, ORC, TEXTFILE and JSON are)")
        elif serde and "json" in serde.group(1).lower() or stored == "JSON":
            input_format, output_format = TEXT_IO
            library, classification = (serde.group(1) if serde else JSON_SERDE), "json"
        else:
            input_format, output_format = TEXT_IO
            library = serde.group(1) if serde else LAZY_SERDE
            classification = "csv"
            if delim:
                serde_props.setdefault("field.delim", delim.group(1).encode().decode("unicode_escape"))
            escaped = re.search(r"ESCAPED\s+BY\s+'((?:\\.|[^'])*)'", rest, re.I)
            if escaped:
                serde_props.setdefault("escape.delim", escaped.group(1).encode().decode("unicode_escape"))
        descriptor = {
            # Athena marks an Iceberg table's columns as its current schema fields (clients read them)
            "Columns": [{"Name": n, "Type": t, **({"Parameters": {
                "iceberg.field.id": str(i), "iceberg.field.optional": "true", "iceberg.field.current": "true"}}
                if iceberg else {})} for i, (n, t) in enumerate(columns, 1)],
            "Location": location.group(1),
            "InputFormat": input_format,
            "OutputFormat": output_format,
            "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde_props},
            "Compressed": False,
            "Parameters": {},
        }
        self.catalog.create_table(db, {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": descriptor,
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys],
            "Parameters": {"EXTERNAL": "TRUE", "classification": classification, **table_props},
        })
        return _ddl()

    def drop_table(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?([`\"\w.-]+)", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse DROP TABLE statement")
        db, name = _qualified(match.group(2), database)
        if self.catalog.get_table(db, name) is None:
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}")
        self.catalog.delete_table(db, name)
        return _ddl()

    def msck_repair(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"MSCK\s+REPAIR\s+TABLE\s+([`\"\w.-]+)", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse MSCK REPAIR TABLE statement")
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        location = table["StorageDescriptor"]["Location"].rstrip("/") + "/"
        bucket, prefix = split_s3(location)
        existing = {tuple(p["Values"]) for p in self.catalog.get_partitions(db, name)}
        found: dict[tuple[str, ...], str] = {}
        for file in _data_files(self.lake, location):
            relative = file.path[len(bucket) + 1 + len(prefix):]
            segments = relative.split("/")[:-1]
            if len(segments) < len(keys):
                continue
            values = []
            for key, segment in zip(keys, segments):
                seg_key, _, value = segment.partition("=")
                if seg_key.lower() != key:
                    break
                values.append(value)
            else:
                found[tuple(values)] = location + "/".join(segments[: len(keys)]) + "/"
        added = [v for v in sorted(found) if v not in existing]
        self.catalog.add_partitions(db, name, [self._partition_input(table, list(v), found[v]) for v in added])
        lines = [f"Repair: Added partition to metastore {name}:" +
                 "/".join(f"{k}={v}" for k, v in zip(keys, values)) for values in added]
        return QueryResult([("result", "varchar")], [[line] for line in lines], "DDL", header=False)

    def _partition_input(self, table: dict[str, Any], values: list[str], location: str) -> dict[str, Any]:
        descriptor = dict(table["StorageDescriptor"])
        descriptor["Location"] = location
        return {"Values": values, "StorageDescriptor": descriptor}

    def alter_table(self, sql: str, database: str) -> QueryResult:
        other = self.alter_table_other(sql, database)  # type: ignore[attr-defined]  # AlterStatements
        if other is not None:
            return other
        text = " ".join(sql.split())
        match = re.match(r"ALTER\s+TABLE\s+([`\"\w.-]+)\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)$", text, re.I)
        if not match:
            raise QueryFailed("line 1:1: this ALTER TABLE form is not supported by the sandbox (supported: ADD/DROP "
                              "PARTITION, ADD/REPLACE COLUMNS, CHANGE COLUMN, SET TBLPROPERTIES, SET LOCATION, "
                              "PARTITION ... SET LOCATION / RENAME TO PARTITION)")
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        existing = {tuple(p["Values"]) for p in self.catalog.get_partitions(db, name)}
        specs = re.findall(r"PARTITION\s*\(([^)]*)\)(?:\s*LOCATION\s+'([^']+)')?", match.group(4), re.I)
        if not specs:
            raise QueryFailed("line 1:1: ALTER TABLE needs PARTITION (key='value', ...)")
        to_add = []
        for spec, location in specs:
            given = {k.strip().strip('`"').lower(): v.strip().strip("'\"")
                     for k, v in (item.split("=", 1) for item in _split_top(spec))}
            if set(given) != set(keys):
                raise QueryFailed(f"FAILED: partition spec {given} does not match partition keys {keys}")
            values = [given[k] for k in keys]
            if match.group(2).upper() == "ADD":
                if tuple(values) in existing:
                    if match.group(3):
                        continue
                    raise QueryFailed(f"FAILED: AlreadyExistsException: Partition already exists: {values}")
                where = location or (table["StorageDescriptor"]["Location"].rstrip("/") + "/" +
                                     "/".join(f"{k}={v}" for k, v in zip(keys, values)) + "/")
                to_add.append(self._partition_input(table, values, where))
            else:
                if tuple(values) not in existing:
                    if match.group(3):
                        continue
                    raise QueryFailed(f"FAILED: SemanticException: Partition not found {values}")
                self.catalog.delete_partition(db, name, values)
        if to_add:
            self.catalog.add_partitions(db, name, to_add)
        return _ddl()

    def show(self, sql: str, database: str) -> QueryResult:
        text = " ".join(sql.split())
        upper = text.upper()
        if upper.startswith(("SHOW DATABASES", "SHOW SCHEMAS")):
            like = re.search(r"LIKE\s+'([^']*)'", text, re.I) or re.search(r"'([^']*)'", text)
            every = {*self.catalog.list_databases(), "default"}  # every account has the default database
            names = [n for n in sorted(every) if not like or _like(n, like.group(1))]
            return QueryResult([("database_name", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW TABLES"):
            match = re.match(r"SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+([`\"\w-]+))?(?:\s+(?:LIKE\s+)?'([^']*)')?", text, re.I)
            db = (match.group(1) or database).strip('`"').lower()
            if not self.catalog.database_exists(db):
                if db == "default":  # not made yet: empty
                    return QueryResult([("tab_name", "varchar")], [], "DDL", header=False)
                raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}")
            names = [n for n in sorted(self.catalog.list_tables(db)) if not match.group(2) or _like(n, match.group(2))]
            return QueryResult([("tab_name", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW VIEWS"):
            match = re.match(r"SHOW\s+VIEWS(?:\s+(?:IN|FROM)\s+([`\"\w-]+))?(?:\s+LIKE\s+'([^']*)')?", text, re.I)
            db = (match.group(1) or database).strip('`"').lower()
            if not self.catalog.database_exists(db):
                raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist")
            names = [n for n in sorted(self.catalog.list_tables(db))
                     if (self.catalog.get_table(db, n) or {}).get("TableType") == "VIRTUAL_VIEW"
                     and (not match.group(2) or _like(n, match.group(2)))]
            return QueryResult([("views", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW CREATE VIEW"):
            match = re.match(r"SHOW\s+CREATE\s+VIEW\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self.catalog.get_table(db, name)
            if table is None or table.get("TableType") != "VIRTUAL_VIEW":
                raise QueryFailed(f"line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist")
            lines = [f'CREATE VIEW "{db}"."{name}" AS', *view_definition(table)["originalSql"].splitlines()]
            return QueryResult([("Create View", "varchar")], [[line] for line in lines], "DDL", header=False)
        if upper.startswith("SHOW PARTITIONS"):
            match = re.match(r"SHOW\s+PARTITIONS\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self._require_table(db, name)
            keys = [k["Name"] for k in table.get("PartitionKeys", [])]
            if not keys:
                raise QueryFailed(f"FAILED: SemanticException Table {name} is not a partitioned table")
            rows = sorted("/".join(f"{k}={v}" for k, v in zip(keys, p["Values"]))
                          for p in self.catalog.get_partitions(db, name))
            return QueryResult([("partition", "varchar")], [[r] for r in rows], "DDL", header=False)
        if upper.startswith("SHOW COLUMNS"):
            match = re.match(r"SHOW\s+COLUMNS\s+(?:IN|FROM)\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self._require_table(db, name)
            names = [c["Name"] for c in table["StorageDescriptor"]["Columns"]] + [k["Name"] for k in table.get("PartitionKeys", [])]
            return QueryResult([("field", "varchar")], [[n] for n in names], "DDL", header=False)
        if upper.startswith("SHOW TBLPROPERTIES"):
            return self.show_tblproperties(text, database)  # type: ignore[attr-defined]  # AlterStatements
        if upper.startswith("SHOW CREATE TABLE"):
            match = re.match(r"SHOW\s+CREATE\s+TABLE\s+([`\"\w.-]+)", text, re.I)
            db, name = _qualified(match.group(1), database)
            table = self._require_table(db, name)
            return QueryResult([("createtab_stmt", "varchar")], [[line] for line in _create_statement(table)],
                               "DDL", header=False)
        raise QueryFailed(f"line 1:1: {text[:40]} is not supported by the sandbox")

    def describe(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"(?:DESCRIBE|DESC)\s+(?:FORMATTED\s+|EXTENDED\s+|VIEW\s+)?([`\"\w.-]+)(?:\s+([`\"\w]+))?\s*$",
                         sql.strip(), re.I)
        if not match:
            raise QueryFailed("line 1:1: DESCRIBE needs a table name (and optionally one column)")
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        if re.match(r"(?:DESCRIBE|DESC)\s+VIEW\s", sql.strip(), re.I) and table.get("TableType") != "VIRTUAL_VIEW":
            raise QueryFailed(f"line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist")
        if match.group(2):  # DESCRIBE table column: that column alone
            wanted = match.group(2).strip('`"').lower()
            found = [c for c in table["StorageDescriptor"]["Columns"] + table.get("PartitionKeys", [])
                     if c["Name"].lower() == wanted]
            if not found:
                raise QueryFailed(f"FAILED: SemanticException [Error 10002]: Invalid column reference {wanted}")
            return QueryResult([("col_name", "string"), ("data_type", "string"), ("comment", "string")],
                               [[f"{found[0]['Name']}\t{found[0]['Type']}\t{found[0].get('Comment', '')}"]], "DDL",
                               header=False)
        rows = [[f"{c['Name']}\t{c['Type']}\t{c.get('Comment', '')}"] for c in table["StorageDescriptor"]["Columns"]]
        keys = table.get("PartitionKeys", [])
        rows += [[f"{k['Name']}\t{k['Type']}\t{k.get('Comment', '')}"] for k in keys]
        if keys:
            rows += [[""], ["# Partition Information"], ["# col_name\tdata_type\tcomment"], [""]]
            rows += [[f"{k['Name']}\t{k['Type']}\t{k.get('Comment', '')}"] for k in keys]
        if re.match(r"(?:DESCRIBE|DESC)\s+(?:FORMATTED|EXTENDED)\s", sql.strip(), re.I):
            rows += _detailed_information(db, table)
        # Athena's metadata names three columns, while each result row is one tab-separated line
        return QueryResult([("col_name", "string"), ("data_type", "string"), ("comment", "string")], rows, "DDL",
                           header=False)

    def _require_table(self, db: str, name: str) -> dict[str, Any]:
        table = self.catalog.get_table(db, name)
        if table is None:
            raise QueryFailed(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}")
        return table


def _detailed_information(db: str, table: dict[str, Any]) -> list[list[str]]:
    """DESCRIBE FORMATTED's table and storage sections (Hive's layout: label, tab, value)."""
    descriptor = table.get("StorageDescriptor", {})
    serde = descriptor.get("SerdeInfo", {})
    created = table.get("CreateTime")
    when = created.strftime("%a %b %d %H:%M:%S UTC %Y") if hasattr(created, "strftime") else created or ""
    rows = [[""], ["# Detailed Table Information"], [f"Database:           \t{db}"],
            [f"Owner:              \t{table.get('Owner') or 'hadoop'}"], [f"CreateTime:         \t{when}"],
            ["LastAccessTime:     \tUNKNOWN"], [f"Retention:          \t{table.get('Retention', 0)}"],
            [f"Location:           \t{descriptor.get('Location', '')}"],
            [f"Table Type:         \t{table.get('TableType', 'EXTERNAL_TABLE')}"], ["Table Parameters:"]]
    rows += [[f"\t{k:<20}\t{v}"] for k, v in sorted((table.get("Parameters") or {}).items())]
    rows += [[""], ["# Storage Information"],
             [f"SerDe Library:      \t{serde.get('SerializationLibrary', '')}"],
             [f"InputFormat:        \t{descriptor.get('InputFormat', '')}"],
             [f"OutputFormat:       \t{descriptor.get('OutputFormat', '')}"],
             [f"Compressed:         \t{'Yes' if descriptor.get('Compressed') else 'No'}"],
             [f"Num Buckets:        \t{descriptor.get('NumberOfBuckets', -1)}"],
             [f"Bucket Columns:     \t{descriptor.get('BucketColumns', [])}"], ["Storage Desc Params:"]]
    rows += [[f"\t{k:<20}\t{v}"] for k, v in sorted((serde.get("Parameters") or {}).items())]
    return rows
