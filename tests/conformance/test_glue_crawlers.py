"""Glue crawlers as AWS's tutorials and developer guide use them, through plain boto3.

Each test names the page or sample it follows; the data is generated here in the same shape (nothing
copied from AWS's data sets).
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.glue_samples import ROLE, columns, crawl, jsonl, legislators, medicare_csv, run_crawler

# tests/conformance/test_glue_dynamicframe.py imports these from here
__all__ = ["ROLE", "crawl", "legislators", "medicare_csv", "run_crawler"]


def test_getting_started_crawl_of_the_legislators_folder(aws, s3_bucket, unique_name):
    """aws-samples/aws-glue-samples examples/join_and_relationalize.md, step 1 "Crawl our sample dataset":
    one folder of JSON files with different schemas gives one table per file, named after the file
    (persons_json, memberships_json, organizations_json), with nested types."""
    s3 = aws.client("s3")
    for name, body in legislators().items():
        s3.put_object(Bucket=s3_bucket, Key=f"us-legislators/all/{name}", Body=body)
    crawler, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/us-legislators/all/"])
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    assert set(tables) == {"persons_json", "memberships_json", "organizations_json"}
    persons = columns(tables["persons_json"])
    assert persons["identifiers"] == "array<struct<scheme:string,identifier:string>>"
    assert persons["contact_details"] == "array<struct<type:string,value:string>>"
    assert persons["family_name"] == "string"
    assert columns(tables["organizations_json"])["seats"] == "bigint"
    assert tables["persons_json"]["Parameters"]["classification"] == "json"
    assert tables["persons_json"]["StorageDescriptor"]["Location"] == f"s3://{s3_bucket}/us-legislators/all/persons.json"
    metrics = aws.client("glue").get_crawler_metrics(CrawlerNameList=[unique_name])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 3


def test_medicare_csv_keeps_aws_column_names_and_csv_parameters(aws, s3_bucket, unique_name):
    """aws-samples/aws-glue-samples examples/data_cleaning_and_lambda.md, step 1 and the DynamicFrame
    schema in step 4: the crawler keeps header names lower-cased and trimmed with their spaces
    (``drg definition``, ``provider id``, ``total discharges``), marks the table csv with
    skip.header.line.count 1, and types provider id from the start of the file (bigint)."""
    aws.client("s3").put_object(Bucket=s3_bucket, Key="examples/medicare/Medicare_Hospital_Provider.csv",
                                Body=medicare_csv())
    crawler, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/examples/medicare/"])
    assert list(tables) == ["medicare"]
    table = tables["medicare"]
    assert list(columns(table)) == [
        "drg definition", "provider id", "provider name", "provider street address", "provider city",
        "provider state", "provider zip code", "hospital referral region description", "total discharges",
        "average covered charges", "average total payments", "average medicare payments"]
    assert columns(table)["provider id"] == "bigint" and columns(table)["total discharges"] == "bigint"
    assert columns(table)["average covered charges"] == "string"
    assert table["Parameters"]["classification"] == "csv"
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert table["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == ","


def test_grouping_policy_example_default_and_combine_compatible_schemas(aws, s3_bucket, unique_name):
    """Glue developer guide, "Creating a single schema for each Amazon S3 include path"
    (crawler-grouping-policy): year=2017 {A, B} and year=2018 {C, D} give two tables, year_2017 and
    year_2018, by default; with Configuration TableGroupingPolicy CombineCompatibleSchemas one table with
    columns A, B, C, D and partition key year."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="table1/year=2017/data1.json", Body=jsonl([{"A": 1, "B": 2}]))
    s3.put_object(Bucket=s3_bucket, Key="table1/year=2018/data2.json", Body=jsonl([{"C": 3, "D": 4}]))
    _, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/table1/"])
    assert set(tables) == {"year_2017", "year_2018"}
    config = json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}})
    _, combined = crawl(aws, unique_name + "c", [f"s3://{s3_bucket}/table1/"], Configuration=config)
    assert list(combined) == ["table1"]
    assert list(columns(combined["table1"])) == ["A", "B", "C", "D"]
    assert [k["Name"] for k in combined["table1"]["PartitionKeys"]] == ["year"]
    partitions = aws.client("glue").get_partitions(DatabaseName=unique_name + "c", TableName="table1")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2017", "2018"]


