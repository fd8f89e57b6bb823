"""The MLflow store behind SageMaker's tracking (emulators/sagemaker/engines/tracking.py): a new store starts as a
copy of an empty, migrated one, and still behaves as a store MLflow made itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from emulators.sagemaker.engines import tracking


@pytest.mark.slow
def test_a_new_store_is_a_copy_of_the_template_with_its_own_default_experiment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    first, second = tmp_path / "first", tmp_path / "second"
    tracking.experiment_id(first, tracking.TRAINING_EXPERIMENT)
    templates = list((tmp_path / "cache").glob("mlflow-store-*.db"))
    assert len(templates) == 1
    with sqlite3.connect(templates[0]) as db:  # migrated, and nothing in it names a folder
        assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM experiments").fetchone() == (0,)
    db.close()

    experiment = tracking.experiment_id(second, tracking.TRAINING_EXPERIMENT)
    store = tracking.client(second)
    # MLflow's own Default experiment, made as in an empty database (under the working folder's mlruns)
    assert store.get_experiment("0").name == "Default"
    assert store.get_experiment("0").artifact_location == str(tmp_path / "mlruns" / "0")
    assert store.get_experiment(experiment).artifact_location == (second / "artifacts" / "sagemaker-training-jobs").as_uri()
    run = tracking.start_run(second, "job-1")
    assert store.get_run(run).info.run_name == "job-1"
    store.create_registered_model("churn")
    assert [m.name for m in store.search_registered_models()] == ["churn"]
    # the first store is its own database: nothing of the second one's is in it
    assert tracking.client(first).search_registered_models() == []
    tracking.forget_clients()
