"""Exercise 12: a workgroup with an enforced result location and a 1 GB cut-off."""

from sandbox.exercises._helpers import ensure_bucket, lookup

NAME = "ex12-analysts"


def solve(aws):
    athena = aws.client("athena")
    ensure_bucket(aws.client("s3"), "ex12-athena-results")
    config = {"ResultConfiguration": {"OutputLocation": "s3://ex12-athena-results/analysts/"},
              "EnforceWorkGroupConfiguration": True, "PublishCloudWatchMetricsEnabled": True,
              "BytesScannedCutoffPerQuery": 1024 ** 3}
    # (the sandbox has no UpdateWorkGroup: recreate it)
    if (lookup(athena.get_work_group, WorkGroup=NAME) or {}).get("WorkGroup"):
        athena.delete_work_group(WorkGroup=NAME, RecursiveDeleteOption=True)
    athena.create_work_group(Name=NAME, Configuration=config, Description="analysts: capped at 1 GB per query")
