"""Raw HTTP against the sandbox, signed the way botocore signs (or deliberately not)."""

from __future__ import annotations

from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def send(endpoint: str, method: str, path: str, body: bytes | str = b"", headers: dict[str, str] | None = None,
         service: str | None = None, key: str = "test", secret: str = "test", region: str = "us-east-1",
         timeout: float = 30) -> requests.Response:
    """One request; signed with SigV4 for ``service`` unless ``service`` is None."""
    headers = dict(headers or {})
    data = body.encode() if isinstance(body, str) else body
    if service is not None:
        request = AWSRequest(method=method, url=endpoint + path, data=data, headers=headers)
        if service == "s3":
            request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
        headers = dict(request.headers.items())
    return requests.request(method, endpoint + path, data=data, headers=headers, timeout=timeout,
                            allow_redirects=False)


def json_call(endpoint: str, service: str, target: str, body: bytes | str, **kwargs: Any) -> requests.Response:
    """A JSON-protocol call (X-Amz-Target) with a body of our choosing."""
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1", **kwargs.pop("headers", {})}
    return send(endpoint, "POST", "/", body, headers, service=service, **kwargs)


def error_code(response: requests.Response) -> str:
    text = response.text
    if text.lstrip().startswith("{"):
        import json

        return json.loads(text).get("__type", "")
    import re

    match = re.search(r"<Code>([^<]+)</Code>", text)
    return match.group(1) if match else ""
