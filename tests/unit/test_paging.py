"""``core/paging``: opaque tokens bound to their listing."""

from __future__ import annotations

import pytest

from emulators.core import paging
from emulators.core.errors import InvalidInput

SHARDS = 'kinesis:list_shards:["arn:aws:kinesis:us-east-1:123456789012:stream/s",null,null]'


def test_a_token_is_good_for_its_own_listing_only():
    first, token = paging.page(list(range(5)), None, 2, listing=SHARDS)
    assert first == [0, 1] and paging.decode_token(token, SHARDS) == 2
    assert paging.page(list(range(5)), token, 2, listing=SHARDS) == ([2, 3], paging.encode_token(SHARDS, 4))
    with pytest.raises(InvalidInput) as exc:
        paging.page(list(range(5)), token, 2, listing="glue:get_tables:db", token_error="InvalidInputException")
    assert exc.value.code == "InvalidInputException"


def test_a_token_names_its_listing_for_operations_whose_next_call_carries_the_token_alone():
    token = paging.encode_token(SHARDS, 2)
    assert paging.token_listing(token, "kinesis:list_shards:") == SHARDS
    assert paging.token_listing(token, "glue:") is None  # another operation's prefix
    assert paging.token_listing(paging.encode_token(SHARDS, 0), "kinesis:") == SHARDS
    for bad in ("!!", "garbled", paging.encode_token(SHARDS, 0)[:-3], ""):
        assert paging.token_listing(bad, "kinesis:") is None
