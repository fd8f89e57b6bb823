"""Restore leaves S3 keys packed until they are read, and packed keys survive the next snapshot."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = r"""
import sys
from pathlib import Path
from emulators.core import moto_coupling
from emulators.core.persistence import StateStore

folder, step = Path(sys.argv[1]), sys.argv[2]
store = StateStore(folder)
if step == "write":
    s3 = moto_coupling.s3_backend()
    s3.create_bucket("packed", "us-east-1")
    for i in range(600):
        s3.put_object("packed", f"k/{i:04d}", f"body {i}".encode())
    store.snapshot()
elif step == "read-one-then-snapshot":
    store.restore()
    keys = moto_coupling.s3_backend().buckets["packed"].keys
    assert type(keys).__name__ == "LazyKeyStore"
    assert len(keys) == 600 and "k/0005" in keys and "nope" not in keys
    assert keys["k/0005"].value == b"body 5"
    assert sum(chunk is not None for chunk in keys._chunks) == 2  # one of three chunks unpacked
    keys.setlist("k/new", [keys["k/0005"]])
    store.mark_dirty()
    store.snapshot()
elif step == "restore-then-other-change":
    store.restore()
    restored_s3 = store._service_bytes["s3"]
    store.mark_dirty(include_s3=False)  # another service changed; S3 did not
    assert store.snapshot()
    assert store._service_bytes["s3"] is restored_s3  # the loaded pickle is kept, not every object pickled again
    keys = moto_coupling.s3_backend().buckets["packed"].keys
    assert all(chunk is not None for chunk in keys._chunks)  # nothing was unpacked to be pickled
elif step == "journal-then-crash":
    store.restore()
    s3 = moto_coupling.s3_backend()
    s3.put_object("packed", "k/0001", b"rewritten")
    s3.delete_object("packed", "k/0002")
    for name in ("k/0001", "k/0002"):
        store.journal.sync(store.journal_s3_key("123456789012", "packed", name))
    # no snapshot: the process dies here
elif step == "after-crash":
    store.restore()
    keys = moto_coupling.s3_backend().buckets["packed"].keys
    assert len(keys) == 599 and "k/0002" not in keys
    assert keys["k/0001"].value == b"rewritten" and keys["k/0003"].value == b"body 3"
    store.mark_dirty()
    store.snapshot()  # replaced versions are not written again
    store2 = StateStore(folder)
else:
    store.restore()
    keys = moto_coupling.s3_backend().buckets["packed"].keys
    assert len(keys) == 601
    assert keys["k/0599"].value == b"body 599" and keys["k/new"].value == b"body 5"
    listed = sorted(dict(keys._self_iterable()))
    assert len(listed) == 601 and listed[0] == "k/0000"
    assert all(chunk is None for chunk in keys._chunks)
print("ok")
"""


def _step(folder, step):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(folder), step], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.slow
def test_packed_keys_round_trip(tmp_path):
    _step(tmp_path, "write")
    _step(tmp_path, "read-one-then-snapshot")
    _step(tmp_path, "read-all")


def test_the_first_snapshot_after_a_restart_keeps_an_unchanged_s3_pickle(tmp_path):
    _step(tmp_path, "write")
    _step(tmp_path, "restore-then-other-change")
    _step(tmp_path, "read-one-then-snapshot")  # the kept pickle restores as before


@pytest.mark.slow
def test_journaled_writes_replay_packed(tmp_path):
    _step(tmp_path, "write")
    _step(tmp_path, "journal-then-crash")
    _step(tmp_path, "after-crash")
    _step(tmp_path, "after-crash")  # the snapshot written after the replay holds the same


COMPACTION = r"""
import sys
from pathlib import Path
from emulators.core import moto_coupling
from emulators.core.persistence import StateStore

folder = Path(sys.argv[1])
store = StateStore(folder)
s3 = moto_coupling.s3_backend()
s3.create_bucket("compacted", "us-east-1")
for i in range(600):
    s3.put_object("compacted", f"k/{i:04d}", f"v1 {i}".encode())
store.snapshot()
# journaled writes, then a compaction-only S3 pickle: unchanged chunks are reused, changed ones re-pickled
s3.put_object("compacted", "k/0003", b"v2")
s3.put_object("compacted", "k/0600", b"new")
for key in ("k/0003", "k/0600"):
    store.journal.sync(store.journal_s3_key("123456789012", "compacted", key))
