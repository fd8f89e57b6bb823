"""The crawler engine on plain values (object keys and bytes in, Glue table documents out), no server.

Each case follows a rule of the Glue developer guide's crawler pages: "How does a crawler determine
when to create partitions?", "Setting crawler configuration options" (TableGroupingPolicy,
TableLevelConfiguration, TableThreshold) and "Include and exclude patterns".
"""

from __future__ import annotations

import json

import pytest

from emulators.glue.crawler import (CrawlError, CrawlerConfiguration, check_table_threshold, infer_tables,
                                    resolve_name_clashes)


def crawl(files: dict[str, bytes], prefix: str = "", **options):
    objects = [(key, len(body)) for key, body in files.items()]
    tables, warnings = infer_tables("bkt", prefix, objects, files.__getitem__, **options)
    return {t.name: t for t in tables}, warnings


def jsonl(*records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def test_files_with_different_schemas_in_one_folder_are_one_table_each_named_after_the_file():
    tables, _ = crawl({
        "legislators/persons.json": jsonl({"id": "p1", "name": "A", "identifiers": [{"scheme": "s", "identifier": "i"}]}),
        "legislators/memberships.json": jsonl({"person_id": "p1", "organization_id": "o1", "role": "member"}),
        "legislators/organizations.json": jsonl({"id": "o1", "classification": "party", "seats": 3}),
    }, "legislators/")
    assert set(tables) == {"persons_json", "memberships_json", "organizations_json"}
    persons = tables["persons_json"]
    assert persons.location == "s3://bkt/legislators/persons.json"
    assert dict(persons.columns)["identifiers"] == "array<struct<scheme:string,identifier:string>>"
    assert persons.classification == "json" and persons.partition_keys == []


def test_similar_files_in_one_folder_are_one_table_named_after_the_folder():
    tables, _ = crawl({"sales/a.json": jsonl({"id": 1, "amount": 2.5}),
                       "sales/b.json": jsonl({"id": 2, "amount": 3.5})}, "sales/")
    assert list(tables) == ["sales"]
    assert tables["sales"].location == "s3://bkt/sales/"


def test_dissimilar_partition_folders_become_tables_unless_compatible_schemas_are_combined():
    files = {"table1/year=2017/data1.json": jsonl({"A": 1, "B": 2}),
             "table1/year=2018/data2.json": jsonl({"C": 3, "D": 4})}
    tables, _ = crawl(files, "table1/")
    assert set(tables) == {"year_2017", "year_2018"}
    combined, _ = crawl(files, "table1/", configuration=CrawlerConfiguration.parse(
        json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}})))
    assert list(combined) == ["table1"]
    assert combined["table1"].columns == [("A", "bigint"), ("B", "bigint"), ("C", "bigint"), ("D", "bigint")]
    assert combined["table1"].partition_keys == ["year"]


def test_combining_never_mixes_formats():
    tables, _ = crawl({"t/year=2017/a.json": jsonl({"A": 1}), "t/year=2018/b.csv": b"id,name\n1,x\n"}, "t/",
                      configuration=CrawlerConfiguration(combine_compatible_schemas=True))
    assert set(tables) == {"year_2017", "year_2018"}


def test_the_majority_of_a_levels_schemas_decides():
    """Four of five day folders share a schema (80% > 70%): one table, with the odd columns merged in."""
    files = {f"ev/day={d}/a.json": jsonl({"id": d, "kind": "x", "value": 1.5}) for d in range(1, 5)}
    files["ev/day=5/a.json"] = jsonl({"other": 1, "fields": 2, "entirely": 3})
    tables, _ = crawl(files, "ev/")
    assert list(tables) == ["ev"]
    assert len(tables["ev"].partitions) == 5


