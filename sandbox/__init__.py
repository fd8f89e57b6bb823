"""The learner's kit for the offline AWS data & ML sandbox.

    import sandbox
    aws = sandbox.connect()            # starts the local cloud if none is running
    s3 = aws.client("s3")              # a plain boto3 client on the sandbox endpoint

Heavy parts (PySpark, MLflow, pandas) are imported where they are used, so
``import sandbox`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sandbox.session import SandboxSession


def connect(start: bool = True, **kwargs: Any) -> "SandboxSession":
    """A session whose ``.client(name)`` / ``.resource(name)`` talk to the sandbox.

    Starts the embedded cloud in the background when ``start`` is true and no
    endpoint answers. See :func:`sandbox.session.connect`.
    """
    from sandbox.session import connect as _connect

    return _connect(start=start, **kwargs)


__all__ = ["connect", "__version__"]
