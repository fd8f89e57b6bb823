"""Typed lifecycle hooks and lazy provider installation, without a server."""

from __future__ import annotations

import sys
import types

import pytest

from emulators.core import lifecycle, ports
from emulators.core.lifecycle import Lifecycle, Periodic, ServiceLifecycle
from emulators.core.registry import ProviderInstaller


class FakeCloud:
    """The loose-callback surface providers use, filed onto a Lifecycle as the server does."""

    def __init__(self, hooks: Lifecycle) -> None:
        self.lifecycle = hooks

    def every(self, seconds, fn, name=None):
        self.lifecycle.hooks().periodic.append(Periodic(seconds, fn, name or fn.__name__))

    def on_reset(self, fn):
        self.lifecycle.hooks().reset.append(fn)

    def on_shutdown(self, fn):
        self.lifecycle.hooks().shutdown.append(fn)

    def after_restore(self, fn):
        self.lifecycle.hooks().after_restore.append(fn)


@pytest.fixture
def fake_providers(monkeypatch):
    """Two provider modules under ``emulators.fakesvc``: one with install(cloud), one with LIFECYCLE."""
    calls: list[str] = []

    loose = types.ModuleType("emulators.fakesvc.loose")

    def install(cloud):
        calls.append("install loose")
        cloud.after_restore(lambda: calls.append("restored loose"))
        cloud.on_reset(lambda: calls.append("reset loose"))
        cloud.on_shutdown(lambda: calls.append("shutdown loose"))
        cloud.every(5.0, lambda: calls.append("tick loose"), name="loose-tick")

    loose.install = install
    typed = types.ModuleType("emulators.fakesvc.typed")
    typed.LIFECYCLE = ServiceLifecycle(
        install=lambda cloud: calls.append("install typed"),
        after_restore=(lambda: calls.append("restored typed"),),
        reset=(lambda: calls.append("reset typed"),),
        periodic=(Periodic(2.0, lambda: calls.append("tick typed"), "typed-tick"),),
    )
    broken = types.ModuleType("emulators.fakesvc.broken")

    def fail(cloud):
        raise RuntimeError("engine missing")

    broken.install = fail
    for module in (loose, typed, broken):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    return calls


def _installer(calls_cloud: FakeCloud) -> ProviderInstaller:
    installer = ProviderInstaller(calls_cloud, calls_cloud.lifecycle)
    installer.order = ["fakesvc.loose", "fakesvc.typed", "fakesvc.broken"]
    installer.by_api = {"loose": ["fakesvc.loose"], "typed": ["fakesvc.typed"], "broken": ["fakesvc.broken"]}
    return installer


def test_a_provider_installs_once_on_first_use_with_its_hooks(fake_providers):
    cloud = FakeCloud(Lifecycle())
    installer = _installer(cloud)
    installer.mark_restored()
    installer.ensure_api("loose")
    installer.ensure_api("loose")
    assert fake_providers == ["install loose", "restored loose"]
    assert installer.installed == ["fakesvc.loose"]
    assert [t.name for t in cloud.lifecycle.periodic_tasks()] == ["loose-tick"]
    installer.ensure_api("typed")
    assert fake_providers[-2:] == ["install typed", "restored typed"]
    assert [t.name for t in cloud.lifecycle.periodic_tasks()] == ["loose-tick", "typed-tick"]
    cloud.lifecycle.run_reset()
    cloud.lifecycle.run_shutdown()
    assert fake_providers[-3:] == ["reset loose", "reset typed", "shutdown loose"]


def test_after_restore_waits_for_the_restore(fake_providers):
    cloud = FakeCloud(Lifecycle())
    installer = _installer(cloud)
    installer.ensure_api("typed")
    assert fake_providers == ["install typed"]
    installer.mark_restored()
    assert fake_providers == ["install typed", "restored typed"]


def test_a_failing_provider_is_reported_and_others_still_install(fake_providers):
    cloud = FakeCloud(Lifecycle())
    installer = _installer(cloud)
    installer.ensure_all()
    assert installer.installed == ["fakesvc.loose", "fakesvc.typed"]
    assert installer.failed == {"fakesvc.broken": "RuntimeError: engine missing"}
    installer.ensure_api("broken")  # not retried on every request
    assert list(installer.failed) == ["fakesvc.broken"]


def test_a_port_called_before_its_provider_installed_installs_it(monkeypatch):
    port = ports.Port("test_port", "Test", "a test port")
    monkeypatch.setattr(ports, "ALL_PORTS", [port])
    provider = types.ModuleType("emulators.fakeport.provider")
    provider.install = lambda cloud: port.provide(lambda x: x * 2)
    monkeypatch.setitem(sys.modules, provider.__name__, provider)
    cloud = FakeCloud(Lifecycle())
    installer = ProviderInstaller(cloud, cloud.lifecycle)
    installer.order = ["fakeport.provider"]
    installer.provide_ports_lazily()
    assert port(21) == 42
    assert installer.installed == ["fakeport.provider"]


def test_a_port_nobody_provides_is_unavailable(monkeypatch):
    port = ports.Port("lonely_port", "Nobody", "no provider")
    monkeypatch.setattr(ports, "ALL_PORTS", [port])
    cloud = FakeCloud(Lifecycle())
    installer = ProviderInstaller(cloud, cloud.lifecycle)
    installer.order = []
    installer.provide_ports_lazily()
    with pytest.raises(ports.PortUnavailable):
        port(1)
    assert not port.available


def test_current_cloud_is_cleared_only_by_its_own_cloud():
    first, second = object(), object()
    lifecycle.set_current_cloud(first)
    lifecycle.set_current_cloud(second)
    lifecycle.clear_current_cloud(first)  # an old cloud shutting down late does not take the new one's place
    assert lifecycle.current_cloud() is second
    lifecycle.clear_current_cloud(second)
    with pytest.raises(RuntimeError, match="no embedded cloud"):
        lifecycle.current_cloud()


def test_the_registry_does_not_import_the_server():
    import subprocess

    code = ("import sys, emulators.core.registry; "
            "sys.exit(1 if 'emulators.core.server' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
