"""S3 keys restored packed: a bucket's key store whose keys stay pickles until a request reads them, and
an object body buffer that reads its blob on first use.

A snapshot writes each bucket's keys in chunks of :data:`KEYS_PER_CHUNK` names (``persistence.py``); a
restore puts the chunks into a :class:`LazyKeyStore` without unpickling them, and journal replay adds one
packed chunk per journaled key. So restoring 100,000 objects costs a list of byte strings and a dict of
names, not 100,000 moto objects and 100,000 file reads; a chunk is unpickled when one of its keys is read,
every chunk when the bucket is listed.
"""

from __future__ import annotations

import gc
import io
import logging
import pickle
import threading
from collections.abc import Iterator
from typing import Any

from emulators.core import moto_coupling

log = logging.getLogger("emulators.persistence")

KEYS_PER_CHUNK = 256
Chunk = tuple[tuple[str, ...], bytes, tuple[str, ...]]  # key names, their pickled versions, blobs they use


def restore_key_store(chunks: list[Chunk]) -> Any:
    store = LazyKeyStore()
    store._chunks = list(chunks)
    store._chunk_of = {name: index for index, chunk in enumerate(chunks) for name in chunk[0]}
    return store


class LazyKeyStore(moto_coupling.s3_key_store_class()):  # type: ignore[misc]
    """moto's store of one bucket's keys, restored packed: a chunk of keys is unpickled when a request
    first reads one of them (every chunk when the bucket is listed), so restoring 100,000 objects costs a
    list of byte strings and a dict of names instead of 100,000 moto objects."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[Chunk | None] = []
        self._chunk_of: dict[str, int] = {}  # a packed key's newest chunk
        self._stale: set[int] = set()  # chunks holding a key a newer chunk or a delete replaced
        self._unpack_lock = threading.RLock()

    @classmethod
    def taking(cls, plain: Any) -> LazyKeyStore:
        """A lazy store holding what moto's plain store ``plain`` holds (a bucket journaled keys go to)."""
        store = cls()
        dict.update(store, dict.items(plain))
        return store

    def add_packed(self, name: str, data: bytes, blobs: tuple[str, ...]) -> None:
        """Journal replay: the key's versions are ``data`` (their pickle), newer than anything held."""
        with self._unpack_lock:
            if name in self._chunk_of:
                self._stale.add(self._chunk_of.pop(name))
            if dict.__contains__(self, name):
                dict.__delitem__(self, name)
            if len(data) < 32 and not pickle.loads(data):  # no versions left: the key was deleted
                return
            self._chunks.append(((name,), data, blobs))
            self._chunk_of[name] = len(self._chunks) - 1

    def _unpack(self, name: str | None = None, indexes: list[int] | None = None) -> None:
        if not self._chunk_of and not indexes:
            return
        with self._unpack_lock:
            if indexes is not None:
                pass
            elif name is None:
                indexes = [i for i, chunk in enumerate(self._chunks) if chunk is not None]
            else:
                index = self._chunk_of.get(name)
                indexes = [] if index is None else [index]
            collecting = len(indexes) > 1 and gc.isenabled()
            if collecting:
                gc.disable()  # unpickling many chunks allocates millions of objects: no generational rescans
            try:
                self._unpack_chunks(indexes)
            finally:
                if collecting:
                    gc.enable()

    def _unpack_chunks(self, indexes: list[int]) -> None:
        for index in indexes:
            chunk = self._chunks[index]
            if chunk is None:
                continue
            try:
                part = pickle.loads(chunk[1])
            except Exception as exc:
                log.error("%d S3 keys could not be restored (%s): skipped", len(chunk[0]), exc)
                part = {}
            if isinstance(part, list):  # one journaled key's versions
                part = {chunk[0][0]: part}
            for each in chunk[0]:
                if self._chunk_of.get(each) != index:  # a newer chunk or a delete replaced it
                    continue
                del self._chunk_of[each]
                if part.get(each):
                    dict.__setitem__(self, each, part[each])
            self._chunks[index] = None
            self._stale.discard(index)

    def unpack_stale(self) -> None:
        """Unpack chunks that hold replaced keys, so a snapshot never writes a replaced version."""
        if self._stale:
            self._unpack(indexes=sorted(self._stale))

    def __sgetitem__(self, key: str) -> list[Any]:
        if key in self._chunk_of:
            self._unpack(key)
        return dict.__getitem__(self, key)

    def packed_names(self) -> list[str]:
        """The names still packed (the listing index adds them to the unpacked ones)."""
        with self._unpack_lock:
            return list(self._chunk_of)

    def versions_of(self, name: str) -> Any:
        """``name``'s versions list, unpacking its chunk only; None when the store lacks it."""
        if name in self._chunk_of:
            self._unpack(name)
        return dict.get(self, name)

    def __contains__(self, key: object) -> bool:
        return key in self._chunk_of or dict.__contains__(self, key)

    def __len__(self) -> int:
        return len(self._chunk_of) + dict.__len__(self)

    def __iter__(self) -> Iterator[str]:
        self._unpack()
        return dict.__iter__(self)

    def __delitem__(self, key: str) -> None:
        self._unpack(key)
        dict.__delitem__(self, key)

    def keys(self) -> Any:  # type: ignore[override]
        self._unpack()
        return dict.keys(self)

    def _self_iterable(self) -> dict[str, Any]:
        self._unpack()
        return dict(dict.items(self))

    def copy(self) -> dict[str, Any]:  # type: ignore[override]
        return self._self_iterable()

    def clear(self) -> None:
        self._chunks, self._chunk_of, self._stale = [], {}, set()
        dict.clear(self)


class BlobBuffer:
    """An S3 key's body buffer that reads its blob on first use: a restore of 100,000 objects reads none
    of their bodies (the blob is content-addressed, so it cannot change under the key)."""

    __slots__ = ("_path", "_max_size", "_file")

    def __init__(self, path: str, max_size: int | None) -> None:
        self._path, self._max_size, self._file = path, max_size, None

    def _open(self) -> Any:
        if self._file is None:
            import tempfile

            spooled = tempfile.SpooledTemporaryFile(max_size=self._max_size or 0)
            try:
                with open(self._path, "rb") as fh:
                    spooled.write(fh.read())
            except FileNotFoundError:
                log.error("the blob of an S3 object is missing: %s", self._path)
            self._file = spooled
        return self._file

    def close(self) -> None:
        if self._file is None:  # disposed of before anyone read it: reads fail as on a closed buffer
            self._file = io.BytesIO()
        self._file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._open(), name)
