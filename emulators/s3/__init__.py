"""Amazon S3, answered by moto; object bodies persist as content-addressed blobs.

Emulated: buckets, objects (any size, multipart), versioning, tags, metadata,
bucket default encryption, SSE-S3 and SSE-KMS *headers* (the KMS key is checked
against the sandbox's KMS as on AWS: an unknown key is ``KMS.NotFoundException``,
a disabled one ``KMS.DisabledException``; without a key id the AWS managed key
``alias/aws/s3`` is created and used), lifecycle configuration (with S3's
30-day transition minimums) and notification configuration. Bucket policies are
validated (``MalformedPolicy``) and their ``Deny`` statements enforced on object
requests with IAM's condition rules (``policy.py``: the caller is the account
itself, ``aws:SecureTransport`` is true), so "deny unencrypted uploads" refuses
exactly the uploads without the SSE header, with ``AccessDenied`` (403). S3
Select (SelectObjectContent) runs on DuckDB over CSV, JSON and Parquet objects
(``select.py``).

Not emulated: bytes are not really encrypted at rest (the state folder holds them
in clear); policies naming specific IAM principals and bucket-level actions
(ListBucket) are not evaluated; ACLs are stored but not enforced; lifecycle rules
never expire objects, storage classes do not change retrieval; S3 Select's SQL is
DuckDB's underneath and JSON paths in FROM (``S3Object[*].a``) are refused.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="Amazon S3",
    api_names=("s3",),
    stand_in="moto (LocalStack in docker compose); bodies kept as blobs in the state folder",
    executes="storage, multipart, versioning, tags, metadata; SSE-KMS keys checked against the sandbox KMS; "
             "bucket-policy Deny statements with conditions; S3 Select on DuckDB",
    not_emulated="no real encryption at rest; principal-specific policies and ACLs not enforced; "
                 "lifecycle rules never run",
    provider="provider",
)
