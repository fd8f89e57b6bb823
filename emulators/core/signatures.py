"""Request signatures, checked as AWS checks them: Signature Version 4 (header or presigned query),
S3's legacy Signature Version 2 and S3 browser POST policies, with the AWS errors each service returns
for a mismatch, an unknown key or a missing signature. The gate (``gate.py``) decides when to check."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from emulators.core.errors import AwsRefusal
from emulators.core.security import ALGORITHM, _CREDENTIAL, _query_value, _virtual_host_bucket, request_protocol

UNSIGNED_PAYLOADS = frozenset({
    "UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
})
_SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]+)")
_SIGNATURE = re.compile(r"Signature=([0-9a-fA-F]+)")


@dataclass
class SignedRequest:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    amz_date: str
    payload_hash: str | None
    presigned: bool
    expires: int | None = None


def parse_signature(environ: dict[str, Any]) -> SignedRequest | None:
    """The SigV4 parts of a request, or None if it carries no AWS authentication at all.

    Raises :class:`AwsRefusal` for authentication that is present but malformed.
    """
    protocol = request_protocol(environ)
    auth = environ.get("HTTP_AUTHORIZATION", "")
    query = environ.get("QUERY_STRING", "")
    if auth:
        if not auth.startswith(ALGORITHM):
            if auth.startswith("AWS "):
                raise AwsRefusal(400, "InvalidRequest", "The authorization mechanism you have provided is not "
                                 "supported. Please use AWS4-HMAC-SHA256.", protocol)
            raise AwsRefusal(400, "IncompleteSignature" if protocol != "s3" else "AuthorizationHeaderMalformed",
                             f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                             f"header and the {ALGORITHM} algorithm.", protocol)
        credential = _CREDENTIAL.search(auth)
        signed = _SIGNED_HEADERS.search(auth)
        signature = _SIGNATURE.search(auth)
        if not (credential and signed and signature) or len(credential.group(1).split("/")) != 5:
            raise AwsRefusal(400, "IncompleteSignature" if protocol != "s3" else "AuthorizationHeaderMalformed",
                             "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
                             f"parameters: {auth[:200]}", protocol)
        key, date, region, service, _ = credential.group(1).split("/")
        amz_date = environ.get("HTTP_X_AMZ_DATE", "")
        return SignedRequest(key, date, region, service, signed.group(1).lower().split(";"), signature.group(1),
                             amz_date, environ.get("HTTP_X_AMZ_CONTENT_SHA256"), presigned=False)
    if "X-Amz-Signature=" in query or "X-Amz-Credential=" in query:
        values = {name: unquote(_query_value(query, name) or "") for name in (
            "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
            "X-Amz-Signature")}
        missing = [name for name, value in values.items() if not value]
        if missing or values["X-Amz-Algorithm"] != ALGORITHM or len(values["X-Amz-Credential"].split("/")) != 5:
            raise AwsRefusal(400, "AuthorizationQueryParametersError",
                             "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                             "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
                             protocol)
        try:
            expires = int(values["X-Amz-Expires"])
        except ValueError:
            raise AwsRefusal(400, "AuthorizationQueryParametersError",
                             "X-Amz-Expires should be a number", protocol) from None
        if not 0 < expires <= 604800:
            raise AwsRefusal(400, "AuthorizationQueryParametersError",
                             "X-Amz-Expires must be less than a week (in seconds) that is 604800", protocol)
        key, date, region, service, _ = values["X-Amz-Credential"].split("/")
        return SignedRequest(key, date, region, service, values["X-Amz-SignedHeaders"].lower().split(";"),
                             values["X-Amz-Signature"], values["X-Amz-Date"],
                             environ.get("HTTP_X_AMZ_CONTENT_SHA256", "UNSIGNED-PAYLOAD"), presigned=True,
                             expires=expires)
    return None


# ---- Signature Version 2 (S3 only: boto3 still presigns S3 URLs and POST policies with it) --------------

# the sub-resources and response overrides S3's SigV2 signs (S3 developer guide, "Signing and authenticating
# REST requests", CanonicalizedResource)
SIGV2_SUBRESOURCES = frozenset({
    "accelerate", "acl", "analytics", "cors", "delete", "encryption", "inventory", "lifecycle", "location",
    "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment",
    "restore", "select", "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
    "versionId", "versioning", "versions", "website", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language", "response-content-type", "response-expires",
})


@dataclass
class SignedV2Request:
    access_key: str
    signature: str
    expires: int | None  # query authentication only


def parse_signature_v2(environ: dict[str, Any]) -> SignedV2Request | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("AWS ") and ":" in auth:
        key, _, signature = auth[4:].strip().rpartition(":")
        return SignedV2Request(key, signature, None)
    query = environ.get("QUERY_STRING", "")
    if "AWSAccessKeyId=" in query and "Signature=" in query:
        key = unquote(_query_value(query, "AWSAccessKeyId") or "")
        signature = unquote(_query_value(query, "Signature") or "")
        try:
            expires = int(unquote(_query_value(query, "Expires") or ""))
        except ValueError:
            raise AwsRefusal(403, "AccessDenied", "Query-string authentication requires the Signature, Expires and "
                             "AWSAccessKeyId parameters", "s3") from None
        return SignedV2Request(key, signature, expires)
    return None


def expected_signature_v2(environ: dict[str, Any], secret: str, expires: int | None) -> str:
    import base64

    amz = sorted((name[5:].lower().replace("_", "-"), " ".join(str(value).split()))
                 for name, value in environ.items() if name.startswith("HTTP_X_AMZ_"))
    date = str(expires) if expires is not None else (
        "" if environ.get("HTTP_X_AMZ_DATE") else environ.get("HTTP_DATE", ""))
    resource = _raw_path(environ)
    host_bucket = _virtual_host_bucket(environ)
    if host_bucket:
        resource = f"/{host_bucket}{resource}"
    subresources = []
    for item in environ.get("QUERY_STRING", "").split("&"):
        key, eq, value = item.partition("=")
        if key in SIGV2_SUBRESOURCES:
            subresources.append((key, unquote(value) if eq else None))
    if subresources:
        resource += "?" + "&".join(k if v is None else f"{k}={v}" for k, v in sorted(subresources))
    to_sign = "\n".join([environ.get("REQUEST_METHOD", "GET"), environ.get("HTTP_CONTENT_MD5", ""),
                         environ.get("CONTENT_TYPE", ""), date]) + "\n"
    to_sign += "".join(f"{name}:{value}\n" for name, value in amz) + resource
    digest = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_signature_v2(environ: dict[str, Any], signed: SignedV2Request, secret: str) -> None:
    if signed.expires is not None and dt.datetime.now(dt.timezone.utc).timestamp() > signed.expires:
        raise AwsRefusal(403, "AccessDenied", "Request has expired", "s3")
    expected = expected_signature_v2(environ, secret, signed.expires)
    if not hmac.compare_digest(expected, signed.signature):
        raise signature_mismatch("s3", "s3")


_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")


def _parse_amz_date(value: str) -> dt.datetime | None:
    """An ``X-Amz-Date`` (``20240115T093000Z``) as a UTC time (strptime took about 8% of a GetQueryExecution's
    time in the server)."""
    found = _AMZ_DATE.fullmatch(value or "")
    if found is None:
        return None
    try:
        return dt.datetime(*(int(part) for part in found.groups()), tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _raw_path(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = urlsplit(raw).path if raw.startswith(("http://", "https://")) else raw.split("?", 1)[0]
        return path or "/"
    return quote(environ.get("PATH_INFO", "/") or "/", safe="/~")


def _canonical_uri(environ: dict[str, Any], service: str) -> str:
    path = _raw_path(environ)
    if service == "s3":
        return path
    # every other service: the path normalised, then URI-encoded once more (as botocore signs it)
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")


def _canonical_query(query: str, drop_signature: bool) -> str:
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = unquote(key.replace("+", " ")), unquote(value.replace("+", " "))
        if drop_signature and key == "X-Amz-Signature":
            continue
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _header_value(environ: dict[str, Any], name: str) -> str | None:
    if name == "content-type":
        value = environ.get("CONTENT_TYPE")
    elif name == "content-length":
        value = environ.get("CONTENT_LENGTH")
    else:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
    if value is None:
        return None
    return " ".join(str(value).split())


@lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def expected_signature(environ: dict[str, Any], signed: SignedRequest, secret: str, body: bytes | None) -> str:
    """The signature a client holding ``secret`` computes for this request."""
    payload_hash = signed.payload_hash
    if payload_hash is None or (signed.service != "s3" and payload_hash not in UNSIGNED_PAYLOADS
                                and not signed.presigned and body is not None):
        payload_hash = hashlib.sha256(body or b"").hexdigest()
    headers = []
    for name in signed.signed_headers:
        value = _header_value(environ, name)
        headers.append(f"{name}:{value if value is not None else ''}\n")
    canonical = "\n".join([
        environ.get("REQUEST_METHOD", "GET"),
        _canonical_uri(environ, signed.service),
        _canonical_query(environ.get("QUERY_STRING", ""), drop_signature=signed.presigned),
        "".join(headers),
        ";".join(signed.signed_headers),
        payload_hash,
    ])
    scope = f"{signed.date}/{signed.region}/{signed.service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, signed.amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _signing_key(secret, signed.date, signed.region, signed.service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def signature_mismatch(protocol: str, service: str) -> AwsRefusal:
    message = ("The request signature we calculated does not match the signature you provided. "
               "Check your key and signing method.")
    if protocol == "s3":
        return AwsRefusal(403, "SignatureDoesNotMatch", message, protocol)
    if protocol in ("json", "rest-json"):
        return AwsRefusal(403, "InvalidSignatureException", message, protocol)
    return AwsRefusal(403, "SignatureDoesNotMatch", message, protocol)


def unknown_key(protocol: str) -> AwsRefusal:
    if protocol == "s3":
        return AwsRefusal(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.", protocol)
    if protocol in ("json", "rest-json"):
        return AwsRefusal(400, "UnrecognizedClientException", "The security token included in the request is "
                          "invalid.", protocol)
    return AwsRefusal(403, "InvalidClientTokenId", "The security token included in the request is invalid.",
                      protocol)


def missing_authentication(protocol: str) -> AwsRefusal:
    if protocol == "s3":
        return AwsRefusal(403, "AccessDenied", "Access Denied: the request carries no AWS signature and the "
                          "bucket does not allow anonymous access.", protocol)
    if protocol == "query":
        return AwsRefusal(403, "MissingAuthenticationToken", "Request is missing Authentication Token", protocol)
    return AwsRefusal(403, "MissingAuthenticationTokenException", "Missing Authentication Token", protocol)


def verify_signature(environ: dict[str, Any], signed: SignedRequest, secret: str, body: bytes | None,
                     now: dt.datetime | None = None) -> None:
    """Raise :class:`AwsRefusal` unless ``signed`` was made with ``secret`` (and has not expired)."""
    protocol = request_protocol(environ)
    when = _parse_amz_date(signed.amz_date)
    if when is None:
        raise AwsRefusal(400 if protocol != "s3" else 403, "IncompleteSignature" if protocol != "s3" else
                         "AccessDenied", "The request must contain a valid X-Amz-Date (yyyyMMdd'T'HHmmss'Z').",
                         protocol)
    if signed.presigned and signed.expires is not None:
        now = now or dt.datetime.now(dt.timezone.utc)
        if now > when + dt.timedelta(seconds=signed.expires):
            raise AwsRefusal(403, "AccessDenied", "Request has expired", protocol)
    expected = expected_signature(environ, signed, secret, body)
    if not hmac.compare_digest(expected, signed.signature.lower()):
        raise signature_mismatch(protocol, signed.service)


# ---- S3 browser POST uploads -------------------------------------------------------------------------


def verify_post_policy(fields: dict[str, str], secret_for: Callable[[str], str | None], strict: bool,
                       bucket: str | None = None, file_size: int | None = None) -> None:
    """An S3 POST (browser form) upload must carry a policy signed with SigV4 (or V2), as on AWS, and the
    form must meet the policy's conditions (with ``bucket`` and the file's size when they are given)."""
    policy = fields.get("policy") or fields.get("Policy")
    credential = fields.get("x-amz-credential") or fields.get("X-Amz-Credential")
    signature = fields.get("x-amz-signature") or fields.get("X-Amz-Signature")
    v2_key, v2_signature = fields.get("AWSAccessKeyId"), fields.get("signature") or fields.get("Signature")
    if policy and v2_key and v2_signature and not credential:
        import base64

        secret = secret_for(v2_key)
        if secret is None:
            if strict:
                raise unknown_key("s3")
        else:
            expected = base64.b64encode(hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()).decode()
            if not hmac.compare_digest(expected, v2_signature):
                raise signature_mismatch("s3", "s3")
        document = _check_policy_expiry(policy)
        check_post_policy_conditions(document, fields, bucket, file_size)
        return
    if not (policy and credential and signature):
        raise AwsRefusal(403, "AccessDenied", "Bucket POST must contain a field named 'policy' signed with "
                         "X-Amz-Credential and X-Amz-Signature (a browser upload needs a presigned POST).", "s3")
    parts = credential.split("/")
    if len(parts) != 5:
        raise AwsRefusal(400, "InvalidArgument", "X-Amz-Credential is malformed", "s3")
    secret = secret_for(parts[0])
    if secret is None:
        if strict:
            raise unknown_key("s3")
        return
    key = _signing_key(secret, parts[1], parts[2], parts[3])
    expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise signature_mismatch("s3", "s3")
    document = _check_policy_expiry(policy)
    check_post_policy_conditions(document, fields, bucket, file_size)


# form fields a POST policy need not name ("Creating a POST policy", S3 API reference)
_POST_FIELDS_WITHOUT_CONDITION = ("policy", "x-amz-signature", "signature", "awsaccesskeyid", "file")


def _policy_failed(condition: Any) -> AwsRefusal:
    return AwsRefusal(403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: "
                      + json.dumps(condition), "s3")


def check_post_policy_conditions(document: dict[str, Any], fields: dict[str, str], bucket: str | None,
                                 file_size: int | None) -> None:
    """The conditions of a POST policy against the form: exact matches (``{"key": "a"}``, ``["eq", "$key",
    "a"]``), ``starts-with``, ``content-length-range``; every form field but the signature, the policy, the
    file and ``x-ignore-*`` must be named by a condition."""
    values = {name.lower(): str(value) for name, value in fields.items() if value is not None}
    if bucket is not None:
        values["bucket"] = bucket
    covered: set[str] = set()
    conditions = document.get("conditions")
    if not isinstance(conditions, list):
        raise AwsRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'conditions' value.", "s3")
    for condition in conditions:
        if isinstance(condition, dict):
            for name, wanted in condition.items():
                covered.add(name.lower())
                if values.get(name.lower()) != str(wanted):
                    raise _policy_failed(["eq", f"${name}", wanted])
            continue
        if not isinstance(condition, list) or len(condition) != 3:
            raise AwsRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition: "
                             + json.dumps(condition), "s3")
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            try:
                low, high = int(condition[1]), int(condition[2])
            except (TypeError, ValueError):
                raise AwsRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid content-length-range "
                                 "values.", "s3") from None
            if file_size is not None and file_size > high:
                raise AwsRefusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                                 "s3")
            if file_size is not None and file_size < low:
                raise AwsRefusal(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum "
                                 "allowed size", "s3")
            continue
        name = str(condition[1]).lstrip("$").lower()
        covered.add(name)
        value = values.get(name, "")
        if operator == "eq" and value != str(condition[2]):
            raise _policy_failed(condition)
        if operator == "starts-with" and not value.startswith(str(condition[2])):
            raise _policy_failed(condition)
        if operator not in ("eq", "starts-with"):
            raise AwsRefusal(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition operator: "
                             f"{condition[0]}", "s3")
    extra = sorted(name for name in values if name not in covered and name != "bucket"
                   and name not in _POST_FIELDS_WITHOUT_CONDITION and not name.startswith("x-ignore-"))
    if extra:
        raise AwsRefusal(403, "AccessDenied", "Invalid according to Policy: Extra input fields: "
                         + ", ".join(extra), "s3")


def _check_policy_expiry(policy: str) -> dict[str, Any]:
    try:
        import base64

        document = json.loads(base64.b64decode(policy))
        expiration = dt.datetime.fromisoformat(document["expiration"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        raise AwsRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.", "s3") from None
    if dt.datetime.now(dt.timezone.utc) > expiration:
        raise AwsRefusal(403, "AccessDenied", "Invalid according to Policy: Policy expired.", "s3")
    return document if isinstance(document, dict) else {}
