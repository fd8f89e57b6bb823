"""Durable state for the embedded cloud.

The whole control plane (moto's backends) is snapshotted to one file,
``<state>/snapshot.pkl``, a second or so after anything changes. S3 object bodies
are not inside the snapshot: each body is written once to a content-addressed
blob (``<state>/blobs/ab/abcdef...``) and the snapshot refers to it, so a large
data lake costs nothing to re-snapshot.

S3 objects are durable when their write is acknowledged: a PUT, a completed
multipart upload, a copy or a delete appends the key's versions to the S3
journal (``<state>/journal/s3-<generation>.log``, group commit with ``fsync``)
before the response leaves, and the body's blob is fsynced before that. Those
writes do not make the snapshot re-pickle S3; the journal is folded into the
snapshot in the background when it grows (``storage.JOURNAL_COMPACT_RECORDS``) or
ages (``storage.JOURNAL_COMPACT_SECONDS``), and restore is snapshot + journal replay.

Crash safety: every file is written to a temporary name, fsynced and renamed
over the old one, blobs before the snapshot or journal record that refers to
them. A ``kill -9`` loses no acknowledged S3 object; other (control-plane)
writes since the last snapshot (at most about one second) can be lost. A
half-written journal record at the end of the file is ignored. Orphan blobs are
removed after each successful snapshot.
"""

from __future__ import annotations

import gc
import io
import logging
import mmap
import os
import pickle
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling
from emulators.core.storage import BlobStore, S3Journal, SharedExclusiveLock, write_atomically
from emulators.core.packed_s3 import KEYS_PER_CHUNK, BlobBuffer, LazyKeyStore, restore_key_store
from emulators.core.packed_s3 import Chunk as _Chunk
from emulators.core.record_chunks import RecordChunks, is_shard_class, reduce_shard

log = logging.getLogger("emulators.persistence")

