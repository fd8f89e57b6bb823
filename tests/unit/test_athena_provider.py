"""Athena's provider helpers alone (no server)."""

from __future__ import annotations

import contextlib

from emulators.athena import provider
from emulators.athena.engine.sql import _referenced_tables


class _Store:
    """Just enough of the state store: a shared lock that records its holders, and mark_dirty's calls."""

    def __init__(self) -> None:
        self.held = 0
        self.marked: list[tuple[bool, int]] = []
        store = self

        class Lock:
            @contextlib.contextmanager
            def shared(self):
                store.held += 1
                try:
                    yield
                finally:
                    store.held -= 1

        self.lock = Lock()

    def mark_dirty(self, include_s3: bool = True) -> None:
        self.marked.append((include_s3, self.held))


class _Cloud:
    def __init__(self) -> None:
        self.store = _Store()


def test_an_execution_change_marks_the_state_changed_but_not_s3():
    # marking S3 changed made the next snapshot pickle the whole lake after every query
    cloud = _Cloud()
    with provider._changing_execution(cloud):
        assert cloud.store.held == 1  # under the state lock, as a request's change is
    assert cloud.store.marked == [(False, 1)]  # marked inside the lock, S3 left alone


def test_referenced_tables_are_cached_per_statement_and_handed_out_as_fresh_lists():
    sql = 'SELECT * FROM orders o JOIN "sales"."customers" c ON o.id = c.id'
    first = _referenced_tables(sql, "shop")
    assert sorted(first) == [("sales", "customers"), ("shop", "orders")]
    first.append(("x", "y"))  # a caller's change does not reach the cache
    assert sorted(_referenced_tables(sql, "shop")) == [("sales", "customers"), ("shop", "orders")]
    assert sorted(_referenced_tables(sql, "other")) == [("other", "orders"), ("sales", "customers")]
