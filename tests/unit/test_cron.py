"""AWS cron expressions (emulators.core.cron), checked against AWS's documented examples.

Sources: the EventBridge "Cron expressions reference"
(docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html) and Glue's
"Time-based schedules for jobs and crawlers"
(docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html). The dates
below are our own; each case names the documented meaning it checks.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from emulators.core.cron import CronError, cron_matches, parse


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


# 2024-01-01 is a Monday; 2024-02 has 29 days; 2024-06-01 is a Saturday; 2024-03-31 a Sunday.
@pytest.mark.parametrize("expression, fires, does_not_fire", [
    # "Run at 10:00 am (UTC+0) every day"
    ("cron(0 10 * * ? *)", [at(2024, 1, 1, 10), at(2024, 7, 14, 10)], [at(2024, 1, 1, 10, 1), at(2024, 1, 1, 11)]),
    # "Run at 12:15 pm (UTC+0) every day" (also Glue's CreateCrawler example)
    ("cron(15 12 * * ? *)", [at(2024, 1, 1, 12, 15)], [at(2024, 1, 1, 12, 16), at(2024, 1, 1, 0, 15)]),
    # "Run at 6:00 pm (UTC+0) every Monday through Friday"
    ("cron(0 18 ? * MON-FRI *)", [at(2024, 1, 1, 18), at(2024, 1, 5, 18)], [at(2024, 1, 6, 18), at(2024, 1, 7, 18)]),
    # "Run at 8:00 am (UTC+0) every 1st day of the month"
    ("cron(0 8 1 * ? *)", [at(2024, 1, 1, 8), at(2024, 2, 1, 8)], [at(2024, 1, 2, 8)]),
    # "Run every 15 minutes"
    ("cron(0/15 * * * ? *)", [at(2024, 1, 1, 3, 0), at(2024, 1, 1, 3, 45)], [at(2024, 1, 1, 3, 10)]),
    # "Run every 10 minutes Monday through Friday"
    ("cron(0/10 * ? * MON-FRI *)", [at(2024, 1, 2, 23, 50)], [at(2024, 1, 6, 23, 50), at(2024, 1, 2, 23, 55)]),
    # "Run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm (UTC+0)"
    ("cron(0/5 8-17 ? * MON-FRI *)", [at(2024, 1, 1, 8, 0), at(2024, 1, 1, 17, 55)],
     [at(2024, 1, 1, 18, 0), at(2024, 1, 1, 7, 55), at(2024, 1, 7, 9, 0)]),
    # "Run at 9 am (UTC+0) on the first Monday of each month" (the # wildcard)
    ("cron(0 9 ? * 2#1 *)", [at(2024, 1, 1, 9), at(2024, 4, 1, 9)], [at(2024, 1, 8, 9), at(2024, 1, 2, 9)]),
    # "3#2 is the second Tuesday of the month"
    ("cron(0 0 ? * 3#2 *)", [at(2024, 1, 9)], [at(2024, 1, 2), at(2024, 1, 16)]),
    # "1/10 ... every tenth minute, starting from the first minute of the hour (the 11th, 21st, 31st ...)"
    ("cron(1/10 * * * ? *)", [at(2024, 1, 1, 0, 1), at(2024, 1, 1, 0, 11), at(2024, 1, 1, 0, 31)],
     [at(2024, 1, 1, 0, 10), at(2024, 1, 1, 0, 20)]),
    # "JAN,FEB,MAR includes January, February, and March"; "1-15 includes days 1 through 15"
    ("cron(0 0 1-15 JAN,FEB,MAR ? *)", [at(2024, 3, 15), at(2024, 1, 1)], [at(2024, 3, 16), at(2024, 4, 1)]),
    # "L in Day-of-month ... the last day of the month"
    ("cron(0 0 L * ? *)", [at(2024, 2, 29), at(2023, 2, 28), at(2024, 4, 30)], [at(2024, 2, 28), at(2024, 4, 29)]),
    # "L in Day-of-week ... the last day of the week" (Saturday, day 7)
    ("cron(0 0 ? * L *)", [at(2024, 1, 6)], [at(2024, 1, 7), at(2024, 1, 5)]),
    # "3W specifies the weekday closest to the third day of the month": 2024-02-03 is a Saturday
    ("cron(0 0 3W * ? *)", [at(2024, 2, 2), at(2024, 1, 3)], [at(2024, 2, 3), at(2024, 2, 5)]),
    # day 1 on a Saturday: the nearest weekday inside the month is Monday the 3rd
    ("cron(0 0 1W * ? *)", [at(2024, 6, 3)], [at(2024, 6, 1), at(2024, 5, 31)]),
    # the last Friday of the month (6L)
    ("cron(0 0 ? * 6L *)", [at(2024, 1, 26), at(2024, 3, 29)], [at(2024, 1, 19)]),
    # Day-of-week 1 is Sunday, and the Year field
    ("cron(30 6 ? * 1 2024)", [at(2024, 3, 31, 6, 30)], [at(2025, 3, 30, 6, 30), at(2024, 4, 1, 6, 30)]),
    # Glue's console default "every day at midnight"
    ("cron(0 0 * * ? *)", [at(2024, 12, 31)], [at(2024, 12, 31, 0, 5)]),
])
def test_documented_examples(expression, fires, does_not_fire):
    for moment in fires:
        assert cron_matches(expression, moment), (expression, moment)
    for moment in does_not_fire:
        assert not cron_matches(expression, moment), (expression, moment)


@pytest.mark.parametrize("expression", [
    "rate(5 minutes)",  # not a cron expression
    "cron(0 10 * * ?)",  # five fields
    "cron(0 10 * * * *)",  # Day-of-month and Day-of-week both given
    "cron(0 10 ? * ? *)",  # neither given
    "cron(60 10 * * ? *)",  # minute out of range
    "cron(0 24 * * ? *)",  # hour out of range
    "cron(0 0 32 * ? *)",
    "cron(0 0 ? * 8 *)",
    "cron(0 0 * 13 ? *)",
    "cron(0 0 * * ? 1969)",
    "cron(0 0 ? * 3#1,6#3 *)",  # "#" must be the field's only expression
    "cron(0 0 ? * 3#6 *)",
    "cron(0/0 * * * ? *)",
    "cron(x 0 * * ? *)",
    "cron(0 0 ? * 2W *)",  # W belongs to Day-of-month
])
def test_malformed_expressions_are_refused(expression):
    with pytest.raises(CronError):
        parse(expression)
    with pytest.raises(ValueError):  # callers catch ValueError
        cron_matches(expression, at(2024, 1, 1))


def test_next_fire_and_naive_times():
    schedule = parse("cron(0 9 ? * 2#1 *)")
    assert schedule.next_fire(at(2024, 1, 1, 9)) == at(2024, 2, 5, 9)
    assert cron_matches("cron(0 12 * * ? *)", datetime(2024, 1, 1, 12, 0))  # naive times are UTC
