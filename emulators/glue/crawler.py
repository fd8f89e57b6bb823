"""What a Glue crawler concludes from the objects under an S3 path.

The engine works on plain values: object keys with sizes and a function that
returns an object's bytes. It groups objects into tables, infers each table's
schema with pyarrow (Parquet footers; the first megabyte of CSV and JSON-lines
files, gzip included) and names partition keys (``key=value`` folders, else
``partition_0``, ``partition_1``, ...), producing Glue ``TableInput`` and
``PartitionInput`` documents. It never imports boto3 or moto.

Grouping follows the crawler's documented behaviour ("How does a crawler determine when to create
partitions?"): at each level the schemas of the files and subfolders are compared; when the data is
compatible (format, compression) and the schemas similar (at most five clusters of column names, the
largest holding more than 70% of them) they make one table whose subfolders are partitions; otherwise
subfolders are looked at on their own and a file that fits nowhere becomes a table of its own, named
after the file (``persons.json`` -> ``persons_json``). The crawler's Configuration JSON is honoured for
``Grouping.TableGroupingPolicy: CombineCompatibleSchemas`` (similarity ignored),
``Grouping.TableLevelConfiguration`` (tables at a fixed absolute depth, the top-level folder being 1)
and ``CrawlerOutput.Tables.TableThreshold`` (more tables fail the crawl). CSV headers are kept as
Glue keeps them: trimmed, lower-cased, spaces inside kept; CSV types come from the first 1000 records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulators.glue.schema_inference import FileSchema, _column_name, infer_file_schema, merge_columns

MAX_FILES_SAMPLED = 10
SIMILARITY_THRESHOLD = 0.7  # share of a level's schemas that must agree
MAX_SCHEMA_CLUSTERS = 5  # more different schemas than this at one level: separate tables

PARQUET_FORMAT = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                  "Parameters": {"serialization.format": "1"}},
}
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
CSV_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"


class CrawlError(Exception):
    """A crawl cannot go on (the message is what LastCrawl.ErrorMessage shows)."""


@dataclass
class TableSpec:
    name: str
    location: str  # s3://bucket/prefix/
    classification: str
    columns: list[tuple[str, str]]
    partition_keys: list[str]
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)  # values -> location
    compression: str = "none"
    delimiter: str = ","
    has_header: bool = True
    object_count: int = 0
    size_bytes: int = 0

    def storage_descriptor(self, location: str | None = None) -> dict[str, Any]:
        descriptor: dict[str, Any] = {
            "Columns": [{"Name": n, "Type": t} for n, t in self.columns],
            "Location": location or self.location,
            "Compressed": self.compression != "none",
            "NumberOfBuckets": -1,
            "StoredAsSubDirectories": False,
            "Parameters": self.parameters(),
        }
        if self.classification == "parquet":
            descriptor.update(json.loads(json.dumps(PARQUET_FORMAT)))
        elif self.classification == "json":
            descriptor.update({"InputFormat": TEXT_INPUT, "OutputFormat": TEXT_OUTPUT,
                               "SerdeInfo": {"SerializationLibrary": JSON_SERDE,
                                             "Parameters": {"paths": ",".join(n for n, _ in self.columns)}}})
        else:
            descriptor.update({"InputFormat": TEXT_INPUT, "OutputFormat": TEXT_OUTPUT,
                               "SerdeInfo": {"SerializationLibrary": CSV_SERDE,
                                             "Parameters": {"field.delim": self.delimiter}}})
        return descriptor

    def parameters(self) -> dict[str, str]:
        params = {
            "classification": self.classification,
            "compressionType": self.compression,
            "typeOfData": "file",
            "objectCount": str(self.object_count),
            "sizeKey": str(self.size_bytes),
            "CrawlerSchemaDeserializerVersion": "1.0",
            "CrawlerSchemaSerializerVersion": "1.0",
        }
        if self.classification == "csv":
            params.update({"delimiter": self.delimiter, "areColumnsQuoted": "false", "columnsOrdered": "true"})
            if self.has_header:
                params["skip.header.line.count"] = "1"
        return params

    def table_input(self, crawler_name: str) -> dict[str, Any]:
        params = self.parameters()
        params["UPDATED_BY_CRAWLER"] = crawler_name
        return {
            "Name": self.name,
            "StorageDescriptor": self.storage_descriptor(),
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in self.partition_keys],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": params,
        }

    def partition_inputs(self) -> list[dict[str, Any]]:
        return [{"Values": list(values), "StorageDescriptor": self.storage_descriptor(location)}
                for values, location in sorted(self.partitions.items())]


# compatible / similar: see the grouping section below


# -- grouping ---------------------------------------------------------------------

@dataclass
class _Folder:
    path: str  # relative to the include path, "" or "a/b/"
    files: list[tuple[str, int]] = field(default_factory=list)
    children: dict[str, _Folder] = field(default_factory=dict)

    def all_files(self) -> list[tuple[str, int]]:
        found = list(self.files)
        for child in self.children.values():
            found.extend(child.all_files())
        return found


def _is_hidden(segment: str) -> bool:
    return segment.startswith(("_", ".")) or segment.endswith(("_$folder$", ".crc"))


def _build_tree(objects: list[tuple[str, int]], prefix: str) -> _Folder:
    root = _Folder("")
    for key, size in objects:
        relative = key[len(prefix):]
        parts = relative.split("/")
        if not relative or any(_is_hidden(p) for p in parts if p) or relative.endswith("/"):
            continue
        node = root
        for depth, segment in enumerate(parts[:-1]):
            node = node.children.setdefault(segment, _Folder("/".join(parts[: depth + 1]) + "/"))
        node.files.append((key, size))
    return root


def glob_regex(pattern: str) -> re.Pattern[str]:
    """An exclude pattern as Glue reads it: ``*`` stays within one folder level, ``**`` crosses
    levels, ``?`` is one character, ``[a-z]`` a class and ``{a,b}`` alternatives."""
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                body = pattern[i + 1:end]
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end
        elif ch == "{":
            end = pattern.find("}", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                out += "(?:" + "|".join(glob_regex(alt).pattern for alt in pattern[i + 1:end].split(",")) + ")"
                i = end
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out)


def table_name_for(path: str) -> str:
    """A folder or file name as a table name: lower-cased, every other character than a-z, 0-9 and ``_``
    becomes ``_`` (``persons.json`` -> ``persons_json``, ``year=2017`` -> ``year_2017``)."""
    name = path.rstrip("/").split("/")[-1] if path.strip("/") else path
    return re.sub(r"[^0-9a-z_]+", "_", name.lower()).strip("_") or "table"


# -- the crawler's Configuration JSON -----------------------------------------------

@dataclass
class CrawlerConfiguration:
    """What a crawler's ``Configuration`` JSON says about grouping and output."""

    combine_compatible_schemas: bool = False  # Grouping.TableGroupingPolicy = CombineCompatibleSchemas
    table_level: int | None = None  # Grouping.TableLevelConfiguration (the top-level folder is 1)
    table_threshold: int | None = None  # CrawlerOutput.Tables.TableThreshold

    @classmethod
    def parse(cls, text: str | None) -> CrawlerConfiguration:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CrawlError(f"Crawler configuration not valid: not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise CrawlError("Crawler configuration not valid: a JSON object is expected")
        grouping = data.get("Grouping") or {}
        policy = grouping.get("TableGroupingPolicy")
        if policy not in (None, "CombineCompatibleSchemas"):
            raise CrawlError(f"Crawler configuration not valid: TableGroupingPolicy {policy!r} "
                             "(the one policy is CombineCompatibleSchemas)")
        level = grouping.get("TableLevelConfiguration")
        if level is not None and (not isinstance(level, int) or level < 1):
            raise CrawlError("Crawler configuration not valid: TableLevelConfiguration must be a positive integer")
        threshold = ((data.get("CrawlerOutput") or {}).get("Tables") or {}).get("TableThreshold")
        if threshold is not None and (not isinstance(threshold, int) or threshold < 1):
            raise CrawlError("Crawler configuration not valid: TableThreshold must be an integer greater than 0")
        return cls(policy == "CombineCompatibleSchemas", level, threshold)


def check_table_threshold(tables: list[TableSpec], configuration: CrawlerConfiguration) -> None:
    """More tables than ``TableThreshold``: the crawl fails and writes nothing to the catalog."""
    limit = configuration.table_threshold
    if limit is not None and len(tables) > limit:
        raise CrawlError(f"The number of tables detected by crawler: {len(tables)} is greater than the table "
                         f"threshold value provided: {limit}. Failing crawler without creating any tables.")


# -- grouping ---------------------------------------------------------------------

def data_compatible(a: FileSchema, b: FileSchema) -> bool:
    """Same format and compression (and delimiter for CSV): the crawler never mixes these in one table."""
    return (a.classification, a.compression) == (b.classification, b.compression) and \
        (a.classification != "csv" or a.delimiter == b.delimiter)


def _name_similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def schema_clusters(schemas: list[FileSchema]) -> list[list[int]]:
    """Schemas grouped by column-name similarity (at least 70% of the names shared with the cluster)."""
    clusters: list[tuple[set[str], list[int]]] = []
    for index, schema in enumerate(schemas):
        names = {n for n, _ in schema.columns}
        for members_names, members in clusters:
            if _name_similarity(members_names, names) >= SIMILARITY_THRESHOLD:
                members.append(index)
                members_names |= names
                break
        else:
            clusters.append((names, [index]))
    return [members for _, members in clusters]


def similar(schemas: list[FileSchema], combine_compatible: bool = False) -> bool:
    """One table for these schemas? Data must be compatible; then either the crawler combines compatible
    schemas (``CombineCompatibleSchemas``), or the schemas form at most five clusters of which the largest
    holds more than 70% of them (the majority of a level's schemas are similar)."""
    if not schemas:
        return False
    if any(not data_compatible(schemas[0], s) for s in schemas[1:]):
        return False
    if combine_compatible or len(schemas) == 1:
        return True
    clusters = schema_clusters(schemas)
    if len(clusters) == 1:
        return True
    return len(clusters) <= MAX_SCHEMA_CLUSTERS and max(map(len, clusters)) / len(schemas) > SIMILARITY_THRESHOLD


def merged_schema(schemas: list[FileSchema]) -> FileSchema:
    first = schemas[0]
    return FileSchema(first.classification, merge_columns([s.columns for s in schemas]), first.compression,
                      first.delimiter, first.has_header)


def _subtree(folder: _Folder, relative_root: str) -> _Folder:
    node = folder
    for segment in [s for s in relative_root.split("/") if s]:
        node = node.children[segment]
    return node


def resolve_name_clashes(tables: list[TableSpec]) -> None:
    """Two tables with one name in a crawl: the later ones get a hash suffix (of their location), as the
    crawler adds a hash string to duplicate table names."""
    import hashlib

    seen: set[str] = set()
    for table in tables:
        if table.name in seen:
            table.name = f"{table.name}_{hashlib.md5(table.location.encode()).hexdigest()}"
        seen.add(table.name)


def infer_tables(
    bucket: str,
    prefix: str,
    objects: list[tuple[str, int]],
    read: Callable[[str], bytes],
    table_prefix: str = "",
    exclusions: list[str] | None = None,
    csv_classifier: dict[str, Any] | None = None,
    configuration: CrawlerConfiguration | None = None,
) -> tuple[list[TableSpec], list[str]]:
    """Tables found under ``s3://bucket/prefix``; returns (tables, warnings).

    Per level (the include path, then each folder below it) the crawler compares the schemas of the files
    and subfolders there: similar ones (see :func:`similar`) make one table whose subfolders are partitions;
    otherwise each subfolder is looked at on its own and each file that stands alone becomes a table named
    after the file (``persons.json`` -> ``persons_json``). ``TableLevelConfiguration`` puts the tables at
    a fixed depth instead; ``CombineCompatibleSchemas`` ignores schema similarity.
    """
    configuration = configuration or CrawlerConfiguration()
    combine = configuration.combine_compatible_schemas
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    warnings: list[str] = []
    patterns = [glob_regex(p) for p in exclusions or []]
    kept = [(k, s) for k, s in objects if not any(p.fullmatch(k[len(prefix):]) for p in patterns)]
    schema_cache: dict[str, FileSchema | None] = {}

    def schema_of(key: str) -> FileSchema | None:
        if key not in schema_cache:
            try:
                schema_cache[key] = infer_file_schema(key, read(key), csv_classifier)
            except Exception as exc:  # an unreadable object is skipped, as the crawler logs it
                warnings.append(f"skipped {key}: {exc}")
                schema_cache[key] = None
            if schema_cache[key] is None and not any(w.startswith(f"skipped {key}:") for w in warnings):
                warnings.append(f"skipped {key}: no built-in classifier recognised its data (classification UNKNOWN)")
        return schema_cache[key]

    def sample_keys(folder: _Folder) -> list[str]:
        """Files from every branch of the folder (not just the first few), so one large
        subfolder cannot hide a differently shaped sibling."""
        picked = [k for k, _ in sorted(folder.files)[:2]]
        for _, child in sorted(folder.children.items()):
            picked.extend(sample_keys(child)[:2])
        return picked

    def sampled_schemas(folder: _Folder) -> list[FileSchema]:
        keys = sample_keys(folder)
        keys += [k for k, _ in sorted(folder.all_files())[:MAX_FILES_SAMPLED] if k not in keys]
        return [s for s in (schema_of(k) for k in keys[: MAX_FILES_SAMPLED * 5]) if s is not None]

    def folder_schema(folder: _Folder) -> FileSchema | None:
        """The folder's merged schema when everything in it makes one table, else None."""
        schemas = sampled_schemas(folder)
        if not similar(schemas, combine):
            return None
        return merged_schema(schemas)

    tables: list[TableSpec] = []

    def make_table(folder: _Folder, schema: FileSchema, name_path: str, forced: bool = False) -> None:
        base = f"s3://{bucket}/{prefix}{folder.path}"
        depth_keys: list[str] = []
        partitions: dict[tuple[str, ...], str] = {}
        files = folder.all_files()
        for key, _ in files:
            relative = key[len(prefix) + len(folder.path):]
            segments = relative.split("/")[:-1]
            if not segments:
                continue
            values = []
            for depth, segment in enumerate(segments):
                name, _, value = segment.partition("=")
                key_name = name if value else f"partition_{depth}"
                if depth >= len(depth_keys):
                    depth_keys.append(key_name)
                values.append(value if value else segment)
            partitions[tuple(values)] = base + "/".join(segments) + "/"
        partition_keys = [_column_name(k, i) for i, k in enumerate(depth_keys)]
        columns = [(n, t) for n, t in schema.columns if n not in partition_keys]
        tables.append(TableSpec(
            name=table_prefix + table_name_for(name_path or bucket), location=base,
            classification=schema.classification, columns=columns, partition_keys=partition_keys,
            partitions={v: loc for v, loc in partitions.items() if len(v) == len(partition_keys)},
            compression=schema.compression, delimiter=schema.delimiter, has_header=schema.has_header,
            object_count=len(files), size_bytes=sum(s for _, s in files),
        ))

    def make_file_table(key: str, size: int, schema: FileSchema) -> None:
        """A file that does not fit with its neighbours: a table of its own, named after the file."""
        tables.append(TableSpec(
            name=table_prefix + table_name_for(key), location=f"s3://{bucket}/{key}",
            classification=schema.classification, columns=list(schema.columns), partition_keys=[],
            compression=schema.compression, delimiter=schema.delimiter, has_header=schema.has_header,
            object_count=1, size_bytes=size))

    def visit(folder: _Folder, name_path: str) -> None:
        if not folder.all_files():
            return
        partitioned = folder.children and all("=" in name for name in folder.children)
        schema = folder_schema(folder)
        if schema is not None and (partitioned or not folder.files or not folder.children):
            make_table(folder, schema, name_path)
            return
        own = [(k, s, schema_of(k)) for k, s in sorted(folder.files)]
        own = [(k, s, sch) for k, s, sch in own if sch is not None]
        if own and similar([sch for _, _, sch in own], combine) and (folder.children or len(own) == 1):
            make_table(_Folder(folder.path, files=folder.files), merged_schema([sch for _, _, sch in own]),
                       name_path)
        else:
            for key, size, file_schema in own:
                make_file_table(key, size, file_schema)
        for name, child in sorted(folder.children.items()):
            visit(child, (name_path.rstrip("/") + "/" if name_path else "") + name)

    def visit_at_level(root: _Folder, level: int) -> None:
        """``TableLevelConfiguration``: one table per folder at that absolute depth (the top-level folder
        under the bucket is level 1); what lies deeper are its partitions."""
        include_depth = len([p for p in prefix.split("/") if p])
        groups: dict[str, list[tuple[str, int]]] = {}
        for key, size in root.all_files():
            folders = key.split("/")[:-1]
            depth = max(level, include_depth)
            if len(folders) < depth:
                warnings.append(f"skipped {key}: above the table level {level}")
                continue
            groups.setdefault("/".join(folders[:depth]) + "/", []).append((key, size))
        for table_root in sorted(groups):
            relative = table_root[len(prefix):]
            node = _subtree(root, relative) if relative else root
            schemas = sampled_schemas(node)
            if not schemas:
                continue
            compatible = [s for s in schemas if data_compatible(schemas[0], s)]
            if len(compatible) < len(schemas):
                warnings.append(f"{table_root}: files of different formats or compression under one table level; "
                                f"the table follows {schemas[0].classification}")
            make_table(node, merged_schema(compatible), table_root.rstrip("/"))

    tree = _build_tree(kept, prefix)
    if configuration.table_level:
        visit_at_level(tree, configuration.table_level)
    else:
        visit(tree, prefix.rstrip("/") or bucket)
    if kept and not tables:
        warnings.append(f"found {len(kept)} objects under s3://{bucket}/{prefix} but none of them held data the "
                        "crawler could classify: no table was created")
    resolve_name_clashes(tables)
    return tables, warnings
