"""Glue's transform classes: each ``Name.apply(frame=..., ...)`` returns a new DynamicFrame."""

from __future__ import annotations

from typing import Any

from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection

__all__ = ["ApplyMapping", "DropFields", "DropNullFields", "Filter", "Join", "Map", "Relationalize",
           "RenameField", "ResolveChoice", "SelectFields", "GlueTransform"]


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
                 transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.resolveChoice(specs=specs, choice=choice)


class DropNullFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return frame.drop_nulls()


class Relationalize(GlueTransform):
    def __call__(self, frame: DynamicFrame, staging_path: str = "", name: str = "roottable",
                 transformation_ctx: str = "", **kwargs: Any) -> DynamicFrameCollection:
        return frame.relationalize(name, staging_path)
