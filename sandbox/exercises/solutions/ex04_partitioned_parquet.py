"""Exercise 4: the orders as hive-partitioned Parquet (year/month/day)."""

from sandbox import datasets, lake

BUCKET = "ex04-sales-lake"


def solve(aws):
    lake.ensure_bucket(aws.client("s3"), BUCKET)
    orders = datasets.generate("tiny")["orders"]
    ts = orders["order_ts"]
    orders = orders.assign(year=ts.dt.strftime("%Y"), month=ts.dt.strftime("%m"), day=ts.dt.strftime("%d"))
    lake.write_partitioned(aws, orders, f"s3://{BUCKET}/sales/", partition_cols=["year", "month", "day"])
