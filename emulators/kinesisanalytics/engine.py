"""Kinesis Data Analytics SQL on DuckDB.

A SQL application's code creates in-application streams and pumps::

    CREATE OR REPLACE STREAM "DEST_SQL_STREAM" (product_id BIGINT, clicks BIGINT, window_start TIMESTAMP);
    CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DEST_SQL_STREAM"
      SELECT STREAM product_id, COUNT(*) AS clicks, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND)
      FROM "SOURCE_SQL_STREAM_001"
      GROUP BY product_id, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND);

Each pump's SELECT runs on DuckDB over the source records (a table with the
input schema's columns plus ``ROWTIME``, the arrival time). Tumbling windows are
``STEP(... BY INTERVAL 'n' unit)`` (or ``FLOOR(ROWTIME TO unit)``), which become
``time_bucket``; sliding windows are ordinary window frames
(``OVER (... RANGE INTERVAL '1' MINUTE PRECEDING)``), which DuckDB runs as they are.
No boto3, no moto.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulators.core.sqlguard import lock_down

UNITS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
STEP = re.compile(r"STEP\s*\(\s*(?:\"?\w+\"?\s*\.\s*)?\"?ROWTIME\"?\s+BY\s+INTERVAL\s+'(\d+)'\s+(SECOND|MINUTE|HOUR|DAY)S?\s*\)",
                  re.IGNORECASE)
FLOOR = re.compile(r"FLOOR\s*\(\s*(?:\"?\w+\"?\s*\.\s*)?\"?ROWTIME\"?\s+TO\s+(SECOND|MINUTE|HOUR|DAY)\s*\)", re.IGNORECASE)
PUMP = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?PUMP\s+\"?[\w]+\"?\s+AS\s+INSERT\s+INTO\s+\"?([\w]+)\"?\s+"
                  r"(SELECT\s+.*)$", re.IGNORECASE | re.DOTALL)


class ApplicationError(Exception):
    """The application's SQL is not valid (the message says why)."""


@dataclass
class Pump:
    destination: str
    query: str  # DuckDB SQL
    window_seconds: int | None


def parse_application(code: str, source_name: str = "SOURCE_SQL_STREAM_001") -> list[Pump]:
    pumps = []
    for statement in [s.strip() for s in code.split(";") if s.strip()]:
        match = PUMP.match(statement)
        if not match:
            continue
        destination, select = match.group(1), match.group(2)
        pumps.append(Pump(destination, translate(select), window_seconds(select)))
    if not pumps:
        raise ApplicationError("the application code has no CREATE PUMP ... AS INSERT INTO ... SELECT statement")
    return pumps


def window_seconds(select: str) -> int | None:
    match = STEP.search(select)
    if match:
        return int(match.group(1)) * UNITS[match.group(2).upper()]
    match = FLOOR.search(select)
    if match:
        return UNITS[match.group(1).upper()]
    return None


def translate(select: str) -> str:
    sql = re.sub(r"^SELECT\s+STREAM\s+", "SELECT ", select.strip(), flags=re.IGNORECASE)
    sql = STEP.sub(lambda m: f"time_bucket(INTERVAL '{int(m.group(1)) * UNITS[m.group(2).upper()]} seconds', ROWTIME)",
                   sql)
    sql = FLOOR.sub(lambda m: f"date_trunc('{m.group(1).lower()}', ROWTIME)", sql)
    sql = re.sub(r"\"?(\w+)\"?\s*\.\s*ROWTIME\b", "ROWTIME", sql)
    return sql


def run_pump(pump: Pump, rows: list[dict[str, Any]], columns: list[tuple[str, str]],
             source_name: str = "SOURCE_SQL_STREAM_001") -> list[dict[str, Any]]:
    """Run one pump's SELECT over the source rows (each has a ``ROWTIME`` datetime)."""
    import duckdb
    import pyarrow as pa

    fields = [pa.field(name, _arrow(kind)) for name, kind in columns] + [pa.field("ROWTIME", pa.timestamp("us"))]
    table = pa.Table.from_pylist([{f.name: row.get(f.name) for f in fields} for row in rows], schema=pa.schema(fields))
    con = duckdb.connect()
    try:
        con.register(source_name, table)
        lock_down(con)  # the application's SQL reaches only the stream's rows (sqlguard)
        sql = re.sub(rf"\"{source_name}\"", source_name, pump.query)
        result = con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise ApplicationError(str(exc)) from None
    finally:
        con.close()
    return result.to_pylist()


def _arrow(kind: str) -> Any:
    import pyarrow as pa

    base = kind.upper().split("(")[0].strip()
    return {"BIGINT": pa.int64(), "INTEGER": pa.int32(), "INT": pa.int32(), "SMALLINT": pa.int16(),
            "DOUBLE": pa.float64(), "REAL": pa.float32(), "DECIMAL": pa.float64(), "BOOLEAN": pa.bool_(),
            "TIMESTAMP": pa.timestamp("us"), "DATE": pa.date32()}.get(base, pa.string())


def extract(document: dict[str, Any], mapping: str) -> Any:
    """A value by its JSONPath-like mapping (``$.a.b``)."""
    value: Any = document
    for part in [p for p in mapping.lstrip("$").split(".") if p]:
        if not isinstance(value, dict):
            return None
        value = value.get(part.strip("[]'\""))
    return value
