"""AWS errors: the typed hierarchy services raise, and the refusals the server core answers itself.

Services raise a class of the hierarchy below (:class:`NotFound`,
:class:`InvalidInput`, ...), each carrying its default AWS code; a service whose
API names the error differently passes ``code=`` (Glue's
``EntityNotFoundException``, SageMaker's ``ResourceNotFound``). moto serialises
them in the caller's protocol. Engines never raise these: they raise their own
exceptions, which the service's API layer maps once with :func:`map_errors`.

The server core answers some requests itself, before any service sees them,
with an :class:`AwsRefusal`.

An :class:`AwsRefusal` carries the HTTP status, the AWS error code and the
protocol of the request, and renders the body that protocol's clients parse
(boto3 raises a ``ClientError`` with that code):

- ``s3`` (REST-XML): ``<Error><Code>..</Code><Message>..</Message></Error>``
- ``query`` (IAM, STS, SNS, Redshift): ``<ErrorResponse><Error><Type>Sender</Type>...``
- ``json`` / ``rest-json``: ``{"__type": code, "message": ...}`` plus ``x-amzn-ErrorType``
"""

from __future__ import annotations

import json
import os
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from emulators.core.security import json_content_type

from emulators.core.moto_coupling import AwsError

STATUS_TEXT = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 411: "Length Required", 413: "Request Entity Too Large",
               500: "Internal Server Error", 501: "Not Implemented"}


class AwsRefusal(Exception):
    """A request the sandbox answers with an AWS error without passing it on."""

    def __init__(self, status: int, code: str, message: str, protocol: str = "json",
                 headers: list[tuple[str, str]] | None = None, message_member: str = "message") -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.protocol = protocol
        self.headers = headers or []
        self.message_member = message_member  # a JSON error's message member, as the service's model spells it

    @property
    def status_line(self) -> str:
        return f"{self.status} {STATUS_TEXT.get(self.status, 'Error')}"

    def render(self) -> tuple[str, list[tuple[str, str]], bytes]:
        request_id = str(uuid.uuid4())
        if self.protocol in ("json", "rest-json"):
            body = json.dumps({"__type": self.code, self.message_member: self.message}).encode()
            content_type = "application/x-amz-json-1.1" if self.protocol == "json" else "application/json"
            headers = [("Content-Type", content_type), ("x-amzn-ErrorType", self.code),
                       ("x-amzn-RequestId", request_id)]
        elif self.protocol == "s3":
            body = (f"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>{escape(self.code)}</Code>"
                    f"<Message>{escape(self.message)}</Message><RequestId>{request_id}</RequestId></Error>"
                    ).encode()
            headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        else:
            kind = "Receiver" if self.status >= 500 else "Sender"
            body = (f"<?xml version='1.0' encoding='UTF-8'?>\n<ErrorResponse><Error><Type>{kind}</Type>"
                    f"<Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message></Error>"
                    f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        return self.status_line, headers + self.headers + [("Content-Length", str(len(body)))], body


def input_refusal(exc: BaseException, protocol: str) -> AwsRefusal:
    """The 400 for a request whose parameters could not be read (see :func:`is_input_fault`)."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    parse = isinstance(exc, (UnicodeDecodeError, RecursionError, ValueError)) and \
        not isinstance(exc, (KeyError, IndexError))
    if protocol == "s3":
        code = "MalformedXML" if "xml" in type(exc).__module__.lower() or "Expat" in type(exc).__name__ \
            else "InvalidRequest"
    elif protocol == "query":
        code = "ValidationError"
    else:
        code = "SerializationException" if parse else "ValidationException"
    return AwsRefusal(400, code, "The request's parameters could not be read: a required parameter is missing or "
                      f"malformed ({detail}). Check the request against the operation's API reference.", protocol)


def is_input_fault(exc: BaseException) -> bool:
    """Whether moto failed on the request's input (a missing or malformed parameter) rather than on its own work.

    Parsing errors are always input faults; lookup and type errors count when they happen where moto reads
    the request's parameters (its ``responses.py``), and ``None`` used as a value means a missing parameter.
    """
    import xml.etree.ElementTree as ElementTree
    from xml.parsers.expat import ExpatError

    if isinstance(exc, (UnicodeDecodeError, RecursionError, json.JSONDecodeError, ExpatError,
                        ElementTree.ParseError)):
        return True
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f"{os.sep}moto{os.sep}" in f.filename]
    if not frames:
        return False
    if isinstance(exc, AttributeError) and "'NoneType' object" in str(exc):
        return True
    return isinstance(exc, (KeyError, IndexError, TypeError, ValueError, AttributeError)) and \
        frames[-1].filename.endswith("responses.py")


def error_answer(environ: dict[str, Any], start_response: Callable, status: str, code: str,
                 message: str) -> list[bytes]:
    """An error body boto3 parses for any protocol: JSON for JSON requests, XML otherwise."""
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" in content_type or environ.get("HTTP_X_AMZ_TARGET"):
        data = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", json_content_type(environ)), ("x-amzn-ErrorType", code)]
    else:
        data = (
            f"<?xml version='1.0' encoding='UTF-8'?><ErrorResponse><Error><Code>{code}</Code>"
            f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    start_response(status, headers + [("Content-Length", str(len(data)))])
    return [data]


# -- the typed hierarchy services raise ------------------------------------------------


class ServiceError(AwsError):
    """An AWS error with a default code; ``code=`` overrides it for a service's own name."""

    code: ClassVar[str] = "InternalFailure"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(code or type(self).code, message)


class InvalidInput(ServiceError):
    """The request is well-formed but its values are not acceptable."""

    code = "ValidationException"


class NotFound(ServiceError):
    """The named resource does not exist."""

    code = "ResourceNotFoundException"


class AlreadyExists(ServiceError):
    """A resource of that name exists already."""

    code = "ResourceInUseException"


class Conflict(ServiceError):
    """The resource is not in a state that allows the operation."""

    code = "ConflictException"


class LimitExceeded(ServiceError):
    """A documented AWS limit would be passed."""

    code = "LimitExceededException"


class NotEmulated(ServiceError):
    """AWS would do this, the sandbox does not (the service's fidelity declaration says so)."""

    code = "UnsupportedOperationException"


@contextmanager
def map_errors(mapping: dict[type[BaseException], Callable[[BaseException], AwsError]]) -> Iterator[None]:
    """Turn an engine's exceptions into AWS errors at the API boundary, in one place.

    ``with map_errors({QueryFailed: lambda e: InvalidInput(str(e), code="InvalidRequestException")}): ...``
    """
    try:
        yield
    except AwsError:
        raise
    except tuple(mapping) as exc:  # type: ignore[misc]
        for kind, make in mapping.items():
            if isinstance(exc, kind):
                raise make(exc) from exc
        raise