SNAPSHOT_FORMAT = 1


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
    def __init__(self, fh: io.BytesIO, store: StateStore, blobs_used: set[str], service: str | None = None,
                 backends: dict[type, str] | None = None, record_chunks: RecordChunks | None = None) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._record_chunks = record_chunks  # a Kinesis shard's records, in chunks reused while unchanged
        self._store = store
        self._blobs_used = blobs_used
        self._key_class = moto_coupling.s3_key_class()
        self._key_store_class = moto_coupling.s3_key_store_class()
        self._service = service  # the service being pickled
        self._backends = backends or {}  # backend class -> its service

    def _key_store_entries(self, store: Any) -> tuple[list[_Chunk]]:
        """A bucket's keys in chunks of :data:`KEYS_PER_CHUNK` names, each its own pickle with the names
        and blobs it holds, so a restore leaves them packed until a request reads one of their keys.
        Chunks nobody unpacked since the restore are written as they were."""
        frozen = self._store._frozen.get(id(store))
        if frozen is not None and frozen[0] is store:  # copied under the lock; pickled after it
            items, chunks = frozen[1], list(frozen[2])
        else:
            items, chunks = _store_view(store)
        names = list(dict.keys(items))
        cache = self._store._chunk_cache
        journaled = self._store._chunk_journaled if self._store._chunk_journaled is not None else cache.journaled
        earlier = cache.previous.get(id(store))
        earlier_chunks = earlier[1] if earlier is not None and earlier[0] is store else []
        fresh: list[tuple[tuple[str, ...], tuple[Any, ...], _Chunk]] = []
        for number, start in enumerate(range(0, len(names), KEYS_PER_CHUNK)):
            part_names = tuple(names[start:start + KEYS_PER_CHUNK])
            part = {name: dict.__getitem__(items, name) for name in part_names}
            # the same list objects holding the same versions, none journaled since: the chunk is unchanged
            fingerprint = tuple((id(versions), *map(id, versions)) for versions in part.values())
            reused = earlier_chunks[number] if number < len(earlier_chunks) else None
            if (reused is not None and reused[0] == part_names and reused[1] == fingerprint
                    and journaled.keys().isdisjoint(part_names)):
                chunk = reused[2]
            else:
                used: set[str] = set()
                buf = io.BytesIO()
                _SnapshotPickler(buf, self._store, used).dump(part)
                chunk = (part_names, buf.getvalue(), tuple(used))
            chunks.append(chunk)
            fresh.append((part_names, fingerprint, chunk))
        cache.current[id(store)] = (store, fresh)
        for chunk in chunks:
            self._blobs_used.update(chunk[2])
        return (chunks,)

    def reducer_override(self, obj: Any) -> Any:
        # the pickler calls this for every object that is not a str, number, list, dict, set or tuple: most of them
        # are of a type it has seen before and never changes, answered with two look-ups
        kind = type(obj)
        if kind in _PLAIN_TYPES and kind not in self._backends:
            return NotImplemented
        if kind is self._key_store_class or kind is LazyKeyStore:
            return restore_key_store, self._key_store_entries(obj)
        if kind is self._key_class:
            blob_id = self._store.blob_for_key(obj)
            self._blobs_used.add(blob_id)
            return _restore_s3_key, (moto_coupling.s3_key_state(obj), blob_id)
        if self._record_chunks is not None and is_shard_class(kind):
            return reduce_shard(obj, self._record_chunks, self._pickle_records)
        fresh = _fresh_primitive(obj)
        if fresh is not None:
            return fresh
        other = self._backends.get(kind)
        if other is not None and other != self._service:
            # another service's backend (moto's Redshift holds the region's EC2 backend): a reference to the live
            # one, not a copy (pickling EC2 again with every Redshift pickle cost ~50 ms a snapshot, and the copy
            # a restore made was no longer the EC2 that EC2's requests change)
            where = moto_coupling.registered_backend(other, obj)
            if where is not None:
                return _live_backend, (other, *where)
        if kind.__module__.startswith("cryptography.") and hasattr(obj, "private_bytes"):
            # KMS asymmetric keys: cryptography's key objects do not pickle; PEM does
            from cryptography.hazmat.primitives import serialization

            pem = obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            return _restore_private_key, (pem,)
        if kind not in self._backends and not _special_type(kind):
            _PLAIN_TYPES.add(kind)
        return NotImplemented

    def _pickle_records(self, part: dict[Any, Any]) -> bytes:
        buf = io.BytesIO()
        _SnapshotPickler(buf, self._store, self._blobs_used).dump(part)
        return buf.getvalue()


_restoring_store: StateStore | None = None
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


# types :meth:`_SnapshotPickler.reducer_override` leaves to pickle's own rules (filled as they are met)
_PLAIN_TYPES: set[type] = set()


def _special_type(kind: type) -> bool:
    """A type whose objects :meth:`_SnapshotPickler.reducer_override` may pickle its own way (by type alone, or by
    something of the object: a thread's ``__sandbox_persist__``)."""
    return (issubclass(kind, (*_LOCK_TYPES, threading.Condition, threading.Event, threading.Thread))
            or (kind.__module__.startswith("cryptography.") and hasattr(kind, "private_bytes"))
            or kind is LazyKeyStore or kind is moto_coupling.s3_key_class()
            or kind is moto_coupling.s3_key_store_class() or is_shard_class(kind))


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


def _live_backend(service: str, account_id: str, region: str) -> Any:
    return moto_coupling.backend_for(service, account_id, region)


def _restore_private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


def _restore_s3_key(state: dict[str, Any], blob_id: str) -> Any:
    store = _restoring_store
    if store is None:
        raise RuntimeError("S3 keys can only be unpickled by StateStore.restore")
    blob_path = f"{store.blobs.root_text}/{blob_id[:2]}/{blob_id}"  # no pathlib: 100,000 of these per restore
    key = moto_coupling.s3_key_from_state_lazily(state, BlobBuffer(blob_path, state.get("_max_buffer_size")))
    store._blob_cache.remember(key, blob_id)
    return key


