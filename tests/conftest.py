"""Shared fixtures: one sandbox, one Spark session and one trained model for the whole test session.

- ``cloud``: a running embedded cloud (its own process, a free port, a temporary
  state folder); the environment points ``sandbox.connect()`` at it.
- ``aws``: a :class:`sandbox.session.SandboxSession` on that cloud.
- ``s3_bucket``: a fresh, empty bucket per test.
- ``spark``: one local SparkSession (started only by tests that ask for it).
- ``trained_model``: one SageMaker training job's model, for tests that need *a* model.
- ``restart_cloud``: one more sandbox, shared by the tests that restart it (they need *a* restart).
- ``private_cloud``: a sandbox of the test's own, for tests that stop it or need it empty.

Helpers live in plain modules under ``tests/helpers/``; the names below are re-exported for the
test folders that still import them from here.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.helpers.cloud import PrivateCloud, free_port, repo_root, reusing_clients
from tests.helpers.waiting import wait_for

__all__ = ["PrivateCloud", "free_port", "repo_root", "wait_for"]

# the suite's Spark jobs are seconds long and run two at a time on small machines: the quick JIT compiler alone
# starts them about twice as fast under that load (see emulators/core/spark.py); a user's long jobs keep C2.
# The serial collector starts no GC threads: a small job costs about 4 % less CPU (6.88 against 7.15 CPU-s)
os.environ.setdefault("SANDBOX_SPARK_JVM_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")


@pytest.fixture
def private_cloud(tmp_path: Path):
    """A running :class:`PrivateCloud`, stopped after the test."""
    cloud = PrivateCloud(tmp_path / "state")
    cloud.up()
    try:
        yield cloud
    finally:
        cloud.down()


@pytest.fixture(scope="session")
def _restart_cloud_of_session(tmp_path_factory: pytest.TempPathFactory):
    cloud = PrivateCloud(tmp_path_factory.mktemp("restart-state"))
    cloud.up()
    yield cloud
    cloud.down()


@pytest.fixture
def restart_cloud(_restart_cloud_of_session: PrivateCloud) -> PrivateCloud:
    """A :class:`PrivateCloud` shared by the session's tests that need *a* restart (``restart_cloud.restart()``),
    not an empty state: it is started once, so a test pays one restart instead of a start, a restart and a
    stop. Use names of the test's own. Tests that stop it, delete its state or need it empty take
    ``private_cloud``."""
    if not _restart_cloud_of_session.running():  # an earlier test failed while it was down
        _restart_cloud_of_session.up()
    return _restart_cloud_of_session


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--exercises", action="store_true", default=False,
                     help="grade the exercises against your own running sandbox (see `sandbox exercises`)")


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory):
    """A sandbox for the test session, separate from any sandbox the developer runs."""
    from sandbox import cloud as cloud_control
    from sandbox.config import SandboxConfig

    with pytest.MonkeyPatch.context() as patch:  # the environment as it was, once the session is done
        patch.setenv("SANDBOX_STATE_DIR", str(tmp_path_factory.mktemp("sandbox-state")))
        patch.setenv("SANDBOX_PORT", str(free_port()))
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        config = SandboxConfig.from_env()
        status = cloud_control.up(config)
        yield status
        cloud_control.down(config)


@pytest.fixture(scope="session")
def aws(cloud):
    import sandbox

    return reusing_clients(sandbox.connect(start=False))


@pytest.fixture
def s3_bucket(aws):
    """A new empty bucket; emptied and deleted after the test."""
    s3 = aws.client("s3")
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    # asynchronous writers (an endpoint's data capture, Firehose) may still deliver a last object after the test's
    # own work ends, as on AWS: empty the bucket again when the delete finds it not empty
    for attempt in range(5):
        paginator = s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=name):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
        try:
            s3.delete_bucket(Bucket=name)
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "BucketNotEmpty" or attempt == 4:
                raise
            time.sleep(1)


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for every test that needs Spark."""
    from sandbox.spark import get_spark

    session = get_spark()
    yield session
    session.stop()


