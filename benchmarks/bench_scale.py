"""Costs that must not grow with stored state: S3 PUTs while the lake fills, against bare moto.

Both fill a bucket with BENCH_SCALE_OBJECTS 1 KiB objects from 4 client threads and report, per block of
BENCH_SCALE_BLOCK objects, the PUT rate and the p50 / p99 / max latency. Both servers run at once and fill in
turns, block by block, so both see the same machine. The sandbox journals each object
(fsynced before the answer) and does not re-pickle S3 while objects arrive; bare moto keeps nothing.

Then the start with stored state: `sandbox up` to the first answer (HeadObject) and the restore time, with
the filled bucket and with BENCH_SCALE_RESTORE_OBJECTS objects written straight into a state folder by the
persistence code (so that figure does not need that many PUTs), against bare moto's start: medians of
BENCH_SCALE_STARTS starts of each, in turns.

    BENCH_SCALE_OBJECTS=100000 .venv/bin/python benchmarks/bench_scale.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BareMoto, Report, free_port, median, percentile  # noqa: E402

RESTORE_OBJECTS = int(os.environ.get("BENCH_SCALE_RESTORE_OBJECTS", 100_000))

OBJECTS = int(os.environ.get("BENCH_SCALE_OBJECTS", 100_000))
BLOCK = int(os.environ.get("BENCH_SCALE_BLOCK", 10_000))
THREADS = 4
STARTS = int(os.environ.get("BENCH_SCALE_STARTS", 3))  # starts per figure, the median reported


def _client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(max_pool_connections=THREADS * 2, retries={"max_attempts": 1}))


class Filler:
    """Fills one server's bucket, one block of :data:`BLOCK` objects per call."""

    def __init__(self, endpoint: str) -> None:
        self.s3 = _client(endpoint)
        self.s3.create_bucket(Bucket="bench-scale")
        self.body = os.urandom(1024)
        self.pool = ThreadPoolExecutor(THREADS)
        self.blocks: list[tuple[float, float, float, float]] = []  # (rate, p50 ms, p99 ms, max ms) per block

    def put(self, i: int) -> float:
        started = time.perf_counter()
        self.s3.put_object(Bucket="bench-scale", Key=f"lake/{i // 1000:04d}/{i:07d}.bin", Body=self.body)
        return (time.perf_counter() - started) * 1000

    def block(self, start: int) -> None:
        began = time.perf_counter()
        latencies = list(self.pool.map(self.put, range(start, min(start + BLOCK, OBJECTS))))
        elapsed = time.perf_counter() - began
        self.blocks.append((len(latencies) / elapsed, percentile(latencies, 50), percentile(latencies, 99),
                            max(latencies)))


def fill_side_by_side(sandbox: Filler, moto: Filler) -> None:
    """Both fill block by block in turns, the first of each pair alternating, so a change in the machine's load
    during the minutes a fill takes falls on both sides alike."""
    for number, start in enumerate(range(0, OBJECTS, BLOCK)):
        for side in ((moto, sandbox) if number % 2 == 0 else (sandbox, moto)):
            side.block(start)


def start_with_state(state_dir: Path, key: str) -> tuple[float, float]:
    """(seconds from `up` to the first HeadObject answer, restore seconds the server reports)."""
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    config = SandboxConfig(state_dir=state_dir, port=free_port())
    s3 = _client(config.endpoint_url)
    started = time.perf_counter()
    cloud_control.up(config)
    try:
        s3.head_object(Bucket="bench-scale", Key=key)
        seconds = time.perf_counter() - started
        health = cloud_control.status(config).details or {}
    finally:
        cloud_control.down(config)
    return seconds, health.get("restore_seconds", 0.0)


def starts_side_by_side(state_dir: Path, key: str) -> tuple[float, float, float]:
    """Medians over :data:`STARTS` rounds of (sandbox `up` to its first answer, its restore, bare moto's start to
    its first answer), the two started in turns so that both see the same machine."""
    ups, restores, motos = [], [], []
    for _ in range(STARTS):
        with BareMoto() as moto:
            motos.append(moto.ready_seconds)
        up, restore = start_with_state(state_dir, key)
        ups.append(up)
        restores.append(restore)
    return median(ups), median(restores), median(motos)


def main() -> None:
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    report = Report("scale")
    print(f"scale: {OBJECTS} objects of 1 KiB, {THREADS} threads, blocks of {BLOCK}; sandbox vs bare moto")
    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(state_dir=Path(tmp) / "state", port=free_port())
        cloud_control.up(config)
        try:
            with BareMoto() as moto:
                sandbox_filler, moto_filler = Filler(config.endpoint_url), Filler(moto.endpoint)
                fill_side_by_side(sandbox_filler, moto_filler)
            sandbox_blocks, moto_blocks = sandbox_filler.blocks, moto_filler.blocks
            started = time.perf_counter()
            cloud_control.down(config)
            down_seconds = time.perf_counter() - started
        finally:
            cloud_control.down(config)
        up_seconds, restore_seconds, moto_start = starts_side_by_side(config.state_dir, "lake/0000/0000000.bin")
        import subprocess

        stored = Path(tmp) / "stored"
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from _common import "
                        "build_stored_state; build_stored_state(sys.argv[2], 'bench-scale', int(sys.argv[3]))",
                        str(Path(__file__).resolve().parent), str(stored), str(RESTORE_OBJECTS)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        built_up, built_restore, built_moto_start = starts_side_by_side(stored, "old/0000123")
    for index, (sb, mo) in enumerate(zip(sandbox_blocks, moto_blocks)):
        upto = min((index + 1) * BLOCK, OBJECTS)
        report.add(f"PUT/s, objects {index * BLOCK:,}-{upto:,}", sb[0], mo[0], "ops/s", True,
                   f"p50 {sb[1]:.1f} / p99 {sb[2]:.1f} / max {sb[3]:.0f} ms (moto {mo[1]:.1f} / {mo[2]:.1f} / "
                   f"{mo[3]:.0f} ms)")
    report.add(f"down with {OBJECTS:,} objects (s)", down_seconds, None, "s")
    report.add(f"up with {OBJECTS:,} objects, to first answer (s)", up_seconds, moto_start, "s",
               note=f"baseline: bare moto's start to first answer (it keeps nothing); medians of {STARTS}")
    report.add(f"restore with {OBJECTS:,} objects (s)", restore_seconds, None, "s")
    report.add(f"up with {RESTORE_OBJECTS:,} objects written by the persistence code (s)", built_up,
               built_moto_start, "s", note=f"to the first HeadObject answer; medians of {STARTS}")
    report.add(f"restore with {RESTORE_OBJECTS:,} objects (s)", built_restore, None, "s")
    report.save()


if __name__ == "__main__":
    main()
