"""Exercises on processing and orchestration: Step Functions, AWS Batch (+ EventBridge), EMR."""

from __future__ import annotations

import json
import uuid

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import check_daily_revenue, list_keys, lookup, need_bucket

NOTEBOOK = "notebooks/08_end_to_end.ipynb"


def _states(definition: dict) -> list[dict]:
    found = []
    for state in definition.get("States", {}).values():
        found.append(state)
        for branch in state.get("Branches", []):
            found.extend(_states(branch))
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found.extend(_states(state[key]))
    return found


def check_state_machine(g: Grader) -> None:
    sfn, name = g.client("stepfunctions"), "ex16-daily-pipeline"
    machines = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name]
    g.need(machines, f"state machine {name} does not exist (stepfunctions.create_state_machine)",
           f"state machine {name} exists")
    arn = machines[0]["stateMachineArn"]
    try:
        definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    except ValueError:
        g.stop("the definition is not valid JSON (Amazon States Language)")
    kinds = [s.get("Type") for s in _states(definition)]
    g.expect("Choice" in kinds, f"the workflow has no Choice state (states: {kinds})", "branches with Choice")
    g.expect("Parallel" in kinds or "Map" in kinds, "the workflow runs nothing in parallel: add a Parallel or "
                                                    "Map state", "runs work in parallel")
    g.expect("Fail" in kinds, "the workflow has no Fail state for bad input", "fails explicitly on bad input")
    g.expect("Task" in kinds, f"the workflow has no Task state (states: {kinds}): Pass states only move JSON; the "
                              "parallel work must be done by Task states (e.g. arn:aws:states:::lambda:invoke)",
             "work is done by Task states")
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    statuses = [e["status"] for e in executions]
    g.expect("SUCCEEDED" in statuses, f"no execution SUCCEEDED (statuses {statuses or 'none: start_execution'})",
             "an execution SUCCEEDED")
    if "Task" in kinds and "SUCCEEDED" in statuses:
        tasks_ran = 0
        for execution in (e for e in executions if e["status"] == "SUCCEEDED"):
            history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
            tasks_ran = max(tasks_ran, sum(1 for event in history if event["type"] == "TaskSucceeded"))
        g.expect(tasks_ran >= 2, f"the successful executions ran {tasks_ran} Task state(s) to success: run the "
                                 "current definition so that at least two Task states (the parallel work) succeed",
                 f"{tasks_ran} Task states succeeded in one execution")
    g.expect("FAILED" in statuses, "no execution reached the Fail state: start one with bad input to prove the "
                                   "error path", "the error path was exercised")


def check_batch(g: Grader) -> None:
    batch = g.client("batch")
    queues = batch.describe_job_queues(jobQueues=["ex23-queue"])["jobQueues"]
    g.need(queues, "AWS Batch job queue ex23-queue does not exist (create_compute_environment, create_job_queue)",
           "job queue ex23-queue exists")
    queue = queues[0]
    g.expect(queue.get("state") == "ENABLED", f"job queue ex23-queue is {queue.get('state')}, not ENABLED")
    definitions = [d for d in batch.describe_job_definitions(jobDefinitionName="ex23-report")["jobDefinitions"]
                   if d.get("status", "ACTIVE") == "ACTIVE"]
    g.need(definitions, "job definition ex23-report does not exist (register_job_definition)",
           "job definition ex23-report registered")
    latest = max(definitions, key=lambda d: d["revision"])
    attempts = latest.get("retryStrategy", {}).get("attempts", 1)
    g.expect(attempts >= 2, f"ex23-report retries {attempts} time(s): set retryStrategy attempts >= 2 so a "
                            "transient failure is retried", f"retries up to {attempts} attempts")
    succeeded = batch.list_jobs(jobQueue="ex23-queue", jobStatus="SUCCEEDED").get("jobSummaryList", [])
    g.expect(succeeded, "no job in ex23-queue has SUCCEEDED (submit_job with the ex23-report definition)",
             f"{len(succeeded)} job(s) SUCCEEDED")
    s3 = need_bucket(g, "ex23-reports")
    g.expect(list_keys(s3, "ex23-reports", "report"), "the job wrote nothing to s3://ex23-reports/report*",
             "the report is in S3")
    events = g.client("events")
    rule = lookup(events.describe_rule, Name="ex23-nightly")
    g.need(rule, "EventBridge rule ex23-nightly does not exist: schedule the job (events.put_rule with "
                 "ScheduleExpression='cron(0 2 * * ? *)')", "rule ex23-nightly exists")
    g.expect(str(rule.get("ScheduleExpression", "")).startswith(("cron(", "rate(")),
             f"rule ex23-nightly has no schedule expression ({rule.get('EventPattern') and 'it is an event pattern'})",
             f"scheduled {rule.get('ScheduleExpression')}")
    targets = events.list_targets_by_rule(Rule="ex23-nightly")["Targets"]
    g.expect(any(t.get("Arn") == queue["jobQueueArn"] and t.get("BatchParameters", {}).get("JobDefinition")
                 for t in targets),
             "rule ex23-nightly has no target on the queue ex23-queue with BatchParameters (JobDefinition, JobName)",
             "targets the Batch queue")


