"""Server-side encryption of a Firehose stream (StartDeliveryStreamEncryption / Stop, CreateDeliveryStream's
DeliveryStreamEncryptionConfigurationInput) with the checks AWS makes.

SSE is for DirectPut streams only (a Kinesis source has its own encryption); a CUSTOMER_MANAGED_CMK needs a KeyARN
of a key that exists, an AWS_OWNED_CMK takes none; Start and Stop together are limited to 25 calls per stream in
24 hours. The records are not stored encrypted: the status and PutRecord(Batch)'s ``Encrypted`` flag follow the
configuration, as a user sees them.
"""

from __future__ import annotations

import time
from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import InvalidInput, LimitExceeded, ServiceError

CALLS_PER_DAY = 25
DAY = 24 * 3600


def check_configuration(account: str, region: str, stream_type: str, config: dict[str, Any]) -> dict[str, Any]:
    """The encryption configuration AWS would store (Status ENABLED), or its error."""
    if stream_type == "KinesisStreamAsSource":
        raise InvalidInput("Server-side encryption is only available for DirectPut Firehose streams: a stream with "
                           "a Kinesis data stream as source uses the encryption of that stream",
                           code="InvalidArgumentException")
    key_type = config.get("KeyType") or "AWS_OWNED_CMK"
    key_arn = config.get("KeyARN")
    if key_type == "CUSTOMER_MANAGED_CMK":
        if not key_arn:
            raise InvalidInput("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK",
                               code="InvalidArgumentException")
        kms = moto_coupling.backend_for("kms", account, region)
        try:
            kms.describe_key(key_arn)
        except Exception:
            raise ServiceError(f"KMS key {key_arn} does not exist or is not accessible (create it with "
                               "kms.create_key and pass its ARN)", code="InvalidKMSResourceException") from None
    elif key_arn:
        raise InvalidInput("KeyARN must not be given when KeyType is AWS_OWNED_CMK", code="InvalidArgumentException")
    stored: dict[str, Any] = {"KeyType": key_type, "Status": "ENABLED"}
    if key_arn:
        stored["KeyARN"] = key_arn
    return stored


def count_call(stream: Any) -> None:
    """Start/StopDeliveryStreamEncryption: at most 25 calls per stream in 24 hours (LimitExceededException)."""
    now = time.time()
    calls = [t for t in getattr(stream, "sandbox_encryption_calls", []) if now - t < DAY]
    if len(calls) >= CALLS_PER_DAY:
        raise LimitExceeded(f"StartDeliveryStreamEncryption and StopDeliveryStreamEncryption are limited to "
                            f"{CALLS_PER_DAY} calls per Firehose stream in 24 hours")
    stream.sandbox_encryption_calls = [*calls, now]


def is_encrypted(stream: Any) -> bool:
    config = getattr(stream, "delivery_stream_encryption_configuration", None) or {}
    return config.get("Status") == "ENABLED"


def described(config: dict[str, Any] | None) -> dict[str, Any]:
    """DescribeDeliveryStream's DeliveryStreamEncryptionConfiguration (DISABLED when SSE was never started)."""
    return dict(config) if config else {"Status": "DISABLED"}
