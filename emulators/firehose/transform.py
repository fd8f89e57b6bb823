"""Firehose's Lambda data transformation: the function gets batches of records in Firehose's event and answers
each recordId with Ok, Dropped or ProcessingFailed (the record/result contract of the developer guide)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from emulators.core import ports
from emulators.firehose import delivery

MB = 1024 * 1024


def _parameter(processor: dict[str, Any], name: str, default: str | None = None) -> str | None:
    return next((q.get("ParameterValue") for q in processor.get("Parameters") or []
                 if q.get("ParameterName") == name), default)


LAMBDA_RESULTS = ("Ok", "Dropped", "ProcessingFailed")


def transform(account: str, region: str, stream: Any, processor: dict[str, Any],
               records: list[tuple[bytes, int]]
               ) -> tuple[list[tuple[bytes, int, dict[str, str] | None]], list[bytes]]:
    """A Lambda processor: invoke the function on batches of records (AWS's event and response contract).

    Returns the records to deliver (``Ok`` data with the ``metadata.partitionKeys`` the
    function gave, for ``!{partitionKeyFromLambda:...}``; ``Dropped`` ones are gone) and the
    processing-failed error lines (``ProcessingFailed``, missing record IDs, function errors).
    """
    arn = _parameter(processor, "LambdaArn", "") or ""
    retries = int(_parameter(processor, "NumberOfRetries", "3") or 3)
    batch_bytes = int(float(_parameter(processor, "BufferSizeInMBs", "1") or 1) * MB)
    delivered: list[tuple[bytes, int, dict[str, str] | None]] = []
    failed: list[bytes] = []
    batches: list[list[tuple[bytes, int]]] = [[]]
    size = 0
    for record in records:
        if batches[-1] and size + len(record[0]) > batch_bytes:
            batches.append([])
            size = 0
        batches[-1].append(record)
        size += len(record[0])
    for batch in batches:
        if not batch:
            continue
        ids = {f"{arrival}{i:010d}{uuid.uuid4().int % 10**20:020d}": (data, arrival)
               for i, (data, arrival) in enumerate(batch)}
        event = {"invocationId": str(uuid.uuid4()), "deliveryStreamArn": stream.delivery_stream_arn,
                 "region": region,
                 "records": [{"recordId": rid, "approximateArrivalTimestamp": arrival,
                              "data": base64.b64encode(data).decode()} for rid, (data, arrival) in ids.items()]}
        attempts, problem, answer = 0, None, None
        while attempts <= retries:
            attempts += 1
            try:
                payload, function_error = ports.invoke_lambda(arn, event, account, region)
            except ports.PortUnavailable as exc:
                problem = ("Lambda.ServiceUnavailable", str(exc))
                break
            except Exception as exc:  # moto's and the sandbox's AWS errors (unknown function, runtime)
                name = getattr(exc, "error_type", None) or getattr(exc, "code", None) or type(exc).__name__
                code = {"ResourceNotFoundException": "Lambda.ResourceNotFound"}.get(name, f"Lambda.{name}")
                problem = (code, str(getattr(exc, "message", None) or exc))
                break  # not worth a retry
            if function_error:
                try:
                    message = json.loads(payload).get("errorMessage", payload.decode())
                except (ValueError, AttributeError):
                    message = payload.decode(errors="replace")
                problem = ("Lambda.FunctionError", f"The Lambda function was successfully invoked but it returned an "
                                                   f"error result: {message}")
                continue
            problem = None
            try:
                answer = json.loads(payload)
                if not isinstance(answer, dict) or not isinstance(answer.get("records"), list):
                    raise ValueError("the response has no 'records' list")
            except ValueError as exc:
                problem, answer = ("Lambda.JsonProcessingException", f"Check the returned payload: {exc}"), None
            break
        if answer is None:
            code, message = problem or ("Lambda.FunctionError", "no response")
            failed.extend(delivery.error_record(data, code, message, arrival, lambda_arn=arn, attempts=attempts)
                          for data, arrival in batch)
            continue
        seen: set[str] = set()
        for item in answer["records"]:
            rid = item.get("recordId") if isinstance(item, dict) else None
            if rid not in ids or rid in seen:
                continue  # unknown or repeated IDs: the originals are reported below as missing
            seen.add(rid)
            data, arrival = ids[rid]
            result = item.get("result")
            if result == "Dropped":
                continue
            if result == "Ok":
                keys = (item.get("metadata") or {}).get("partitionKeys")
                keys = {str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else None
                try:
                    delivered.append((base64.b64decode(item.get("data") or "", validate=True), arrival, keys))
                except ValueError:
                    failed.append(delivery.error_record(data, "Lambda.JsonProcessingException",
                                                        f"record {rid}: data is not base64", arrival, lambda_arn=arn))
                continue
            if result == "ProcessingFailed":
                failed.append(delivery.error_record(data, "Lambda.ProcessingFailedStatus",
                                                    "ProcessingFailed status set for record", arrival, lambda_arn=arn))
            else:
                failed.append(delivery.error_record(
                    data, "Lambda.JsonProcessingException",
                    f"record {rid}: result {result!r} is not one of {', '.join(LAMBDA_RESULTS)}", arrival,
                    lambda_arn=arn))
        unknown = [item.get("recordId") for item in answer["records"]
                   if isinstance(item, dict) and item.get("recordId") not in ids]
        for rid, (data, arrival) in ids.items():
            if rid not in seen:
                failed.append(delivery.error_record(
                    data, "Lambda.MissingRecordId",
                    f"recordId {rid} is missing from the function's response"
                    + (f" (it returned unknown recordIds {unknown[:3]})" if unknown else ""), arrival, lambda_arn=arn))
    return delivered, failed
