"""Batch's job class without a server: what a snapshot keeps of a job, and exit codes as a container reports them."""

from __future__ import annotations

import pickle
import threading

from emulators.batch import provider
from emulators.core import jobs


def _job() -> provider.SandboxBatchJob:
    job = provider.SandboxBatchJob.__new__(provider.SandboxBatchJob)
    threading.Thread.__init__(job, daemon=True, name="MOTO-BATCH-j1")
    job.__dict__.update({"job_id": "j1", "_status": "SUCCEEDED", "exit_code": 0, "_log_backend": object()})
    return job


def test_a_job_pickles_without_thread_internals_or_the_logs_backend():
    state = _job().__getstate__()
    assert state == {"job_id": "j1", "_status": "SUCCEEDED", "exit_code": 0}


def test_a_restored_job_is_a_fresh_thread_with_its_state():
    restored = pickle.loads(pickle.dumps(_job()))
    assert isinstance(restored, threading.Thread) and not restored.is_alive()
    assert (restored.job_id, restored.status, restored.exit_code) == ("j1", "SUCCEEDED", 0)
    assert "_log_backend" not in vars(restored)


def test_exit_codes_are_a_containers():
    assert provider._exit_code(jobs.ProcessOutcome(3, 1.0)) == 3
    assert provider._exit_code(jobs.ProcessOutcome(-9, 1.0, timed_out=True)) == 137  # SIGKILL
    assert provider._exit_code(jobs.ProcessOutcome(-15, 1.0, stopped=True)) == 143  # SIGTERM
    assert provider._exit_code(jobs.ProcessOutcome(None, 0.0, refused=True)) == 1


def test_terminate_asks_the_runtime_to_stop_the_attempt():
    job = _job()
    job.__dict__.update({"_status": "RUNNING", "job_stopped": False, "stop": False, "job_stopped_reason": None})
    job.job_id = "unit-terminate"
    try:
        job.terminate("no longer needed")
        assert job.stop and job.job_stopped_reason == "no longer needed"
        assert jobs.registry("batch").stop_requested("unit-terminate")
    finally:
        jobs.registry("batch").forget("unit-terminate")
