"""Detail pages show what boto3 returns for resources made with boto3: Glue tables with partitions and
schema versions, Kinesis records, Lambda invocations from the form, CloudWatch metrics, alarms and logs,
Redshift Data API queries, EventBridge rules."""

from __future__ import annotations

import html
import io
import json
import re
import time
import zipfile

from .conftest import csrf_of


def page_text(session, url, **params) -> str:
    response = session.get(url, params=params, timeout=60)
    assert response.status_code == 200, response.text[:500]
    assert "flash flash-error" not in response.text, re.findall(r'flash-error" role="status">([^<]*)', response.text)
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def test_glue_table_partitions_and_schema_diff(aws, s3_bucket, signed_in, console, unique_name):
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": unique_name})
    table = {"Name": "events", "PartitionKeys": [{"Name": "dt", "Type": "string"}],
             "Parameters": {"classification": "parquet"},
             "StorageDescriptor": {"Location": f"s3://{s3_bucket}/events/",
                                   "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "kind", "Type": "string"}]}}
    glue.create_table(DatabaseName=unique_name, TableInput=table)
    table["StorageDescriptor"]["Columns"].append({"Name": "amount", "Type": "double"})
    glue.update_table(DatabaseName=unique_name, TableInput=table)
    glue.create_partition(DatabaseName=unique_name, TableName="events", PartitionInput={
        "Values": ["2026-01-01"], "StorageDescriptor": {"Location": f"s3://{s3_bucket}/events/dt=2026-01-01/"}})
    text = page_text(signed_in, console.url("glue/table"), db=unique_name, name="events")
    assert "parquet" in text and f"s3://{s3_bucket}/events/dt=2026-01-01/" in text
    assert "amount double" in text  # in the schema and in the diff
    raw = signed_in.get(console.url("glue/table"), params={"db": unique_name, "name": "events"}, timeout=60).text
    assert '<div class="diff-add">+amount double</div>' in raw
    assert "events" in page_text(signed_in, console.url("glue/database"), name=unique_name)
    glue.create_crawler(Name=unique_name, Role="arn:aws:iam::123456789012:role/glue", DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/events/"}]})
    glue.create_job(Name=unique_name, Role="arn:aws:iam::123456789012:role/glue", GlueVersion="4.0",
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{s3_bucket}/scripts/etl.py"},
                    DefaultArguments={"--job-bookmark-option": "job-bookmark-enable"})
    text = page_text(signed_in, console.url("glue/crawler"), name=unique_name)
    assert f"s3://{s3_bucket}/events/" in text and "READY" in text
    text = page_text(signed_in, console.url("glue/job"), name=unique_name)
    assert f"s3://{s3_bucket}/scripts/etl.py" in text and "--job-bookmark-option=job-bookmark-enable" in text
    home = page_text(signed_in, console.url("glue/"))
    assert unique_name in home


def test_kinesis_stream_shows_recent_records(aws, signed_in, console, unique_name):
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=unique_name, ShardCount=1)
    for _ in range(50):
        if kinesis.describe_stream_summary(StreamName=unique_name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.1)
    kinesis.put_record(StreamName=unique_name, Data=b'{"sensor": "t-17", "value": 21.5}', PartitionKey="t-17")
    text = page_text(signed_in, console.url("kinesis/stream"), name=unique_name)
    assert '{"sensor": "t-17", "value": 21.5}' in text and "shardId-000000000000" in text


def test_lambda_invoke_form_runs_the_handler(aws, signed_in, console, unique_name):
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    print('got', event)\n"
                                   "    return {'total': sum(event['values'])}\n")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = aws.client("iam").create_role(RoleName=unique_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    aws.client("lambda").create_function(FunctionName=unique_name, Runtime="python3.12", Handler="app.handler",
                                         Role=role, Code={"ZipFile": code.getvalue()})
    page = signed_in.get(console.url("lambda/function"), params={"name": unique_name}, timeout=60).text
    answer = signed_in.post(console.url("lambda/invoke"), data={"name": unique_name, "csrf": csrf_of(page),
                                                                 "payload": json.dumps({"values": [1, 2, 39]})},
                            timeout=120)
    assert answer.status_code == 200
    text = html.unescape(answer.text)
    assert '{"total": 42}' in text and "got {'values': [1, 2, 39]}" in text


def test_cloudwatch_metric_alarm_and_log_pages(aws, signed_in, console, unique_name):
    cw, logs = aws.client("cloudwatch"), aws.client("logs")
    cw.put_metric_data(Namespace=unique_name, MetricData=[{"MetricName": "Latency", "Value": v, "Unit": "Milliseconds"}
                                                          for v in (120.0, 80.0)])
    cw.put_metric_alarm(AlarmName=unique_name, Namespace=unique_name, MetricName="Latency", Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=1000, ComparisonOperator="GreaterThanThreshold")
    logs.create_log_group(logGroupName=f"/app/{unique_name}")
    logs.create_log_stream(logGroupName=f"/app/{unique_name}", logStreamName="web-1")
    logs.put_log_events(logGroupName=f"/app/{unique_name}", logStreamName="web-1",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "GET /health 200"}])
    raw = signed_in.get(console.url("cloudwatch/metric"), params={"ns": unique_name, "name": "Latency", "dims": "[]",
                                                                   "stat": "Maximum"}, timeout=60).text
    assert '<svg class="chart"' in raw and "<title>120</title>" in raw
    assert unique_name in page_text(signed_in, console.url("cloudwatch/alarm"), name=unique_name)
    assert "GET /health 200" in page_text(signed_in, console.url("cloudwatch/stream"), group=f"/app/{unique_name}",
                                          stream="web-1")


