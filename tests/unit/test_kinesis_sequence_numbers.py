"""A shard's first and last sequence numbers come from the ends of its ordered records, not from a list of all
of them (moto listed every sequence number on each PutRecord, so a put cost what the shard held)."""

from __future__ import annotations

import base64

from emulators.core import moto_coupling


def test_the_ends_of_a_shard_are_its_first_and_last_records():
    moto_coupling.speed_up_kinesis_sequence_lookups()
    moto_coupling.speed_up_kinesis_sequence_lookups()  # a second install changes nothing
    shard = moto_coupling.model_class("kinesis", "Shard")(0, 0, 2**128 - 1)
    assert (shard.get_min_sequence_number(), shard.get_max_sequence_number()) == (0, 0)
    numbers = [int(shard.put_record(f"k{i}", base64.b64encode(b"x").decode(), None)) for i in range(50)]
    assert numbers == list(range(1, 51))  # each put is the last number plus one, as before
    assert shard.get_min_sequence_number() == list(shard.records)[0] == 1
    assert shard.get_max_sequence_number() == list(shard.records)[-1] == 50
    del shard.records[1]  # the oldest record gone: the next one is the first
    assert shard.get_min_sequence_number() == 2


def test_get_records_answers_as_moto_s_walk_from_the_first_record():
    moto_coupling.speed_up_kinesis_sequence_lookups()
    shard_class = moto_coupling.model_class("kinesis", "Shard")
    shard = shard_class(0, 0, 2**128 - 1)
    assert shard.get_records("0", 10) == ([], 0, 0)
    for i in range(30):
        shard.put_record(f"k{i}", base64.b64encode(b"%d" % i).decode(), None)
    cases = [("0", None), ("0", 10), ("5", 10), ("25", 10), ("30", 10), ("99", 5), ("0", 0), ("12", 1)]
    for last, limit in cases:
        got = shard.get_records(last, limit)
        expected = _moto_walk(shard, last, limit)
        assert ([r.sequence_number for r in got[0]], got[1]) == ([r.sequence_number for r in expected[0]],
                                                                 expected[1]), (last, limit)
        assert abs(got[2] - expected[2]) <= 1
    del shard.records[10]  # a gap: moto's own walk answers
    assert [r.sequence_number for r in shard.get_records("8", 3)[0]] == [9, 11, 12]


def _moto_walk(shard, last_sequence_id, limit):
    """moto's GetRecords, as written in moto.kinesis.models.Shard.get_records."""
    last, results, behind = int(last_sequence_id), [], 0.0
    for number, record in shard.records.items():
        if number > last:
            results.append(record)
            last = number
            behind = shard.records[next(reversed(shard.records))].created_at - record.created_at
        if len(results) == limit:
            break
    return results, last, int(behind * 1000)
