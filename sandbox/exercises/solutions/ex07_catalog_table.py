"""Exercise 7: a CSV table defined by hand in the Glue Data Catalog."""

from sandbox import datasets
from sandbox.exercises._helpers import ensure_bucket, lookup

BUCKET, DATABASE = "ex07-catalog", "ex07_analytics"
TYPES = {"customer_id": "bigint", "name": "string", "email": "string", "country": "string", "segment": "string",
         "signup_date": "date", "age": "bigint", "tenure_months": "bigint", "monthly_spend": "double",
         "support_calls": "bigint", "churned": "int"}


def solve(aws):
    s3, glue = aws.client("s3"), aws.client("glue")
    ensure_bucket(s3, BUCKET)
    customers = datasets.generate("tiny")["customers"]
    s3.put_object(Bucket=BUCKET, Key="customers/customers.csv", Body=customers.to_csv(index=False).encode())
    if not lookup(glue.get_database, Name=DATABASE):
        glue.create_database(DatabaseInput={"Name": DATABASE, "Description": "exercise 7"})
    table = {
        "Name": "customers", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "StorageDescriptor": {
            "Columns": [{"Name": c, "Type": TYPES[c]} for c in customers.columns],
            "Location": f"s3://{BUCKET}/customers/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}}
    if lookup(glue.get_table, DatabaseName=DATABASE, Name="customers"):
        glue.update_table(DatabaseName=DATABASE, TableInput=table)
    else:
        glue.create_table(DatabaseName=DATABASE, TableInput=table)
