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
from collections.abc import Callable
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
                plain = list(dict.keys(store))
                packed = _packed_names(store)
                break
            except RuntimeError:  # changed while copied: try again
                continue
        else:
            plain, packed = list(dict(store)), _packed_names(store)
        self.last = plain[-1] if plain else None
        self.last_versions = dict.get(store, self.last) if plain else None
        names = set(plain)
        names.update(packed)
        self.length = len(store)
        self.names = sorted(names)

    def _holds(self, name: str) -> bool:
        at = bisect.bisect_left(self.names, name)
        return at < len(self.names) and self.names[at] == name

    def refresh(self, store: dict) -> None:
        """Bring the index up to date: the names added since the last refresh are the ones after the
        last name seen (a restored store also appends the names it unpacks, which the index holds)."""
        if self.last is not None and dict.get(store, self.last) is not self.last_versions:
            self._rebuild(store)  # the newest name went away or was created again
            return
        length = len(store)
        added: list[str] = []
        try:
            for name in reversed(dict.keys(store)):
                if name == self.last:
                    break
                added.append(name)
        except RuntimeError:
            self._rebuild(store)
            return
        new = [name for name in added if not self._holds(name)]
        if length != self.length + len(new):  # some names went away as well: start again
            self._rebuild(store)
            return
        for name in reversed(new):
            bisect.insort(self.names, name)
        if added:
            self.last = added[0]
            self.last_versions = dict.get(store, self.last)
        self.length = length

    def under(self, prefix: str) -> list[str]:
        return list(self.from_position(prefix))

    def from_position(self, prefix: str, after: str = "") -> Any:
        """The names starting with ``prefix`` that sort after ``after`` (or at ``prefix`` itself), in order."""
        names = self.names
        if after and after >= prefix:
            at = bisect.bisect_right(names, after)
        else:
            at = bisect.bisect_left(names, prefix)
        while at < len(names):
            name = names[at]
            if not name.startswith(prefix):
                return
            yield name
            at += 1


def _packed_names(store: dict) -> list[str]:
    """Names a restored store still holds packed (see ``packed_s3``): not in the dict until read."""
    names = getattr(store, "packed_names", None)
    return names() if names is not None else []


def versions_of(store: dict, name: str) -> Any:
    """The versions list moto keeps for ``name``, unpacking it first if the store holds it packed."""
    versions = dict.get(store, name)
    if versions is None:
        unpack = getattr(store, "versions_of", None)
        if unpack is not None:
            versions = unpack(name)
    return versions


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


def latest_under(store: dict, prefix: str, is_deleted: Callable[[Any], bool]) -> list[tuple[str, Any]]:
    """``(name, key)`` of the current version of each object under ``prefix``, sorted; names whose current
    version ``is_deleted`` (a delete marker) are left out."""
    found = []
    for name in names_under(store, prefix):
        versions = versions_of(store, name)
        key = versions[-1] if versions else None
        if key is None or is_deleted(key):
            continue
        found.append((name, key))
    return found


def _past(folder: str) -> str:
    """The smallest string after every name that starts with ``folder``."""
    last = ord(folder[-1])
    return folder[:-1] + chr(last + 1) if last < 0x10FFFF else folder + "\U0010ffff"


def list_page(store: dict, prefix: str, delimiter: str, after: str, max_items: int,
              is_deleted: Callable[[Any], bool]) -> tuple[list[tuple[str, Any]], bool]:
    """One page of an S3 listing, costing the page rather than the bucket.

    Items are ``(name, key)`` for an object's current version and ``(folder, None)`` for a common prefix
    (the names under ``prefix`` that hold ``delimiter`` after it, rolled up to the delimiter), in name
    order, at most ``max_items`` of both together, after ``after`` (a key or a common prefix; the names a
    common prefix rolls up come after it). Objects whose current version ``is_deleted`` are not listed, nor
    folders that hold only such. Returns the items and whether more follow."""
    if max_items <= 0:
        return [], False
    index = _index(store)
    out: list[tuple[str, Any]] = []
    with index.lock:
        index.refresh(store)
        names = index.names
        if after and after >= prefix:
            rolled = delimiter and after.startswith(prefix) and after.endswith(delimiter) \
                and after.find(delimiter, len(prefix)) == len(after) - len(delimiter)
            at = bisect.bisect_left(names, _past(after)) if rolled else bisect.bisect_right(names, after)
        else:
            at = bisect.bisect_left(names, prefix)
        while at < len(names):
            name = names[at]
            if not name.startswith(prefix):
                break
            versions = versions_of(store, name)
            if not versions or is_deleted(versions[-1]):
                at += 1
                continue
            if len(out) == max_items:
                return out, True
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            if cut < 0:
                out.append((name, versions[-1]))
                at += 1
            else:
                folder = name[:cut + len(delimiter)]
                out.append((folder, None))
                at = bisect.bisect_left(names, _past(folder), at)
    return out, False
