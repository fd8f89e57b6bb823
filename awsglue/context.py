"""``GlueContext``: reading and writing DynamicFrames from the catalog and S3."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from awsglue import _s3
from awsglue.dynamicframe import DynamicFrame, _cast, _spark_type, detect_choices

HIVE_TO_SPARK = {"string": "string", "varchar": "string", "char": "string", "int": "int", "integer": "int",
                 "bigint": "bigint", "smallint": "smallint", "tinyint": "tinyint", "double": "double",
                 "float": "float", "boolean": "boolean", "date": "date", "timestamp": "timestamp",
                 "binary": "binary"}


def _partitions(glue: Any, database: str, table_name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table_name):
        found.extend(page["Partitions"])
    return found


class _Reader:
    def __init__(self, ctx: GlueContext) -> None:
        self._ctx = ctx

    def from_catalog(self, database: str = "", table_name: str = "", redshift_tmp_dir: str = "",
                     transformation_ctx: str = "", push_down_predicate: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None,
                     name_space: str = "", **kwargs: Any) -> DynamicFrame:
        return self._ctx.create_dynamic_frame_from_catalog(database or name_space, table_name, redshift_tmp_dir,
                                                           transformation_ctx, push_down_predicate,
                                                           additional_options, catalog_id)

    def from_options(self, connection_type: str = "s3", connection_options: dict[str, Any] | None = None,
                     format: str | None = None, format_options: dict[str, Any] | None = None,  # noqa: A002
                     transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return self._ctx.create_dynamic_frame_from_options(connection_type, connection_options, format,
                                                           format_options, transformation_ctx)


class _Writer:
    def __init__(self, ctx: GlueContext) -> None:
        self._ctx = ctx

    def from_options(self, frame: DynamicFrame, connection_type: str = "s3",
                     connection_options: dict[str, Any] | None = None, format: str | None = None,  # noqa: A002
                     format_options: dict[str, Any] | None = None, transformation_ctx: str = "",
                     **kwargs: Any) -> DynamicFrame:
        return self._ctx.write_dynamic_frame_from_options(frame, connection_type, connection_options, format,
                                                          format_options, transformation_ctx)

    def from_catalog(self, frame: DynamicFrame, database: str = "", table_name: str = "",
                     redshift_tmp_dir: str = "", transformation_ctx: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None,
                     name_space: str = "", **kwargs: Any) -> DynamicFrame:
        return self._ctx.write_dynamic_frame_from_catalog(frame, database or name_space, table_name,
                                                          additional_options)


class GlueContext:
    def __init__(self, sparkContext: Any = None, **options: Any) -> None:  # noqa: N803 (AWS's name)
        from pyspark.sql import SparkSession

        if sparkContext is None:
            from pyspark.context import SparkContext

            sparkContext = SparkContext.getOrCreate()
        self._sc = sparkContext
        self.spark_session = SparkSession(sparkContext) if not SparkSession.getActiveSession() \
            else SparkSession.getActiveSession()
        self.create_dynamic_frame = _Reader(self)
        self.write_dynamic_frame = _Writer(self)
        self._logger = logging.getLogger("awsglue")

    @property
    def sparkSession(self) -> Any:  # noqa: N802
        return self.spark_session

    def get_logger(self) -> logging.Logger:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        return self._logger

    # -- reading -----------------------------------------------------------------
    def create_dynamic_frame_from_options(self, connection_type: str = "s3",
                                          connection_options: dict[str, Any] | None = None,
                                          format: str | None = None,  # noqa: A002
                                          format_options: dict[str, Any] | None = None,
                                          transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        if connection_type != "s3":
            raise ValueError(f"connection_type {connection_type!r} is not supported in the sandbox (only s3)")
        options = connection_options or {}
        paths = options.get("paths") or ([options["path"]] if options.get("path") else [])
        if not paths:
            raise ValueError("connection_options needs 'paths': ['s3://bucket/prefix/']")
        root, count = _s3.stage(paths, transformation_ctx, options.get("exclusions"))
        fmt = (format or "json").lower()
        df = self._read_local(root, count, fmt, format_options or {})
        if fmt == "csv":  # Glue reads integers in text as long (Spark's inference says int)
            from pyspark.sql.types import IntegerType

            df = df.select(*[F.col(f"`{f.name}`").cast("bigint").alias(f.name) if isinstance(f.dataType, IntegerType)
                             else F.col(f"`{f.name}`") for f in df.schema.fields])
        choices = detect_choices(df) if fmt in ("csv", "json") and count else {}
        return DynamicFrame(df, self, transformation_ctx, choices)

    def create_dynamic_frame_from_catalog(self, database: str, table_name: str, redshift_tmp_dir: str = "",
                                          transformation_ctx: str = "", push_down_predicate: str = "",
                                          additional_options: dict[str, Any] | None = None,
                                          catalog_id: str | None = None, **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        glue = _s3.client("glue")
        table = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
        descriptor = table["StorageDescriptor"]
        params = {**table.get("Parameters", {}), **descriptor.get("SerdeInfo", {}).get("Parameters", {})}
        library = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        fmt = "parquet" if "parquet" in library or params.get("classification") == "parquet" else \
            "json" if "json" in library or params.get("classification") == "json" else "csv"
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        columns = [(c["Name"], c["Type"]) for c in descriptor["Columns"]]
        format_options = {"withHeader": params.get("skip.header.line.count") == "1",
                          "separator": params.get("field.delim") or params.get("delimiter") or ","}
        if keys:
            partitions = _partitions(glue, database, table_name)
            if push_down_predicate:
                partitions = self._prune(partitions, keys, push_down_predicate)
            location = descriptor["Location"].rstrip("/") + "/"
            hive = all(p["StorageDescriptor"]["Location"].startswith(location) and
                       p["StorageDescriptor"]["Location"][len(location):].strip("/").split("/") ==
                       [f"{k}={v}" for k, v in zip(keys, p["Values"])] for p in partitions)
            if hive:
                # one read: Spark discovers the key=value folders (as strings) under the staged table root
                root, count = _s3.stage([p["StorageDescriptor"]["Location"] for p in partitions], transformation_ctx,
                                        base=location)
                df = self._read_local(root, count, fmt, format_options, columns, partitioned=True) if count \
                    else self._empty(columns + [(k, "string") for k in keys])
            else:
                frames = []
                for partition in partitions:
                    root, count = _s3.stage([partition["StorageDescriptor"]["Location"]], transformation_ctx)
                    if not count:
                        continue
                    part_df = self._read_local(root, count, fmt, format_options, columns)
                    for key, value in zip(keys, partition["Values"]):
                        part_df = part_df.withColumn(key, F.lit(value))
                    frames.append(part_df)
                df = frames[0] if frames else self._empty(columns + [(k, "string") for k in keys])
                for other in frames[1:]:
                    df = df.unionByName(other, allowMissingColumns=True)
        else:
            root, count = _s3.stage([descriptor["Location"]], transformation_ctx)
            df = self._read_local(root, count, fmt, format_options, columns) if count else self._empty(columns)
        choices: dict[str, list[str]] = {}
        if fmt != "parquet":
            # the data decides, as in a DynamicFrame: a column whose values mix numbers and text is a choice
            # (the crawler only sampled the start of the files), kept as text until resolveChoice
            choices = detect_choices(df, [n for n, _ in columns])
            for name, kind in columns:
                # nested types keep what the reader found: a struct cast is by position, and Spark's JSON
                # reader orders struct fields by name where the catalog keeps the file's order
                if name in df.columns and name not in choices and not kind.lower().startswith(("struct", "array", "map")):
                    df = df.withColumn(name, _cast(F.col(f"`{name}`"), HIVE_TO_SPARK.get(kind, kind)))
        return DynamicFrame(df, self, transformation_ctx, choices)

    def _prune(self, partitions: list[dict[str, Any]], keys: list[str], predicate: str) -> list[dict[str, Any]]:
        """The partitions whose values pass ``push_down_predicate`` (Spark SQL, evaluated by Spark). The values
        reach Spark as an Arrow table: a frame made from Python rows runs Python worker processes for its tasks
        (about 1 s of CPU to start them), an Arrow table is read by the JVM."""
        import pyarrow as pa

        columns = {k: pa.array([p["Values"][j] for p in partitions], pa.string()) for j, k in enumerate(keys)}
        columns["__i"] = pa.array([str(i) for i in range(len(partitions))], pa.string())
        frame = self.spark_session.createDataFrame(pa.table(columns))
        chosen = {int(r["__i"]) for r in frame.filter(predicate).select("__i").collect()}
        return [p for i, p in enumerate(partitions) if i in chosen]

    def _empty(self, columns: list[tuple[str, str]]) -> Any:
        """An empty frame (everything bookmarked, or no data yet) with the catalog's columns (from an RDD without
        partitions, so no task and no Python worker runs for it)."""
        from pyspark.sql.types import StructType

        spark = self.spark_session
        if not columns:
            return spark.createDataFrame(spark.sparkContext.emptyRDD(), StructType([]))
        ddl = ", ".join(f"`{n}` {HIVE_TO_SPARK.get(t, 'string')}" for n, t in columns)
        return spark.createDataFrame(spark.sparkContext.emptyRDD(), ddl)

    def _read_local(self, root: Path, count: int, fmt: str, format_options: dict[str, Any],
                    columns: list[tuple[str, str]] | None = None, partitioned: bool = False) -> Any:
        reader = self.spark_session.read
        if not count:
            return self._empty(columns or [])
        path = str(root)
        if partitioned:
            reader = reader.option("basePath", path)
        else:
            reader = reader.option("recursiveFileLookup", "true")
        if fmt in ("parquet", "glueparquet"):
            return reader.parquet(path)
        if fmt == "json":
            df = reader.json(path)
            return df
        if fmt == "csv":
            header = str(format_options.get("withHeader", False)).lower() in ("true", "1")
            df = (reader.option("header", header).option("sep", format_options.get("separator", ","))
                  .option("quote", format_options.get("quoteChar", '"')).option("inferSchema", True).csv(path))
            if columns:  # the catalog names the data columns, in file order; partition columns follow
                names = [n for n, _ in columns][: len(df.columns)]
                df = df.toDF(*(names + df.columns[len(names):]))
            return df
        raise ValueError(f"format {fmt!r} is not supported in the sandbox (csv, json, parquet)")

    # -- writing -----------------------------------------------------------------
    def write_dynamic_frame_from_options(self, frame: DynamicFrame, connection_type: str = "s3",
                                         connection_options: dict[str, Any] | None = None,
                                         format: str | None = None,  # noqa: A002
                                         format_options: dict[str, Any] | None = None,
                                         transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        if connection_type != "s3":
            raise ValueError(f"connection_type {connection_type!r} is not supported in the sandbox (only s3)")
        options = connection_options or {}
        path = options.get("path")
        if not path:
            raise ValueError("connection_options needs 'path': 's3://bucket/prefix/'")
        self._write(frame.toDF(), path, (format or "json").lower(), options.get("partitionKeys") or [],
                    format_options or {})
        return frame

    def write_dynamic_frame_from_catalog(self, frame: DynamicFrame, database: str, table_name: str,
                                         additional_options: dict[str, Any] | None = None,
                                         **kwargs: Any) -> DynamicFrame:
        glue = _s3.client("glue")
        table = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
        descriptor = table["StorageDescriptor"]
        library = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        fmt = "parquet" if "parquet" in library else "json" if "json" in library else "csv"
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        location = descriptor["Location"]
        df = frame.toDF()
        columns = [c["Name"] for c in descriptor.get("Columns", [])]
        if fmt != "parquet" and columns and all(c in df.columns for c in columns + keys):
            df = df.select(*[f"`{c}`" for c in columns + keys])  # text formats are read by position
        params = {**table.get("Parameters", {}), **descriptor.get("Parameters", {})}
        self._write(df, location, fmt, keys, {
            "separator": descriptor.get("SerdeInfo", {}).get("Parameters", {}).get("field.delim", ","),
            "writeHeader": params.get("skip.header.line.count") == "1"})
        self._register_partitions(glue, database, table_name, descriptor, df, keys)
        return frame

    def _register_partitions(self, glue: Any, database: str, table_name: str, descriptor: dict[str, Any],
                             df: Any, keys: list[str]) -> None:
        if not keys:
            return
        location = descriptor["Location"]
        existing = {tuple(p["Values"]) for p in _partitions(glue, database, table_name)}
        new = [tuple(str(v) for v in row) for row in df.select(*keys).distinct().collect()]
        inputs = [{"Values": list(values), "StorageDescriptor": {
            **descriptor, "Location": location.rstrip("/") + "/" + "/".join(f"{k}={v}" for k, v in zip(keys, values)) + "/"}}
            for values in new if values not in existing]
        for start in range(0, len(inputs), 100):
            glue.batch_create_partition(DatabaseName=database, TableName=table_name,
                                        PartitionInputList=inputs[start:start + 100])

    # -- sinks (getSink with enableUpdateCatalog) -----------------------------------
    def getSink(self, connection_type: str = "s3", format: str | None = None,  # noqa: N802, A002
                transformation_ctx: str = "", **options: Any) -> DataSink:
        """A sink that writes S3 and, with ``enableUpdateCatalog=True``, creates or updates the table."""
        if connection_type != "s3":
            raise ValueError(f"connection_type {connection_type!r} is not supported in the sandbox (only s3)")
        sink = DataSink(self, options)
        if format:
            sink.setFormat(format)
        return sink

    # -- purging -----------------------------------------------------------------
    def purge_s3_path(self, s3_path: str, options: dict[str, Any] | None = None,
                      transformation_ctx: str = "") -> None:
        """Delete the objects under ``s3_path`` older than ``retentionPeriod`` hours (default 168, as on AWS)."""
        _s3.purge([s3_path], options or {})

    def purge_table(self, database: str, table_name: str, options: dict[str, Any] | None = None,
                    transformation_ctx: str = "", catalog_id: str | None = None) -> None:
        """Delete the table's (or the predicate's partitions') objects older than ``retentionPeriod`` hours."""
        options = options or {}
        glue = _s3.client("glue")
        table = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        predicate = options.get("partitionPredicate")
        if keys and predicate:
            partitions = self._prune(_partitions(glue, database, table_name), keys, predicate)
            paths = [p["StorageDescriptor"]["Location"] for p in partitions]
        else:
            paths = [table["StorageDescriptor"]["Location"]]
        _s3.purge(paths, options)

    def _write(self, df: Any, path: str, fmt: str, partition_keys: list[str], format_options: dict[str, Any]) -> None:
        from emulators.core import spark_s3

        spark_s3.install()
        writer = df.write.mode("append")
        if partition_keys:
            writer = writer.partitionBy(*partition_keys)
        if fmt in ("parquet", "glueparquet"):
            writer.parquet(path)
        elif fmt == "csv":
            writer.option("header", str(format_options.get("writeHeader", True)).lower()) \
                .option("sep", format_options.get("separator", ",")).csv(path)
        elif fmt == "json":
            writer.json(path)
        else:
            raise ValueError(f"format {fmt!r} is not supported in the sandbox (csv, json, parquet)")


