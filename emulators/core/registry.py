"""The list of service folders, read by the server (to install engines when their service is first
needed) and by ``sandbox services`` (to print the stand-in table). Importing a service folder is cheap:
moto and the engines are imported by its provider module only, and a provider is imported only when
:class:`ProviderInstaller` installs it. This module does not import the server."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from emulators.core import ports
from emulators.core.lifecycle import Lifecycle, ServiceLifecycle
from emulators.core.service import ServiceInfo

log = logging.getLogger("emulators.registry")

# Order is the order of `sandbox services`. A folder listed here that does not
# exist yet is skipped, so service work can land one folder at a time.
SERVICE_PACKAGES = [
    "s3",
    "kms",
    "iam",
    "kinesis",
    "dynamodb",
    "awslambda",
    "firehose",
    "kinesisanalytics",
    "glue",
    "athena",
    "redshift",
    "emr",
    "batch",
    "stepfunctions",
    "sagemaker",
    "cloudwatch",
    "events",
    "partial",
]


def _declarations() -> Iterator[tuple[str, ServiceInfo]]:
    for package in SERVICE_PACKAGES:
        try:
            module = importlib.import_module(f"emulators.{package}")
        except ModuleNotFoundError as exc:
            if exc.name == f"emulators.{package}":
                continue
            log.error("service folder emulators/%s cannot be imported: %s", package, exc)
            continue
        except Exception as exc:
            log.error("service folder emulators/%s cannot be imported: %s", package, exc)
            continue
        declared = getattr(module, "SERVICES", None) or ([module.SERVICE] if hasattr(module, "SERVICE") else [])
        if not declared:
            log.error("service folder emulators/%s declares no SERVICE", package)
        for info in declared:
            yield package, info


def service_infos() -> list[ServiceInfo]:
    return [info for _, info in _declarations()]


def declared_providers() -> list[str]:
    """Provider modules (``package.module``) in install order, each once."""
    names: list[str] = []
    for package, info in _declarations():
        name = f"{package}.{info.provider}"
        if info.provider and name not in names:
            names.append(name)
    return names


# moto's names for a service's backend where they differ from the API's name
_BACKEND_ALIASES = {"awslambda": "lambda"}


def _api_key(name: str) -> str:
    key = name.replace("-", "").replace("_", "").lower()
    return _BACKEND_ALIASES.get(key, key)


def providers_by_api() -> dict[str, list[str]]:
    """moto's service name (without dashes) -> the provider modules that serve it, in install order."""
    order = declared_providers()
    found: dict[str, list[str]] = {}
    for package, info in _declarations():
        if not info.provider:
            continue
        for api in info.api_names:
            names = found.setdefault(_api_key(api), [])
            name = f"{package}.{info.provider}"
            if name not in names:
                names.append(name)
    return {api: sorted(names, key=order.index) for api, names in found.items()}


# The provider a port's implementation comes from, tried first when the port is called before that
# provider installed (the others follow in install order until the port is provided).
PORT_PROVIDERS = {
    "invoke_lambda": ("awslambda.provider",),
    "emit_event": ("events.provider", "cloudwatch.provider"),
    "accept_firehose_records": ("firehose.provider",),
    "put_kinesis_records": ("kinesis.provider",),
}


class ProviderInstaller:
    """Installs provider modules when their service is first needed, each once, and files their hooks.

    A provider declares ``LIFECYCLE = ServiceLifecycle(...)`` or an ``install(cloud)`` that registers
    loose callbacks on the cloud; both end in the cloud's :class:`~emulators.core.lifecycle.Lifecycle`.
    A provider that fails to install is reported (``failed``: provider -> error) and the others still
    install, so one broken engine cannot take the whole cloud down; that service then answers with
    moto's plain behaviour. Once the state is restored, a provider's after-restore hooks run right after
    its install.
    """

    def __init__(self, cloud: Any, lifecycle: Lifecycle) -> None:
        self.cloud = cloud
        self.lifecycle = lifecycle
        self.order = declared_providers()
        self.by_api = providers_by_api()
        self.installed: list[str] = []
        self.failed: dict[str, str] = {}
        self.restored = False
        self._done: set[str] = set()
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()

    def for_api(self, api: str) -> list[str]:
        return self.by_api.get(_api_key(api), [])

    def ensure_api(self, api: str) -> None:
        """Install what serves one of moto's services (``s3``, ``sagemaker-runtime``); cheap once done."""
        names = self.by_api.get(_api_key(api))
        if names and not self._done.issuperset(names):
            self.ensure(names)

    def ensure_all(self) -> None:
        self.ensure(self.order)

    def ensure(self, names: list[str]) -> None:
        for name in sorted(set(names), key=self.order.index):
            self._install(name)

    def mark_restored(self) -> None:
        """The state is loaded: run the after-restore hooks of providers installed before (none, usually)."""
        self.restored = True
        for name in list(self.installed):
            self.lifecycle.run_after_restore(name)

    def _lock(self, name: str) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault(name, threading.RLock())

    def _install(self, name: str) -> None:
        if name in self._done:
            return
        with self._lock(name):
            if name in self._done:
                return
            try:
                module = importlib.import_module(f"emulators.{name}")
                declared = getattr(module, "LIFECYCLE", None)
                with self.lifecycle.installing(name) as hooks:
                    if isinstance(declared, ServiceLifecycle):
                        hooks.take(declared)
                        if declared.install is not None:
                            declared.install(self.cloud)
                    else:
                        module.install(self.cloud)
            except Exception as exc:
                log.exception("provider %s failed to install", name)
                self.failed[name] = f"{type(exc).__name__}: {exc}"
                self._done.add(name)
                return
            self.installed.append(name)
            self._done.add(name)
            log.info("installed provider %s", name)
        if self.restored:
            self.lifecycle.run_after_restore(name)

    def provide_ports_lazily(self) -> None:
        """Give every port nobody provides yet a stand-in that installs its provider on the first call."""
        for port in ports.ALL_PORTS:
            if not port.available:
                port.provide(self._lazy_port(port))

    def _lazy_port(self, port: ports.Port[Any]) -> Callable[..., Any]:
        def stand_in(*args: Any, **kwargs: Any) -> Any:
            preferred = [n for n in PORT_PROVIDERS.get(port.name, ()) if n in self.order]
            for name in [*preferred, *self.order]:
                if port.available and port.call is not stand_in:
                    break
                self._install(name)
            if not port.available or port.call is stand_in:
                port.withdraw()
                raise ports.PortUnavailable(f"{port.name}: the {port.provider} engine is not installed in this "
                                            "sandbox")
            return port(*args, **kwargs)

        stand_in.__name__ = f"install_then_{port.name}"
        return stand_in


def install_providers(cloud: Any) -> tuple[list[str], dict[str, str]]:
    """Import every provider module and install it now (what the cloud did at start before installs were
    lazy; kept for callers that want everything at once)."""
    installer = ProviderInstaller(cloud, getattr(cloud, "lifecycle", None) or Lifecycle())
    installer.ensure_all()
    return installer.installed, installer.failed
