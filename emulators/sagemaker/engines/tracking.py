"""MLflow as SageMaker's tracking layer.

The store is a SQLite database with a local artifact folder under
``<state>/services/sagemaker/mlflow/`` (:func:`tracking_uri`), so ``mlflow ui
--backend-store-uri <that uri>`` (``sandbox mlflow``) shows:

- every training job as a run of the experiment ``sagemaker-training-jobs`` (or the
  job's ``ExperimentConfig.ExperimentName``): run name = job name, params =
  hyperparameters, metrics = every value the metric definitions matched in the log
  (with steps), tags ``sagemaker.*`` (job ARN, image, status, failure reason),
  artifacts = the model folder (``model/``) and the job's log (``training.log``);
- every tuning job as a parent run whose children are its training jobs;
- model package groups as registered models, model packages as their versions
  (source = the package's ModelDataUrl), with the tag ``ModelApprovalStatus``.

MLflow is imported on first use (it takes ~1.5 s); a new store is a copy of an empty
one made once per MLflow version (:func:`_start_from_template`). Tracking failures
are logged and never fail a job.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from emulators.core import paths

log = logging.getLogger("emulators.sagemaker.tracking")
TRAINING_EXPERIMENT = "sagemaker-training-jobs"
_LOCK = threading.RLock()
_CLIENTS: dict[str, Any] = {}


def tracking_uri(root: Path) -> str:
    return f"sqlite:///{root / 'mlflow.db'}"


def artifact_root(root: Path) -> Path:
    return root / "artifacts"


def client(root: Path) -> Any:
    root.mkdir(parents=True, exist_ok=True)
    uri = tracking_uri(root)
    with _LOCK:
        if uri not in _CLIENTS:
            logging.getLogger("alembic").setLevel(logging.WARNING)
            from mlflow.tracking import MlflowClient

            _start_from_template(root / "mlflow.db")
            _CLIENTS[uri] = MlflowClient(tracking_uri=uri, registry_uri=uri)
        return _CLIENTS[uri]


def _start_from_template(db: Path) -> None:
    """A new store starts as a copy of an empty one made once per MLflow version (in ``SANDBOX_CACHE_DIR``, else
    the venv's ``share/aws-sandbox``): creating MLflow's tables runs all its schema migrations, about 1.4 s of CPU
    per sandbox, where the copy takes 0.03 s. The template has no experiment, so MLflow makes its ``Default``
    experiment in the new store's own folder as it does in an empty database. Any failure: MLflow creates the
    store itself."""
    if db.exists():
        return
    try:
        template = _template()
        staging = db.with_name(f".{db.name}.{os.getpid()}.tmp")
        shutil.copyfile(template, staging)
        os.replace(staging, db)
    except Exception:
        log.debug("the MLflow store template could not be used", exc_info=True)


def _template() -> Path:
    import sqlite3

    import mlflow
    from mlflow.tracking import MlflowClient

    folder = paths.cache_folder()
    template = folder / f"mlflow-store-{mlflow.__version__}.db"
    if template.is_file():
        return template
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        made = Path(work) / "mlflow.db"
        uri = f"sqlite:///{made}"
        MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments()  # creates and migrates the tables
        with sqlite3.connect(made) as db:  # the Default experiment names this folder: each store makes its own
            db.execute("DELETE FROM experiment_tags")
            db.execute("DELETE FROM experiments")
        db.close()
        _dispose_engines(uri)
        os.replace(made, template)
    return template


def _dispose_engines(uri: str) -> None:
    """Close the connections MLflow keeps to the database at ``uri``."""
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        engines = getattr(SqlAlchemyStore, "_engine_map", {})
        engine = engines.pop(uri, None)
        if engine is not None:
            engine.dispose()
    except Exception:
        pass


def forget_clients() -> None:
    with _LOCK:
        _CLIENTS.clear()


def experiment_id(root: Path, name: str) -> str:
    c = client(root)
    with _LOCK:
        found = c.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        return c.create_experiment(name, artifact_location=(artifact_root(root) / name).as_uri())


def start_run(root: Path, run_name: str, experiment: str = TRAINING_EXPERIMENT, parent_run_id: str | None = None,
              tags: dict[str, str] | None = None) -> str:
    c = client(root)
    all_tags = dict(tags or {})
    if parent_run_id:
        all_tags["mlflow.parentRunId"] = parent_run_id
    with _LOCK:
        run = c.create_run(experiment_id(root, experiment), run_name=run_name, tags=all_tags)
    return run.info.run_id


def log_training_job(root: Path, run_id: str, hyperparameters: dict[str, str], metrics: dict[str, list[float]],
                     model_dir: Path | None, log_file: Path | None, status: str,
                     tags: dict[str, str]) -> None:
    """Fill and end a training job's run."""
    from mlflow.entities import Metric, Param, RunTag

    c = client(root)
    now = _millis()
    params = [Param(k[:250], str(v)[:6000]) for k, v in sorted((hyperparameters or {}).items())]
    metric_list = [Metric(_metric_key(name), float(value), now, step)
                   for name, values in metrics.items() for step, value in enumerate(values)]
    tag_list = [RunTag(k, str(v)[:5000]) for k, v in tags.items() if v is not None]
    with _LOCK:
        for start in range(0, max(len(metric_list), 1), 900):
            c.log_batch(run_id, metrics=metric_list[start:start + 900], params=params if start == 0 else [],
                        tags=tag_list if start == 0 else [])
        if model_dir is not None and model_dir.exists() and any(model_dir.iterdir()):
            c.log_artifacts(run_id, str(model_dir), "model")
        if log_file is not None and log_file.exists():
            c.log_artifact(run_id, str(log_file), "")
        c.set_terminated(run_id, status={"Completed": "FINISHED", "Stopped": "KILLED"}.get(status, "FAILED"))


def end_run(root: Path, run_id: str, status: str, metrics: dict[str, float] | None = None,
            tags: dict[str, str] | None = None, params: dict[str, str] | None = None) -> None:
    from mlflow.entities import Metric, Param, RunTag

    c = client(root)
    now = _millis()
    with _LOCK:
        c.log_batch(run_id, metrics=[Metric(_metric_key(k), float(v), now, 0) for k, v in (metrics or {}).items()],
                    params=[Param(k, str(v)) for k, v in (params or {}).items()],
                    tags=[RunTag(k, str(v)) for k, v in (tags or {}).items() if v is not None])
        c.set_terminated(run_id, status={"Completed": "FINISHED", "Stopped": "KILLED"}.get(status, "FAILED"))


def _metric_key(name: str) -> str:
    # MLflow keys allow letters, digits, _ - . space / ; AWS metric names use ':'
    return "".join(ch if ch.isalnum() or ch in "_-. /" else "_" for ch in name)


def _millis() -> int:
    import time

    return int(time.time() * 1000)


# -- model registry ----------------------------------------------------------------------
def ensure_registered_model(root: Path, group: str, description: str | None = None) -> None:
    c = client(root)
    from mlflow.exceptions import MlflowException

    with _LOCK:
        try:
            c.get_registered_model(group)
        except MlflowException:
            c.create_registered_model(group, description=description or None,
                                      tags={"sagemaker.model_package_group": group})


def create_model_version(root: Path, group: str, source: str, description: str | None, approval_status: str,
                         package_arn: str, run_id: str | None = None) -> str:
    ensure_registered_model(root, group)
    c = client(root)
    with _LOCK:
        version = c.create_model_version(group, source=source or "s3://unknown", run_id=run_id,
                                         description=description or None,
                                         tags={"ModelApprovalStatus": approval_status,
                                               "sagemaker.model_package_arn": package_arn})
    return str(version.version)


def set_approval_status(root: Path, group: str, version: str, approval_status: str) -> None:
    c = client(root)
    with _LOCK:
        c.set_model_version_tag(group, version, "ModelApprovalStatus", approval_status)


def delete_model_version(root: Path, group: str, version: str) -> None:
    c = client(root)
    with _LOCK:
        c.delete_model_version(group, version)


def delete_registered_model(root: Path, group: str) -> None:
    c = client(root)
    from mlflow.exceptions import MlflowException

    with _LOCK:
        try:
            c.delete_registered_model(group)
        except MlflowException:  # never registered (MLflow was unavailable when the group was made)
            pass
