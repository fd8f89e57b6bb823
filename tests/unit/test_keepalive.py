"""HTTP/1.1 keep-alive of the sandbox's server (emulators/core/keepalive.py), on a bare werkzeug server
with a small WSGI application: requests share a connection when the end of each request is known, and
a body the application did not read never becomes the next request."""

from __future__ import annotations

import http.client
import threading

import pytest
from werkzeug.serving import make_server

from emulators.core.keepalive import MAX_DRAIN_BYTES, KeepAliveRequestHandler


def _app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/echo":  # reads the whole body
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        body = stream.read(int(length)) if length else stream.read()
    elif path == "/peek":  # reads 3 bytes of it, as an application that refuses a request early
        body = environ["wsgi.input"].read(3)
    else:  # never reads it
        body = b"ignored"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(scope="module")
def port():
    server = make_server("127.0.0.1", 0, _app, threaded=True, request_handler=KeepAliveRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _ask(conn, method, path, body=None, headers=None):
    headers = headers or {}
    conn.request(method, path, body=body, headers=headers, encode_chunked="Transfer-Encoding" in headers)
    response = conn.getresponse()
    return response, response.read()


def test_requests_share_one_connection_and_unread_bodies_do_not_leak_into_the_next(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    response, data = _ask(conn, "PUT", "/echo", b"hello")
    assert data == b"hello" and response.getheader("Connection") is None
    sock = conn.sock
    _, data = _ask(conn, "PUT", "/ignore", b"x" * 5000)  # body left unread by the application
    assert data == b"ignored"
    _, data = _ask(conn, "PUT", "/peek", b"abcdefgh")  # read in part
    assert data == b"abc"
    _, data = _ask(conn, "GET", "/echo")  # no body at all
    assert data == b""
    _, data = _ask(conn, "POST", "/echo", b"after")
    assert data == b"after"
    assert conn.sock is sock  # every answer came over the first connection


def test_a_chunked_body_read_to_its_end_keeps_the_connection_an_unread_one_closes_it(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    _, data = _ask(conn, "PUT", "/echo", iter([b"ab", b"cd"]), {"Transfer-Encoding": "chunked"})
    assert data == b"abcd"
    sock = conn.sock
    _, data = _ask(conn, "PUT", "/echo", b"next")
    assert data == b"next" and conn.sock is sock
    # a chunked body left unread: the connection closes rather than trust where the body ends
    response, data = _ask(conn, "PUT", "/ignore", iter([b"12345", b"678"]), {"Transfer-Encoding": "chunked"})
    assert data == b"ignored" and response.getheader("Connection") == "close"
    _, data = _ask(conn, "PUT", "/echo", b"again")
    assert data == b"again"


def test_a_large_unread_body_closes_the_connection_instead_of_reading_it(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    response, data = _ask(conn, "PUT", "/ignore", b"z" * (MAX_DRAIN_BYTES + 10))
    assert data == b"ignored"
    assert response.getheader("Connection") == "close"
    _, data = _ask(conn, "PUT", "/echo", b"fresh")  # http.client reconnects, as botocore does
    assert data == b"fresh"


def test_a_client_asking_to_close_is_answered_and_closed(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    response, data = _ask(conn, "PUT", "/echo", b"bye", {"Connection": "close"})
    assert data == b"bye" and response.getheader("Connection") == "close"


def test_a_stopping_server_closes_kept_alive_connections():
    from emulators.core.keepalive import close_connections

    server = make_server("127.0.0.1", 0, _app, threaded=True, request_handler=KeepAliveRequestHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    _, data = _ask(conn, "PUT", "/echo", b"before")
    assert data == b"before"
    server.shutdown()
    close_connections(server)
    server.server_close()
    conn.sock.settimeout(5)
    assert conn.sock.recv(1) == b""  # the server closed the idle connection: no answer can come from it
