"""CTAS, INSERT INTO and UNLOAD: a query's Arrow result written as Parquet, JSON or text files to S3,
and registered in the catalog (tables, partitions)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

from emulators.athena.engine.lake import split_s3
from emulators.athena.engine.text import _ddl, _parenthesised, _qualified, _with_properties
from emulators.athena.engine.types import (JSON_SERDE, LAZY_SERDE, PARQUET_IO, TEXT_IO, QueryFailed, QueryResult,
                                           _format_value, hive_type_of)


class WriteStatements:
    """CTAS, INSERT INTO and UNLOAD (a mixin of :class:`AthenaEngine`)."""

    # ---- writing ----
    def create_table_as_select(self, sql: str, database: str, output_location: str | None,
                               query_id: str | None) -> QueryResult:
        text = sql.strip()
        match = re.match(r"CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([`\"\w.-]+)\s*", text, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse CREATE TABLE AS statement")
        db, name = _qualified(match.group(2), database)
        rest = text[match.end():]
        props: dict[str, str] = {}
        if rest.upper().startswith("WITH"):
            body, rest = _parenthesised(rest, rest.index("("))
            props = _with_properties(body)
        select = re.sub(r"^\s*AS\s*", "", rest, flags=re.I)
        no_data = re.search(r"\s+WITH\s+NO\s+DATA\s*$", select, flags=re.I) is not None
        select = re.sub(r"\s+WITH\s+(NO\s+)?DATA\s*$", "", select, flags=re.I)
        if select.startswith("(") and select.endswith(")"):
            select = select[1:-1]
        if self.catalog.get_table(db, name) is not None:
            if match.group(1):
                return _ddl()
            raise QueryFailed(f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{db}.{name}' already exists")
        if not self.catalog.database_exists(db):
            raise QueryFailed(f"SCHEMA_NOT_FOUND: Schema '{db}' does not exist")
        location = props.get("external_location")
        if not location:
            if not output_location:
                raise QueryFailed("CTAS needs external_location or a query output location")
            base = output_location.rsplit("/", 1)[0] + "/"
            location = f"{base}tables/{query_id or uuid.uuid4()}/"
        location = location.rstrip("/") + "/"
        bucket, prefix = split_s3(location)
        if self.lake.list(bucket, prefix):
            raise QueryFailed(f"HIVE_PATH_ALREADY_EXISTS: Target directory for table '{db}.{name}' already "
                              f"exists: {location}. You may need to manually clean the data at location "
                              f"'{location}' before CREATE TABLE AS SELECT.")
        data, scanned = self.query_arrow(select, database)
        fmt = (props.get("format") or "PARQUET").upper()
        partitioned = [c.strip().strip("'\"").lower() for c in
                       re.findall(r"'([^']+)'", props.get("partitioned_by", ""))]
        missing = [c for c in partitioned if c not in data.column_names]
        if missing:
            raise QueryFailed(f"partition columns {missing} are not in the SELECT list")
        if partitioned and data.column_names[-len(partitioned):] != partitioned:
            raise QueryFailed("HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table "
                              f"and in the same order as the table properties: {partitioned}")
        files: list[str] = []
        if no_data:  # WITH NO DATA: the table and its columns, no files
            data = data.slice(0, 0)
        written = self._write(data, location, fmt, partitioned, props.get("field_delimiter", ","),
                              props.get("write_compression"), files=files) if data.num_rows or not no_data else {}
        data_columns = [f for f in data.schema if f.name not in partitioned]
        table_input = self._table_input(name, location, fmt, data_columns,
                                        [data.schema.field(p) for p in partitioned], props.get("field_delimiter", ","))
        self.catalog.create_table(db, table_input)
        if partitioned:
            self.catalog.add_partitions(db, name, [self._partition_input(table_input, list(values), where)
                                                   for values, where in sorted(written.items())])
        return QueryResult([("rows", "bigint")], [[str(data.num_rows)]], "DDL", scanned, header=False,
                           substatement="CREATE_TABLE_AS_SELECT", written_rows=data.num_rows, written_files=files)

    def insert_into(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"INSERT\s+INTO\s+([`\"\w.-]+)\s*(\([^)]*\))?\s*", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse INSERT INTO statement")
        db, name = _qualified(match.group(1), database)
        table = self._require_table(db, name)
        data, scanned = self.query_arrow(sql[match.end():], database)
        descriptor = table["StorageDescriptor"]
        columns = [c["Name"].lower() for c in descriptor["Columns"]]
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        if data.num_columns != len(columns) + len(keys):
            raise QueryFailed(f"Insert query has mismatched column sizes: table has {len(columns) + len(keys)}, "
                              f"query has {data.num_columns}")
        data = data.rename_columns(columns + keys)
        params = {**table.get("Parameters", {}), **descriptor.get("SerdeInfo", {}).get("Parameters", {})}
        library = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        fmt = "PARQUET" if "parquet" in library else "JSON" if "json" in library else "TEXTFILE"
        files: list[str] = []
        written = self._write(data, descriptor["Location"].rstrip("/") + "/", fmt, keys,
                              params.get("field.delim", ","), None, unique=True, files=files)
        existing = {tuple(p["Values"]) for p in self.catalog.get_partitions(db, name)}
        new = [self._partition_input(table, list(v), where) for v, where in sorted(written.items())
               if keys and v not in existing]
        if new:
            self.catalog.add_partitions(db, name, new)
        return QueryResult([("rows", "bigint")], [[str(data.num_rows)]], "DML", scanned, header=False,
                           substatement="INSERT", written_rows=data.num_rows, written_files=files)

    def unload(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"UNLOAD\s*\(", sql, re.I)
        inner, rest = _parenthesised(sql, match.end() - 1)
        target = re.match(r"\s*TO\s+'([^']+)'\s*", rest, re.I)
        if not target:
            raise QueryFailed("line 1:1: UNLOAD needs TO 's3://bucket/prefix/'")
        props: dict[str, str] = {}
        after = rest[target.end():]
        if after.upper().startswith("WITH"):
            body, _ = _parenthesised(after, after.index("("))
            props = _with_properties(body)
        location = target.group(1).rstrip("/") + "/"
        bucket, prefix = split_s3(location)
        if self.lake.list(bucket, prefix):
            raise QueryFailed(f"HIVE_PATH_ALREADY_EXISTS: Target directory for UNLOAD already exists: {location}")
        data, scanned = self.query_arrow(inner, database)
        partitioned = [c.lower() for c in re.findall(r"'([^']+)'", props.get("partitioned_by", ""))]
        files: list[str] = []
        self._write(data, location, (props.get("format") or "TEXTFILE").upper(), partitioned,
                    props.get("field_delimiter", ","), props.get("compression"), files=files)
        return QueryResult([("rows", "bigint")], [[str(data.num_rows)]], "DML", scanned, header=False,
                           substatement="UNLOAD", written_rows=data.num_rows, written_files=files)

    def _write(self, data: Any, location: str, fmt: str, partitioned: list[str], delimiter: str,
               compression: str | None, unique: bool = False,
               files: list[str] | None = None) -> dict[tuple[str, ...], str]:
        """Write ``data`` under ``location``; returns partition values -> partition location.

        The URIs of the files written are appended to ``files``."""
        import pyarrow.compute as pc

        bucket, prefix = split_s3(location)
        groups: list[tuple[tuple[str, ...], Any]]
        if partitioned:
            keys = data.select(partitioned).group_by(partitioned).aggregate([]).to_pylist()
            groups = []
            for row in keys:
                mask = None
                for col in partitioned:
                    cond = pc.is_null(data[col]) if row[col] is None else pc.equal(data[col], row[col])
                    mask = cond if mask is None else pc.and_(mask, cond)
                values = tuple("__HIVE_DEFAULT_PARTITION__" if row[c] is None else _format_value(row[c])
                               for c in partitioned)
                groups.append((values, data.filter(mask).drop_columns(partitioned)))
        else:
            groups = [((), data)]
        written: dict[tuple[str, ...], str] = {}
        stamp = uuid.uuid4().hex[:12] if unique else ""
        for values, part in groups:
            folder = "".join(f"{c}={v}/" for c, v in zip(partitioned, values))
            body, suffix = _encode(part, fmt, delimiter, compression)
            key = f"{prefix}{folder}{stamp or uuid.uuid4().hex[:12]}-part-00000{suffix}"
            self.lake.put(bucket, key, body)
            if files is not None:
                files.append(f"s3://{bucket}/{key}")
            written[values] = f"s3://{bucket}/{prefix}{folder}"
        return written

    def _table_input(self, name: str, location: str, fmt: str, columns: list[Any], keys: list[Any],
                     delimiter: str) -> dict[str, Any]:
        if fmt == "PARQUET":
            input_format, output_format, library = PARQUET_IO
            serde_params: dict[str, str] = {"serialization.format": "1"}
            classification = "parquet"
        elif fmt == "JSON":
            input_format, output_format = TEXT_IO
            library, serde_params, classification = JSON_SERDE, {}, "json"
        else:
            input_format, output_format = TEXT_IO
            library, serde_params, classification = LAZY_SERDE, {"field.delim": delimiter}, "csv"
        return {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": f.name, "Type": hive_type_of(f.type)} for f in columns],
                "Location": location, "InputFormat": input_format, "OutputFormat": output_format,
                "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde_params},
                "Compressed": False, "Parameters": {},
            },
            "PartitionKeys": [{"Name": f.name, "Type": "string"} for f in keys],
            "Parameters": {"EXTERNAL": "TRUE", "classification": classification, "has_encrypted_data": "false"},
        }


def _encode(table: Any, fmt: str, delimiter: str, compression: str | None) -> tuple[bytes, str]:
    import gzip

    import pyarrow.parquet as pq

    if fmt == "PARQUET":
        buf = io.BytesIO()
        pq.write_table(table, buf, compression=(compression or "snappy").lower())
        return buf.getvalue(), ".parquet"
    if fmt == "ORC":
        raise QueryFailed("ORC output is not supported by the sandbox: use format = 'PARQUET'")
    if fmt == "JSON":
        import json

        lines = "".join(json.dumps({k: _format_value(v) if not isinstance(v, (int, float, bool)) or isinstance(v, bool)
                                    else v for k, v in row.items()}) + "\n" for row in table.to_pylist())
        body = lines.encode()
        suffix = ".json"
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        for row in table.to_pylist():
            writer.writerow(["\\N" if v is None else _format_value(v) for v in row.values()])
        body = out.getvalue().encode()
        suffix = ".csv" if delimiter == "," else ".txt"
    if (compression or "").lower() == "gzip":
        return gzip.compress(body), suffix + ".gz"
    return body, suffix


