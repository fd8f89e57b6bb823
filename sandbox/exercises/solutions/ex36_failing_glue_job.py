"""Exercise 36: the missing --target argument and the wrong column (order_date) fixed, then a successful run."""

from sandbox.exercises._helpers import ROLE_GLUE, empty_prefix, wait_until
from sandbox.exercises.catalog import EX36_BUCKET, EX36_JOB, EX36_SCRIPT


def solve(aws):
    s3, glue = aws.client("s3"), aws.client("glue")
    # diagnose: the first run fails on the missing --target; with it, Spark cannot resolve order_date
    failed = [r for r in glue.get_job_runs(JobName=EX36_JOB)["JobRuns"] if r["JobRunState"] == "FAILED"]
    print("why it failed:", failed[0].get("ErrorMessage") if failed else "no failed run")
    s3.put_object(Bucket=EX36_BUCKET, Key="scripts/daily_revenue.py",
                  Body=EX36_SCRIPT.replace('to_date("order_date")', 'to_date("order_ts")').encode())
    glue.update_job(JobName=EX36_JOB, JobUpdate={
        "Role": ROLE_GLUE, "GlueVersion": "4.0",
        "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{EX36_BUCKET}/scripts/daily_revenue.py"},
        "DefaultArguments": {"--source": f"s3://{EX36_BUCKET}/raw/orders/",
                             "--target": f"s3://{EX36_BUCKET}/output/daily_revenue/"}})
    empty_prefix(s3, EX36_BUCKET, "output/")
    run_id = glue.start_job_run(JobName=EX36_JOB)["JobRunId"]
    run = wait_until(lambda: glue.get_job_run(JobName=EX36_JOB, RunId=run_id)["JobRun"],
                     lambda r: r["JobRunState"] in ("SUCCEEDED", "FAILED", "ERROR", "TIMEOUT", "STOPPED"), 300,
                     "the job run", interval=1)
    if run["JobRunState"] != "SUCCEEDED":
        raise RuntimeError(f"{EX36_JOB} {run['JobRunState']}: {run.get('ErrorMessage')}")
