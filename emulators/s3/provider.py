"""S3 on moto, with SSE-KMS key ids checked against the sandbox's KMS as AWS does."""

from __future__ import annotations

import re
from typing import Any

from emulators.core import moto_coupling
from emulators.core.moto_coupling import backend_class, backend_for

S3Backend = backend_class("s3")
AWS_MANAGED_S3_ALIAS = "alias/aws/s3"
# AWS's general purpose bucket naming rules
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` breaks S3's bucket naming rules, or None when it is valid."""
    if not 3 <= len(name) <= 63:
        return "must be between 3 and 63 characters long"
    if not _BUCKET_NAME.match(name):
        return "may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit"
    if ".." in name or ".-" in name or "-." in name:
        return "must not contain two adjacent periods or a period next to a hyphen"
    if _IP_ADDRESS.match(name):
        return "must not be formatted as an IP address"
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return "uses a prefix or suffix that S3 reserves"
    return None


class KmsKeyError(moto_coupling.S3ClientError):
    """An SSE-KMS request named a key S3 cannot use (S3 answers 400 with a KMS.* code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def resolve_sse_kms_key(account_id: str, region: str, key_id: str | None) -> str:
    """The ARN of the KMS key an SSE-KMS write uses, or the AWS error S3 gives.

    ``key_id`` may be a key id, key ARN, alias name or alias ARN; ``None`` means
    the AWS managed key ``alias/aws/s3`` (created on first use, as on AWS).
    """
    kms = backend_for("kms", account_id, region)
    wanted = key_id or AWS_MANAGED_S3_ALIAS
    if wanted.startswith("arn:"):
        parts = wanted.split(":")
        if len(parts) < 6 or parts[2] != "kms":
            raise KmsKeyError("KMS.NotFoundException", f"Invalid arn {wanted}")
        if parts[3] != region:
            raise KmsKeyError("KMS.NotFoundException", f"Invalid arn {parts[3]}")
    try:
        raw_id = kms.any_id_to_key_id(wanted)
        key = kms.keys[raw_id]
    except (KeyError, TypeError, AttributeError):
        if wanted.startswith("alias/") or ":alias/" in wanted:
            raise KmsKeyError("KMS.NotFoundException", f"Invalid keyId {wanted}") from None
        raise KmsKeyError(
            "KMS.NotFoundException",
            f"Key 'arn:aws:kms:{region}:{account_id}:key/{kms.get_key_id(wanted)}' does not exist",
        ) from None
    if key.key_state == "Disabled":
        raise KmsKeyError("KMS.DisabledException", f"{key.arn} is disabled.")
    if key.key_state == "PendingDeletion":
        raise KmsKeyError("KMS.KMSInvalidStateException", f"{key.arn} is pending deletion.")
    if (key.key_usage or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT" or not str(key.key_spec).startswith("SYMMETRIC"):
        raise KmsKeyError("KMS.InvalidKeyUsageException",
                          f"{key.arn} is not a symmetric encryption key; S3 needs one for SSE-KMS.")
    return key.arn


class SandboxS3Backend(S3Backend):  # type: ignore[misc, valid-type]
    """moto's S3 backend plus SSE-KMS key validation on every write path."""

    def create_bucket(self, bucket_name: str, region_name: str, *args: Any, **kwargs: Any) -> Any:
        problem = bucket_name_problem(bucket_name)
        if problem:
            raise moto_coupling.S3ClientError(
                "InvalidBucketName", f"The specified bucket is not valid: {bucket_name!r} {problem}."
            )
        return super().create_bucket(bucket_name, region_name, *args, **kwargs)

    def _bucket_region(self, bucket_name: str) -> str:
        return self.get_bucket(bucket_name).region_name

    def _effective_sse(self, bucket_name: str, encryption: str | None, kms_key_id: str | None) -> tuple[str | None, str | None]:
        bucket = self.get_bucket(bucket_name)
        if not encryption and bucket.encryption:
            default = bucket.encryption["Rule"]["ApplyServerSideEncryptionByDefault"]
            encryption = default["SSEAlgorithm"]
            kms_key_id = kms_key_id or default.get("KMSMasterKeyID")
        if encryption in ("aws:kms", "aws:kms:dsse"):
            kms_key_id = resolve_sse_kms_key(self.account_id, self._bucket_region(bucket_name), kms_key_id)
        return encryption, kms_key_id

    def put_object(self, bucket_name: str, key_name: str, value: bytes, storage: str | None = None,
                   etag: str | None = None, multipart: Any = None, encryption: str | None = None,
                   kms_key_id: str | None = None, *args: Any, **kwargs: Any) -> Any:
        if multipart is None:  # completing a multipart upload was checked when it was created
            encryption, kms_key_id = self._effective_sse(bucket_name, encryption, kms_key_id)
        return super().put_object(bucket_name, key_name, value, storage, etag, multipart, encryption,
                                  kms_key_id, *args, **kwargs)

    def create_multipart_upload(self, bucket_name: str, key_name: str, metadata: Any, storage_type: str,
                                tags: Any, acl: Any, sse_encryption: str, kms_key_id: str, *args: Any,
                                **kwargs: Any) -> Any:
        sse_encryption, kms_key_id = self._effective_sse(bucket_name, sse_encryption, kms_key_id)
        return super().create_multipart_upload(bucket_name, key_name, metadata, storage_type, tags, acl,
                                               sse_encryption, kms_key_id, *args, **kwargs)

    def copy_object(self, src_key: Any, dest_bucket_name: str, dest_key_name: str, storage: str | None = None,
                    encryption: str | None = None, kms_key_id: str | None = None, *args: Any, **kwargs: Any) -> Any:
        if encryption in ("aws:kms", "aws:kms:dsse"):
            kms_key_id = resolve_sse_kms_key(self.account_id, self._bucket_region(dest_bucket_name), kms_key_id)
        return super().copy_object(src_key, dest_bucket_name, dest_key_name, storage, encryption, kms_key_id,
                                   *args, **kwargs)


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("s3", SandboxS3Backend)
