"""Exercise 2: versioning on, and two versions of the model artifact."""

from sandbox.exercises._helpers import ensure_bucket

BUCKET, KEY = "ex02-model-artifacts", "models/churn/model.tar.gz"


def solve(aws):
    s3 = aws.client("s3")
    ensure_bucket(s3, BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for attempt in (b"model v1", b"model v2"):
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=attempt)
