"""DynamicFrame flows of aws-samples/aws-glue-samples, run in this process on the session's Spark with
the sandbox's catalog and S3 (the same ``awsglue`` library a Glue job run uses).

Data is generated here in the shapes of the samples' data sets (nothing copied).
"""

from __future__ import annotations

import io
import sys

import pytest

from tests.helpers.glue_samples import crawl, legislators, medicare_csv

pytestmark = pytest.mark.slow


@pytest.fixture
def glue_context(aws, spark, monkeypatch):
    """A GlueContext whose catalog and S3 calls reach the test sandbox (as a job run's environment does)."""
    from awsglue.context import GlueContext

    for name, value in aws.environment().items():
        monkeypatch.setenv(name, value)
    # Python UDFs run in worker processes: they need this interpreter (a job run sets PYSPARK_PYTHON;
    # the shared test session's Spark does not)
    monkeypatch.setattr(spark.sparkContext, "pythonExec", sys.executable)
    return GlueContext(spark.sparkContext)


def test_data_cleaning_and_resolve_choice_on_the_medicare_shape(aws, s3_bucket, unique_name, glue_context, capsys):
    """aws-samples/aws-glue-samples examples/data_cleaning_and_lambda.md and examples/resolve_choice.md:
    crawl the CSV, read it from the catalog as a DynamicFrame (``provider id`` is ``choice`` of long and
    string because of two text ids at the end of the file), resolve the choice with cast, project,
    make_cols and make_struct, turn charges into numbers and nest them with apply_mapping, write Parquet."""
    from pyspark.sql.functions import udf
    from pyspark.sql.types import StringType

    from awsglue.dynamicframe import DynamicFrame

    aws.client("s3").put_object(Bucket=s3_bucket, Key="examples/medicare/Medicare_Hospital_Provider.csv",
                                Body=medicare_csv(rows=1200, bad_tail=2))
    crawler, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/examples/medicare/"])
    assert "medicare" in tables, crawler["LastCrawl"]

    medicare_dynamicframe = glue_context.create_dynamic_frame.from_catalog(database=unique_name,
                                                                           table_name="medicare")
    assert medicare_dynamicframe.count() == 1202
    medicare_dynamicframe.printSchema()
    printed = capsys.readouterr().out
    assert "|-- drg definition: string\n|-- provider id: choice\n|    |-- long\n|    |-- string\n" in printed
    assert "|-- provider zip code: long\n" in printed and "|-- total discharges: long\n" in printed
    assert "|-- average covered charges: string\n" in printed

    medicare_res = medicare_dynamicframe.resolveChoice(specs=[("provider id", "cast:long")])
    assert "|-- provider id: long\n" in medicare_res.schema_text()
    anomalies = medicare_res.toDF().where("`provider id` is NULL")
    assert anomalies.count() == 2
    assert {r["provider name"] for r in anomalies.collect()} == {"HOSPITAL 1200", "HOSPITAL 1201"}

    projected = medicare_dynamicframe.resolveChoice(specs=[("provider id", "project:long")])
    assert projected.toDF().where("`provider id` is NOT NULL").count() == 1200
    made_cols = medicare_dynamicframe.resolveChoice(specs=[("provider id", "make_cols")]).toDF()
    assert made_cols.columns[1] == "provider id_long" and made_cols.columns[-1] == "provider id_string"
    assert sorted(r[0] for r in made_cols.where("`provider id_string` is not null")
                  .select("provider id_string").collect()) == ["INC", "INC- ST JOSEPH"]
    matched = medicare_dynamicframe.resolveChoice(choice="match_catalog", database=unique_name,
                                                  table_name="medicare")  # the crawler said bigint
    assert matched.choices == {} and dict(matched.toDF().dtypes)["provider id"] == "bigint"
    made_struct = medicare_dynamicframe.resolveChoice(specs=[("provider id", "make_struct")])
    assert "|-- provider id: struct\n|    |-- long: long\n|    |-- string: string\n" in made_struct.schema_text()

    medicare_dataframe = medicare_res.toDF().where("`provider id` is NOT NULL")
    chop_f = udf(lambda x: x[1:], StringType())
    medicare_dataframe = medicare_dataframe.withColumn("ACC", chop_f(medicare_dataframe["average covered charges"])) \
        .withColumn("ATP", chop_f(medicare_dataframe["average total payments"])) \
        .withColumn("AMP", chop_f(medicare_dataframe["average medicare payments"]))
    medicare_tmp_dyf = DynamicFrame.fromDF(medicare_dataframe, glue_context, "nested")
    medicare_nest_dyf = medicare_tmp_dyf.apply_mapping([
        ("drg definition", "string", "drg", "string"),
        ("provider id", "long", "provider.id", "long"),
        ("provider name", "string", "provider.name", "string"),
        ("provider city", "string", "provider.city", "string"),
        ("provider state", "string", "provider.state", "string"),
        ("provider zip code", "long", "provider.zip", "long"),
        ("hospital referral region description", "string", "rr", "string"),
        ("ACC", "string", "charges.covered", "double"),
        ("ATP", "string", "charges.total_pay", "double"),
        ("AMP", "string", "charges.medicare_pay", "double")])
    assert medicare_nest_dyf.schema_text() == (
        "root\n|-- drg: string\n|-- provider: struct\n|    |-- id: long\n|    |-- name: string\n"
        "|    |-- city: string\n|    |-- state: string\n|    |-- zip: long\n|-- rr: string\n"
        "|-- charges: struct\n|    |-- covered: double\n|    |-- total_pay: double\n|    |-- medicare_pay: double\n")

    glue_context.write_dynamic_frame.from_options(
        frame=medicare_nest_dyf, connection_type="s3",
        connection_options={"path": f"s3://{s3_bucket}/output-dir/medicare_parquet"}, format="parquet")
    import pyarrow.parquet as pq

    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="output-dir/medicare_parquet/")["Contents"]
            if o["Key"].endswith(".parquet")]
    written = [pq.read_table(io.BytesIO(s3.get_object(Bucket=s3_bucket, Key=k)["Body"].read())) for k in keys]
    assert sum(t.num_rows for t in written) == 1200
    assert str(written[0].schema.field("charges").type) == \
        "struct<covered: double, total_pay: double, medicare_pay: double>"


