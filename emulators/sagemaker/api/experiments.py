"""SageMaker Experiments: experiments, trials and trial components as the SDK's ``Run`` uses them.

moto keeps the resources; the sandbox adds AWS's checks and what the SageMaker Python SDK's
``sagemaker.experiments`` (``Run``, ``load_run``, ``list_runs``, ``ExperimentAnalytics``) reads:

- a training job started with an ``ExperimentConfig`` gets AWS's trial component
  ``<job>-aws-training-job`` (Source the job, the hyperparameters as parameters, the final metrics
  and status when it ends), associated with the config's trial;
- a name used twice is a ValidationException ``... with name (x) already exists.`` (the SDK's
  load-or-create reads that wording), a trial of an experiment that does not exist and a
  DescribeExperiment of one are ResourceNotFound (moto answered a KeyError, a 500);
- ListTrialComponents honours ``ExperimentName``, ``TrialName``, ``SourceArn``, the creation-time
  bounds and the sort (moto ignored all but ``TrialName``, so ``list_runs`` saw every run);
- Search over ``FeatureGroup`` finds the sandbox's feature groups (:mod:`.feature_groups`);
- Search over ``ExperimentTrialComponent`` answers each component with its ``Parents`` (trial and
  experiment), ``Tags``, ``Parameters`` and metric summaries, and evaluates ``Filters`` on any of
  them (``Parents.ExperimentName``, ``Tags.<key>``, ``Parameters.<name>``, ``Metrics.<name>.<stat>``)
  with AWS's operators, ``NestedFilters``, ``SubExpressions``, ``SortBy`` and paging.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from emulators.core import paging
from emulators.core.clock import utcnow
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import Request
from emulators.sagemaker.api import common


class ExperimentsMixin:
    """AWS's checks on experiment, trial and trial component names."""

    def create_experiment(self, experiment_name: str, *args: Any, **kwargs: Any) -> Any:
        if experiment_name in self.experiments:  # type: ignore[attr-defined]
            raise InvalidInput(f"Experiment with name ({experiment_name}) already exists.")
        return super().create_experiment(experiment_name, *args, **kwargs)  # type: ignore[misc]

    def describe_experiment(self, experiment_name: str) -> Any:
        experiment = self.experiments.get(experiment_name)  # type: ignore[attr-defined]
        if experiment is None:
            raise NotFound(f"Experiment '{_arn(self, 'experiment', experiment_name)}' does not exist.",
                           code="ResourceNotFound")
        described = super().describe_experiment(experiment_name)  # type: ignore[misc]
        described["DisplayName"] = getattr(experiment, "display_name", None) or experiment_name
        if getattr(experiment, "description", None):
            described["Description"] = experiment.description
        return described

    def create_trial(self, trial_name: str, experiment_name: str, *args: Any, **kwargs: Any) -> Any:
        if trial_name in self.trials:  # type: ignore[attr-defined]
            raise InvalidInput(f"Trial with name ({trial_name}) already exists.")
        if experiment_name not in self.experiments:  # type: ignore[attr-defined]
            raise NotFound(f"Experiment '{_arn(self, 'experiment', experiment_name)}' does not exist.",
                           code="ResourceNotFound")
        return super().create_trial(trial_name, experiment_name, *args, **kwargs)  # type: ignore[misc]

    def create_trial_component(self, trial_component_name: str, *args: Any, **kwargs: Any) -> Any:
        if trial_component_name in self.trial_components:  # type: ignore[attr-defined]
            raise InvalidInput(f"Trial component with name ({trial_component_name}) already exists.")
        return super().create_trial_component(trial_component_name, *args, **kwargs)  # type: ignore[misc]


