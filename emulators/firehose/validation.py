"""The checks Firehose makes on a delivery stream's configuration before it accepts it (Create, Update, encryption)."""

from __future__ import annotations

from typing import Any

from emulators.core.errors import InvalidInput
from emulators.firehose import delivery

KNOWN_EXPRESSIONS = {"timestamp", "firehose", "partitionKeyFromQuery", "partitionKeyFromLambda"}


def invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="InvalidArgumentException")


def _range_problem(value: Any, where: str, low: int, high: int) -> None:
    if value is None:
        return
    if int(value) > high:
        raise InvalidInput(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
                           f"constraint: Member must have value less than or equal to {high}")
    if int(value) < low:
        raise InvalidInput(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
                           f"constraint: Member must have value greater than or equal to {low}")


def processors(config: dict[str, Any]) -> list[dict[str, Any]]:
    processing = config.get("ProcessingConfiguration") or {}
    return list(processing.get("Processors") or []) if processing.get("Enabled", True) else []


def validate_s3_destination(config: dict[str, Any], where: str = "extendedS3DestinationConfiguration") -> None:
    """The checks Firehose makes on an (Extended) S3 destination before accepting it."""
    hints = config.get("BufferingHints") or {}
    _range_problem(hints.get("SizeInMBs"), f"{where}.bufferingHints.sizeInMBs", 1, 128)
    _range_problem(hints.get("IntervalInSeconds"), f"{where}.bufferingHints.intervalInSeconds", 0, 900)
    prefix, error_prefix = config.get("Prefix") or "", config.get("ErrorOutputPrefix") or ""
    for name, template in (("Prefix", prefix), ("ErrorOutputPrefix", error_prefix)):
        for namespace, value in delivery.EXPRESSION.findall(template):
            if namespace not in KNOWN_EXPRESSIONS or (
                    namespace == "firehose" and value not in ("error-output-type", "random-string")):
                raise invalid(f"{name} {template!r} uses the unknown expression !{{{namespace}:{value}}}: the "
                               "namespaces are timestamp, firehose (error-output-type, random-string), "
                               "partitionKeyFromQuery and partitionKeyFromLambda")
            if name == "Prefix" and namespace == "firehose" and value == "error-output-type":
                raise invalid("The expression !{firehose:error-output-type} is only allowed in ErrorOutputPrefix")
    if delivery.EXPRESSION.search(prefix) and not error_prefix:
        raise invalid("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions")
    dynamic = (config.get("DynamicPartitioningConfiguration") or {}).get("Enabled", False)
    uses_keys = "!{partitionKeyFrom" in prefix
    if uses_keys and not dynamic:
        raise invalid("Prefix uses partitionKeyFromQuery/partitionKeyFromLambda expressions, which need "
                       "DynamicPartitioningConfiguration {'Enabled': True}")
    if dynamic and not uses_keys:
        raise invalid("Dynamic partitioning is enabled: Prefix must contain at least one "
                       "!{partitionKeyFromQuery:...} or !{partitionKeyFromLambda:...} expression")
    conversion = (config.get("DataFormatConversionConfiguration") or {}).get("Enabled", False)
    size = hints.get("SizeInMBs")
    for feature, enabled in (("data format conversion", conversion), ("dynamic partitioning", dynamic)):
        if enabled and size is not None and int(size) < 64:
            raise invalid(f"BufferingHints.SizeInMBs must be at least 64 when {feature} is enabled "
                           f"(got {size})")
    compression = config.get("CompressionFormat") or "UNCOMPRESSED"
    if conversion and compression != "UNCOMPRESSED":
        raise invalid("CompressionFormat must be UNCOMPRESSED when data format conversion is enabled: the "
                       "serializer compresses (ParquetSerDe/OrcSerDe Compression)")
    if conversion:
        serializer = ((config.get("DataFormatConversionConfiguration") or {}).get("OutputFormatConfiguration")
                      or {}).get("Serializer") or {}
        if "ParquetSerDe" not in serializer and "OrcSerDe" not in serializer:
            raise invalid("OutputFormatConfiguration.Serializer needs a ParquetSerDe or an OrcSerDe")
    for processor in processors(config):
        if processor.get("Type") not in ("Lambda", "MetadataExtraction", "AppendDelimiterToRecord",
                                         "RecordDeAggregation", "Decompression", "CloudWatchLogProcessing"):
            raise invalid(f"Processor type {processor.get('Type')!r} is not valid")
        if processor.get("Type") == "Lambda":
            _check_lambda_processor(processor)


def _check_lambda_processor(processor: dict[str, Any]) -> None:
    """A Lambda processor names its function; BufferSizeInMBs is 0.2 to 3 and NumberOfRetries 0 to 300."""
    parameters = {p.get("ParameterName"): p.get("ParameterValue") for p in processor.get("Parameters") or []}
    if not parameters.get("LambdaArn"):
        raise invalid("A Lambda processor needs the LambdaArn parameter")
    for name, low, high in (("BufferSizeInMBs", 0.2, 3.0), ("NumberOfRetries", 0, 300)):
        value = parameters.get(name)
        if value is None:
            continue
        try:
            number = float(value)
        except ValueError:
            raise invalid(f"Processor parameter {name} must be a number, not {value!r}") from None
        if not low <= number <= high or (name == "NumberOfRetries" and number != int(number)):
            raise invalid(f"Processor parameter {name} must be between {low:g} and {high:g}, not {value}")
