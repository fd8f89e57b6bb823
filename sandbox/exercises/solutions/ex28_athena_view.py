"""Exercise 28: a view over the orders table, queried once."""

from sandbox import datasets, lake
from sandbox.exercises._helpers import athena_query, ensure_bucket

BUCKET, DATABASE = "ex28-lake", "ex28_analytics"


def solve(aws):
    s3, athena = aws.client("s3"), aws.client("athena")
    ensure_bucket(s3, BUCKET)
    lake.write_partitioned(aws, datasets.generate("tiny")["orders"], f"s3://{BUCKET}/orders/", partition_cols=[])
    output = f"s3://{BUCKET}/athena-results/"
    athena_query(athena, f"CREATE DATABASE IF NOT EXISTS {DATABASE}", None, output)
    athena_query(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS orders (
        order_id bigint, customer_id bigint, product_id bigint, quantity bigint, unit_price double,
        amount double, order_ts timestamp, status string, channel string)
        STORED AS PARQUET LOCATION 's3://{BUCKET}/orders/'""", DATABASE, output)
    athena_query(athena, """CREATE OR REPLACE VIEW completed_revenue AS
        SELECT channel, round(sum(amount), 2) AS revenue FROM orders
        WHERE status = 'completed' GROUP BY channel""", DATABASE, output)
    athena_query(athena, "SELECT * FROM completed_revenue ORDER BY revenue DESC", DATABASE, output)
