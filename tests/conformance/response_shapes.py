"""Check boto3 responses against the botocore output shapes of their operations.

``shape_problems(value, shape)`` walks a parsed response and the botocore ``Shape`` of the
operation's output together and lists what AWS's model would not accept: a member the model
does not name, a required member that is missing, a value of the wrong type, a string outside
its enum. ``ResponseRecorder`` hooks botocore's ``after-call`` event of a boto3 session, so every
successful response a test receives through clients of that session is checked as it arrives;
the ``checked_responses`` fixture (imported by the conformance test modules) fails a test whose
responses have a problem that is not a known gap (``KNOWN_GAPS``, listed in docs/conformance.md).
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

# (service, operation, path) of problems we know about and have not fixed; docs/conformance.md lists them.
# A path ends with the member name; "*" matches any operation of the service.
KNOWN_GAPS: dict[tuple[str, str, str], str] = {
    ("sagemaker", "DescribeTrainingJob", "ModelArtifacts"):
        "required in the model; the sandbox returns it once the job has uploaded model.tar.gz (what AWS returns "
        "while a job runs is not documented)",
}

# Members botocore's model leaves optional that AWS returns in every answer, so SDKs read them without a
# check: the SageMaker Python SDK's Estimator.attach reads these unconditionally (estimator.py,
# _prepare_init_params_from_job_description). Keyed by output shape name, then member path.
ALWAYS_RETURNED: dict[str, tuple[str, ...]] = {
    "DescribeTrainingJobResponse": ("RoleArn", "ResourceConfig", "AlgorithmSpecification", "OutputDataConfig",
                                    "HyperParameters", "EnableNetworkIsolation"),
    "DescribeTrainingJobResponse.OutputDataConfig": ("S3OutputPath", "KmsKeyId"),
    "DescribeTrainingJobResponse.ResourceConfig": ("InstanceType", "InstanceCount", "VolumeSizeInGB"),
}


def shape_problems(value: Any, shape: Any, path: str = "", root: str | None = None) -> list[str]:
    """Every way ``value`` differs from the botocore ``shape`` (an empty list when it conforms)."""
    root = root or shape.name
    kind = shape.type_name
    where = path or "<response>"
    if kind == "structure":
        if shape.serialization.get("eventstream"):
            return []  # an event stream (SubscribeToShard): botocore parses its events as they are read
        if not isinstance(value, dict):
            return [f"{where}: expected a structure, got {type(value).__name__}"]
        problems = []
        members = shape.members
        always = ALWAYS_RETURNED.get(f"{root}.{path}" if path else root, ())
        for name in [*shape.required_members, *always]:
            if name not in value and not _located_outside_body(members.get(name)):
                problems.append(f"{_join(path, name)}: required member missing")
        for name, item in value.items():
            if not path and name == "ResponseMetadata":
                continue
            if name not in members:
                problems.append(f"{_join(path, name)}: not a member of {shape.name}")
                continue
            problems.extend(shape_problems(item, members[name], _join(path, name), root))
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        problems = []
        for index, item in enumerate(value):
            problems.extend(shape_problems(item, shape.member, f"{path}[{index}]", root))
        return problems
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {type(value).__name__}"]
        problems = []
        for key, item in value.items():
            problems.extend(shape_problems(key, shape.key, f"{path}<key>", root))
            problems.extend(shape_problems(item, shape.value, f"{path}[{key!r}]", root))
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {type(value).__name__} {value!r:.60}"]
        enum = shape.enum
        if enum and value not in enum:
            return [f"{where}: {value!r} is not one of {shape.name}'s values"]
        return []
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{where}: expected an integer, got {type(value).__name__} {value!r:.60}"]
        return []
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: expected a number, got {type(value).__name__} {value!r:.60}"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {type(value).__name__}"]
    if kind == "timestamp":
        if not isinstance(value, datetime.datetime):
            return [f"{where}: expected a timestamp, got {type(value).__name__} {value!r:.60}"]
        return []
    if kind == "blob":
        if isinstance(value, (bytes, bytearray)) or hasattr(value, "read"):
            return []
        return [f"{where}: expected a blob, got {type(value).__name__}"]
    return []


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _located_outside_body(member: Any) -> bool:
    # members carried in headers or the status code are filled by botocore only when present
    return member is not None and member.serialization.get("location") in ("header", "headers", "statusCode")


@dataclass
class CheckedCall:
    service: str
    operation: str
    problems: list[str]


@dataclass
class ResponseRecorder:
    """Checks every successful response of the clients of the sessions it is attached to."""

    calls: list[CheckedCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _attached: set[int] = field(default_factory=set)

    def attach(self, boto3_session: Any) -> None:
        """Check the responses of clients made from ``boto3_session`` from now on."""
        if id(boto3_session) in self._attached:
            return
        self._attached.add(id(boto3_session))
        boto3_session.events.register("after-call.*.*", self._after_call, unique_id="conformance-response-shapes")

    def _after_call(self, http_response: Any = None, parsed: Any = None, model: Any = None, **_: Any) -> None:
        if model is None or parsed is None or http_response is None or http_response.status_code >= 300:
            return
        output = model.output_shape
        problems = shape_problems(parsed, output) if output is not None else []
        service = model.service_model.service_name
        with self.lock:
            self.calls.append(CheckedCall(service, model.name, problems))

    def mark(self) -> int:
        with self.lock:
            return len(self.calls)

    def since(self, mark: int) -> list[CheckedCall]:
        with self.lock:
            return list(self.calls[mark:])


RECORDER = ResponseRecorder()


def is_known_gap(service: str, operation: str, problem: str) -> bool:
    path = problem.split(":", 1)[0]
    return any(s == service and o in (operation, "*") and path.endswith(p) for (s, o, p) in KNOWN_GAPS)


def unexpected_problems(calls: list[CheckedCall]) -> list[str]:
    return [f"{c.service}.{c.operation}: {p}" for c in calls for p in c.problems
            if not is_known_gap(c.service, c.operation, p)]


@pytest.fixture(autouse=True)
def checked_responses(aws):
    """Fail the test when a response it received does not match its botocore output shape."""
    RECORDER.attach(aws.boto3_session)
    mark = RECORDER.mark()
    yield RECORDER
    problems = unexpected_problems(RECORDER.since(mark))
    assert not problems, "responses that do not match botocore's output shapes:\n" + "\n".join(
        sorted(set(problems)))
