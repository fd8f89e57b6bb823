"""DynamoDB export to S3 (ExportTableToPointInTime, DescribeExport, ListExports) as the developer guide describes it.

The export runs in the background (IN_PROGRESS, then COMPLETED or FAILED) and writes AWS's layout under
``<S3Prefix>/AWSDynamoDB/<export id>/``: ``_started``, ``data/<name>.json.gz`` (one ``{"Item": ...}`` line per
item, DynamoDB JSON), ``manifest-files.json`` (one line per data file), ``manifest-summary.json`` and their
``.md5`` files. The ARN is ``<table ARN>/export/<export id>`` (moto nested the table ARN in itself and said
``import``). Point-in-time recovery must be enabled (PointInTimeRecoveryUnavailableException). The items
exported are the table's items when the export starts: an ``ExportTime`` in the past is accepted inside the
recovery window but the table's history is not kept. Not emulated: ``ION`` output and incremental exports
(ValidationException saying so).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from emulators.core import moto_coupling, paging
from emulators.core.errors import Conflict, InvalidInput, NotFound, ServiceError
from emulators.core.moto_coupling import Request
from emulators.core.s3access import S3Error, s3_access
from emulators.core.server import current_cloud

LIST_EXPORTS = "dynamodb:list_exports:"


def _backend(request: Request) -> Any:
    return moto_coupling.backend_for("dynamodb", request.account_id, request.region)


def _exports(backend: Any) -> dict[str, dict[str, Any]]:
    if getattr(backend, "sandbox_exports", None) is None:
        backend.sandbox_exports = {}
        backend.sandbox_export_tokens = {}
    return backend.sandbox_exports


def _table_of_arn(backend: Any, arn: str | None) -> Any:
    name = (arn or "").split(":table/", 1)[-1].split("/", 1)[0] if arn and ":table/" in arn else None
    table = backend.tables.get(name) if name else None
    if table is None:
        raise ServiceError(f"Table not found: {arn}", code="TableNotFoundException")
    return table


def _seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _export_table(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    table = _table_of_arn(backend, request.get("TableArn"))
    bucket = request.get("S3Bucket")
    if not bucket:
        raise InvalidInput("1 validation error detected: Value null at 's3Bucket' failed to satisfy constraint: "
                           "Member must not be null")
    export_format = request.get("ExportFormat") or "DYNAMODB_JSON"
    export_type = request.get("ExportType") or "FULL_EXPORT"
    if export_format != "DYNAMODB_JSON":
        raise InvalidInput(f"ExportFormat {export_format} is not emulated by the sandbox: use DYNAMODB_JSON")
    if export_type != "FULL_EXPORT":
        raise InvalidInput(f"ExportType {export_type} is not emulated by the sandbox (it needs the table's change "
                           "history): use FULL_EXPORT")
    pitr = (table.continuous_backups.get("PointInTimeRecoveryDescription") or {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise ServiceError(f"Point in time recovery is not enabled for table '{table.name}'",
                           code="PointInTimeRecoveryUnavailableException")
    now = time.time()
    export_time = request.get("ExportTime")
    if export_time is not None:
        moment = _seconds(export_time)
        earliest = _seconds(pitr.get("EarliestRestorableDateTime") or now)
        if moment > now + 1 or moment < earliest - 1:
            raise ServiceError(f"Export time {datetime.fromtimestamp(moment, timezone.utc).isoformat()} is outside "
                               "the table's point-in-time recovery window", code="InvalidExportTimeException")
    else:
        moment = now
    exports = _exports(backend)
    token = request.get("ClientToken")
    asked = [table.table_arn, bucket, request.get("S3Prefix"), export_format, export_type]
    if token and token in backend.sandbox_export_tokens:
        arn, earlier = backend.sandbox_export_tokens[token]
        if earlier != asked:
            raise Conflict(f"There was a conflict when writing to the specified S3 bucket: ClientToken {token} was "
                           "used for another export", code="ExportConflictException")
        return {"ExportDescription": dict(exports[arn])}
    export_id = f"{int(now * 1000):014d}-{secrets.token_hex(4)}"
    arn = f"{table.table_arn}/export/{export_id}"
    prefix = request.get("S3Prefix") or ""
    base = f"{prefix.rstrip('/')}/AWSDynamoDB/{export_id}" if prefix else f"AWSDynamoDB/{export_id}"
    description: dict[str, Any] = {
        "ExportArn": arn, "ExportStatus": "IN_PROGRESS", "StartTime": now, "TableArn": table.table_arn,
        "TableId": getattr(table, "table_id", None) or str(uuid.uuid5(uuid.NAMESPACE_URL, table.table_arn)),
        "ExportTime": moment, "ClientToken": token or uuid.uuid4().hex, "S3Bucket": bucket,
        "S3BucketOwner": request.get("S3BucketOwner") or backend.account_id, "S3SseAlgorithm":
        request.get("S3SseAlgorithm") or "AES256", "ExportFormat": export_format, "ExportType": export_type,
        "ExportManifest": f"{base}/manifest-summary.json"}
    if prefix:
        description["S3Prefix"] = prefix
    exports[arn] = description
    if token:
        backend.sandbox_export_tokens[token] = (arn, asked)
    items = [item.to_json(root_attr_name="Item") for item in table.all_items()]
    current_cloud().submit(_write_export, backend.account_id, description, base, items)
    return {"ExportDescription": dict(description)}


def _write_export(account: str, description: dict[str, Any], base: str, items: list[dict[str, Any]]) -> None:
    """The export's files in S3, then its final status."""
    access = s3_access(account)
    bucket = description["S3Bucket"]
    outcome: dict[str, Any]
    try:
        if not access.bucket_exists(bucket):
            raise S3Error("S3NoSuchBucket", "The specified bucket does not exist")
        access.put(bucket, f"{base}/_started", b"")
        lines = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items).encode()
        data_key = f"{base}/data/{secrets.token_hex(13)}.json.gz"
        body = gzip.compress(lines)
        access.put(bucket, data_key, body)
        files = json.dumps({"itemCount": len(items), "md5Checksum": hashlib.md5(body).hexdigest(),
                            "etag": hashlib.md5(body).hexdigest(), "dataFileS3Key": data_key}) + "\n"
        end = time.time()
        summary = json.dumps({
            "version": "2020-06-30", "exportArn": description["ExportArn"],
            "startTime": _iso(description["StartTime"]), "endTime": _iso(end), "tableArn": description["TableArn"],
            "tableId": description["TableId"], "exportTime": _iso(description["ExportTime"]), "s3Bucket": bucket,
            "s3Prefix": description.get("S3Prefix"), "s3SseAlgorithm": description["S3SseAlgorithm"],
            "s3SseKmsKeyId": None, "manifestFilesS3Key": f"{base}/manifest-files.json",
            "billedSizeBytes": len(lines), "itemCount": len(items), "outputFormat": description["ExportFormat"],
            "exportType": description["ExportType"]}, indent=2)
        for name, text in (("manifest-files", files), ("manifest-summary", summary)):
            access.put(bucket, f"{base}/{name}.json", text.encode())
            access.put(bucket, f"{base}/{name}.md5", hashlib.md5(text.encode()).hexdigest().encode())
        outcome = {"ExportStatus": "COMPLETED", "EndTime": end, "ItemCount": len(items),
                   "BilledSizeBytes": len(lines)}
    except S3Error as exc:
        outcome = {"ExportStatus": "FAILED", "EndTime": time.time(), "FailureCode": exc.code,
                   "FailureMessage": str(exc)}
    with current_cloud().mutating():
        description.update(outcome)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _describe_export(request: Request) -> dict[str, Any]:
    arn = request.get("ExportArn")
    description = _exports(_backend(request)).get(arn)
    if description is None:
        raise NotFound(f"Export not found: {arn}", code="ExportNotFoundException")
    return {"ExportDescription": dict(description)}


def _list_exports(request: Request) -> dict[str, Any]:
    backend = _backend(request)
    table_arn = request.get("TableArn")
    token = request.get("NextToken")
    listing = LIST_EXPORTS + (table_arn or "")
    found = [d for d in _exports(backend).values() if not table_arn or d["TableArn"] == table_arn]
    page, next_token = paging.page(found, token, request.get("MaxResults"), listing=listing, default_size=25,
                                   max_size=25)
    result: dict[str, Any] = {"ExportSummaries": [{"ExportArn": d["ExportArn"], "ExportStatus": d["ExportStatus"],
                                                   "ExportType": d["ExportType"]} for d in page]}
    if next_token:
        result["NextToken"] = next_token
    return result


def install() -> None:
    for operation, handler in (("export_table_to_point_in_time", _export_table),
                               ("describe_export", _describe_export), ("list_exports", _list_exports)):
        moto_coupling.add_operation("dynamodb", "DynamoHandler", operation, handler)
