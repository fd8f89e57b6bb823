"""AWS ``cron(...)`` schedule expressions, once for every service that schedules work.

EventBridge rules, Glue crawler and trigger schedules and SageMaker monitoring
schedules all use the same six-field form, in UTC::

    cron(Minutes Hours Day-of-month Month Day-of-week Year)

What each field accepts, as AWS documents it:

=============  ================  ==================
field          values            wildcards
=============  ================  ==================
Minutes        0-59              ``, - * /``
Hours          0-23              ``, - * /``
Day-of-month   1-31              ``, - * ? / L W``
Month          1-12 or JAN-DEC   ``, - * /``
Day-of-week    1-7 or SUN-SAT    ``, - * ? L #``
Year           1970-2199         ``, - * /``
=============  ================  ==================

Day-of-week 1 is Sunday. ``L`` in Day-of-month is the month's last day (``LW`` its
last weekday), ``nW`` the weekday nearest day n inside the same month; in
Day-of-week ``L`` alone is the last day of the week (Saturday), ``nL`` the month's
last weekday n, ``n#k`` its k-th weekday n (only one ``#`` item in the field).
Day-of-month and Day-of-week cannot both be given: one of them must be ``?``.

:func:`parse` raises :class:`CronError` (a ``ValueError``) with the reason for a
malformed expression; callers turn it into their API's validation error.
:func:`cron_matches` says whether a UTC minute is a fire time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                      "NOV", "DEC"], start=1)}
DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
EXPRESSION = re.compile(r"\s*cron\((.*)\)\s*", re.DOTALL)


class CronError(ValueError):
    """A schedule expression AWS would refuse."""


@dataclass(frozen=True)
class _Days:
    """The day-of-month or day-of-week field: plain values plus the L / W / # forms."""

    values: frozenset[int] | None = None  # None: any day
    last_day: bool = False  # dom ``L``
    last_weekday_of_month: bool = False  # dom ``LW``
    nearest_weekday: int | None = None  # dom ``nW``
    last_of: int | None = None  # dow ``nL``: the month's last weekday n
    nth: tuple[int, int] | None = None  # dow ``n#k``: (weekday, k)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed expression: the allowed values of each field."""

    minutes: frozenset[int] | None
    hours: frozenset[int] | None
    day_of_month: _Days
    months: frozenset[int] | None
    day_of_week: _Days
    years: frozenset[int] | None

    def matches(self, moment: datetime) -> bool:
        """Whether ``moment``'s minute (UTC when it has a timezone) is a fire time."""
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc)
        for allowed, value in ((self.minutes, moment.minute), (self.hours, moment.hour),
                               (self.months, moment.month), (self.years, moment.year)):
            if allowed is not None and value not in allowed:
                return False
        day = moment.date()
        return _dom_matches(self.day_of_month, day) and _dow_matches(self.day_of_week, day)

    def next_fire(self, after: datetime, limit_minutes: int = 366 * 24 * 60) -> datetime | None:
        """The first fire time strictly after ``after`` (minute precision), None within ``limit_minutes``."""
        moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(limit_minutes):
            if self.matches(moment):
                return moment
            moment += timedelta(minutes=1)
        return None


def aws_weekday(day: date) -> int:
    """AWS's day-of-week number: Sunday 1 ... Saturday 7."""
    return day.isoweekday() % 7 + 1


