"""What the sandbox keeps on a SageMaker backend beyond moto's own resources, declared in one place.

moto's backend holds the resources AWS describes (jobs, models, endpoints...).
The sandbox needs a little more per backend: the MLflow run of each training
and tuning job, the model version each model package is, the endpoint
configuration an update is loading, what a tuning job's training job was asked
to optimise, monitoring schedules (which moto does not have), the steps of
each pipeline execution, and Feature Store's feature groups and online records.
:class:`SageMakerExtras` is that state, typed; one instance lives on each backend
(``backend.extras``), is created the first time it is used and is pickled with the
backend, so it survives a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


@dataclass
class TuningTrial:
    """A training job started by a tuning job: what it optimises and its ``TrainingJobSummary`` extras."""

    tuning_job_arn: str
    objective_metric: str | None = None
    tuned_hyperparameters: dict[str, str] = field(default_factory=dict)
    objective_status: str = "Pending"
    final_objective: dict[str, Any] | None = None  # FinalHyperParameterTuningJobObjectiveMetric


@dataclass
class ModelVersion:
    """The MLflow model version a model package is (its group is the registered model)."""

    group: str
    version: str


@dataclass
class SageMakerExtras:
    """The sandbox's state of one SageMaker backend (account and region)."""

    mlflow_runs: dict[str, str | None] = field(default_factory=dict)        # training/tuning job ARN -> run id
    script_seconds: dict[str, float] = field(default_factory=dict)          # training job ARN -> seconds
    model_versions: dict[str, ModelVersion] = field(default_factory=dict)   # model package ARN -> version
    pending_endpoint_configs: dict[str, str] = field(default_factory=dict)  # endpoint ARN -> config loading
    tuning_trials: dict[str, TuningTrial] = field(default_factory=dict)     # training job ARN -> trial
    monitoring_schedules: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> schedule record
    pipeline_steps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # execution ARN -> steps
    feature_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower-cased name -> group
    # lower-cased group name -> record identifier -> the online store's record
    feature_records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A snapshot written before a field was added restores with that field empty."""
        self.__dict__.update(state)
        for declared in fields(self):
            if declared.name not in self.__dict__ and declared.default_factory is not MISSING:
                setattr(self, declared.name, declared.default_factory())


class DeclaredState(Generic[T]):
    """A typed attribute a backend subclass adds to moto's backend, made by ``factory`` on first use.

    moto creates backends (and the snapshot restores them) without our
    ``__init__``; the value is stored in the instance's ``__dict__`` under the
    attribute's own name, so later reads are plain attribute reads and the
    value is pickled with the backend.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> DeclaredState[T]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object | None, owner: type) -> T | DeclaredState[T]:
        if instance is None:
            return self
        return instance.__dict__.setdefault(self.name, self.factory())
