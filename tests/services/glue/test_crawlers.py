"""Glue crawlers read S3 and infer tables, types and partitions (plain boto3)."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from sandbox import datasets, lake

ROLE = "arn:aws:iam::123456789012:role/glue-crawler"


def run_crawler(glue, name, timeout=60):
    glue.start_crawler(Name=name)
    seen = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        seen.add(crawler["State"])
        if crawler["State"] == "READY" and crawler.get("LastCrawl", {}).get("Status") != "RUNNING":
            return crawler, seen
        time.sleep(0.2)
    raise AssertionError(f"crawler {name} still {crawler['State']}")


def columns_of(table):
    return {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}


@pytest.fixture
def lake_bucket(aws, s3_bucket):
    datasets.load_into_lake(aws, s3_bucket, size="tiny", create_bucket=False)
    return s3_bucket


def test_crawl_lake_finds_each_table_with_types_and_partitions(aws, lake_bucket, unique_name):
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": unique_name})
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{lake_bucket}/raw/"}]})
    crawler, states = run_crawler(glue, unique_name)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    assert {"RUNNING", "READY"} <= states

    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=unique_name)["TableList"]}
    assert set(tables) == {"orders", "customers", "products", "clickstream"}

    orders = tables["orders"]
    assert [k["Name"] for k in orders["PartitionKeys"]] == ["year", "month", "day"]
    assert columns_of(orders) == {"order_id": "bigint", "customer_id": "bigint", "product_id": "bigint",
                                  "quantity": "bigint", "unit_price": "double", "amount": "double",
                                  "order_ts": "timestamp", "status": "string", "channel": "string"}
    assert orders["Parameters"]["classification"] == "parquet"
    assert orders["StorageDescriptor"]["Location"] == f"s3://{lake_bucket}/raw/orders/"
    assert "Parquet" in orders["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    partitions = glue.get_partitions(DatabaseName=unique_name, TableName="orders")["Partitions"]
    assert sorted(p["Values"][2] for p in partitions) == [f"{d:02d}" for d in range(1, 8)]
    assert partitions[0]["StorageDescriptor"]["Location"].startswith(f"s3://{lake_bucket}/raw/orders/year=2024/")

    customers = tables["customers"]
    assert customers["Parameters"]["classification"] == "csv"
    assert customers["Parameters"]["skip.header.line.count"] == "1"
    assert columns_of(customers)["monthly_spend"] == "double"
    assert columns_of(customers)["customer_id"] == "bigint"
    assert customers["PartitionKeys"] == []

    assert tables["products"]["Parameters"]["classification"] == "json"
    assert [k["Name"] for k in tables["clickstream"]["PartitionKeys"]] == ["dt"]

    metrics = glue.get_crawler_metrics(CrawlerNameList=[unique_name])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 4 and metrics["TablesUpdated"] == 0
    events = aws.client("logs").get_log_events(logGroupName="/aws-glue/crawlers", logStreamName=unique_name)
    assert any("Created table orders" in e["message"] for e in events["events"])


@pytest.mark.slow
def test_recrawl_adds_partitions_and_schema_change_makes_a_new_version(aws, s3_bucket, unique_name):
    glue = aws.client("glue")
    frame = pd.DataFrame({"id": [1, 2], "value": [1.5, 2.5], "day": ["01", "02"]})
    uri = f"s3://{s3_bucket}/events/"
    lake.write_partitioned(aws, frame, uri, ["day"])
    glue.create_database(DatabaseInput={"Name": unique_name})
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": uri}]},
                        SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"})
    run_crawler(glue, unique_name)
    assert len(glue.get_partitions(DatabaseName=unique_name, TableName="events")["Partitions"]) == 2

    lake.write_partitioned(aws, pd.DataFrame({"id": [3], "value": [3.5], "day": ["03"]}), uri, ["day"])
    run_crawler(glue, unique_name)
    values = sorted(p["Values"][0] for p in glue.get_partitions(DatabaseName=unique_name, TableName="events")[
        "Partitions"])
    assert values == ["01", "02", "03"]
    assert len(glue.get_table_versions(DatabaseName=unique_name, TableName="events")["TableVersions"]) == 1

    wider = pd.DataFrame({"id": [4], "value": [4.5], "comment": ["new column"], "day": ["04"]})
    for day in ("01", "02", "03"):
        aws.client("s3").delete_object(Bucket=s3_bucket, Key=f"events/day={day}/part-0.parquet")
    lake.write_partitioned(aws, wider, uri, ["day"])
    crawler, _ = run_crawler(glue, unique_name)
    table = glue.get_table(DatabaseName=unique_name, Name="events")["Table"]
    assert "comment" in columns_of(table)
    versions = glue.get_table_versions(DatabaseName=unique_name, TableName="events")["TableVersions"]
    assert len(versions) == 2
    old = [v for v in versions if v["VersionId"] == "1"][0]["Table"]
    assert "comment" not in columns_of(old)
    metrics = glue.get_crawler_metrics(CrawlerNameList=[unique_name])["CrawlerMetricsList"][0]
    assert metrics["TablesUpdated"] == 1


def test_log_policy_keeps_the_schema(aws, s3_bucket, unique_name):
    glue, s3 = aws.client("glue"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="t/a.csv", Body=b"id,name\n1,x\n")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/t/"}]},
                        SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"})
    run_crawler(glue, unique_name)  # the database is created by the crawl
    s3.put_object(Bucket=s3_bucket, Key="t/a.csv", Body=b"id,name,extra\n1,x,y\n")
    run_crawler(glue, unique_name)
    assert set(columns_of(glue.get_table(DatabaseName=unique_name, Name="t")["Table"])) == {"id", "name"}


def test_incompatible_folders_become_separate_tables_and_gzip_json_is_read(aws, s3_bucket, unique_name):
    glue, s3 = aws.client("glue"), aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="mixed/users/u.json.gz",
                  Body=gzip.compress(b'{"user": "a", "age": 3}\n{"user": "b", "age": 4}\n'))
    s3.put_object(Bucket=s3_bucket, Key="mixed/metrics/m.csv", Body=b"ts|cpu|mem\n1|0.5|100\n")
    s3.put_object(Bucket=s3_bucket, Key="mixed/2024/01/a.csv", Body=b"k,v\n1,2\n")
    s3.put_object(Bucket=s3_bucket, Key="mixed/2024/02/a.csv", Body=b"k,v\n3,4\n")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name, TablePrefix="raw_",
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/mixed/"}]})
    run_crawler(glue, unique_name)
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=unique_name)["TableList"]}
    assert set(tables) == {"raw_users", "raw_metrics", "raw_2024"}
    assert columns_of(tables["raw_users"]) == {"user": "string", "age": "bigint"}
    assert tables["raw_users"]["Parameters"]["compressionType"] == "gzip"
    assert tables["raw_metrics"]["Parameters"]["delimiter"] == "|"
    assert [k["Name"] for k in tables["raw_2024"]["PartitionKeys"]] == ["partition_0"]


def test_crawler_on_missing_bucket_fails_with_a_clear_message(aws, unique_name):
    glue = aws.client("glue")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": "s3://no-such-bucket-for-crawler/data/"}]})
    crawler, _ = run_crawler(glue, unique_name)
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "no-such-bucket-for-crawler does not exist" in crawler["LastCrawl"]["ErrorMessage"]


def test_second_start_while_running_is_refused(aws, lake_bucket, unique_name):
    glue = aws.client("glue")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{lake_bucket}/raw/"}]})
    glue.start_crawler(Name=unique_name)
    with pytest.raises(ClientError) as exc:
        glue.start_crawler(Name=unique_name)
    assert exc.value.response["Error"]["Code"] == "CrawlerRunningException"
    deadline = time.monotonic() + 60
    while glue.get_crawler(Name=unique_name)["Crawler"]["State"] != "READY" and time.monotonic() < deadline:
        time.sleep(0.2)


def test_missing_database_and_table_are_entity_not_found(aws):
    glue = aws.client("glue")
    with pytest.raises(ClientError) as exc:
        glue.get_table(DatabaseName="no_such_db", Name="t")
    assert exc.value.response["Error"]["Code"] == "EntityNotFoundException"
    glue.create_database(DatabaseInput={"Name": "entity_db"})
    with pytest.raises(ClientError) as exc:
        glue.get_table(DatabaseName="entity_db", Name="no_such_table")
    assert exc.value.response["Error"]["Code"] == "EntityNotFoundException"


@pytest.mark.slow
def test_scheduled_crawler_runs_on_its_schedule(aws, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="sched/a.csv", Body=b"id\n1\n")
    glue = aws.client("glue")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name, Schedule="cron(* * * * ? *)",
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/sched/"}]})
    assert glue.get_crawler(Name=unique_name)["Crawler"]["Schedule"]["ScheduleExpression"] == "cron(* * * * ? *)"
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if glue.get_crawler(Name=unique_name)["Crawler"].get("LastCrawl", {}).get("Status") == "SUCCEEDED":
            break
        time.sleep(0.5)
    assert glue.get_table(DatabaseName=unique_name, Name="sched")["Table"]["Name"] == "sched"


def test_cron_expressions():
    from emulators.glue.schedule import cron_matches

    monday_noon = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)  # a Monday
    assert cron_matches("cron(0 12 * * ? *)", monday_noon)
    assert cron_matches("cron(0/15 * ? * MON-FRI *)", monday_noon)
    assert not cron_matches("cron(0 12 ? * SUN *)", monday_noon)
    assert cron_matches("cron(0 12 1 JAN ? 2024)", monday_noon)
    with pytest.raises(ValueError):
        cron_matches("rate(5 minutes)", monday_noon)


def test_many_files_in_one_folder_do_not_hide_a_different_sibling(aws, s3_bucket, unique_name):
    glue, s3 = aws.client("glue"), aws.client("s3")
    for day in range(1, 16):
        s3.put_object(Bucket=s3_bucket, Key=f"zone/aaa_events/dt=2024-01-{day:02d}/e.json", Body=b'{"e": 1}\n')
    s3.put_object(Bucket=s3_bucket, Key="zone/zzz_users/u.csv", Body=b"id,name\n1,x\n")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/zone/"}]})
    run_crawler(glue, unique_name)
    names = {t["Name"] for t in glue.get_tables(DatabaseName=unique_name)["TableList"]}
    assert names == {"aaa_events", "zzz_users"}


def crawl_prefix(aws, bucket, name, prefix, **extra):
    glue = aws.client("glue")
    glue.create_crawler(Name=name, Role=ROLE, DatabaseName=name,
                        Targets={"S3Targets": [{"Path": f"s3://{bucket}/{prefix}", **extra.pop("target", {})}]},
                        **extra)
    crawler, _ = run_crawler(glue, name)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    return {t["Name"]: t for t in glue.get_tables(DatabaseName=name)["TableList"]}


def test_csv_header_detection_follows_the_built_in_classifier(aws, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="csv/noheader/a.csv", Body=b"1,alice,3.5\n2,bob,4.0\n")
    s3.put_object(Bucket=s3_bucket, Key="csv/strings/a.csv", Body=b"name,city\nalice,paris\nbob,rome\n")
    s3.put_object(Bucket=s3_bucket, Key="csv/header/a.csv", Body=b"id,name\n1,alice\n2,bob\n")
    tables = crawl_prefix(aws, s3_bucket, unique_name, "csv/", TablePrefix="raw_")
    assert columns_of(tables["raw_noheader"]) == {"col0": "bigint", "col1": "string", "col2": "double"}
    assert "skip.header.line.count" not in tables["raw_noheader"]["Parameters"]
    # every column a string: the first row is not "sufficiently different", so it is data
    assert columns_of(tables["raw_strings"]) == {"col0": "string", "col1": "string"}
    assert columns_of(tables["raw_header"]) == {"id": "bigint", "name": "string"}
    assert tables["raw_header"]["Parameters"]["skip.header.line.count"] == "1"


def test_custom_csv_classifier_says_the_header_is_present(aws, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="strings/a.csv", Body=b"name;city\nalice;paris\nbob;rome\n")
    aws.client("glue").create_classifier(CsvClassifier={"Name": unique_name, "Delimiter": ";",
                                                        "ContainsHeader": "PRESENT"})
    tables = crawl_prefix(aws, s3_bucket, unique_name, "strings/", Classifiers=[unique_name])
    assert columns_of(tables["strings"]) == {"name": "string", "city": "string"}
    assert tables["strings"]["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == ";"


def test_exclusions_are_glue_globs_and_nested_json_types(aws, s3_bucket, unique_name):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data/a.json", Body=(
        b'{"id": 1, "user": {"name": "a", "address": {"city": "x"}}, "tags": ["t"], "items": [{"sku": "s", "qty": 2}]}\n'))
    s3.put_object(Bucket=s3_bucket, Key="data/notes.txt", Body=b"a note\n")
    s3.put_object(Bucket=s3_bucket, Key="data/tmp/b.json", Body=b'{"other": "shape", "n": 1}\n')
    s3.put_object(Bucket=s3_bucket, Key="data/extra.json", Body=b'{"x": 1}\n')
    tables = crawl_prefix(aws, s3_bucket, unique_name, "data/",
                          target={"Exclusions": ["**.txt", "tmp/**", "extra*"]})
    assert list(tables) == ["data"]
    assert tables["data"]["PartitionKeys"] == []
    assert columns_of(tables["data"]) == {
        "id": "bigint", "user": "struct<name:string,address:struct<city:string>>", "tags": "array<string>",
        "items": "array<struct<sku:string,qty:bigint>>"}


def test_exclude_globs():
    from emulators.glue.crawler import glob_regex

    def excluded(pattern, key):
        return bool(glob_regex(pattern).fullmatch(key))

    assert excluded("*.json", "a.json") and not excluded("*.json", "events/a.json")  # * stays in its folder
    assert excluded("**.json", "events/a.json") and excluded("**/tmp/**", "x/tmp/b.csv")
    assert excluded("{2023,2024}/*.csv", "2024/a.csv") and not excluded("{2023,2024}/*.csv", "2025/a.csv")
    assert excluded("[!_]*", "data.csv") and not excluded("[!_]*", "_SUCCESS") and excluded("?.csv", "a.csv")


def test_crawler_in_a_mixed_case_database_recrawls(aws, s3_bucket, unique_name):
    s3 = aws.client("s3")
    glue = aws.client("glue")
    s3.put_object(Bucket=s3_bucket, Key="t/a.csv", Body=b"id,name\n1,a\n")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name.upper(),
                        Targets={"S3Targets": [{"Path": f"s3://{s3_bucket}/t/"}]})
    for _ in range(2):
        crawler, _ = run_crawler(glue, unique_name)
        assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    assert [t["Name"] for t in glue.get_tables(DatabaseName=unique_name)["TableList"]] == ["t"]


def test_running_crawler_cannot_be_updated_or_deleted(aws, lake_bucket, unique_name):
    glue = aws.client("glue")
    glue.create_crawler(Name=unique_name, Role=ROLE, DatabaseName=unique_name,
                        Targets={"S3Targets": [{"Path": f"s3://{lake_bucket}/raw/"}]})
    glue.start_crawler(Name=unique_name)
    for call, kwargs in ((glue.update_crawler, {"Name": unique_name, "Description": "x"}),
                         (glue.delete_crawler, {"Name": unique_name})):
        with pytest.raises(ClientError) as exc:
            call(**kwargs)
        assert exc.value.response["Error"]["Code"] == "CrawlerRunningException"
    deadline = time.monotonic() + 60
    while glue.get_crawler(Name=unique_name)["Crawler"]["State"] != "READY" and time.monotonic() < deadline:
        time.sleep(0.2)
    glue.delete_crawler(Name=unique_name)
