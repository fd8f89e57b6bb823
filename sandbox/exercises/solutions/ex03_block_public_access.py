"""Exercise 3: all four Block Public Access settings on."""

from sandbox.exercises._helpers import ensure_bucket

BUCKET = "ex03-private-data"


def solve(aws):
    s3 = aws.client("s3")
    ensure_bucket(s3, BUCKET)
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
