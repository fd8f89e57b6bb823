"""Sandboxes for tests: free loopback ports, a private cloud a test may stop and restart, the repo root."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port nothing listens on (now), from below the kernel's ephemeral range: the kernel hands
    ports of that range to every process that binds port 0 or connects (Spark drivers, clients), so one of
    those could take a port picked there before the test's server binds it."""
    low = _ephemeral_low()
    below = range(max(1024, low - 10000), low)
    for port in random.sample(below, min(200, len(below))):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def in_process_cloud(state_dir: Path) -> Iterator[Any]:
    """An ``EmbeddedCloud`` running in this process on a free port (for tests that call an engine's functions
    directly while the cloud serves), shut down afterwards; the process registries its providers bound to it
    (which refuse new processes once it stops) accept them again after."""
    from emulators.core import jobs
    from emulators.core.server import EmbeddedCloud

    cloud = EmbeddedCloud(state_dir, port=free_port())
    cloud.start()
    try:
        yield cloud
    finally:
        cloud.shutdown()
        jobs.unbind_all()


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent.parent


class PrivateCloud:
    """A sandbox of one test's own (its own port and state folder), for tests that stop and restart it."""

    def __init__(self, state_dir: Path) -> None:
        from sandbox.config import SandboxConfig

        self.config = SandboxConfig(state_dir=state_dir, port=free_port())

    def client(self, name: str):
        import boto3

        return boto3.client(name, endpoint_url=self.config.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def up(self) -> None:
        from sandbox import cloud as cloud_control

        cloud_control.up(self.config)

    def down(self) -> None:
        from sandbox import cloud as cloud_control

        cloud_control.down(self.config)

    def restart(self) -> None:
        self.down()
        self.up()

    def running(self) -> bool:
        from sandbox import cloud as cloud_control

        return cloud_control.status(self.config).running


def reusing_clients(session: Any) -> Any:
    """``session`` (a :class:`sandbox.session.SandboxSession`) as a session whose ``client(name)`` without further
    arguments hands out one client per service and endpoint, made on first use. boto3 clients are thread-safe, and
    making one costs 15-20 ms of CPU here (the client class is built and the session's event handlers copied each
    time): the suite asked the shared session for about a thousand. A client with arguments is always new."""
    from sandbox.session import SandboxSession

    class ReusingClients(SandboxSession):
        _made: dict[tuple[str, str], Any]

        def client(self, service_name: str, **kwargs: Any) -> Any:
            if kwargs:
                return super().client(service_name, **kwargs)
            key = (service_name, self.endpoint_for(service_name))  # the endpoint follows AWS_ENDPOINT_URL_*
            made = self._made.get(key)
            if made is None:
                made = self._made.setdefault(key, super().client(service_name))
            return made

    reusing = ReusingClients(session.config, session.region_name)
    reusing._made = {}
    return reusing