def check_emr(g: Grader) -> None:
    emr = g.client("emr")
    clusters = [c for c in emr.list_clusters()["Clusters"] if c["Name"] == "ex24-spark"]
    g.need(clusters, "EMR cluster ex24-spark does not exist (emr.run_job_flow with Applications Spark)",
           "cluster ex24-spark exists")
    steps = [s for c in clusters for s in emr.list_steps(ClusterId=c["Id"])["Steps"]]
    spark = [s for s in steps if "spark-submit" in s.get("Config", {}).get("Args", [])]
    g.need(spark, "no spark-submit step on ex24-spark (HadoopJarStep command-runner.jar with spark-submit)")
    states = [s["Status"]["State"] for s in spark]
    g.expect("COMPLETED" in states, f"no spark-submit step COMPLETED (states {states})", "a Spark step COMPLETED")
    s3 = need_bucket(g, "ex24-emr")
    check_daily_revenue(g, s3, "ex24-emr", "raw/orders/", "output/daily_revenue/")


EX34_BUCKET, EX34_MACHINE, EX34_FUNCTION = "ex34-pipeline", "ex34-nightly-load", "ex34-load-orders"
EX34_CODE = """
import boto3

s3 = boto3.client("s3")


class TransientError(Exception):
    pass


class BadRecord(Exception):
    pass


def handler(event, context):
    if "day" not in event:
        raise BadRecord("the input has no day: nothing to load")
    key = "attempts/" + str(event.get("run_id", "none"))
    try:
        attempts = int(s3.get_object(Bucket="ex34-pipeline", Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        attempts = 0
    s3.put_object(Bucket="ex34-pipeline", Key=key, Body=str(attempts + 1).encode())
    if attempts == 0:
        raise TransientError("the warehouse is busy, try again in a second")
    return {"day": event["day"], "run_id": event.get("run_id"), "loaded": 120}
"""


def setup_sfn_without_catch(aws) -> None:
    """The nightly load as it was shipped: one Lambda Task, no Retry, no Catch; last night's run FAILED."""
    from sandbox.exercises._helpers import ROLE_STATES, ensure_bucket, ensure_function, wait_until

    s3, sfn = aws.client("s3"), aws.client("stepfunctions")
    ensure_bucket(s3, EX34_BUCKET)
    arn = ensure_function(aws, EX34_FUNCTION, EX34_CODE, Timeout=30)
    definition = json.dumps({"Comment": "load one day of orders into the warehouse", "StartAt": "LoadOrders",
                             "States": {"LoadOrders": {
                                 "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                 "Parameters": {"FunctionName": arn, "Payload.$": "$"},
                                 "OutputPath": "$.Payload", "End": True}}})
    machines = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == EX34_MACHINE]
    if machines:
        machine = machines[0]["stateMachineArn"]
        sfn.update_state_machine(stateMachineArn=machine, definition=definition)
    else:
        machine = sfn.create_state_machine(name=EX34_MACHINE, definition=definition, roleArn=ROLE_STATES)[
            "stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=machine, name=f"last-night-{uuid.uuid4().hex[:8]}",
                              input=json.dumps({"day": "2024-01-03", "run_id": uuid.uuid4().hex}))["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=run), lambda e: e["status"] != "RUNNING", 60,
               "last night's run")


def _covers(rule: dict, error: str) -> bool:
    errors = rule.get("ErrorEquals", [])
    return error in errors or "States.ALL" in errors


