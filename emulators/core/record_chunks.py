"""A Kinesis shard's records, pickled in chunks that later snapshots reuse while they are unchanged.

A shard keeps every record it was given (the sandbox does not expire them), in one ordered map of sequence
number to record. Pickled whole, a stream of 100,000 records cost about 450 ms a snapshot, once a second while
anything changed, under the lock every request waits for. Records are only appended (and a record is not
changed after the request that put it), so the map is pickled in chunks of :data:`RECORDS_PER_CHUNK`: a chunk
holding the same sequence numbers and the same record objects as in the last snapshot is written as the bytes it
had then, and only the newest chunk is pickled again. With 100,000 records a snapshot now takes about 60 ms,
most of it writing the file (``benchmarks/bench_streaming.py`` reports PutRecords with 60,000 to 80,000 records
stored).

The shard itself pickles as :func:`restore_shard` of its class, its other attributes and the chunks; a restore
builds the same ordered map from them.
"""

from __future__ import annotations

import operator
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

RECORDS_PER_CHUNK = 2000
SHARD_CLASS = ("moto.kinesis.models", "Shard")  # the class, by name: this module does not import moto


def is_shard_class(kind: type) -> bool:
    return kind.__name__ == SHARD_CLASS[1] and kind.__module__ == SHARD_CLASS[0]


class RecordChunks:
    """The chunks of the last snapshot that pickled a service, and those of the one in progress."""

    def __init__(self) -> None:
        # id(records map) -> (the map, [(sequence numbers, record objects, pickled bytes), ...])
        self.previous: dict[int, tuple[Any, list[tuple[tuple[Any, ...], tuple[Any, ...], bytes]]]] = {}
        self.current: dict[int, tuple[Any, list[tuple[tuple[Any, ...], tuple[Any, ...], bytes]]]] = {}

    def begin(self) -> None:
        self.current = {}

    def done(self, ok: bool) -> None:
        """The service's pickle is complete (``ok``): its chunks are the ones to compare with next time."""
        if ok:
            self.previous = self.current
        self.current = {}

    def chunks(self, records: Any, pickle_part: Callable[[dict[Any, Any]], bytes]) -> list[bytes]:
        """``records`` (an ordered map) as pickled chunks, each reused from the last snapshot when it holds the
        same sequence numbers and the same record objects; ``pickle_part`` pickles a changed one."""
        earlier = self.previous.get(id(records))
        earlier_chunks = earlier[1] if earlier is not None and earlier[0] is records else []
        keys, values = list(records), list(records.values())
        out, fresh = [], []
        for number, start in enumerate(range(0, len(keys), RECORDS_PER_CHUNK)):
            part_keys = tuple(keys[start:start + RECORDS_PER_CHUNK])
            part_values = tuple(values[start:start + RECORDS_PER_CHUNK])
            old = earlier_chunks[number] if number < len(earlier_chunks) else None
            if old is not None and old[0] == part_keys and all(map(operator.is_, old[1], part_values)):
                data = old[2]
            else:
                data = pickle_part(dict(zip(part_keys, part_values)))
            out.append(data)
            fresh.append((part_keys, part_values, data))
        self.current[id(records)] = (records, fresh)
        return out


def reduce_shard(shard: Any, cache: RecordChunks, pickle_part: Callable[[dict[Any, Any]], bytes]) -> tuple:
    """What a pickler's ``reducer_override`` answers for a shard: :func:`restore_shard` and its arguments."""
    state = dict(shard.__dict__)
    records = state.pop("records", None)
    chunks = cache.chunks(records, pickle_part) if records is not None else None
    return restore_shard, (type(shard), state, chunks)


def restore_shard(cls: type, state: dict[str, Any], chunks: list[bytes] | None) -> Any:
    shard = cls.__new__(cls)
    shard.__dict__.update(state)
    if chunks is not None:
        records: OrderedDict[Any, Any] = OrderedDict()
        for chunk in chunks:
            records.update(pickle.loads(chunk))
        shard.records = records
    return shard
