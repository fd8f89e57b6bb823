"""Column statistics computed from a table's data (Glue's StartColumnStatisticsTaskRun), in DuckDB.

Takes an Arrow table and the catalog types of the columns to analyse; answers
Glue's ``ColumnStatistics`` records (``LONG``, ``DOUBLE``, ``DECIMAL``, ``STRING``,
``BOOLEAN``, ``DATE``, ``BINARY``). Columns of other types (timestamps, structs,
arrays, maps) get no statistics, as on AWS. Never touches moto or boto3.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from emulators.core import sqlguard

LONG = ("tinyint", "smallint", "int", "integer", "bigint")
DOUBLE = ("double", "float", "real")
STRING = ("string", "varchar", "char")


def glue_kind(catalog_type: str) -> str | None:
    base = re.split(r"[(<]", catalog_type.strip().lower(), maxsplit=1)[0]
    if base in LONG:
        return "LONG"
    if base in DOUBLE:
        return "DOUBLE"
    if base == "decimal":
        return "DECIMAL"
    if base in STRING:
        return "STRING"
    return {"boolean": "BOOLEAN", "date": "DATE", "binary": "BINARY"}.get(base)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unscaled(value: Any, scale: int) -> dict[str, Any]:
    number = int((Decimal(str(value)) * (Decimal(10) ** scale)).to_integral_value())
    length = max(1, (number.bit_length() + 8) // 8)
    return {"UnscaledValue": number.to_bytes(length, "big", signed=True), "Scale": scale}


def column_statistics(table: Any, types: dict[str, str], analyzed: datetime) -> list[dict[str, Any]]:
    """Statistics of the columns ``types`` names (lower-case name -> catalog type) present in ``table``."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("data_source", table)
        sqlguard.lock_down(con)
        actual = {name.lower(): name for name in table.column_names}
        found = []
        for name, catalog_type in types.items():
            kind = glue_kind(catalog_type)
            if kind is None or name not in actual:
                continue
            col = _q(actual[name])
            nulls, distinct = con.execute(f"SELECT count(*) - count({col}), count(DISTINCT {col}) "
                                          "FROM data_source").fetchone()
            data: dict[str, Any]
            if kind in ("LONG", "DOUBLE", "DATE", "DECIMAL"):
                cast = {"LONG": "BIGINT", "DOUBLE": "DOUBLE", "DATE": "DATE", "DECIMAL": "DOUBLE"}[kind]
                low, high = con.execute(f"SELECT min(TRY_CAST({col} AS {cast})), max(TRY_CAST({col} AS {cast})) "
                                        "FROM data_source").fetchone()
                data = {"NumberOfNulls": nulls, "NumberOfDistinctValues": distinct}
                if kind == "DATE":  # the API's timestamps: midnight UTC of the day
                    low, high = (datetime(v.year, v.month, v.day, tzinfo=timezone.utc) if v is not None else None
                                 for v in (low, high))
                if kind == "DECIMAL":
                    scale = int((re.findall(r"\d+", catalog_type) + ["0", "0"])[1])
                    low = _unscaled(low, scale) if low is not None else None
                    high = _unscaled(high, scale) if high is not None else None
                data.update({k: v for k, v in (("MinimumValue", low), ("MaximumValue", high)) if v is not None})
            elif kind in ("STRING", "BINARY"):
                longest, average = con.execute(f"SELECT max(octet_length(CAST({col} AS BLOB))), "
                                               f"avg(octet_length(CAST({col} AS BLOB))) FROM data_source"
                                               if kind == "BINARY" else
                                               f"SELECT max(length(CAST({col} AS VARCHAR))), "
                                               f"avg(length(CAST({col} AS VARCHAR))) FROM data_source").fetchone()
                data = {"MaximumLength": int(longest or 0), "AverageLength": float(average or 0.0),
                        "NumberOfNulls": nulls}
                if kind == "STRING":
                    data["NumberOfDistinctValues"] = distinct
            else:
                trues, falses = con.execute(f"SELECT count(*) FILTER (WHERE TRY_CAST({col} AS BOOLEAN)), "
                                            f"count(*) FILTER (WHERE NOT TRY_CAST({col} AS BOOLEAN)) "
                                            "FROM data_source").fetchone()
                data = {"NumberOfTrues": trues, "NumberOfFalses": falses, "NumberOfNulls": nulls}
            key = {"LONG": "Long", "DOUBLE": "Double", "DECIMAL": "Decimal", "STRING": "String", "BOOLEAN": "Boolean",
                   "DATE": "Date", "BINARY": "Binary"}[kind] + "ColumnStatisticsData"
            found.append({"ColumnName": actual[name], "ColumnType": catalog_type, "AnalyzedTime": analyzed,
                          "StatisticsData": {"Type": kind, key: data}})
        return found
    finally:
        con.close()
