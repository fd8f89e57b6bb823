"""EventBridge's pure parts: when a schedule is due, what a target receives.

No moto, no boto3: plain values in, plain values out (the provider feeds them
moto's rules and delivers the result).

Schedules
    ``rate(N minute|minutes|hour|hours|day|days)`` fires every N units counted from
    the rule's anchor (its creation, or its last enabling); ``cron(min hour dom month
    dow year)`` fires on each UTC minute it names (the project's cron parser,
    :mod:`emulators.core.cron`). :func:`due_fire` is called by a periodic tick
    and answers the fire time to use now, or ``None``. Fires missed while the
    sandbox was down are not replayed: after a gap, a rate rule fires once (for its
    latest missed time) and a cron rule fires only if the current minute matches.

Targets' input
    :func:`render_input` applies a target's ``Input`` (constant JSON),
    ``InputPath`` (a JSONPath subset: ``$``, ``$.a.b``, ``$.a[0]``, ``$['a-b']``) or
    ``InputTransformer`` (``InputPathsMap`` + ``InputTemplate``) as AWS documents:
    inside a quoted string of the template a string value is inserted as its text,
    outside quotes every value is inserted as JSON (so ``{"i": <instance>}`` gives
    ``{"i": "i-123"}``); a path that matches nothing inserts ``null`` (empty text
    inside quotes). Predefined variables: ``<aws.events.rule-arn>``,
    ``<aws.events.rule-name>``, ``<aws.events.event.ingestion-time>``,
    ``<aws.events.event>`` and ``<aws.events.event.json>``.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from emulators.core import cron

RATE = re.compile(r"\s*rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)\s*")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class InputError(ValueError):
    """A target's input configuration cannot be applied to an event."""


# ------------------------------------------------------------------ schedules
def rate_seconds(expression: str) -> int | None:
    """The period of a ``rate(...)`` expression in seconds, None for anything else.

    AWS wants the singular unit for 1 and the plural otherwise; moto already refuses
    malformed expressions at PutRule, so both spellings are accepted here.
    """
    match = RATE.fullmatch(expression or "")
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2).rstrip("s")
    if value <= 0:
        return None
    return value * UNIT_SECONDS[unit]


def schedule_problem(expression: str | None) -> str | None:
    """Why PutRule refuses ``expression`` (None when AWS accepts it): ``rate(value unit)`` with a positive
    whole value and the singular unit exactly when the value is 1; ``cron(...)`` as :mod:`emulators.core.cron`
    parses it."""
    if expression is None:
        return None
    text = expression.strip()
    if text.startswith("rate("):
        match = RATE.fullmatch(text)
        if not match or int(match.group(1)) <= 0:
            return "Parameter ScheduleExpression is not valid."
        if (int(match.group(1)) == 1) != (not match.group(2).endswith("s")):
            return ("Parameter ScheduleExpression is not valid. The unit must be singular when the value is 1 "
                    "and plural otherwise (rate(1 hour), rate(5 hours)).")
        return None
    if text.startswith("cron("):
        try:
            cron.parse(text)
        except ValueError as exc:
            return f"Parameter ScheduleExpression is not valid. ({exc})"
        return None
    return "Parameter ScheduleExpression is not valid."


