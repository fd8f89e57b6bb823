"""S3 on moto, with SSE-KMS key ids checked against the sandbox's KMS as AWS does.

Also: bucket policies validated (MalformedPolicy) and their Deny statements
enforced on object requests with IAM's condition rules (``policy.py``), S3
Select executed on DuckDB (``select.py``), lifecycle transition minimums, SSE
header validation and NoSuchUpload for unknown multipart uploads.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from emulators.core import clock, lifecycle, moto_coupling
from emulators.core.moto_coupling import backend_class, backend_for
from emulators.s3 import checks, eventbridge, listing, uploads
from emulators.s3 import policy as bucket_policy

S3Backend = backend_class("s3")
FakeBucket = moto_coupling.model_class("s3", "FakeBucket")
FakeTableStorageBucket = moto_coupling.model_class("s3", "FakeTableStorageBucket")
_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
# the base level of encryption every bucket has (S3 User Guide, "Setting default server-side encryption")
_DEFAULT_ENCRYPTION = {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                "BucketKeyEnabled": "false"}}
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


def _kms_key_of(account_id: str, region: str, key_id: str | None) -> Any:
    """The sandbox KMS key an object was encrypted with (None when it cannot be found)."""
    if not key_id:
        return None
    kms = backend_for("kms", account_id, region)
    try:
        return kms.keys[kms.any_id_to_key_id(key_id)]
    except (KeyError, TypeError, AttributeError):
        return None


class S3Error(moto_coupling.S3ClientError):
    """An S3 error with its code (the HTTP status comes from ``set_error_status`` or 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def _flask_request() -> Any:
    """The HTTP request being answered, or None for calls from the sandbox's own engines."""
    try:
        import flask
    except ImportError:  # pragma: no cover - moto's server always has flask
        return None
    return flask.request if flask.has_request_context() else None


class SandboxBucket(FakeBucket):  # type: ignore[misc, valid-type]
    """moto's bucket with a bucket policy evaluated as AWS does (see ``policy.py``).

    moto's own check ignores conditions, so the classic "deny unencrypted uploads"
    policy refused every request, encrypted or not.
    """

    def get_permission(self, action: str, resource: str) -> Any:
        PermissionResult = moto_coupling.permission_result()  # noqa: N806 (moto's enum)
        request = _flask_request()
        if self.policy is None or request is None:
            return PermissionResult.NEUTRAL
        args = request.args
        iam_action = bucket_policy.object_action(request.method, args, request.headers)
        if request.method == "POST" and "delete" in args:  # DeleteObjects asks once per key
            iam_action = action
        upload = None
        upload_id = args.get("uploadId")
        if upload_id and upload_id in self.multiparts:
            multipart = self.multiparts[upload_id]
            upload = (getattr(multipart, "sse_encryption", None), getattr(multipart, "kms_key_id", None))
        context = bucket_policy.request_context(request.headers, args, request.remote_addr, upload)
        decision = bucket_policy.evaluate(self.policy, iam_action, resource, context)
        if decision == "DENY":
            if request.method in ("HEAD",) or (request.method == "POST" and "delete" in args):
                return PermissionResult.DENIED  # HEAD answers 403 without a body; DeleteObjects lists it
            raise S3Error("AccessDenied", f"User: arn:aws:iam::{self.account_id}:root is not authorized to perform: "
                                          f"{iam_action} on resource: \"{resource}\" with an explicit deny in a "
                                          "resource-based policy")
        return PermissionResult.PERMITTED if decision == "ALLOW" else PermissionResult.NEUTRAL


class SandboxS3Backend(S3Backend):  # type: ignore[misc, valid-type]
    """moto's S3 backend plus SSE-KMS key validation on every write path."""

    def get_object(self, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        key = super().get_object(bucket_name, key_name, *args, **kwargs)
        request = _flask_request()
        if key is not None and getattr(key, "encryption", None) in ("aws:kms", "aws:kms:dsse") \
                and request is not None and request.method != "HEAD":
            # S3 asks KMS to decrypt an SSE-KMS object's data key on every read (HEAD reads only metadata)
            kms_key = _kms_key_of(self.account_id, self._bucket_region(bucket_name), key.kms_key_id)
            if kms_key is not None and kms_key.key_state == "Disabled":
                raise KmsKeyError("KMS.DisabledException", f"{kms_key.arn} is disabled.")
            if kms_key is not None and kms_key.key_state == "PendingDeletion":
                raise KmsKeyError("KMS.KMSInvalidStateException", f"{kms_key.arn} is pending deletion.")
        return key

    def get_bucket(self, bucket_name: str) -> Any:
        bucket = super().get_bucket(bucket_name)
        if type(bucket) is FakeBucket:
            bucket.__class__ = SandboxBucket  # adds behaviour only; no state of its own
        return bucket

    def list_objects(self, bucket: Any, prefix: str | None, delimiter: str | None, marker: str | None,
                     max_keys: int | None) -> Any:
        if type(bucket) is FakeTableStorageBucket:
            return super().list_objects(bucket, prefix, delimiter, marker, max_keys)
        return listing.list_objects(bucket, prefix, delimiter, marker, max_keys)

    def list_objects_v2(self, bucket: Any, prefix: str | None, delimiter: str | None,
                        continuation_token: str | None, start_after: str | None, max_keys: int) -> Any:
        if type(bucket) is FakeTableStorageBucket:
            return super().list_objects_v2(bucket, prefix, delimiter, continuation_token, start_after, max_keys)
        return listing.list_objects_v2(bucket, prefix, delimiter, continuation_token, start_after, max_keys)

    def put_bucket_policy(self, bucket_name: str, policy: bytes) -> None:
        self.get_bucket(bucket_name)
        try:
            bucket_policy.validate_bucket_policy(policy, bucket_name)
        except bucket_policy.PolicyProblem as problem:
            raise S3Error("MalformedPolicy", str(problem)) from None
        super().put_bucket_policy(bucket_name, policy)

    def put_bucket_notification_configuration(self, bucket_name: str, notification_config: dict[str, Any]) -> None:
        """S3 checks each destination when the configuration is written: a queue, topic or function that does
        not exist is InvalidArgument (moto stored it and dropped every event sent to it)."""
        self.get_bucket(bucket_name)
        repeated = checks.repeated_filter_rule(notification_config or {})
        if repeated:
            raise S3Error("InvalidArgument", f"Cannot specify more than one {repeated} rule in a filter.")
        if checks.notification_configurations_overlap(notification_config or {}):
            raise S3Error("InvalidArgument", "Configurations overlap. Configurations on the same bucket cannot "
                                             "share a common event type.")
        missing = [arn for arn in _destination_arns(notification_config or {}) if not _destination_exists(arn)]
        if missing:
            error = S3Error("InvalidArgument", "Unable to validate the following destination configurations")
            error.argument_name, error.argument_value = missing[0], "The destination does not exist"
            raise error
        super().put_bucket_notification_configuration(bucket_name, notification_config)

    def put_bucket_lifecycle(self, bucket_name: str, rules: list[dict[str, Any]]) -> None:
        for rule in rules:
            problem = checks.lifecycle_rule_problem(rule)
            if problem:
                raise S3Error(*problem)
        super().put_bucket_lifecycle(bucket_name, rules)
        # kept as written, for GetBucketLifecycleConfiguration (moto's rule objects drop size filters)
        self.get_bucket(bucket_name).sandbox_lifecycle_rules = copy.deepcopy(rules)

    def select_object_content(self, bucket_name: str, key_name: str, select_query: str,
                              input_details: dict[str, Any], output_details: dict[str, Any]) -> Any:
        from emulators.s3.select import SelectError, run_select

        key = self.get_object(bucket_name, key_name)
        if key is None:
            raise S3Error("NoSuchKey", "The specified key does not exist.")
        body = key.value
        try:
            with lifecycle.outside_state_lock():  # the SQL runs on a copy of the body
                records, processed = run_select(body, select_query, input_details or {}, output_details or {})
        except SelectError as exc:
            raise S3Error(exc.code, exc.message) from None
        del processed  # moto reports one figure for scanned and processed: the object's size
        return [records], len(body)

    def complete_multipart_upload(self, bucket_name: str, multipart_id: str, body: Any) -> Any:
        if multipart_id not in self.get_bucket(bucket_name).multiparts:
            raise _no_such_upload()
        # the whole part list first: parts out of ascending order are InvalidPartOrder before any part's size
        # is judged (moto's order check never advanced, so it answered EntityTooSmall or joined them unordered)
        parts = list(body)
        numbers = [number for number, _ in parts]
        if any(later <= earlier for earlier, later in zip(numbers, numbers[1:])):
            raise moto_coupling.s3_error("InvalidPartOrder")
        return super().complete_multipart_upload(bucket_name, multipart_id, parts)

    def upload_part(self, bucket_name: str, multipart_id: str, part_id: int, value: bytes) -> Any:
        if not 1 <= int(part_id) <= 10000:
            raise moto_coupling.s3_error("InvalidMaxPartNumberArgument", part_id)
        if multipart_id not in self.get_bucket(bucket_name).multiparts:
            raise _no_such_upload()
        request = _flask_request()
        if request is not None:
            _check_content_md5(request.headers, value)
        sent = checks.sent_checksum(request.headers) if request is not None else None
        if sent and checks.checksum_mismatch(sent[0], sent[1], value):
            raise _bad_digest(sent[0])
        part = super().upload_part(bucket_name, multipart_id, part_id, value)
        algorithm = self.get_bucket(bucket_name).multiparts[multipart_id].metadata.get("x-amz-checksum-algorithm")
        if algorithm:  # GetObjectAttributes' ObjectParts answers each part's checksum after completion
            part.sandbox_checksum = checks.checksum_of(algorithm, value)
        return part

    def delete_object(self, bucket_name: str, key_name: str, version_id: str | None = None,
                      *args: Any, **kwargs: Any) -> Any:
        bucket = self.get_bucket(bucket_name)
        if version_id is None and bucket.versioning_status == "Suspended" and key_name in bucket.keys:
            return self._suspended_delete(bucket, key_name)
        if bucket.versioning_status == "Suspended":  # one version goes, not the key with all of them
            with moto_coupling.s3_suspended_versions_kept():
                deleted, meta = super().delete_object(bucket_name, key_name, version_id, *args, **kwargs)
        else:
            deleted, meta = super().delete_object(bucket_name, key_name, version_id, *args, **kwargs)
        if deleted and version_id is None and meta.get("delete-marker") == "true":
            # a delete in a versioned bucket adds a marker: S3 notifies ObjectRemoved:DeleteMarkerCreated
            moto_coupling.s3_notify(self.account_id, "s3:ObjectRemoved:DeleteMarkerCreated", bucket_name,
                                    key_name, meta.get("version-id"))
        return deleted, meta

    def _suspended_delete(self, bucket: Any, key_name: str) -> tuple[bool, dict[str, Any]]:
        """A delete while versioning is suspended: the null version (if any) gives way to a delete marker whose
        version id is null; the other versions stay (moto removed the key with every version)."""
        moto_coupling.s3_put_null_delete_marker(bucket, key_name)
        moto_coupling.s3_notify(self.account_id, "s3:ObjectRemoved:DeleteMarkerCreated", bucket.name, key_name,
                                "null")
        return True, {"version-id": "null", "delete-marker": "true"}

    def delete_objects(self, bucket_name: str, objects: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        if len(objects) > checks.MAX_DELETE_KEYS:  # DeleteObjects takes at most 1,000 keys a request
            raise moto_coupling.s3_error("MalformedXML")
        return super().delete_objects(bucket_name, objects, *args, **kwargs)

    def put_bucket_versioning(self, bucket_name: str, status: str) -> None:
        if status is not None and status not in ("Enabled", "Suspended"):
            raise moto_coupling.s3_error("MalformedXML")
        super().put_bucket_versioning(bucket_name, status)

    def put_object_tagging(self, key: Any, tags: dict[str, str] | None) -> Any:
        """Duplicate keys in a PutObjectTagging document are InvalidTag (the parsed dict kept the last one).

        moto keeps an empty tag set for every object written without tags; none is kept here, since an
        empty set and no set answer alike (100,000 objects held 100,000 dicts, pickled with S3 at each
        compaction and unpickled at each start)."""
        request = _flask_request()
        tagging_request = request is not None and request.method == "PUT" and "tagging" in request.args
        if tagging_request and checks.has_duplicate_tag_keys(request.get_data()):
            raise moto_coupling.s3_error("DuplicateTagKeys")
        if tagging_request:
            tagged = super().put_object_tagging(key, tags)
        else:  # tags of a PutObject, copy or completed upload: S3 sends no s3:ObjectTagging:Put for them
            with moto_coupling.s3_notifications_muted():
                tagged = super().put_object_tagging(key, tags)
        if not self.tagger.get_tag_dict_for_resource(key.arn):
            self.tagger.delete_all_tags_for_resource(key.arn)
        return tagged

    def upload_part_copy(self, dest_bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any) -> Any:
        if multipart_id not in self.get_bucket(dest_bucket_name).multiparts:
            raise _no_such_upload()
        return super().upload_part_copy(dest_bucket_name, multipart_id, *args, **kwargs)

    def create_bucket(self, bucket_name: str, region_name: str, *args: Any, **kwargs: Any) -> Any:
        problem = bucket_name_problem(bucket_name)
        if problem:
            raise moto_coupling.S3ClientError(
                "InvalidBucketName", f"The specified bucket is not valid: {bucket_name!r} {problem}."
            )
        return super().create_bucket(bucket_name, region_name, *args, **kwargs)

    def _bucket_region(self, bucket_name: str) -> str:
        return self.get_bucket(bucket_name).region_name

    def get_bucket_encryption(self, bucket_name: str) -> dict[str, Any] | None:
        """Every bucket encrypts new objects with SSE-S3 unless configured otherwise (since January 2023), so
        GetBucketEncryption answers that default rather than ServerSideEncryptionConfigurationNotFoundError."""
        return super().get_bucket_encryption(bucket_name) or _DEFAULT_ENCRYPTION

    def _effective_sse(self, bucket_name: str, encryption: str | None,
                       kms_key_id: str | None) -> tuple[str | None, str | None]:
        _check_sse_headers(encryption, kms_key_id)
        bucket = self.get_bucket(bucket_name)
        if not encryption:  # the bucket's default encryption, SSE-S3 when it has none of its own
            default = (bucket.encryption or _DEFAULT_ENCRYPTION)["Rule"]["ApplyServerSideEncryptionByDefault"]
            encryption = default["SSEAlgorithm"]
            kms_key_id = kms_key_id or default.get("KMSMasterKeyID")
        if encryption in ("aws:kms", "aws:kms:dsse"):
            kms_key_id = resolve_sse_kms_key(self.account_id, self._bucket_region(bucket_name), kms_key_id)
        return encryption, kms_key_id

    def put_object(self, bucket_name: str, key_name: str, value: bytes, storage: str | None = None,
                   etag: str | None = None, multipart: Any = None, encryption: str | None = None,
                   kms_key_id: str | None = None, *args: Any, **kwargs: Any) -> Any:
        bucket = self.get_bucket(bucket_name)
        suspended = bucket.versioning_status == "Suspended"
        sent = None
        if multipart is None:  # completing a multipart upload was checked when it was created
            encryption, kms_key_id = self._effective_sse(bucket_name, encryption, kms_key_id)
            sent = _checksum_sent_with_body(value)
        else:  # the completed upload sends s3:ObjectCreated:CompleteMultipartUpload, not a Put as well
            kwargs["disable_notification"] = True
        if suspended:  # the write replaces the null version only (moto dropped every version)
            with moto_coupling.s3_suspended_versions_kept():
                key = super().put_object(bucket_name, key_name, value, storage, etag, multipart, encryption,
                                         kms_key_id, *args, **kwargs)
            moto_coupling.s3_make_null_version(bucket, key_name, key)
        else:
            key = super().put_object(bucket_name, key_name, value, storage, etag, multipart, encryption,
                                     kms_key_id, *args, **kwargs)
        if sent and not key.checksum_value:  # a checksum the client computed itself: S3 keeps and answers it
            key.checksum_algorithm, key.checksum_value = sent
        return key

    def create_multipart_upload(self, bucket_name: str, key_name: str, metadata: Any, storage_type: str,
                                tags: Any, acl: Any, sse_encryption: str, kms_key_id: str, *args: Any,
                                **kwargs: Any) -> Any:
        sse_encryption, kms_key_id = self._effective_sse(bucket_name, sse_encryption, kms_key_id)
        multipart = super().create_multipart_upload(bucket_name, key_name, metadata, storage_type, tags, acl,
                                                    sse_encryption, kms_key_id, *args, **kwargs)
        multipart.sandbox_initiated = clock.utcnow()  # ListMultipartUploads' Initiated (moto has none)
        return multipart

    def copy_object(self, src_key: Any, dest_bucket_name: str, dest_key_name: str, storage: str | None = None,
                    encryption: str | None = None, kms_key_id: str | None = None, *args: Any, **kwargs: Any) -> Any:
        request = _flask_request()
        if request is not None and src_key is not None:
            problem = checks.bad_directive(request.headers)
            if problem:
                raise S3Error("InvalidArgument", problem)
            failed = checks.failed_copy_source_condition(request.headers, src_key.etag, src_key.last_modified)
            if failed:
                raise moto_coupling.s3_error("PreconditionFailed", failed)
        _check_sse_headers(encryption, kms_key_id)
        if encryption in ("aws:kms", "aws:kms:dsse"):
            kms_key_id = resolve_sse_kms_key(self.account_id, self._bucket_region(dest_bucket_name), kms_key_id)
        return super().copy_object(src_key, dest_bucket_name, dest_key_name, storage, encryption, kms_key_id,
                                   *args, **kwargs)


def _bad_digest(algorithm: str) -> S3Error:
    return S3Error("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")


def _checksum_sent_with_body(value: bytes) -> tuple[str, str] | None:
    """The ``x-amz-checksum-*`` header of a PutObject request, verified against the body (BadDigest when it
    does not match, as S3 answers); None for other writes (copies, engines, POST uploads)."""
    request = _flask_request()
    if request is None or request.method != "PUT" or "x-amz-copy-source" in request.headers:
        return None
    _check_content_md5(request.headers, value)
    if checks.user_metadata_size(request.headers) > checks.MAX_USER_METADATA:
        raise S3Error("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.")
    sent = checks.sent_checksum(request.headers)
    if sent and checks.checksum_mismatch(sent[0], sent[1], value):
        raise _bad_digest(sent[0])
    return sent


def _check_content_md5(headers: Any, value: bytes) -> None:
    md5 = headers.get("Content-MD5")
    if md5 is not None and checks.md5_mismatch(md5, value):
        raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.")


_DESTINATIONS = (("QueueConfiguration", "Queue"), ("TopicConfiguration", "Topic"),
                 ("CloudFunctionConfiguration", "CloudFunction"))


def _destination_arns(config: dict[str, Any]) -> list[str]:
    arns = []
    for section, field in _DESTINATIONS:
        for item in checks.as_list(config.get(section)):
            if isinstance(item, dict) and isinstance(item.get(field), str):
                arns.append(item[field])
    return arns


def _destination_exists(arn: str) -> bool:
    """Whether the SQS queue, SNS topic or Lambda function an ARN names exists (a malformed ARN is left
    to moto's own ``InvalidArgument``)."""
    parts = arn.split(":")
    if len(parts) < 6:
        return True
    service, region, account = parts[2], parts[3], parts[4]
    try:
        backend = backend_for(service, account, region)
        if service == "sqs":
            return parts[5] in backend.queues
        if service == "sns":
            return arn in backend.topics
        if service == "lambda":
            backend.get_function(arn)
            return True
    except Exception:  # noqa: BLE001 - an unknown function or region: the destination cannot be validated
        return False
    return True


def _no_such_upload() -> S3Error:
    return S3Error("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, "
                                   "or the upload may have been aborted or completed.")


def _check_sse_headers(encryption: str | None, kms_key_id: str | None) -> None:
    if encryption and encryption not in _SSE_ALGORITHMS:
        raise S3Error("InvalidArgument", "The encryption method specified is not supported")
    if kms_key_id and encryption and encryption not in ("aws:kms", "aws:kms:dsse"):
        raise S3Error("InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header "
                                         "x-amz-server-side-encryption : aws:kms")


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("s3", SandboxS3Backend)
    moto_coupling.replace_s3_listing(listing.render)
    moto_coupling.replace_s3_upload_listing(uploads.list_uploads)
    moto_coupling.replace_s3_bucket_listing(listing.list_buckets)
    moto_coupling.add_s3_object_parts(uploads.object_parts)
    moto_coupling.accept_null_version_heads()
    moto_coupling.echo_s3_checksums()
    moto_coupling.answer_s3_lifecycle_as_written(lambda bucket: getattr(bucket, "sandbox_lifecycle_rules", None))
    moto_coupling.accept_empty_object_tag_sets()
    moto_coupling.repair_s3_notifications()
    moto_coupling.refuse_bad_notification_filters()
    moto_coupling.route_s3_eventbridge(eventbridge.send)
    cloud.gate.s3_cors_rules = bucket_cors_rules
    cloud.gate.s3_anonymous_allowed = anonymous_access_allowed
    moto_coupling.set_error_status("S3", "AccessDenied", 403)


# ---- ports for the server's security gate -------------------------------------------------------------

_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _s3_backend() -> Any:
    return moto_coupling.backend_for("s3", moto_coupling.DEFAULT_ACCOUNT_ID, "aws")


def bucket_cors_rules(bucket_name: str) -> list[Any] | None:
    """The bucket's CORS rules for the gate's preflight and cross-origin checks (S3's CORS semantics)."""
    from emulators.core.security import CorsRule

    bucket = _s3_backend().buckets.get(bucket_name)
    if bucket is None or not bucket.cors:
        return None
    rules = []
    for rule in bucket.cors:
        def as_list(value: Any) -> list[str]:
            return [] if value is None else [value] if isinstance(value, str) else list(value)

        max_age = getattr(rule, "max_age_seconds", None)
        rules.append(CorsRule(as_list(rule.allowed_origins), as_list(rule.allowed_methods),
                              as_list(rule.allowed_headers), as_list(rule.exposed_headers),
                              int(max_age) if max_age not in (None, "") else None))
    return rules


def _public_by_acl(acl: Any, permission: str) -> bool:
    for grant in getattr(acl, "grants", None) or []:
        if any(getattr(g, "uri", None) == _ALL_USERS for g in grant.grantees) and \
                any(p in (permission, "FULL_CONTROL") for p in grant.permissions):
            return True
    return False


def anonymous_access_allowed(environ: dict[str, Any]) -> bool:
    """Whether an unsigned request may reach this bucket: a public policy or ACL, Block Public Access honoured."""
    from urllib.parse import parse_qs, unquote

    from emulators.core.security import s3_bucket_of

    bucket_name = s3_bucket_of(environ)
    bucket = _s3_backend().buckets.get(bucket_name or "")
    if bucket is None:
        return False
    path = unquote(environ.get("PATH_INFO", "/")).lstrip("/")
    host_bucket = not path.startswith(f"{bucket_name}")
    key = path if host_bucket else path[len(bucket_name):].lstrip("/")
    method = environ.get("REQUEST_METHOD", "GET").upper()
    args = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
    block = bucket.public_access_block
    restrict_policy = bool(block and str(block.restrict_public_buckets).lower() == "true")
    ignore_acls = bool(block and str(block.ignore_public_acls).lower() == "true")
    if key:
        action = bucket_policy.object_action(method, args, {})
        resource = f"arn:aws:s3:::{bucket_name}/{key}"
    else:
        action = "s3:ListBucket" if method in ("GET", "HEAD") else f"s3:{method.title()}Bucket"
        resource = f"arn:aws:s3:::{bucket_name}"
    if bucket.policy and not restrict_policy:
        context = bucket_policy.request_context({}, args, environ.get("REMOTE_ADDR"))
        if bucket_policy.evaluate(bucket.policy, action, resource, context, anonymous=True) == "ALLOW":
            return True
    if ignore_acls or method not in ("GET", "HEAD"):
        return False
    if key:
        obj = bucket.keys.get(key)
        return obj is not None and _public_by_acl(getattr(obj, "acl", None), "READ")
    return _public_by_acl(bucket.acl, "READ")
