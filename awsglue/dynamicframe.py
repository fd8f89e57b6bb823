"""``DynamicFrame``: a Spark DataFrame with Glue's transform methods."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class DynamicRecord(dict):
    """A record as ``Filter`` and ``Map`` functions see it: a dict of field -> value."""


def _to_record(row: Any) -> DynamicRecord:
    return DynamicRecord(row.asDict(recursive=True))


class DynamicFrame:
    def __init__(self, df: Any, glue_ctx: Any, name: str = "") -> None:
        self._df = df
        self.glue_ctx = glue_ctx
        self.name = name

    # -- conversions -------------------------------------------------------------
    def toDF(self) -> Any:  # noqa: N802 (AWS's name)
        return self._df

    @classmethod
    def fromDF(cls, dataframe: Any, glue_ctx: Any, name: str) -> DynamicFrame:  # noqa: N802
        return cls(dataframe, glue_ctx, name)

    def count(self) -> int:
        return self._df.count()

    def schema(self) -> Any:
        return self._df.schema

    def printSchema(self) -> None:  # noqa: N802
        self._df.printSchema()

    def show(self, num_rows: int = 20) -> None:
        self._df.show(num_rows, truncate=False)

    def getNumPartitions(self) -> int:  # noqa: N802
        return self._df.rdd.getNumPartitions()

    def repartition(self, num_partitions: int, **kwargs: Any) -> DynamicFrame:
        return DynamicFrame(self._df.repartition(num_partitions), self.glue_ctx, self.name)

    def coalesce(self, num_partitions: int, **kwargs: Any) -> DynamicFrame:
        return DynamicFrame(self._df.coalesce(num_partitions), self.glue_ctx, self.name)

    # -- transforms (also reachable as awsglue.transforms classes) ------------------
    def apply_mapping(self, mappings: list[tuple], **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        columns = []
        for mapping in mappings:
            source, _source_type, target, target_type = mapping[:4]
            columns.append(_cast(F.col(_quote(source)), target_type).alias(target))
        return self._with(self._df.select(*columns))

    def select_fields(self, paths: list[str], **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        present = [p for p in paths if _has_path(self._df, p)]
        return self._with(self._df.select(*[F.col(_quote(p)).alias(p) for p in present]))

    def drop_fields(self, paths: list[str], **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        df = self._df
        for path in paths:
            if "." in path and path.split(".")[0] in df.columns:
                head, rest = path.split(".", 1)
                df = df.withColumn(head, F.col(_quote(head)).dropFields(rest))
            elif path in df.columns:
                df = df.drop(path)
        return self._with(df)

    def rename_field(self, oldName: str, newName: str, **kwargs: Any) -> DynamicFrame:  # noqa: N803
        if oldName not in self._df.columns:
            return self
        return self._with(self._df.withColumnRenamed(oldName, newName))

    def filter(self, f: Callable[[DynamicRecord], bool], **kwargs: Any) -> DynamicFrame:
        spark = self._df.sparkSession
        kept = self._df.rdd.filter(lambda row: bool(f(_to_record(row))))
        return self._with(spark.createDataFrame(kept, self._df.schema))

    def map(self, f: Callable[[DynamicRecord], dict], **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import Row

        spark = self._df.sparkSession
        mapped = self._df.rdd.map(lambda row: Row(**dict(f(_to_record(row)))))
        if mapped.isEmpty():
            return self._with(self._df.limit(0))
        return self._with(spark.createDataFrame(mapped, samplingRatio=1.0))

    def resolveChoice(self, specs: list[tuple[str, str]] | None = None, choice: str = "",  # noqa: N802
                      **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        df = self._df
        for path, action in specs or []:
            kind, _, type_name = action.partition(":")
            if kind in ("cast", "project") and path in df.columns:
                df = df.withColumn(path, _cast(F.col(_quote(path)), type_name))
            elif kind == "make_cols" and path in df.columns:
                dtype = dict(df.dtypes)[path]
                df = df.withColumnRenamed(path, f"{path}_{dtype}")
        if choice.startswith(("cast:", "project:")):
            type_name = choice.split(":", 1)[1]
            for column in df.columns:
                df = df.withColumn(column, _cast(F.col(_quote(column)), type_name))
        return self._with(df)

    def join(self, paths1: list[str], paths2: list[str], frame2: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        left, right = self._df, frame2.toDF()
        paths1 = [paths1] if isinstance(paths1, str) else list(paths1)
        paths2 = [paths2] if isinstance(paths2, str) else list(paths2)
        if paths1 == paths2:  # same key names: one key column in the result (no ambiguous duplicate)
            return self._with(left.join(right, on=paths1, how="inner"))
        condition = None
        for a, b in zip(paths1, paths2):
            part = left[a] == right[b]
            condition = part if condition is None else condition & part
        return self._with(left.join(right, condition, "inner"))

    def drop_nulls(self, **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        counts = self._df.select([F.count(F.col(_quote(c))).alias(c) for c in self._df.columns]).collect()[0]
        empty = [c for c in self._df.columns if counts[c] == 0]
        return self._with(self._df.drop(*empty))

    def unnest(self, **kwargs: Any) -> DynamicFrame:
        return self._with(_flatten(self._df))

    def relationalize(self, root_table_name: str, staging_path: str = "", **kwargs: Any) -> DynamicFrameCollection:
        from pyspark.sql import functions as F
        from pyspark.sql.types import ArrayType, StructType

        df = _flatten(self._df)
        frames: dict[str, DynamicFrame] = {}
        arrays = [f for f in df.schema.fields if isinstance(f.dataType, ArrayType)]
        if arrays:
            df = df.withColumn("__rel_id", F.monotonically_increasing_id())
        for field in arrays:
            child = df.select(F.col("__rel_id").alias("id"), F.posexplode(F.col(_quote(field.name))).alias("index", "val"))
            if isinstance(field.dataType.elementType, StructType):
                child = child.select("id", "index", *[F.col(f"val.{f.name}").alias(f"{field.name}.val.{f.name}")
                                                      for f in field.dataType.elementType.fields])
            else:
                child = child.withColumnRenamed("val", f"{field.name}.val")
            frames[f"{root_table_name}_{field.name}"] = DynamicFrame(child, self.glue_ctx,
                                                                     f"{root_table_name}_{field.name}")
            df = df.withColumn(field.name, F.col("__rel_id"))
        if arrays:
            df = df.drop("__rel_id")
        frames = {root_table_name: DynamicFrame(df, self.glue_ctx, root_table_name), **frames}
        return DynamicFrameCollection(frames, self.glue_ctx)

    def _with(self, df: Any) -> DynamicFrame:
        return DynamicFrame(df, self.glue_ctx, self.name)


class DynamicFrameCollection:
    def __init__(self, dynamic_frames: dict[str, DynamicFrame], glue_ctx: Any) -> None:
        self._frames = dict(dynamic_frames)
        self.glue_ctx = glue_ctx

    def keys(self) -> list[str]:
        return list(self._frames)

    def values(self) -> list[DynamicFrame]:
        return list(self._frames.values())

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        if key not in self._frames:
            raise KeyError(f"no frame named {key!r} in the collection ({', '.join(self._frames)})")
        return self._frames[key]

    def __getitem__(self, key: str) -> DynamicFrame:
        return self.select(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)


SPARK_TYPES = {"string": "string", "long": "bigint", "bigint": "bigint", "int": "int", "integer": "int",
               "short": "smallint", "smallint": "smallint", "byte": "tinyint", "tinyint": "tinyint",
               "double": "double", "float": "float", "boolean": "boolean", "date": "date",
               "timestamp": "timestamp", "binary": "binary"}


def _spark_type(name: str) -> str:
    name = name.strip().lower()
    if name.startswith("decimal"):
        return name
    return SPARK_TYPES.get(name, name)


def _cast(column: Any, type_name: str) -> Any:
    """Glue's cast: a value that does not convert becomes null (Spark's ANSI cast would fail the job)."""
    target = _spark_type(type_name)
    if hasattr(column, "try_cast"):
        return column.try_cast(target)
    return column.cast(target)


def _quote(path: str) -> str:
    return ".".join(f"`{part}`" for part in path.split("."))


def _has_path(df: Any, path: str) -> bool:
    try:
        df.select(_quote(path))
        return True
    except Exception:
        return False


def _flatten(df: Any) -> Any:
    """Nested struct fields become top-level columns named ``a.b``."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    while any(isinstance(f.dataType, StructType) for f in df.schema.fields):
        columns = []
        for field in df.schema.fields:
            if isinstance(field.dataType, StructType):
                columns += [F.col(f"`{field.name}`.`{sub.name}`").alias(f"{field.name}.{sub.name}")
                            for sub in field.dataType.fields]
            else:
                columns.append(F.col(f"`{field.name}`"))
        df = df.select(*columns)
    return df
