"""Exercise 11: sales partitioned by day as Parquet, partitions registered, a one-day query."""

from sandbox import datasets, lake
from sandbox.exercises._helpers import athena_query, ensure_bucket

BUCKET, DATABASE = "ex11-sales", "ex11_sales"


def solve(aws):
    s3, athena = aws.client("s3"), aws.client("athena")
    ensure_bucket(s3, BUCKET)
    orders = datasets.generate("tiny")["orders"]
    orders = orders.assign(dt=orders["order_ts"].dt.strftime("%Y-%m-%d"))
    lake.write_partitioned(aws, orders, f"s3://{BUCKET}/sales/", partition_cols=["dt"])
    output = f"s3://{BUCKET}/athena-results/"
    athena_query(athena, f"CREATE DATABASE IF NOT EXISTS {DATABASE}", None, output)
    athena_query(athena, f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales (
        order_id bigint, customer_id bigint, product_id bigint, quantity bigint, unit_price double,
        amount double, order_ts timestamp, status string, channel string)
        PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://{BUCKET}/sales/'""", DATABASE, output)
    athena_query(athena, "MSCK REPAIR TABLE sales", DATABASE, output)
    first_day = sorted(orders["dt"].unique())[0]
    return athena_query(athena, f"SELECT channel, sum(amount) FROM sales WHERE dt = '{first_day}' GROUP BY channel",
                        DATABASE, output)
