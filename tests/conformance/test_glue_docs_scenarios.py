"""AWS Glue Developer Guide and API reference pages, followed as a new user would, where the sandbox differed.

Each test names the page it follows (docs.aws.amazon.com/glue/latest/dg/ or /webapi/) and checks what Glue
answers: Data Quality evaluation results, partition indexes, column statistics, table versions and the
checks on jobs, triggers and workflows. One module-scoped table serves them; the only Spark job is the
EvaluateDataQuality script.
"""

from __future__ import annotations

import datetime
import time
import uuid

import pyarrow as pa
import pytest
from botocore.exceptions import ClientError

from emulators.glue import dqdl, dqdl_eval

ROLE = "arn:aws:iam::123456789012:role/AWSGlueServiceRole-docs"
ORDERS = ("order_id,customer,amount,status\n"
          "1,ann,10.5,SHIPPED\n2,bob,20,PENDING\n3,carl,5,SHIPPED\n4,dan,-1,LOST\n4,eve,7,SHIPPED\n")
CUSTOMERS = "customer\nann\nbob\ncarl\neve\n"
CSV_SD = {"InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
          "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
          "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                        "Parameters": {"field.delim": ","}}}


def code(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def wait(fetch, busy=("RUNNING", "STARTING", "STOPPING"), timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = fetch()
        if item["Status"] not in busy:
            return item
        time.sleep(0.1)
    raise AssertionError(f"still {item['Status']}")


def csv_table(glue, database, name, location, columns, partition_keys=None, **extra):
    glue.create_table(DatabaseName=database, TableInput={
        "Name": name, "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "PartitionKeys": partition_keys or [],
        "StorageDescriptor": {**CSV_SD, "Location": location,
                              "Columns": [{"Name": n, "Type": t} for n, t in columns]}}, **extra)


@pytest.fixture(scope="module")
def shop(aws):
    """A database ``shop_<id>`` with the CSV tables ``orders`` and ``customers`` in a bucket of their own."""
    s3, glue = aws.client("s3"), aws.client("glue")
    suffix = uuid.uuid4().hex[:8]
    bucket, database = f"glue-docs-{suffix}", f"shop_{suffix}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="orders/part-0.csv", Body=ORDERS.encode())
    s3.put_object(Bucket=bucket, Key="customers/part-0.csv", Body=CUSTOMERS.encode())
    glue.create_database(DatabaseInput={"Name": database})
    csv_table(glue, database, "orders", f"s3://{bucket}/orders/",
              [("order_id", "int"), ("customer", "string"), ("amount", "double"), ("status", "string")])
    csv_table(glue, database, "customers", f"s3://{bucket}/customers/", [("customer", "string")])
    return {"bucket": bucket, "database": database}


def test_data_quality_ruleset_evaluation_run(aws, shop):
    """Glue Developer Guide, "Getting started with AWS Glue Data Quality for the Data Catalog" and the DQDL
    reference (docs.aws.amazon.com/glue/latest/dg/dqdl.html, rules and Analyzers); API: CreateDataQualityRuleset,
    StartDataQualityRulesetEvaluationRun, GetDataQualityRulesetEvaluationRun, GetDataQualityResult."""
    glue = aws.client("glue")
    table = {"DatabaseName": shop["database"], "TableName": "orders"}
    source = {"GlueTable": table}
    ruleset = """Rules = [
        RowCount between 2 and 10,
        IsComplete "customer",
        IsUnique "order_id",
        ColumnValues "status" in ["SHIPPED", "PENDING"] with threshold > 0.7,
        ColumnValues "amount" > 0,
        Mean "amount" > 5,
        CustomSql "select count(*) from primary where amount < 0" = 0,
        ReferentialIntegrity "customer" "reference.customer" >= 0.8,
        (IsComplete "order_id") and (ColumnLength "status" <= 7)
    ]
    Analyzers = [ RowCount, Completeness "customer", DistinctValuesCount "status" ]"""
    glue.create_data_quality_ruleset(Name=f"{shop['database']}-orders", Ruleset=ruleset, TargetTable=table,
                                     Description="orders checks")
    assert code(lambda: glue.create_data_quality_ruleset(Name=f"{shop['database']}-orders",
                                                         Ruleset=ruleset)) == "AlreadyExistsException"
    assert code(lambda: glue.create_data_quality_ruleset(Name=f"{shop['database']}-bad",
                                                         Ruleset='Rules = [ IsGood "x" ]')) == "InvalidInputException"
    listed = glue.list_data_quality_rulesets(Filter={"TargetTable": table})["Rulesets"]
    assert [(r["Name"], r["RuleCount"]) for r in listed] == [(f"{shop['database']}-orders", 9)]

    assert code(lambda: glue.start_data_quality_ruleset_evaluation_run(
        DataSource={"GlueTable": {**table, "TableName": "missing"}}, Role=ROLE,
        RulesetNames=[f"{shop['database']}-orders"])) == "EntityNotFoundException"
    assert code(lambda: glue.start_data_quality_ruleset_evaluation_run(
        DataSource=source, Role=ROLE, RulesetNames=["no-such-ruleset"])) == "EntityNotFoundException"
    run_id = glue.start_data_quality_ruleset_evaluation_run(
        DataSource=source, Role=ROLE, RulesetNames=[f"{shop['database']}-orders"],
        AdditionalDataSources={"reference": {"GlueTable": {**table, "TableName": "customers"}}})["RunId"]
    run = wait(lambda: glue.get_data_quality_ruleset_evaluation_run(RunId=run_id))
    assert run["Status"] == "SUCCEEDED", run.get("ErrorString")
    result = glue.get_data_quality_result(ResultId=run["ResultIds"][0])
    assert result["RulesetName"] == f"{shop['database']}-orders" and result["RulesetEvaluationRunId"] == run_id
    outcomes = {r["Description"].split(" ")[0] + str(i): r for i, r in enumerate(result["RuleResults"], start=1)}
    assert [r["Name"] for r in result["RuleResults"]] == [f"Rule_{i}" for i in range(1, 10)]
    assert {k: r["Result"] for k, r in outcomes.items()} == {
        "RowCount1": "PASS", "IsComplete2": "PASS", "IsUnique3": "FAIL", "ColumnValues4": "PASS",
        "ColumnValues5": "FAIL", "Mean6": "PASS", "CustomSql7": "FAIL", "ReferentialIntegrity8": "PASS",
        "(IsComplete9": "PASS"}
    assert outcomes["RowCount1"]["EvaluatedMetrics"] == {"Dataset.*.RowCount": 5.0}
    assert outcomes["IsUnique3"]["EvaluatedMetrics"] == {"Column.order_id.Uniqueness": 0.6}
    assert outcomes["IsUnique3"]["EvaluationMessage"] == "Value: 0.6 does not meet the constraint requirement!"
    assert outcomes["ColumnValues5"]["EvaluatedMetrics"]["Column.amount.Minimum"] == -1.0
    assert outcomes["Mean6"]["EvaluatedMetrics"] == {"Column.amount.Mean": pytest.approx(8.3)}
    assert outcomes["ReferentialIntegrity8"]["EvaluatedMetrics"] == {"Column.reference.ReferentialIntegrity": 0.8}
    assert "EvaluationMessage" not in outcomes["RowCount1"]
    assert result["Score"] == pytest.approx(6 / 9)
    assert [a["EvaluatedMetrics"] for a in result["AnalyzerResults"]] == [
        {"Dataset.*.RowCount": 5.0}, {"Column.customer.Completeness": 1.0}, {"Column.status.DistinctValuesCount": 3.0}]

    found = glue.list_data_quality_results(Filter={"DataSource": source})["Results"]
    assert [r["ResultId"] for r in found] == run["ResultIds"]
    batch = glue.batch_get_data_quality_result(ResultIds=[run["ResultIds"][0], "dqresult-missing"])
    assert batch["ResultsNotFound"] == ["dqresult-missing"] and len(batch["Results"]) == 1
    runs = glue.list_data_quality_ruleset_evaluation_runs(Filter={"DataSource": source})["Runs"]
    assert [r["RunId"] for r in runs] == [run_id]
    assert code(lambda: glue.get_data_quality_result(ResultId="dqresult-missing")) == "EntityNotFoundException"
    assert code(lambda: glue.cancel_data_quality_ruleset_evaluation_run(RunId="dqrun-missing")) == \
        "EntityNotFoundException"
    glue.delete_data_quality_ruleset(Name=f"{shop['database']}-orders")
    assert code(lambda: glue.get_data_quality_ruleset(Name=f"{shop['database']}-orders")) == \
        "EntityNotFoundException"


def test_rule_recommendation_run(aws, shop):
    """Glue Developer Guide, "Getting started with AWS Glue Data Quality for the Data Catalog" (Recommend rules);
    API StartDataQualityRuleRecommendationRun with CreatedRulesetName, GetDataQualityRuleRecommendationRun."""
    glue = aws.client("glue")
    source = {"GlueTable": {"DatabaseName": shop["database"], "TableName": "orders"}}
    name = f"{shop['database']}-recommended"
    run_id = glue.start_data_quality_rule_recommendation_run(DataSource=source, Role=ROLE,
                                                             CreatedRulesetName=name)["RunId"]
    run = wait(lambda: glue.get_data_quality_rule_recommendation_run(RunId=run_id))
    assert run["Status"] == "SUCCEEDED", run.get("ErrorString")
    recommended = dqdl.parse_ruleset(run["RecommendedRuleset"])
    kinds = {(r.kind, tuple(r.parameters)) for r in recommended}
    assert {("RowCount", ()), ("IsComplete", ("customer",)), ("ColumnValues", ("status",))} <= kinds
    stored = glue.get_data_quality_ruleset(Name=name)
    assert stored["RecommendationRunId"] == run_id and stored["Ruleset"] == run["RecommendedRuleset"]
    assert [r["RunId"] for r in glue.list_data_quality_rule_recommendation_runs(
        Filter={"DataSource": source})["Runs"]] == [run_id]
    # the recommendations describe the data they came from: each of them passes on it
    evaluation = glue.start_data_quality_ruleset_evaluation_run(DataSource=source, Role=ROLE,
                                                                RulesetNames=[name])["RunId"]
    finished = wait(lambda: glue.get_data_quality_ruleset_evaluation_run(RunId=evaluation))
    assert glue.get_data_quality_result(ResultId=finished["ResultIds"][0])["Score"] == 1.0


def test_dqdl_operators_follow_the_reference():
    """DQDL reference, "Expressions", "Keywords for NULL, EMPTY and WHITESPACES_ONLY", "Composite rules" and the
    rule type pages (IsComplete, ColumnValues with now(), ColumnLength, CustomSql, DataFreshness): the evaluator
    alone."""
    data = pa.table({"id": [1, 2, 3, 4], "code": ["A", "B", None, ""], "price": [1.0, 2.0, 3.0, 10.0]})
    rules = dqdl.parse_ruleset("""Rules = [
        # between excludes both ends
        RowCount between 4 and 10, RowCount between 3 and 5,
        ColumnValues "code" in ["A", "B"], ColumnValues "code" in ["A", "B", NULL, EMPTY],
        ColumnValues "code" in ["A", "B"] with threshold >= 0.5,
        ColumnValues "code" not in ["Z"] with threshold > 0.5,
        ColumnValues "code" matches "[A-Z]" with threshold = 0.5,
        ColumnLength "code" <= 1,
        Completeness "code" > 0.7 where "price < 5",
        (RowCount > 100) or (IsComplete "id"),
        CustomSql "select id from primary where price < 5" with threshold > 0.7,
        IsComplete "missing",
        DatasetMatch "reference" "id" >= 0.9
    ]""")
    outcomes = [r["Result"] for r in dqdl_eval.evaluate(rules, data)]
    assert outcomes == ["FAIL", "PASS", "FAIL", "PASS", "PASS", "PASS", "PASS", "PASS", "FAIL", "PASS", "PASS",
                        "ERROR", "ERROR"]
    now = datetime.datetime.now(datetime.timezone.utc)
    stamps = pa.table({"updated": [now - datetime.timedelta(hours=h) for h in (1, 30, 100)]})
    fresh = dqdl.parse_ruleset("""Rules = [ DataFreshness "updated" <= 24 hours, DataFreshness "updated" <= 5 days,
        DataFreshness "updated" <= 24 hours with threshold > 0.3, ColumnValues "updated" > (now() - 2 days),
        ColumnValues "updated" <= now(), Completeness "updated" > avg(last(3)) ]""")
    assert [r["Result"] for r in dqdl_eval.evaluate(fresh, stamps)] == ["FAIL", "PASS", "PASS", "FAIL", "PASS", "ERROR"]
    typed = pa.table({"n": ["1", "2", "x", "4"], "i": [1, 2, 3, 4]})
    types = dqdl.parse_ruleset("""Rules = [ ColumnDataType "n" = "INTEGER",
        ColumnDataType "n" = "INTEGER" with threshold > 0.7, ColumnDataType "i" = "INTEGER" ]""")
    assert [r["Result"] for r in dqdl_eval.evaluate(types, typed)] == ["FAIL", "PASS", "PASS"]
    for bad in ('Rules = [ RowCount >> 3 ]', 'Rules = [ Completeness "a" ]', 'RowCount > 1', 'Rules = [ Unknown ]'):
        with pytest.raises(dqdl.DqdlError):
            dqdl.parse_ruleset(bad)


def test_partition_indexes(aws, shop):
    """Glue Developer Guide, "Working with partition indexes in AWS Glue"; API CreatePartitionIndex,
    GetPartitionIndexes, DeletePartitionIndex and CreateTable's PartitionIndexes."""
    glue = aws.client("glue")
    database = shop["database"]
    keys = [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}]
    csv_table(glue, database, "events", f"s3://{shop['bucket']}/events/", [("id", "int")], keys,
              PartitionIndexes=[{"Keys": ["year"], "IndexName": "by_year"}])
    indexes = glue.get_partition_indexes(DatabaseName=database, TableName="events")["PartitionIndexDescriptorList"]
    assert indexes == [{"IndexName": "by_year", "Keys": [{"Name": "year", "Type": "string"}], "IndexStatus": "ACTIVE"}]
    assert code(lambda: glue.create_partition_index(DatabaseName=database, TableName="events", PartitionIndex={
        "Keys": ["id"], "IndexName": "by_id"})) == "InvalidInputException"
    assert code(lambda: csv_table(glue, database, "events2", f"s3://{shop['bucket']}/e2/", [("id", "int")], keys,
                                  PartitionIndexes=[{"Keys": ["id"], "IndexName": "x"}])) == "InvalidInputException"
    assert code(lambda: glue.get_table(DatabaseName=database, Name="events2")) == "EntityNotFoundException"
    assert code(lambda: glue.create_partition_index(DatabaseName=database, TableName="events", PartitionIndex={
        "Keys": ["year"], "IndexName": "by_year"})) == "AlreadyExistsException"
    for name, index_keys in (("by_month", ["month"]), ("by_both", ["year", "month"])):
        glue.create_partition_index(DatabaseName=database, TableName="events",
                                    PartitionIndex={"Keys": index_keys, "IndexName": name})
    assert code(lambda: glue.create_partition_index(DatabaseName=database, TableName="events", PartitionIndex={
        "Keys": ["month"], "IndexName": "fourth"})) == "ResourceNumberLimitExceededException"
    glue.delete_partition_index(DatabaseName=database, TableName="events", IndexName="by_month")
    assert code(lambda: glue.delete_partition_index(DatabaseName=database, TableName="events",
                                                    IndexName="by_month")) == "EntityNotFoundException"
    glue.batch_create_partition(DatabaseName=database, TableName="events", PartitionInputList=[
        {"Values": [str(y), f"{m:02d}"], "StorageDescriptor": {**CSV_SD, "Location": f"s3://b/y={y}/m={m}/"}}
        for y in (2023, 2024) for m in (1, 2, 3)])
    found = glue.get_partitions(DatabaseName=database, TableName="events",
                                Expression="year = '2024' AND month BETWEEN '01' AND '02'")["Partitions"]
    assert sorted(p["Values"][1] for p in found) == ["01", "02"]


def test_column_statistics(aws, shop):
    """Glue Developer Guide, "Optimizing query performance using column statistics"; API
    UpdateColumnStatisticsForTable / ForPartition, GetColumnStatisticsForTable, DeleteColumnStatisticsForTable,
    StartColumnStatisticsTaskRun and GetColumnStatisticsTaskRun."""
    glue = aws.client("glue")
    database = shop["database"]
    analyzed = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    long_stats = {"Type": "LONG", "LongColumnStatisticsData": {
        "MinimumValue": 1, "MaximumValue": 4, "NumberOfNulls": 0, "NumberOfDistinctValues": 4}}
    answer = glue.update_column_statistics_for_table(DatabaseName=database, TableName="orders", ColumnStatisticsList=[
        {"ColumnName": "order_id", "ColumnType": "int", "AnalyzedTime": analyzed, "StatisticsData": long_stats},
        {"ColumnName": "nope", "ColumnType": "int", "AnalyzedTime": analyzed, "StatisticsData": long_stats}])
    assert [e["ColumnStatistics"]["ColumnName"] for e in answer["Errors"]] == ["nope"]
    got = glue.get_column_statistics_for_table(DatabaseName=database, TableName="orders",
                                               ColumnNames=["order_id", "status"])
    assert got["ColumnStatisticsList"][0]["StatisticsData"] == long_stats
    assert [e["ColumnName"] for e in got["Errors"]] == ["status"]
    glue.delete_column_statistics_for_table(DatabaseName=database, TableName="orders", ColumnName="order_id")
    assert code(lambda: glue.delete_column_statistics_for_table(
        DatabaseName=database, TableName="orders", ColumnName="order_id")) == "EntityNotFoundException"
    assert code(lambda: glue.get_column_statistics_for_partition(
        DatabaseName=database, TableName="orders", PartitionValues=["2024"],
        ColumnNames=["amount"])) == "EntityNotFoundException"

    run_id = glue.start_column_statistics_task_run(DatabaseName=database, TableName="orders",
                                                   Role=ROLE)["ColumnStatisticsTaskRunId"]
    run = wait(lambda: glue.get_column_statistics_task_run(ColumnStatisticsTaskRunId=run_id)["ColumnStatisticsTaskRun"])
    assert run["Status"] == "SUCCEEDED", run.get("ErrorMessage")
    computed = glue.get_column_statistics_for_table(DatabaseName=database, TableName="orders",
                                                    ColumnNames=["order_id", "amount", "status"])
    stats = {s["ColumnName"]: s["StatisticsData"] for s in computed["ColumnStatisticsList"]}
    assert stats["order_id"]["LongColumnStatisticsData"] == {"MinimumValue": 1, "MaximumValue": 4, "NumberOfNulls": 0,
                                                             "NumberOfDistinctValues": 4}
    assert (stats["amount"]["DoubleColumnStatisticsData"]["MinimumValue"],
            stats["amount"]["DoubleColumnStatisticsData"]["MaximumValue"]) == (-1.0, 20.0)
    assert stats["status"]["StringColumnStatisticsData"]["MaximumLength"] == 7
    assert [r["ColumnStatisticsTaskRunId"] for r in glue.get_column_statistics_task_runs(
        DatabaseName=database, TableName="orders")["ColumnStatisticsTaskRuns"]] == [run_id]
    assert code(lambda: glue.stop_column_statistics_task_run(DatabaseName=database, TableName="orders")) == \
        "ColumnStatisticsTaskNotRunningException"


def test_json_custom_classifier_selects_the_records(aws, shop, unique_name):
    """Glue Developer Guide, "Writing JSON custom classifiers": a file holding one JSON array is a single
    ``array`` column for the built-in classifier; a custom classifier with JsonPath ``$[*]`` makes each
    element a row."""
    import json

    s3, glue = aws.client("s3"), aws.client("glue")
    body = json.dumps([{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]).encode()
    for folder in ("plain", "classified"):
        s3.put_object(Bucket=shop["bucket"], Key=f"arrays/{folder}/data.json", Body=body)
    glue.create_classifier(JsonClassifier={"Name": unique_name, "JsonPath": "$[*]"})
    for folder, classifiers in (("plain", []), ("classified", [unique_name])):
        glue.create_crawler(Name=f"{unique_name}-{folder}", Role=ROLE, DatabaseName=shop["database"],
                            Classifiers=classifiers, TablePrefix=f"{unique_name}_",
                            Targets={"S3Targets": [{"Path": f"s3://{shop['bucket']}/arrays/{folder}/"}]})
        glue.start_crawler(Name=f"{unique_name}-{folder}")
    for folder in ("plain", "classified"):
        crawl = wait(lambda: {"Status": "RUNNING", **glue.get_crawler(Name=f"{unique_name}-{folder}")["Crawler"].get(
            "LastCrawl", {})})
        assert crawl["Status"] == "SUCCEEDED", crawl.get("ErrorMessage")
    columns = {t["Name"]: [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]]
               for t in glue.get_tables(DatabaseName=shop["database"], Expression=f"{unique_name}_.*")["TableList"]}
    assert columns == {f"{unique_name}_plain": [("array", "array<struct<id:bigint,name:string>>")],
                       f"{unique_name}_classified": [("id", "bigint"), ("name", "string")]}
    assert code(lambda: glue.create_classifier(JsonClassifier={"Name": f"{unique_name}-bad",
                                                               "JsonPath": "records"})) == "InvalidInputException"


def test_crawler_schedule_can_be_paused_and_resumed(aws, shop, unique_name):
    """API StartCrawlerSchedule / StopCrawlerSchedule ("Changes the schedule state of the specified crawler to
    SCHEDULED / NOT_SCHEDULED"; NoScheduleException, SchedulerRunningException, SchedulerNotRunningException)."""
    glue = aws.client("glue")
    targets = {"S3Targets": [{"Path": f"s3://{shop['bucket']}/orders/"}]}
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=shop["database"], Targets=targets,
                        Schedule="cron(15 12 * * ? *)")
    state = lambda: glue.get_crawler(Name=unique_name)["Crawler"]["Schedule"]["State"]  # noqa: E731
    assert state() == "SCHEDULED"
    assert code(lambda: glue.start_crawler_schedule(CrawlerName=unique_name)) == "SchedulerRunningException"
    glue.stop_crawler_schedule(CrawlerName=unique_name)
    assert state() == "NOT_SCHEDULED"
    assert code(lambda: glue.stop_crawler_schedule(CrawlerName=unique_name)) == "SchedulerNotRunningException"
    glue.start_crawler_schedule(CrawlerName=unique_name)
    assert state() == "SCHEDULED"
    glue.create_crawler(Name=f"{unique_name}-x", Role=ROLE, DatabaseName=shop["database"], Targets=targets)
    assert code(lambda: glue.start_crawler_schedule(CrawlerName=f"{unique_name}-x")) == "NoScheduleException"


def test_update_table_skip_archive_and_version_id(aws, shop):
    """API UpdateTable: "SkipArchive -- By default, UpdateTable always creates an archived version of the table
    before updating it. However, if skipArchive is set to true, UpdateTable does not create the archived version";
    VersionId "is used to guard against concurrent updates"."""
    glue = aws.client("glue")
    database = shop["database"]
    csv_table(glue, database, "versions", f"s3://{shop['bucket']}/v/", [("id", "int")])
    table_input = {"Name": "versions", "StorageDescriptor": {**CSV_SD, "Location": f"s3://{shop['bucket']}/v/",
                                                             "Columns": [{"Name": "id", "Type": "bigint"}]}}
    glue.update_table(DatabaseName=database, TableInput=table_input)
    glue.update_table(DatabaseName=database, SkipArchive=True, TableInput={**table_input, "Description": "skip"})
    versions = glue.get_table_versions(DatabaseName=database, TableName="versions")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["2", "1"]
    assert versions[0]["Table"]["Description"] == "skip"
    assert code(lambda: glue.update_table(DatabaseName=database, VersionId="1",
                                          TableInput=table_input)) == "ConcurrentModificationException"
    glue.update_table(DatabaseName=database, VersionId="2", TableInput=table_input)
    table = glue.get_table(DatabaseName=database, Name="versions")["Table"]
    assert table["VersionId"] == "3" and table["IsRegisteredWithLakeFormation"] is False


def test_job_trigger_and_workflow_definitions_are_checked(aws, shop, unique_name):
    """API CreateJob ("WorkerType", "NumberOfWorkers", "MaxCapacity": "Do not set Max Capacity if using
    WorkerType and NumberOfWorkers"; "Timeout"), GetJobRuns, CreateTrigger ("StartOnCreation ... True is not
    supported for ON_DEMAND triggers"; Schedule as a cron expression), UpdateTrigger, CreateWorkflow and
    GetWorkflow with IncludeGraph."""
    glue = aws.client("glue")
    command = {"Name": "glueetl", "ScriptLocation": f"s3://{shop['bucket']}/scripts/missing.py"}
    for sizing in ({"WorkerType": "G.1X"}, {"NumberOfWorkers": 2},
                   {"WorkerType": "G.1X", "NumberOfWorkers": 2, "MaxCapacity": 10.0}):
        assert code(lambda: glue.create_job(Name=unique_name, Role=ROLE, Command=command, **sizing)) == \
            "InvalidInputException", sizing
    assert code(lambda: glue.create_job(Name=unique_name, Role=ROLE, MaxCapacity=2.0, Command={
        "Name": "pythonshell", "ScriptLocation": command["ScriptLocation"]})) == "InvalidInputException"
    definition = {"Name": unique_name, "Role": ROLE, "Command": command, "GlueVersion": "4.0", "WorkerType": "G.1X",
                  "NumberOfWorkers": 2, "ExecutionProperty": {"MaxConcurrentRuns": 3}}
    glue.create_job(**definition)
    glue.create_job(**definition)  # the same definition again is accepted
    assert code(lambda: glue.create_job(**{**definition, "NumberOfWorkers": 5})) == \
        "IdempotentParameterMismatchException"
    job = glue.get_job(JobName=unique_name)["Job"]
    assert (job["NumberOfWorkers"], job["Timeout"]) == (2, 2880)  # "When the value is left blank, ... 2880 minutes"
    assert (job["MaxCapacity"], job["MaxRetries"]) == (2.0, 0)  # two G.1X workers of 1 DPU each
    assert code(lambda: glue.create_job(**{**definition, "Name": f"{unique_name}-long", "Timeout": 20000})) == \
        "InvalidInputException"  # "Jobs must have timeout values less than 7 days or 10080 minutes"
    assert code(lambda: glue.start_job_run(JobName=unique_name, Timeout=20000)) == "InvalidInputException"
    # "To use Worker Type G.1X, minimum allowed value of Number of Workers is 2" comes from StartJobRun
    assert code(lambda: glue.start_job_run(JobName=unique_name, NumberOfWorkers=1)) == "InvalidInputException"

    first = glue.start_job_run(JobName=unique_name, Arguments={"--n": "1"})["JobRunId"]
    second = glue.start_job_run(JobName=unique_name, Arguments={"--n": "2"})["JobRunId"]
    assert [r["Id"] for r in glue.get_job_runs(JobName=unique_name)["JobRuns"]] == [second, first]
    stopped = glue.batch_stop_job_run(JobName=unique_name, JobRunIds=["jr_missing"])
    assert stopped["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"

    assert code(lambda: glue.create_trigger(Name=f"{unique_name}-t", Type="SCHEDULED", Schedule="cron(0 12 * * *)",
                                            Actions=[{"JobName": unique_name}])) == "InvalidInputException"
    assert code(lambda: glue.create_trigger(Name=f"{unique_name}-t", Type="ON_DEMAND", StartOnCreation=True,
                                            Actions=[{"JobName": unique_name}])) == "InvalidInputException"
    glue.create_trigger(Name=f"{unique_name}-t", Type="SCHEDULED", Schedule="cron(0 12 * * ? *)",
                        Actions=[{"JobName": unique_name}])
    assert code(lambda: glue.create_trigger(Name=f"{unique_name}-t", Type="ON_DEMAND",
                                            Actions=[{"JobName": unique_name}])) == "AlreadyExistsException"
    updated = glue.update_trigger(Name=f"{unique_name}-t", TriggerUpdate={"Schedule": "cron(30 6 * * ? *)",
                                                                           "Description": "mornings"})["Trigger"]
    assert (updated["Schedule"], updated["Description"], updated["Actions"]) == (
        "cron(30 6 * * ? *)", "mornings", [{"JobName": unique_name}])
    assert glue.get_trigger(Name=f"{unique_name}-t")["Trigger"]["Schedule"] == "cron(30 6 * * ? *)"
    assert code(lambda: glue.update_trigger(Name=f"{unique_name}-t", TriggerUpdate={
        "Schedule": "every day"})) == "InvalidInputException"
    glue.create_workflow(Name=unique_name)
    assert code(lambda: glue.create_workflow(Name=unique_name)) == "AlreadyExistsException"
    glue.create_trigger(Name=f"{unique_name}-start", WorkflowName=unique_name, Type="ON_DEMAND",
                        Actions=[{"JobName": unique_name}])
    glue.create_trigger(Name=f"{unique_name}-then", WorkflowName=unique_name, Type="CONDITIONAL",
                        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": unique_name,
                                                   "State": "SUCCEEDED"}]},
                        Actions=[{"CrawlerName": f"{unique_name}-crawler"}])
    graph = glue.get_workflow(Name=unique_name, IncludeGraph=True)["Workflow"]["Graph"]
    names = {n["UniqueId"]: (n["Type"], n["Name"]) for n in graph["Nodes"]}
    assert sorted(names.values()) == sorted([("TRIGGER", f"{unique_name}-start"), ("TRIGGER", f"{unique_name}-then"),
                                             ("JOB", unique_name), ("CRAWLER", f"{unique_name}-crawler")])
    assert sorted((names[e["SourceId"]][1], names[e["DestinationId"]][1]) for e in graph["Edges"]) == sorted([
        (f"{unique_name}-start", unique_name), (unique_name, f"{unique_name}-then"),
        (f"{unique_name}-then", f"{unique_name}-crawler")])
    assert "Graph" not in glue.get_workflow(Name=unique_name)["Workflow"]


