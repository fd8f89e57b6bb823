"""Exercise 15: an external schema over the Glue catalog; the customers stay in S3."""

from sandbox import datasets
from sandbox.exercises._helpers import ROLE_REDSHIFT, ensure_bucket, lookup, redshift_sql

BUCKET, CLUSTER, DATABASE = "ex15-lake", "ex15-warehouse", "ex15_lake"
TYPES = {"customer_id": "bigint", "age": "bigint", "tenure_months": "bigint", "monthly_spend": "double",
         "support_calls": "bigint", "churned": "int"}


def solve(aws):
    s3, glue = aws.client("s3"), aws.client("glue")
    redshift, data = aws.client("redshift"), aws.client("redshift-data")
    ensure_bucket(s3, BUCKET)
    customers = datasets.generate("tiny")["customers"]
    s3.put_object(Bucket=BUCKET, Key="customers/customers.csv", Body=customers.to_csv(index=False).encode())
    if not lookup(glue.get_database, Name=DATABASE):
        glue.create_database(DatabaseInput={"Name": DATABASE})
    if not lookup(glue.get_table, DatabaseName=DATABASE, Name="customers"):
        glue.create_table(DatabaseName=DATABASE, TableInput={
            "Name": "customers", "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Columns": [{"Name": c, "Type": TYPES.get(c, "string")} for c in customers.columns],
                "Location": f"s3://{BUCKET}/customers/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                              "Parameters": {"field.delim": ","}}}})
    if not any(c["ClusterIdentifier"] == CLUSTER for c in redshift.describe_clusters()["Clusters"]):
        redshift.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", ClusterType="single-node",
                                MasterUsername="awsuser", MasterUserPassword="Exercise-Passw0rd", DBName="dev")
    redshift_sql(data, CLUSTER, f"CREATE EXTERNAL SCHEMA IF NOT EXISTS spectrum FROM DATA CATALOG "
                                f"DATABASE '{DATABASE}' IAM_ROLE '{ROLE_REDSHIFT}'")
