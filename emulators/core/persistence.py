"""Durable state for the embedded cloud.

The whole control plane (moto's backends) is snapshotted to one file,
``<state>/snapshot.pkl``, a second or so after anything changes. S3 object bodies
are not inside the snapshot: each body is written once to a content-addressed
blob (``<state>/blobs/ab/abcdef...``) and the snapshot refers to it, so a large
data lake costs nothing to re-snapshot.

Crash safety: every file is written to a temporary name, fsynced and renamed
over the old one, blobs before the snapshot that refers to them. A ``kill -9``
loses at most the writes since the last snapshot (about one second) and never
leaves a half-written state folder. Orphan blobs are removed after each
successful snapshot.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling

log = logging.getLogger("emulators.persistence")

SNAPSHOT_FORMAT = 1


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

    def path(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / blob_id

    def put(self, body: bytes) -> str:
        blob_id = hashlib.sha256(body).hexdigest()
        target = self.path(blob_id)
        if not target.exists():
            write_atomically(target, body)
        return blob_id

    def get(self, blob_id: str) -> bytes:
        return self.path(blob_id).read_bytes()

    def all_ids(self) -> set[str]:
        return {p.name for p in self.root.glob("??/*") if not p.name.startswith(".")}

    def remove_except(self, keep: set[str]) -> int:
        removed = 0
        for blob_id in self.all_ids() - keep:
            try:
                self.path(blob_id).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        for tmp in self.root.glob("??/.*.tmp"):
            tmp.unlink(missing_ok=True)
        return removed


class _BlobCache:
    """Remembers which blob holds each live S3 key's body, so bodies are hashed once."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref, tuple[Any, ...], str]] = {}

    def lookup(self, key: Any) -> str | None:
        entry = self._entries.get(id(key))
        if entry is None:
            return None
        ref, fingerprint, blob_id = entry
        if ref() is not key or fingerprint != moto_coupling.s3_key_fingerprint(key):
            return None
        return blob_id

    def remember(self, key: Any, blob_id: str) -> None:
        key_id = id(key)
        self._entries[key_id] = (
            weakref.ref(key, lambda _ref, k=key_id: self._entries.pop(k, None)),
            moto_coupling.s3_key_fingerprint(key),
            blob_id,
        )

    def clear(self) -> None:
        self._entries.clear()


class _SnapshotPickler(pickle.Pickler):
    def __init__(self, fh: io.BytesIO, store: StateStore, blobs_used: set[str]) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._store = store
        self._blobs_used = blobs_used
        self._key_class = moto_coupling.s3_key_class()

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is self._key_class:
            blob_id = self._store.blob_for_key(obj)
            self._blobs_used.add(blob_id)
            return _restore_s3_key, (moto_coupling.s3_key_state(obj), blob_id)
        fresh = _fresh_primitive(obj)
        if fresh is not None:
            return fresh
        if type(obj).__module__.startswith("cryptography.") and hasattr(obj, "private_bytes"):
            # KMS asymmetric keys: cryptography's key objects do not pickle; PEM does
            from cryptography.hazmat.primitives import serialization

            pem = obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            return _restore_private_key, (pem,)
        return NotImplemented


_restoring_store: StateStore | None = None
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def _fresh_primitive(obj: Any) -> tuple | None:
    """Locks, events and threads inside moto objects: restored fresh (a thread as None)."""
    if isinstance(obj, _LOCK_TYPES):
        return (threading.RLock if "RLock" in type(obj).__name__ else threading.Lock), ()
    if isinstance(obj, threading.Condition):
        return threading.Condition, ()
    if isinstance(obj, threading.Event):
        return threading.Event, ()
    if isinstance(obj, threading.Thread) and not getattr(obj, "__sandbox_persist__", False):
        return _nothing, ()
    return None


def _nothing() -> None:
    return None


def _restore_private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


def _restore_s3_key(state: dict[str, Any], blob_id: str) -> Any:
    store = _restoring_store
    if store is None:
        raise RuntimeError("S3 keys can only be unpickled by StateStore.restore")
    key = moto_coupling.s3_key_from_state(state, store.blobs.get(blob_id))
    store._blob_cache.remember(key, blob_id)
    return key


