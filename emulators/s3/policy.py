"""Bucket policies: validation on PutBucketPolicy and evaluation of object requests.

The sandbox has one caller, the account itself (every request is signed with the
account's credentials), so IAM already allows everything and a bucket policy can
only take access away: a request is refused when a ``Deny`` statement matches its
action, resource, principal and conditions. ``Allow`` statements matter only for
unsigned requests (a public-read policy), as on AWS.

Condition keys known from the request: ``s3:x-amz-server-side-encryption``,
``s3:x-amz-server-side-encryption-aws-kms-key-id``, ``s3:x-amz-acl``,
``s3:x-amz-storage-class``, ``s3:VersionId``, ``aws:SecureTransport`` (always
``true``: the sandbox stands in for an HTTPS endpoint), ``aws:SourceIp``,
``aws:PrincipalAccount``. A key the request does not carry is missing, and missing
keys follow IAM's rules: positive operators are false, negated ones
(``StringNotEquals``, ...) true, ``...IfExists`` true, ``Null`` tests presence.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from typing import Any

ACCOUNT_ID = "123456789012"
_VALID_EFFECTS = ("Allow", "Deny")


class PolicyProblem(ValueError):
    """Why S3 refuses a bucket policy (S3 answers MalformedPolicy with this message)."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def validate_bucket_policy(document: str | bytes, bucket: str) -> None:
    """Raise :class:`PolicyProblem` with S3's message when ``document`` is not a usable bucket policy."""
    if isinstance(document, bytes):
        document = document.decode("utf-8", "replace")
    text = document.strip()
    if not text.startswith("{"):
        raise PolicyProblem("Policies must be valid JSON and the first byte must be '{'")
    try:
        policy = json.loads(text)
    except ValueError:
        raise PolicyProblem("This policy contains invalid Json") from None
    if not isinstance(policy, dict):
        raise PolicyProblem("Policies must be valid JSON and the first byte must be '{'")
    version = policy.get("Version")
    if version is not None and version not in ("2012-10-17", "2008-10-17"):
        raise PolicyProblem("The policy must contain a valid version string")
    statements = policy.get("Statement")
    if statements is None:
        raise PolicyProblem("Missing required field Statement")
    statements = _as_list(statements)
    if not statements:
        raise PolicyProblem("Could not parse the policy: Statement is empty!")
    for statement in statements:
        if not isinstance(statement, dict):
            raise PolicyProblem("Statement is not well formatted.")
        if statement.get("Effect") not in _VALID_EFFECTS:
            raise PolicyProblem("Invalid effect: " + str(statement.get("Effect")))
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise PolicyProblem("Missing required field Principal")
        if "Action" not in statement and "NotAction" not in statement:
            raise PolicyProblem("Missing required field Action")
        if "Resource" not in statement and "NotResource" not in statement:
            raise PolicyProblem("Missing required field Resource")
        for action in _as_list(statement.get("Action") or statement.get("NotAction")):
            if not isinstance(action, str) or (action != "*" and not action.lower().startswith("s3:")):
                raise PolicyProblem("Policy has invalid action")
        for resource in _as_list(statement.get("Resource") or statement.get("NotResource")):
            if not isinstance(resource, str) or not _resource_in_bucket(resource, bucket):
                raise PolicyProblem("Policy has invalid resource")
        condition = statement.get("Condition")
        if condition is not None and not isinstance(condition, dict):
            raise PolicyProblem("Invalid Condition: it must be an object of operator -> {key: value}")


def _resource_in_bucket(resource: str, bucket: str) -> bool:
    if resource == "*":
        return True
    if not resource.startswith("arn:aws:s3:::"):
        return False
    name = resource[len("arn:aws:s3:::"):].split("/", 1)[0]
    return fnmatch.fnmatchcase(bucket, name)


def _matches(patterns: Any, value: str, case_sensitive: bool = True) -> bool:
    for pattern in _as_list(patterns):
        if not isinstance(pattern, str):
            continue
        if case_sensitive:
            if fnmatch.fnmatchcase(value, pattern.replace("[", "[[]")):
                return True
        elif fnmatch.fnmatchcase(value.lower(), pattern.lower().replace("[", "[[]")):
            return True
    return False


def _principal_matches(statement: dict[str, Any], anonymous: bool = False) -> bool:
    """Whether the caller is the statement's principal: the account itself (every signed request in the
    sandbox), or, for an unsigned request, the anonymous principal ``*``."""
    if "NotPrincipal" in statement:
        # NotPrincipal applies to everyone it does not name: an anonymous caller is never named
        return anonymous
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        for value in _as_list(principal.get("AWS")):
            if value == "*" or (not anonymous and value in (ACCOUNT_ID, f"arn:aws:iam::{ACCOUNT_ID}:root")):
                return True
    return False


_NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
            "DateNotEquals", "ArnNotEquals", "ArnNotLike", "NotIpAddress")


