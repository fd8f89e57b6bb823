"""AWS cron expressions, as Glue crawler and trigger schedules use them.

``cron(Minutes Hours Day-of-month Month Day-of-week Year)``, in UTC. Supported:
``*``, ``?``, numbers, ranges ``a-b``, lists ``a,b``, steps ``*/n`` and ``a/n``,
month names (JAN-DEC) and day names (SUN-SAT, where 1 is Sunday as in AWS).
``L``, ``W`` and ``#`` are refused with a clear error.
"""

from __future__ import annotations

import re
from datetime import datetime

MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                      "NOV", "DEC"], start=1)}
DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
FIELDS = [("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day-of-month", 1, 31, {}), ("month", 1, 12, MONTHS),
          ("day-of-week", 1, 7, DAYS), ("year", 1970, 2199, {})]


def parse(expression: str) -> list[set[int] | None]:
    """The allowed values of each field (None for ``*`` / ``?``); ValueError when malformed."""
    match = re.fullmatch(r"\s*cron\((.*)\)\s*", expression)
    if not match:
        raise ValueError(f"schedule {expression!r} is not a cron(...) expression")
    parts = match.group(1).split()
    if len(parts) != 6:
        raise ValueError(f"cron expression {expression!r} needs 6 fields, has {len(parts)}")
    return [_field(part, *spec) for part, spec in zip(parts, FIELDS)]


def _field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    if text in ("*", "?"):
        return None
    if any(c in text for c in "LW#"):
        raise ValueError(f"cron {name} field {text!r}: L, W and # are not supported by the sandbox")
    values: set[int] = set()
    for item in text.split(","):
        step = 1
        if "/" in item:
            item, step_text = item.split("/", 1)
            step = int(step_text)
        if item in ("*", "?"):
            start, end = low, high
        elif "-" in item:
            a, b = item.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(item, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ValueError(f"cron {name} field {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int]) -> int:
    text = text.strip().upper()
    return names[text] if text in names else int(text)


def cron_matches(expression: str, moment: datetime) -> bool:
    minute, hour, dom, month, dow, year = parse(expression)
    aws_weekday = (moment.isoweekday() % 7) + 1  # Sunday=1 ... Saturday=7
    checks = [(minute, moment.minute), (hour, moment.hour), (dom, moment.day), (month, moment.month),
              (dow, aws_weekday), (year, moment.year)]
    return all(allowed is None or value in allowed for allowed, value in checks)