def test_redshift_data_api_editor(aws, signed_in, console, unique_name):
    aws.client("redshift").create_cluster(ClusterIdentifier=unique_name, NodeType="ra3.xlplus", MasterUsername="admin",
                                          MasterUserPassword="Passw0rd!", DBName="dev")
    page = signed_in.get(console.url("redshift/"), params={"cluster": unique_name}, timeout=60).text
    answer = signed_in.post(console.url("redshift/run"), data={
        "cluster": unique_name, "database": "dev", "user": "admin", "csrf": csrf_of(page),
        "sql": "SELECT 6 * 7 AS answer"}, timeout=60, allow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["Location"]
    for _ in range(150):  # the page also lists the session's other statements, FINISHED ones among them
        text = page_text(signed_in, re.match(r"https?://[^/]+", console.base).group(0) + location)
        if " 42 " in text:
            break
        time.sleep(0.2)
    assert "FINISHED" in text and "answer" in text and " 42 " in text


def test_eventbridge_rule_with_its_target(aws, signed_in, console, unique_name):
    events = aws.client("events")
    events.put_rule(Name=unique_name, ScheduleExpression="rate(1 day)", State="DISABLED")
    events.put_targets(Rule=unique_name, Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:jobs"}])
    text = page_text(signed_in, console.url("events/"))
    assert unique_name in text and "rate(1 day)" in text and "jobs" in text


def test_overview_progress_reads_quiz_answers_defensively(tmp_path):
    from emulators.console.pages.overview import _progress

    assert "No exercise or quiz progress yet" in _progress(tmp_path)
    quiz = tmp_path / "quiz"
    quiz.mkdir()
    (quiz / "answers.json").write_text(json.dumps({"cards": {
        "q1": {"box": 5, "due": "2999-01-01", "seen": 4, "right": 4},
        "q2": {"box": 1, "due": "2000-01-01", "seen": 2, "right": 0}}}))
    (quiz / "broken.json").write_text("{not json")
    text = html.unescape(_progress(tmp_path))
    assert "2 questions answered, 4 of 6 answers right (67%), 1 in the top box, 1 due for review" in text
    assert "broken" in text and "(unreadable)" in text


def test_pipeline_execution_graph_marks_the_branch_taken(aws, signed_in, console, unique_name):
    """A Condition step whose else-branch is a Fail step (the pipeline definition schema's step types)."""
    sm = aws.client("sagemaker")
    body = {"Version": "2020-12-01", "Parameters": [{"Name": "Rows", "Type": "Integer", "DefaultValue": 3}],
            "Steps": [{"Name": "EnoughRows", "Type": "Condition", "Arguments": {
                "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Rows"},
                                "RightValue": 10}],
                "IfSteps": [],
                "ElseSteps": [{"Name": "TooFewRows", "Type": "Fail", "Arguments": {"ErrorMessage": "too few rows"}}]}}]}
    sm.create_pipeline(PipelineName=unique_name, RoleArn="arn:aws:iam::123456789012:role/sagemaker-role",
                       PipelineDefinition=json.dumps(body))
    arn = sm.start_pipeline_execution(PipelineName=unique_name)["PipelineExecutionArn"]
    for _ in range(200):
        if sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] != "Executing":
            break
        time.sleep(0.1)
    raw = signed_in.get(console.url("sagemaker/pipeline-execution"), params={"arn": arn}, timeout=60).text
    nodes = dict(re.findall(r'<g class="node" data-state="([^"]+)" data-status="([^"]+)"', raw))
    assert nodes == {"EnoughRows": "succeeded", "TooFewRows": "failed"}
    assert raw.count("<line ") == 1  # the condition's edge to its else-branch
    assert "too few rows" in html.unescape(raw)
