"""The security gate: what a request must be before any service sees it.

The threat model and the rules are in ``docs/security.md``. In short, every
request to the sandbox passes, in this order:

1. **Host**: loopback names only (``127.0.0.1``, ``localhost``, ``*.localhost``,
   ``[::1]``) plus ``SANDBOX_ALLOWED_HOSTS``; anything else is a DNS-rebinding
   attempt and is refused.
2. **Origin**: a browser request from a page that is not the sandbox's own origin
   (or one in ``SANDBOX_ALLOWED_ORIGINS``) is refused, as is one marked
   ``Sec-Fetch-Site: cross-site``, except S3 requests that the bucket's own CORS
   configuration allows (S3's CORS semantics). No wildcard, no echoed origin.
3. **Authentication**: AWS Signature Version 4 (header or presigned query). The
   signature of a key the sandbox knows (the default test keys, keys created with
   IAM or STS in the sandbox) is verified; unknown keys are accepted unless
   ``SANDBOX_STRICT_AUTH=1``. Unsigned requests get AWS's error, except anonymous
   S3 reads that the bucket makes public and operations AWS itself serves
   unsigned (``sts:AssumeRoleWithWebIdentity``...).

The signature checks themselves are in ``signatures.py``.

Admin routes (``/_sandbox/*``) need the per-start token (moto's ``/moto-api/*`` is not served)
from ``<state>/admin-token`` (mode 0600) in an ``X-Sandbox-Token`` header, which
no simple cross-site request can carry.
"""

from __future__ import annotations

import fnmatch
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ADMIN_TOKEN_FILE = "admin-token"
TOKEN_HEADER = "HTTP_X_SANDBOX_TOKEN"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_KEYS = {"test": "test"}
ALGORITHM = "AWS4-HMAC-SHA256"
# operations AWS serves without a signature (botocore models mark them auth: none)
UNSIGNED_QUERY_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
# the protocol a client spoke when the request the backend sees was rewritten (``protocol_bridge``)
CLIENT_PROTOCOL = "sandbox.client_protocol"
CLIENT_METHOD = "sandbox.client_method"  # and the HTTP method it used (a GET changes nothing)
_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")


# ---- settings ---------------------------------------------------------------------------------------


def _split_env(name: str) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in os.environ.get(name, "").split(",") if v.strip())


@dataclass
class SecuritySettings:
    """What the gate allows; read from the environment when the cloud starts."""

    port: int
    allowed_hosts: frozenset[str] = frozenset()
    allowed_origins: frozenset[str] = frozenset()
    strict_auth: bool = False

    @classmethod
    def from_env(cls, port: int) -> SecuritySettings:
        return cls(port=port, allowed_hosts=_split_env("SANDBOX_ALLOWED_HOSTS"),
                   allowed_origins=_split_env("SANDBOX_ALLOWED_ORIGINS"),
                   strict_auth=os.environ.get("SANDBOX_STRICT_AUTH", "").lower() in ("1", "true", "yes"))

    def host_allowed(self, host_header: str) -> bool:
        host = _host_name(host_header)
        if not host:
            return False
        return (host in LOOPBACK_HOSTS or host.endswith(".localhost") or host in self.allowed_hosts
                or "*" in self.allowed_hosts)

    def own_origins(self) -> set[str]:
        return {f"http://{h}:{self.port}" for h in ("127.0.0.1", "localhost", "[::1]")}

    def origin_allowed(self, origin: str) -> bool:
        origin = origin.strip().lower().rstrip("/")
        return origin in self.own_origins() or origin in self.allowed_origins


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


# ---- admin token ------------------------------------------------------------------------------------


def create_admin_token(state_dir: Path) -> str:
    """A fresh token for this start, written so only the owner can read it (mode 0600)."""
    token = secrets.token_urlsafe(32)
    path = state_dir / ADMIN_TOKEN_FILE
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    return token


