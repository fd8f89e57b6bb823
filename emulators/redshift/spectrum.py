"""Redshift Spectrum DDL: external tables written to the Glue Data Catalog, as Redshift does.

``CREATE EXTERNAL TABLE schema.table (...)`` with PARTITIONED BY, ROW FORMAT DELIMITED / SERDE,
STORED AS (TEXTFILE, PARQUET, ORC, JSON via a SerDe), LOCATION and TABLE PROPERTIES becomes a Glue
``TableInput`` (``EXTERNAL_TABLE``) in the schema's Glue database; ``ALTER TABLE ... ADD PARTITION``
adds Glue partitions; ``DROP TABLE`` of an external table deletes the Glue table. Queries then read
the files through the Athena engine's datasets (``lake_table_dataset``). Plain text in, plain dicts out:
raises ``ValueError`` with Redshift's wording.
"""

from __future__ import annotations

import re
from typing import Any

from emulators.redshift.dialect import call_arguments

TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
STORED_AS = {
    "TEXTFILE": (TEXT_INPUT, TEXT_OUTPUT, LAZY_SERDE),
    "PARQUET": ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
    "ORC": ("org.apache.hadoop.hive.ql.io.orc.OrcInputFormat", "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcSerde"),
}
HIVE_TYPES = [
    (r"(INTEGER|INT4|INT)", "int"), (r"(SMALLINT|INT2)", "smallint"), (r"(BIGINT|INT8)", "bigint"),
    (r"(REAL|FLOAT4)", "float"), (r"(DOUBLE PRECISION|FLOAT8|FLOAT|DOUBLE)", "double"),
    (r"(BOOLEAN|BOOL)", "boolean"), (r"DATE", "date"), (r"TIMESTAMP", "timestamp"), (r"(TEXT|STRING)", "string"),
]


def _hive_type(kind: str) -> str:
    text = " ".join(kind.split())
    sized = re.fullmatch(r"(?i)(DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*(?:,\s*(\d+))?\s*\)", text)
    if sized:
        return f"decimal({sized.group(2)},{sized.group(3) or 0})"
    char = re.fullmatch(r"(?i)(VARCHAR|CHARACTER VARYING|CHAR|CHARACTER|NCHAR|BPCHAR)\s*\(\s*(\d+)\s*\)", text)
    if char:
        return f"{'char' if char.group(1).upper() in ('CHAR', 'CHARACTER', 'NCHAR', 'BPCHAR') else 'varchar'}" \
               f"({char.group(2)})"
    if re.fullmatch(r"(?i)(VARCHAR|CHARACTER VARYING)", text):
        return "varchar(256)"
    for pattern, hive in HIVE_TYPES:
        if re.fullmatch(pattern, text, re.I):
            return hive
    if re.fullmatch(r"(?i)(array|struct|map)\s*<.*>", text):
        return text.lower()
    raise ValueError(f'type "{kind.lower()}" is not supported for external tables')


def _columns(definitions: list[str]) -> list[dict[str, str]]:
    columns = []
    for definition in definitions:
        parts = definition.split(None, 1)
        if len(parts) != 2:
            raise ValueError(f"syntax error in column definition {definition!r}")
        columns.append({"Name": parts[0].strip('"').lower(), "Type": _hive_type(parts[1])})
    return columns


def _properties(text: str) -> dict[str, str]:
    return {k: v for k, v in re.findall(r"'((?:[^']|'')*)'\s*=\s*'((?:[^']|'')*)'", text)}