DQ_SCRIPT = '''import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import SelectFromCollection
from awsglue.utils import getResolvedOptions
from awsgluedq.transforms import EvaluateDataQuality
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "bucket"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
orders = glueContext.create_dynamic_frame.from_catalog(database=args["database"], table_name="orders")
ruleset = """Rules = [ RowCount > 3, IsComplete "customer", ColumnValues "amount" > 0 ]"""
outcomes = EvaluateDataQuality().process_rows(
    frame=orders, ruleset=ruleset,
    publishing_options={"dataQualityEvaluationContext": "orders_checks", "enableDataQualityCloudWatchMetrics": False,
                        "enableDataQualityResultsPublishing": True})
rule_outcomes = SelectFromCollection.apply(dfc=outcomes, key="ruleOutcomes").toDF()
rows = SelectFromCollection.apply(dfc=outcomes, key="rowLevelOutcomes").toDF()
rule_outcomes.coalesce(1).write.mode("overwrite").json(f"s3://{args['bucket']}/dq/rules/")
rows.filter(rows.DataQualityEvaluationResult == "Failed").select("order_id").coalesce(1).write.mode(
    "overwrite").json(f"s3://{args['bucket']}/dq/failed_rows/")
job.commit()
'''


@pytest.mark.slow
def test_evaluate_data_quality_in_a_job_script(aws, shop, unique_name):
    """Glue Developer Guide, "Evaluating data quality for ETL jobs" (the EvaluateDataQuality transform in a
    script, process_rows with ruleOutcomes and rowLevelOutcomes; published results in ListDataQualityResults)."""
    import json

    s3, glue = aws.client("s3"), aws.client("glue")
    s3.put_object(Bucket=shop["bucket"], Key="scripts/dq.py", Body=DQ_SCRIPT.encode())
    glue.create_job(Name=unique_name, Role=ROLE, GlueVersion="4.0", WorkerType="G.1X", NumberOfWorkers=2,
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{shop['bucket']}/scripts/dq.py"})
    run_id = glue.start_job_run(JobName=unique_name, Arguments={"--database": shop["database"],
                                                                "--bucket": shop["bucket"]})["JobRunId"]
    deadline = time.monotonic() + 300
    while (run := glue.get_job_run(JobName=unique_name, RunId=run_id)["JobRun"])["JobRunState"] in (
            "STARTING", "RUNNING") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")

    def lines(prefix):
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=shop["bucket"], Prefix=prefix)["Contents"]
                if o["Key"].endswith(".json")]
        return [json.loads(line) for k in keys
                for line in s3.get_object(Bucket=shop["bucket"], Key=k)["Body"].read().decode().splitlines()]

    rules = {r["Rule"]: r for r in lines("dq/rules/")}
    assert {k: r["Outcome"] for k, r in rules.items()} == {
        "RowCount > 3": "Passed", 'IsComplete "customer"': "Passed", 'ColumnValues "amount" > 0': "Failed"}
    assert rules['ColumnValues "amount" > 0']["FailureReason"] == \
        "Value: -1.0 does not meet the constraint requirement!"
    assert [r["order_id"] for r in lines("dq/failed_rows/")] == [4]
    published = glue.list_data_quality_results(Filter={"JobName": unique_name})["Results"]
    assert [r["JobRunId"] for r in published] == [run_id]
    result = glue.get_data_quality_result(ResultId=published[0]["ResultId"])
    assert (result["EvaluationContext"], result["JobName"]) == ("orders_checks", unique_name)
    assert result["Score"] == pytest.approx(2 / 3) and len(result["RuleResults"]) == 3


