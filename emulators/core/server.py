"""The embedded cloud: one AWS-compatible endpoint for every service.

``EmbeddedCloud`` wraps moto's WSGI dispatcher (which answers every AWS protocol
on one port), restores the last snapshot and serves on 127.0.0.1 by default. The
sandbox's engines install lazily: a service's provider installs on the first
request for that service (``registry.ProviderInstaller``), and right after start
for the services that have restored state, so their periodic work and restart
recovery run without waiting for a request. Providers reach the running cloud
through :func:`current_cloud` (held by ``lifecycle``, cleared at shutdown) to find
their data folders, run work in the background and register typed lifecycle hooks.

Admin routes, under ``/_sandbox/``: ``GET health``, ``POST snapshot``,
``POST reset``, ``POST shutdown``, ``POST install`` (install every provider now). They need the per-start token of
``<state>/admin-token`` in an ``X-Sandbox-Token`` header; every other request
passes the security gate first (``security.py``, ``docs/security.md``).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from emulators.core import moto_coupling, native_api, ports, protocol_bridge
from emulators.core.errors import AwsRefusal, error_answer, input_refusal, is_input_fault
from emulators.core.gate import SecurityGate
from emulators.core.lifecycle import Lifecycle, Periodic, clear_current_cloud, current_cloud, set_current_cloud
from emulators.core.persistence import StateStore
from emulators.core.storage import write_atomically
from emulators.core.security import (CLIENT_METHOD, answer_content_type, json_content_type, request_protocol,
                                     s3_object_write)
from emulators.core.registry import ProviderInstaller

log = logging.getLogger("emulators.server")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
SERVER_INFO_FILE = "server.json"
LOCK_FILE = "server.lock"
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}

__all__ = ["EmbeddedCloud", "PortBusy", "StateFolderBusy", "current_cloud", "main"]


class StateFolderBusy(RuntimeError):
    pass


class PortBusy(RuntimeError):
    pass


class EmbeddedCloud:
    def __init__(
        self,
        state_dir: str | Path,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        snapshot_interval: float = 1.0,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.host = host
        self.port = port
        self.snapshot_interval = snapshot_interval
        self.store = StateStore(self.state_dir)
        self.executor = ThreadPoolExecutor(max_workers=48, thread_name_prefix="sandbox-job")
        self.lifecycle = Lifecycle()
        self.installer = ProviderInstaller(self, self.lifecycle)
        self._stopping = threading.Event()
        self._restored = False
        self._api_of_host: dict[str, str | None] = {}
        self._stepfunctions_execute = False
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self._lock_fh: Any = None
        self.started_at = 0.0
        self.restored_services: list[str] = []
        self.restore_seconds = 0.0
        self._moto_app: Any = None
        self.admin_token = ""
        self.gate = SecurityGate(port)

    # -- what providers use -------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def data_dir(self, service: str) -> Path:
        """A folder of the state folder that belongs to one service's engine."""
        path = self.state_dir / "services" / service
        path.mkdir(parents=True, exist_ok=True)
        return path

    def mark_dirty(self) -> None:
        self.store.mark_dirty()

    @contextmanager
    def mutating(self) -> Iterator[None]:
        """Hold this around changes a background thread makes to a service's state in moto (job and query
        statuses, catalog entries). S3 objects are not changed this way: engines write and delete them with
        :meth:`writing_s3`, which journals them, so the next snapshot keeps S3's last pickle. (Marking S3 changed
        here made every job or query status change re-pickle the whole lake: 2.4-2.7 s per snapshot with
        100,000 objects on 2 cores, once a second while work ran.)"""
        with self.store.lock.shared():
            yield
            self.store.mark_dirty(include_s3=False)  # inside the lock: a snapshot that starts next sees it
        self.store.mark_dirty(include_s3=False)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run work in the background (queries, jobs); exceptions are logged."""

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("background task %s failed", getattr(fn, "__name__", fn))
                raise

        return self.executor.submit(run)

    # loose callbacks from a provider's install(cloud): thin adapters onto the typed hooks of the service
    # being installed (emulators/core/lifecycle.py)
    def every(self, seconds: float, fn: Callable[[], Any], name: str | None = None) -> None:
        """Call ``fn`` every ``seconds`` while the cloud runs (never two at once)."""
        self.lifecycle.hooks().periodic.append(Periodic(seconds, fn, name or fn.__name__))

    def on_reset(self, fn: Callable[[], None]) -> None:
        self.lifecycle.hooks().reset.append(fn)

    def on_shutdown(self, fn: Callable[[], None]) -> None:
        self.lifecycle.hooks().shutdown.append(fn)

    def after_restore(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the service's state is loaded (e.g. to settle work a restart interrupted)."""
        self.lifecycle.hooks().after_restore.append(fn)

    @property
    def providers(self) -> list[str]:
        """Provider modules installed so far."""
        return list(self.installer.installed)

    @property
    def failed_providers(self) -> dict[str, str]:
        return dict(self.installer.failed)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- life cycle ---------------------------------------------------------
    def _claim_state_folder(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.state_dir / LOCK_FILE, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise StateFolderBusy(f"another sandbox server is using the state folder {self.state_dir}") from None
        self._lock_fh = fh

    def _bind(self) -> None:
        from werkzeug.serving import make_server

        from emulators.core.keepalive import KeepAliveRequestHandler

        try:
            self._server = make_server(self.host, self.port, self.wsgi_app, threaded=True,
                                       request_handler=KeepAliveRequestHandler)
        except OSError as exc:
            raise PortBusy(f"port {self.port} on {self.host} is already in use ({exc.strerror})") from None
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.gate.settings.port = self.port

    def start(self) -> None:
        """Claim the state folder, bind the port, restore state, serve; engines install when first needed."""
        self._claim_state_folder()
        crashed = (self.state_dir / SERVER_INFO_FILE).exists()  # a clean shutdown removes it
        self._bind()
        self.admin_token = self.gate.start(self.state_dir)
        set_current_cloud(self)
        # moto's Step Functions interpreter calls other services on localhost:$MOTO_PORT
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"  # the tracking store of SageMaker jobs: nothing phones home
        self._moto_app = moto_coupling.create_wsgi_app()
        protocol_bridge.install()
        began = time.perf_counter()
        self.restored_services = self.store.restore(after_crash=crashed)
        self.restore_seconds = time.perf_counter() - began
        self._restored = True
        self.installer.mark_restored()
        self.installer.provide_ports_lazily()
        self.started_at = time.time()
        info = {
            "pid": os.getpid(),
            "host": self.host,
            "port": self.port,
            "endpoint": self.endpoint_url,
            "state_dir": str(self.state_dir),
            "started_at": self.started_at,
        }
        write_atomically(self.state_dir / SERVER_INFO_FILE, json.dumps(info).encode())
        for target, name in ((self._snapshot_loop, "sandbox-snapshot"), (self._periodic_loop, "sandbox-periodic")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        thread = threading.Thread(target=self._server.serve_forever, name="sandbox-http", daemon=True)
        thread.start()
        self._threads.append(thread)
        if self.restored_services:
            thread = threading.Thread(target=self._install_restored, name="sandbox-install", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("sandbox cloud on %s (state %s, restored: %s)", self.endpoint_url, self.state_dir,
                 ", ".join(self.restored_services) or "nothing")

    def _install_restored(self) -> None:
        """Install the providers of services that have state, so their periodic work (schedules, triggers,
        buffers, alarms, pollers) and restart recovery run without waiting for a request."""
        for service in self.restored_services:
            if self.stopping:
                return
            self._ensure_api(service)

    def _ensure_api(self, api: str) -> None:
        if api.startswith("stepfunctions") and not self._stepfunctions_execute:
            moto_coupling.enable_stepfunctions_execution()  # imports moto's ASL interpreter
            self._stepfunctions_execute = True
        if not self.installer.for_api(api) and "-" in api:
            api = api.split("-")[0]  # a second BackendDict of a service ("stepfunctions-parser")
        self.installer.ensure_api(api)

    def install_all(self) -> None:
        """Install every provider now (``POST /_sandbox/install``)."""
        moto_coupling.enable_stepfunctions_execution()
        self.installer.ensure_all()

    def wait(self) -> None:
        while not self._stopping.wait(0.5):
            pass

    def shutdown(self) -> None:
        """Stop serving, stop engines, write a final snapshot, release the folder."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._server is not None:
            from emulators.core.keepalive import close_connections

            threading.Thread(target=self._server.shutdown, daemon=True).start()
            close_connections(self._server)  # kept-alive connections carry no request to a stopped cloud
        self.lifecycle.run_shutdown()
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self._restored:  # before the restore finished, the files on disk are still the truth
            try:
                self.store.snapshot()
            except Exception:
                log.exception("final snapshot failed")
        ports.withdraw_all()
        clear_current_cloud(self)
        (self.state_dir / SERVER_INFO_FILE).unlink(missing_ok=True)
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def reset(self) -> None:
        """Forget every resource and every file of the engines."""
        with self.store.lock.exclusive():
            self.lifecycle.run_reset()
            moto_coupling.reset_all_backends()
            self.store.clear()
            shutil.rmtree(self.state_dir / "services", ignore_errors=True)
        self.store.snapshot()

    # -- background loops ---------------------------------------------------
    def _snapshot_loop(self) -> None:
        while not self._stopping.wait(self.snapshot_interval):
            if self.store.dirty:
                try:
                    self.store.snapshot()
                except Exception:
                    log.exception("snapshot failed; will retry")
                    self.store.mark_dirty()

    def _periodic_loop(self) -> None:
        while not self._stopping.wait(0.2):
            now = time.monotonic()
            for task in self.lifecycle.periodic_tasks():
                if task.running or now < task.next_run:
                    continue
                task.running = True
                task.next_run = now + task.interval

                def run(t: Periodic = task) -> None:
                    try:
                        t.fn()
                    except Exception:
                        log.exception("periodic task %s failed", t.name)
                    finally:
                        t.running = False

                try:
                    self.executor.submit(run)
                except RuntimeError:  # executor shut down
                    return

    # -- HTTP ---------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {
            "status": "running",
            "pid": os.getpid(),
            "endpoint": self.endpoint_url,
            "state_dir": str(self.state_dir),
            "started_at": self.started_at,
            "moto_version": moto_coupling.MOTO_VERSION,
            "restored_services": self.restored_services,
            "restore_seconds": round(self.restore_seconds, 4),
            "providers": self.providers,  # installed so far (each installs when its service is first used)
            "declared_providers": self.installer.order,
            "failed_providers": self.failed_providers,
            "snapshots_written": self.store.snapshots_written,
            "last_snapshot_seconds": round(self.store.last_snapshot_seconds, 4),
        }

    def _admin(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        route = environ.get("PATH_INFO", "")[len("/_sandbox/"):].strip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        if not (route == "health" and method == "GET" and not environ.get("HTTP_X_SANDBOX_TOKEN")):
            self.gate.require_token(environ)
        status, body = "200 OK", {}
        if route == "health":
            # without the token: only that a sandbox answers here (the details need the token)
            body = self.health() if environ.get("HTTP_X_SANDBOX_TOKEN") else {"status": "running"}
        elif route == "snapshot" and method == "POST":
            self.store.snapshot()
            body = {"snapshot": str(self.store.snapshot_path), "seconds": self.store.last_snapshot_seconds}
        elif route == "reset" and method == "POST":
            self.reset()
            body = {"reset": True}
        elif route == "install" and method == "POST":
            self.install_all()
            body = {"providers": self.providers, "failed_providers": self.failed_providers}
        elif route == "shutdown" and method == "POST":
            threading.Thread(target=self.shutdown, daemon=True).start()
            body = {"shutting_down": True}
        else:
            status, body = "404 Not Found", {"error": f"no admin route {method} /_sandbox/{route}"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                                ("Cache-Control", "no-store")])
        return [data]

    def _console(self, environ: dict[str, Any], start_response: Callable) -> Any:
        try:
            from emulators.console import wsgi_app as console_app
        except ImportError:
            raise AwsRefusal(404, "NotFound", "The console is not installed in this sandbox.", "json") from None
        return console_app(self, environ, start_response)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable) -> Any:
        try:
            return self._dispatch(environ, start_response)
        except AwsRefusal as refusal:
            status, headers, body = refusal.render()
            start_response(status, [(k, json_content_type(environ) if refusal.protocol == "json" and k == "Content-Type"
                                     else v) for k, v in headers])
            return [body]

    def _dispatch(self, environ: dict[str, Any], start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        self.gate.check_host(environ)
        if path.startswith("/_sandbox/"):
            self.gate.check_same_origin(environ)
            return self._admin(environ, start_response)
        if path.startswith("/_console"):
            self.gate.check_same_origin(environ)
            return self._console(environ, start_response)
        if path.startswith("/moto-api"):
            self.gate.check_same_origin(environ)
            # moto's own dashboard, state dump and reset: not served (the sandbox's admin routes and console
            # do their jobs, behind the admin token)
            raise AwsRefusal(404, "NotFound", "moto's /moto-api routes are not served by the sandbox: use "
                             "`sandbox status`, `sandbox reset` or `sandbox console`.", "json")
        preflight = self.gate.preflight(environ)
        if preflight is not None:
            start_response("200 OK", preflight + [("Content-Length", "0")])
            return [b""]
        cors = self.gate.check_origin(environ)
        self.gate.authenticate(environ)
        signing = native_api.signing_name(environ)
        if signing and self.installer.for_api(signing):
            self._ensure_api(signing)
        if native_api.handles(signing):  # a service moto does not have (native_api)
            return native_api.answer(self.store, environ, start_response, cors)
        environ = protocol_bridge.to_json_request(environ, signing)
        api = self._request_api(environ, environ.get("PATH_INFO", ""))
        if api:
            self._ensure_api(api)
        # an operation its provider answers itself is served without moto's dispatcher (native_api)
        return self._serve_moto(environ, start_response, cors, api, native_api.direct_app(signing, environ))

    def _request_api(self, environ: dict[str, Any], path: str) -> str | None:
        """moto's name of the service a request is for (as its dispatcher will find it)."""
        app = self._moto_app
        try:
            host = app.infer_service_region_host(environ, path)
        except Exception:  # moto will answer this request with its own error
            return None
        if host is None:
            return "s3"  # moto's default service
        if host not in self._api_of_host:
            if len(self._api_of_host) > 4096:
                self._api_of_host.clear()
            self._api_of_host[host] = app.get_backend_for_host(host)
        return self._api_of_host[host]

    def _record_write(self, environ: dict[str, Any], status: str, api: str | None) -> int | None:
        """Make a write durable: S3 object writes go to the journal (returns the sequence to sync before the
        answer), everything else marks the state dirty for the next snapshot."""
        if request_protocol(environ) != "s3":
            self.store.mark_dirty(include_s3=False, api=api, requested=True)
            return None
        if not status.startswith("2"):
            return None
        write = s3_object_write(environ)
        if write is None:
            self.store.mark_dirty()
            return None
        bucket, keys, region = write
        account = moto_coupling.DEFAULT_ACCOUNT_ID
        if not keys:  # a new bucket
            self.store.mark_dirty()
            return self.store.journal_s3_bucket(account, bucket, region)
        if environ.get("HTTP_X_AMZ_TAGGING"):
            self.store.mark_dirty()  # object tags live outside the key, in S3's tag store
        return self.journal_s3_keys(account, bucket, keys)

    def journal_s3_keys(self, account: str, bucket: str, keys: list[str]) -> int | None:
        """Journal the current versions of S3 keys just written (call under the shared lock; sync the returned
        sequence before acknowledging). A bucket with notifications also marks everything dirty, since its
        events changed other services."""
        if moto_coupling.s3_bucket_notifies(account, bucket):
            self.store.mark_dirty()
        sequence = None
        for key in keys:
            recorded = self.store.journal_s3_key(account, bucket, key)
            if recorded is None:
                self.store.mark_dirty()
            else:
                sequence = recorded
        return sequence

    @contextmanager
    def writing_s3(self, account: str, bucket: str, key: str, durable: bool = True) -> Iterator[None]:
        """Around an engine's in-process write or delete of one S3 object: journaled, and durable when the block
        ends; with ``durable=False``, durable with the next snapshot, before the state it writes (for an object
        that belongs to work whose state changes are durable only then, as a query's result file)."""
        with self.store.lock.shared():
            yield
            sequence = self.journal_s3_keys(account, bucket, [key])
        if sequence is not None and durable:
            self.store.journal.sync(sequence)

    def _serve_moto(self, environ: dict[str, Any], start_response: Callable, cors: list[tuple[str, str]],
                    api: str | None = None, app: Callable | None = None) -> Any:
        """moto's answer to a request (or ``app``'s, in its place), durable before it is sent."""
        path = environ.get("PATH_INFO", "")
        method = environ.get(CLIENT_METHOD) or environ.get("REQUEST_METHOD", "GET")  # as the client sent it
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        durable: int | None = None
        try:
            with self.store.lock.shared():
                result = (app or self._moto_app)(environ, capture)
                try:
                    body = b"".join(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
                if method not in READ_ONLY_METHODS:
                    durable = self._record_write(environ, captured["status"], api)
        except AwsRefusal:
            raise
        except NotImplementedError as exc:  # an operation moto does not implement
            if moto_coupling.is_unknown_s3_post(exc):  # a POST that is no S3 operation at all: S3's 405
                raise AwsRefusal(405, "MethodNotAllowed", "The specified method is not allowed against this "
                                 "resource.", "s3") from None
            return error_answer(environ, start_response, "501 Not Implemented", "NotImplemented",
                              f"{exc}. The sandbox does not emulate this operation; "
                              "run `sandbox services` for what each service supports.")
        except Exception as exc:  # never a Python traceback in a response
            log.error("unhandled error for %s %s:\n%s", method, path, traceback.format_exc())
            if is_input_fault(exc):
                raise input_refusal(exc, request_protocol(environ)) from None
            return error_answer(environ, start_response, "500 Internal Server Error", "InternalFailure",
                              f"The sandbox could not handle this request: {type(exc).__name__}: {exc}")
        if durable is not None:
            self.store.journal.sync(durable)  # the write is on disk before it is acknowledged
        # CORS headers come from the gate only (moto's flask-cors would echo any origin)
        headers = [(k, v) for k, v in captured["headers"] if not k.lower().startswith("access-control-")
                   and k.lower() not in ("content-type", "status")]  # (moto's own status field is no header)
        content_type = next((v for k, v in captured["headers"] if k.lower() == "content-type"), "")
        content_type = answer_content_type(environ, content_type, body)
        if content_type:
            headers.append(("Content-Type", content_type))
        headers = protocol_bridge.finish_answer(environ, captured["status"], headers, body)
        start_response(captured["status"], headers + cors)
        return [body]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators", description="Run the sandbox's local cloud.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the AWS endpoint in the foreground")
    serve.add_argument("--state-dir", default=os.environ.get("SANDBOX_STATE_DIR", ".sandbox"))
    serve.add_argument("--host", default=os.environ.get("SANDBOX_HOST", DEFAULT_HOST))
    serve.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", DEFAULT_PORT)))
    serve.add_argument("--snapshot-interval", type=float, default=1.0)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    cloud = EmbeddedCloud(args.state_dir, args.host, args.port, args.snapshot_interval)
    try:
        cloud.start()
    except (StateFolderBusy, PortBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=cloud.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sandbox cloud listening on {cloud.endpoint_url}", flush=True)
    cloud.wait()
    # give the shutdown thread time to finish its final snapshot
    deadline = time.monotonic() + 30
    while cloud._lock_fh is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    if cloud._lock_fh is None:  # the final snapshot is written, the engines stopped, the folder released
        # nothing is left to write: skip the interpreter's teardown, which frees every restored object one by
        # one (about 2 s of `sandbox down` with 100,000 S3 objects)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0