def read_admin_token(state_dir: Path) -> str | None:
    try:
        return (Path(state_dir) / ADMIN_TOKEN_FILE).read_text().strip() or None
    except OSError:
        return None


def token_matches(environ: dict[str, Any], token: str) -> bool:
    given = environ.get(TOKEN_HEADER, "")
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


# ---- protocol of a request (for the error shape) ----------------------------------------------------


def credential_scope(environ: dict[str, Any]) -> list[str] | None:
    """``[access key, date, region, service, "aws4_request"]`` of a SigV4 request, else None."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = None
    if auth.startswith(ALGORITHM):
        match = _CREDENTIAL.search(auth)
        credential = match.group(1) if match else None
    else:
        query = environ.get("QUERY_STRING", "")
        if "X-Amz-Credential=" in query:
            credential = unquote(_query_value(query, "X-Amz-Credential") or "")
    if not credential:
        return None
    parts = credential.split("/")
    return parts if len(parts) == 5 else None


def _query_value(query: str, name: str) -> str | None:
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if unquote(key) == name:
            return value
    return None


def request_protocol(environ: dict[str, Any]) -> str:
    """"s3", "json", "rest-json" or "query": how an error for this request must look."""
    if environ.get(CLIENT_PROTOCOL):
        return environ[CLIENT_PROTOCOL]
    scope = credential_scope(environ)
    if scope is not None and scope[3] == "s3":
        return "s3"
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" in content_type:
        return "rest-json"
    if "x-www-form-urlencoded" in content_type or "Action=" in environ.get("QUERY_STRING", ""):
        return "query"
    if scope is not None and scope[3] in ("lambda", "batch", "emr-serverless", "sagemaker"):
        return "rest-json"
    return "s3" if scope is None else "query"


def json_content_type(environ: dict[str, Any]) -> str:
    """A JSON-protocol answer's type: the request's ``application/x-amz-json-1.0``/``1.1`` (else 1.1)."""
    if environ.get(CLIENT_PROTOCOL) == "rest-json":
        return "application/json"
    requested = environ.get("CONTENT_TYPE", "")
    return requested if requested.startswith("application/x-amz-json-") else "application/x-amz-json-1.1"


def answer_content_type(environ: dict[str, Any], content_type: str, body: bytes) -> str:
    """The ``Content-Type`` AWS gives an answer where moto's JSON handlers leave ``text/html`` (or
    ``application/json`` for a JSON-protocol error).

    JSON-protocol services answer in the request's own ``application/x-amz-json-1.0``/``1.1`` (botocore sends
    its model's ``jsonVersion``); REST-JSON services answer ``application/json``. Any other answer (XML, a
    Lambda payload, a download) keeps its type.
    """
    if content_type and content_type != "text" and not content_type.startswith(("text/html", "application/json")):
        return content_type  # (moto's serialisers leave a bare "text" where they set no type)
    protocol = request_protocol(environ)
    if protocol == "json":
        return json_content_type(environ)
    if protocol == "rest-json" and body[:64].lstrip()[:1] in (b"", b"{", b"["):
        return content_type if content_type.startswith("application/json") else "application/json"
    return content_type


# ---- origins and CORS -------------------------------------------------------------------------------


@dataclass
class CorsRule:
    allowed_origins: list[str]
    allowed_methods: list[str]
    allowed_headers: list[str] = field(default_factory=list)
    expose_headers: list[str] = field(default_factory=list)
    max_age_seconds: int | None = None

    def matches(self, origin: str, method: str, headers: Iterable[str]) -> bool:
        if not any(_wildcard(pattern, origin) for pattern in self.allowed_origins):
            return False
        if method.upper() not in {m.upper() for m in self.allowed_methods}:
            return False
        return all(any(_wildcard(p.lower(), h.lower()) for p in self.allowed_headers) for h in headers if h)

    def response_headers(self, origin: str, method: str, requested: list[str]) -> list[tuple[str, str]]:
        allow_origin = "*" if self.allowed_origins == ["*"] else origin
        headers = [("Access-Control-Allow-Origin", allow_origin),
                   ("Access-Control-Allow-Methods", ", ".join(self.allowed_methods)),
                   ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")]
        if allow_origin != "*":
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if requested:
            headers.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        if self.expose_headers:
            headers.append(("Access-Control-Expose-Headers", ", ".join(self.expose_headers)))
        if self.max_age_seconds is not None:
            headers.append(("Access-Control-Max-Age", str(self.max_age_seconds)))
        return headers


def _wildcard(pattern: str, value: str) -> bool:
    """S3's CORS matching: at most one ``*`` in a pattern, matching any run of characters."""
    if pattern == "*":
        return True
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]").replace("?", "[?]"))


