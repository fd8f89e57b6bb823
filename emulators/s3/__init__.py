"""Amazon S3, answered by moto; object bodies persist as content-addressed blobs.

Emulated: buckets, objects (any size, multipart), versioning, tags, metadata,
bucket default encryption, SSE-S3 and SSE-KMS *headers* (the KMS key is checked
against the sandbox's KMS as on AWS: an unknown key is ``KMS.NotFoundException``,
a disabled one ``KMS.DisabledException``; without a key id the AWS managed key
``alias/aws/s3`` is created and used), lifecycle and notification configuration.

Not emulated: bytes are not really encrypted at rest (the state folder holds them
in clear), bucket policies and ACLs are stored but not enforced, lifecycle rules
never expire objects, storage classes do not change retrieval.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="Amazon S3",
    api_names=("s3",),
    stand_in="moto (LocalStack in docker compose); bodies kept as blobs in the state folder",
    executes="storage, multipart, versioning, tags, metadata; SSE-KMS keys checked against the sandbox KMS",
    not_emulated="no real encryption at rest; policies/ACLs not enforced; lifecycle rules never run",
    provider="provider",
)
