"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(endpoint: str, service: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))


class BareMoto:
    """moto's own server (``python -m moto.server``) as the baseline."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.ready_seconds = 0.0

    def __enter__(self) -> BareMoto:
        started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.endpoint}/", timeout=0.5).read()  # S3 ListBuckets
                break
            except OSError:
                time.sleep(0.02)
        self.ready_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:  # a busy machine: do not let the baseline outlive the run
                self.process.kill()
                self.process.wait(10)


@contextmanager
def sandbox_cloud() -> Iterator[tuple[Any, Any]]:
    """A sandbox of its own (temporary state folder, free port) for one benchmark: (config, session)."""
    import os

    import sandbox
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    with tempfile.TemporaryDirectory() as state:
        config = SandboxConfig(state_dir=Path(state), port=free_port())
        cloud_control.up(config)
        saved = {k: os.environ.get(k) for k in ("SANDBOX_PORT", "SANDBOX_STATE_DIR")}
        os.environ["SANDBOX_PORT"], os.environ["SANDBOX_STATE_DIR"] = str(config.port), state
        try:
            yield config, sandbox.connect(start=False)
        finally:
            cloud_control.down(config)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_stored_state(state_dir: str, bucket: str, count: int) -> None:
    """A state folder holding ``count`` 3-byte objects, written by the sandbox's own persistence code (moto's
    S3 backend in this process, then the final snapshot) instead of ``count`` HTTP PUTs. Run it in a process
    of its own: it starts an embedded cloud."""
    from emulators.core import moto_coupling
    from emulators.core.server import EmbeddedCloud

    cloud = EmbeddedCloud(state_dir, port=0)
    cloud.start()
    s3 = moto_coupling.s3_backend()
    s3.create_bucket(bucket, "us-east-1")
    for i in range(count):
        s3.put_object(bucket, f"old/{i:07d}", b"old")
    cloud.store.mark_dirty()
    cloud.shutdown()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


class Report:
    """Collects rows and prints them as a table: metric, sandbox, baseline, ratio."""

    def __init__(self, area: str) -> None:
        self.area = area
        self.rows: list[dict[str, Any]] = []

    def add(self, metric: str, sandbox: float, baseline: float | None = None, unit: str = "",
            higher_is_better: bool = False, note: str = "") -> None:
        ratio = None
        if baseline:
            ratio = sandbox / baseline
        self.rows.append({"metric": metric, "sandbox": sandbox, "baseline": baseline, "unit": unit,
                          "ratio": ratio, "higher_is_better": higher_is_better, "note": note})
        base = f"{baseline:,.3f}" if baseline is not None else "-"
        rat = f"{ratio:.2f}x" if ratio is not None else "-"
        print(f"  {metric:<48} {sandbox:>12,.3f} {base:>12} {unit:<8} ratio {rat:>7}  {note}", flush=True)

    def save(self) -> None:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{self.area}.json").write_text(json.dumps(self.rows, indent=2))
