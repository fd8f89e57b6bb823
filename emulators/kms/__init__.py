"""AWS KMS, answered by moto.

Emulated: customer managed keys, aliases, enable/disable, scheduled deletion,
Encrypt/Decrypt/GenerateDataKey (moto really encrypts with a per-key secret),
key policies stored. S3 checks SSE-KMS key ids against these keys.

Not emulated: key policies and grants are not enforced; no HSM, no multi-region
replication; rotation only records its setting.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS KMS",
    api_names=("kms",),
    stand_in="moto (LocalStack in docker compose)",
    executes="keys, aliases, encrypt/decrypt, data keys; S3 validates SSE-KMS keys against it",
    not_emulated="key policies and grants not enforced; rotation only recorded",
)