def start_job_component(backend: Any, job: Any, kind: str, parameters: dict[str, Any] | None) -> None:
    """The trial component AWS makes for a job started with an ExperimentConfig (``<job>-aws-<kind>-job``),
    its Source the job, associated with the config's trial (made for the experiment when it does not exist)."""
    config = getattr(job, "experiment_config", None) or {}
    if not config.get("ExperimentName") and not config.get("TrialName"):
        return
    name = f"{getattr(job, f'{kind}_job_name')}-aws-{kind}-job"
    if name not in backend.trial_components:
        backend.create_trial_component(
            name, start_time=utcnow(), end_time=None, display_name=config.get("TrialComponentDisplayName") or name,
            input_artifacts=None,
            parameters={k: {"StringValue": str(v)} for k, v in (parameters or {}).items()} or None,
            output_artifacts=None, metadata_properties=None, status={"PrimaryStatus": "InProgress"}, trial_name=None)
    component = backend.trial_components[name]
    component.source = {"SourceArn": job.arn, "SourceType": f"SageMaker{kind.capitalize()}Job"}
    trial = config.get("TrialName")
    if trial and trial not in backend.trials and config.get("ExperimentName") in backend.experiments:
        backend.create_trial(trial, config["ExperimentName"])
    if trial in backend.trials:
        backend.associate_trial_component(trial, name)


def finish_job_component(backend: Any, job: Any, kind: str, status: str, message: str | None,
                         metrics: list[dict[str, Any]] | None) -> None:
    """Close the job's trial component: its status, end time and the job's final metrics."""
    component = backend.trial_components.get(f"{getattr(job, f'{kind}_job_name')}-aws-{kind}-job")
    if component is None:
        return
    now = utcnow()
    component.status = {"PrimaryStatus": status, **({"Message": message} if message else {})}
    component.end_time = component.last_modified_time = now
    for metric in metrics or []:
        component.metrics[metric["MetricName"]] = {"MetricName": metric["MetricName"], "Timestamp": now.timestamp(),
                                                   "Values": {0: {"Value": metric["Value"]}}}


def _arn(backend: Any, kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:{kind}/{name}"


def _parents(backend: Any, component: Any) -> list[dict[str, str]]:
    return [{"TrialName": trial.trial_name, "ExperimentName": trial.experiment_name}
            for trial in backend.trials.values() if component.trial_component_name in trial.trial_components]


def trial_component_document(backend: Any, component: Any) -> dict[str, Any]:
    """The Search answer's ``TrialComponent`` (botocore's TrialComponent shape)."""
    described = dict(component.response_object)
    described.pop("Source", None)
    if getattr(component, "source", None):
        described["Source"] = component.source
    document = {k: copy.deepcopy(v) for k, v in described.items()
                if k in ("TrialComponentName", "DisplayName", "TrialComponentArn", "Source", "Status", "StartTime",
                         "EndTime", "CreationTime", "LastModifiedTime", "Parameters", "InputArtifacts",
                         "OutputArtifacts", "Metrics", "MetadataProperties") and v is not None}
    for key, empty in (("Parameters", {}), ("InputArtifacts", {}), ("OutputArtifacts", {}), ("Metrics", [])):
        document.setdefault(key, empty)  # AWS answers them empty; the SDK's ExperimentAnalytics reads them
    document["Tags"] = list(component.tags or [])
    document["Parents"] = _parents(backend, component)
    return document


def _values_at(document: Any, path: list[str]) -> list[Any]:
    """Every value at a dotted path (lists are searched element-wise; Parameters' values unwrapped)."""
    if not path:
        if isinstance(document, dict) and set(document) <= {"NumberValue", "StringValue"} and document:
            return [document.get("NumberValue", document.get("StringValue"))]
        return [document]
    if isinstance(document, list):
        if document and all(isinstance(d, dict) and "Key" in d and "Value" in d for d in document):  # tags
            return [d["Value"] for d in document if d["Key"] == path[0]] if len(path) == 1 else []
        if document and all(isinstance(d, dict) and "MetricName" in d for d in document):  # metric summaries
            found = [d for d in document if d["MetricName"] == path[0]]
            return [v for d in found for v in _values_at(d, path[1:])]
        return [v for d in document for v in _values_at(d, path)]
    if isinstance(document, dict) and path[0] in document:
        return _values_at(document[path[0]], path[1:])
    return []


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any]:
    if isinstance(actual, datetime):
        try:
            bound = datetime.fromisoformat(str(expected).replace("Z", "+00:00"))
        except ValueError:
            bound = datetime.fromtimestamp(float(expected), timezone.utc)
        return _aware(actual), bound if bound.tzinfo else bound.replace(tzinfo=timezone.utc)
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        try:
            return float(actual), float(expected)
        except (TypeError, ValueError):
            return str(actual), str(expected)
    return str(actual), str(expected)


