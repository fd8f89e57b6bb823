"""Exercise 5: every employee file tagged classification=confidential."""

from sandbox.exercises._helpers import ensure_bucket

BUCKET = "ex05-hr-data"


def solve(aws):
    s3 = aws.client("s3")
    ensure_bucket(s3, BUCKET)
    for name in ("employees/2024/part-0.csv", "employees/2024/part-1.csv"):
        s3.put_object(Bucket=BUCKET, Key=name, Body=b"employee_id,salary\n1,100\n",
                      Tagging="classification=confidential&owner=hr")
    # objects already there (written before the rule) get the tag too
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="employees/"):
        for item in page.get("Contents", []):
            s3.put_object_tagging(Bucket=BUCKET, Key=item["Key"], Tagging={"TagSet": [
                {"Key": "classification", "Value": "confidential"}, {"Key": "owner", "Value": "hr"}]})
