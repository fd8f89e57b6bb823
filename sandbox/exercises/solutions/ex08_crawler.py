"""Exercise 8: a crawler catalogs the partitioned clickstream."""

from sandbox import datasets
from sandbox.exercises._helpers import ROLE_GLUE, ensure_bucket, lookup, wait_until

BUCKET, CRAWLER = "ex08-clickstream", "ex08-clickstream-crawler"


def solve(aws):
    s3, glue = aws.client("s3"), aws.client("glue")
    ensure_bucket(s3, BUCKET)
    events = datasets.generate("tiny")["clickstream"]
    for day, group in events.groupby(events["event_ts"].str[:10]):
        s3.put_object(Bucket=BUCKET, Key=f"events/dt={day}/events.json",
                      Body=group.to_json(orient="records", lines=True).encode())
    if not lookup(glue.get_crawler, Name=CRAWLER):
        glue.create_crawler(Name=CRAWLER, Role=ROLE_GLUE, DatabaseName="ex08_raw",
                            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/events/"}]})
    glue.start_crawler(Name=CRAWLER)
    wait_until(lambda: glue.get_crawler(Name=CRAWLER)["Crawler"],
               lambda c: c["State"] == "READY" and c.get("LastCrawl", {}).get("Status") not in (None, "RUNNING"),
               120, "the crawler")