def _virtual_host_bucket(environ: dict[str, Any]) -> str | None:
    """The bucket of a virtual-hosted-style S3 request (``bucket.localhost``), else None."""
    host = _host_name(environ.get("HTTP_HOST", ""))
    for suffix in (".s3.localhost.localstack.cloud", ".localhost"):
        if host.endswith(suffix) and host != suffix.lstrip("."):
            return host[: -len(suffix)]
    return None


def s3_bucket_of(environ: dict[str, Any]) -> str | None:
    """The bucket a path-style or virtual-hosted-style S3 request names."""
    bucket = _virtual_host_bucket(environ)
    if bucket:
        return bucket
    segment = environ.get("PATH_INFO", "/").lstrip("/").split("/", 1)[0]
    return segment or None


# S3 sub-resources of object-level writes that change more than the key's versions (tags, ACLs, locks,
# multipart state): those go to the snapshot, not the journal
_NOT_JOURNALED = ("tagging", "acl", "retention", "legal-hold", "uploads", "partNumber", "restore", "select",
                  "torrent", "attributes")


def s3_object_write(environ: dict[str, Any]) -> tuple[str, list[str], str] | None:
    """``(bucket, keys, region)`` when a successful S3 request wrote exactly those keys' versions (PUT, copy,
    completed multipart upload, delete, multi-object delete) or created a bucket (``keys`` empty); else None."""
    bucket = s3_bucket_of(environ)
    if not bucket:
        return None
    method = environ.get("REQUEST_METHOD", "GET")
    query = environ.get("QUERY_STRING", "")
    names = {pair.partition("=")[0] for pair in query.split("&") if pair}
    path = environ.get("PATH_INFO", "/").lstrip("/")
    host_style = _virtual_host_bucket(environ) == bucket
    key = path if host_style else path[len(bucket):].lstrip("/") if path.startswith(bucket) else ""
    if names & set(_NOT_JOURNALED):
        return None
    if not key:
        if method == "PUT" and not names:
            region = "us-east-1"
            body = environ.get("wsgi.input")
            if body is not None and hasattr(body, "getvalue"):
                match = re.search(rb"<LocationConstraint>([^<]+)</LocationConstraint>", body.getvalue())
                region = match.group(1).decode() if match else region
            return bucket, [], region
        if method == "POST" and "delete" in names:
            body = environ.get("wsgi.input")
            if body is None or not hasattr(body, "getvalue"):
                return None
            import xml.etree.ElementTree as ElementTree

            try:
                root = ElementTree.fromstring(body.getvalue())
            except ElementTree.ParseError:
                return None
            keys = [el.text or "" for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Key"]
            return bucket, keys, ""
        return None
    if method == "PUT" and names <= {"versionId", "x-id"}:
        return bucket, [key], ""
    if method == "DELETE" and names <= {"versionId", "x-id"}:
        return bucket, [key], ""
    if method == "POST" and "uploadId" in names:
        return bucket, [key], ""
    return None


# ---- SigV4 --------------------------------------------------------------------------------------------
