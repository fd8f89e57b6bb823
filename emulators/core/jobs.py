"""The local process runtime every service's jobs run on (Glue, EMR, Batch, Lambda, SageMaker).

A job is a :class:`ProcessSpec`: a command, its folder, its complete environment and
the files its output goes to. :func:`run` starts it in its own process group (or takes
a process a ``launcher`` already started, such as a warm Spark driver), streams each
output line to ``on_line`` as it is written, and waits for it. A timeout, a stop
request (:meth:`ProcessRegistry.stop`) or the cloud shutting down always signals the
*whole process group*: SIGTERM, ``grace`` seconds, then SIGKILL, so a spark-submit's
JVM or a script's own children never outlive their job. A job that would start while
the cloud stops is refused, and one that started in that instant is killed at once.

Each service has one :class:`ProcessRegistry` (``registry("glue")``) of what it runs;
:func:`bind` opens it against a cloud and registers ``stop_all`` for shutdown.
:func:`child_environment` is the one environment job processes get (the sandbox's
endpoint, test credentials, the region, no proxy for loopback, the Spark driver's JVM options). :data:`INTERRUPTED`
and :func:`settle_interrupted` are the one restart-recovery rule: what was running when
the sandbox stopped is failed after restore with the same wording in every service.

This module never imports moto or the server.
"""

from __future__ import annotations

import itertools
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from emulators.core import spark

log = logging.getLogger("emulators.jobs")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GRACE = 2.0
TAIL_LINES = 100
_POLL = 0.05


# -- the spec and the outcome ------------------------------------------------------
@dataclass
class ProcessSpec:
    """One job process: what to run, where, with which environment, and where its output goes."""

    command: list[str]
    cwd: Path
    env: dict[str, str]  # the complete child environment (see child_environment)
    stdout_path: Path
    stderr_path: Path | None = None  # None: stderr goes into stdout_path
    timeout: float | None = None  # seconds; None or 0: no limit
    grace: float = DEFAULT_GRACE  # seconds between SIGTERM and SIGKILL
    on_line: Callable[[str], None] | None = None  # each output line, as it is written
    # may hand over an already-running process (started with start_new_session=True, output
    # pointed at stdout_path/stderr_path); None, or a launcher returning None, means a cold start
    launcher: Callable[[ProcessSpec], subprocess.Popen | None] | None = None
    should_stop: Callable[[], bool] | None = None  # a service's own stop probe (e.g. a STOPPING status)
    on_start: Callable[[subprocess.Popen], None] | None = None
    append: bool = False  # append to the output files instead of replacing them


@dataclass
class ProcessOutcome:
    exit_code: int | None  # None: the process never started
    seconds: float
    timed_out: bool = False
    stopped: bool = False  # a stop request (or the cloud stopping) ended it
    refused: bool = False  # not started: the cloud was stopping
    tail: list[str] = field(default_factory=list)  # the last output lines
    start_error: str | None = None  # why the command could not be started

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not (self.timed_out or self.stopped or self.refused)


