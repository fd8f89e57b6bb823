"""Batch transform: every object under the input prefix goes through a loaded model.

``SplitType`` Line splits an object into records (empty lines dropped), None keeps
it whole. ``BatchStrategy`` SingleRecord sends one record per request;
MultiRecord packs records into requests up to ``MaxPayloadInMB`` (default 6 MB)
joined by newlines. Results are assembled per input object (``AssembleWith``
Line: one line per response, newline-terminated; None: concatenated) and written
to ``<S3OutputPath>/<key below the input prefix>.out``.

``DataProcessing`` is applied per record with the JSONPath subset AWS documents for
it: ``$`` (all), ``$[i]``, ``$[i,j]``, ``$[a:b]``, ``$[-1]`` and combinations such as
``$[0,2:]`` on CSV records (a record is the list of its fields) or JSON arrays,
``$.key``, ``$.a.b``, ``$['k1','k2']`` and ``$.key[1:]`` on JSON records.
``InputFilter`` chooses what the model sees; ``JoinSource`` ``Input`` joins each
result with its (unfiltered) input record -- CSV: the input's fields followed by the
result's; JSON: the input object with a ``SageMakerOutput`` attribute -- and
``OutputFilter`` chooses what is written. Joining needs one result per record: a
response whose lines (or ``predictions`` list) match the records of its request.
"""

from __future__ import annotations

import csv
import io
import json
import re
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


# -- DataProcessing: the JSONPath subset of InputFilter / OutputFilter ---------------------------------
_INDEX = re.compile(r"^(-?\d+)?(?::(-?\d+)?)?$")


def parse_path(path: str | None) -> list[tuple[str, Any]]:
    """``$.a['b','c'][0,2:]`` -> steps ``[("key", "a"), ("keys", ["b", "c"]), ("index", [...])]``.

    ``ValueError`` names what is wrong (the sandbox answers it as a ValidationException).
    """
    text = (path or "$").strip()
    if not text.startswith("$"):
        raise ValueError(f"the JSONPath {path!r} must start with $")
    steps: list[tuple[str, Any]] = []
    rest = text[1:]
    while rest:
        if rest.startswith("."):
            match = re.match(r"^\.([A-Za-z_][\w-]*)", rest)
            if not match:
                raise ValueError(f"the JSONPath {path!r} has an invalid member after '.'")
            steps.append(("key", match.group(1)))
            rest = rest[match.end():]
        elif rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                raise ValueError(f"the JSONPath {path!r} has an unclosed '['")
            inner, rest = rest[1:end].strip(), rest[end + 1:]
            parts = [part.strip() for part in inner.split(",")]
            if parts and all(len(p) >= 2 and p[0] == p[-1] and p[0] in "'\"" for p in parts):
                steps.append(("keys", [p[1:-1] for p in parts]))
                continue
            selectors = []
            for part in parts:
                match = _INDEX.match(part)
                if not part or not match:
                    raise ValueError(f"the JSONPath {path!r} has an unsupported selector [{inner}] (indexes, "
                                     "slices a:b or quoted names)")
                if ":" in part:
                    selectors.append(slice(int(match.group(1)) if match.group(1) else None,
                                           int(match.group(2)) if match.group(2) else None))
                else:
                    selectors.append(int(match.group(1)))
            steps.append(("index", selectors))
        else:
            raise ValueError(f"the JSONPath {path!r} is not supported (use $, $.key, $['k1','k2'], $[0,2:])")
    return steps


def apply_path(value: Any, steps: list[tuple[str, Any]]) -> Any:
    for kind, argument in steps:
        if kind == "key":
            if not isinstance(value, dict) or argument not in value:
                raise ContainerError(f"ClientError: the record has no member {argument!r} for the JSONPath filter")
            value = value[argument]
        elif kind == "keys":
            if not isinstance(value, dict):
                raise ContainerError("ClientError: a ['name'] JSONPath filter needs a JSON object record")
            value = {k: value[k] for k in argument if k in value}
        else:
            if not isinstance(value, list):
                raise ContainerError("ClientError: a [index] JSONPath filter needs a CSV record or a JSON array")
            chosen: list[Any] = []
            for selector in argument:
                if isinstance(selector, slice):
                    chosen.extend(value[selector])
                else:
                    try:
                        chosen.append(value[selector])
                    except IndexError:
                        raise ContainerError(f"ClientError: index {selector} is outside a record of "
                                             f"{len(value)} field(s)") from None
            value = chosen[0] if len(argument) == 1 and not isinstance(argument[0], slice) else chosen
    return value