def _hive_format(fmt: str, separator: str = ",") -> dict[str, Any]:
    if fmt in ("parquet", "glueparquet"):
        return {"InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                              "Parameters": {"serialization.format": "1"}}}
    text = {"InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"}
    if fmt == "json":
        return {**text, "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe", "Parameters": {}}}
    return {**text, "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                                  "Parameters": {"field.delim": separator}}}


class DataSink:
    """What ``glueContext.getSink(...)`` returns: ``setFormat``, ``setCatalogInfo``, ``writeFrame``.

    With ``enableUpdateCatalog=True`` the table is created when missing and, with
    ``updateBehavior="UPDATE_IN_DATABASE"`` (the default), its schema is updated
    when the frame brings new columns; new partitions are registered either way.
    """

    def __init__(self, ctx: GlueContext, options: dict[str, Any]) -> None:
        self._ctx = ctx
        self._options = dict(options)
        self._format = "json"
        self._format_options: dict[str, Any] = {}
        self._database: str | None = None
        self._table: str | None = None

    def setFormat(self, format: str, **options: Any) -> None:  # noqa: N802, A002
        self._format = format.lower()
        self._format_options = options

    def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str,  # noqa: N802, N803
                       catalogId: str | None = None) -> None:  # noqa: N803
        self._database, self._table = catalogDatabase, catalogTableName

    def writeFrame(self, dynamic_frame: DynamicFrame, info: str = "") -> DynamicFrame:  # noqa: N802
        path = self._options.get("path")
        if not path:
            raise ValueError("getSink needs path='s3://bucket/prefix/'")
        keys = list(self._options.get("partitionKeys") or [])
        df = dynamic_frame.toDF()
        fmt = self._format
        separator = self._format_options.get("separator", ",")
        format_options = {"writeHeader": False, **self._format_options}
        self._ctx._write(df, path, fmt, keys, format_options)
        update_catalog = str(self._options.get("enableUpdateCatalog", False)).lower() == "true"
        if update_catalog and self._database and self._table:
            header = fmt == "csv" and str(format_options["writeHeader"]).lower() == "true"
            self._update_catalog(df, path, fmt, keys, separator, header)
        elif update_catalog:
            raise ValueError("enableUpdateCatalog needs sink.setCatalogInfo(catalogDatabase=..., catalogTableName=...)")
        return dynamic_frame

    def _update_catalog(self, df: Any, path: str, fmt: str, keys: list[str], separator: str,
                        header: bool) -> None:
        glue = _s3.client("glue")
        columns = [{"Name": f.name, "Type": f.dataType.simpleString()} for f in df.schema.fields if f.name not in keys]
        partition_keys = [{"Name": k, "Type": "string"} for k in keys]
        descriptor = {"Columns": columns, "Location": path, **_hive_format(fmt, separator),
                      "Compressed": False, "NumberOfBuckets": -1, "StoredAsSubDirectories": False}
        classification = "parquet" if fmt in ("parquet", "glueparquet") else fmt
        table_input = {"Name": self._table, "StorageDescriptor": descriptor, "PartitionKeys": partition_keys,
                       "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": classification,
                                                                      **({"skip.header.line.count": "1"} if header else {})}}
        try:
            table = glue.get_table(DatabaseName=self._database, Name=self._table)["Table"]
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=self._database, TableInput=table_input)
            table = glue.get_table(DatabaseName=self._database, Name=self._table)["Table"]
        else:
            behavior = self._options.get("updateBehavior", "UPDATE_IN_DATABASE")
            known = [c["Name"] for c in table["StorageDescriptor"].get("Columns", [])]
            added = [c for c in columns if c["Name"] not in known]
            if behavior == "UPDATE_IN_DATABASE" and added:
                current = {k: v for k, v in table.items() if k in (
                    "Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType",
                    "Parameters")}
                current["StorageDescriptor"] = {**table["StorageDescriptor"],
                                                "Columns": table["StorageDescriptor"].get("Columns", []) + added}
                glue.update_table(DatabaseName=self._database, TableInput=current)
                table = glue.get_table(DatabaseName=self._database, Name=self._table)["Table"]
        self._ctx._register_partitions(glue, self._database, self._table, table["StorageDescriptor"], df,
                                       [k["Name"] for k in table.get("PartitionKeys", [])])


__all__ = ["DataSink", "GlueContext", "_spark_type"]