def test_table_level_and_table_threshold(aws, s3_bucket, unique_name):
    """Glue developer guide, "Specifying the table location and partitioning level" (Grouping
    TableLevelConfiguration: tables at that absolute level, the top-level folder being 1) and "Specifying
    the maximum number of tables the crawler is allowed to create" (CrawlerOutput Tables TableThreshold:
    more tables than that and the crawl fails, writing nothing)."""
    s3 = aws.client("s3")
    for month in ("Jan", "Mar"):
        for day in (1, 2):
            s3.put_object(Bucket=s3_bucket, Key=f"sales/year=2019/month={month}/day={day}/part.json",
                          Body=jsonl([{"sku": f"s{day}", "amount": day * 1.5}]))
    level = json.dumps({"Version": 1.0, "Grouping": {"TableLevelConfiguration": 3}})
    _, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/sales/"], Configuration=level)
    assert set(tables) == {"month_jan", "month_mar"}
    assert [k["Name"] for k in tables["month_jan"]["PartitionKeys"]] == ["day"]
    assert tables["month_jan"]["StorageDescriptor"]["Location"] == f"s3://{s3_bucket}/sales/year=2019/month=Jan/"

    threshold = json.dumps({"Version": 1.0, "Grouping": {"TableLevelConfiguration": 3},
                            "CrawlerOutput": {"Tables": {"TableThreshold": 1}}})
    crawler, tables = crawl(aws, unique_name + "t", [f"s3://{s3_bucket}/sales/"], Configuration=threshold)
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "table threshold" in crawler["LastCrawl"]["ErrorMessage"]
    assert aws.client("glue").get_tables(DatabaseName=unique_name + "t")["TableList"] == []


def test_include_and_exclude_patterns(aws, s3_bucket, unique_name):
    """Glue developer guide, "Include and exclude patterns" (define-crawler-choose-data-sources):
    exclusions are globs relative to the include path; ``*`` stays in a folder, ``**`` crosses folders,
    ``{a,b}`` chooses; an excluded object is never read."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="myfolder/year=2015/month=10/day=01/a.csv", Body=b"id,qty\n1,2\n")
    s3.put_object(Bucket=s3_bucket, Key="myfolder/year=2015/month=10/day=02/a.csv", Body=b"id,qty\n3,4\n")
    s3.put_object(Bucket=s3_bucket, Key="myfolder/year=2015/month=11/day=01/a.csv", Body=b"id,qty\n5,6\n")
    s3.put_object(Bucket=s3_bucket, Key="myfolder/year=2015/month=10/day=01/notes.txt", Body=b"a note\n")
    s3.put_object(Bucket=s3_bucket, Key="myfolder/year=2015/month=10/day=02/b.json", Body=b'{"x": 1}\n')
    crawler, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/myfolder/"],
                            target={"Exclusions": ["year=2015/month=11/**", "**.txt", "**/*.json"]})
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    assert list(tables) == ["myfolder"]
    partitions = aws.client("glue").get_partitions(DatabaseName=unique_name, TableName="myfolder")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["2015", "10", "01"], ["2015", "10", "02"]]


def test_data_the_crawler_cannot_classify_is_logged_not_silent(aws, s3_bucket, unique_name):
    """Glue developer guide, "Viewing crawler results" / CloudWatch crawler logs: when the crawl finds
    objects but creates no table, the log says so and why (here, binary objects no built-in classifier
    recognises)."""
    aws.client("s3").put_object(Bucket=s3_bucket, Key="blobs/a.bin", Body=bytes(range(256)) * 4)
    crawler, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/blobs/"])
    assert tables == {}
    events = aws.client("logs").get_log_events(logGroupName="/aws-glue/crawlers", logStreamName=unique_name)
    messages = "\n".join(e["message"] for e in events["events"])
    assert "no table was created" in messages and "blobs/a.bin" in messages


@pytest.mark.parametrize("configuration", ['{"Version": 1.0, "Grouping": {"TableGroupingPolicy": "Nope"}}',
                                           "not json"])
def test_invalid_configuration_fails_the_crawl_with_a_message(aws, s3_bucket, unique_name, configuration):
    """Glue API reference, CreateCrawler Configuration: a configuration the crawler cannot read is reported
    (here as the crawl's ErrorMessage), never ignored."""
    aws.client("s3").put_object(Bucket=s3_bucket, Key="t/a.json", Body=b'{"a": 1}\n')
    crawler, _ = crawl(aws, unique_name, [f"s3://{s3_bucket}/t/"], Configuration=configuration)
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "Crawler configuration not valid" in crawler["LastCrawl"]["ErrorMessage"]
