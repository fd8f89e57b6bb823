"""Exercise 13: revenue by channel materialised with CTAS as Parquet."""

from sandbox import datasets, lake
from sandbox.exercises._helpers import athena_query, empty_prefix, ensure_bucket, lookup

BUCKET, DATABASE = "ex13-reports", "ex13_reports"


def solve(aws):
    s3, athena, glue = aws.client("s3"), aws.client("athena"), aws.client("glue")
    ensure_bucket(s3, BUCKET)
    orders = datasets.generate("tiny")["orders"]
    lake.write_partitioned(aws, orders, f"s3://{BUCKET}/raw/orders/", partition_cols=[])
    output = f"s3://{BUCKET}/athena-results/"
    athena_query(athena, f"CREATE DATABASE IF NOT EXISTS {DATABASE}", None, output)
    athena_query(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS orders (
        order_id bigint, customer_id bigint, product_id bigint, quantity bigint, unit_price double,
        amount double, order_ts timestamp, status string, channel string)
        STORED AS PARQUET LOCATION 's3://{BUCKET}/raw/orders/'""", DATABASE, output)
    if lookup(glue.get_table, DatabaseName=DATABASE, Name="revenue_by_channel"):
        glue.delete_table(DatabaseName=DATABASE, Name="revenue_by_channel")
    empty_prefix(s3, BUCKET, "revenue_by_channel/")
    athena_query(athena, f"""CREATE TABLE revenue_by_channel
        WITH (format = 'PARQUET', external_location = 's3://{BUCKET}/revenue_by_channel/')
        AS SELECT channel, round(sum(amount), 2) AS revenue FROM orders
        WHERE status = 'completed' GROUP BY channel""", DATABASE, output)