class StateStore:
    """Snapshots and restores all of moto's backends under one state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.snapshot_path = self.state_dir / "snapshot.pkl"
        self.blobs = BlobStore(self.state_dir / "blobs")
        self.lock = SharedExclusiveLock()
        self._blob_cache = _BlobCache()
        # last good pickled bytes per service, kept if a later pickling fails
        self._service_bytes: dict[str, bytes] = {}
        self._service_blobs: dict[str, set[str]] = {}
        # services whose snapshot could not be loaded (e.g. after a moto upgrade):
        # carried over unchanged, and blob clean-up is paused, so nothing is lost
        self._unrestorable: dict[str, bytes] = {}
        self._dirty = threading.Event()
        self._snapshot_mutex = threading.Lock()
        self.last_snapshot_seconds = 0.0
        self.snapshots_written = 0

    # -- dirtiness -----------------------------------------------------------
    def mark_dirty(self) -> None:
        self._dirty.set()

    @property
    def dirty(self) -> bool:
        return self._dirty.is_set()

    # -- blobs ---------------------------------------------------------------
    def blob_for_key(self, key: Any) -> str:
        blob_id = self._blob_cache.lookup(key)
        if blob_id is None or not self.blobs.path(blob_id).exists():
            blob_id = self.blobs.put(moto_coupling.s3_key_body(key))
            self._blob_cache.remember(key, blob_id)
        return blob_id

    # -- snapshot ------------------------------------------------------------
    def snapshot(self) -> bool:
        """Write the current state; returns False when nothing needed writing."""
        with self._snapshot_mutex:
            self._dirty.clear()
            started = time.perf_counter()
            with self.lock.exclusive():
                current: dict[str, bytes] = {}
                current_blobs: dict[str, set[str]] = {}
                for service, bdict in moto_coupling.loaded_backend_dicts():
                    used: set[str] = set()
                    buf = io.BytesIO()
                    try:
                        _SnapshotPickler(buf, self, used).dump(bdict)
                    except Exception as exc:  # keep the previous good copy of this service, retry soon
                        log.warning("could not snapshot %s (%s); keeping its previous state", service, exc)
                        self._dirty.set()
                        if service in self._service_bytes:
                            current[service] = self._service_bytes[service]
                            current_blobs[service] = self._service_blobs.get(service, set())
                        continue
                    current[service] = buf.getvalue()
                    current_blobs[service] = used
            for service, data in self._unrestorable.items():
                current.setdefault(service, data)
            document = {
                "format": SNAPSHOT_FORMAT,
                "moto_version": moto_coupling.MOTO_VERSION,
                "written_at": time.time(),
                "services": current,
            }
            write_atomically(self.snapshot_path, pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL))
            self._service_bytes = current
            self._service_blobs = current_blobs
            if not self._unrestorable:
                self.blobs.remove_except(set().union(set(), *current_blobs.values()))
            self.last_snapshot_seconds = time.perf_counter() - started
            self.snapshots_written += 1
            return True

    def restore(self) -> list[str]:
        """Load the last snapshot into moto; returns the services restored."""
        global _restoring_store
        if not self.snapshot_path.exists():
            return []
        try:
            document = pickle.loads(self.snapshot_path.read_bytes())
        except Exception as exc:
            self._quarantine(f"unreadable snapshot ({exc})")
            return []
        if document.get("format") != SNAPSHOT_FORMAT:
            self._quarantine(f"snapshot format {document.get('format')} is not {SNAPSHOT_FORMAT}")
            return []
        restored: list[str] = []
        _restoring_store = self
        try:
            for service, data in document["services"].items():
                try:
                    bdict = pickle.loads(data)
                    moto_coupling.restore_backend_dict(service, bdict)
                except Exception as exc:
                    log.error("could not restore %s from the snapshot: %s", service, exc)
                    self._unrestorable[service] = data
                    continue
                self._service_bytes[service] = data
                restored.append(service)
        finally:
            _restoring_store = None
        return restored

    def _quarantine(self, why: str) -> None:
        target = self.snapshot_path.with_name(f"snapshot.unreadable-{int(time.time())}.pkl")
        os.replace(self.snapshot_path, target)
        log.error("%s: moved it to %s and started empty", why, target)

    def clear(self) -> None:
        """Forget everything on disk (``sandbox reset``)."""
        with self._snapshot_mutex:
            self.snapshot_path.unlink(missing_ok=True)
            self.blobs.remove_except(set())
            self._service_bytes.clear()
            self._service_blobs.clear()
            self._unrestorable.clear()
            self._blob_cache.clear()
            self._dirty.clear()
