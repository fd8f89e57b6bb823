"""Paging with AWS's contract: an opaque ``NextToken`` that only this listing gave out.

Every list operation the sandbox answers itself pages through :func:`page`.
A token is the base64 of ``<listing>:<offset>``, so a token from another
listing, a hand-made one or a garbled one is refused with the service's own
error (``InvalidNextTokenException``, ``ValidationException``, ...), never an
``InternalFailure``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from emulators.core.errors import AwsError, InvalidInput

T = TypeVar("T")


def encode_token(listing: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{listing}:{offset}".encode()).decode().rstrip("=")


def _read_token(token: str) -> tuple[str, int] | None:
    """(listing, offset) of one of our tokens; None for anything else."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        name, _, offset = text.rpartition(":")
        value = int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (name, value) if value >= 0 else None


def decode_token(token: str, listing: str) -> int | None:
    """The offset inside ``listing`` that ``token`` names, or None when it is not one of ours."""
    read = _read_token(token)
    return read[1] if read is not None and read[0] == listing else None


def token_listing(token: str, prefix: str) -> str | None:
    """The listing ``token`` was given out for, when it is one of ours and its listing starts with ``prefix``.

    For list operations whose next-page requests carry the token alone (Kinesis ListShards names
    neither the stream nor the filter again): the listing holds that scope, the operation reads it
    back from the token, and :func:`page` then checks the token against it as for any listing.
    """
    read = _read_token(str(token))
    return read[0] if read is not None and read[0].startswith(prefix) else None


def page(items: Sequence[T], next_token: str | None, max_results: Any, *, listing: str,
         default_size: int = 100, max_size: int | None = None,
         token_error: type[AwsError] | str = "ValidationException",
         size_error: type[AwsError] | str = "ValidationException") -> tuple[list[T], str | None]:
    """One page of ``items`` and the token of the next page (None on the last page).

    ``listing`` names the list operation (and its scope, e.g. ``glue:get_tables:db``)
    so a token cannot be replayed against another listing. ``max_results`` may be a
    string as the query protocol sends it. A bad token or size raises the AWS error
    given (a class of :mod:`emulators.core.errors` or a code for :class:`InvalidInput`).
    """
    size = default_size
    if max_results not in (None, ""):
        try:
            size = int(max_results)
        except (TypeError, ValueError):
            raise _error(size_error, f"Invalid MaxResults {max_results!r}: it must be a whole number") from None
        if size < 1 or (max_size is not None and size > max_size):
            bound = f" and at most {max_size}" if max_size is not None else ""
            raise _error(size_error, f"Invalid MaxResults {size}: it must be at least 1{bound}")
    start = 0
    if next_token:
        offset = decode_token(str(next_token), listing)
        if offset is None:
            raise _error(token_error, "The NextToken is not valid: pass back the token the previous page returned, "
                                      "unchanged, to the same operation with the same parameters")
        start = offset
    end = start + size
    return list(items[start:end]), (encode_token(listing, end) if end < len(items) else None)


def _error(kind: type[AwsError] | str, message: str) -> AwsError:
    if isinstance(kind, str):
        return InvalidInput(message, code=kind)
    return kind(message)
