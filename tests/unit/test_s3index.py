"""The sorted name index over moto's bucket store (``emulators.core.s3index``): exact after adds, deletes
and re-creations, with keys a restore left packed, and S3 listing pages that match a brute-force model of
the ListObjectsV2 rules (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html)."""

from __future__ import annotations

import datetime
import pickle
import random

from moto.s3.utils import _VersionedKeyStore

from emulators.core import s3index
from emulators.core.packed_s3 import LazyKeyStore, restore_key_store


class Key:
    def __init__(self, name: str) -> None:
        self.name = name
        self.size, self.etag, self.last_modified = len(name), '"e"', datetime.datetime(2024, 1, 1)

    def dispose(self) -> None:
        pass


class Marker(Key):
    """A delete marker: the name's current version says it is deleted."""


def is_marker(version) -> bool:
    return isinstance(version, Marker)


def names(store, prefix):
    return [name for name, _ in s3index.latest_under(store, prefix, is_marker)]


def test_listing_follows_every_change_of_the_bucket():
    store = _VersionedKeyStore()
    rng = random.Random(7)
    expected: set[str] = set()
    for step in range(3000):
        action = rng.random()
        if action < 0.6 or not expected:
            name = f"{rng.choice(['t/', 'u/', 't/x/'])}{rng.randrange(400):04d}"
            store[name] = Key(name)
            expected.add(name)
        elif action < 0.9:
            name = rng.choice(sorted(expected))
            store.pop(name)
            expected.discard(name)
        else:  # delete the newest name and create it again (the case a length check alone misses)
            name = next(reversed(dict.keys(store)))
            store.pop(name)
            other = f"t/new-{step}"
            store[other] = Key(other)
            store[name] = Key(name)
            expected.add(other)
        if step % 7 == 0:
            assert names(store, "t/") == sorted(n for n in expected if n.startswith("t/"))
    assert names(store, "") == sorted(expected)


def test_a_prefix_that_is_a_whole_key_lists_that_key():
    store = _VersionedKeyStore()
    for name in ("code/p.py", "code/p.pyc", "code/q.py"):
        store[name] = Key(name)
    assert names(store, "code/p.py") == ["code/p.py", "code/p.pyc"]
    assert [n for n, _ in s3index.list_page(store, "code/p.py", "/", "", 10, is_marker)[0]] == ["code/p.py",
                                                                                                "code/p.pyc"]


def test_a_listing_reads_only_the_prefix():
    store = _VersionedKeyStore()
    for i in range(20000):
        store[f"other/{i:06d}"] = Key("x")
    store["table/a.parquet"] = Key("a")
    assert names(store, "table/") == ["table/a.parquet"]
    store["table/b.parquet"] = Key("b")
    assert names(store, "table/") == ["table/a.parquet", "table/b.parquet"]


def packed(names_in_order: list[str], per_chunk: int = 50) -> LazyKeyStore:
    """A store as a restore leaves it: every key still pickled, ``per_chunk`` keys a chunk."""
    chunks = []
    for start in range(0, len(names_in_order), per_chunk):
        part = names_in_order[start:start + per_chunk]
        chunks.append((tuple(part), pickle.dumps({n: [Key(n)] for n in part}), ()))
    return restore_key_store(chunks)


def test_keys_a_restore_left_packed_are_listed_and_only_their_chunks_unpacked():
    all_names = [f"lake/{i:05d}" for i in range(1000)] + [f"table/{i:03d}" for i in range(100)]
    store = packed(all_names)
    assert names(store, "table/") == [f"table/{i:03d}" for i in range(100)]
    assert dict.__len__(store) == 100  # the two chunks of table/ unpacked, the twenty of lake/ still packed
    store["table/new"] = Key("table/new")
    store.pop("lake/00007")  # unpacks lake/'s first chunk
    assert names(store, "table/")[-1] == "table/new"
    assert len(names(store, "lake/")) == 999 and "lake/00007" not in names(store, "lake/")


def reference_page(live: dict[str, object], prefix: str, delimiter: str, after: str, max_items: int):
    """ListObjectsV2 by the letter: every current key under the prefix, rolled up at the delimiter,
    sorted, the ones after ``after`` (a rolled-up prefix also hides the keys it rolls up), cut at
    ``max_items``."""
    entries: dict[str, object] = {}
    for name, version in live.items():
        if not name.startswith(prefix) or is_marker(version):
            continue
        cut = name.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            entries[name[:cut + len(delimiter)]] = None
        else:
            entries[name] = version
    ordered = sorted(entries)
    if after:
        ordered = [e for e in ordered if e > after and not (entries.get(after, 0) is None and e.startswith(after))]
    return [(e, entries[e]) for e in ordered[:max_items]], len(ordered) > max_items


def test_pages_match_the_listing_rules_for_prefixes_delimiters_markers_and_deletes():
    rng = random.Random(11)
    parts = ["a", "b", "a/", "b/", "c-", "/", "x"]
    live: dict[str, object] = {}
    store = packed([])
    for step in range(1500):
        name = "".join(rng.choice(parts) for _ in range(rng.randrange(1, 6)))
        if rng.random() < 0.2 and live:
            name = rng.choice(sorted(live))
            store[name] = Marker(name)  # a versioned delete: the marker is the current version
        else:
            store[name] = Key(name)
        live[name] = store[name]
        if step % 25:
            continue
        prefix = rng.choice(["", "a", "a/", "b/", "ab"])
        delimiter = rng.choice(["", "/", "-"])
        max_items = rng.choice([1, 2, 5, 1000])
        after, pages = "", 0
        while True:  # page through as a paginator would, resuming after the last item shown
            got, more = s3index.list_page(store, prefix, delimiter, after, max_items, is_marker)
            want, want_more = reference_page(live, prefix, delimiter, after, max_items)
            assert [(n, v is None) for n, v in got] == [(n, v is None) for n, v in want]
            assert more == want_more
            if not more:
                break
            after, pages = got[-1][0], pages + 1
            assert pages < 2000
