"""DQDL rules recommended from a table's data (Glue's StartDataQualityRuleRecommendationRun), in DuckDB.

The profile follows what Glue's recommendations look like: the row count within
half and twice the rows seen, ``IsComplete`` for columns without nulls (else
``Completeness`` a little under what was seen), ``IsUnique`` for key-like columns,
``ColumnValues ... in [...]`` for columns with few distinct values, ``ColumnLength``
and ``ColumnValues ... between`` around the ranges seen, ``StandardDeviation`` and
``Mean`` around the numbers seen. Every recommended rule passes on the data it came
from. Takes an Arrow table; never touches moto or boto3.
"""

from __future__ import annotations

import math
from typing import Any

from emulators.core import sqlguard

MAX_CATEGORIES = 10


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def recommend(table: Any) -> str:
    """A DQDL ruleset (``Rules = [ ... ]``, one rule a line) that the data of ``table`` passes."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    try:
        con.register("data_source", table)
        sqlguard.lock_down(con)
        rows = table.num_rows
        rules = [f"RowCount between {rows // 2 - 1} and {rows * 2 + 1}"]
        for field in table.schema:
            name, col = field.name, _q(field.name)
            label = _quoted(name)
            count, distinct = con.execute(f"SELECT count({col}), count(DISTINCT {col}) FROM data_source").fetchone()
            if rows and count == rows:
                rules.append(f"IsComplete {label}")
            elif rows and count:
                rules.append(f"Completeness {label} >= {math.floor(count / rows * 100) / 100:.2f}")
            if not count:
                continue
            numeric = pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
            if distinct == count and count == rows and (numeric and pa.types.is_integer(field.type) or
                                                        pa.types.is_string(field.type)) and rows > 1:
                rules.append(f"IsUnique {label}")
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                if distinct <= MAX_CATEGORIES and distinct < count:
                    values = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM data_source WHERE {col} "
                                                        f"IS NOT NULL ORDER BY 1").fetchall()]
                    rules.append(f"ColumnValues {label} in [{', '.join(_quoted(str(v)) for v in values)}]")
                low, high = con.execute(f"SELECT min(length({col})), max(length({col})) FROM data_source").fetchone()
                if count < rows:  # a NULL has length 0 for ColumnLength
                    rules.append(f"ColumnLength {label} <= {high}")
                else:
                    rules.append(f"ColumnLength {label} between {low - 1} and {high + 1}")
            elif numeric:
                low, high, mean, deviation = con.execute(
                    f"SELECT min({col}), max({col}), avg({col}), stddev_pop({col}) FROM data_source").fetchone()
                rules.append(f"ColumnValues {label} between {_number(math.floor(low) - 1)} and "
                             f"{_number(math.ceil(high) + 1)}")
                spread = max(abs(mean) * 0.05, 0.01)
                rules.append(f"Mean {label} between {_number(mean - spread)} and {_number(mean + spread)}")
                if deviation is not None and rows > 1:
                    spread = max(deviation * 0.05, 0.01)
                    rules.append(f"StandardDeviation {label} between {_number(deviation - spread)} and "
                                 f"{_number(deviation + spread)}")
        return "Rules = [\n    " + ",\n    ".join(rules) + "\n]"
    finally:
        con.close()