# -- the registry of running processes -------------------------------------------------
class ProcessRegistry:
    """The processes one service runs, by key (a job run id, a step id, ...)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._running: dict[Any, subprocess.Popen] = {}
        self._grace: dict[Any, float] = {}
        self._stop_requests: set[Any] = set()
        self._stop_grace: dict[Any, float] = {}
        self._closed = False
        self._stopping_probe: Callable[[], bool] | None = None

    def open(self, stopping: Callable[[], bool] | None = None) -> None:
        """Accept processes again (a cloud started); ``stopping`` tells whether that cloud is shutting down."""
        with self._lock:
            self._closed = False
            self._stop_requests.clear()
            self._stop_grace.clear()
            self._stopping_probe = stopping

    @property
    def stopping(self) -> bool:
        if self._closed:
            return True
        probe = self._stopping_probe
        try:
            return bool(probe and probe())
        except Exception:
            return False

    def running(self) -> list[Any]:
        with self._lock:
            return list(self._running)

    def stop(self, key: Any, grace: float | None = None) -> bool:
        """Ask the process of ``key`` to stop (now, or as soon as it starts); True if it is running.

        ``grace`` overrides the spec's seconds between SIGTERM and SIGKILL for this stop (0: at once).
        """
        with self._lock:
            self._stop_requests.add(key)
            if grace is not None:
                self._stop_grace[key] = grace
            return key in self._running

    def _grace_for(self, key: Any, default: float) -> float:
        with self._lock:
            return self._stop_grace.get(key, default)

    def forget(self, key: Any) -> None:
        """Drop a stop request for a key that will never run."""
        with self._lock:
            self._stop_requests.discard(key)
            self._stop_grace.pop(key, None)

    def stop_requested(self, key: Any) -> bool:
        with self._lock:
            return key in self._stop_requests

    def stop_all(self, grace: float | None = None) -> None:
        """Shutdown: refuse new processes and end every running one's process group, then wait for them."""
        with self._lock:
            self._closed = True
            self._stop_requests.update(self._running)
            victims = [(p, self._grace.get(k, DEFAULT_GRACE) if grace is None else grace)
                       for k, p in self._running.items()]
        threads = [threading.Thread(target=terminate_group, args=(p, g), daemon=True) for p, g in victims]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # used by run()
    def _admit(self, key: Any) -> str | None:
        """None when ``key`` may start, else why not ("refused" or "stopped")."""
        if self.stopping:
            return "refused"
        with self._lock:
            return "stopped" if key in self._stop_requests else None

    def _add(self, key: Any, process: subprocess.Popen, grace: float) -> bool:
        """Record a started process; False when it must be killed at once (shutdown began, or a stop came)."""
        with self._lock:
            self._running[key] = process
            self._grace[key] = grace
            return not (self._closed or key in self._stop_requests)

    def _remove(self, key: Any) -> None:
        with self._lock:
            self._running.pop(key, None)
            self._grace.pop(key, None)
            self._stop_requests.discard(key)
            self._stop_grace.pop(key, None)


_REGISTRIES: dict[str, ProcessRegistry] = {}
_REGISTRIES_LOCK = threading.Lock()
_ANONYMOUS = itertools.count(1)


def registry(service: str) -> ProcessRegistry:
    """The one registry of ``service``'s processes."""
    with _REGISTRIES_LOCK:
        if service not in _REGISTRIES:
            _REGISTRIES[service] = ProcessRegistry(service)
        return _REGISTRIES[service]


def unbind_all() -> None:
    """Accept processes again in every registry, bound to no cloud: after an in-process cloud shut down, for
    code of the same process that runs processes without one (a runner's own tests)."""
    with _REGISTRIES_LOCK:
        registries = list(_REGISTRIES.values())
    for reg in registries:
        reg.open()


def bind(cloud: Any, service: str) -> ProcessRegistry:
    """Open ``service``'s registry for ``cloud`` (anything with ``stopping`` and ``on_shutdown``)."""
    reg = registry(service)
    reg.open(lambda: bool(cloud.stopping))
    cloud.on_shutdown(reg.stop_all)
    return reg


# -- signalling a process group -------------------------------------------------------
def _group_of(process: subprocess.Popen) -> int | None:
    """The process group to signal, or None when the process shares ours (never signal our own group)."""
    try:
        group = os.getpgid(process.pid)
    except (ProcessLookupError, PermissionError):
        return process.pid if process.returncode is None else None
    return None if group == os.getpgrp() else group


def _group_alive(group: int) -> bool:
    """Whether any process of ``group`` still runs (zombies waiting for a reaper do not count)."""
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # state, ppid, pgrp, ...
        if len(fields) > 2 and fields[2] == str(group) and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal(process: subprocess.Popen, group: int | None, sig: int) -> None:
    try:
        if group is not None:
            os.killpg(group, sig)
        elif process.poll() is None:
            process.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass


def terminate_group(process: subprocess.Popen, grace: float = DEFAULT_GRACE, group: int | None = None) -> None:
    """SIGTERM the process's whole group, wait up to ``grace`` seconds for all of it, then SIGKILL; reap the leader."""
    group = group if group is not None else _group_of(process)
    _signal(process, group, signal.SIGTERM)
    deadline = time.monotonic() + max(0.0, grace)
    while time.monotonic() < deadline:
        leader_done = process.poll() is not None
        if leader_done and (group is None or not _group_alive(group)):
            break
        time.sleep(_POLL)
    _signal(process, group, signal.SIGKILL)
    try:
        process.wait(timeout=max(grace, 5.0))
    except subprocess.TimeoutExpired:
        log.warning("process %s did not end after SIGKILL", process.pid)


def _clear_leftovers(process: subprocess.Popen, group: int | None, grace: float) -> None:
    """After the leader exited: end what it left running in its group (the container is gone on AWS too)."""
    if group is not None and _group_alive(group):
        terminate_group(process, grace, group)


