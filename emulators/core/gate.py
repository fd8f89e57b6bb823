"""The security gate the server runs before any service sees a request.

The rules live in :mod:`emulators.core.security` (hosts, origins, SigV4) and
:mod:`emulators.core.validation` (request shapes against the botocore models);
this class applies them in order to a WSGI ``environ`` and keeps what they need:
the settings, the admin token, and the two ports the S3 provider registers at
install (a bucket's CORS rules, whether a bucket lets an anonymous request in).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from emulators.core import moto_coupling
from emulators.core.errors import AwsRefusal
from emulators.core.security import (
    DEFAULT_KEYS,
    UNSIGNED_QUERY_ACTIONS,
    CorsRule,
    SecuritySettings,
    create_admin_token,
    request_protocol,
    s3_bucket_of,
    token_matches,
)
from emulators.core.signatures import (
    missing_authentication,
    parse_signature,
    parse_signature_v2,
    unknown_key,
    verify_post_policy,
    verify_signature,
    verify_signature_v2,
)

_DIGITS = re.compile(r"^\d+$")
MAX_READ_BODY = 5 * 1024**3


class SecurityGate:
    def __init__(self, port: int) -> None:
        self.settings = SecuritySettings.from_env(port)
        self.token = ""
        # ports the S3 provider fills in at install
        self.s3_cors_rules: Callable[[str], list[CorsRule] | None] = lambda bucket: None
        self.s3_anonymous_allowed: Callable[[dict[str, Any]], bool] = lambda environ: False

    def start(self, state_dir: Path) -> str:
        self.token = create_admin_token(state_dir)
        return self.token

    # ---- hosts and origins ----------------------------------------------------------------------
    def check_host(self, environ: dict[str, Any]) -> None:
        host = environ.get("HTTP_HOST", "")
        if not self.settings.host_allowed(host):
            raise AwsRefusal(403, "AccessDenied", f"The sandbox answers only requests addressed to a loopback host "
                             f"(127.0.0.1, localhost, [::1]), not to '{host[:100]}'. To open it to another host "
                             "deliberately, set SANDBOX_ALLOWED_HOSTS (see docs/security.md).",
                             request_protocol(environ))

    def _cross_site(self, environ: dict[str, Any]) -> str | None:
        """The foreign origin of a browser request, or None for a same-origin or non-browser one."""
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self.settings.origin_allowed(origin):
            return origin
        if environ.get("HTTP_SEC_FETCH_SITE", "").lower() == "cross-site" and origin is None:
            return "(a cross-site page)"
        return None

    def check_same_origin(self, environ: dict[str, Any]) -> None:
        """Admin and console routes: no foreign page may reach them at all."""
        foreign = self._cross_site(environ)
        if foreign is not None:
            raise AwsRefusal(403, "AccessDenied", f"Cross-origin request from {foreign[:100]} refused.",
                             request_protocol(environ))

    def require_token(self, environ: dict[str, Any]) -> None:
        if not token_matches(environ, self.token):
            raise AwsRefusal(401, "AccessDenied", "This route needs the sandbox's admin token in an X-Sandbox-Token "
                             "header (it is in <state folder>/admin-token, readable only by its owner).", "json")

    def preflight(self, environ: dict[str, Any]) -> list[tuple[str, str]] | None:
        """The headers of a CORS preflight answer, or None if the request is not a preflight."""
        origin = environ.get("HTTP_ORIGIN")
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        if environ.get("REQUEST_METHOD") != "OPTIONS" or not origin or not method:
            return None
        requested = [h.strip().lower() for h in environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").split(",")
                     if h.strip()]
        if self.settings.origin_allowed(origin):
            headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", method),
                       ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Max-Age", "600"),
                       ("Vary", "Origin")]
            if requested:
                headers.append(("Access-Control-Allow-Headers", ", ".join(requested)))
            return headers
        rule = self._s3_rule(environ, origin, method, requested)
        if rule is None:
            raise AwsRefusal(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually "
                             "because the evalution of Origin, request method / Access-Control-Request-Method or "
                             "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.", "s3")
        return rule.response_headers(origin, method, requested)

    def _s3_rule(self, environ: dict[str, Any], origin: str, method: str, requested: list[str]) -> CorsRule | None:
        bucket = s3_bucket_of(environ)
        if not bucket:
            return None
        for rule in self.s3_cors_rules(bucket) or []:
            if rule.matches(origin, method, requested):
                return rule
        return None

    def check_origin(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        """Refuse a foreign browser request unless an S3 bucket's CORS rules allow it; return its CORS headers."""
        foreign = self._cross_site(environ)
        if foreign is None:
            origin = environ.get("HTTP_ORIGIN")
            return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] if origin else []
        origin = environ.get("HTTP_ORIGIN")
        rule = self._s3_rule(environ, origin, environ.get("REQUEST_METHOD", "GET"), []) if origin else None
        if rule is None:
            raise AwsRefusal(403, "AccessDenied", f"Cross-origin request from {foreign[:100]} refused: only the "
                             "sandbox's own origin, SANDBOX_ALLOWED_ORIGINS, and S3 requests that the bucket's CORS "
                             "configuration allows may reach the sandbox from a browser.", request_protocol(environ))
        headers = [("Access-Control-Allow-Origin", "*" if rule.allowed_origins == ["*"] else origin),
                   ("Vary", "Origin")]
        if rule.expose_headers:
            headers.append(("Access-Control-Expose-Headers", ", ".join(rule.expose_headers)))
        return headers

    # ---- authentication ---------------------------------------------------------------------------
    def secret_for(self, access_key: str) -> str | None:
        """The secret of a key the sandbox knows; raises for a key IAM has deactivated."""
        if access_key in DEFAULT_KEYS:
            return DEFAULT_KEYS[access_key]
        found = moto_coupling.access_key_secret(access_key)
        if found is None:
            return None
        secret, active = found
        if not active:
            raise AwsRefusal(403, "InvalidClientTokenId", "The security token included in the request is invalid: "
                             "the access key is inactive.", "query")
        return secret

    def authenticate(self, environ: dict[str, Any]) -> None:
        """Check the request's AWS authentication; may replace ``wsgi.input`` with the body it read."""
        protocol = request_protocol(environ)
        self._check_content_length(environ, protocol)
        signed = parse_signature(environ)
        is_s3 = protocol == "s3"
        body: bytes | None = None
        if signed is None and is_s3:
            signed_v2 = parse_signature_v2(environ)
            if signed_v2 is not None:
                secret = self.secret_for(signed_v2.access_key)
                if secret is None:
                    if self.settings.strict_auth:
                        raise unknown_key(protocol)
                else:
                    verify_signature_v2(environ, signed_v2, secret)
                return
        if signed is None:
            if is_s3 and environ.get("REQUEST_METHOD") == "POST" and \
                    environ.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
                body = self._read_body(environ)
                fields, file_size = _form_fields(environ, body)
                verify_post_policy(fields, self._lookup_quietly, self.settings.strict_auth,
                                   s3_bucket_of(environ), file_size)
                return
            if is_s3 and self.s3_anonymous_allowed(environ):
                return
            if _unsigned_operation(environ):
                return
            raise missing_authentication(protocol)
        try:
            secret = self.secret_for(signed.access_key)
        except AwsRefusal as refusal:
            refusal.protocol = protocol
            raise
        from emulators.core.validation import s3_request_has_xml_body, validate_request

        if not is_s3 or signed.payload_hash is None or s3_request_has_xml_body(environ):
            body = self._read_body(environ)
        if secret is None:
            if self.settings.strict_auth:
                raise unknown_key(protocol)
        else:
            verify_signature(environ, signed, secret, body)
        validate_request(environ, signed.service, body, protocol)

    def _lookup_quietly(self, access_key: str) -> str | None:
        try:
            return self.secret_for(access_key)
        except AwsRefusal:
            return None

    @staticmethod
    def _check_content_length(environ: dict[str, Any], protocol: str) -> None:
        length = environ.get("CONTENT_LENGTH")
        if length in (None, ""):
            return
        if not _DIGITS.match(str(length).strip()):
            code = "InvalidArgument" if protocol == "s3" else "ValidationException"
            raise AwsRefusal(400, code, f"Content-Length must be a non-negative whole number, not '{length}'.",
                             protocol)

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        length = environ.get("CONTENT_LENGTH")
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length:
            body = stream.read(int(length)) if int(length) else b""
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body


def _form_fields(environ: dict[str, Any], body: bytes) -> tuple[dict[str, str], int | None]:
    """A browser POST's form fields and the size of its ``file`` (None without one)."""
    from werkzeug.formparser import parse_form_data

    copy = dict(environ)
    copy["wsgi.input"] = io.BytesIO(body)
    _, form, files = parse_form_data(copy)
    upload = files.get("file")
    size = None
    if upload is not None:
        upload.stream.seek(0, io.SEEK_END)
        size = upload.stream.tell()
    return {key: form.get(key) for key in form}, size


def _unsigned_operation(environ: dict[str, Any]) -> bool:
    """Operations AWS itself serves without a signature (STS web-identity and SAML sign-in)."""
    query = environ.get("QUERY_STRING", "")
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "Action" and unquote(value) in UNSIGNED_QUERY_ACTIONS:
            return True
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded") and \
            environ.get("REQUEST_METHOD") == "POST":
        stream = environ.get("wsgi.input")
        body = SecurityGate._read_body(environ) if stream is not None else b""
        for pair in body.decode("utf-8", "replace").split("&"):
            key, _, value = pair.partition("=")
            if key == "Action" and unquote(value) in UNSIGNED_QUERY_ACTIONS:
                return True
    return False
