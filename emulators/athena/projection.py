"""Athena partition projection: partitions computed from table properties, not read from the catalog.

Supported ``projection.<column>.type`` values: ``enum`` (``.values``), ``integer``
(``.range``, ``.interval``, ``.digits``) and ``date`` (``.range`` with ``NOW`` and
``NOW-3DAYS`` style offsets, ``.format`` in Java date pattern letters,
``.interval``, ``.interval.unit``). ``storage.location.template`` places each
partition (``s3://bucket/${year}/${month}/``); without it the partitions are
``key=value`` folders under the table location. ``injected`` columns take their
values from the query's WHERE clause (``col = 'v'`` or ``col IN ('a', 'b')``); a
query without such a condition fails with Athena's CONSTRAINT_VIOLATION. A missing or malformed
property (an enum without ``.values``, a partition column without a ``.type``, a range that is not two
bounds, a template without every partition column) fails the query with Athena's INVALID_TABLE_PROPERTY
instead of reading no partitions.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta, timezone
from typing import Any

MAX_PARTITIONS = 100_000
JAVA = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]
UNITS = {"YEARS": "years", "MONTHS": "months", "WEEKS": "weeks", "DAYS": "days", "HOURS": "hours",
         "MINUTES": "minutes", "SECONDS": "seconds"}


class ProjectionError(ValueError):
    pass


def enabled(parameters: dict[str, str]) -> bool:
    return str(parameters.get("projection.enabled", "")).lower() == "true"


def _strftime(fmt: str) -> str:
    for java, strf in JAVA:
        fmt = fmt.replace(java, strf)
    return fmt


def _date_bound(text: str, fmt: str) -> datetime:
    text = text.strip()
    match = re.fullmatch(r"NOW(?:\s*([+-])\s*(\d+)\s*(YEAR|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND)S?)?", text, re.I)
    if match:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        if match.group(1):
            amount = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
            unit = match.group(3).upper()
            if unit in ("YEAR", "MONTH"):
                months = amount * (12 if unit == "YEAR" else 1)
                year, month = divmod(now.month - 1 + months, 12)
                now = now.replace(year=now.year + year, month=month + 1, day=min(now.day, 28))
            else:
                now += timedelta(**{UNITS[unit + "S"]: amount})
        return now
    return datetime.strptime(text, _strftime(fmt))


def _step(moment: datetime, interval: int, unit: str) -> datetime:
    if unit in ("YEARS", "MONTHS"):
        months = interval * (12 if unit == "YEARS" else 1)
        year, month = divmod(moment.month - 1 + months, 12)
        return moment.replace(year=moment.year + year, month=month + 1)
    return moment + timedelta(**{UNITS[unit]: interval})


def injected_columns(keys: list[str], parameters: dict[str, str]) -> list[str]:
    return [k for k in keys if parameters.get(f"projection.{k}.type", "").lower() == "injected"]


def injected_values(sql: str, columns: list[str]) -> dict[str, list[str]]:
    """The values the query's static equality conditions give each injected column."""
    found: dict[str, list[str]] = {}
    for column in columns:
        name = rf'(?<![\w."])(?:\w+\.)?"?{re.escape(column)}"?'
        values = re.findall(name + r"\s*=\s*'((?:[^']|'')*)'", sql, re.I)
        for listed in re.findall(name + r"\s+IN\s*\(([^)]*)\)", sql, re.I):
            values += re.findall(r"'((?:[^']|'')*)'", listed)
        if values:
            found[column] = list(dict.fromkeys(v.replace("''", "'") for v in values))
    return found


