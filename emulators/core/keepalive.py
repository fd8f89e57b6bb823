"""HTTP/1.1 keep-alive for the sandbox's werkzeug server.

werkzeug's development server answers every request with ``Connection: close``: Python's
``http.server`` cannot tell where an unread request body ends, so the next request line could be read
from the middle of it. Every AWS call then paid a new TCP connection and a new server thread (about a
third of the server's time for a small call such as ``ListBuckets``), and an Athena query's three calls
paid it three times. boto3, the AWS CLI and the SDKs all keep connections open and reuse them.

:class:`KeepAliveRequestHandler` keeps the connection when it can find the end of the request: the body
reaches the application through :class:`_RequestBody`, which counts what was read; after the answer the
rest of the body is read and dropped, and the next request is read from a clean stream. A body whose
end cannot be trusted (a chunked body left unread, an invalid ``Content-Length``) or whose unread rest
is large (a big upload refused before it was read) closes the connection as werkzeug always did. An idle connection is closed
after :data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any

from werkzeug.serving import DechunkedInput, WSGIRequestHandler

IDLE_SECONDS = 60.0  # an idle kept-alive connection is closed after this (botocore reconnects by itself)
MAX_DRAIN_BYTES = 1 << 20  # an unread rest of a body larger than this closes the connection instead
LINGER_SECONDS = 2.0  # how long such a closing connection still takes (and drops) what the client sends
_DIGITS = re.compile(r"^\s*\d{1,19}\s*$")


_OPEN_LOCK = threading.Lock()


def _open_connections(server: Any) -> set[Any]:
    connections = getattr(server, "sandbox_connections", None)
    if connections is None:
        connections = server.sandbox_connections = set()
    return connections


def close_connections(server: Any) -> None:
    """The server stops: answers from now on close their connection, and connections waiting for their next
    request are closed (a client's next call connects again and finds the server gone, as before keep-alive)."""
    server.sandbox_closing = True
    with _OPEN_LOCK:
        connections = list(_open_connections(server))
    for connection in connections:
        try:
            connection.shutdown(socket.SHUT_RD)
        except OSError:
            pass


def _linger(connection: socket.socket) -> None:
    """Close a connection whose client may still be sending a body nobody reads: the answer is sent and our
    side shut first, then what arrives is dropped for a moment (at most :data:`LINGER_SECONDS`). Closing with
    unread bytes would reset the connection, and a client still sending would lose the answer it was sent."""
    try:
        connection.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            connection.settimeout(left)
            if not connection.recv(65536):
                break
    except OSError:
        pass


class _RequestBody:
    """The request body as the application reads it: at most its ``Content-Length`` (or up to the end of
    a chunked body), counting what is left so that the server can skip it after the answer."""

    def __init__(self, stream: Any, length: int | None) -> None:
        self._stream = stream  # the socket file, or werkzeug's DechunkedInput over it for a chunked body
        self.remaining = length  # bytes not yet read, or None for a chunked body
        self.finished = length == 0

    def read(self, size: int | None = -1) -> bytes:
        if self.finished:
            return b""
        if self.remaining is not None:
            size = self.remaining if size is None or size < 0 else min(size, self.remaining)
            data = self._stream.read(size) if size else b""
            self.remaining -= len(data)
            if self.remaining <= 0 or not data:
                self.finished = True
            return data
        data = self._stream.read(size if size is not None else -1)
        if not data or size is None or size < 0:
            self.finished = True
        return data

    def readline(self, size: int | None = -1) -> bytes:
        if self.finished:
            return b""
        if self.remaining is not None:
            limit = self.remaining if size is None or size < 0 else min(size, self.remaining)
            data = self._stream.readline(limit)
            self.remaining -= len(data)
            if self.remaining <= 0 or not data:
                self.finished = True
            return data
        data = self._stream.readline(size if size is not None else -1)
        if not data:
            self.finished = True
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def skip_rest(self) -> bool:
        """Read and drop what the application left unread; False when the connection cannot be reused."""
        if self.finished:
            return True
        if not self.reusable():
            return False
        while self.remaining and self.read(min(65536, self.remaining)):
            pass
        return self.remaining == 0

    def reusable(self) -> bool:
        """Whether the connection can carry another request after this one: the body was read to its end, or
        what is left of it has a known, small length (an unread chunked body closes the connection: where
        its end is cannot be trusted before reading it)."""
        return self.finished or (self.remaining is not None and self.remaining <= MAX_DRAIN_BYTES)


class _Exhausted:
    """What werkzeug's own after-the-answer drain reads from: nothing (it would read the next request)."""

    @staticmethod
    def read(size: int = -1) -> bytes:
        return b""


class KeepAliveRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, keeping the connection open between requests (see the module)."""

    timeout = IDLE_SECONDS
    _body: _RequestBody | None = None
    _socket_file: Any = None
    _unread_at_close = False

    def setup(self) -> None:
        super().setup()
        # the head and the body of an answer are two writes: without this the body of a kept-alive answer
        # waits for the client's delayed ACK of the head (Nagle), about 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with _OPEN_LOCK:
            _open_connections(self.server).add(self.connection)

    def finish(self) -> None:
        with _OPEN_LOCK:
            _open_connections(self.server).discard(self.connection)
        super().finish()
        if self._unread_at_close:
            _linger(self.connection)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        # werkzeug reads the socket dry after every answer (safe only because it always closes): from here
        # it reads from nothing, and the request body only through the counting wrapper below
        self._socket_file, self.rfile = self.rfile, _Exhausted()
        self._body = None
        stream = environ.get("wsgi.input")
        if isinstance(stream, DechunkedInput):
            self._body = _RequestBody(stream, None)
        else:
            length = environ.get("CONTENT_LENGTH")
            if length in (None, ""):
                self._body = _RequestBody(stream, 0)
            elif _DIGITS.match(str(length)):
                self._body = _RequestBody(stream, int(length))
        if self._body is not None:
            environ["wsgi.input"] = self._body
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" and not self.close_connection \
                and self._body is not None and self._body.reusable() \
                and not getattr(self.server, "sandbox_closing", False):
            return  # werkzeug closes every connection; this one's request ends where we know
        super().send_header(keyword, value)

    def log_error(self, format: str, *args: Any) -> None:
        if format.startswith("Request timed out"):
            return  # an idle kept-alive connection closing is not an error
        super().log_error(format, *args)

    def handle_one_request(self) -> None:
        self._body = None
        try:
            super().handle_one_request()
        finally:
            if self._socket_file is not None:  # the socket file back, for the next request line and for close
                self.rfile, self._socket_file = self._socket_file, None
        body = self._body
        if not self.close_connection and (body is None or not body.skip_rest()):
            self.close_connection = True
        if self.close_connection and body is not None and not body.finished:
            self._unread_at_close = True
