"""The sandbox's on-disk primitives: atomic file writes, the content-addressed blob store,
the S3 journal (group commit with ``fsync``) and the shared/exclusive state lock.

:mod:`emulators.core.persistence` builds snapshots and restore on these; see its docstring for
what is durable when.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("emulators.persistence")

# the journal is folded into a snapshot once it holds this many records or is this old
JOURNAL_COMPACT_RECORDS = 50_000
JOURNAL_COMPACT_SECONDS = 60.0


class SharedExclusiveLock:
    """Many holders in shared mode (requests), one in exclusive mode (snapshots)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive = False
        self._waiting_exclusive = 0
        self._local = threading.local()

    @contextmanager
    def shared(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        if depth:  # re-entrant for a thread that already holds it
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._cond:
            while self._exclusive or self._waiting_exclusive:
                self._cond.wait()
            self._shared += 1
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._cond:
                self._shared -= 1
                if not self._shared:
                    self._cond.notify_all()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let go of this thread's shared hold for a while, then take it back.

        For a request that waits on work which calls back into the cloud (a Lambda
        handler using boto3): holding on would deadlock as soon as a snapshot waits
        for the exclusive lock, since new shared holders queue behind it.
        """
        depth = getattr(self._local, "depth", 0)
        if not depth:
            yield
            return
        self._local.depth = 0
        with self._cond:
            self._shared -= 1
            if not self._shared:
                self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                while self._exclusive or self._waiting_exclusive:
                    self._cond.wait()
                self._shared += 1
            self._local.depth = depth

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting_exclusive += 1
            while self._exclusive or self._shared:
                self._cond.wait()
            self._waiting_exclusive -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class BlobStore:
    """Content-addressed files for S3 object bodies."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.root_text = str(root)

    def path(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / blob_id

    def put(self, body: bytes) -> str:
        blob_id = hashlib.sha256(body).hexdigest()
        target = self.path(blob_id)
        try:
            os.utime(target)  # in use again: a clean-up that started earlier must not take it
        except FileNotFoundError:
            write_atomically(target, body)
        return blob_id

    def get(self, blob_id: str) -> bytes:
        return self.path(blob_id).read_bytes()

    def all_ids(self) -> set[str]:
        return {p.name for p in self.root.glob("??/*") if not p.name.startswith(".")}

    def remove_except(self, keep: set[str], written_before: float | None = None) -> int:
        """Remove blobs not in ``keep``; with ``written_before`` (a wall-clock time) only those last written or
        reused before it, so a blob a request writes while the clean-up runs is never taken. Temporary files
        are left to their writers unless they are an hour old (a crash's leftovers)."""
        removed = 0
        for blob_id in self.all_ids() - keep:
            path = self.path(blob_id)
            try:
                if written_before is not None and path.stat().st_mtime >= written_before:
                    continue
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        stale = time.time() - 3600
        for tmp in self.root.glob("??/.*.tmp"):
            try:
                if tmp.stat().st_mtime < stale:
                    tmp.unlink()
            except FileNotFoundError:
                pass
        return removed


class S3Journal:
    """Append-only, fsynced records of S3 key writes, numbered in generations.

    A record is ``(account, bucket, key, versions)``: the key's whole version list after the write,
    so replaying it is idempotent. :meth:`rotate` starts a new generation when a snapshot takes in
    S3; files of generations the snapshot covers are removed once the snapshot is on disk.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        existing = self.generations()
        self.generation = (existing[-1] + 1) if existing else 1
        self._fh = open(self._path(self.generation), "ab")
        self._written = 0  # sequence numbers of appended and of fsynced records
        self._synced = 0
        self.records = 0  # since the last rotation
        self.first_record_at: float | None = None
        self.blobs: dict[int, set[str]] = {self.generation: set()}

    def _path(self, generation: int) -> Path:
        return self.folder / f"s3-{generation:08d}.log"

    def generations(self) -> list[int]:
        found = []
        for path in self.folder.glob("s3-*.log"):
            try:
                found.append(int(path.stem[3:]))
            except ValueError:
                continue
        return sorted(found)

    def append(self, payload: bytes, blob_ids: set[str]) -> int:
        with self._lock:
            self._fh.write(len(payload).to_bytes(8, "big") + payload)
            self._written += 1
            self.records += 1
            if self.first_record_at is None:
                self.first_record_at = time.monotonic()
            self.blobs.setdefault(self.generation, set()).update(blob_ids)
            return self._written

    def sync(self, sequence: int) -> None:
        """Return once record ``sequence`` is on disk (one fsync serves every record written before it)."""
        if self._synced >= sequence:
            return
        with self._sync_lock:
            if self._synced >= sequence:
                return
            with self._lock:
                target = self._written
                self._fh.flush()
                fh = self._fh
            os.fsync(fh.fileno())
            self._synced = max(self._synced, target)

    def sync_all(self) -> None:
        """Return once every record appended so far is on disk."""
        self.sync(self._written)

    def rotate(self) -> int:
        """Close the current generation and start the next; returns the closed generation."""
        with self._sync_lock, self._lock:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            closed = self.generation
            self.generation += 1
            self._fh = open(self._path(self.generation), "ab")
            self._synced = self._written
            self.records = 0
            self.first_record_at = None
            self.blobs.setdefault(self.generation, set())
            return closed

    def remove_through(self, generation: int) -> None:
        for old in self.generations():
            if old <= generation and old != self.generation:
                self._path(old).unlink(missing_ok=True)
                self.blobs.pop(old, None)
        _fsync_dir(self.folder)

    def live_blobs(self) -> set[str]:
        return set().union(set(), *self.blobs.values())

    def read(self, after_generation: int) -> Iterator[bytes]:
        """Every complete record of the generations after ``after_generation``, in order."""
        for generation in self.generations():
            if generation <= after_generation:
                continue
            data = self._path(generation).read_bytes()
            offset = 0
            while offset + 8 <= len(data):
                size = int.from_bytes(data[offset:offset + 8], "big")
                if offset + 8 + size > len(data):
                    log.warning("journal %s ends with a partial record (a crash while writing): ignored",
                                generation)
                    break
                yield data[offset + 8: offset + 8 + size]
                offset += 8 + size

    def clear(self) -> None:
        with self._sync_lock, self._lock:
            self._fh.close()
            for generation in self.generations():
                self._path(generation).unlink(missing_ok=True)
            self.generation += 1
            self._fh = open(self._path(self.generation), "ab")
            self._written = self._synced = self.records = 0
            self.first_record_at = None
            self.blobs = {self.generation: set()}

    def close(self) -> None:
        with self._lock:
            self._fh.close()

    def compaction_due(self) -> bool:
        return self.records >= JOURNAL_COMPACT_RECORDS or (
            self.first_record_at is not None and time.monotonic() - self.first_record_at > JOURNAL_COMPACT_SECONDS)
