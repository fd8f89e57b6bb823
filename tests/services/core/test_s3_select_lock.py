"""S3 Select's SQL runs without the request's hold on the state lock, so a long scan never stalls the sandbox
(a snapshot waiting for the lock would hold every other request until the scan ended). In-process, with the
scan paused by the test so the order of events is exact."""

from __future__ import annotations

import threading

import boto3

from emulators.s3 import select
from tests.helpers.cloud import in_process_cloud


def test_a_running_select_lets_a_snapshot_take_the_lock(tmp_path, monkeypatch):
    started, go_on = threading.Event(), threading.Event()
    real_select = select.run_select

    def paused_select(*args, **kwargs):
        started.set()
        assert go_on.wait(30)
        return real_select(*args, **kwargs)

    monkeypatch.setattr(select, "run_select", paused_select)
    with in_process_cloud(tmp_path) as cloud:
        s3 = boto3.client("s3", endpoint_url=cloud.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        s3.create_bucket(Bucket="select-lock")
        s3.put_object(Bucket="select-lock", Key="people.csv", Body=b"name,age\nana,34\nbo,27\n")
        answer: list[str] = []

        def run() -> None:
            stream = s3.select_object_content(
                Bucket="select-lock", Key="people.csv", ExpressionType="SQL",
                Expression="SELECT s.name FROM S3Object s WHERE CAST(s.age AS INT) > 30",
                InputSerialization={"CSV": {"FileHeaderInfo": "USE"}}, OutputSerialization={"CSV": {}})
            answer.extend(e["Records"]["Payload"].decode() for e in stream["Payload"] if "Records" in e)

        request = threading.Thread(target=run, daemon=True)
        request.start()
        assert started.wait(30)
        snapshot = threading.Thread(target=cloud.store.snapshot, daemon=True)  # takes the exclusive lock
        snapshot.start()
        snapshot.join(30)
        assert not snapshot.is_alive(), "the snapshot waited for the running select"
        go_on.set()
        request.join(30)
        assert "".join(answer) == "ana\n"