def check_sfn_retry_catch(g: Grader) -> None:
    sfn = g.client("stepfunctions")
    machines = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == EX34_MACHINE]
    g.need(machines, f"state machine {EX34_MACHINE} does not exist: run `sandbox exercises setup 34` first",
           f"state machine {EX34_MACHINE} exists")
    arn = machines[0]["stateMachineArn"]
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    states = definition.get("States", {})
    tasks = {name: st for name, st in states.items() if st.get("Type") == "Task"
             and EX34_FUNCTION in json.dumps(st.get("Parameters", {})) + st.get("Resource", "")}
    g.need(tasks, f"no Task state of {EX34_MACHINE} calls the function {EX34_FUNCTION} any more")
    name, task = next(iter(tasks.items()))
    retriers = [r for r in task.get("Retry", []) if _covers(r, "TransientError")]
    g.expect(retriers and retriers[0].get("MaxAttempts", 3) >= 2,
             f"the Task {name} has no Retry for TransientError with MaxAttempts >= 2: the function's transient "
             "failure (read the failed execution's history) ends the whole run",
             f"{name} retries TransientError up to {retriers[0].get('MaxAttempts', 3) if retriers else 0} times")
    catchers = [c for c in task.get("Catch", []) if _covers(c, "BadRecord")]
    g.expect(catchers and catchers[0].get("Next") in states,
             f"the Task {name} has no Catch for BadRecord leading to a state of the workflow: bad input should be "
             "handled (recorded, routed), not crash the run", f"{name} catches BadRecord")
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    retried, caught = False, False
    target = catchers[0].get("Next") if catchers else None
    for execution in executions[:50]:
        events = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
        kinds = [e["type"] for e in events]
        failed_then_ok = "TaskFailed" in kinds and "TaskSucceeded" in kinds[kinds.index("TaskFailed"):]
        retried = retried or (execution["status"] == "SUCCEEDED" and failed_then_ok)
        entered = {(e.get("stateEnteredEventDetails") or {}).get("name") for e in events}
        caught = caught or (target is not None and target in entered and "TaskFailed" in kinds)
    g.expect(retried, "no execution SUCCEEDED after a failed attempt: start the fixed workflow with a new run_id "
                      "(the first attempt of each run fails) and let the Retry recover it",
             "an execution succeeded after a retried TransientError")
    g.expect(caught, f"no execution went through the Catch to {target or 'its Next state'}: start one with bad "
                     "input (no day)", "bad input was caught")


def check_emr_serverless(g: Grader) -> None:
    client, name = g.client("emr-serverless"), "ex38-analytics"
    apps = [a for a in client.list_applications()["applications"] if a["name"] == name and a["state"] != "TERMINATED"]
    g.need(apps, f"EMR Serverless application {name} does not exist (emr-serverless.create_application with "
                 "type SPARK)", f"application {name} exists")
    app = client.get_application(applicationId=apps[0]["id"])["application"]
    g.expect(app.get("type", "").upper() == "SPARK", f"{name} is a {app.get('type')} application, not SPARK",
             "a Spark application")
    g.expect(app.get("maximumCapacity", {}).get("cpu") and app.get("autoStopConfiguration", {}).get("enabled", True),
             f"{name} has no maximumCapacity (cpu, memory): cap what a runaway job can cost, and keep auto-stop on",
             f"capped at {app.get('maximumCapacity', {}).get('cpu')}, auto-stop on")
    runs = client.list_job_runs(applicationId=app["applicationId"])["jobRuns"]
    succeeded = [r for r in runs if r["state"] == "SUCCESS"]
    g.need(succeeded, f"no job run of {name} reached SUCCESS (states {[r['state'] for r in runs] or 'none'}: "
                      "start_job_run with a sparkSubmit entryPoint)", f"{len(succeeded)} job run(s) SUCCESS")
    s3 = need_bucket(g, "ex38-serverless")
    check_daily_revenue(g, s3, "ex38-serverless", "raw/orders/", "output/daily_revenue/")


