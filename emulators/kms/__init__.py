"""AWS KMS, answered by moto.

Emulated: customer managed keys, aliases, enable/disable, scheduled deletion,
Encrypt/Decrypt/GenerateDataKey (moto really encrypts with a per-key secret),
key policies stored. Key states are enforced (:mod:`.provider`): a disabled key
answers ``DisabledException``, a key pending deletion ``KMSInvalidStateException``,
for KMS calls and for S3 reads and writes of SSE-KMS objects. S3 checks SSE-KMS key
ids against these keys.

Not emulated: key policies and grants are not enforced; no HSM, no multi-region
replication; rotation only records its setting.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS KMS",
    api_names=("kms",),
    stand_in="moto (LocalStack in docker compose)",
    executes="keys, aliases, encrypt/decrypt, data keys, key states (disabled, pending deletion); S3 validates "
             "SSE-KMS keys against it on writes and reads",
    not_emulated="key policies and grants not enforced; rotation only recorded",
    provider="provider",
)