def _store_view(store: Any) -> tuple[dict[str, Any], list[Any]]:
    """A bucket's key store as it is now: its names -> versions lists, and the chunks a restore left packed
    (replaced keys unpacked first, so a pickle never writes a replaced version)."""
    packed: list[Any] = []
    if type(store) is LazyKeyStore:
        store.unpack_stale()
        packed = [chunk for chunk in store._chunks if chunk is not None]
    return dict(dict.items(store)), packed


def _freeze_key_stores() -> dict[int, tuple[Any, dict[str, Any], list[Any]]]:
    """Under the exclusive lock: each bucket's key store as it is now, for pickling after the lock is released."""
    return {id(store): (store, *_store_view(store)) for store in moto_coupling.s3_key_stores()}


class _ChunkCache:
    """The chunks of plain key stores written by the last S3 pickle, reused by the next one for keys that did not
    change: a journal compaction then pickles only what was written since, not the whole lake. Any S3 change
    that is not journaled (``invalidate``) makes the next pickle start afresh. A name journaled while S3 is
    pickled stays marked for the next pickle (``done(mark)`` forgets only the names journaled before)."""

    def __init__(self) -> None:
        self.previous: dict[int, tuple[Any, list[tuple[tuple[str, ...], tuple[Any, ...], _Chunk]]]] = {}
        self.current: dict[int, tuple[Any, list[tuple[tuple[str, ...], tuple[Any, ...], _Chunk]]]] = {}
        self.journaled: dict[str, int] = {}  # key names journaled since their chunk was last pickled -> when
        self.count = 0  # journal records noted so far
        self.valid = False
        self.lock = threading.Lock()

    def note_journaled(self, name: str) -> None:
        with self.lock:
            self.count += 1
            self.journaled[name] = self.count

    def invalidate(self) -> None:
        self.valid = False

    def begin(self) -> tuple[int, dict[str, int]]:
        """Start an S3 pickle (under the exclusive lock): the mark and the names journaled so far."""
        if not self.valid:
            self.previous = {}
        self.current = {}
        self.valid = True  # until a change that is not journaled
        with self.lock:
            return self.count, dict(self.journaled)

    def done(self, ok: bool, mark: int) -> None:
        self.previous = self.current if ok else {}
        self.current = {}
        with self.lock:
            self.journaled = {name: when for name, when in self.journaled.items() if when > mark}
        if not ok:
            self.valid = False


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
        self._s3_dirty = True  # S3's control plane changed since its last pickle
        # services only requests change (moto_coupling.CHANGED_ONLY_BY_REQUESTS: EC2), changed since their last pickle
        self._requested: set[str] = set(moto_coupling.CHANGED_ONLY_BY_REQUESTS)
        self.journal = S3Journal(self.state_dir / "journal")
        self._s3_generation = 0  # the journal generations the stored S3 pickle covers
        self._snapshot_mutex = threading.RLock()  # snapshot() holds it around _snapshot(), which takes it too
        self._chunk_cache = _ChunkCache()
        self._frozen: dict[int, Any] = {}  # key stores copied under the lock for the S3 pickle in progress
        self._chunk_journaled: dict[str, int] | None = None  # the names journaled before that copy
        self._record_chunks: dict[str, RecordChunks] = {}  # per service: pickled record chunks to reuse
        self.last_snapshot_seconds = 0.0
        self.snapshots_written = 0

    # -- dirtiness -----------------------------------------------------------
    def mark_dirty(self, include_s3: bool = True, api: str | None = None, requested: bool = False) -> None:
        """Something changed; ``include_s3=False`` when S3 certainly did not (its objects are journaled).

        ``requested``: a request for ``api`` (moto's service name; None when it is not known) made the change. Only
        such a change can reach the services of :data:`moto_coupling.CHANGED_ONLY_BY_REQUESTS` (EC2's default
        VPCs, AMIs and instance types are most of a small state's pickle); a change the sandbox's engines make
        never does, so those services keep their last pickle."""
        if include_s3:
            self._s3_dirty = True
            self._chunk_cache.invalidate()
        if requested:
            self._requested.update(service for service, apis in moto_coupling.CHANGED_ONLY_BY_REQUESTS.items()
                                   if api is None or api in apis)
        self._dirty.set()

    @property
    def dirty(self) -> bool:
        return self._dirty.is_set() or self.journal.compaction_due()

    # -- the S3 journal ------------------------------------------------------
    def journal_s3_key(self, account_id: str, bucket: str, key: str) -> int | None:
        """Record the current versions of one key (call under the shared lock); the sequence to sync."""
        versions = moto_coupling.s3_key_versions(account_id, bucket, key)
        if versions is None:
            return None
        used: set[str] = set()
        buf = io.BytesIO()
        _SnapshotPickler(buf, self, used).dump(versions)
        # the versions stay a pickle of their own, so a replay can leave them packed until they are read
        record = (account_id, bucket, key, buf.getvalue(), tuple(used))
        self._chunk_cache.note_journaled(key)
        return self.journal.append(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL), used)

    def journal_s3_bucket(self, account_id: str, bucket: str, region: str) -> int:
        """Record that a bucket exists, so keys journaled before the next snapshot have somewhere to go."""
        return self.journal.append(pickle.dumps((account_id, bucket, None, region)), set())

    def _replay_journal(self) -> int:
        replayed = 0
        for payload in self.journal.read(self._s3_generation):
            try:
                record = pickle.loads(payload)
                account_id, bucket, key, versions = record[:4]
            except Exception as exc:
                log.error("a journal record could not be read (%s): skipped", exc)
                continue
            if key is None:  # a bucket created after the snapshot
                if not moto_coupling.s3_bucket_exists(account_id, bucket):
                    moto_coupling.s3_create_bucket(account_id, bucket, versions)
                continue
            if len(record) == 5:  # packed versions: the key is unpickled when a request reads it
                store = moto_coupling.s3_bucket_key_store(account_id, bucket)
                if store is None:
                    continue
                if type(store) is not LazyKeyStore:
                    store = moto_coupling.s3_bucket_key_store(account_id, bucket, LazyKeyStore.taking(store))
                store.add_packed(key, versions, record[4])
                replayed += 1
            elif moto_coupling.s3_set_key_versions(account_id, bucket, key, versions):
                replayed += 1
        return replayed

    # -- blobs ---------------------------------------------------------------
    def blob_for_key(self, key: Any) -> str:
        blob_id = self._blob_cache.lookup(key)
        if blob_id is None or not os.path.exists(f"{self.blobs.root_text}/{blob_id[:2]}/{blob_id}"):
            blob_id = self.blobs.put(moto_coupling.s3_key_body(key))
            self._blob_cache.remember(key, blob_id)
        return blob_id

    def blob_file(self, account_id: str, bucket: str, key: str, etag: str) -> str | None:
        """The blob file holding the current version of ``bucket/key`` while its ETag is ``etag`` (the blob is
        written now if the key has none yet), or None (no such object, or it changed). Blobs are named by their
        content, so the file never changes; a clean-up may remove it once no key uses it."""
        versions = moto_coupling.s3_key_versions(account_id, bucket, key)
        if not versions or moto_coupling.s3_is_delete_marker(versions[-1]):
            return None
        current = versions[-1]
        if current.etag.strip('"') != etag:
            return None
        try:
            blob_id = self.blob_for_key(current)
        except OSError:
            return None
        return f"{self.blobs.root_text}/{blob_id[:2]}/{blob_id}"

    # -- snapshot ------------------------------------------------------------
    def snapshot(self) -> bool:
        """Write the current state (:meth:`_snapshot`); a request-only service whose pickle did not reach the
        disk is pickled again next time."""
        with self._snapshot_mutex:
            self._taken: set[str] = set()
            try:
                return self._snapshot()
            except BaseException:
                self._requested |= self._taken
                raise

    def _snapshot(self) -> bool:
        """Write the current state; returns False when nothing needed writing.

        Everything but S3 is pickled under the exclusive lock. S3's key stores are only copied there (a dict
        copy per bucket) and pickled after the lock is released, so requests wait for the copy, not for
        pickling the lake; a change made meanwhile is newer than the journal generation the pickle closes and
        is journaled (or marks S3 dirty) after it, so a replay over this pickle still ends at the newest state."""
        with self._snapshot_mutex:
            self._dirty.clear()
            started = time.perf_counter()
            current: dict[str, bytes] = {}
            current_blobs: dict[str, set[str]] = {}
            with self.lock.exclusive():
                # every blob written before now has its journal record or is in the state pickled below
                pickled_at = time.time()
                pickle_s3 = self._s3_dirty or self.journal.compaction_due() or "s3" not in self._service_bytes
                s3_generation = self._s3_generation
                s3_dict = None
                requested, self._requested = self._requested, set()
                self._taken = requested
                loaded = list(moto_coupling.loaded_backend_dicts())
                backends = moto_coupling.backend_classes(loaded)
                if pickle_s3:
                    self._s3_dirty = False
                    s3_generation = self.journal.rotate()  # what follows goes to the next generation
                    mark, journaled = self._chunk_cache.begin()
                    self._frozen = _freeze_key_stores()
                for service, bdict in loaded:
                    unchanged = ((service == "s3" and not pickle_s3)  # S3 objects are journaled
                                 or (service in moto_coupling.CHANGED_ONLY_BY_REQUESTS and service not in requested))
                    if unchanged and service in self._service_bytes:  # keep the last pickle
                        current[service] = self._service_bytes[service]
                        current_blobs[service] = self._service_blobs.get(service, set())
                    elif service == "s3":
                        s3_dict = bdict  # pickled below, once requests go on again
                    elif (not self._pickle_service(service, bdict, current, current_blobs, backends=backends)
                          and service in moto_coupling.CHANGED_ONLY_BY_REQUESTS):
                        self._requested.add(service)  # it keeps its previous pickle; again next time
            if s3_dict is not None:
                self._chunk_journaled = journaled
                try:
                    ok = self._pickle_service("s3", s3_dict, current, current_blobs, quiet=True, backends=backends)
                    if not ok:  # S3 changed shape under the pickler (a bucket came or went): again, holding the lock
                        with self.lock.exclusive():
                            self._frozen, self._chunk_journaled = {}, None  # the live stores, all names journaled
                            ok = self._pickle_service("s3", s3_dict, current, current_blobs, backends=backends)
                finally:
                    self._frozen, self._chunk_journaled = {}, None
                self._chunk_cache.done(ok, mark)
                if not ok:
                    s3_generation, self._s3_dirty = self._s3_generation, True
            for service, data in self._unrestorable.items():
                current.setdefault(service, data)
            # a request that changed nothing (most API calls are POSTs, a Describe too) pickles the same bytes:
            # the file on disk already holds them, so no write and no fsync
            unchanged = (s3_generation == self._s3_generation and current == self._service_bytes
                         and self.snapshot_path.exists())
            if not unchanged:
                document = {
                    "format": SNAPSHOT_FORMAT,
                    "moto_version": moto_coupling.MOTO_VERSION,
                    "written_at": time.time(),
                    "services": current,
                    "s3_journal_generation": s3_generation,
                }
                # the state may name objects engines wrote without waiting for the disk (``writing_s3``'s
                # ``durable=False``, as a query's result file): their records are on disk before it is
                self.journal.sync_all()
                write_atomically(self.snapshot_path, pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL))
            self._service_bytes = current
            self._service_blobs = current_blobs
            self._s3_generation = s3_generation
            if not unchanged:
                self.journal.remove_through(s3_generation)
            if pickle_s3 and not self._unrestorable:  # only S3's pickle and the journal refer to blobs
                self.blobs.remove_except(set().union(self.journal.live_blobs(), *current_blobs.values()),
                                         written_before=pickled_at)
            self.last_snapshot_seconds = time.perf_counter() - started
            self.snapshots_written += 1
            return True

    def _pickle_service(self, service: str, bdict: Any, current: dict[str, bytes],
                        current_blobs: dict[str, set[str]], quiet: bool = False,
                        backends: dict[type, str] | None = None) -> bool:
        """Pickle one service into ``current``; on failure keep its previous good copy and retry soon."""
        used: set[str] = set()
        buf = io.BytesIO()
        chunks = self._record_chunks.setdefault(service, RecordChunks())
        chunks.begin()
        try:
            _SnapshotPickler(buf, self, used, service, backends, chunks).dump(bdict)
            chunks.done(True)
        except Exception as exc:
            chunks.done(False)
            if quiet and isinstance(exc, (RuntimeError, KeyError)):
                return False
            log.warning("could not snapshot %s (%s); keeping its previous state", service, exc)
            self._dirty.set()
            if service in self._service_bytes:
                current[service] = self._service_bytes[service]
                current_blobs[service] = self._service_blobs.get(service, set())
            return False
        current[service] = buf.getvalue()
        current_blobs[service] = used
        return True

    def sweep_crash_leftovers(self) -> int:
        """Remove the temporary files a killed server left half-written (snapshot, journal, blobs).

        Call only while holding the state folder's lock: no other writer exists then, so every
        temporary file is a leftover (each is replaced into place only once complete)."""
        removed = 0
        for pattern in (".*.tmp", "journal/.*.tmp", "blobs/??/.*.tmp"):
            for tmp in self.state_dir.glob(pattern):
                try:
                    tmp.unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed

    def restore(self, after_crash: bool = True) -> list[str]:
        """Load the last snapshot into moto; returns the services restored. ``after_crash``: the last server
        did not stop cleanly, so its half-written temporary files are removed first (the sweep lists every
        blob folder, so a clean start skips it)."""
        global _restoring_store
        if after_crash:
            swept = self.sweep_crash_leftovers()
            if swept:
                log.info("removed %d half-written temporary files a previous server left", swept)
        document: dict[str, Any] = {"services": {}}
        if self.snapshot_path.exists():
            try:
                with open(self.snapshot_path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    document = pickle.loads(data)  # each service's pickle is copied out once, not the file twice
            except Exception as exc:
                self._quarantine(f"unreadable snapshot ({exc})")
                document = {"services": {}}
            if document.get("format", SNAPSHOT_FORMAT) != SNAPSHOT_FORMAT:
                self._quarantine(f"snapshot format {document.get('format')} is not {SNAPSHOT_FORMAT}")
                document = {"services": {}}
        self._s3_generation = document.get("s3_journal_generation", 0)
        restored: list[str] = []
        _restoring_store = self
        collecting = gc.isenabled()
        gc.disable()  # unpickling allocates millions of objects: generational passes would rescan them all
        try:
            services = document["services"]
            first = [s for s in moto_coupling.RESTORE_FIRST if s in services]
            for service in [*first, *(s for s in services if s not in first)]:
                data = services[service]
                try:
                    bdict = pickle.loads(data)
                    moto_coupling.restore_backend_dict(service, bdict)
                except Exception as exc:
                    log.error("could not restore %s from the snapshot: %s", service, exc)
                    self._unrestorable[service] = data
                    continue
                self._service_bytes[service] = data
                restored.append(service)
            replayed = self._replay_journal()
            if replayed:
                log.info("replayed %d S3 key writes from the journal", replayed)
                self._s3_dirty = True
                self._dirty.set()
                if "s3" not in restored:
                    restored.append("s3")
            elif "s3" in self._service_bytes:
                # the S3 pickle just loaded is the state: the first snapshot after a restart keeps it instead of
                # pickling every stored object again (seconds with 100,000 objects, while requests wait)
                self._s3_dirty = False
        finally:
            # stays set: packed S3 keys are unpickled later, when a request first reads them
            if collecting:
                gc.enable()
        gc.freeze()  # what was restored is long-lived: later collections need not scan it again
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
            self._chunk_cache = _ChunkCache()
            self.journal.clear()
            self._s3_generation = 0
            self._s3_dirty = True
            self._dirty.clear()
