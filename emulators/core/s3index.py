"""Prefix listings of the in-process S3 that cost what the prefix holds, not what the bucket holds.

moto keeps a bucket's objects in one dict (name -> versions) and answers a prefix listing by
walking all of it, so every engine that lists a table's folder (Athena, Spectrum, crawlers, COPY)
paid for every unrelated object in the bucket. This module keeps, per bucket store, the object
names sorted; a listing bisects to the prefix and reads only the keys under it.

The index stays exact without hooks into S3: a dict keeps insertion order and a new name always
goes to the end, and moto stores a fresh versions list when a name is (re)created. So the index is
current while the bucket holds as many names as it had and its last name still maps to the same
versions list; when names were only added, they are the ones after that last name (merged in);
anything else rebuilds the index (one sort). Overwriting an object changes no name, and sizes,
ETags and times are read from the live key at listing time.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from typing import Any


class NameIndex:
    """The names of one bucket's store, sorted, brought up to date at each listing."""

    def __init__(self, store: dict) -> None:
        self.lock = threading.Lock()
        self.names: list[str] = []
        self.length = 0
        self.last: str | None = None
        self.last_versions: Any = None
        self._rebuild(store)

    def _rebuild(self, store: dict) -> None:
        for _ in range(5):
            try:
                names = list(dict.keys(store))
                break
            except RuntimeError:  # changed while copied: try again
                continue
        else:
            names = list(dict(store))
        self.last = names[-1] if names else None
        self.last_versions = dict.get(store, self.last) if names else None
        self.length = len(names)
        names.sort()
        self.names = names

    def refresh(self, store: dict) -> None:
        length = len(store)
        if self.last is None:
            if length:
                self._rebuild(store)
            return
        if dict.get(store, self.last) is not self.last_versions:
            self._rebuild(store)
            return
        if length == self.length:
            try:
                if next(reversed(dict.keys(store))) == self.last:
                    return
            except (RuntimeError, StopIteration):
                pass
            self._rebuild(store)
            return
        added: list[str] = []
        try:
            for name in reversed(dict.keys(store)):
                if name == self.last:
                    break
                added.append(name)
        except RuntimeError:
            self._rebuild(store)
            return
        if length != self.length + len(added):  # some names went away as well: start again
            self._rebuild(store)
            return
        for name in reversed(added):
            bisect.insort(self.names, name)
        self.last = added[0] if added else self.last
        self.last_versions = dict.get(store, self.last)
        self.length = length

    def under(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self.names, prefix)
        out = []
        for name in self.names[start:]:
            if not name.startswith(prefix):
                break
            out.append(name)
        return out


_indexes: dict[int, tuple[Any, NameIndex]] = {}
_indexes_lock = threading.Lock()


def _index(store: dict) -> NameIndex:
    with _indexes_lock:
        entry = _indexes.get(id(store))
        if entry is None or entry[0]() is not store:
            for key in [k for k, (ref, _) in _indexes.items() if ref() is None]:
                del _indexes[key]
            entry = (weakref.ref(store), NameIndex(store))
            _indexes[id(store)] = entry
        return entry[1]


def names_under(store: dict, prefix: str) -> list[str]:
    """The names in a bucket's key store (moto's name -> versions dict) that start with ``prefix``, sorted."""
    index = _index(store)
    with index.lock:
        index.refresh(store)
        return index.under(prefix)


def latest_under(store: dict, prefix: str) -> list[tuple[str, Any]]:
    """``(name, key)`` of the current version of each object under ``prefix`` (delete markers left out), sorted."""
    found = []
    for name in names_under(store, prefix):
        versions = dict.get(store, name)
        key = versions[-1] if versions else None
        if key is None or getattr(key, "is_delete_marker", False):
            continue
        found.append((name, key))
    return found
