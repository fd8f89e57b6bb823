"""``DynamicFrame``: a Spark DataFrame with Glue's transform methods."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class DynamicRecord(dict):
    """A record as ``Filter`` and ``Map`` functions see it: a dict of field -> value."""


def _to_record(row: Any) -> DynamicRecord:
    return DynamicRecord(row.asDict(recursive=True))


class DynamicFrame:
    """A Spark DataFrame plus Glue's choice types.

    A *choice* column is one whose values are of more than one type in the data (``provider id`` is
    mostly long, sometimes a string). Spark stores such a column as a string; the frame remembers, per
    top-level column, the types found (``choices``), shows them in :meth:`printSchema` as Glue does, and
    :meth:`resolveChoice` resolves them. Each value's own type is read from its text (an integer is a
    long, a decimal number a double, anything else a string).
    """

    def __init__(self, df: Any, glue_ctx: Any, name: str = "", choices: dict[str, list[str]] | None = None) -> None:
        self._df = df
        self.glue_ctx = glue_ctx
        self.name = name
        self._choices = {c: list(t) for c, t in (choices or {}).items() if c in df.columns}

    # -- conversions -------------------------------------------------------------
    def toDF(self, options: Any = None) -> Any:  # noqa: N802 (AWS's name)
        return self._df

    @classmethod
    def fromDF(cls, dataframe: Any, glue_ctx: Any, name: str) -> DynamicFrame:  # noqa: N802
        return cls(dataframe, glue_ctx, name)

    def count(self) -> int:
        return self._df.count()

    def schema(self) -> Any:
        return self._df.schema

    @property
    def choices(self) -> dict[str, list[str]]:
        """The unresolved choice columns: name -> the types found (sorted)."""
        return {c: list(t) for c, t in self._choices.items()}

    def schema_text(self) -> str:
        """The schema as Glue's ``printSchema`` prints it (``|-- provider id: choice`` and its types)."""
        lines = ["root"]
        for field in self._df.schema.fields:
            if field.name in self._choices:
                lines.append(f"|-- {field.name}: choice")
                lines += [f"|    |-- {kind}" for kind in self._choices[field.name]]
            else:
                lines += _schema_lines(field.name, field.dataType, 0)
        return "\n".join(lines) + "\n"

    def printSchema(self) -> None:  # noqa: N802
        print(self.schema_text())

    def show(self, num_rows: int = 20) -> None:
        self._df.show(num_rows, truncate=False)

    def getNumPartitions(self) -> int:  # noqa: N802
        return self._df.rdd.getNumPartitions()

    def repartition(self, num_partitions: int, **kwargs: Any) -> DynamicFrame:
        return self._with(self._df.repartition(num_partitions))

    def coalesce(self, num_partitions: int, **kwargs: Any) -> DynamicFrame:
        return self._with(self._df.coalesce(num_partitions))

    # -- transforms (also reachable as awsglue.transforms classes) ------------------
    def apply_mapping(self, mappings: list[tuple], case_sensitive: bool = False, **kwargs: Any) -> DynamicFrame:
        """Select, rename and cast; a dotted target (``provider.id``) builds a nested struct, in the order
        the mappings name its fields."""
        from pyspark.sql import functions as F

        tree: dict[str, Any] = {}  # target path -> column, as nested dicts in mapping order
        for mapping in mappings:
            source, _source_type, target, target_type = mapping[:4]
            column = _cast(self._source_column(source), target_type)
            parts = _split_path(target)
            node = tree
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ValueError(f"apply_mapping: {target!r} nests under a field that is not a struct")
            node[parts[-1]] = column

        def build(node: dict[str, Any]) -> list[Any]:
            return [F.struct(*build(value)).alias(key) if isinstance(value, dict) else value.alias(key)
                    for key, value in node.items()]

        return DynamicFrame(self._df.select(*build(tree)), self.glue_ctx, self.name)

    def _source_column(self, path: str) -> Any:
        from pyspark.sql import functions as F

        if path.startswith("`") and path.endswith("`"):
            return F.col(path)
        if path in self._df.columns:  # a flat name with dots (a relationalized column) or spaces
            return F.col(f"`{path}`")
        return F.col(_quote(path))

    def select_fields(self, paths: list[str] | str, **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        paths = [paths] if isinstance(paths, str) else list(paths)
        present = [p for p in paths if p in self._df.columns or _has_path(self._df, p)]
        return self._with(self._df.select(*[(F.col(f"`{p}`") if p in self._df.columns else F.col(_quote(p))).alias(p)
                                            for p in present]))

    def drop_fields(self, paths: list[str] | str, **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        paths = [paths] if isinstance(paths, str) else list(paths)
        df = self._df
        for path in paths:
            if path in df.columns:
                df = df.drop(path)
            elif "." in path and path.split(".")[0] in df.columns:
                head, rest = path.split(".", 1)
                df = df.withColumn(head, F.col(_quote(head)).dropFields(rest))
        return self._with(df)

    def rename_field(self, oldName: str, newName: str, **kwargs: Any) -> DynamicFrame:  # noqa: N803
        if oldName not in self._df.columns:
            return self
        choices = {(newName if c == oldName else c): t for c, t in self._choices.items()}
        return DynamicFrame(self._df.withColumnRenamed(oldName, newName), self.glue_ctx, self.name, choices)

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
        return DynamicFrame(spark.createDataFrame(mapped, samplingRatio=1.0), self.glue_ctx, self.name)

    def resolveChoice(self, specs: list[tuple[str, str]] | None = None, choice: str = "",  # noqa: N802
                      database: str | None = None, table_name: str | None = None, transformation_ctx: str = "",
                      info: str = "", stageThreshold: int = 0, totalThreshold: int = 0,  # noqa: N803
                      catalog_id: str | None = None, **kwargs: Any) -> DynamicFrame:
        """Resolve choice columns: ``cast:<type>`` (convert every value, null where it does not convert),
        ``project:<type>`` (keep the values of that type, null the others), ``make_cols`` (a column per type,
        ``<name>_<type>``), ``make_struct`` (a struct with a field per type) and ``match_catalog`` (cast to
        the catalog table's type). ``specs`` names columns; ``choice`` applies to every other choice column.
        A ``cast``/``project`` spec on a column that is not a choice casts it."""
        if specs and choice:
            raise ValueError("resolveChoice takes specs or choice, not both")
        actions: list[tuple[str, str]] = [(path, action) for path, action in specs or []]
        if choice:
            actions += [(column, choice) for column in self._choices]
        frame = self
        for path, action in actions:
            frame = frame._resolve(path, action, database, table_name, catalog_id)
        return frame

    def _resolve(self, path: str, action: str, database: str | None, table_name: str | None,
                 catalog_id: str | None) -> DynamicFrame:
        from pyspark.sql import functions as F

        df, choices = self._df, dict(self._choices)
        kind, _, type_name = action.partition(":")
        if path not in df.columns:
            if kind in ("cast", "project") and _has_path(df, path):  # a nested field: cast in place
                head, rest = path.split(".", 1)
                df = df.withColumn(head, F.col(_quote(head)).withField(rest, _cast(F.col(_quote(path)), type_name)))
                return DynamicFrame(df, self.glue_ctx, self.name, choices)
            return self
        column = F.col(f"`{path}`")
        kinds = choices.pop(path, None)
        if kind == "match_catalog":
            kind, type_name = "cast", _catalog_type(database, table_name, path, catalog_id)
            if type_name is None:
                return self
        if kind == "cast":
            df = df.withColumn(path, _cast(column, type_name))
        elif kind == "project":
            df = df.withColumn(path, _project(column, type_name, kinds) if kinds else _cast(column, type_name))
        elif kind == "make_cols":
            kinds = kinds or [_glue_type_name(dict((f.name, f.dataType) for f in df.schema.fields)[path])]
            names = [f"{path}_{k}" for k in kinds]
            columns = [F.col(f"`{c}`") for c in df.columns]
            first = df.columns.index(path)
            projected = [_project(column, k, kinds).alias(n) for k, n in zip(kinds, names)]
            df = df.select(*columns[:first], projected[0], *columns[first + 1:], *projected[1:])
        elif kind == "make_struct":
            kinds = kinds or [_glue_type_name(dict((f.name, f.dataType) for f in df.schema.fields)[path])]
            df = df.withColumn(path, F.struct(*[_project(column, k, kinds).alias(k) for k in kinds]))
        else:
            raise ValueError(f"resolveChoice: unknown action {action!r} (cast:<type>, project:<type>, make_cols, "
                             "make_struct, match_catalog)")
        return DynamicFrame(df, self.glue_ctx, self.name, choices)

    def join(self, paths1: list[str], paths2: list[str], frame2: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        left, right = self._df, frame2.toDF()
        paths1 = [paths1] if isinstance(paths1, str) else list(paths1)
        paths2 = [paths2] if isinstance(paths2, str) else list(paths2)
        choices = {**frame2.choices, **self._choices}
        if paths1 == paths2:  # same key names: one key column in the result (no ambiguous duplicate)
            return DynamicFrame(left.join(right, on=paths1, how="inner"), self.glue_ctx, self.name, choices)
        condition = None
        for a, b in zip(paths1, paths2):
            part = left[a] == right[b]
            condition = part if condition is None else condition & part
        return DynamicFrame(left.join(right, condition, "inner"), self.glue_ctx, self.name, choices)

    def drop_nulls(self, **kwargs: Any) -> DynamicFrame:
        """Drop the fields that are null in every record (``DropNullFields``)."""
        from pyspark.sql import functions as F

        counts = self._df.select([F.count(F.col(f"`{c}`")).alias(f"c{i}")
                                  for i, c in enumerate(self._df.columns)]).collect()[0]
        empty = [c for i, c in enumerate(self._df.columns) if counts[f"c{i}"] == 0]
        return self._with(self._df.drop(*empty))

    def unnest(self, **kwargs: Any) -> DynamicFrame:
        return self._with(_flatten(self._df))

    def split_fields(self, paths: list[str], name1: str | None = None, name2: str | None = None,
                     **kwargs: Any) -> DynamicFrameCollection:
        """Two frames: the named fields (``name1``, default the frame's name + "1") and the rest (``name2``)."""
        paths = [paths] if isinstance(paths, str) else list(paths)
        name1 = name1 or f"{self.name}1"
        name2 = name2 or f"{self.name}2"
        chosen = self.select_fields(paths)
        rest = self.drop_fields(paths)
        chosen.name, rest.name = name1, name2
        return DynamicFrameCollection({name1: chosen, name2: rest}, self.glue_ctx)

    def split_rows(self, comparison_dict: dict[str, dict[str, Any]], name1: str, name2: str,
                   **kwargs: Any) -> DynamicFrameCollection:
        """Rows matching every comparison (``{"age": {">": 10, "<": 20}}``) go to ``name1``, others to ``name2``."""
        from functools import reduce

        from pyspark.sql import functions as F

        ops = {"<": "__lt__", ">": "__gt__", "<=": "__le__", ">=": "__ge__", "=": "__eq__", "==": "__eq__",
               "!=": "__ne__"}
        tests = [getattr(self._source_column(path), ops[op])(F.lit(value))
                 for path, comparisons in comparison_dict.items() for op, value in comparisons.items()]
        condition = reduce(lambda a, b: a & b, tests) if tests else F.lit(True)
        matched = self._with(self._df.filter(condition))
        others = self._with(self._df.filter(~condition | condition.isNull()))
        matched.name, others.name = name1, name2
        return DynamicFrameCollection({name1: matched, name2: others}, self.glue_ctx)

    def spigot(self, path: str, options: dict[str, Any] | None = None, **kwargs: Any) -> DynamicFrame:
        """Write a sample of the records (``topk`` first ones, default 100, or a ``prob`` fraction) as JSON
        under ``path`` and return the frame unchanged."""
        options = options or {}
        if "prob" in options:
            sample = self._df.sample(fraction=float(options["prob"]), seed=0)
        else:
            sample = self._df.limit(int(options.get("topk", 100)))
        if self.glue_ctx is None:
            raise ValueError("spigot needs a frame made by a GlueContext (it writes to S3)")
        self.glue_ctx._write(sample.coalesce(1), path, "json", [], {})
        return self

    def unbox(self, path: str, format: str, **options: Any) -> DynamicFrame:  # noqa: A002
        """Parse a string field holding JSON (``format="json"``) or delimited text (``format="csv"``,
        ``separator``/``withHeader`` are not needed: fields become ``col0``, ``col1``...) into a struct."""
        from pyspark.sql import functions as F

        column = self._source_column(path)
        if format.lower() == "json":
            texts = self._df.select(column.alias("v")).where(F.col("v").isNotNull()).rdd.map(lambda r: r["v"])
            spark = self._df.sparkSession
            schema = spark.read.json(texts).schema if not texts.isEmpty() else None
            if schema is None or not schema.fields:
                return self
            parsed = F.from_json(column, schema)
        elif format.lower() == "csv":
            separator = options.get("separator") or options.get("delimiter") or ","
            width = self._df.select(F.max(F.size(F.split(column, _regex_escape(separator)))).alias("n")).collect()[0]["n"]
            pieces = F.split(column, _regex_escape(separator))
            parsed = F.struct(*[pieces.getItem(i).alias(f"col{i}") for i in range(width or 0)])
        else:
            raise ValueError(f"unbox: format {format!r} is not supported in the sandbox (json, csv)")
        if path in self._df.columns:
            return self._with(self._df.withColumn(path, parsed))
        head, rest = path.split(".", 1)
        return self._with(self._df.withColumn(head, F.col(_quote(head)).withField(rest, parsed)))

    def relationalize(self, root_table_name: str, staging_path: str = "", options: dict[str, Any] | None = None,
                      **kwargs: Any) -> DynamicFrameCollection:
        """Flatten structs (``a.b`` columns) and move every array into a table of its own named
        ``<root>_<path>``, with ``id`` (the foreign key held by the parent's column), ``index`` and
        ``<path>.val`` (or ``<path>.val.<field>`` for structs); arrays inside arrays recurse."""
        frames: dict[str, DynamicFrame] = {}
        self._relationalize_into(frames, root_table_name, self._df, root_table_name, "")
        ordered = {root_table_name: frames.pop(root_table_name), **frames}
        return DynamicFrameCollection(ordered, self.glue_ctx)

    def _relationalize_into(self, frames: dict[str, DynamicFrame], root: str, df: Any, table: str,
                            id_column: str) -> None:
        from pyspark.sql import functions as F
        from pyspark.sql.types import ArrayType, StructType

        df = _flatten(df)
        arrays = [f for f in df.schema.fields if isinstance(f.dataType, ArrayType)]
        if arrays:
            # the ids are materialised once, so the parent and its child tables see the same ones even
            # when the input (a join, say) would come out in another order if computed again
            df = df.withColumn("__rel_id", F.monotonically_increasing_id() + 1).localCheckpoint(eager=True)
        for field in arrays:
            child_name = f"{root}_{field.name}"
            child = df.select(F.col("__rel_id").alias("id"),
                              F.posexplode(F.col(f"`{field.name}`")).alias("index", "__val"))
            element = field.dataType.elementType
            if isinstance(element, StructType):
                child = child.select("id", "index", *[F.col(f"__val.`{f.name}`").alias(f"{field.name}.val.{f.name}")
                                                      for f in element.fields])
            else:
                child = child.select("id", "index", F.col("__val").alias(f"{field.name}.val"))
            self._relationalize_into(frames, root, child, child_name, "id")
            df = df.withColumn(field.name, F.col("__rel_id"))
        if arrays:
            df = df.drop("__rel_id")
        frames[table] = DynamicFrame(df, self.glue_ctx, table)

    def _with(self, df: Any) -> DynamicFrame:
        return DynamicFrame(df, self.glue_ctx, self.name, self._choices)


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

    def map(self, callable: Callable[[DynamicFrame, str], DynamicFrame],  # noqa: A002 (AWS's name)
            transformation_ctx: str = "") -> DynamicFrameCollection:
        """A new collection of ``callable(frame, transformation_ctx)`` for each frame, under the same keys."""
        return DynamicFrameCollection({k: callable(v, transformation_ctx) for k, v in self._frames.items()},
                                      self.glue_ctx)

    def flatmap(self, f: Callable[[DynamicFrame, str], Any], transformation_ctx: str = "") -> DynamicFrameCollection:
        """Like :meth:`map`, where ``f`` may return a DynamicFrame or a collection (whose frames are merged in)."""
        frames: dict[str, DynamicFrame] = {}
        for key, frame in self._frames.items():
            result = f(frame, transformation_ctx)
            if isinstance(result, DynamicFrameCollection):
                frames.update({k: result.select(k) for k in result.keys()})
            else:
                frames[key] = result
        return DynamicFrameCollection(frames, self.glue_ctx)

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


# -- choice types -------------------------------------------------------------------

_LONG_TEXT = r"^\s*[-+]?[0-9]{1,18}\s*$"
_DOUBLE_TEXT = r"^\s*[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?\s*$"


def _value_is(column: Any, kind: str) -> Any:
    """Whether each value of a string column is, read as text, of Glue type ``kind``."""
    if kind in ("long", "bigint", "int", "integer", "short", "byte"):
        return column.rlike(_LONG_TEXT)
    if kind in ("double", "float"):
        return column.rlike(_DOUBLE_TEXT) & ~column.rlike(_LONG_TEXT)
    if kind == "string":
        return ~column.rlike(_DOUBLE_TEXT)
    return column.isNotNull()


def _project(column: Any, kind: str, kinds: list[str] | None) -> Any:
    """The values of a choice column that are of type ``kind`` (as that type); null for the others."""
    from pyspark.sql import functions as F

    if not kinds:
        return _cast(column, kind)
    return F.when(_value_is(column, kind), _cast(column, kind))


def detect_choices(df: Any, columns: list[str] | None = None) -> dict[str, list[str]]:
    """The string columns (of ``columns``, default all) whose values mix numbers and text: for each,
    the Glue types found, sorted (``{"provider id": ["long", "string"]}``). One pass over the data."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    candidates = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)
                  and (columns is None or f.name in columns)]
    if not candidates:
        return {}
    aggregates = []
    for i, name in enumerate(candidates):
        column = F.col(f"`{name}`")
        aggregates += [F.count(column).alias(f"n{i}"),
                       F.sum(F.when(column.rlike(_LONG_TEXT), 1).otherwise(0)).alias(f"l{i}"),
                       F.sum(F.when(column.rlike(_DOUBLE_TEXT), 1).otherwise(0)).alias(f"d{i}")]
    row = df.agg(*aggregates).collect()[0]
    found: dict[str, list[str]] = {}
    for i, name in enumerate(candidates):
        total, longs, numbers = row[f"n{i}"] or 0, row[f"l{i}"] or 0, row[f"d{i}"] or 0
        if not total or numbers == 0 or numbers == total:
            continue  # all text, or all numbers
        kinds = (["double"] if numbers > longs else []) + (["long"] if longs else []) + ["string"]
        found[name] = kinds
    return found


def _catalog_type(database: str | None, table_name: str | None, column: str, catalog_id: str | None) -> str | None:
    if not database or not table_name:
        raise ValueError("resolveChoice match_catalog needs database= and table_name=")
    from awsglue import _s3

    table = _s3.client("glue").get_table(DatabaseName=database, Name=table_name)["Table"]
    for item in table["StorageDescriptor"].get("Columns", []) + table.get("PartitionKeys", []):
        if item["Name"] == column:
            return item["Type"]
    return None


# -- Glue's printSchema ----------------------------------------------------------------

def _glue_type_name(data_type: Any) -> str:
    from pyspark.sql import types as T

    simple = {T.StringType: "string", T.LongType: "long", T.IntegerType: "int", T.ShortType: "short",
              T.ByteType: "byte", T.DoubleType: "double", T.FloatType: "float", T.BooleanType: "boolean",
              T.DateType: "date", T.TimestampType: "timestamp", T.BinaryType: "binary", T.NullType: "null",
              T.StructType: "struct", T.ArrayType: "array", T.MapType: "map"}
    for kind, name in simple.items():
        if isinstance(data_type, kind):
            return name
    if isinstance(data_type, T.DecimalType):
        return "decimal"
    return data_type.simpleString()


def _schema_lines(name: str, data_type: Any, depth: int) -> list[str]:
    from pyspark.sql import types as T

    lead = "|    " * depth
    lines = [f"{lead}|-- {name}: {_glue_type_name(data_type)}"]
    if isinstance(data_type, T.StructType):
        for field in data_type.fields:
            lines += _schema_lines(field.name, field.dataType, depth + 1)
    elif isinstance(data_type, T.ArrayType):
        lines += _schema_lines("element", data_type.elementType, depth + 1)
    elif isinstance(data_type, T.MapType):
        lines += _schema_lines("keyType", data_type.keyType, depth + 1)
        lines += _schema_lines("valueType", data_type.valueType, depth + 1)
    return lines


def _split_path(path: str) -> list[str]:
    """``a.b`` -> [a, b]; a backquoted part keeps its dots (```a.b`.c`` -> [a.b, c])."""
    parts, current, quoted = [], "", False
    for ch in path:
        if ch == "`":
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _regex_escape(text: str) -> str:
    import re

    return re.escape(text)
