"""Glue crawler material shaped like AWS's samples (generated here, nothing copied): the us-legislators
JSON files and the medicare CSV, and a crawl through the Glue API that waits for the crawler to finish."""

from __future__ import annotations

import json
import random
import time

ROLE = "arn:aws:iam::123456789012:role/AWSGlueServiceRole-tutorial"


def run_crawler(glue, name: str, timeout: float = 90) -> dict:
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        if crawler["State"] == "READY" and crawler.get("LastCrawl", {}).get("Status") not in (None, "RUNNING"):
            return crawler
        time.sleep(0.3)
    raise AssertionError(f"crawler {name} did not finish in {timeout} s")


def crawl(aws, name: str, paths: list[str], **extra) -> tuple[dict, dict]:
    glue = aws.client("glue")
    targets = [{"Path": p, **extra.pop("target", {})} for p in paths]
    glue.create_database(DatabaseInput={"Name": name})
    glue.create_crawler(Name=name, Role=ROLE, DatabaseName=name, Targets={"S3Targets": targets}, **extra)
    crawler = run_crawler(glue, name)
    tables = {}
    if crawler["LastCrawl"]["Status"] == "SUCCEEDED":
        tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=name)["TableList"]}
    return crawler, tables


def columns(table: dict) -> dict[str, str]:
    return {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}


def jsonl(records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def legislators(count: int = 30) -> dict[str, bytes]:
    """Three JSON-lines files shaped like the us-legislators data set (persons, memberships, organizations)."""
    rng = random.Random(7)
    persons = [{"id": f"person-{i}", "name": f"Given{i} Family{i}", "family_name": f"Family{i}",
                "given_name": f"Given{i}", "gender": rng.choice(["male", "female"]), "birth_date": f"19{50 + i % 40}-01-0{1 + i % 9}",
                "identifiers": [{"scheme": "bioguide", "identifier": f"B{i:05d}"},
                                {"scheme": "wikidata", "identifier": f"Q{1000 + i}"}],
                "contact_details": [{"type": "phone", "value": f"202-555-{i:04d}"}],
                "links": [{"note": "website", "url": f"https://example.org/{i}"}],
                "images": [{"url": f"https://example.org/{i}.jpg"}]} for i in range(count)]
    organizations = [{"id": "party/one", "name": "Party One", "classification": "party"},
                     {"id": "chamber/upper", "name": "Senate", "classification": "legislature", "seats": 100,
                      "identifiers": [{"scheme": "wikidata", "identifier": "Q66096"}]},
                     {"id": "chamber/lower", "name": "House", "classification": "legislature", "seats": 435}]
    memberships = [{"person_id": f"person-{i % count}", "organization_id": rng.choice(["chamber/upper", "chamber/lower"]),
                    "on_behalf_of_id": "party/one", "role": "member", "legislative_period_id": "term/114",
                    "start_date": "2015-01-03", "area_id": f"area-{i % 50}"} for i in range(count * 2)]
    return {"persons.json": jsonl(persons), "memberships.json": jsonl(memberships),
            "organizations.json": jsonl(organizations)}


def medicare_csv(rows: int = 1200, bad_tail: int = 2) -> bytes:
    """A file shaped like the medicare sample: quoted headers with capitals and spaces (some padded),
    numeric provider ids, and a few text provider ids at the end of the file."""
    rng = random.Random(11)
    lines = ['DRG Definition,Provider Id,Provider Name,Provider Street Address,Provider City,Provider State,'
             'Provider Zip Code,Hospital Referral Region Description, Total Discharges , Average Covered Charges ,'
             ' Average Total Payments ,Average Medicare Payments']
    for i in range(rows + bad_tail):
        provider = str(10001 + i) if i < rows else ["INC", "INC- ST JOSEPH"][i % 2]
        lines.append(f'"{39 + i % 5:03d} - PROCEDURE {i % 5}",{provider},HOSPITAL {i},{100 + i} MAIN ST,CITY{i % 30},'
                     f'AL,{35000 + i % 900},AL - City{i % 30},{rng.randint(11, 90)},${rng.uniform(5e3, 9e4):.2f},'
                     f'${rng.uniform(4e3, 9e3):.2f},${rng.uniform(3e3, 8e3):.2f}')
    return ("\n".join(lines) + "\n").encode()
