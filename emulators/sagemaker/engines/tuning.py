"""Hyperparameter tuning: a real search over the parameter ranges, training jobs run in parallel.

Strategies: ``Bayesian`` uses optuna's TPE sampler as the stand-in for SageMaker's
Gaussian-process optimiser; ``Random`` optuna's random sampler; ``Grid`` every
combination of the categorical ranges once, in order (as on AWS, categorical only); ``Hyperband`` is run as Random
(its resource-based early stopping is not emulated). ``ScalingType`` Linear,
Logarithmic and ReverseLogarithmic are honoured (Auto is Linear). At most
``MaxParallelTrainingJobs`` training jobs run at once until
``MaxNumberOfTrainingJobs`` have been started. The objective is read from each
job's log with its metric definitions. ``TrainingJobEarlyStoppingType`` Auto
applies the median rule: a running job whose best objective after N reports is
worse than the median of finished jobs' objectives after N reports is stopped.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulators.sagemaker.container import ContainerError


class TuningError(ContainerError):
    pass


def validate_ranges(config: dict[str, Any]) -> None:
    """Raise ``TuningError`` (a ValidationException) for ranges SageMaker would refuse."""
    ranges = config.get("ParameterRanges") or {}
    count = 0
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges"):
        for item in ranges.get(kind) or []:
            count += 1
            try:
                low, high = float(item["MinValue"]), float(item["MaxValue"])
            except (KeyError, ValueError):
                raise TuningError(f"{item.get('Name')}: MinValue and MaxValue must be numbers") from None
            if low > high:
                raise TuningError(f"{item['Name']}: MinValue {low} is greater than MaxValue {high}")
            scaling = item.get("ScalingType", "Auto")
            if scaling == "Logarithmic" and low <= 0:
                raise TuningError(f"{item['Name']}: Logarithmic scaling needs MinValue > 0")
            if scaling == "ReverseLogarithmic" and (kind == "IntegerParameterRanges" or not 0 <= low < high < 1):
                raise TuningError(f"{item['Name']}: ReverseLogarithmic scaling needs a continuous range "
                                  "inside [0, 1)")
    for item in ranges.get("CategoricalParameterRanges") or []:
        count += 1
        if not item.get("Values"):
            raise TuningError(f"{item.get('Name')}: a categorical range needs Values")
    if count == 0:
        raise TuningError("ParameterRanges must define at least one range")
    strategy = config.get("Strategy", "Bayesian")
    if strategy == "Grid" and (ranges.get("IntegerParameterRanges") or ranges.get("ContinuousParameterRanges")):
        raise TuningError("The Grid strategy supports only CategoricalParameterRanges")
    if strategy not in ("Bayesian", "Random", "Grid", "Hyperband"):
        raise TuningError(f"Strategy {strategy} is not valid (Bayesian, Random, Grid, Hyperband)")


def training_resource_config(definition: dict[str, Any]) -> dict[str, Any]:
    """The ``ResourceConfig`` of a training job a tuning job starts, as AWS fills it in.

    A definition gives either ``ResourceConfig`` or ``HyperParameterTuningResourceConfig`` (what the
    SageMaker Python SDK sends); from the latter AWS takes the instance count, type and volume (with
    ``InstanceConfigs``, the first configuration's) and the volume key.
    """
    if definition.get("ResourceConfig"):
        return dict(definition["ResourceConfig"])
    tuning_config = definition.get("HyperParameterTuningResourceConfig") or {}
    first = (tuning_config.get("InstanceConfigs") or [{}])[0]
    source = first if tuning_config.get("InstanceConfigs") else tuning_config
    config: dict[str, Any] = {key: source[key] for key in ("InstanceType", "InstanceCount", "VolumeSizeInGB")
                              if key in source}
    if tuning_config.get("VolumeKmsKeyId"):
        config["VolumeKmsKeyId"] = tuning_config["VolumeKmsKeyId"]
    return config


def validate_resource_config(definition: dict[str, Any]) -> None:
    """Raise ``TuningError`` unless the definition says which instances its training jobs use."""
    if definition.get("ResourceConfig") and definition.get("HyperParameterTuningResourceConfig"):
        raise TuningError("Only one of ResourceConfig and HyperParameterTuningResourceConfig can be specified")
    config = training_resource_config(definition)
    if not config.get("InstanceType") or not config.get("InstanceCount"):
        raise TuningError("TrainingJobDefinition needs ResourceConfig or HyperParameterTuningResourceConfig "
                          "with an InstanceType and an InstanceCount")


class Sampler:
    """optuna's ask/tell over SageMaker's parameter ranges."""

    def __init__(self, config: dict[str, Any], seed: int | None = None) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.ranges = config.get("ParameterRanges") or {}
        objective = config.get("HyperParameterTuningJobObjective") or {}
        direction = "maximize" if objective.get("Type", "Maximize") == "Maximize" else "minimize"
        strategy = config.get("Strategy", "Bayesian")
        if strategy == "Bayesian":
            sampler: Any = optuna.samplers.TPESampler(seed=seed, n_startup_trials=3)
        elif strategy == "Grid":  # every combination once, in order (no optimiser involved)
            space = [(r["Name"], list(r["Values"])) for r in self.ranges.get("CategoricalParameterRanges") or []]
            self.grid = [dict(zip([n for n, _ in space], combo))
                         for combo in itertools.product(*[values for _, values in space])]
            self.grid_size = len(self.grid)
            sampler = optuna.samplers.RandomSampler(seed=seed)
        else:
            sampler = optuna.samplers.RandomSampler(seed=seed)
        self.study = optuna.create_study(direction=direction, sampler=sampler)

    def ask(self) -> tuple[Any, dict[str, str]]:
        if hasattr(self, "grid"):
            return None, {k: str(v) for k, v in self.grid.pop(0).items()}
        trial = self.study.ask()
        values: dict[str, str] = {}
        for item in self.ranges.get("IntegerParameterRanges") or []:
            low, high = int(float(item["MinValue"])), int(float(item["MaxValue"]))
            log = item.get("ScalingType") == "Logarithmic"
            values[item["Name"]] = str(trial.suggest_int(item["Name"], low, high, log=log))
        for item in self.ranges.get("ContinuousParameterRanges") or []:
            low, high = float(item["MinValue"]), float(item["MaxValue"])
            scaling = item.get("ScalingType", "Auto")
            if scaling == "ReverseLogarithmic":
                value = 1.0 - trial.suggest_float(item["Name"], 1.0 - high, 1.0 - low, log=True)
            else:
                value = trial.suggest_float(item["Name"], low, high, log=scaling == "Logarithmic")
            values[item["Name"]] = repr(float(value))
        for item in self.ranges.get("CategoricalParameterRanges") or []:
            values[item["Name"]] = str(trial.suggest_categorical(item["Name"], list(item["Values"])))
        return trial, values

    def tell(self, trial: Any, value: float | None) -> None:
        import optuna

        if trial is None:  # a grid point
            return
        if value is None or math.isnan(value):
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, value)


@dataclass
class TrialRecord:
    job_name: str
    trial: Any
    hyperparameters: dict[str, str]
    status: str = "InProgress"
    objective: float | None = None
    early_stopped: bool = False
    history: list[float] = field(default_factory=list)


@dataclass
class TuningOutcome:
    trials: list[TrialRecord] = field(default_factory=list)
    best: TrialRecord | None = None
    status: str = "Completed"
    failure_reason: str | None = None


def run_tuning(config: dict[str, Any], start_job: Callable[[int, dict[str, str]], str],
               job_state: Callable[[str], tuple[str, list[float]]], stop_job: Callable[[str], None],
               should_stop: Callable[[], bool], on_change: Callable[[TuningOutcome], None],
               poll_seconds: float = 0.2) -> TuningOutcome:
    """Run the search. ``job_state(name)`` -> (status, objective values seen so far in the log)."""
    sampler = Sampler(config, seed=None)
    limits = config.get("ResourceLimits") or {}
    max_jobs = int(limits.get("MaxNumberOfTrainingJobs") or 1)
    if hasattr(sampler, "grid_size"):
        max_jobs = min(max_jobs, sampler.grid_size)
    max_parallel = max(1, int(limits.get("MaxParallelTrainingJobs") or 1))
    maximize = (config.get("HyperParameterTuningJobObjective") or {}).get("Type", "Maximize") == "Maximize"
    early = config.get("TrainingJobEarlyStoppingType", "Off") == "Auto"
    outcome = TuningOutcome()
    running: list[TrialRecord] = []
    started = 0
    while started < max_jobs or running:
        if should_stop():
            for record in running:
                stop_job(record.job_name)
            outcome.status = "Stopped"
        while not should_stop() and started < max_jobs and len(running) < max_parallel:
            trial, values = sampler.ask()
            started += 1
            record = TrialRecord(start_job(started, values), trial, values)
            outcome.trials.append(record)
            running.append(record)
            on_change(outcome)
        time.sleep(poll_seconds)
        for record in list(running):
            status, history = job_state(record.job_name)
            if status in ("InProgress", "Stopping"):
                if early and _should_stop_early(record, history, outcome, maximize):
                    record.early_stopped = True
                    stop_job(record.job_name)
                continue
            running.remove(record)
            record.status = status
            record.objective = history[-1] if history else None
            record.history = list(history)
            value = record.objective if status == "Completed" or record.early_stopped else None
            sampler.tell(record.trial, value)
            if value is not None and (outcome.best is None or
                                      (value > outcome.best.objective if maximize else value < outcome.best.objective)):
                outcome.best = record
            on_change(outcome)
        if should_stop() and not running:
            break
    if outcome.status != "Stopped" and outcome.best is None:
        outcome.status = "Failed"
        outcome.failure_reason = ("No training job reported the objective metric "
                                  f"{(config.get('HyperParameterTuningJobObjective') or {}).get('MetricName')!r}: "
                                  "check the metric definitions' regexes against the jobs' logs")
    return outcome


def _should_stop_early(record: TrialRecord, history: list[float], outcome: TuningOutcome, maximize: bool) -> bool:
    step = len(history)
    if step < 3:
        return False
    finished = [t for t in outcome.trials if t.status == "Completed" and t is not record]
    peers = [t for t in finished if len(t.history) >= step]
    if len(peers) < 2:
        return False
    best_so_far = max(history) if maximize else min(history)
    peer_values = [(max(t.history[:step]) if maximize else min(t.history[:step])) for t in peers]
    median = statistics.median(peer_values)
    return best_so_far < median if maximize else best_so_far > median
