"""Exercise 31: a bucket policy that denies requests without TLS and uploads without SSE-KMS."""

import json

from sandbox.exercises._helpers import ensure_bucket

BUCKET = "ex31-confidential"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyUploadsWithoutKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
    ],
}


def solve(aws):
    s3 = aws.client("s3")
    ensure_bucket(s3, BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(POLICY))
