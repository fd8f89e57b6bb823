"""DuckDB connections that run a learner's SQL are locked inside the sandbox.

Athena, Redshift, S3 Select and Kinesis Analytics all run user SQL on DuckDB.
Lake data reaches those connections as registered Arrow datasets, and the
Redshift warehouse file is opened before the lock, so nothing they need reads a
host path. :func:`lock_down` then switches off everything that could: file and
network access (``read_csv('/etc/passwd')``, ``COPY ... TO``, ``ATTACH``,
``EXPORT DATABASE``, ``glob``), extension installs and autoloading, and locks the
configuration so the SQL cannot switch any of it back on.
"""

from __future__ import annotations

from typing import Any

LOCKING_STATEMENTS = (
    "SET autoinstall_known_extensions=false",
    "SET autoload_known_extensions=false",
    "SET enable_external_access=false",
    "SET lock_configuration=true",
)


class MultipleStatements(ValueError):
    """The text holds more than one SQL statement where the service runs exactly one."""


def lock_down(con: Any) -> Any:
    """Lock ``con`` (a DuckDB connection) so the SQL it runs cannot reach beyond the sandbox."""
    for statement in LOCKING_STATEMENTS:
        con.execute(statement)
    return con


def statement_count(con: Any, sql: str) -> int:
    """How many statements DuckDB parses in ``sql`` (a parse error counts as one: it fails later, clearly)."""
    try:
        return len(con.extract_statements(sql))
    except Exception:
        return 1


def require_single_statement(con: Any, sql: str, message: str) -> None:
    if statement_count(con, sql) > 1:
        raise MultipleStatements(message)