def test_schema_registry_compatibility_defaults_to_backward(aws, unique_name):
    """Glue Developer Guide, "AWS Glue Schema registry" (schema versioning and compatibility: BACKWARD is the
    default mode); API CreateSchema without Compatibility, RegisterSchemaVersion, ListSchemas, ListSchemaVersions."""
    glue = aws.client("glue")
    glue.create_registry(RegistryName=unique_name)
    definition = '{"type": "record", "name": "order", "fields": [{"name": "id", "type": "int"}]}'
    schema = glue.create_schema(RegistryId={"RegistryName": unique_name}, SchemaName="orders", DataFormat="AVRO",
                                SchemaDefinition=definition)
    assert (schema["Compatibility"], schema["LatestSchemaVersion"]) == ("BACKWARD", 1)
    glue.register_schema_version(SchemaId={"RegistryName": unique_name, "SchemaName": "orders"},
                                 SchemaDefinition=definition.replace('"int"}]', '"int"}, {"name": "note", '
                                                                     '"type": ["null", "string"], "default": null}]'))
    listed = glue.list_schemas(RegistryId={"RegistryName": unique_name})["Schemas"]
    assert [(s["SchemaName"], s["SchemaStatus"]) for s in listed] == [("orders", "AVAILABLE")]
    versions = glue.list_schema_versions(SchemaId={"RegistryName": unique_name, "SchemaName": "orders"})["Schemas"]
    assert [v["VersionNumber"] for v in versions] == [1, 2]
    assert code(lambda: glue.list_schemas(RegistryId={"RegistryName": f"{unique_name}-none"})) == \
        "EntityNotFoundException"