def due_fire(expression: str, anchor: float, last_fire: float | None, now: float) -> float | None:
    """The time (epoch seconds) of the fire due at ``now``, or None when nothing is due.

    ``anchor``: when the rule was created or last enabled; ``last_fire``: the time
    returned by the previous due fire (None before the first). Missed fires are
    not replayed: only the latest due time is returned.
    """
    period = rate_seconds(expression)
    if period is not None:
        start = last_fire if last_fire is not None and last_fire > anchor else anchor
        following = anchor + (int((start - anchor) // period) + 1) * period  # the first fire after start
        if now < following:
            return None
        # the latest multiple of the period after the anchor that is not in the future
        return anchor + int((now - anchor) // period) * period
    minute = datetime.fromtimestamp(now, timezone.utc).replace(second=0, microsecond=0)
    fire = minute.timestamp()
    if last_fire is not None and fire <= last_fire:
        return None
    if fire < anchor:  # a rule created at 12:00:30 first fires for 12:01
        return None
    try:
        matches = cron.cron_matches(expression, minute.replace(tzinfo=None))
    except ValueError:
        return None
    return fire if matches else None


def next_fires(expression: str, anchor: float, count: int = 3, after: float | None = None) -> list[float]:
    """The next ``count`` fire times after ``after`` (for display and tests)."""
    after = anchor if after is None else after
    period = rate_seconds(expression)
    out: list[float] = []
    if period is not None:
        k = int((after - anchor) // period) + 1
        while len(out) < count:
            out.append(anchor + k * period)
            k += 1
        return out
    moment = datetime.fromtimestamp(after, timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(366 * 24 * 60):
        if cron.cron_matches(expression, moment.replace(tzinfo=None)):
            out.append(moment.timestamp())
            if len(out) == count:
                break
        moment += timedelta(minutes=1)
    return out


def iso_time(value: Any) -> str:
    """AWS's event time: ``2024-05-01T12:00:00Z``."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        moment = datetime.fromtimestamp(float(value) if value not in (None, "") else
                                        datetime.now(timezone.utc).timestamp(), timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(account: str, region: str, rule_arn: str, fire_time: float) -> dict[str, Any]:
    """The event a scheduled rule sends, as on AWS."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": account, "time": iso_time(fire_time), "region": region, "resources": [rule_arn],
            "detail": {}}


def service_event(account: str, region: str, source: str, detail_type: str, detail: dict[str, Any],
                  resources: list[str] | None = None) -> dict[str, Any]:
    """An event an AWS service sends to the default bus (Glue, Batch state changes)."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": source,
            "account": account, "time": iso_time(None), "region": region, "resources": list(resources or []),
            "detail": detail}


def public_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event as targets see it: AWS's fields in AWS's order, the time as ISO text."""
    out: dict[str, Any] = {"version": event.get("version", "0"), "id": event.get("id") or str(uuid.uuid4())}
    for key in ("detail-type", "source", "account"):
        out[key] = event.get(key, "")
    out["time"] = iso_time(event.get("time"))
    out["region"] = event.get("region", "")
    out["resources"] = list(event.get("resources") or [])
    out["detail"] = event.get("detail", {})
    if "replay-name" in event:
        out["replay-name"] = event["replay-name"]
    return out


# ------------------------------------------------------------------ JSONPath subset
_TOKEN = re.compile(r"\.([A-Za-z0-9_$@\-]+)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")
_MISSING = object()


def json_path(document: Any, path: str) -> Any:
    """The value at a simple JSONPath (``$.detail.x``, ``$.a[0]``, ``$['a-b']``); raises KeyError if absent."""
    path = (path or "").strip()
    if not path.startswith("$"):
        raise InputError(f"InputPath {path!r} must start with $")
    rest, value, pos = path[1:], document, 0
    while pos < len(rest):
        match = _TOKEN.match(rest, pos)
        if not match:
            raise InputError(f"JSONPath {path!r} is not supported by the sandbox (use $.a.b, $.a[0], $['a-b'])")
        name, index, quoted = match.groups()
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(path)
            value = value[int(index)]
        else:
            key = name if name is not None else quoted
            if not isinstance(value, dict) or key not in value:
                raise KeyError(path)
            value = value[key]
        pos = match.end()
    return value


# ------------------------------------------------------------------ input rendering
def render_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str = "", rule_name: str = "",
                 ingestion_time: str | None = None) -> str:
    """The text a target receives for ``event`` (JSON in most cases)."""
    if target.get("Input") is not None:
        text = target["Input"]
        try:
            json.loads(text)
        except ValueError as exc:
            raise InputError(f"Input of target {target.get('Id')} is not valid JSON: {exc}") from None
        return text
    if target.get("InputPath"):
        try:
            return json.dumps(json_path(event, target["InputPath"]))
        except KeyError:
            return "null"
    transformer = target.get("InputTransformer")
    if transformer:
        return transform(transformer, event, rule_arn, rule_name, ingestion_time)
    return json.dumps(event)


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def transform(transformer: dict[str, Any], event: dict[str, Any], rule_arn: str = "", rule_name: str = "",
              ingestion_time: str | None = None) -> str:
    template = transformer.get("InputTemplate")
    if template is None:
        raise InputError("InputTransformer needs an InputTemplate")
    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        if name.startswith("aws."):
            raise InputError(f"InputPathsMap key {name!r} is reserved (names starting with aws. are predefined)")
        try:
            values[name] = json_path(event, path)
        except KeyError:
            values[name] = _MISSING
    predefined = {"aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_name,
                  "aws.events.event.ingestion-time": ingestion_time or iso_time(None),
                  "aws.events.event": event, "aws.events.event.json": event}
    out: list[str] = []
    pos, in_string = 0, False
    for match in _PLACEHOLDER.finditer(template):
        in_string = _string_state(template, pos, match.start(), in_string)
        out.append(template[pos:match.start()])
        name = match.group(1)
        if name in values:
            value = values[name]
        elif name in predefined:
            value = predefined[name]
        else:  # not a variable: AWS leaves such text as it is
            out.append(match.group(0))
            pos = match.end()
            continue
        if value is _MISSING:
            out.append("" if in_string else "null")
        elif in_string:
            text = value if isinstance(value, str) else json.dumps(value)
            out.append(json.dumps(text)[1:-1])
        else:
            out.append(json.dumps(value))
        pos = match.end()
    out.append(template[pos:])
    return "".join(out)


def _string_state(text: str, start: int, end: int, in_string: bool) -> bool:
    """Whether position ``end`` is inside a JSON string, scanning from ``start`` (state ``in_string``)."""
    i = start
    while i < end:
        ch = text[i]
        if in_string and ch == "\\":
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        i += 1
    return in_string
