"""The AWS CLI, unchanged, against the sandbox: only AWS_ENDPOINT_URL and dummy credentials are set."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers.cli import aws_cli_runner



@pytest.fixture(scope="module")
def aws_cli(cloud):
    return aws_cli_runner({"AWS_ENDPOINT_URL": cloud.endpoint, "AWS_ACCESS_KEY_ID": "test",
                           "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"})


@pytest.mark.slow
def test_s3_commands_and_sse_kms(aws_cli, tmp_path):
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    aws_cli("s3", "mb", f"s3://{bucket}")
    (tmp_path / "sales.csv").write_text("id,amount\n1,9.5\n2,3.25\n")
    aws_cli("s3", "cp", str(tmp_path / "sales.csv"), f"s3://{bucket}/raw/year=2024/sales.csv", "--sse", "aws:kms")

    listing = aws_cli("s3", "ls", f"s3://{bucket}", "--recursive").stdout
    assert "raw/year=2024/sales.csv" in listing

    head = json.loads(aws_cli("s3api", "head-object", "--bucket", bucket, "--key", "raw/year=2024/sales.csv").stdout)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].startswith("arn:aws:kms:us-east-1:")

    body = aws_cli("s3", "cp", f"s3://{bucket}/raw/year=2024/sales.csv", "-").stdout
    assert body == "id,amount\n1,9.5\n2,3.25\n"

    missing = aws_cli("s3", "ls", "s3://no-such-bucket-for-the-cli", check=False)
    assert missing.returncode != 0 and "NoSuchBucket" in missing.stderr

    aws_cli("s3", "rb", f"s3://{bucket}", "--force")


@pytest.mark.slow
def test_athena_query_through_the_cli(aws_cli):
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    aws_cli("s3", "mb", f"s3://{bucket}")
    started = json.loads(aws_cli(
        "athena", "start-query-execution",
        "--query-string", "SELECT 6 * 7 AS answer",
        "--result-configuration", f"OutputLocation=s3://{bucket}/results/",
    ).stdout)
    query_id = started["QueryExecutionId"]
    for _ in range(100):
        execution = json.loads(aws_cli("athena", "get-query-execution", "--query-execution-id", query_id).stdout)
        state = execution["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
    assert state == "SUCCEEDED", execution
    results = json.loads(aws_cli("athena", "get-query-results", "--query-execution-id", query_id).stdout)
    rows = [[cell.get("VarCharValue") for cell in row["Data"]] for row in results["ResultSet"]["Rows"]]
    assert rows == [["answer"], ["42"]]
