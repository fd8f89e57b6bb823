"""Typed ports: the one way a service asks another service for work.

Services never import each other. A service that offers work to others
provides a port when its provider installs (``ports.invoke_lambda.provide(fn)``);
a service that needs the work calls the port (``ports.invoke_lambda(arn, payload,
account, region)``). When the providing service is not installed (its engine
failed to load), the call raises :class:`PortUnavailable`, which callers turn into
the AWS error their own API would give, so one broken engine never takes another
service down at import time.

Each port is declared here once, with the signature its provider implements, so
the graph of who-needs-whom is visible in one file instead of in imports hidden
inside functions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class PortUnavailable(RuntimeError):
    """The service that provides a port is not installed in this cloud."""


class NotFoundThroughPort(LookupError):
    """What a port was asked for does not exist (a plain exception, so engines can catch it without moto);
    the calling service words it as its own API does."""


class Port(Generic[F]):
    """A named slot for one function that a service provides to the others."""

    def __init__(self, name: str, provider: str, doc: str) -> None:
        self.name, self.provider, self.__doc__ = name, provider, doc
        self._fn: F | None = None
        self._lock = threading.Lock()

    def provide(self, fn: F) -> F:
        """Register the implementation (called by the providing service's ``install``)."""
        with self._lock:
            self._fn = fn
        return fn

    def withdraw(self) -> None:
        with self._lock:
            self._fn = None

    @property
    def available(self) -> bool:
        return self._fn is not None

    @property
    def call(self) -> F:
        """The implementation, typed as declared (raises :class:`PortUnavailable` if none)."""
        fn = self._fn
        if fn is None:
            raise PortUnavailable(f"{self.name}: the {self.provider} engine is not installed in this sandbox")
        return fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<port {self.name} ({'provided' if self.available else 'not provided'} by {self.provider})>"


# -- the ports ---------------------------------------------------------------------------


class InvokeLambda(Protocol):
    def __call__(self, function: str, event: Any, account: str, region: str) -> tuple[bytes, str | None]:
        """Invoke a function synchronously: ``(payload, function_error)``; raises the Lambda API's AwsError."""


class EmitEvent(Protocol):
    def __call__(self, account: str, region: str, source: str, detail_type: str, detail: dict[str, Any],
                 resources: list[str] | None = None) -> None:
        """Put an AWS service event on the default EventBridge bus (in the background; safe under the lock)."""


class AcceptFirehoseRecords(Protocol):
    def __call__(self, account: str, region: str, stream_name: str, records: list[bytes]) -> None:
        """Buffer records into a Firehose stream as ``PutRecordBatch`` would."""


class PutKinesisRecords(Protocol):
    def __call__(self, account: str, region: str, stream_arn: str, records: list[tuple[str, bytes]]) -> None:
        """Put ``(partition key, data)`` records into a Kinesis data stream, in order, as ``PutRecord`` would
        (DynamoDB's Kinesis streaming destination); raises the Kinesis API's AwsError (an unknown stream)."""


class RedshiftSql(Protocol):
    def __call__(self, account: str, region: str, cluster: str, database: str, sql: str) -> None:
        """Run one statement (a Firehose ``COPY``) in a provisioned cluster's database; raises on failure."""


class GlueCatalogPort(Protocol):
    def __call__(self, account: str, region: str) -> Any:
        """The Glue Data Catalog of an account and region as the query engines read it: an object with the
        Athena engine's ``Catalog`` methods (``get_table``, ``get_partitions``, ``create_database``, ...)
        and ``account_id`` / ``region`` attributes."""


class LakeTableDataset(Protocol):
    def __call__(self, account: str, region: str, database: str, table: str) -> Any:
        """A Glue catalog table as a ``pyarrow.dataset.Dataset`` over its files in S3 (partitions as
        columns, filters pruning files), as Athena reads it; raises ``errors.NotFound`` when the table
        does not exist or cannot be read."""


class StartWorkflowForEvent(Protocol):
    def __call__(self, account: str, region: str, workflow: str, event_id: str) -> str | None:
        """Hand an EventBridge event to a Glue workflow whose starting trigger is of type EVENT: the new run's id
        when the event completes the trigger's batch (``EventBatchingCondition.BatchSize``), None while the batch
        waits; raises :class:`NotFoundThroughPort` when there is no such workflow or it has no EVENT trigger."""


invoke_lambda: Port[InvokeLambda] = Port("invoke_lambda", "Lambda", InvokeLambda.__call__.__doc__ or "")
emit_event: Port[EmitEvent] = Port("emit_event", "EventBridge", EmitEvent.__call__.__doc__ or "")
accept_firehose_records: Port[AcceptFirehoseRecords] = Port(
    "accept_firehose_records", "Firehose", AcceptFirehoseRecords.__call__.__doc__ or "")
put_kinesis_records: Port[PutKinesisRecords] = Port(
    "put_kinesis_records", "Kinesis", PutKinesisRecords.__call__.__doc__ or "")
redshift_sql: Port[RedshiftSql] = Port("redshift_sql", "Redshift", RedshiftSql.__call__.__doc__ or "")
glue_catalog: Port[GlueCatalogPort] = Port("glue_catalog", "Glue", GlueCatalogPort.__call__.__doc__ or "")
lake_table_dataset: Port[LakeTableDataset] = Port("lake_table_dataset", "Athena",
                                                  LakeTableDataset.__call__.__doc__ or "")
start_workflow_for_event: Port[StartWorkflowForEvent] = Port("start_workflow_for_event", "Glue",
                                                             StartWorkflowForEvent.__call__.__doc__ or "")

ALL_PORTS: list[Port[Any]] = [invoke_lambda, emit_event, accept_firehose_records, put_kinesis_records,
                              redshift_sql, glue_catalog, lake_table_dataset, start_workflow_for_event]


def register(port: Port[Any]) -> Port[Any]:
    """Add a port declared elsewhere in core (kept in :data:`ALL_PORTS` so shutdown withdraws it)."""
    ALL_PORTS.append(port)
    return port


def withdraw_all() -> None:
    """Forget every implementation (the cloud that provided them has stopped)."""
    for port in ALL_PORTS:
        port.withdraw()
