"""Glue's transform classes: each ``Name.apply(frame=..., ...)`` returns a new DynamicFrame."""

from __future__ import annotations

from typing import Any

from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection

__all__ = ["ApplyMapping", "DropFields", "DropNullFields", "Filter", "Join", "Map", "Relationalize",
           "RenameField", "ResolveChoice", "SelectFields", "SelectFromCollection", "Spigot", "SplitFields",
           "SplitRows", "Unbox", "UnnestFrame", "GlueTransform"]


class GlueTransform:
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls) -> str:
        return cls.__name__


class ApplyMapping(GlueTransform):
    def __call__(self, frame: DynamicFrame, mappings: list[tuple], transformation_ctx: str = "",
                 **kwargs: Any) -> DynamicFrame:
        return frame.apply_mapping(mappings)


class SelectFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: list[str], transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.select_fields(paths)


class DropFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: list[str], transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.drop_fields(paths)


class RenameField(GlueTransform):
    def __call__(self, frame: DynamicFrame, old_name: str, new_name: str, transformation_ctx: str = "",
                 **kwargs: Any) -> DynamicFrame:
        return frame.rename_field(old_name, new_name)


class Filter(GlueTransform):
    def __call__(self, frame: DynamicFrame, f: Any, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.filter(f)


class Map(GlueTransform):
    def __call__(self, frame: DynamicFrame, f: Any, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.map(f)


class Join(GlueTransform):
    def __call__(self, frame1: DynamicFrame, frame2: DynamicFrame, keys1: list[str], keys2: list[str],
                 transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame1.join(keys1, keys2, frame2)


class ResolveChoice(GlueTransform):
    def __call__(self, frame: DynamicFrame, specs: list[tuple[str, str]] | None = None, choice: str = "",
                 database: str | None = None, table_name: str | None = None, transformation_ctx: str = "",
                 info: str = "", stageThreshold: int = 0, totalThreshold: int = 0,  # noqa: N803
                 catalog_id: str | None = None, **kwargs: Any) -> DynamicFrame:
        return frame.resolveChoice(specs=specs, choice=choice, database=database, table_name=table_name,
                                   catalog_id=catalog_id)


class DropNullFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.drop_nulls()


class Relationalize(GlueTransform):
    def __call__(self, frame: DynamicFrame, staging_path: str = "", name: str = "roottable",
                 options: dict[str, Any] | None = None, transformation_ctx: str = "",
                 **kwargs: Any) -> DynamicFrameCollection:
        return frame.relationalize(name, staging_path, options)


class SelectFromCollection(GlueTransform):
    def __call__(self, dfc: DynamicFrameCollection, key: str, transformation_ctx: str = "",
                 **kwargs: Any) -> DynamicFrame:
        return dfc.select(key)


class SplitFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: list[str], name1: str | None = None, name2: str | None = None,
                 transformation_ctx: str = "", **kwargs: Any) -> DynamicFrameCollection:
        return frame.split_fields(paths, name1, name2)


class SplitRows(GlueTransform):
    def __call__(self, frame: DynamicFrame, comparison_dict: dict[str, dict[str, Any]], name1: str = "frame1",
                 name2: str = "frame2", transformation_ctx: str = "", **kwargs: Any) -> DynamicFrameCollection:
        return frame.split_rows(comparison_dict, name1, name2)


class Spigot(GlueTransform):
    def __call__(self, frame: DynamicFrame, path: str, options: dict[str, Any] | None = None,
                 transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.spigot(path, options)


class Unbox(GlueTransform):
    def __call__(self, frame: DynamicFrame, path: str, format: str, transformation_ctx: str = "",  # noqa: A002
                 **options: Any) -> DynamicFrame:
        return frame.unbox(path, format, **options)


class UnnestFrame(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.unnest()
