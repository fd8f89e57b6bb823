"""What the security gate costs on small S3 requests (issue: under 10%).

The same sandbox answers two clients in interleaved rounds: one signs with the default test keys
(the gate verifies the SigV4 signature), the other with a key the sandbox does not know (accepted
unverified, LocalStack's convention), so the difference is the signature check itself. A second
figure times the whole gate (host, origin, signature) in-process on one request's environ.

    .venv/bin/python benchmarks/bench_security.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import Report, free_port  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 6))
PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", 100))


def _client(endpoint: str, key: str, secret: str):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))


def _rate(s3, prefix: str, body: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    for i in range(PER_ROUND):
        s3.put_object(Bucket="bench-security", Key=f"{prefix}/{i:05d}", Body=body)
    put = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(PER_ROUND):
        s3.get_object(Bucket="bench-security", Key=f"{prefix}/{i:05d}")["Body"].read()
    return put, time.perf_counter() - started


def gate_microseconds() -> tuple[float, float]:
    """Microseconds per request for the whole gate, and for the same request with an unknown key."""
    import io

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from emulators.core.gate import SecurityGate

    gate = SecurityGate(4566)
    timings = []
    for key in ("test", "AKIABENCHUNKNOWNKEY1"):
        request = AWSRequest(method="GET", url="http://127.0.0.1:4566/bench-security/small/00001",
                             headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        SigV4Auth(Credentials(key, "test"), "s3", "us-east-1").add_auth(request)
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/bench-security/small/00001", "QUERY_STRING": "",
                   "RAW_URI": "/bench-security/small/00001", "HTTP_HOST": "127.0.0.1:4566",
                   "wsgi.input": io.BytesIO(b"")}
        for name, value in request.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        count = 5000
        started = time.perf_counter()
        for _ in range(count):
            gate.check_host(environ)
            gate.check_origin(environ)
            try:
                gate.authenticate(environ)
            except Exception:  # the unknown key is looked up in IAM's backends: none in this process
                pass
        timings.append((time.perf_counter() - started) / count * 1e6)
    return timings[0], timings[1]


def main() -> None:
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    report = Report("security")
    print(f"security: {ROUNDS} rounds x {PER_ROUND} PUT + GET of 1 KiB, verified vs unverified key")
    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(state_dir=Path(tmp) / "state", port=free_port())
        cloud_control.up(config)
        try:
            verified = _client(config.endpoint_url, "test", "test")
            unverified = _client(config.endpoint_url, "AKIABENCHUNKNOWNKEY1", "anything")
            verified.create_bucket(Bucket="bench-security")
            body = os.urandom(1024)
            _rate(verified, "warm", body)
            totals = {"verified": [0.0, 0.0], "unverified": [0.0, 0.0]}
            for round_number in range(ROUNDS):  # interleaved, so background noise hits both alike
                for name, s3 in (("verified", verified), ("unverified", unverified)):
                    put, get = _rate(s3, f"{name}-{round_number}", body)
                    totals[name][0] += put
                    totals[name][1] += get
            n = ROUNDS * PER_ROUND
            report.add("S3 PUT 1 KiB, signature verified (ops/s)", n / totals["verified"][0],
                       n / totals["unverified"][0], "ops/s", True, "baseline: same requests, unverified key")
            report.add("S3 GET 1 KiB, signature verified (ops/s)", n / totals["verified"][1],
                       n / totals["unverified"][1], "ops/s", True, "baseline: same requests, unverified key")
        finally:
            cloud_control.down(config)
    with_check, without = gate_microseconds()
    report.add("gate per request, in-process (us)", with_check, without, "us", False,
               "host + origin + SigV4 verify vs. unknown key")
    report.save()


if __name__ == "__main__":
    main()