# -- following output files -------------------------------------------------------------
class _Follower:
    """Reads new lines from output files as they grow and hands each to a callback."""

    def __init__(self, paths: list[Path], on_line: Callable[[str], None], offsets: list[int]) -> None:
        self.paths, self.on_line = paths, on_line
        self.offsets = list(offsets)
        self.partial = [b""] * len(paths)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="job-output")

    def start(self) -> None:
        self.thread.start()

    def _read(self, final: bool = False) -> None:
        for i, path in enumerate(self.paths):
            try:
                with open(path, "rb") as fh:
                    fh.seek(self.offsets[i])
                    data = fh.read()
            except OSError:
                continue
            if not data and not (final and self.partial[i]):
                continue
            self.offsets[i] += len(data)
            chunk = self.partial[i] + data
            lines = chunk.split(b"\n")
            self.partial[i] = lines.pop()
            if final and self.partial[i]:
                lines.append(self.partial[i])
                self.partial[i] = b""
            for raw in lines:
                try:
                    self.on_line(raw.decode("utf-8", errors="replace").rstrip("\r"))
                except Exception:
                    log.exception("on_line callback failed")

    def _loop(self) -> None:
        while not self.done.wait(0.1):
            self._read()
        self._read(final=True)

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)


def _tail(paths: list[Path], offsets: list[int], lines: int = TAIL_LINES) -> list[str]:
    out: list[str] = []
    for path, offset in zip(paths, offsets):
        try:
            with open(path, "rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(offset, size - 64 * 1024))
                out += fh.read().decode("utf-8", errors="replace").splitlines()
        except OSError:
            continue
    return out[-lines:]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# -- running --------------------------------------------------------------------------
def run(spec: ProcessSpec, registry: ProcessRegistry | None = None, key: Any = None,  # noqa: C901
        stopping: Callable[[], bool] | None = None) -> ProcessOutcome:
    """Run ``spec`` to its end; see the module docstring for timeouts, stops and refusal."""
    reg = registry if registry is not None else _default_registry()
    key = key if key is not None else f"anonymous-{next(_ANONYMOUS)}"
    started = time.monotonic()

    def probe_stopping() -> bool:
        try:
            return bool(stopping and stopping())
        except Exception:
            return False

    verdict = "refused" if probe_stopping() else reg._admit(key)
    if verdict is not None:
        reg._remove(key)
        return ProcessOutcome(None, 0.0, stopped=True, refused=verdict == "refused")

    Path(spec.cwd).mkdir(parents=True, exist_ok=True)
    paths = [Path(spec.stdout_path)] + ([Path(spec.stderr_path)] if spec.stderr_path else [])
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    offsets = [_size(p) if spec.append else 0 for p in paths]
    process = _launch(spec, paths)
    if isinstance(process, str):
        reg._remove(key)
        return ProcessOutcome(127, time.monotonic() - started, tail=_tail(paths, offsets), start_error=process)

    group = _group_of(process)
    admitted = reg._add(key, process, spec.grace)
    follower = _Follower(paths, spec.on_line, offsets) if spec.on_line else None
    if follower:
        follower.start()
    timed_out = stopped = False
    exit_watch = _ExitWatch(process)
    try:
        if spec.on_start:
            try:
                spec.on_start(process)
            except Exception:
                log.exception("on_start callback failed")
        if not admitted:
            stopped = True
            terminate_group(process, 0.0 if reg.stopping else spec.grace, group)
        while process.poll() is None:
            if reg.stop_requested(key) or reg.stopping or probe_stopping() or _asked(spec.should_stop):
                stopped = True
            elif spec.timeout and time.monotonic() - started > spec.timeout:
                timed_out = True
            if stopped or timed_out:
                terminate_group(process, reg._grace_for(key, spec.grace) if stopped else spec.grace, group)
                break
            exit_watch.wait(_POLL * 2)
        if not (stopped or timed_out):
            # a stop that signalled the group from another thread (stop_all) before this loop saw it
            stopped = process.returncode != 0 and (reg.stop_requested(key) or reg.stopping)
            _clear_leftovers(process, group, spec.grace)
    finally:
        exit_watch.close()
        reg._remove(key)
        if follower:
            follower.stop()
    return ProcessOutcome(process.returncode, time.monotonic() - started, timed_out=timed_out, stopped=stopped,
                          tail=_tail(paths, offsets))


class _ExitWatch:
    """Wakes as soon as the process exits (a Linux pidfd; elsewhere ``Popen.wait``'s polling), without reaping it."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        try:
            self.fd: int | None = os.pidfd_open(process.pid)
        except (AttributeError, OSError):
            self.fd = None

    def wait(self, seconds: float) -> None:
        if self.fd is not None:
            select.select([self.fd], [], [], seconds)
            return
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _asked(probe: Callable[[], bool] | None) -> bool:
    if probe is None:
        return False
    try:
        return bool(probe())
    except Exception:
        log.exception("stop probe failed")
        return False


def _launch(spec: ProcessSpec, paths: list[Path]) -> subprocess.Popen | str:
    """The process: the launcher's, else a cold start writing to the files; a string says why none started."""
    if spec.launcher is not None:
        try:
            process = spec.launcher(spec)
        except Exception:
            log.exception("launcher failed; starting cold")
            process = None
        if process is not None:
            return process
    mode = "ab" if spec.append else "wb"
    out = open(paths[0], mode)  # noqa: SIM115 (closed below; the child keeps its own descriptor)
    err = open(paths[1], mode) if len(paths) > 1 else None  # noqa: SIM115
    try:
        return subprocess.Popen(spec.command, cwd=spec.cwd, env=spec.env, stdout=out,
                                stderr=err if err is not None else subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        message = f"cannot start {spec.command[0] if spec.command else '(no command)'!r}: {exc}"
        out.write((message + "\n").encode())
        return message
    finally:
        out.close()
        if err is not None:
            err.close()


def _default_registry() -> ProcessRegistry:
    return registry("default")


# -- the child environment --------------------------------------------------------------
# never passed on from the sandbox's own environment: a child must not reach AWS with real credentials
_NOT_INHERITED = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
                  "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
                  "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS", "AWS_CONFIG_FILE",
                  "AWS_SHARED_CREDENTIALS_FILE")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def child_environment(endpoint_url: str, region: str, extra: dict[str, str] | None = None, *,
                      user: dict[str, str] | None = None, inherit: Iterable[str] | None = None) -> dict[str, str]:
    """The complete environment of a job process.

    The sandbox's environment (or only the names in ``inherit``) without AWS credentials, profiles or
    endpoints; then ``user`` (a job's own variables); then the sandbox's settings, which win: the endpoint,
    test credentials, the region, no proxy for loopback, unbuffered Python, this venv's ``bin`` first on
    ``PATH``, the project on ``PYTHONPATH`` and MLflow's usage telemetry off; then ``extra`` (a service's reserved variables).
    """
    source = os.environ if inherit is None else {k: os.environ[k] for k in inherit if k in os.environ}
    env = {k: v for k, v in source.items() if not k.startswith(_NOT_INHERITED)}
    env.update({k: str(v) for k, v in (user or {}).items()})
    no_proxy = [h for h in (env.get("NO_PROXY") or env.get("no_proxy") or "").split(",") if h.strip()]
    no_proxy += [h for h in LOOPBACK if h not in no_proxy]
    python_path = [str(PROJECT_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                         if p and p != str(PROJECT_ROOT)]
    bin_dir = str(Path(sys.executable).parent)
    path = [bin_dir] + [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p and p != bin_dir]
    env.update({
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "NO_PROXY": ",".join(no_proxy),
        "no_proxy": ",".join(no_proxy),
        "PATH": os.pathsep.join(path),
        "PYTHONPATH": os.pathsep.join(python_path),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",  # MLflow 3 would send usage events to its makers' servers
    })
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return spark.with_jvm_options(env)


# -- restart recovery -------------------------------------------------------------------
INTERRUPTED = "The sandbox stopped while this {what} was running; a restart cannot resume it (start it again)"

T = TypeVar("T")


def interrupted(what: str = "job") -> str:
    """The one wording for work a restart found unfinished: ``interrupted("step")``."""
    return INTERRUPTED.format(what=what)


def settle_interrupted(items: Iterable[T], was_running: Callable[[T], bool], fail: Callable[[T, str], None],
                       what: str = "job") -> list[T]:
    """After a restore: call ``fail(item, reason)`` for each item that was running; returns them.

    Services whose work resumes (EMR's PENDING steps) restart it themselves after this.
    """
    failed = [item for item in items if was_running(item)]
    reason = interrupted(what)
    for item in failed:
        fail(item, reason)
    return failed
