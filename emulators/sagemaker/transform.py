"""Batch transform: every object under the input prefix goes through a loaded model.

``SplitType`` Line splits an object into records (empty lines dropped), None keeps
it whole. ``BatchStrategy`` SingleRecord sends one record per request;
MultiRecord packs records into requests up to ``MaxPayloadInMB`` (default 6 MB)
joined by newlines. Results are assembled per input object (``AssembleWith``
Line: one line per response, newline-terminated; None: concatenated) and written
to ``<S3OutputPath>/<key below the input prefix>.out``. ``DataProcessing``
(InputFilter / OutputFilter / JoinSource) is not emulated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulators.sagemaker import container
from emulators.sagemaker.container import ContainerError


@dataclass
class TransformResult:
    status: str = "Failed"
    failure_reason: str | None = None
    objects: int = 0
    records: int = 0


def split_records(body: bytes, split_type: str | None) -> list[bytes]:
    if split_type == "Line":
        return [line for line in body.splitlines() if line.strip()]
    if split_type in (None, "None"):
        return [body]
    raise ContainerError(f"ClientError: SplitType {split_type} is not emulated (Line or None)")


def batches(records: list[bytes], strategy: str | None, max_payload_bytes: int) -> list[list[bytes]]:
    if strategy != "MultiRecord":
        return [[r] for r in records]
    groups: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for record in records:
        if current and size + len(record) + 1 > max_payload_bytes:
            groups.append(current)
            current, size = [], 0
        current.append(record)
        size += len(record) + 1
    if current:
        groups.append(current)
    return groups


def run_transform(model: Any, transform_input: dict[str, Any], transform_output: dict[str, Any],
                  batch_strategy: str | None, max_payload_mb: int | None, s3: Any,
                  should_stop: Callable[[], bool]) -> TransformResult:
    result = TransformResult()
    try:
        source = (transform_input.get("DataSource") or {}).get("S3DataSource") or {}
        if source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise ContainerError("ClientError: only S3Prefix transform inputs are emulated")
        if (transform_input.get("CompressionType") or "None") != "None":
            raise ContainerError("ClientError: CompressionType Gzip is not emulated")
        bucket, prefix = container.parse_s3_uri(source["S3Uri"])
        objects = [o for o in s3.list(bucket, prefix) if not o.key.endswith("/")]
        if not objects:
            raise ContainerError(f"ClientError: no objects under {source['S3Uri']}")
        content_type = transform_input.get("ContentType") or "text/csv"
        accept = transform_output.get("Accept") or content_type
        assemble = transform_output.get("AssembleWith") or "None"
        limit = int(max_payload_mb or 6) * 1024 * 1024
        out_bucket, out_prefix = container.parse_s3_uri(transform_output["S3OutputPath"])
        for obj in sorted(objects, key=lambda o: o.key):
            if should_stop():
                result.status = "Stopped"
                return result
            records = split_records(s3.get(bucket, obj.key), transform_input.get("SplitType"))
            outputs = []
            for group in batches(records, batch_strategy, limit):
                payload = b"\n".join(group)
                if len(payload) > limit:
                    raise ContainerError(f"ClientError: a record of {obj.key} is larger than MaxPayloadInMB")
                body, _ = model.invoke(payload, content_type, accept, batch=True)
                outputs.append(body)
            result.records += len(records)
            if assemble == "Line":
                data = b"".join(o.rstrip(b"\n") + b"\n" for o in outputs)
            else:
                data = b"".join(outputs)
            key = "/".join(x for x in [out_prefix.rstrip("/"), container.relative_key(obj.key, prefix) + ".out"] if x)
            s3.put(out_bucket, key, data)
            result.objects += 1
        result.status = "Completed"
    except ContainerError as exc:
        result.failure_reason = str(exc)[:1024]
    except Exception as exc:  # the model raised: ClientError as on AWS
        result.failure_reason = f"ClientError: the model failed on a request: {exc}"[:1024]
    return result