def external_table_input(text: str) -> tuple[str, str, dict[str, Any], bool]:
    """(schema, table, Glue TableInput, IF NOT EXISTS) of a CREATE EXTERNAL TABLE statement."""
    head = re.match(r"\s*CREATE\s+EXTERNAL\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([\w\"]+)\s*\.\s*([\w\"]+)\s*\(",
                    text, re.I)
    if not head:
        raise ValueError("syntax error in CREATE EXTERNAL TABLE: expected CREATE EXTERNAL TABLE schema.table (...)")
    found = call_arguments(text, head.end() - 1)
    if not found:
        raise ValueError("syntax error in CREATE EXTERNAL TABLE: the column list is not closed")
    definitions, end = found
    rest = text[end:]
    if re.match(r"\s*AS\b", rest, re.I) or re.search(r"\bAS\s+SELECT\b", rest, re.I):
        raise ValueError("CREATE EXTERNAL TABLE AS SELECT is not emulated by the sandbox: create the table, then "
                         "UNLOAD into its location")
    partition_keys: list[dict[str, str]] = []
    partitioned = re.search(r"\bPARTITIONED\s+BY\s*\(", rest, re.I)
    if partitioned:
        keys, key_end = call_arguments(rest, partitioned.end() - 1) or ([], partitioned.end())
        partition_keys = _columns(keys)
        rest = rest[:partitioned.start()] + rest[key_end:]
    location = re.search(r"\bLOCATION\s+'([^']+)'", rest, re.I)
    if not location:
        raise ValueError("CREATE EXTERNAL TABLE needs a LOCATION 's3://...'")
    serde_parameters: dict[str, str] = {}
    stored = re.search(r"\bSTORED\s+AS\s+(\w+)", rest, re.I)
    kind = (stored.group(1).upper() if stored else "TEXTFILE")
    if kind == "INPUTFORMAT":
        formats = re.search(r"INPUTFORMAT\s+'([^']+)'\s+OUTPUTFORMAT\s+'([^']+)'", rest, re.I)
        if not formats:
            raise ValueError("syntax error in STORED AS INPUTFORMAT '...' OUTPUTFORMAT '...'")
        input_format, output_format, library = formats.group(1), formats.group(2), LAZY_SERDE
    elif kind in STORED_AS:
        input_format, output_format, library = STORED_AS[kind]
    else:
        raise ValueError(f"STORED AS {kind} is not supported by the sandbox (TEXTFILE, PARQUET, ORC, or "
                         "INPUTFORMAT/OUTPUTFORMAT)")
    serde = re.search(r"\bROW\s+FORMAT\s+SERDE\s+'([^']+)'", rest, re.I)
    if serde:
        library = serde.group(1)
        with_properties = re.search(r"\bWITH\s+SERDEPROPERTIES\s*\(", rest, re.I)
        if with_properties:
            args = call_arguments(rest, with_properties.end() - 1)
            serde_parameters = _properties(", ".join(args[0])) if args else {}
    delimited = re.search(r"\bFIELDS\s+TERMINATED\s+BY\s+'((?:\\.|[^'])*)'", rest, re.I)
    if delimited:
        serde_parameters["field.delim"] = delimited.group(1).encode().decode("unicode_escape")
        serde_parameters.setdefault("serialization.format", serde_parameters["field.delim"])
    parameters = {"EXTERNAL": "TRUE"}
    table_properties = re.search(r"\bTABLE\s+PROPERTIES\s*\(", rest, re.I)
    if table_properties:
        args = call_arguments(rest, table_properties.end() - 1)
        parameters.update(_properties(", ".join(args[0])) if args else {})
    table = head.group(3).strip('"').lower()
    table_input = {
        "Name": table, "TableType": "EXTERNAL_TABLE", "Parameters": parameters, "PartitionKeys": partition_keys,
        "StorageDescriptor": {"Columns": _columns(definitions), "Location": location.group(1),
                              "InputFormat": input_format, "OutputFormat": output_format,
                              "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde_parameters}},
    }
    return head.group(2).strip('"').lower(), table, table_input, bool(head.group(1))


def added_partitions(text: str, table: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """(Glue PartitionInputs, IF NOT EXISTS) of ``ALTER TABLE s.t ADD [IF NOT EXISTS] PARTITION (k='v') LOCATION
    's3://...' [PARTITION ... LOCATION ...]``."""
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    found = re.findall(r"PARTITION\s*\(([^)]*)\)\s*LOCATION\s+'([^']+)'", text, re.I)
    if not found:
        raise ValueError("syntax error in ALTER TABLE ... ADD PARTITION (key='value') LOCATION 's3://...'")
    partitions = []
    for spec, location in found:
        values = {k.strip().strip('"').lower(): v for k, v in re.findall(r"([\w\"]+)\s*=\s*'?([^',]*)'?", spec)}
        if sorted(values) != sorted(keys):
            raise ValueError(f"the partition ({spec.strip()}) does not name the table's partition columns "
                             f"({', '.join(keys)})")
        descriptor = dict(table["StorageDescriptor"], Location=location)
        partitions.append({"Values": [values[k] for k in keys], "StorageDescriptor": descriptor})
    return partitions, re.search(r"\bADD\s+IF\s+NOT\s+EXISTS\b", text, re.I) is not None
