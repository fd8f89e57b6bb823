"""Demo step: a Glue crawler reads the raw lake and builds the Data Catalog."""

from __future__ import annotations

import time
from typing import Any

DATABASE = "sandbox_demo"
CRAWLER = "sandbox-demo-raw"


def run(ctx: Any) -> None:
    glue = ctx.aws.client("glue")
    try:
        glue.get_crawler(Name=CRAWLER)
    except glue.exceptions.EntityNotFoundException:
        glue.create_crawler(Name=CRAWLER, Role="arn:aws:iam::123456789012:role/sandbox-glue", DatabaseName=DATABASE,
                            Targets={"S3Targets": [{"Path": f"s3://{ctx.bucket}/raw/"}]},
                            SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE",
                                                "DeleteBehavior": "DEPRECATE_IN_DATABASE"})
    glue.start_crawler(Name=CRAWLER)
    deadline = time.monotonic() + 120
    while True:
        crawler = glue.get_crawler(Name=CRAWLER)["Crawler"]
        if crawler["State"] == "READY" and crawler.get("LastCrawl", {}).get("Status") not in (None, "RUNNING"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the crawler did not finish in 120 s")
        time.sleep(0.3)
    if crawler["LastCrawl"]["Status"] != "SUCCEEDED":
        raise RuntimeError(f"crawl {crawler['LastCrawl']['Status']}: {crawler['LastCrawl'].get('ErrorMessage')}")
    metrics = glue.get_crawler_metrics(CrawlerNameList=[CRAWLER])["CrawlerMetricsList"][0]
    ctx.say(f"crawler {CRAWLER} over s3://{ctx.bucket}/raw/: {metrics['TablesCreated']} tables created, "
            f"{metrics['TablesUpdated']} updated ({metrics['LastRuntimeSeconds']:.1f} s)")
    for table in glue.get_tables(DatabaseName=DATABASE)["TableList"]:
        columns = ", ".join(f"{c['Name']}:{c['Type']}" for c in table["StorageDescriptor"]["Columns"][:4])
        keys = [k["Name"] for k in table["PartitionKeys"]]
        partitions = len(glue.get_partitions(DatabaseName=DATABASE, TableName=table["Name"])["Partitions"])
        ctx.say(f"  {DATABASE}.{table['Name']:<12} {table['Parameters']['classification']:<8} "
                f"partitions {keys or '-'} x{partitions}  [{columns}, ...]")
    ctx.results["catalog"] = {"database": DATABASE}
