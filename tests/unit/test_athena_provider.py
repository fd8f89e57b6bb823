"""Athena's provider helpers alone (no server)."""

from __future__ import annotations

from emulators.athena.engine.sql import _referenced_tables


def test_referenced_tables_are_cached_per_statement_and_handed_out_as_fresh_lists():
    sql = 'SELECT * FROM orders o JOIN "sales"."customers" c ON o.id = c.id'
    first = _referenced_tables(sql, "shop")
    assert sorted(first) == [("sales", "customers"), ("shop", "orders")]
    first.append(("x", "y"))  # a caller's change does not reach the cache
    assert sorted(_referenced_tables(sql, "shop")) == [("sales", "customers"), ("shop", "orders")]
    assert sorted(_referenced_tables(sql, "other")) == [("other", "orders"), ("sales", "customers")]
