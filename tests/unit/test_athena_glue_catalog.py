"""The Glue catalog adapter the query engines read (Athena, Spectrum): partitions follow every change."""

from __future__ import annotations

import uuid

from emulators.glue.catalog import GlueCatalog


def table_input(name: str) -> dict:
    return {"Name": name, "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}],
                                                "Location": f"s3://lake/{name}/"},
            "PartitionKeys": [{"Name": "day", "Type": "string"}]}


def partition(day: str, where: str | None = None) -> dict:
    return {"Values": [day], "StorageDescriptor": {"Location": where or f"s3://lake/t/day={day}/"}}


def test_partitions_follow_adds_updates_and_deletes():
    catalog = GlueCatalog(str(uuid.uuid4().int)[:12], "eu-west-3")  # an account of its own
    catalog.create_database("db", None, None)
    catalog.create_table("db", table_input("t"))
    catalog.add_partitions("db", "t", [partition("01"), partition("02")])
    first = catalog.get_partitions("db", "t")
    assert [p["Values"] for p in first] == [["01"], ["02"]]
    assert catalog.get_partitions("db", "t") is first  # unchanged: converted once
    catalog.add_partitions("db", "t", [partition("03")])
    assert [p["Values"] for p in catalog.get_partitions("db", "t")] == [["01"], ["02"], ["03"]]
    catalog.glue.get_table("db", "t").update_partition(["02"], partition("02", "s3://elsewhere/02/"))
    moved = {p["Values"][0]: p["StorageDescriptor"]["Location"] for p in catalog.get_partitions("db", "t")}
    assert moved["02"] == "s3://elsewhere/02/"
    catalog.delete_partition("db", "t", ["01"])
    assert sorted(p["Values"][0] for p in catalog.get_partitions("db", "t")) == ["02", "03"]
    # a table dropped and created again under the same name starts with no partitions
    catalog.delete_table("db", "t")
    catalog.create_table("db", table_input("t"))
    assert catalog.get_partitions("db", "t") == []
