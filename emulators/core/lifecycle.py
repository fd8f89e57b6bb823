"""Typed lifecycle hooks: what each service does when it installs, after a restore, on reset, at shutdown
and periodically, declared per service.

A provider module declares its hooks in one of two ways:

- ``LIFECYCLE = ServiceLifecycle(install=..., after_restore=(...), reset=(...), shutdown=(...),
  periodic=(Periodic(2.0, tick, "name"),))``, a typed declaration the installer reads; or
- ``install(cloud)``, which calls the cloud's ``after_restore(fn)``, ``on_reset(fn)``,
  ``on_shutdown(fn)`` and ``every(seconds, fn)``. Those methods are thin adapters: each files the
  callback under the service whose install is running in this thread, so both ways end in the same
  :class:`ServiceHooks` record.

:class:`Lifecycle` keeps the records of the installed services and runs them (after restore once per
service, right after its install; reset and shutdown for every installed service; periodic tasks on
the cloud's periodic loop). It also holds the process's running cloud (:func:`current_cloud`), which the
server sets at start and clears at shutdown; this module imports nothing of the server or the registry,
so neither imports the other through it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("emulators.lifecycle")

Hook = Callable[[], Any]

# -- the running cloud -------------------------------------------------------------------------

_current: Any = None


def current_cloud() -> Any:
    """The cloud this process serves (providers call this from moto backends and engines)."""
    cloud = _current
    if cloud is None:
        raise RuntimeError("no embedded cloud is running in this process")
    return cloud


def running_cloud() -> Any:
    """The cloud this process serves, or None (engines run without one in unit tests)."""
    return _current


@contextmanager
def outside_state_lock() -> Iterator[None]:
    """Let go of this thread's hold on the running cloud's state lock for a while (nothing without a cloud).

    For a request that waits on work which takes long or calls back into the sandbox (a Lambda handler, a
    model's inference code, a query, an S3 Select scan): while a request holds the lock, a snapshot waiting
    for it holds every new request, so the sandbox stalls for as long as the work runs, or for good when
    the work itself sends a request."""
    cloud = _current
    if cloud is None:
        yield
        return
    with cloud.store.lock.released():
        yield


def set_current_cloud(cloud: Any) -> None:
    global _current
    _current = cloud


def clear_current_cloud(cloud: Any) -> None:
    """Forget ``cloud`` as the running one (only if it still is: a newer cloud keeps its place)."""
    global _current
    if _current is cloud:
        _current = None


# -- declarations ------------------------------------------------------------------------------


@dataclass
class Periodic:
    """Work to call every ``interval`` seconds while the cloud runs (never two runs at once)."""

    interval: float
    fn: Hook
    name: str = ""
    next_run: float = 0.0
    running: bool = False

    def __post_init__(self) -> None:
        self.name = self.name or getattr(self.fn, "__name__", "periodic")
        self.next_run = self.next_run or time.monotonic() + self.interval


@dataclass(frozen=True)
class ServiceLifecycle:
    """A provider's typed declaration (module attribute ``LIFECYCLE``)."""

    install: Callable[[Any], None] | None = None
    after_restore: tuple[Hook, ...] = ()
    reset: tuple[Hook, ...] = ()
    shutdown: tuple[Hook, ...] = ()
    periodic: tuple[Periodic, ...] = ()


@dataclass
class ServiceHooks:
    """The hooks one installed service (provider module) registered."""

    service: str
    after_restore: list[Hook] = field(default_factory=list)
    reset: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    periodic: list[Periodic] = field(default_factory=list)

    def take(self, declared: ServiceLifecycle) -> None:
        self.after_restore.extend(declared.after_restore)
        self.reset.extend(declared.reset)
        self.shutdown.extend(declared.shutdown)
        self.periodic.extend(declared.periodic)


CORE = "core"  # hooks registered outside any service's install


class Lifecycle:
    """The hooks of every installed service, and the order to run them in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, ServiceHooks] = {}
        self._local = threading.local()

    # -- registering ---------------------------------------------------------
    @contextmanager
    def installing(self, service: str) -> Iterator[ServiceHooks]:
        """Callbacks the cloud receives in this thread inside the block belong to ``service``."""
        hooks = self.hooks(service)
        previous = getattr(self._local, "service", None)
        self._local.service = service
        try:
            yield hooks
        finally:
            self._local.service = previous

    def hooks(self, service: str | None = None) -> ServiceHooks:
        """The record of ``service`` (default: the one installing in this thread, else the core's)."""
        service = service or getattr(self._local, "service", None) or CORE
        with self._lock:
            if service not in self._services:
                self._services[service] = ServiceHooks(service)
            return self._services[service]

    def services(self) -> list[ServiceHooks]:
        with self._lock:
            return list(self._services.values())

    def forget(self, service: str) -> None:
        """Drop a service's hooks (its install failed half-way)."""
        with self._lock:
            self._services.pop(service, None)

    # -- running -------------------------------------------------------------
    def periodic_tasks(self) -> list[Periodic]:
        return [task for hooks in self.services() for task in hooks.periodic]

    def run_after_restore(self, service: str) -> None:
        _run_all(self.hooks(service).after_restore, f"after-restore hook of {service}")

    def run_reset(self) -> None:
        for hooks in self.services():
            _run_all(hooks.reset, f"reset hook of {hooks.service}")

    def run_shutdown(self) -> None:
        for hooks in self.services():
            _run_all(hooks.shutdown, f"shutdown hook of {hooks.service}")


def _run_all(hooks: list[Hook], what: str) -> None:
    for fn in list(hooks):
        try:
            fn()
        except Exception:
            log.exception("%s (%s) failed", what, getattr(fn, "__name__", fn))