store._s3_dirty = False
store.journal.records = 10 ** 9  # compaction due
(_, before), = store._chunk_cache.previous.values()
store.snapshot()
(_, after), = store._chunk_cache.previous.values()
assert after[1][2] is before[1][2]  # keys 256-511 unchanged: the chunk's pickle is reused
assert after[0][2] is not before[0][2]  # k/0003 was rewritten
fresh = StateStore(folder)
moto_coupling.reset_all_backends()
fresh.restore()
keys = moto_coupling.s3_backend().buckets["compacted"].keys
assert keys["k/0003"].value == b"v2", keys["k/0003"].value
assert keys["k/0600"].value == b"new" and keys["k/0599"].value == b"v1 599" and len(keys) == 601
print("ok")
"""


def test_a_compaction_reuses_unchanged_chunks_and_keeps_changed_keys(tmp_path):
    done = subprocess.run([sys.executable, "-c", COMPACTION, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_restore_removes_the_half_written_files_a_killed_server_left(tmp_path):
    """A server killed in the middle of a snapshot, journal roll or blob write leaves ``.*.tmp`` files;
    the next server holds the folder's lock before restoring, so it removes them all (its own writes
    always complete through a rename)."""
    from emulators.core.persistence import StateStore

    store = StateStore(tmp_path)
    blob_id = store.blobs.put(b"a body")
    leftovers = [tmp_path / ".snapshot.pkl.4242.1.tmp",
                 tmp_path / "journal" / ".s3-000001.log.4242.1.tmp",
                 tmp_path / "blobs" / blob_id[:2] / f".{blob_id}.4242.1.tmp"]
    for path in leftovers:
        path.write_bytes(b"half")
    StateStore(tmp_path).restore()
    assert [p for p in leftovers if p.exists()] == []
    assert store.blobs.get(blob_id) == b"a body"  # finished files stay


PICKLED_OUTSIDE_THE_LOCK = r"""
import sys, threading
from pathlib import Path
from emulators.core import moto_coupling
from emulators.core import persistence
from emulators.core.persistence import StateStore

folder = Path(sys.argv[1])
store = StateStore(folder)
s3 = moto_coupling.s3_backend()
s3.create_bucket("busy", "us-east-1")
for i in range(600):
    s3.put_object("busy", f"k/{i:04d}", f"v1 {i}".encode())
store.snapshot()

def journaled_put(key, body):
    with store.lock.shared():  # as a request does
        s3.put_object("busy", key, body)
        sequence = store.journal_s3_key("123456789012", "busy", key)
    store.journal.sync(sequence)

journaled_put("k/0003", b"v2")
finished = []
original = persistence._SnapshotPickler._key_store_entries

def entries_with_a_request_meanwhile(self, key_store):
    if not finished:  # a PUT arrives while the compaction pickles S3: it must not wait for the pickle
        worker = threading.Thread(target=lambda: (journaled_put("k/0004", b"v3"), journaled_put("k/0600", b"new"),
                                                  finished.append(True)))
        worker.start()
        worker.join(10)
        assert finished, "the PUT waited for the S3 pickle"
    return original(self, key_store)