def test_table_level_puts_tables_at_an_absolute_depth():
    files = {"data/year=2019/month=Jan/a.json": jsonl({"x": 1}),
             "data/year=2019/month=Mar/a.json": jsonl({"y": "s", "z": 2})}
    tables, _ = crawl(files, "data/", configuration=CrawlerConfiguration.parse(
        json.dumps({"Version": 1.0, "Grouping": {"TableLevelConfiguration": 3}})))
    assert set(tables) == {"month_jan", "month_mar"}
    assert tables["month_jan"].location == "s3://bkt/data/year=2019/month=Jan/"
    level2, _ = crawl(files, "data/", configuration=CrawlerConfiguration(table_level=2))
    assert list(level2) == ["year_2019"] and level2["year_2019"].partition_keys == ["month"]


def test_table_threshold_fails_the_crawl():
    tables, _ = crawl({"l/a.json": jsonl({"a": 1}), "l/b.json": jsonl({"b": "x", "c": 1})}, "l/")
    config = CrawlerConfiguration.parse('{"Version": 1.0, "CrawlerOutput": {"Tables": {"TableThreshold": 1}}}')
    with pytest.raises(CrawlError, match="greater than the table threshold"):
        check_table_threshold(list(tables.values()), config)
    check_table_threshold(list(tables.values()), CrawlerConfiguration(table_threshold=2))


@pytest.mark.parametrize("text", ["{not json", '{"Grouping": {"TableGroupingPolicy": "Other"}}',
                                  '{"Grouping": {"TableLevelConfiguration": 0}}',
                                  '{"CrawlerOutput": {"Tables": {"TableThreshold": -1}}}'])
def test_bad_configuration_is_refused(text):
    with pytest.raises(CrawlError, match="Crawler configuration not valid"):
        CrawlerConfiguration.parse(text)


def test_name_clashes_get_a_hash_suffix():
    """Two include paths ending in the same folder name: the second table's name gets a hash string."""
    files = {"x/data/a.json": jsonl({"a": 1}), "y/data/b.csv": b"id,name\n1,x\n"}
    found = []
    for prefix in ("x/data/", "y/data/"):
        objects = [(k, len(v)) for k, v in files.items() if k.startswith(prefix)]
        found += infer_tables("bkt", prefix, objects, files.__getitem__)[0]
    resolve_name_clashes(found)
    assert found[0].name == "data"
    assert found[1].name.startswith("data_") and len(found[1].name) == len("data_") + 32


def test_csv_headers_keep_their_spaces_lower_cased_and_trimmed():
    header = b'"DRG Definition","Provider Id"," Total Discharges ",Average Covered Charges\n'
    rows = b"".join(f'"039 - X",{10000 + i},{i},$1{i}.50\n'.encode() for i in range(20))
    tables, _ = crawl({"medicare/m.csv": header + rows}, "medicare/")
    medicare = tables["medicare"]
    assert medicare.columns == [("drg definition", "string"), ("provider id", "bigint"),
                                ("total discharges", "bigint"), ("average covered charges", "string")]
    params = medicare.table_input("c")["Parameters"]
    assert params["classification"] == "csv" and params["skip.header.line.count"] == "1"


def test_csv_types_come_from_the_first_thousand_records():
    """The built-in CSV classifier reads 1000 records: a string at the tail does not change the type."""
    body = b"id,name\n" + b"".join(f"{i},n{i}\n".encode() for i in range(1500)) + b"ABC,late\n"
    tables, _ = crawl({"t/a.csv": body}, "t/")
    assert dict(tables["t"].columns)["id"] == "bigint"


def test_exclusions_and_unclassifiable_data_are_reported():
    tables, warnings = crawl({"d/a.json": jsonl({"a": 1}), "d/tmp/b.json": jsonl({"z": 1})}, "d/",
                             exclusions=["tmp/**"])
    assert list(tables) == ["d"]
    tables, warnings = crawl({"e/blob.bin": b"\x00\x01"}, "e/")
    assert tables == {}
    assert any("no table was created" in w for w in warnings)
