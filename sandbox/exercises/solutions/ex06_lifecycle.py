"""Exercise 6: raw/ to Glacier after 30 days, expired after 365."""

from sandbox.exercises._helpers import ensure_bucket

BUCKET = "ex06-raw-archive"


def solve(aws):
    s3 = aws.client("s3")
    ensure_bucket(s3, BUCKET)
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [{
        "ID": "archive-raw", "Status": "Enabled", "Filter": {"Prefix": "raw/"},
        "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
        "Expiration": {"Days": 365}}]})
