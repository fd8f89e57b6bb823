"""An acknowledged S3 object survives kill -9 (the S3 journal), with a near-empty state and a full one.

AWS's promise for S3 is that a successful PUT is durable; the sandbox keeps it the same way: the body's
blob and a journal record are on disk (fsync, group commit) before the response leaves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox import cloud as cloud_control
from sandbox.config import SandboxConfig
from tests.helpers.cloud import free_port


def _client(config: SandboxConfig):
    import boto3
    import botocore.session
    from botocore.config import Config

    # LastModified is not looked at here: left unparsed, listing 100,000 keys costs the test a third of the CPU
    # (dateutil parsed each timestamp: ~10 s of a worker's CPU per count of the stored objects)
    session = botocore.session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
    return boto3.Session(botocore_session=session).client(
        "s3", endpoint_url=config.endpoint_url, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}, max_pool_connections=8))


def _put_until_killed(config: SandboxConfig, pid: int, bucket: str, seconds: float) -> set[str]:
    """PUT from 4 threads; kill -9 the server after ``seconds``; return the keys whose PUT was acknowledged."""
    s3 = _client(config)
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def writer(thread: int) -> None:
        n = 0
        while time.monotonic() < stop + 5:
            key = f"stream/{thread}/{n:06d}"
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=f"{key}\n".encode() * 8)
            except Exception:
                return  # the server is gone
            with lock:
                acknowledged.add(key)
            n += 1

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(writer, t) for t in range(4)]
        time.sleep(seconds)
        os.kill(pid, signal.SIGKILL)
        for future in futures:
            future.result()
    return acknowledged

def _assert_every_acknowledged_object_is_back(s3, acknowledged: set[str]) -> None:
    """After the restart: no acknowledged ``stream/`` object is missing, and one has its whole body."""
    stored = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="durable", Prefix="stream/"):
        stored.update(o["Key"] for o in page.get("Contents", []))
    lost = acknowledged - stored
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged objects were lost"
    sample = sorted(acknowledged)[len(acknowledged) // 2]
    assert s3.get_object(Bucket="durable", Key=sample)["Body"].read() == f"{sample}\n".encode() * 8



@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_kill_9_loses_no_acknowledged_object(tmp_path, attempt):
    config = SandboxConfig(state_dir=tmp_path / "state", port=free_port())
    status = cloud_control.up(config)
    s3 = _client(config)
    s3.create_bucket(Bucket="durable")
    if attempt == 2:  # with stored state: a bucket that already holds objects (snapshotted)
        for i in range(300):
            s3.put_object(Bucket="durable", Key=f"old/{i:04d}", Body=b"old")
    acknowledged = _put_until_killed(config, status.pid, "durable", seconds=1.5 + attempt)
    assert acknowledged
    while cloud_control.status(config).running:
        time.sleep(0.1)
    cloud_control.up(config)
    try:
        s3 = _client(config)
        _assert_every_acknowledged_object_is_back(s3, acknowledged)
        if attempt == 2:
            assert s3.list_objects_v2(Bucket="durable", Prefix="old/")["KeyCount"] == 300
    finally:
        cloud_control.down(config)


@pytest.mark.slow
def test_deletes_and_a_new_bucket_are_durable_too(tmp_path):
    config = SandboxConfig(state_dir=tmp_path / "state", port=free_port())
    status = cloud_control.up(config)
    s3 = _client(config)
    s3.create_bucket(Bucket="fresh-bucket")  # created, then killed before any snapshot could run
    s3.put_object(Bucket="fresh-bucket", Key="keep.txt", Body=b"keep")
    s3.put_object(Bucket="fresh-bucket", Key="drop.txt", Body=b"drop")
    s3.delete_object(Bucket="fresh-bucket", Key="drop.txt")
    os.kill(status.pid, signal.SIGKILL)
    while cloud_control.status(config).running:
        time.sleep(0.1)
    cloud_control.up(config)
    try:
        s3 = _client(config)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="fresh-bucket").get("Contents", [])]
        assert keys == ["keep.txt"]
        assert s3.get_object(Bucket="fresh-bucket", Key="keep.txt")["Body"].read() == b"keep"
    finally:
        cloud_control.down(config)


@pytest.mark.slow
def test_a_query_kept_succeeded_by_a_snapshot_keeps_its_result_file(tmp_path):
    """A query's result file is written without waiting for the disk (like its SUCCEEDED): the snapshot that
    keeps the SUCCEEDED puts the file's journal record on disk first, so after kill -9 the results are there."""
    import boto3

    config = SandboxConfig(state_dir=tmp_path / "state", port=free_port())
    status = cloud_control.up(config)

    def athena():
        return boto3.client("athena", endpoint_url=config.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def snapshot_after(deadline: float) -> None:
        """Until the server wrote a snapshot after now (one a second while anything changed)."""
        written = cloud_control.status(config).details["snapshots_written"]
        while cloud_control.status(config).details["snapshots_written"] <= written and time.monotonic() < deadline:
            time.sleep(0.1)

    _client(config).create_bucket(Bucket="query-results")
    athena().list_work_groups()  # Athena installed, and S3's new bucket kept, before the query
    snapshot_after(time.monotonic() + 30)
    query_id = athena().start_query_execution(QueryString="SELECT 7 AS n", ResultConfiguration={
        "OutputLocation": "s3://query-results/q/"})["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while athena().get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] != \
            "SUCCEEDED" and time.monotonic() < deadline:
        time.sleep(0.05)
    snapshot_after(deadline)  # the one that keeps the SUCCEEDED (S3 unchanged but for the journaled result file)
    os.kill(status.pid, signal.SIGKILL)
    while cloud_control.status(config).running:
        time.sleep(0.1)
    cloud_control.up(config)
    try:
        rows = athena().get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
        assert [d["VarCharValue"] for d in rows[1]["Data"]] == ["7"]
        body = _client(config).get_object(Bucket="query-results", Key=f"q/{query_id}.csv")["Body"].read()
        assert body == b'"n"\n"7"\n'
    finally:
        cloud_control.down(config)


def build_stored_state(state_dir: str, bucket: str, count: int) -> None:
    """Write a state folder holding ``count`` objects the way a running sandbox stores them (the same
    snapshot code, after the objects were put through moto's S3 backend), without ``count`` HTTP PUTs."""
    from emulators.core import moto_coupling
    from emulators.core.server import EmbeddedCloud

    cloud = EmbeddedCloud(state_dir, port=0)
    cloud.start()
    s3 = moto_coupling.s3_backend()
    s3.create_bucket(bucket, "us-east-1")
    for i in range(count):
        s3.put_object(bucket, f"old/{i:06d}", b"old")
    cloud.store.mark_dirty()
    cloud.shutdown()


STORED_OBJECTS = int(os.environ.get("SANDBOX_DURABILITY_OBJECTS", 100_000))


@pytest.fixture(scope="module")
def stored_state(tmp_path_factory):
    """A state folder with 100,000 stored objects, built once in its own process."""
    folder = tmp_path_factory.mktemp("stored-100k") / "state"
    subprocess.run([sys.executable, "-c", "import sys; "
                    "from tests.services.core.test_durability import build_stored_state; "
                    "build_stored_state(sys.argv[1], 'durable', int(sys.argv[2]))", str(folder),
                    str(STORED_OBJECTS)], check=True, timeout=1800)
    return folder


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the first attempt also builds the 100,000-object state; listing them all is slow
@pytest.mark.parametrize("attempt", range(3))
def test_kill_9_loses_no_acknowledged_object_with_100k_stored(tmp_path, stored_state, attempt):
    import shutil

    state = tmp_path / "state"
    shutil.copytree(stored_state, state)
    config = SandboxConfig(state_dir=state, port=free_port())
    status = cloud_control.up(config)
    acknowledged = _put_until_killed(config, status.pid, "durable", seconds=1.5 + attempt)
    assert acknowledged
    while cloud_control.status(config).running:
        time.sleep(0.1)
    cloud_control.up(config)
    try:
        s3 = _client(config)
        _assert_every_acknowledged_object_is_back(s3, acknowledged)
        for key in ("old/000000", "old/000123", f"old/{STORED_OBJECTS - 1:06d}"):
            assert s3.get_object(Bucket="durable", Key=key)["Body"].read() == b"old"
        if attempt == 0:  # the whole stored listing once (100 pages: the costliest part of an attempt)
            old = sum(page["KeyCount"] for page in
                      s3.get_paginator("list_objects_v2").paginate(Bucket="durable", Prefix="old/"))
            assert old == STORED_OBJECTS
    finally:
        cloud_control.down(config)
