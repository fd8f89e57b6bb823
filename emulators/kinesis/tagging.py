"""Kinesis tags as AWS keeps them: on streams and on enhanced fan-out consumers, by name or by ARN.

moto answered ``AddTagsToStream`` / ``ListTagsForStream`` / ``RemoveTagsFromStream`` only; the ARN-based
``TagResource`` / ``UntagResource`` / ``ListTagsForResource`` (the ones AWS now recommends) and the ``Tags`` of
``CreateStream`` and ``RegisterStreamConsumer`` were not answered or dropped. A consumer's tags are an attribute
of moto's consumer object, so they are in the snapshot.
"""

from __future__ import annotations

from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import AlreadyExists, InvalidInput, NotFound
from emulators.core.moto_coupling import Request

MAX_TAGS = 50


def _backend(request: Request) -> Any:
    return moto_coupling.backend_for("kinesis", request.account_id, request.region)


def _tag_map(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidInput("Tags must be a map of tag keys to tag values", code="InvalidArgumentException")
    for key in tags:
        if key.lower().startswith("aws:"):
            raise InvalidInput(f"Tag key {key!r} uses the reserved prefix aws:", code="InvalidArgumentException")
    return {str(k): str(v) for k, v in tags.items()}


def _resource(backend: Any, arn: str | None) -> tuple[str, Any]:
    """("stream", stream) or ("consumer", consumer) for a Kinesis ARN; ResourceNotFoundException otherwise."""
    if not arn:
        raise InvalidInput("ResourceARN is required", code="InvalidArgumentException")
    if ":kinesis:" not in arn or ":stream/" not in arn:
        raise InvalidInput(f"{arn} is not a Kinesis stream or consumer ARN", code="InvalidArgumentException")
    for stream in backend.streams.values():
        if stream.arn == arn:
            return "stream", stream
        for consumer in stream.consumers:
            if consumer.consumer_arn == arn:
                return "consumer", consumer
    raise NotFound(f"Resource {arn} under account {backend.account_id} not found.")


def _tags_of(kind: str, resource: Any) -> dict[str, str]:
    if kind == "stream":
        return resource.tags
    if getattr(resource, "sandbox_tags", None) is None:
        resource.sandbox_tags = {}
    return resource.sandbox_tags


def _add(kind: str, resource: Any, tags: dict[str, str], name: str) -> None:
    current = _tags_of(kind, resource)
    if len(set(current) | set(tags)) > MAX_TAGS:
        raise InvalidInput(f"Failed to add tags to {kind} {name}: a {kind} can have at most {MAX_TAGS} tags",
                           code="InvalidArgumentException")
    current.update(tags)


def _tag_resource(request: Request) -> dict[str, Any]:
    kind, resource = _resource(_backend(request), request.get("ResourceARN"))
    _add(kind, resource, _tag_map(request.get("Tags")), request.get("ResourceARN"))
    return {}


def _untag_resource(request: Request) -> dict[str, Any]:
    kind, resource = _resource(_backend(request), request.get("ResourceARN"))
    current = _tags_of(kind, resource)
    for key in request.get("TagKeys") or []:
        current.pop(key, None)
    return {}


def _list_tags_for_resource(request: Request) -> dict[str, Any]:
    kind, resource = _resource(_backend(request), request.get("ResourceARN"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(_tags_of(kind, resource).items())]}


def _create_stream(request: Request) -> dict[str, Any]:
    """CreateStream with its Tags; a second stream of a name answers AWS's ResourceInUseException wording."""
    backend = _backend(request)
    name = request.get("StreamName")
    tags = _tag_map(request.get("Tags"))
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"A stream can have at most {MAX_TAGS} tags", code="InvalidArgumentException")
    if name in backend.streams:
        raise AlreadyExists(f"Stream {name} under account {backend.account_id} already exists.")
    stream = backend.create_stream(name, request.get("ShardCount"), stream_mode=request.get("StreamModeDetails"))
    stream.tags.update(tags)
    return {}


def _register_stream_consumer(request: Request) -> dict[str, Any]:
    tags = _tag_map(request.get("Tags"))
    consumer = _backend(request).register_stream_consumer(request.get("StreamARN"), request.get("ConsumerName"))
    if tags:
        _add("consumer", consumer, tags, consumer.consumer_name)
    return {"Consumer": consumer.to_json()}


def install() -> None:
    for operation, handler in (("tag_resource", _tag_resource), ("untag_resource", _untag_resource),
                               ("list_tags_for_resource", _list_tags_for_resource),
                               ("create_stream", _create_stream),
                               ("register_stream_consumer", _register_stream_consumer)):
        moto_coupling.add_operation("kinesis", "KinesisResponse", operation, handler)
