"""Engines see the same lake whether S3 is in-process moto or another endpoint (SANDBOX_S3_ENDPOINT)."""

from __future__ import annotations

import pytest

from emulators.core.s3access import S3Error, _InProcessS3, _RemoteS3, s3_access
from tests.helpers import cloud as cloud_helpers


@pytest.fixture(scope="module")
def in_process_cloud(tmp_path_factory):
    with cloud_helpers.in_process_cloud(tmp_path_factory.mktemp("inproc")) as cloud:
        yield cloud


@pytest.mark.slow
def test_both_implementations_agree(in_process_cloud, monkeypatch):
    monkeypatch.delenv("SANDBOX_S3_ENDPOINT", raising=False)
    local = s3_access()
    assert isinstance(local, _InProcessS3)
    monkeypatch.setenv("SANDBOX_S3_ENDPOINT", in_process_cloud.endpoint_url)
    remote = s3_access()
    assert isinstance(remote, _RemoteS3)

    remote._client.create_bucket(Bucket="access-test")
    local.put("access-test", "a/one.csv", b"x,y\n1,2\n", content_type="text/csv")
    remote.put("access-test", "a/two.csv", b"x,y\n3,4\n")
    for access in (local, remote):
        assert access.bucket_exists("access-test") and not access.bucket_exists("nope-bucket")
        assert [o.key for o in access.list("access-test", "a/")] == ["a/one.csv", "a/two.csv"]
        assert access.get("access-test", "a/two.csv") == b"x,y\n3,4\n"
        assert access.list("access-test", "a/")[0].size == 8
        with pytest.raises(S3Error) as exc:
            access.get("access-test", "a/missing.csv")
        assert exc.value.code == "NoSuchKey"
        with pytest.raises(S3Error) as exc:
            access.list("nope-bucket")
        assert exc.value.code == "NoSuchBucket"
    assert local.list("access-test")[0].etag == remote.list("access-test")[0].etag
    head = remote._client.head_object(Bucket="access-test", Key="a/one.csv")
    assert head["ContentType"] == "text/csv"
    # writes made in-process are marked for the next snapshot
    assert in_process_cloud.store.dirty or in_process_cloud.store.snapshots_written


@pytest.mark.slow
def test_pyarrow_filesystem_reads_the_same_bytes(in_process_cloud, monkeypatch):
    monkeypatch.delenv("SANDBOX_S3_ENDPOINT", raising=False)
    access = s3_access()
    fs = access.filesystem()
    with fs.open_input_stream("access-test/a/one.csv") as fh:
        assert fh.read() == b"x,y\n1,2\n"


def test_object_keys_never_name_a_file_outside_its_folder():
    from emulators.core.s3access import safe_file_name

    assert safe_file_name("scripts/job.py") == "job.py"
    assert safe_file_name("scripts/..", "script.py") == "script.py"
    assert safe_file_name("..") == "object"
    assert safe_file_name("a/b\\..\\c") == "object"
