"""The Athena listing index over moto's bucket store: exact after adds, deletes and re-creations."""

from __future__ import annotations

import datetime
import random

from moto.s3.models import _VersionedKeyStore

from emulators.athena.listing import IndexedLake


class Key:
    def __init__(self, name: str) -> None:
        self.size, self.etag, self.last_modified = len(name), '"e"', datetime.datetime(2024, 1, 1)

    def dispose(self) -> None:
        pass


class Bucket:
    def __init__(self) -> None:
        self.keys = _VersionedKeyStore()


class Backend:
    def __init__(self) -> None:
        self.buckets = {"b": Bucket()}

    def get_bucket(self, name: str) -> Bucket:
        return self.buckets[name]


class Lake:
    def __init__(self) -> None:
        self.backend = Backend()

    def _backend(self) -> Backend:
        return self.backend

    def list(self, bucket: str, prefix: str = ""):
        raise AssertionError("the index answers listings of the in-process S3")


def names(lake, prefix):
    return [o.key for o in lake.list("b", prefix)]


def test_listing_follows_every_change_of_the_bucket():
    plain = Lake()
    store = plain.backend.buckets["b"].keys
    lake = IndexedLake(plain)
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
            assert names(lake, "t/") == sorted(n for n in expected if n.startswith("t/"))
    assert names(lake, "") == sorted(expected)


def test_a_listing_reads_only_the_prefix():
    plain = Lake()
    store = plain.backend.buckets["b"].keys
    for i in range(20000):
        store[f"other/{i:06d}"] = Key("x")
    store["table/a.parquet"] = Key("a")
    lake = IndexedLake(plain)
    assert names(lake, "table/") == ["table/a.parquet"]
    store["table/b.parquet"] = Key("b")
    assert names(lake, "table/") == ["table/a.parquet", "table/b.parquet"]