def _compare(operator: str, actual: str, expected: str) -> bool:
    if operator in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        return actual == expected
    if operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return _matches(expected, actual)
    if operator == "Bool":
        return actual.lower() == str(expected).lower()
    if operator in ("IpAddress", "NotIpAddress"):
        try:
            return ipaddress.ip_address(actual) in ipaddress.ip_network(str(expected), strict=False)
        except ValueError:
            return False
    if operator.startswith("Numeric"):
        try:
            a, e = float(actual), float(expected)
        except ValueError:
            return False
        return {"NumericEquals": a == e, "NumericNotEquals": a == e, "NumericLessThan": a < e,
                "NumericLessThanEquals": a <= e, "NumericGreaterThan": a > e,
                "NumericGreaterThanEquals": a >= e}.get(operator, False)
    return False


def _condition_holds(raw_operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    operator = raw_operator.split(":", 1)[-1]  # ForAnyValue:/ForAllValues: on single values
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
    if operator == "Null":
        return (actual is None) == (str(expected).lower() == "true") if not isinstance(expected, list) else \
            any((actual is None) == (str(e).lower() == "true") for e in expected)
    if actual is None:
        return if_exists or operator in _NEGATED
    expected_values = [str(e) for e in _as_list(expected)]
    hit = any(_compare(operator, actual, e) for e in expected_values)
    return not hit if operator in _NEGATED else hit


def _conditions_hold(conditions: dict[str, Any] | None, context: dict[str, str]) -> bool:
    for operator, block in (conditions or {}).items():
        if not isinstance(block, dict):
            return False
        for key, expected in block.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def evaluate(policy: str | bytes, action: str, resource: str, context: dict[str, str],
             anonymous: bool = False) -> str:
    """``"DENY"``, ``"ALLOW"`` or ``"NEUTRAL"`` for one request against a bucket policy
    (``anonymous``: the request is unsigned, so only statements for everyone apply)."""
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        return "NEUTRAL"
    allowed = False
    for statement in _as_list(document.get("Statement") if isinstance(document, dict) else None):
        if not isinstance(statement, dict) or not _principal_matches(statement, anonymous):
            continue
        if "NotAction" in statement:
            if _matches(statement["NotAction"], action, case_sensitive=False):
                continue
        elif not _matches(statement.get("Action"), action, case_sensitive=False):
            continue
        if "NotResource" in statement:
            if _matches(statement["NotResource"], resource):
                continue
        elif not _matches(statement.get("Resource"), resource):
            continue
        if not _conditions_hold(statement.get("Condition"), context):
            continue
        if statement.get("Effect") == "Deny":
            return "DENY"
        allowed = True
    return "ALLOW" if allowed else "NEUTRAL"


def object_action(method: str, args: dict[str, Any], headers: Any) -> str:
    """The IAM action of an object-level S3 request (what a policy's ``Action`` names)."""
    method = method.upper()
    if "tagging" in args:
        return {"GET": "s3:GetObjectTagging", "PUT": "s3:PutObjectTagging",
                "DELETE": "s3:DeleteObjectTagging"}.get(method, "s3:PutObjectTagging")
    if "acl" in args:
        return "s3:GetObjectAcl" if method == "GET" else "s3:PutObjectAcl"
    if "uploadId" in args:
        if method == "DELETE":
            return "s3:AbortMultipartUpload"
        if method == "GET":
            return "s3:ListMultipartUploadParts"
        return "s3:PutObject"
    if method in ("GET", "HEAD"):
        return "s3:GetObjectVersion" if args.get("versionId") else "s3:GetObject"
    if method == "DELETE":
        return "s3:DeleteObjectVersion" if args.get("versionId") else "s3:DeleteObject"
    if method == "POST" and "restore" in args:
        return "s3:RestoreObject"
    return "s3:PutObject"


def request_context(headers: Any, args: dict[str, Any], remote_addr: str | None,
                    upload: tuple[str | None, str | None] | None = None) -> dict[str, str]:
    """Condition keys a request carries (see the module docstring)."""
    context = {"aws:SecureTransport": "true", "aws:PrincipalAccount": ACCOUNT_ID,
               "aws:SourceIp": remote_addr or "127.0.0.1"}
    header_keys = {
        "x-amz-server-side-encryption": "s3:x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id": "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-acl": "s3:x-amz-acl",
        "x-amz-storage-class": "s3:x-amz-storage-class",
    }
    for header, key in header_keys.items():
        value = headers.get(header)
        if value:
            context[key] = value
    if upload is not None:  # parts of a multipart upload carry the encryption of the upload
        sse, kms_key = upload
        if sse:
            context["s3:x-amz-server-side-encryption"] = sse
        if kms_key:
            context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = kms_key
    if args.get("versionId"):
        context["s3:VersionId"] = args["versionId"]
    return context
