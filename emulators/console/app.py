"""The console's WSGI application: sign-in with the admin token, sessions, CSRF, routing.

- ``GET /_console/...?token=<admin token>``: a valid token (compared in constant time) opens a
  session: an HttpOnly, SameSite=Strict cookie, then a redirect to the same URL without the token.
- Every other request needs that cookie, else 403 with a page that says to run ``sandbox console``.
- State-changing actions are POST only and carry the session's CSRF token in a form field
  (compared in constant time); a POST whose ``Origin`` is not this console's origin, or which the
  browser marks ``Sec-Fetch-Site: cross-site``, is refused (the server's own gate refuses those
  too; this is the second lock on the same door).
- Pages fetch their data with boto3 clients on the sandbox's endpoint (the per-service
  ``AWS_ENDPOINT_URL_<SERVICE>`` variables win, as for any client, so the docker compose setup
  shows LocalStack's S3); a service that fails shows a message on its page, never a traceback.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from emulators.console import ui

log = logging.getLogger("sandbox.console")

COOKIE = "sandbox_console"
MAX_SESSIONS = 200
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
WARM_CLIENTS = ("s3", "glue", "athena", "stepfunctions", "sagemaker", "logs", "cloudwatch", "lambda", "kinesis",
                "firehose", "events", "redshift", "redshift-data", "sagemaker-runtime")
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make Chrome send Origin: null on our own POSTs
    "Cache-Control": "no-store",
}


class Forbidden(Exception):
    pass


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class NotFound(Exception):
    pass


class BadRequest(Exception):
    """A form that lacks what the action needs (400 with the message)."""


class Clients:
    """boto3 clients on the sandbox, made once and shared (boto3 clients are thread-safe)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None

    def endpoint_for(self, service: str) -> str:
        import os

        if service == "s3" and os.environ.get("SANDBOX_S3_ENDPOINT"):
            return os.environ["SANDBOX_S3_ENDPOINT"]
        session = self._boto_session()
        service_id = session._session.get_service_model(service).service_id
        env = "AWS_ENDPOINT_URL_" + str(service_id).upper().replace(" ", "_").replace("-", "_")
        chosen = os.environ.get(env) or os.environ.get("AWS_ENDPOINT_URL") or self.endpoint_url
        return self.endpoint_url if self._is_this_server(chosen) else chosen

    def _is_this_server(self, url: str) -> bool:
        """True for an endpoint that names this server by another name (docker compose's ``emulators:4567``):
        the server's gate accepts loopback Host names only, so the console calls itself on loopback."""
        import socket
        from urllib.parse import urlsplit

        ours, theirs = urlsplit(self.endpoint_url), urlsplit(url)
        if theirs.port != ours.port or not theirs.hostname:
            return False
        try:
            address = socket.gethostbyname(theirs.hostname)
            own = {socket.gethostbyname(socket.gethostname())}
        except OSError:
            return False
        return address.startswith("127.") or address in own

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                                  region_name="us-east-1")
        return self._session

    def __call__(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is not None:
            return client
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                config = Config(connect_timeout=3, read_timeout=60, retries={"max_attempts": 1},
                                s3={"addressing_style": "path"}, max_pool_connections=20)
                self._clients[service] = self._boto_session().client(
                    service, endpoint_url=self.endpoint_for(service), config=config)
            return self._clients[service]


class Context:
    """What a page handler gets: the request, clients, the session's CSRF token, the cloud."""

    def __init__(self, app: ConsoleApp, request: Request, csrf: str) -> None:
        self.app = app
        self.request = request
        self.csrf = csrf
        self.client = app.clients
        self.cloud = app.cloud

    def arg(self, name: str, default: str = "") -> str:
        return self.request.args.get(name, default)

    def field(self, name: str, default: str = "") -> str:
        return self.request.form.get(name, default)

    @property
    def state_dir(self) -> Path | None:
        value = getattr(self.cloud, "state_dir", None)
        return Path(value) if value else None


Handler = Callable[[Context], Any]


def describe_error(exc: BaseException) -> str:
    """One line a learner can act on: the AWS error code and message, or why the service is unreachable."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    name = type(exc).__name__
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"):
        return f"the service is not answering ({exc})"
    return f"{name}: {exc}"


def safe(ctx_or_none: Any, fn: Callable[[], Any], what: str) -> tuple[Any, ui.Markup]:
    """Run ``fn``; on failure return (None, a message box) instead of raising."""
    try:
        return fn(), ui.Markup("")
    except (Redirect, Forbidden, NotFound, BadRequest):
        raise
    except Exception as exc:  # a service that is down or refuses degrades to a message
        log.debug("console: %s failed: %s", what, traceback.format_exc())
        return None, ui.message(f"{what} is not available: {describe_error(exc)}", "error")


class ConsoleApp:
    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.clients = Clients(getattr(cloud, "endpoint_url", "http://127.0.0.1:4566"))
        self._sessions: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        from emulators.console.pages import ROUTES

        self.routes: dict[tuple[str, str], Handler] = ROUTES
        # making a boto3 client takes tens of milliseconds: make them once, in the background
        threading.Thread(target=self._warm_clients, name="console-clients", daemon=True).start()

    def _warm_clients(self) -> None:
        for service in WARM_CLIENTS:
            try:
                self.clients(service)
            except Exception:  # a client that cannot be made fails again, with its message, on its page
                pass

    # -- authentication ----------------------------------------------------
    def admin_token(self) -> str | None:
        token = getattr(self.cloud, "admin_token", None)
        if token:
            return str(token)
        state_dir = getattr(self.cloud, "state_dir", None)
        if state_dir:
            try:
                return (Path(state_dir) / "admin-token").read_text().strip() or None
            except OSError:
                return None
        return None

    def _open_session(self) -> tuple[str, str]:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session_id] = csrf
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session_id, csrf

    def _session_csrf(self, request: Request) -> str | None:
        session_id = request.cookies.get(COOKIE, "")
        if not session_id:
            return None
        with self._lock:
            for known, csrf in self._sessions.items():
                if hmac.compare_digest(known.encode(), session_id.encode()):
                    return csrf
        return None

    @staticmethod
    def _cross_site(request: Request) -> bool:
        if request.headers.get("Sec-Fetch-Site", "") == "cross-site":
            return True
        origin = request.headers.get("Origin")
        if origin is None:  # not a browser, or a browser that sends no Origin on same-origin posts
            return False
        host = request.headers.get("Host", "")
        return origin not in (f"http://{host}", f"https://{host}")

    # -- WSGI ---------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_UPLOAD_BYTES
        started = time.perf_counter()
        try:
            response = self.handle(request)
        except Exception:  # never a traceback in a page
            log.error("console error for %s %s:\n%s", request.method, request.path, traceback.format_exc())
            response = self.html(ui.bare_page("Something went wrong",
                                              ui.message("The console could not draw this page; the sandbox log "
                                                         "(<state>/logs/server.log) has the details.", "error")), 500)
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        response.headers["Server-Timing"] = f"console;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response(environ, start_response)

    @staticmethod
    def html(markup: str, status: int = 200) -> Response:
        return Response(str(markup), status=status, content_type="text/html; charset=utf-8")

    def forbidden(self, why: str) -> Response:
        body = ui.Markup(
            f"<p>{ui.esc(why)}</p><p>The console opens only through the link <code>sandbox console</code> "
            "prints or opens: run <code>sandbox console</code> (or <code>sandbox console --print-url</code>) "
            "on the machine where the sandbox runs.</p>")
        return self.html(ui.bare_page("Sign in with sandbox console", body), 403)

    def handle(self, request: Request) -> Response:
        path = request.path
        if not path.startswith(ui.BASE):
            return self.html(ui.bare_page("Not found", ""), 404)
        sub = path[len(ui.BASE):] or "/"
        token = request.args.get("token")
        if token is not None:
            expected = self.admin_token()
            if request.method != "GET" or not expected or not hmac.compare_digest(token.encode(), expected.encode()):
                return self.forbidden("That console link is not valid (the sandbox makes a new one each time it starts).")
            session_id, _ = self._open_session()
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
            target = path + ("?" + urlencode(rest) if rest else "")
            response = Response("", status=303, headers={"Location": target})
            response.set_cookie(COOKIE, session_id, path=ui.BASE + "/", httponly=True, samesite="Strict")
            return response
        csrf = self._session_csrf(request)
        if csrf is None:
            return self.forbidden("You are not signed in to the console.")
        if request.method not in ("GET", "HEAD"):
            if request.method != "POST":
                return self.html(ui.bare_page("Method not allowed", ""), 405)
            if self._cross_site(request):
                return self.forbidden("A request from another site was refused.")
            sent = request.form.get("csrf", "")
            if not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
                return self.forbidden("The form's CSRF token is missing or wrong; reload the page and try again.")
        method = "POST" if request.method == "POST" else "GET"
        handler = self.routes.get((method, sub)) or self.routes.get((method, sub.rstrip("/") + "/"))
        if handler is None:
            return self.html(ui.page("Not found", ui.message(f"The console has no page {sub}.", "error")), 404)
        ctx = Context(self, request, csrf)
        try:
            result = handler(ctx)
        except Redirect as redirect:
            return Response("", status=303, headers={"Location": redirect.location})
        except NotFound as exc:
            return self.html(ui.page("Not found", ui.message(str(exc), "error")), 404)
        except BadRequest as exc:
            return self.html(ui.page("Bad request", ui.message(str(exc), "error")), 400)
        if isinstance(result, Response):
            return result
        return self.html(result)