def column_values(column: str, parameters: dict[str, str], injected: dict[str, list[str]] | None = None) -> list[str]:
    prefix = f"projection.{column}."
    kind = parameters.get(prefix + "type", "").lower()
    if kind == "enum":
        values = [v.strip() for v in parameters.get(prefix + "values", "").split(",") if v.strip()]
        if not values:
            raise ProjectionError("INVALID_TABLE_PROPERTY: Must provide a comma-separated enumeration to build a "
                                  f"projected enum partition column! (property: {prefix}values)")
        return values
    if kind == "integer":
        low, high = _range(prefix, parameters, int, "two integers")
        interval = _number(prefix + "interval", parameters, 1)
        digits = _number(prefix + "digits", parameters, 0)
        return [str(v).zfill(digits) for v in range(low, high + 1, interval)]
    if kind == "date":
        fmt = parameters.get(prefix + "format", "yyyy-MM-dd")
        start, end = _range(prefix, parameters, lambda v: _date_bound(v, fmt), f"two dates in the format {fmt}")
        interval = _number(prefix + "interval", parameters, 1)
        unit = parameters.get(prefix + "interval.unit", "DAYS").upper()
        if unit not in UNITS:
            raise ProjectionError(f"INVALID_TABLE_PROPERTY: projection.{column}.interval.unit {unit} is not supported")
        values, moment = [], start
        while moment <= end and len(values) <= MAX_PARTITIONS:
            values.append(moment.strftime(_strftime(fmt)))
            moment = _step(moment, interval, unit)
        return values
    if kind == "injected":
        if injected and injected.get(column):
            return injected[column]
        raise ProjectionError(f"CONSTRAINT_VIOLATION: For the injected projected partition column {column}, the "
                              "WHERE clause must contain only static equality conditions, and at least one such "
                              "condition must be present.")
    if not kind:
        raise ProjectionError("INVALID_TABLE_PROPERTY: The table is configured for partition projection, but the "
                              f"following partition columns are missing projection configuration: [{column}]")
    raise ProjectionError(f"INVALID_TABLE_PROPERTY: Unknown projection type {kind!r} for column {column} (property: "
                          f"{prefix}type; the types are enum, integer, date and injected)")


def _range(prefix: str, parameters: dict[str, str], read: Any, wanted: str) -> tuple[Any, Any]:
    """The two bounds of ``projection.<column>.range`` (a missing or malformed range is INVALID_TABLE_PROPERTY)."""
    text = parameters.get(prefix + "range")
    bounds = (text or "").split(",")
    try:
        if len(bounds) != 2:
            raise ValueError(text)
        return read(bounds[0].strip()), read(bounds[1].strip())
    except ValueError:
        raise ProjectionError(f"INVALID_TABLE_PROPERTY: {prefix}range must be {wanted} separated by a comma "
                              f"(found {text!r})") from None


def _number(name: str, parameters: dict[str, str], default: int) -> int:
    try:
        return int(parameters.get(name, default))
    except ValueError:
        raise ProjectionError(f"INVALID_TABLE_PROPERTY: {name} must be an integer "
                              f"(found {parameters[name]!r})") from None


def projected_partitions(keys: list[str], location: str, parameters: dict[str, str],
                         injected: dict[str, list[str]] | None = None) -> list[tuple[list[str], str]]:
    """(values, location) for every projected partition (``injected``: the query's values of injected columns)."""
    domains = [column_values(key, parameters, injected) for key in keys]
    total = 1
    for domain in domains:
        total *= max(1, len(domain))
    if total > MAX_PARTITIONS:
        raise ProjectionError(f"HIVE_EXCEEDED_PARTITION_LIMIT: partition projection yields {total:,} partitions "
                              f"(the sandbox stops at {MAX_PARTITIONS:,})")
    template = parameters.get("storage.location.template")
    if template and any("${" + key + "}" not in template for key in keys):
        raise ProjectionError("INVALID_TABLE_PROPERTY: The 'storage.location.template' table property must contain "
                              "templates for all partition columns!")
    base = location.rstrip("/") + "/"
    partitions = []
    for values in itertools.product(*domains):
        if template:
            where = template
            for key, value in zip(keys, values):
                where = where.replace("${" + key + "}", value)
        else:
            where = base + "/".join(f"{k}={v}" for k, v in zip(keys, values))
        partitions.append((list(values), where.rstrip("/") + "/"))
    return partitions
