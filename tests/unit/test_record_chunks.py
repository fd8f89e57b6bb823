"""A Kinesis shard's records are pickled in chunks that the next snapshot reuses while they are unchanged, and
restore to the same ordered records."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections import OrderedDict

from emulators.core.record_chunks import RECORDS_PER_CHUNK, RecordChunks, restore_shard


class _Record:
    def __init__(self, n: int) -> None:
        self.n = n


def _pickle_counting(counter: list[int]):
    def pickle_part(part):
        counter.append(len(part))
        return pickle.dumps(part)
    return pickle_part


def test_only_the_chunk_that_changed_is_pickled_again():
    records = OrderedDict((i, _Record(i)) for i in range(1, 2 * RECORDS_PER_CHUNK + 11))
    cache, pickled = RecordChunks(), []
    cache.begin()
    first = cache.chunks(records, _pickle_counting(pickled))
    cache.done(True)
    assert pickled == [RECORDS_PER_CHUNK, RECORDS_PER_CHUNK, 10]

    records[len(records) + 1] = _Record(len(records) + 1)  # appended, as a PutRecord does
    pickled.clear()
    cache.begin()
    second = cache.chunks(records, _pickle_counting(pickled))
    cache.done(True)
    assert pickled == [11]  # the last chunk only
    assert second[0] is first[0] and second[1] is first[1] and second[2] != first[2]

    records[5] = _Record(5)  # another object under an old sequence number: its chunk is pickled again
    pickled.clear()
    cache.begin()
    cache.chunks(records, _pickle_counting(pickled))
    cache.done(False)  # the service's pickle failed: the chunks of the last good one stay the reference
    assert pickled == [RECORDS_PER_CHUNK]
    pickled.clear()
    cache.begin()
    cache.chunks(records, _pickle_counting(pickled))
    assert pickled == [RECORDS_PER_CHUNK]


def test_a_shard_restores_with_its_records_in_order():
    class Shard:
        pass

    chunks = [pickle.dumps({3: "c", 1: "a"}), pickle.dumps({2: "b"})]
    shard = restore_shard(Shard, {"is_open": True, "parent": None}, chunks)
    assert shard.is_open is True and shard.parent is None
    assert isinstance(shard.records, OrderedDict) and list(shard.records.items()) == [(3, "c"), (1, "a"), (2, "b")]


STREAM = r"""
import base64, sys
from pathlib import Path
from emulators.core import moto_coupling
from emulators.core.persistence import StateStore
from emulators.core.record_chunks import RECORDS_PER_CHUNK

folder, step = Path(sys.argv[1]), sys.argv[2]
store = StateStore(folder)
count = 2 * RECORDS_PER_CHUNK + 5
if step == "write":
    kinesis = moto_coupling.backend_for("kinesis")
    kinesis.create_stream("clicks", 1)
    stream = kinesis.streams["clicks"]
    for i in range(count):
        stream.put_record(f"k{i}", None, base64.b64encode(f"event {i}".encode()).decode())
    store.mark_dirty(include_s3=False)
    store.snapshot()
    before = store._record_chunks["kinesis"].previous
    (records, chunks), = before.values()
    stream.put_record("last", None, base64.b64encode(b"event last").decode())
    store.mark_dirty(include_s3=False)
    store.snapshot()
    (again, after), = store._record_chunks["kinesis"].previous.values()
    assert again is records and len(after) == 3
    assert after[0][2] is chunks[0][2] and after[1][2] is chunks[1][2]  # the full chunks were reused
    assert after[2][2] is not chunks[2][2]
else:
    store.restore()
    shard = next(iter(moto_coupling.backend_for("kinesis").streams["clicks"].shards.values()))
    data = [base64.b64decode(r.data).decode() for r in shard.records.values()]
    assert data == [f"event {i}" for i in range(count)] + ["event last"], data[-3:]
    assert list(shard.records) == sorted(shard.records) and len(shard.records) == count + 1
print("ok")
"""


def test_stream_records_survive_a_restart_and_unchanged_chunks_are_not_pickled_again(tmp_path):
    for step in ("write", "restore"):
        done = subprocess.run([sys.executable, "-c", STREAM, str(tmp_path), step], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
