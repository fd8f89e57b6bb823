"""Job output as AWS keeps it: CloudWatch Logs streams and log files uploaded to S3, written once.

:class:`LogStream` batches lines into one CloudWatch Logs group/stream through moto's
logs backend (the group and stream are created when missing, as the services' own
agents do); :func:`write_lines` sends a finished job's output in one go.
:func:`upload_log_files` copies a job's output files to an S3 prefix, gzipped, as EMR
writes step logs and EMR Serverless driver logs.

Writes to moto's state from a background thread must hold the cloud's state lock: pass
the cloud's ``mutating`` as ``guard``. This module never imports the server.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ContextManager

from emulators.core import s3uri

log = logging.getLogger("emulators.logs")

MAX_MESSAGE_CHARS = 200_000  # a CloudWatch Logs event holds at most 256 KB
EVENTS_PER_PUT = 5_000  # PutLogEvents takes at most 10,000 events per call
Guard = Callable[[], ContextManager[Any]]


def _no_guard() -> ContextManager[Any]:
    return contextlib.nullcontext()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _put(account_id: str, region: str, group: str, stream: str, events: list[dict[str, Any]],
         guard: Guard) -> None:
    from emulators.core import moto_coupling  # noqa: PLC0415 (moto only when logs are written)

    backend = moto_coupling.backend_for("logs", account_id, region)
    with guard():
        backend.ensure_log_group(group)
        backend.ensure_log_stream(group, stream)
        for start in range(0, len(events), EVENTS_PER_PUT):
            backend.put_log_events(group, stream, events[start:start + EVENTS_PER_PUT])


def _event(line: str, timestamp: int) -> dict[str, Any]:
    return {"timestamp": timestamp, "message": line[:MAX_MESSAGE_CHARS]}


class LogStream:
    """Lines of a running job's output, sent to one CloudWatch Logs stream in batches.

    A batch goes out when it holds ``batch_size`` lines or ``interval`` seconds passed since
    the last one; :meth:`flush` sends what is left (call it when the job ends). Blank lines
    are skipped. A failed write is logged, never raised into the job.
    """

    def __init__(self, account_id: str, region: str, group: str, stream: str, *, guard: Guard | None = None,
                 batch_size: int = 200, interval: float = 1.0) -> None:
        self.account_id, self.region, self.group, self.stream = account_id, region, group, stream
        self.guard = guard or _no_guard
        self.batch_size, self.interval = batch_size, interval
        self.pending: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()
        self.lock = threading.Lock()

    def add(self, line: str) -> None:
        if not line.strip():
            return
        with self.lock:
            self.pending.append(_event(line, _now_ms()))
            due = len(self.pending) >= self.batch_size or time.monotonic() - self.last_flush > self.interval
        if due:
            self.flush()

    def add_text(self, text: str) -> None:
        for line in text.splitlines():
            self.add(line)

    def flush(self) -> None:
        """Send pending lines (and create the group and stream, even with nothing to send)."""
        with self.lock:
            events, self.pending = self.pending, []
            self.last_flush = time.monotonic()
        try:
            _put(self.account_id, self.region, self.group, self.stream, events, self.guard)
        except Exception:
            log.exception("could not ship logs to %s/%s", self.group, self.stream)


def write_lines(account_id: str, region: str, group: str, stream: str, lines: Iterable[str] | str, *,
                guard: Guard | None = None) -> int:
    """Send a finished job's output (text or lines; blank ones skipped); returns how many events went out.

    Nothing is created when there is no line to send.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    now = _now_ms()
    events = [_event(line, now) for line in lines if line.strip()]
    if not events:
        return 0
    try:
        _put(account_id, region, group, stream, events, guard or _no_guard)
    except Exception:
        log.exception("could not write logs to %s/%s", group, stream)
        return 0
    return len(events)


def upload_log_files(base_uri: str, files: Mapping[str, Path], s3: Any = None) -> dict[str, str]:
    """Upload each ``name -> file`` as ``<base_uri>/<name>.gz`` (a missing file as an empty one).

    Returns ``name -> s3 URI`` of what was written; on any failure logs a warning and returns ``{}``.
    ``s3`` is an :class:`emulators.core.s3access.S3Access` (default: the cloud's lake).
    """
    try:
        base = s3uri.parse(base_uri)
    except s3uri.NotAnS3Uri:
        return {}
    if s3 is None:
        from emulators.core.s3access import s3_access  # noqa: PLC0415

        s3 = s3_access()
    written = {}
    try:
        for name, path in files.items():
            body = Path(path).read_bytes() if Path(path).exists() else b""
            key = "/".join(p for p in (base.key.rstrip("/"), f"{name}.gz") if p)
            s3.put(base.bucket, key, gzip.compress(body), content_type="application/x-gzip")
            written[name] = f"s3://{base.bucket}/{key}"
    except Exception as exc:
        log.warning("could not write logs to %s: %s", base_uri, exc)
        return {}
    return written