def test_connections_can_be_updated_and_deleted(aws, unique_name):
    """API CreateConnection, GetConnection (ConnectionType), UpdateConnection, DeleteConnection and
    BatchDeleteConnection, as the teardown steps of aws-glue-samples use them."""
    glue = aws.client("glue")
    connection = {"Name": unique_name, "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": "jdbc:postgresql://db.example.com:5432/sales", "USERNAME": "etl", "PASSWORD": "x"}}
    glue.create_connection(ConnectionInput=connection)
    glue.create_connection(ConnectionInput={**connection, "Name": f"{unique_name}-2"})
    glue.update_connection(Name=unique_name, ConnectionInput={**connection, "Description": "sales replica"})
    found = glue.get_connection(Name=unique_name, HidePassword=True)["Connection"]
    assert (found["ConnectionType"], found["Description"]) == ("JDBC", "sales replica")
    assert "PASSWORD" not in found["ConnectionProperties"]
    glue.delete_connection(ConnectionName=unique_name)
    assert code(lambda: glue.get_connection(Name=unique_name)) == "EntityNotFoundException"
    answer = glue.batch_delete_connection(ConnectionNameList=[f"{unique_name}-2", f"{unique_name}-3"])
    assert answer["Succeeded"] == [f"{unique_name}-2"] and list(answer["Errors"]) == [f"{unique_name}-3"]
