"""Exercise 33: partition projection on dt (a date) finds each day's folder without the catalog."""

from sandbox import datasets, lake
from sandbox.exercises._helpers import athena_query, ensure_bucket

BUCKET, DATABASE = "ex33-clicks", "ex33_web"


def solve(aws):
    s3, athena = aws.client("s3"), aws.client("athena")
    ensure_bucket(s3, BUCKET)
    clicks = datasets.generate("tiny")["clickstream"]
    clicks = clicks.assign(dt=clicks["event_ts"].str[:10])
    lake.write_partitioned(aws, clicks, f"s3://{BUCKET}/events/", partition_cols=["dt"])
    output = f"s3://{BUCKET}/athena-results/"
    athena_query(athena, f"CREATE DATABASE IF NOT EXISTS {DATABASE}", None, output)
    athena_query(athena, "DROP TABLE IF EXISTS events", DATABASE, output)
    athena_query(athena, f"""CREATE EXTERNAL TABLE events (
        event_id string, session_id string, customer_id bigint, product_id bigint, event_type string,
        event_ts string, page string, device string)
        PARTITIONED BY (dt string)
        STORED AS PARQUET LOCATION 's3://{BUCKET}/events/'
        TBLPROPERTIES ('projection.enabled'='true', 'projection.dt.type'='date',
                       'projection.dt.range'='2024-01-01,NOW', 'projection.dt.format'='yyyy-MM-dd',
                       'storage.location.template'='s3://{BUCKET}/events/dt=${{dt}}/')""", DATABASE, output)
    athena_query(athena, "SELECT event_type, count(*) AS events FROM events WHERE dt = '2024-01-03' "
                         "GROUP BY event_type", DATABASE, output)