def _dom_matches(field: _Days, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if field.last_day:
        return day.day == last
    if field.last_weekday_of_month:
        return day == _weekday_on_or_before(date(day.year, day.month, last))
    if field.nearest_weekday is not None:
        return day == _nearest_weekday(day.year, day.month, min(field.nearest_weekday, last))
    return field.values is None or day.day in field.values


def _dow_matches(field: _Days, day: date) -> bool:
    weekday = aws_weekday(day)
    if field.last_of is not None:
        return weekday == field.last_of and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    if field.nth is not None:
        wanted, k = field.nth
        return weekday == wanted and (day.day - 1) // 7 + 1 == k
    return field.values is None or weekday in field.values


def _weekday_on_or_before(day: date) -> date:
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return day


def _nearest_weekday(year: int, month: int, day_number: int) -> date:
    """The Monday-Friday day nearest ``day_number`` without leaving the month."""
    day = date(year, month, day_number)
    if day.isoweekday() == 6:  # Saturday: Friday before, or Monday after when the 1st
        return day - timedelta(days=1) if day_number > 1 else day + timedelta(days=2)
    if day.isoweekday() == 7:  # Sunday: Monday after, or Friday before when the month's last day
        last = calendar.monthrange(year, month)[1]
        return day + timedelta(days=1) if day_number < last else day - timedelta(days=2)
    return day


@lru_cache(maxsize=512)
def parse(expression: str) -> CronSchedule:
    """The schedule an expression names; :class:`CronError` with the reason when AWS would refuse it."""
    match = EXPRESSION.fullmatch(expression or "")
    if not match:
        raise CronError(f"schedule {expression!r} is not a cron(...) expression")
    parts = match.group(1).split()
    if len(parts) != 6:
        raise CronError(f"cron expression {expression!r} needs 6 fields, has {len(parts)}")
    minute, hour, dom, month, dow, year = (p.upper() for p in parts)
    if dom != "?" and dow != "?":
        raise CronError(f"cron expression {expression!r}: Day-of-month and Day-of-week cannot both be given; "
                        "use ? in one of them")
    if dom == "?" and dow == "?":
        raise CronError(f"cron expression {expression!r}: Day-of-month and Day-of-week cannot both be ?")
    return CronSchedule(
        minutes=_values(minute, "Minutes", 0, 59, {}),
        hours=_values(hour, "Hours", 0, 23, {}),
        day_of_month=_day_of_month(dom),
        months=_values(month, "Month", 1, 12, MONTHS),
        day_of_week=_day_of_week(dow),
        years=_values(year, "Year", 1970, 2199, {}),
    )


def cron_matches(expression: str, moment: datetime) -> bool:
    """Whether the UTC minute of ``moment`` is a fire time of ``expression`` (CronError when malformed)."""
    return parse(expression).matches(moment)


def _values(text: str, name: str, low: int, high: int, names: dict[str, int],
            any_allowed: tuple[str, ...] = ("*",)) -> frozenset[int] | None:
    if text in any_allowed:
        return None
    values: set[int] = set()
    for item in text.split(","):
        step, stepped = 1, "/" in item
        if stepped:
            item, step_text = item.split("/", 1)
            step = _number(step_text, name)
            if step < 1:
                raise CronError(f"cron {name} field {text!r}: the increment must be at least 1")
        if item in ("*", "?"):
            start, end = low, high
        elif "-" in item:
            first, second = item.split("-", 1)
            start, end = _value(first, name, names), _value(second, name, names)
        else:
            start = _value(item, name, names)
            end = high if stepped else start  # ``5/10``: from 5 to the field's end
        if not (low <= start <= high and low <= end <= high):
            raise CronError(f"cron {name} field {text!r} is outside {low}-{high}")
        if start > end:
            raise CronError(f"cron {name} field {text!r}: a range must go from low to high")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _day_of_month(text: str) -> _Days:
    name = "Day-of-month"
    if text == "?":
        return _Days()
    if text == "L":
        return _Days(last_day=True)
    if text == "LW":
        return _Days(last_weekday_of_month=True)
    if text.endswith("W"):
        day = _number(text[:-1], name)
        if not 1 <= day <= 31:
            raise CronError(f"cron {name} field {text!r} is outside 1-31")
        return _Days(nearest_weekday=day)
    if "L" in text or "W" in text or "#" in text:
        raise CronError(f"cron {name} field {text!r}: L and W stand alone (L, LW, nW); # belongs to Day-of-week")
    return _Days(values=_values(text, name, 1, 31, {}))


def _day_of_week(text: str) -> _Days:
    name = "Day-of-week"
    if text == "?":
        return _Days()
    if text == "L":
        return _Days(values=frozenset({7}))
    if "#" in text:
        if "," in text or "-" in text or "/" in text:
            raise CronError(f"cron {name} field {text!r}: a # item must be the field's only expression")
        weekday, k = text.split("#", 1)
        nth = _number(k, name)
        if not 1 <= nth <= 5:
            raise CronError(f"cron {name} field {text!r}: the instance after # must be 1-5")
        return _Days(nth=(_weekday(weekday), nth))
    if text.endswith("L"):
        return _Days(last_of=_weekday(text[:-1]))
    if "L" in text.replace("SAT", "").replace("SUN", "") or "W" in text.replace("WED", ""):
        raise CronError(f"cron {name} field {text!r}: L stands alone or after one day (6L); W is for Day-of-month")
    return _Days(values=_values(text, name, 1, 7, DAYS))


def _weekday(text: str) -> int:
    value = _value(text, "Day-of-week", DAYS)
    if not 1 <= value <= 7:
        raise CronError(f"cron Day-of-week value {text!r} is outside 1-7 (SUN-SAT)")
    return value


def _value(text: str, name: str, names: dict[str, int]) -> int:
    text = text.strip().upper()
    return names[text] if text in names else _number(text, name)


def _number(text: str, name: str) -> int:
    if not text.strip().isdigit():
        raise CronError(f"cron {name} field: {text!r} is not a number")
    return int(text)
