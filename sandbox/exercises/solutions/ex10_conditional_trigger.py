"""Exercise 10: a conditional trigger starts the report job after the ingest job succeeds."""

from sandbox.exercises._helpers import ROLE_GLUE, ensure_bucket, lookup, wait_until

BUCKET, TRIGGER = "ex10-jobs", "ex10-after-ingest"
SCRIPT = 'import sys\nprint("{} ran with", sys.argv[1:])\n'


def solve(aws):
    s3, glue = aws.client("s3"), aws.client("glue")
    ensure_bucket(s3, BUCKET)
    for job in ("ex10-ingest", "ex10-report"):
        s3.put_object(Bucket=BUCKET, Key=f"scripts/{job}.py", Body=SCRIPT.format(job).encode())
        if not lookup(glue.get_job, JobName=job):
            glue.create_job(Name=job, Role=ROLE_GLUE, GlueVersion="4.0",
                            Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/{job}.py"})
    if not lookup(glue.get_trigger, Name=TRIGGER):
        glue.create_trigger(Name=TRIGGER, Type="CONDITIONAL", StartOnCreation=True,
                            Predicate={"Logical": "AND", "Conditions": [
                                {"LogicalOperator": "EQUALS", "JobName": "ex10-ingest", "State": "SUCCEEDED"}]},
                            Actions=[{"JobName": "ex10-report"}])
    glue.start_job_run(JobName="ex10-ingest")

    def fired():
        return [r for r in glue.get_job_runs(JobName="ex10-report")["JobRuns"]
                if r.get("TriggerName") == TRIGGER and r["JobRunState"] == "SUCCEEDED"]

    wait_until(fired, bool, 300, "the triggered report job", interval=1)