persistence._SnapshotPickler._key_store_entries = entries_with_a_request_meanwhile
store._s3_dirty = False
store.journal.records = 10 ** 9  # compaction due
store.snapshot()
persistence._SnapshotPickler._key_store_entries = original
assert set(store._chunk_cache.journaled) == {"k/0004", "k/0600"}  # journaled after the copy: pickled next time
fresh = StateStore(folder)
moto_coupling.reset_all_backends()
fresh.restore()  # the pickle holds the copy; the journal after it replays the two PUTs made meanwhile
keys = moto_coupling.s3_backend().buckets["busy"].keys
assert keys["k/0003"].value == b"v2" and keys["k/0004"].value == b"v3" and keys["k/0600"].value == b"new"
assert keys["k/0599"].value == b"v1 599" and len(keys) == 601
print("ok")
"""


def test_requests_go_on_while_a_compaction_pickles_s3(tmp_path):
    """A compaction copies the key stores under the exclusive lock and pickles them after releasing it: a
    PUT made meanwhile is answered at once, journaled after the pickle's generation, and restored."""
    done = subprocess.run([sys.executable, "-c", PICKLED_OUTSIDE_THE_LOCK, str(tmp_path)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_background_change_marks_the_state_changed_but_leaves_s3s_pickle(tmp_path):
    """Job, query and catalog changes made off a request (``cloud.mutating()``) are snapshotted without
    pickling S3 again: S3 objects an engine writes or deletes are journaled (``cloud.writing_s3``)."""
    from emulators.core.server import EmbeddedCloud

    cloud = EmbeddedCloud(tmp_path / "state", port=0)
    cloud.store.snapshot()
    assert not cloud.store.dirty
    with cloud.mutating():
        pass
    assert cloud.store.dirty and not cloud.store._s3_dirty


EC2_AND_REDSHIFT = r"""
import sys
from pathlib import Path
from emulators.core import moto_coupling
from emulators.core.persistence import StateStore

folder, step = Path(sys.argv[1]), sys.argv[2]
store = StateStore(folder)
if step == "write":
    ec2 = moto_coupling.backend_for("ec2")
    redshift = moto_coupling.backend_for("redshift")
    assert redshift.ec2_backend is ec2
    group = ec2.create_security_group("before-snapshot", "made before the first snapshot")
    store.snapshot()
    ec2_bytes, redshift_bytes = store._service_bytes["ec2"], store._service_bytes["redshift"]
    assert len(redshift_bytes) < len(ec2_bytes) // 10, (len(redshift_bytes), len(ec2_bytes))  # no copy of EC2

    store.mark_dirty(include_s3=False)  # an engine's change (a job's status): EC2 keeps its pickle
    store.snapshot()
    assert store._service_bytes["ec2"] is ec2_bytes
    store.mark_dirty(include_s3=False, api="sagemaker", requested=True)  # a request of a service that leaves EC2 be
    store.snapshot()
    assert store._service_bytes["ec2"] is ec2_bytes
    ec2.create_security_group("by-an-emr-request", "EMR's handlers change EC2 in-process")
    store.mark_dirty(include_s3=False, api="emr", requested=True)
    store.snapshot()
    assert store._service_bytes["ec2"] is not ec2_bytes
    ec2.create_security_group("by-an-unknown-request", "a request whose service is not known")
    store.mark_dirty(include_s3=False, api=None, requested=True)
    store.snapshot()
else:
    store.restore()
    ec2 = moto_coupling.backend_for("ec2")
    names = {g.name for g in ec2.describe_security_groups()}
    assert {"before-snapshot", "by-an-emr-request", "by-an-unknown-request"} <= names, names
    # Redshift's EC2 is the restored EC2 itself (it was a copy of its own, which EC2's requests no longer changed)
    assert moto_coupling.backend_for("redshift").ec2_backend is ec2
print("ok")
"""


def test_ec2_is_pickled_once_and_only_after_a_request_that_can_change_it(tmp_path):
    """EC2's backend (default VPCs, AMIs: ~0.9 MB, ~50 ms a pickle) is pickled again only after a request whose
    moto handlers can change it, and Redshift's reference to it is stored as a reference, not a second copy."""
    for step in ("write", "restore"):
        done = subprocess.run([sys.executable, "-c", EC2_AND_REDSHIFT, str(tmp_path), step], capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr[-2000:]


UNCHANGED_STATE = r"""
import os, sys
from pathlib import Path
from emulators.core import moto_coupling
from emulators.core.persistence import StateStore

folder, step = Path(sys.argv[1]), sys.argv[2]
store = StateStore(folder)
if step == "write":
    moto_coupling.s3_backend().create_bucket("lake", "us-east-1")
    sqs = moto_coupling.backend_for("sqs")
    sqs.create_queue("first")
    store.mark_dirty()
    store.snapshot()
    written = os.stat(store.snapshot_path).st_mtime_ns
    os.utime(store.snapshot_path, ns=(written - 10**9, written - 10**9))  # an older file, as a second later
    store.mark_dirty(include_s3=False, api="sqs", requested=True)  # a ListQueues: a POST that changes nothing
    store.snapshot()
    assert os.stat(store.snapshot_path).st_mtime_ns == written - 10**9, "an unchanged state was written again"
    sqs.create_queue("second")
    store.mark_dirty(include_s3=False, api="sqs", requested=True)
    store.snapshot()
    assert os.stat(store.snapshot_path).st_mtime_ns != written - 10**9, "a change was not written"
else:
    store.restore()
    assert sorted(q.name for q in moto_coupling.backend_for("sqs").queues.values()) == ["first", "second"]
print("ok")
"""


def test_a_snapshot_of_an_unchanged_state_writes_nothing(tmp_path):
    """Most API calls are POSTs, and each marks the state changed: when every service pickles to the bytes the
    file already holds, the snapshot neither rewrites nor fsyncs it; a real change is written."""
    for step in ("write", "restore"):
        done = subprocess.run([sys.executable, "-c", UNCHANGED_STATE, str(tmp_path), step], capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr[-2000:]
