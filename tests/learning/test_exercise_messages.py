"""Half-done work: the check names the precise thing still wrong (each case cleans up after itself)."""

from __future__ import annotations

import json

from sandbox.exercises import get, run_check


def _drop_bucket(s3, bucket):
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


def _without_bucket(s3, bucket):
    """The session sandbox without ``bucket``: another test (an exercise's solution) may have left it."""
    if bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        _drop_bucket(s3, bucket)


def test_sse_s3_instead_of_kms_is_named(aws):
    s3, kms = aws.client("s3"), aws.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    if any(a["AliasName"] == "alias/ex01-lake-key" for a in kms.list_aliases()["Aliases"]):
        kms.delete_alias(AliasName="alias/ex01-lake-key")  # exercise 1's solution, run by another test
    kms.create_alias(AliasName="alias/ex01-lake-key", TargetKeyId=key)
    _without_bucket(s3, "ex01-secure-lake")
    s3.create_bucket(Bucket="ex01-secure-lake")
    s3.put_bucket_encryption(Bucket="ex01-secure-lake", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    try:
        result = run_check(get(1), aws)
        assert not result.passed
        assert result.problems == ["bucket ex01-secure-lake has no SSE-KMS default encryption (put_bucket_encryption "
                                   "with SSEAlgorithm='aws:kms'); found AES256"]
        assert "the key is customer managed" in result.confirmed
    finally:
        kms.delete_alias(AliasName="alias/ex01-lake-key")
        _drop_bucket(s3, "ex01-secure-lake")


def test_csv_without_partitions_is_named(aws):
    s3 = aws.client("s3")
    _without_bucket(s3, "ex04-sales-lake")  # exercise 4's solution (partitioned Parquet), if another test ran it
    s3.create_bucket(Bucket="ex04-sales-lake")
    s3.put_object(Bucket="ex04-sales-lake", Key="sales/2024-01-01.csv", Body=b"order_id,amount\n1,2.5\n")
    try:
        problems = run_check(get(4), aws).problems
        assert any("not under sales/year=YYYY/month=MM/day=DD/" in p and "sales/2024-01-01.csv" in p for p in problems)
        assert any("only 0 day partition(s)" in p for p in problems)
        assert any("not Parquet" in p for p in problems)
    finally:
        _drop_bucket(s3, "ex04-sales-lake")


def test_state_machine_without_branches_is_named(aws):
    sfn = aws.client("stepfunctions")
    for machine in sfn.list_state_machines()["stateMachines"]:
        if machine["name"] == "ex16-daily-pipeline":  # exercise 16's solution, run by another test
            sfn.delete_state_machine(stateMachineArn=machine["stateMachineArn"])
    arn = sfn.create_state_machine(name="ex16-daily-pipeline", roleArn="arn:aws:iam::123456789012:role/x",
                                   definition=json.dumps({"StartAt": "A", "States": {
                                       "A": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    try:
        problems = run_check(get(16), aws).problems
        assert problems[0] == "the workflow has no Choice state (states: ['Pass'])"
        assert any("Parallel or Map" in p for p in problems)
        assert any("no execution SUCCEEDED (statuses none: start_execution)" in p for p in problems)
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)