@pytest.fixture
def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def trained_model(aws):
    """One script-mode scikit-learn model, trained once per session on the SageMaker tests' dataset.

    For tests that need *a* model (hosting, batch transform, monitoring, Clarify); tests of training itself
    train their own. Keys: ``bucket`` (its own, holding ``data/`` and ``code/sourcedir.tar.gz``), ``x`` and
    ``y`` (the dataset), ``job`` (the Completed training job's description) and ``uri`` (its model.tar.gz).
    """
    from tests.helpers.sagemaker import put_dataset, train

    s3 = aws.client("s3")
    bucket = f"trained-model-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    data = put_dataset(s3, bucket)
    job = train(aws.client("sagemaker"), f"shared-model-{uuid.uuid4().hex[:8]}", bucket)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return {**data, "job": job, "uri": job["ModelArtifacts"]["S3ModelArtifacts"]}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Once a test imported the SageMaker Python SDK v2, it validates a session configuration once, as the
    sessions ``sandbox.connect().sagemaker_session()`` makes do (:func:`sandbox.session.validate_sdk_config_once`),
    also for the sessions tests build themselves: the SDK's check at every configuration look-up was about 60 s
    of the suite's CPU."""
    import sys

    if "sagemaker.utils" in sys.modules:
        from sandbox.session import validate_sdk_config_once

        validate_sdk_config_once()


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent where xdist is not installed (.venv-sdk3)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``pytest -n N --dist loadgroup`` (what ``python3 run.py test`` runs): tests go to workers one by
    one, except that the tests of a module with a module- or class-scoped fixture go to one worker together,
    so that fixture is built once, and so do all modules that use the session's Spark (``spark``), so that one
    worker starts it. (pytest-xdist's own loadgroup reads ``xdist_group`` marks from node ids, which pytest 9 no
    longer lets a plugin change; this scheduler groups by module instead.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    pinned = modules_with_shared_fixtures(config.rootpath)

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid, pinned)

    config.option.loadscopereorder = False  # the workers' collection is already longest first (below)
    return SharedFixtureScheduling(config, log)


def work_unit(nodeid: str, pinned: dict[str, str]) -> str:
    """The unit a test goes to a worker in: its module's shared unit when it has one, else the test alone."""
    if "@" in nodeid.rsplit("]", 1)[-1]:  # an explicit xdist_group suffix
        return nodeid.rsplit("@", 1)[-1]
    return pinned.get(nodeid.split("::", 1)[0], nodeid)


# what a test costs the scheduler, roughly: a ``slow`` one takes seconds to a minute, the others well under one
_SLOW_COST, _QUICK_COST = 15.0, 0.3


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist's ``loadgroup`` (what ``python3 run.py test`` runs): the work units longest first.

    Workers take units one by one in the order they were collected. A minute-long notebook taken last ran
    alone at the end while the other workers idled; longest first, the short units fill the gaps at the end.
    A unit's length is guessed from its tests' ``slow`` marks. The order is the same in every worker, as xdist
    requires: it depends on the collection only."""
    # a worker sees ``--dist loadgroup`` as ``loadgroup`` (xdist sets the worker's own ``dist`` to "no")
    if not (getattr(config.option, "loadgroup", False) or getattr(config.option, "dist", "no") == "loadgroup"):
        return
    pinned = modules_with_shared_fixtures(config.rootpath)
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(work_unit(item.nodeid, pinned), []).append(item)
    cost = {name: sum(_SLOW_COST if item.get_closest_marker("slow") else _QUICK_COST for item in tests)
            for name, tests in units.items()}
    items[:] = [item for name in sorted(units, key=lambda n: -cost[n]) for item in units[name]]


def modules_with_shared_fixtures(root: Path) -> dict[str, str]:
    """Test modules (paths relative to ``root``) whose tests go to one worker together, and the unit of each.

    A module that defines a fixture of module, class or package scope is a unit of its own; the modules whose
    tests or fixtures ask for the session's ``spark`` are one unit together (a Spark session per worker is a
    JVM each, about 10 CPU-seconds)."""
    import re

    shared = re.compile(r"@pytest\.fixture\(\s*scope=[\"'](module|class|package)[\"']")
    uses_spark = re.compile(r"^\s*def \w+\([^)]*\bspark\b", re.M)
    units = {}
    for path in (root / "tests").rglob("test_*.py"):
        module, text = path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")
        if uses_spark.search(text):
            units[module] = "the session's Spark"
        elif shared.search(text):
            units[module] = module
    return units
