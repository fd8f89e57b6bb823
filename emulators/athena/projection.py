"""Athena partition projection: partitions computed from table properties, not read from the catalog.

Supported ``projection.<column>.type`` values: ``enum`` (``.values``), ``integer``
(``.range``, ``.interval``, ``.digits``) and ``date`` (``.range`` with ``NOW`` and
``NOW-3DAYS`` style offsets, ``.format`` in Java date pattern letters,
``.interval``, ``.interval.unit``). ``storage.location.template`` places each
partition (``s3://bucket/${year}/${month}/``); without it the partitions are
``key=value`` folders under the table location. ``injected`` columns need a value
in the query, which the sandbox does not read from the SQL: they are refused
with a clear message.
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


def column_values(column: str, parameters: dict[str, str]) -> list[str]:
    prefix = f"projection.{column}."
    kind = parameters.get(prefix + "type", "").lower()
    if kind == "enum":
        return [v.strip() for v in parameters.get(prefix + "values", "").split(",") if v.strip()]
    if kind == "integer":
        low, high = (int(v) for v in parameters[prefix + "range"].split(","))
        interval = int(parameters.get(prefix + "interval", 1))
        digits = int(parameters.get(prefix + "digits", 0))
        return [str(v).zfill(digits) for v in range(low, high + 1, interval)]
    if kind == "date":
        fmt = parameters.get(prefix + "format", "yyyy-MM-dd")
        start, end = (_date_bound(v, fmt) for v in parameters[prefix + "range"].split(","))
        interval = int(parameters.get(prefix + "interval", 1))
        unit = parameters.get(prefix + "interval.unit", "DAYS").upper()
        if unit not in UNITS:
            raise ProjectionError(f"projection.{column}.interval.unit {unit} is not supported")
        values, moment = [], start
        while moment <= end and len(values) <= MAX_PARTITIONS:
            values.append(moment.strftime(_strftime(fmt)))
            moment = _step(moment, interval, unit)
        return values
    if kind == "injected":
        raise ProjectionError(f"HIVE_INVALID_METADATA: injected projection of column {column} is not supported "
                              "by the sandbox (use enum, integer or date)")
    raise ProjectionError(f"HIVE_INVALID_METADATA: projection.{column}.type is missing or unknown ({kind!r})")


def projected_partitions(keys: list[str], location: str, parameters: dict[str, str]) -> list[tuple[list[str], str]]:
    """(values, location) for every projected partition."""
    domains = [column_values(key, parameters) for key in keys]
    total = 1
    for domain in domains:
        total *= max(1, len(domain))
    if total > MAX_PARTITIONS:
        raise ProjectionError(f"HIVE_EXCEEDED_PARTITION_LIMIT: partition projection yields {total:,} partitions "
                              f"(the sandbox stops at {MAX_PARTITIONS:,})")
    template = parameters.get("storage.location.template")
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