def _is_csv(content_type: str | None) -> bool:
    return (content_type or "text/csv").split(";")[0].strip().lower() in ("text/csv", "csv", "text/plain")


def _csv_fields(record: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(record.decode("utf-8"))))
    return rows[0] if rows else []


def _csv_line(fields: Any) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields if isinstance(fields, list) else [fields])
    return buffer.getvalue().encode("utf-8")


class DataProcessing:
    """A transform job's DataProcessing: filter inputs, join results with them, filter outputs."""

    def __init__(self, config: dict[str, Any] | None, content_type: str | None, accept: str | None) -> None:
        config = config or {}
        self.input_steps = parse_path(config.get("InputFilter"))
        self.output_steps = parse_path(config.get("OutputFilter"))
        self.join = (config.get("JoinSource") or "None") == "Input"
        self.csv_in = _is_csv(content_type)
        self.csv_out = _is_csv(accept or content_type)

    @property
    def per_record_results(self) -> bool:
        return self.join or bool(self.output_steps)

    def filter_input(self, record: bytes) -> bytes:
        if not self.input_steps:
            return record
        if self.csv_in:
            return _csv_line(apply_path(_csv_fields(record), self.input_steps))
        return json.dumps(apply_path(json.loads(record), self.input_steps)).encode("utf-8")

    def output(self, record: bytes, result: bytes) -> bytes:
        if not self.per_record_results:
            return result
        if self.join:
            if self.csv_in:
                joined: Any = _csv_fields(record) + (_csv_fields(result) if self.csv_out
                                                     else [result.decode("utf-8")])
            else:
                source = json.loads(record)
                try:
                    output: Any = json.loads(result)
                except ValueError:
                    output = result.decode("utf-8")
                if isinstance(source, dict):
                    joined = {**source, "SageMakerOutput": output}
                elif isinstance(source, list):
                    joined = source + (output if isinstance(output, list) else [output])
                else:
                    joined = [source, output]
            csv_joined = self.csv_in
        else:
            csv_joined = self.csv_out
            if csv_joined:
                joined = _csv_fields(result)
            else:
                try:
                    joined = json.loads(result)
                except ValueError:
                    raise ContainerError("ClientError: OutputFilter needs JSON or CSV results") from None
        selected = apply_path(joined, self.output_steps)
        return _csv_line(selected) if csv_joined else json.dumps(selected).encode("utf-8")


def split_results(body: bytes, count: int) -> list[bytes]:
    """One result per record of a request, for joining and output filters."""
    if count == 1:
        return [body.strip()]
    lines = [line for line in body.strip().splitlines() if line.strip()]
    if len(lines) == count:
        return lines
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    if isinstance(data, list) and len(data) == count:
        return [json.dumps(item).encode("utf-8") for item in data]
    raise ContainerError(f"ClientError: a response to {count} records holds {len(lines)} line(s); JoinSource and "
                         "OutputFilter need one result per record (use BatchStrategy SingleRecord, or a model "
                         "answering one line per record)")


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
                  should_stop: Callable[[], bool], data_processing: dict[str, Any] | None = None) -> TransformResult:
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
        try:
            processing = DataProcessing(data_processing, content_type, accept)
        except ValueError as exc:
            raise ContainerError(f"ClientError: {exc}") from None
        if processing.csv_in and transform_input.get("SplitType") != "Line" and (
                processing.input_steps or processing.per_record_results):
            raise ContainerError("ClientError: DataProcessing on CSV input needs SplitType Line")
        for obj in sorted(objects, key=lambda o: o.key):
            if should_stop():
                result.status = "Stopped"
                return result
            records = split_records(s3.get(bucket, obj.key), transform_input.get("SplitType"))
            outputs = []
            for group in batches(records, batch_strategy, limit):
                payload = b"\n".join(processing.filter_input(r) for r in group)
                if len(payload) > limit:
                    raise ContainerError(f"ClientError: a record of {obj.key} is larger than MaxPayloadInMB")
                body, _ = model.invoke(payload, content_type, accept, batch=True)
                if processing.per_record_results:
                    results = split_results(body, len(group))
                    outputs.extend(processing.output(r, res) for r, res in zip(group, results))
                else:
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
