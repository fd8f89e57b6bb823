"""Data capture: what an endpoint received and answered, written to S3 as AWS lays it out.

``InvokeEndpoint`` hands each sampled exchange to :func:`record_exchange`; records
are buffered per destination and endpoint/variant (never pickled) and written as
JSON-lines objects ``<prefix>/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<mm-ss-ms>-<uuid>.jsonl``
by :func:`flush_captures`, every second and at shutdown.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import uuid
from typing import Any

from emulators.core import s3uri
from emulators.core.clock import utcnow
from emulators.sagemaker.api import common

log = logging.getLogger("emulators.sagemaker")

CAPTURE: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (S3 prefix, endpoint/variant) -> records
CAPTURE_LOCK = threading.Lock()


def capture_summary(capture: dict[str, Any] | None) -> dict[str, Any] | None:
    """DescribeEndpoint's DataCaptureConfigSummary of an endpoint config's DataCaptureConfig."""
    if not capture:
        return None
    summary = {"EnableCapture": bool(capture.get("EnableCapture")),
               "CaptureStatus": "Started" if capture.get("EnableCapture") else "Stopped",
               "CurrentSamplingPercentage": int(capture.get("InitialSamplingPercentage", 100)),
               "DestinationS3Uri": capture.get("DestinationS3Uri")}
    if capture.get("KmsKeyId"):
        summary["KmsKeyId"] = capture["KmsKeyId"]
    return summary


def _encoding(content_type: str | None, capture: dict[str, Any]) -> tuple[str, str]:
    header = capture.get("CaptureContentTypeHeader") or {}
    ctype = (content_type or "").split(";")[0].strip()
    if ctype in (header.get("CsvContentTypes") or ["text/csv"]):
        return "CSV", ctype
    if ctype in (header.get("JsonContentTypes") or ["application/json", "application/jsonlines"]):
        return "JSON", ctype
    return "BASE64", ctype


def record_exchange(endpoint_name: str, variant: str, capture: dict[str, Any], body: bytes, content_type: str | None,
             out: bytes, out_type: str, inference_id: str | None) -> None:
    percent = float(capture.get("InitialSamplingPercentage", 100))
    if random.uniform(0, 100) >= percent:
        return
    modes = {o.get("CaptureMode") for o in capture.get("CaptureOptions") or [{"CaptureMode": "Input"},
                                                                             {"CaptureMode": "Output"}]}
    record: dict[str, Any] = {"captureData": {}, "eventMetadata": {
        "eventId": str(uuid.uuid4()), "inferenceTime": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0"}
    if inference_id:
        record["eventMetadata"]["inferenceId"] = inference_id
    for mode, data, ctype in (("Input", body, content_type), ("Output", out, out_type)):
        if mode not in modes:
            continue
        encoding, observed = _encoding(ctype, capture)
        text = base64.b64encode(data).decode() if encoding == "BASE64" else data.decode("utf-8", errors="replace")
        record["captureData"][f"endpoint{mode}"] = {"observedContentType": observed or "application/octet-stream",
                                                    "mode": mode.upper(), "data": text, "encoding": encoding}
    with CAPTURE_LOCK:
        CAPTURE.setdefault((capture["DestinationS3Uri"], f"{endpoint_name}/{variant}"), []).append(record)


def flush_captures() -> None:
    """Write buffered captured requests as JSON-lines objects, laid out as AWS does."""
    with CAPTURE_LOCK:
        pending = dict(CAPTURE)
        CAPTURE.clear()
    for (destination, path), records in pending.items():
        if not records:
            continue
        now = utcnow()
        try:
            target = s3uri.parse(destination)
            bucket, prefix = target.bucket, target.key
            key = "/".join(x for x in [prefix.rstrip("/"), path, now.strftime("%Y/%m/%d/%H"),
                                       f"{now.strftime('%M-%S-%f')[:-3]}-{uuid.uuid4()}.jsonl"] if x)
            common.s3().put(bucket, key, "\n".join(json.dumps(r) for r in records).encode() + b"\n")
        except Exception:
            log.exception("data capture to %s failed", destination)


def forget_captures() -> None:
    with CAPTURE_LOCK:
        CAPTURE.clear()
