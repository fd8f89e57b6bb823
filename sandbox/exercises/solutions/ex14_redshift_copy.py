"""Exercise 14: a cluster, a table with a distribution key, COPY from S3."""

from sandbox import datasets, lake
from sandbox.exercises._helpers import ROLE_REDSHIFT, ensure_bucket, redshift_sql

BUCKET, CLUSTER = "ex14-lake", "ex14-warehouse"


def solve(aws):
    redshift, data = aws.client("redshift"), aws.client("redshift-data")
    ensure_bucket(aws.client("s3"), BUCKET)
    orders = datasets.generate("tiny")["orders"]
    lake.write_partitioned(aws, orders, f"s3://{BUCKET}/orders/", partition_cols=[])
    if not any(c["ClusterIdentifier"] == CLUSTER for c in redshift.describe_clusters()["Clusters"]):
        redshift.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", ClusterType="single-node",
                                MasterUsername="awsuser", MasterUserPassword="Exercise-Passw0rd", DBName="dev")
    redshift_sql(data, CLUSTER, "DROP TABLE IF EXISTS orders")
    redshift_sql(data, CLUSTER, """CREATE TABLE orders (
        order_id BIGINT, customer_id BIGINT, product_id BIGINT, quantity BIGINT, unit_price DOUBLE PRECISION,
        amount DOUBLE PRECISION, order_ts TIMESTAMPTZ, status VARCHAR(16), channel VARCHAR(16))
        DISTKEY (customer_id) SORTKEY (order_ts)""")
    redshift_sql(data, CLUSTER, f"COPY orders FROM 's3://{BUCKET}/orders/' IAM_ROLE '{ROLE_REDSHIFT}' "
                                "FORMAT AS PARQUET")
