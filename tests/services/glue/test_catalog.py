"""The Glue Data Catalog answers as AWS does: names, partition checks, paging, versions, search, crawler settings."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/glue-crawler"


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


@pytest.fixture
def sales(aws, unique_name):
    """A database with a table partitioned by year and month, 3 x 3 partitions."""
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": unique_name})
    glue.create_table(DatabaseName=unique_name, TableInput={
        "Name": "sales", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}],
                                               "Location": "s3://somewhere/sales/"},
        "PartitionKeys": [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}]})
    glue.batch_create_partition(DatabaseName=unique_name, TableName="sales", PartitionInputList=[
        {"Values": [y, m], "StorageDescriptor": {"Location": f"s3://somewhere/sales/year={y}/month={m}/"}}
        for y in ("2022", "2023", "2024") for m in ("01", "02", "11")])
    return unique_name


def values(glue, database, expression=None, **kwargs):
    extra = {"Expression": expression} if expression else {}
    found = glue.get_partitions(DatabaseName=database, TableName="sales", **extra, **kwargs)["Partitions"]
    return sorted(tuple(p["Values"]) for p in found)


def test_names_are_lower_case_and_found_whatever_the_case(aws, unique_name):
    glue = aws.client("glue")
    mixed = unique_name.upper()
    glue.create_database(DatabaseInput={"Name": mixed})
    assert glue.get_database(Name=unique_name)["Database"]["Name"] == unique_name
    glue.create_table(DatabaseName=mixed, TableInput={"Name": "MixedCase", "StorageDescriptor": {
        "Columns": [{"Name": "id", "Type": "int"}], "Location": "s3://somewhere/x/"}})
    table = glue.get_table(DatabaseName=unique_name, Name="mixedcase")["Table"]
    assert (table["Name"], table["DatabaseName"]) == ("mixedcase", unique_name)
    assert glue.get_table(DatabaseName=mixed, Name="MIXEDCASE")["Table"]["Name"] == "mixedcase"
    assert error_code(glue.create_database, DatabaseInput={"Name": unique_name}) == "AlreadyExistsException"
    # a name over the model's 255 characters is refused by request validation, as AWS's is
    # ("1 validation error detected: ... Member must have length less than or equal to 255")
    assert error_code(glue.create_table, DatabaseName=unique_name,
                      TableInput={"Name": "x" * 256}) == "ValidationException"


def test_partition_values_must_match_the_partition_keys(aws, sales):
    glue = aws.client("glue")
    code = error_code(glue.create_partition, DatabaseName=sales, TableName="sales",
                      PartitionInput={"Values": ["2025"]})
    assert code == "InvalidInputException"
    result = glue.batch_create_partition(DatabaseName=sales, TableName="sales", PartitionInputList=[
        {"Values": ["2025", "01"]}, {"Values": ["2025", "01", "x"]}])
    assert [e["PartitionValues"] for e in result["Errors"]] == [["2025", "01", "x"]]
    assert result["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"
    assert ("2025", "01") in values(glue, sales)


def test_partition_expressions_and_paging(aws, sales):
    glue = aws.client("glue")
    assert values(glue, sales, "year BETWEEN '2022' AND '2023' AND month = '11'") == [("2022", "11"), ("2023", "11")]
    assert values(glue, sales, "month IN ('01', '02') AND year LIKE '%24'") == [("2024", "01"), ("2024", "02")]
    assert values(glue, sales, "year = '2022' OR month = '02'") == [
        ("2022", "01"), ("2022", "02"), ("2022", "11"), ("2023", "02"), ("2024", "02")]
    assert error_code(glue.get_partitions, DatabaseName=sales, TableName="sales",
                      Expression="region = 'eu'") == "InvalidInputException"
    first = glue.get_partitions(DatabaseName=sales, TableName="sales", MaxResults=4)
    assert len(first["Partitions"]) == 4 and first["NextToken"]
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=sales, TableName="sales",
                                                          PaginationConfig={"PageSize": 4})
    assert sum(len(p["Partitions"]) for p in pages) == 9
    segments = [values(glue, sales, Segment={"SegmentNumber": n, "TotalSegments": 2}) for n in (0, 1)]
    assert sorted(segments[0] + segments[1]) == values(glue, sales) and not set(segments[0]) & set(segments[1])


def test_get_databases_and_tables_page(aws, unique_name):
    glue = aws.client("glue")
    for i in range(3):
        glue.create_database(DatabaseInput={"Name": f"{unique_name}_{i}"})
        glue.create_table(DatabaseName=f"{unique_name}_0", TableInput={"Name": f"t{i}"})
    page = glue.get_databases(MaxResults=2)
    assert len(page["DatabaseList"]) == 2 and page["NextToken"]
    names = [d["Name"] for p in glue.get_paginator("get_databases").paginate(PaginationConfig={"PageSize": 2})
             for d in p["DatabaseList"]]
    assert {f"{unique_name}_{i}" for i in range(3)} <= set(names) and len(names) == len(set(names))
    page = glue.get_tables(DatabaseName=f"{unique_name}_0", MaxResults=2)
    assert [t["Name"] for t in page["TableList"]] == ["t0", "t1"] and page["NextToken"]


def test_table_versions_newest_first_and_the_current_one_cannot_be_deleted(aws, unique_name):
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": unique_name})
    table = {"Name": "v", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": "s3://x/v/"}}
    glue.create_table(DatabaseName=unique_name, TableInput=table)
    for extra in ("a", "b"):
        table["StorageDescriptor"]["Columns"].append({"Name": extra, "Type": "string"})
        glue.update_table(DatabaseName=unique_name, TableInput=table)
    versions = glue.get_table_versions(DatabaseName=unique_name, TableName="v")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["3", "2", "1"]
    assert len(versions[0]["Table"]["StorageDescriptor"]["Columns"]) == 3
    assert error_code(glue.delete_table_version, DatabaseName=unique_name, TableName="v",
                      VersionId="3") == "InvalidInputException"
    glue.delete_table_version(DatabaseName=unique_name, TableName="v", VersionId="1")
    result = glue.batch_delete_table_version(DatabaseName=unique_name, TableName="v", VersionIds=["2", "9"])
    assert [(e["VersionId"], e["ErrorDetail"]["ErrorCode"]) for e in result["Errors"]] == [
        ("9", "EntityNotFoundException")]
    assert [v["VersionId"] for v in glue.get_table_versions(DatabaseName=unique_name, TableName="v")["TableVersions"]] == ["3"]
    assert glue.get_tables(DatabaseName=unique_name)["TableList"][0]["VersionId"] == "3"


def test_search_tables(aws, unique_name):
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": unique_name})
    glue.create_table(DatabaseName=unique_name, TableInput={
        "Name": "orders_raw", "Parameters": {"classification": "csv"},
        "StorageDescriptor": {"Columns": [{"Name": "customer_email", "Type": "string"}]}})
    glue.create_table(DatabaseName=unique_name, TableInput={"Name": "clicks", "Parameters": {"classification": "json"}})
    by_column = glue.search_tables(SearchText="customer_email")["TableList"]
    assert [(t["DatabaseName"], t["Name"]) for t in by_column] == [(unique_name, "orders_raw")]
    filtered = glue.search_tables(Filters=[{"Key": "DatabaseName", "Value": unique_name},
                                           {"Key": "classification", "Value": "json"}])["TableList"]
    assert [t["Name"] for t in filtered] == ["clicks"]


def test_crawler_settings_are_checked_and_can_be_updated(aws, unique_name):
    glue = aws.client("glue")
    targets = {"S3Targets": [{"Path": "s3://somewhere/data/"}]}
    base = {"Name": unique_name, "Role": ROLE, "DatabaseName": unique_name}
    assert error_code(glue.create_crawler, **base, Targets={}) == "InvalidInputException"
    assert error_code(glue.create_crawler, **base, Targets=targets, Schedule="every day") == "InvalidInputException"
    assert error_code(glue.create_crawler, **base, Targets=targets,
                      RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}) == "InvalidInputException"
    assert error_code(glue.create_crawler, **base, Targets=targets, Classifiers=["nope"]) == "InvalidInputException"
    glue.create_crawler(**base, Targets=targets, RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
                        SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"})
    glue.update_crawler(Name=unique_name, TablePrefix="raw_", Description="nightly")
    glue.update_crawler_schedule(CrawlerName=unique_name, Schedule="cron(0 2 * * ? *)")
    crawler = glue.get_crawler(Name=unique_name)["Crawler"]
    assert (crawler["TablePrefix"], crawler["Description"], crawler["Version"]) == ("raw_", "nightly", 2)
    assert crawler["Schedule"]["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert error_code(glue.update_crawler, Name=unique_name,
                      SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE"}) == "InvalidInputException"
    assert error_code(glue.update_crawler, Name="no-such-crawler", Description="x") == "EntityNotFoundException"
    page = glue.get_crawlers(MaxResults=1)
    assert len(page["Crawlers"]) == 1


def test_classifiers(aws, unique_name):
    glue = aws.client("glue")
    glue.create_classifier(CsvClassifier={"Name": unique_name, "Delimiter": ";", "ContainsHeader": "PRESENT"})
    assert error_code(glue.create_classifier, CsvClassifier={"Name": unique_name}) == "AlreadyExistsException"
    glue.update_classifier(CsvClassifier={"Name": unique_name, "QuoteSymbol": "'"})
    found = glue.get_classifier(Name=unique_name)["Classifier"]["CsvClassifier"]
    assert (found["Delimiter"], found["QuoteSymbol"], found["ContainsHeader"], found["Version"]) == (";", "'", "PRESENT", 2)
    assert unique_name in [c["CsvClassifier"]["Name"] for c in glue.get_classifiers()["Classifiers"] if "CsvClassifier" in c]
    glue.delete_classifier(Name=unique_name)
    assert error_code(glue.get_classifier, Name=unique_name) == "EntityNotFoundException"


def test_update_job_overwrites_the_definition(aws, unique_name):
    glue = aws.client("glue")
    command = {"Name": "glueetl", "ScriptLocation": "s3://somewhere/a.py", "PythonVersion": "3"}
    glue.create_job(Name=unique_name, Role=ROLE, Command=command, GlueVersion="4.0",
                    DefaultArguments={"--a": "1"}, WorkerType="G.1X", NumberOfWorkers=2)
    assert error_code(glue.start_job_run, JobName="no-such-job") == "EntityNotFoundException"
    assert error_code(glue.update_job, JobName=unique_name, JobUpdate={"Description": "x"}) == "InvalidInputException"
    glue.update_job(JobName=unique_name, JobUpdate={"Role": ROLE, "GlueVersion": "4.0", "Command": {
        **command, "ScriptLocation": "s3://somewhere/b.py"}, "DefaultArguments": {"--b": "2"}})
    job = glue.get_job(JobName=unique_name)["Job"]
    assert job["Command"]["ScriptLocation"] == "s3://somewhere/b.py"
    assert job["DefaultArguments"] == {"--b": "2"}
    assert "WorkerType" not in job  # omitted settings are reset, as AWS documents
    assert error_code(glue.update_job, JobName="no-such-job",
                      JobUpdate={"Role": ROLE, "Command": command}) == "EntityNotFoundException"