def _filter_matches(document: dict[str, Any], search_filter: dict[str, Any]) -> bool:
    operator = search_filter.get("Operator") or "Equals"
    values = _values_at(document, str(search_filter.get("Name") or "").split("."))
    if operator == "Exists":
        return bool(values)
    if operator == "NotExists":
        return not values
    expected = search_filter.get("Value")
    if operator == "In":
        options = [o.strip() for o in str(expected).split(",")]
        return any(str(v) in options for v in values)
    if operator == "NotEquals":
        return all(_comparable(v, expected)[0] != _comparable(v, expected)[1] for v in values)
    for value in values:
        actual, bound = _comparable(value, expected)
        if operator == "Contains":
            if str(bound).lower() in str(actual).lower():
                return True
            continue
        try:
            if {"Equals": actual == bound, "GreaterThan": actual > bound, "GreaterThanOrEqualTo": actual >= bound,
                    "LessThan": actual < bound, "LessThanOrEqualTo": actual <= bound}.get(operator, False):
                return True
        except TypeError:
            continue
    return False


def expression_matches(document: dict[str, Any], expression: dict[str, Any] | None) -> bool:
    """A SearchExpression (Filters, NestedFilters, SubExpressions joined by its Operator, And by default)."""
    if not expression:
        return True
    results = [_filter_matches(document, f) for f in expression.get("Filters") or []]
    for nested in expression.get("NestedFilters") or []:
        results.append(all(_filter_matches(document, {**f, "Name": f"{nested.get('NestedPropertyName')}."
                                                      f"{str(f.get('Name', '')).split('.', 1)[-1]}"})
                           for f in nested.get("Filters") or []))
    results += [expression_matches(document, sub) for sub in expression.get("SubExpressions") or []]
    if not results:
        return True
    return any(results) if expression.get("Operator") == "Or" else all(results)


def _sort_key(document: dict[str, Any], sort_by: str) -> tuple[int, Any]:
    values = _values_at(document, sort_by.split("."))
    if not values:
        return (1, "")
    value = values[0]
    if isinstance(value, datetime):
        return (0, value.timestamp())
    return (0, value if isinstance(value, (int, float)) else str(value))


def search_handler(request: Request) -> dict[str, Any]:
    """Search: ExperimentTrialComponent and FeatureGroup answered here, other resources by moto."""
    backend = common.backend_of(request)
    resource = request.get("Resource")
    if resource == "ExperimentTrialComponent":
        documents = [trial_component_document(backend, c) for c in backend.trial_components.values()]
    elif resource == "FeatureGroup":  # the sandbox's feature groups (moto's own stay empty)
        documents = [{k: copy.deepcopy(v) for k, v in g.items() if k not in ("Tags", "ThroughputConfig",
                                                                              "_FeatureMetadata")}
                     | {"Tags": list(g.get("Tags") or [])} for g in backend.extras.feature_groups.values()]
    else:
        return backend.search(resource=resource, search_expression=request.get("SearchExpression"))
    documents = [d for d in documents if expression_matches(d, request.get("SearchExpression"))]
    sort_by = request.get("SortBy") or "CreationTime"
    present = [d for d in documents if _sort_key(d, sort_by)[0] == 0]
    present.sort(key=lambda d: _sort_key(d, sort_by)[1], reverse=(request.get("SortOrder") or "Descending")
                 == "Descending")
    documents = present + [d for d in documents if _sort_key(d, sort_by)[0] == 1]
    page, token = paging.page(documents, request.get("NextToken"), request.get("MaxResults"),
                              listing=f"sagemaker:search:{resource}:{sort_by}", max_size=100)
    member = "TrialComponent" if resource == "ExperimentTrialComponent" else resource
    return {"Results": [{member: d} for d in page], **({"NextToken": token} if token else {})}


