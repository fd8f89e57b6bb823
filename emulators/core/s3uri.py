"""S3 URIs, parsed once: ``s3://bucket/key`` (also ``s3a://`` and ``s3n://``, as Spark and EMR write them)."""

from __future__ import annotations

from typing import NamedTuple

SCHEMES = ("s3://", "s3a://", "s3n://")


class S3Uri(NamedTuple):
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def join(self, *parts: str) -> S3Uri:
        """This URI as a folder, with ``parts`` appended (``s3://b/a`` + ``x/`` -> ``s3://b/a/x/``)."""
        return parse(join(str(self), *parts))


class NotAnS3Uri(ValueError):
    """The text is not an ``s3://bucket/key`` URI (the message says why)."""


def parse(uri: str, *, schemes: tuple[str, ...] = SCHEMES) -> S3Uri:
    """``s3://bucket/some/key`` -> ``S3Uri("bucket", "some/key")``; raises :class:`NotAnS3Uri`."""
    text = str(uri or "")
    scheme = next((s for s in schemes if text.startswith(s)), None)
    if scheme is None:
        raise NotAnS3Uri(f"{text!r} is not an S3 URI (expected s3://bucket/key)")
    bucket, _, key = text[len(scheme):].partition("/")
    if not bucket:
        raise NotAnS3Uri(f"{text!r} names no bucket (expected s3://bucket/key)")
    return S3Uri(bucket, key)


def is_s3_uri(uri: str) -> bool:
    try:
        parse(uri)
    except NotAnS3Uri:
        return False
    return True


def join(uri: str, *parts: str) -> str:
    """``join("s3://b/prefix/", "run-1", "/out")`` -> ``"s3://b/prefix/run-1/out"`` (empty parts skipped)."""
    return "/".join([str(uri).rstrip("/"), *[p.strip("/") for p in parts if p]])