def test_join_and_relationalize_on_the_legislators_shape(aws, s3_bucket, unique_name, glue_context):
    """aws-samples/aws-glue-samples examples/join_and_relationalize.md: crawl the legislators files, read
    the three tables, drop and rename fields, join persons, memberships and organizations, and
    relationalize the history into a root table and one table per array (hist_root_<array>), keyed by
    ``id``/``index`` with ``<array>.val.<field>`` columns."""
    from awsglue.transforms import Join, Spigot

    s3 = aws.client("s3")
    for name, body in legislators(count=30).items():
        s3.put_object(Bucket=s3_bucket, Key=f"us-legislators/all/{name}", Body=body)
    crawler, tables = crawl(aws, unique_name, [f"s3://{s3_bucket}/us-legislators/all/"])
    assert {"persons_json", "memberships_json", "organizations_json"} <= set(tables), crawler["LastCrawl"]

    persons = glue_context.create_dynamic_frame.from_catalog(database=unique_name, table_name="persons_json")
    memberships = glue_context.create_dynamic_frame.from_catalog(database=unique_name, table_name="memberships_json")
    orgs = glue_context.create_dynamic_frame.from_catalog(database=unique_name, table_name="organizations_json")
    assert (persons.count(), memberships.count(), orgs.count()) == (30, 60, 3)
    assert "|-- identifiers: array\n|    |-- element: struct\n" in persons.schema_text()

    orgs = orgs.drop_fields(["identifiers"]).rename_field("id", "org_id").rename_field("name", "org_name")
    assert memberships.select_fields(["organization_id"]).toDF().distinct().count() == 2
    l_history = Join.apply(orgs, Join.apply(persons, memberships, "id", "person_id"),
                           "org_id", "organization_id").drop_fields(["person_id", "org_id"])
    assert l_history.count() == 60
    assert {"org_name", "seats", "contact_details", "family_name"} <= set(l_history.toDF().columns)
    # Spigot (DynamicFrame transform reference): a sample of the records to S3, the frame passes through
    assert Spigot.apply(frame=l_history, path=f"s3://{s3_bucket}/spigot/", options={"topk": 5}) is l_history
    sample = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="spigot/")["Contents"]
              if o["Key"].endswith(".json")]
    lines = b"".join(s3.get_object(Bucket=s3_bucket, Key=k)["Body"].read() for k in sample).splitlines()
    assert len(lines) == 5

    dfc = l_history.relationalize("hist_root", f"s3://{s3_bucket}/temp-dir/")
    assert dfc.keys()[0] == "hist_root"
    assert set(dfc.keys()) == {"hist_root", "hist_root_contact_details", "hist_root_links", "hist_root_images",
                               "hist_root_identifiers"}
    contacts = dfc.select("hist_root_contact_details").toDF()
    assert contacts.columns == ["id", "index", "contact_details.val.type", "contact_details.val.value"]
    root = dfc.select("hist_root").toDF()
    row = root.where("family_name = 'Family7'").select("id", "given_name", "contact_details").first()
    phones = contacts.where(f"id = {row['contact_details']}").collect()
    assert [p["contact_details.val.value"] for p in phones] == ["202-555-0007"]
    for name in dfc.keys():  # as the sample loops over the collection to load each table
        glue_context.write_dynamic_frame.from_options(
            frame=dfc.select(name), connection_type="s3",
            connection_options={"path": f"s3://{s3_bucket}/output-dir/{name}"}, format="parquet")
    listed = aws.client("s3").list_objects_v2(Bucket=s3_bucket, Prefix="output-dir/hist_root_links/")
    assert any(o["Key"].endswith(".parquet") for o in listed.get("Contents", []))