EXERCISES = [
    Exercise(16, "step-functions", "Step Functions", "Orchestrate a pipeline with Step Functions",
             "Create the state machine `ex16-daily-pipeline`: a Choice on the input routes bad input to a Fail "
             "state and good input to work done in parallel (Parallel or Map) by at least two Task states (for "
             "instance Lambda functions that build the reports). Run it once successfully and once with bad input.",
             ("Step Functions for workflow orchestration, retries and audit", "Amazon States Language"),
             ("stepfunctions.create_state_machine(definition=json.dumps({...}))", "start_execution twice"),
             check_state_machine, NOTEBOOK, ("stepfunctions",)),
    Exercise(23, "batch-scheduled", "AWS Batch, EventBridge", "Run and schedule a containerised job on AWS Batch",
             "Run a report as a container job on AWS Batch: queue `ex23-queue`, job definition `ex23-report` "
             "that retries a failed attempt, writing `s3://ex23-reports/report...`. Run it once successfully and "
             "schedule it every night at 02:00 UTC with the EventBridge (CloudWatch Events) rule `ex23-nightly`.",
             ("AWS Batch: compute environments, job queues, job definitions, retries",
              "scheduling Batch jobs with CloudWatch Events / EventBridge", "ETL and non-ETL batch work"),
             ("batch.create_compute_environment, create_job_queue, register_job_definition(retryStrategy=...)",
              "events.put_rule(ScheduleExpression='cron(0 2 * * ? *)'), put_targets with BatchParameters"),
             check_batch, NOTEBOOK, ("batch", "events", "s3")),
    Exercise(24, "emr-spark-step", "EMR", "Run a Spark step on EMR",
             "Launch the EMR cluster `ex24-spark` (Spark) and run a spark-submit step that computes the revenue per "
             "day (columns `day`, `revenue`: the sum of `amount` of the completed orders) from the orders in "
             "`s3://ex24-emr/raw/orders/` (Parquet) and writes Parquet to `s3://ex24-emr/output/daily_revenue/`.",
             ("EMR: Hadoop/Spark on EC2, steps, transient clusters", "when EMR vs Glue"),
             ("emr.run_job_flow(Applications=[{'Name': 'Spark'}], Steps=[{... 'HadoopJarStep': {'Jar': "
              "'command-runner.jar', 'Args': ['spark-submit', 's3://.../job.py', ...]}}])",),
             check_emr, NOTEBOOK, ("emr", "s3")),
    Exercise(34, "sfn-retry-catch", "Step Functions, Lambda", "Diagnose and fix: a nightly load that dies on a "
             "transient error",
             "Diagnose and fix. `sandbox exercises setup 34` builds the state machine `ex34-nightly-load`: one Task "
             "calls the Lambda function `ex34-load-orders`, and last night's execution FAILED. Find out why from "
             "the execution history, then change the workflow (not the function) so that the function's transient "
             "errors are retried with backoff and bad input (no `day`) is caught and routed to a state of its own "
             "instead of failing the Task. Show a run with input like `{\"day\": \"2024-01-04\", \"run_id\": "
             "\"<new id>\"}` that succeeds, and a run with bad input that the Catch handles.",
             ("Step Functions error handling: Retry (ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate) vs "
              "Catch (ResultPath, Next)", "transient vs permanent errors", "reading an execution's history"),
             ("stepfunctions.get_execution_history: the TaskFailed event names the error",
              "Retry: [{'ErrorEquals': ['TransientError'], 'IntervalSeconds': 1, 'MaxAttempts': 3, "
              "'BackoffRate': 2.0}], Catch: [{'ErrorEquals': ['BadRecord'], 'ResultPath': '$.error', 'Next': ...}]",
              "update_state_machine, then start_execution twice"),
             check_sfn_retry_catch, NOTEBOOK, ("stepfunctions",), setup=setup_sfn_without_catch),
    Exercise(38, "emr-serverless", "EMR Serverless", "Run a Spark job without managing a cluster",
             "The team runs one Spark job a day and does not want to size or babysit a cluster. Create the EMR "
             "Serverless application `ex38-analytics` (Spark) with a maximum capacity, and run a PySpark job on it "
             "that writes, as Parquet in `s3://ex38-serverless/output/daily_revenue/`, the revenue per day "
             "(`day`, `revenue`) of the completed orders in `s3://ex38-serverless/raw/orders/`.",
             ("EMR Serverless vs EMR on EC2 vs Glue: who manages capacity, pre-initialised capacity, auto-stop",
              "maximumCapacity as a cost guard", "job runs: sparkSubmit entryPoint and arguments"),
             ("emr-serverless.create_application(name=..., releaseLabel='emr-7.1.0', type='SPARK', "
              "maximumCapacity={'cpu': '8 vCPU', 'memory': '32 GB'})",
              "start_job_run(applicationId=..., executionRoleArn=..., jobDriver={'sparkSubmit': {'entryPoint': "
              "'s3://.../job.py', 'entryPointArguments': [...]}})"),
             check_emr_serverless, NOTEBOOK, ("emr-serverless", "s3")),
]
