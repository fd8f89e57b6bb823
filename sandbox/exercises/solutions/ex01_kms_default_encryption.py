"""Exercise 1: default SSE-KMS encryption with a customer managed key."""

from sandbox.exercises._helpers import ensure_bucket

BUCKET, ALIAS = "ex01-secure-lake", "alias/ex01-lake-key"


def solve(aws):
    kms, s3 = aws.client("kms"), aws.client("s3")
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    if ALIAS not in aliases:
        key_id = kms.create_key(Description="ex01 lake key", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=ALIAS, TargetKeyId=key_id)
    ensure_bucket(s3, BUCKET)
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": ALIAS},
        "BucketKeyEnabled": True}]})