def list_trial_components_handler(request: Request) -> dict[str, Any]:
    backend = common.backend_of(request)
    components = list(backend.trial_components.values())
    if request.get("TrialName"):
        trial = backend.trials.get(request.get("TrialName"))
        names = set(trial.trial_components) if trial is not None else set()
        components = [c for c in components if c.trial_component_name in names]
    if request.get("ExperimentName"):
        names = {n for t in backend.trials.values() if t.experiment_name == request.get("ExperimentName")
                 for n in t.trial_components}
        components = [c for c in components if c.trial_component_name in names]
    if request.get("SourceArn"):
        components = [c for c in components
                      if (getattr(c, "source", None) or {}).get("SourceArn") == request.get("SourceArn")]
    for key, keep in (("CreatedAfter", lambda t, b: t > b), ("CreatedBefore", lambda t, b: t < b)):
        if request.get(key) is not None:
            bound = _comparable(components[0].creation_time, request.get(key))[1] if components else None
            components = [c for c in components if keep(_aware(c.creation_time), bound)]
    sort_by = {"Name": "trial_component_name"}.get(request.get("SortBy") or "CreationTime", "creation_time")
    components.sort(key=lambda c: getattr(c, sort_by),
                    reverse=(request.get("SortOrder") or "Descending") == "Descending")
    summaries = [{"TrialComponentName": c.trial_component_name, "TrialComponentArn": c.arn,
                  "DisplayName": c.display_name, "CreationTime": c.creation_time,
                  "LastModifiedTime": c.last_modified_time,
                  **({"TrialComponentSource": c.source} if getattr(c, "source", None) else {}),
                  **({"Status": c.status} if c.status else {}),
                  **({"StartTime": c.start_time} if c.start_time else {}),
                  **({"EndTime": c.end_time} if c.end_time else {})} for c in components]
    page, token = paging.page(summaries, request.get("NextToken"), request.get("MaxResults"),
                              listing=f"sagemaker:list_trial_components:{request.get('ExperimentName')}:"
                                      f"{request.get('TrialName')}:{sort_by}", max_size=100)
    return {"TrialComponentSummaries": page, **({"NextToken": token} if token else {})}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def create_experiment_handler(request: Request) -> dict[str, Any]:
    """CreateExperiment keeping DisplayName, Description and Tags (moto keeps the name only)."""
    backend = common.backend_of(request)
    name = request.get("ExperimentName")
    result = backend.create_experiment(name)
    experiment = backend.experiments[name]
    experiment.display_name = request.get("DisplayName") or name
    experiment.description = request.get("Description")
    experiment.tags = list(request.get("Tags") or [])
    return result


def create_trial_handler(request: Request) -> dict[str, Any]:
    backend = common.backend_of(request)
    result = backend.create_trial(request.get("TrialName"), request.get("ExperimentName"))
    trial = backend.trials[request.get("TrialName")]
    trial.tags = list(request.get("Tags") or [])
    if request.get("DisplayName"):
        trial.display_name = request.get("DisplayName")
    return result


def create_trial_component_handler(request: Request) -> dict[str, Any]:
    """CreateTrialComponent keeping Tags (the SDK's Run marks its components with a tag)."""
    backend = common.backend_of(request)
    name = request.get("TrialComponentName")
    result = backend.create_trial_component(
        name, start_time=request.get("StartTime"), end_time=request.get("EndTime"),
        display_name=request.get("DisplayName"), parameters=request.get("Parameters"),
        input_artifacts=request.get("InputArtifacts"), output_artifacts=request.get("OutputArtifacts"),
        metadata_properties=request.get("MetadataProperties"), status=request.get("Status"), trial_name=None)
    backend.trial_components[name].tags = list(request.get("Tags") or [])
    return result


OPERATIONS = {"search": search_handler, "list_trial_components": list_trial_components_handler,
              "create_experiment": create_experiment_handler, "create_trial": create_trial_handler,
              "create_trial_component": create_trial_component_handler}
