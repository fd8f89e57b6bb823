"""CTAS, INSERT INTO and UNLOAD: a query's Arrow result written as Parquet, JSON or text files to S3,
and registered in the catalog (tables, partitions)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

from emulators.athena.engine.lake import split_s3
from emulators.athena.engine.text import _ddl, _parenthesised, _qualified, _with_properties, strip_leading_comments
from emulators.athena.engine.types import (JSON_SERDE, LAZY_SERDE, ORC_IO, PARQUET_IO, TEXT_IO, QueryFailed,
                                           QueryResult, _format_value, arrow_type, hive_type_of)


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
        select = strip_leading_comments(re.sub(r"^\s*AS\b", "", rest, flags=re.I)).strip()
        no_data = re.search(r"\s+WITH\s+NO\s+DATA\s*$", select, flags=re.I) is not None
        select = re.sub(r"\s+WITH\s+(NO\s+)?DATA\s*$", "", select, flags=re.I)
        if select.startswith("(") and select.endswith(")"):
            inner, after = _parenthesised(select, 0)
            if not after:  # (query), not (query) UNION ALL (query)
                select = inner
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
        fmt = _output_format(props, "PARQUET")
        delimiter = _delimiter(props)
        bucketed = [c.lower() for c in re.findall(r"'([^']+)'", props.get("bucketed_by", ""))]
        if bucketed and not str(props.get("bucket_count", "")).isdigit():
            raise QueryFailed("INVALID_TABLE_PROPERTY: bucket_count must be set to a positive number when bucketed_by "
                              "is set")
        compression = (props.get("write_compression") or props.get("parquet_compression")
                       or props.get("orc_compression") or _default_compression(fmt))
        data, scanned = self.query_arrow(select, database)
        _check_new_columns(data)
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
        written = self._write(data, location, fmt, partitioned, delimiter,
                              compression, files=files) if data.num_rows or not no_data else {}
        data_columns = [f for f in data.schema if f.name not in partitioned]
        table_input = self._table_input(name, location, fmt, data_columns,
                                        [data.schema.field(p) for p in partitioned], delimiter)
        if bucketed:  # recorded in Glue as Athena does (the sandbox writes one file per partition, not per bucket)
            table_input["StorageDescriptor"].update(BucketColumns=bucketed, NumberOfBuckets=int(props["bucket_count"]))
        self.catalog.create_table(db, table_input)
        if partitioned:
            self.catalog.add_partitions(db, name, [self._partition_input(table_input, list(values), where)
                                                   for values, where in sorted(written.items())])
        return QueryResult([("rows", "bigint")], [[str(data.num_rows)]], "DDL", scanned, header=False,
                           substatement="CREATE_TABLE_AS_SELECT", written_rows=data.num_rows, written_files=files)

    def insert_into(self, sql: str, database: str) -> QueryResult:
        match = re.match(r"INSERT\s+INTO\s+([`\"\w.-]+)\s*(\((?!\s*(?:SELECT|WITH|VALUES)\b)[^)]*\))?\s*", sql, re.I)
        if not match:
            raise QueryFailed("line 1:1: cannot parse INSERT INTO statement")
        db, name = _qualified(match.group(1), database)
        table = self.catalog.get_table(db, name)
        if table is None:
            raise QueryFailed(f"TABLE_NOT_FOUND: line 1:13: Table 'awsdatacatalog.{db}.{name}' does not exist")
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise QueryFailed(f"NOT_SUPPORTED: line 1:1: Inserting into views is not supported: "
                              f"awsdatacatalog.{db}.{name}")
        library = (table["StorageDescriptor"].get("SerdeInfo", {}).get("SerializationLibrary") or "").lower()
        if library.endswith("regexserde"):
            raise QueryFailed(f"NOT_SUPPORTED: Inserting into table 'awsdatacatalog.{db}.{name}' is not supported: "
                              "RegexSerDe tables can be read, not written")
        data, scanned = self.query_arrow(sql[match.end():], database)
        descriptor = table["StorageDescriptor"]
        data_columns = [(c["Name"].lower(), c["Type"]) for c in descriptor["Columns"]]
        key_columns = [(k["Name"].lower(), k.get("Type", "string")) for k in table.get("PartitionKeys", [])]
        keys = [n for n, _ in key_columns]
        data = _insert_columns(data, data_columns + key_columns, match.group(2))
        params = {**table.get("Parameters", {}), **descriptor.get("SerdeInfo", {}).get("Parameters", {})}
        library = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        fmt = ("PARQUET" if "parquet" in library else "ORC" if library.endswith("orcserde") else
               "JSON" if "json" in library else "TEXTFILE")
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
        fmt = _output_format(props, "TEXTFILE")
        delimiter = _delimiter(props, ",")
        compression = props.get("compression")
        data, scanned = self.query_arrow(inner, database)
        partitioned = [c.lower() for c in re.findall(r"'([^']+)'", props.get("partitioned_by", ""))]
        files: list[str] = []
        self._write(data, location, fmt, partitioned, delimiter, compression, files=files)
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
            if len(keys) > MAX_PARTITIONS_WRITTEN:  # checked before any file is written
                raise QueryFailed(f"HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of {MAX_PARTITIONS_WRITTEN} open "
                                  f"writers for partitions/buckets (the query writes {len(keys)} partitions; see "
                                  "\"Use CTAS and INSERT INTO to work around the 100 partition limit\")")
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
        elif fmt == "ORC":
            input_format, output_format, library = ORC_IO
            serde_params, classification = {}, "orc"
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
            "PartitionKeys": [{"Name": f.name, "Type": hive_type_of(f.type)} for f in keys],
            "Parameters": {"EXTERNAL": "TRUE", "classification": classification, "has_encrypted_data": "false"},
        }


FORMATS = ("PARQUET", "ORC", "JSON", "TEXTFILE")
MAX_PARTITIONS_WRITTEN = 100  # CTAS, INSERT INTO and UNLOAD write at most 100 partitions per query


def _check_new_columns(data: Any) -> None:
    """A CTAS's columns need a name each (an unnamed expression is ``_col<position>``), distinct names and a
    known type (a bare NULL has none), as Trino checks them before writing anything."""
    import pyarrow as pa

    seen: set[str] = set()
    for position, field in enumerate(data.schema):
        if field.name == f"_col{position}":
            raise QueryFailed(f"MISSING_COLUMN_NAME: line 1:1: Column name not specified at position {position + 1}")
        if field.name.lower() in seen:
            raise QueryFailed(f"DUPLICATE_COLUMN_NAME: line 1:1: Column name '{field.name.lower()}' specified more "
                              "than once")
        seen.add(field.name.lower())
        if pa.types.is_null(field.type):
            raise QueryFailed(f"COLUMN_TYPE_UNKNOWN: line 1:1: Column type is unknown: {field.name.lower()}")


def _insert_columns(data: Any, targets: list[tuple[str, str]], column_list: str | None) -> Any:
    """The rows of an INSERT as the table's columns, in its order and types (Trino's rules).

    A column list names the columns the query fills (the others are NULL); the query's types must
    coerce to the table's implicitly (integer into bigint or double, DATE into TIMESTAMP, ...), or the
    statement fails with TYPE_MISMATCH as on Athena, before any file is written."""
    import pyarrow as pa

    names = [n for n, _ in targets]
    if column_list:
        listed = [c.strip().strip('`"').lower() for c in column_list.strip()[1:-1].split(",") if c.strip()]
        for column in listed:
            if column not in names:
                raise QueryFailed(f"COLUMN_NOT_FOUND: line 1:1: Insert column name does not exist in target table: "
                                  f"{column}")
        if len(set(listed)) != len(listed):
            raise QueryFailed("DUPLICATE_COLUMN_NAME: line 1:1: Insert column name is specified more than once")
    else:
        listed = names
    kinds = dict(targets)
    if data.num_columns != len(listed) or not all(
            _coercible(source.type, arrow_type(kinds[c])) for source, c in zip(data.schema, listed)):
        table_types = [_trino_type_name(kinds[c]) for c in listed]
        query_types = [_arrow_trino_name(f.type) for f in data.schema]
        raise QueryFailed(f"TYPE_MISMATCH: line 1:1: Insert query has mismatched column types: Table: "
                          f"[{', '.join(table_types)}], Query: [{', '.join(query_types)}]")
    arrays = []
    by_name = dict(zip(listed, data.columns))
    for name, hive in targets:
        target = arrow_type(hive)
        if name not in by_name:
            arrays.append(pa.nulls(data.num_rows, target))
            continue
        try:
            arrays.append(by_name[name].cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise QueryFailed(f"INVALID_CAST_ARGUMENT: Cannot cast a value of column '{name}' to {hive}: {exc}") from None
    return pa.table(arrays, names=names)


def _coercible(source: Any, target: Any) -> bool:
    """Whether Trino coerces ``source`` to ``target`` implicitly in an INSERT."""
    import pyarrow.types as pt

    if pt.is_null(source) or source == target:
        return True
    if pt.is_integer(target):
        return pt.is_integer(source) or (pt.is_decimal(source) and source.scale == 0)
    if pt.is_floating(target):
        return pt.is_integer(source) or pt.is_floating(source) or pt.is_decimal(source)
    if pt.is_decimal(target):
        return pt.is_integer(source) or pt.is_decimal(source)
    if pt.is_string(target) or pt.is_large_string(target):
        return pt.is_string(source) or pt.is_large_string(source)
    if pt.is_timestamp(target):
        return pt.is_timestamp(source) or pt.is_date(source)
    for kind in (pt.is_boolean, pt.is_date, pt.is_binary, pt.is_list, pt.is_struct, pt.is_map):
        if kind(target):
            return bool(kind(source)) or (kind is pt.is_binary and pt.is_large_binary(source))
    return False


def _trino_type_name(hive: str) -> str:
    t = hive.strip().lower()
    return {"int": "integer", "string": "varchar", "float": "real", "timestamp": "timestamp(3)",
            "binary": "varbinary"}.get(t, t)


def _arrow_trino_name(arrow: Any) -> str:
    import pyarrow.types as pt

    if pt.is_null(arrow):
        return "unknown"
    if pt.is_list(arrow):
        return f"array({_arrow_trino_name(arrow.value_type)})"
    if pt.is_struct(arrow):
        return "row(" + ", ".join(f"{f.name} {_arrow_trino_name(f.type)}" for f in arrow) + ")"
    return _trino_type_name(hive_type_of(arrow))


def _output_format(props: dict[str, str], default: str) -> str:
    """The ``format`` property of a CTAS or UNLOAD, checked before the query runs."""
    fmt = (props.get("format") or default).upper()
    if fmt == "AVRO":
        raise QueryFailed(f"NOT_SUPPORTED: format = '{fmt}' is not emulated by the sandbox's Athena (it writes "
                          "PARQUET, ORC, JSON and TEXTFILE)")
    if fmt not in FORMATS:
        raise QueryFailed(f"INVALID_TABLE_PROPERTY: Unknown format: {props.get('format')} (supported: ORC, PARQUET, "
                          "AVRO, JSON, TEXTFILE)")
    return fmt


def _delimiter(props: dict[str, str], default: str = "\x01") -> str:
    """``field_delimiter``: one character (escapes such as '\\t' or '\\001' read as Hive does); ``default`` when
    absent (for CTAS \\001, as the CREATE TABLE AS page says)."""
    value = props.get("field_delimiter")
    if value is None:
        return default
    if value.startswith("\\"):
        try:
            value = value.encode().decode("unicode_escape")
        except UnicodeDecodeError:
            pass
    if len(value) != 1:
        raise QueryFailed(f"INVALID_TABLE_PROPERTY: field_delimiter must be a single character: '{value}' "
                          "(multi-character delimiters are not supported in CTAS queries)")
    return value


def _default_compression(fmt: str) -> str:
    """CTAS writes GZIP text and JSON files and ZLIB ORC unless told otherwise ("Examples of CTAS queries";
    Parquet: the sandbox writes Snappy)."""
    return "gzip" if fmt in ("TEXTFILE", "JSON") else "zlib" if fmt == "ORC" else "snappy"


def _encode(table: Any, fmt: str, delimiter: str, compression: str | None) -> tuple[bytes, str]:
    import gzip

    import pyarrow.parquet as pq

    if fmt == "PARQUET":
        buf = io.BytesIO()
        pq.write_table(table, buf, compression=(compression or "snappy").lower())
        return buf.getvalue(), ".parquet"
    if fmt == "ORC":
        import pyarrow.orc as orc

        buf = io.BytesIO()
        kind = (compression or "zlib").lower()
        orc.write_table(table, buf, compression="uncompressed" if kind == "none" else kind)
        return buf.getvalue(), ".orc"
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


