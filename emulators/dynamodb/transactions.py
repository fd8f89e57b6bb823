"""TransactWriteItems' ClientRequestToken as AWS honours it: for 10 minutes, a call with the same token and the
same TransactItems succeeds again without writing again; the same token with other TransactItems answers
IdempotentParameterMismatchException (moto ran every call and accepted any)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

from emulators.core.errors import ServiceError
from emulators.core.moto_coupling import Request

TOKEN_LIFETIME = 600.0
_call = threading.local()  # the token and digest of the request being answered on this thread


def _tokens(backend: Any) -> dict[str, tuple[str, float]]:
    if getattr(backend, "sandbox_transaction_tokens", None) is None:
        backend.sandbox_transaction_tokens = {}
    return backend.sandbox_transaction_tokens


def check_token(backend: Any, request: Request) -> None:
    """Before moto answers TransactWriteItems: refuse a token reused with other items, mark a replay."""
    _call.pending = None
    token = request.get("ClientRequestToken")
    if not token:
        return
    digest = hashlib.sha256(json.dumps(request.get("TransactItems"), sort_keys=True, default=str).encode()).hexdigest()
    now = time.time()
    tokens = _tokens(backend)
    for old in [t for t, (_, at) in tokens.items() if now - at > TOKEN_LIFETIME]:
        del tokens[old]
    earlier = tokens.get(token)
    if earlier is not None and earlier[0] != digest:
        raise ServiceError(f"ClientRequestToken {token} was used in the last 10 minutes with other TransactItems",
                           code="IdempotentParameterMismatchException")
    _call.pending = (token, digest, earlier is not None)


def is_replay() -> bool:
    pending = getattr(_call, "pending", None)
    return bool(pending and pending[2])


def committed(backend: Any) -> None:
    """The transaction of the current request was written: remember its token."""
    pending = getattr(_call, "pending", None)
    if pending and not pending[2]:
        _tokens(backend)[pending[0]] = (pending[1], time.time())


def forget() -> None:
    _call.pending = None
