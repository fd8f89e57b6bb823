"""The sandbox console: see and drive the local cloud in a browser, at ``/_console/``.

Server-side rendered pages in the AWS console's vocabulary (breadcrumbs, service navigation,
"Name / Status / Creation time" tables) for S3, Glue, Athena, Redshift, Kinesis, Firehose,
Lambda, EventBridge, Step Functions, SageMaker and CloudWatch, plus an overview. Everything a
page shows is fetched with boto3 clients on the sandbox's own endpoint, so it is what boto3
returns; charts and graphs are SVG drawn on the server; there is no JavaScript and nothing is
loaded from the network.

The server hands every request under ``/_console/`` to :func:`wsgi_app`. Console requests carry
no AWS signature: the app signs the user in with the per-start admin token (``sandbox console``
opens ``/_console/?token=...``), keeps a session cookie (HttpOnly, SameSite=Strict) and requires a
CSRF token on every POST. See :mod:`emulators.console.app`.

Not emulated: IAM sign-in, multiple accounts or regions (us-east-1 of account 123456789012 only),
and the AWS console's editing wizards (resources are created with boto3, the CLI or the SDKs; the
console uploads and deletes objects, runs queries and invokes functions and endpoints).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

_apps: dict[int, Any] = {}
_lock = threading.Lock()


def wsgi_app(cloud: Any, environ: dict[str, Any], start_response: Callable) -> Any:
    """Answer one request under ``/_console/`` for the running ``cloud``."""
    app = _apps.get(id(cloud))
    if app is None or app.cloud is not cloud:
        with _lock:
            app = _apps.get(id(cloud))
            if app is None or app.cloud is not cloud:
                from emulators.console.app import ConsoleApp

                app = _apps[id(cloud)] = ConsoleApp(cloud)
    return app(environ, start_response)
