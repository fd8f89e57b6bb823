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
