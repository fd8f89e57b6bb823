"""Our ``awsglue`` DynamicFrame on the session's Spark, without a sandbox server.

The cases follow the AWS Glue developer guide's DynamicFrame class and transform references
(resolveChoice, apply_mapping, relationalize, split_fields, unbox, spigot, drop_nulls) and the shapes
printed in aws-samples/aws-glue-samples ``examples/resolve_choice.md`` and
``examples/join_and_relationalize.md``; the data is generated here.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a Spark session (shared by the whole test session)


@pytest.fixture(scope="module")
def glue_ctx(spark):
    from awsglue.context import GlueContext

    return GlueContext(spark.sparkContext)


@pytest.fixture
def providers(spark, glue_ctx):
    """Mostly numeric provider ids, two of them text (as at the tail of the medicare sample)."""
    from awsglue.dynamicframe import DynamicFrame, detect_choices

    rows = [(f"0{i} - DRG", str(10000 + i), f"CITY{i}", i * 3) for i in range(8)]
    rows += [("948 - SIGNS", "INC", "MAUSTON", 12), ("948 - SIGNS", "INC- ST JOSEPH", "MILWAUKEE", 14)]
    df = spark.createDataFrame(rows, "`drg definition` string, `provider id` string, `provider city` string, "
                                     "`total discharges` long")
    return DynamicFrame(df, glue_ctx, "medicare", detect_choices(df))


def test_mixed_column_is_a_choice_and_print_schema_shows_it(providers, capsys):
    assert providers.choices == {"provider id": ["long", "string"]}
    providers.printSchema()
    assert capsys.readouterr().out.startswith(
        "root\n|-- drg definition: string\n|-- provider id: choice\n|    |-- long\n|    |-- string\n"
        "|-- provider city: string\n|-- total discharges: long\n")


def test_cast_and_project_keep_longs(providers):
    for action in ("cast:long", "project:long"):
        resolved = providers.resolveChoice(specs=[("provider id", action)])
        assert resolved.choices == {}
        assert "|-- provider id: long" in resolved.schema_text()
        values = [r[0] for r in resolved.toDF().select("provider id").collect()]
        assert values[:8] == [10000 + i for i in range(8)] and values[8:] == [None, None]


def test_make_cols_splits_the_column_by_type(providers):
    resolved = providers.resolveChoice(specs=[("provider id", "make_cols")])
    df = resolved.toDF()
    assert df.columns == ["drg definition", "provider id_long", "provider city", "total discharges",
                          "provider id_string"]
    rows = df.select("provider id_long", "provider id_string").collect()
    assert rows[0][0] == 10000 and rows[0][1] is None
    assert rows[8][0] is None and rows[8][1] == "INC"


def test_make_struct_keeps_both(providers):
    resolved = providers.resolveChoice(specs=[("provider id", "make_struct")])
    assert "|-- provider id: struct\n|    |-- long: long\n|    |-- string: string\n" in resolved.schema_text()
    last = resolved.toDF().collect()[-1]["provider id"]
    assert (last["long"], last["string"]) == (None, "INC- ST JOSEPH")


def test_choice_default_and_resolve_choice_class(providers):
    from awsglue.transforms import ResolveChoice

    resolved = ResolveChoice.apply(frame=providers, choice="make_cols")
    assert "provider id_string" in resolved.toDF().columns
    # the default applies to choice columns only: the others keep their types
    assert dict(resolved.toDF().dtypes)["total discharges"] == "bigint"
    with pytest.raises(ValueError):
        providers.resolveChoice(specs=[("provider id", "cast:long")], choice="make_cols")


def test_apply_mapping_into_nested_targets(providers):
    resolved = providers.resolveChoice(specs=[("provider id", "cast:long")])
    nested = resolved.apply_mapping([("drg definition", "string", "drg", "string"),
                                     ("provider id", "long", "provider.id", "long"),
                                     ("provider city", "string", "provider.city", "string"),
                                     ("total discharges", "long", "charges.discharges", "double")])
    assert nested.schema_text() == ("root\n|-- drg: string\n|-- provider: struct\n|    |-- id: long\n"
                                    "|    |-- city: string\n|-- charges: struct\n|    |-- discharges: double\n")
    first = nested.toDF().first()
    assert first["provider"]["id"] == 10000 and first["charges"]["discharges"] == 0.0


def test_relationalize_names_tables_as_the_legislators_sample(spark, glue_ctx):
    from awsglue.dynamicframe import DynamicFrame
    from awsglue.transforms import Relationalize, SelectFromCollection

    df = spark.createDataFrame(
        [("p1", "Ross", [("fax", "1"), ("phone", "2")], ["a", "b"]), ("p2", "Capito", [("twitter", "c")], [])],
        "id string, family_name string, contact_details array<struct<type:string,value:string>>, "
        "images array<string>")
    history = DynamicFrame(df, glue_ctx, "history")
    dfc = Relationalize.apply(frame=history, staging_path="s3://unused/tmp/", name="hist_root")
    assert dfc.keys() == ["hist_root", "hist_root_contact_details", "hist_root_images"]
    contacts = SelectFromCollection.apply(dfc=dfc, key="hist_root_contact_details").toDF()
    assert contacts.columns == ["id", "index", "contact_details.val.type", "contact_details.val.value"]
    root = dfc.select("hist_root").toDF()
    ross = root.where("family_name = 'Ross'").first()
    rows = contacts.where(f"id = {ross['contact_details']}").orderBy("index").collect()
    assert [(r["index"], r["contact_details.val.type"]) for r in rows] == [(0, "fax"), (1, "phone")]
    assert dfc.select("hist_root_images").toDF().columns == ["id", "index", "images.val"]


def test_split_fields_unbox_and_drop_null_fields(spark, glue_ctx):
    from awsglue.dynamicframe import DynamicFrame
    from awsglue.transforms import DropNullFields, SplitFields, Unbox

    df = spark.createDataFrame([(1, '{"a": 1, "b": "x"}', None), (2, '{"a": 2, "b": "y"}', None)],
                               "id long, payload string, empty string")
    frame = DynamicFrame(df, glue_ctx, "events")
    parts = SplitFields.apply(frame=frame, paths=["id"])
    assert parts.keys() == ["events1", "events2"]
    assert parts["events1"].toDF().columns == ["id"] and parts["events2"].toDF().columns == ["payload", "empty"]
    mapped = parts.map(lambda f, ctx: DropNullFields.apply(frame=f, transformation_ctx=ctx))
    assert mapped.keys() == ["events1", "events2"] and mapped["events2"].toDF().columns == ["payload"]
    flat = parts.flatmap(lambda f, ctx: f.split_fields(f.toDF().columns[:1], f.name + "a", f.name + "b"))
    assert flat.keys() == ["events1a", "events1b", "events2a", "events2b"]
    unboxed = Unbox.apply(frame=frame, path="payload", format="json")
    assert "|-- payload: struct\n|    |-- a: long\n|    |-- b: string\n" in unboxed.schema_text()
    assert unboxed.toDF().orderBy("id").first()["payload"]["b"] == "x"
    assert DropNullFields.apply(frame=frame).toDF().columns == ["id", "payload"]
