"""Repairs to moto's ASL interpreter for optimised integrations (``arn:aws:states:::<service>:<action>.sync``).

This module is coupled to moto's Step Functions parser (``moto.stepfunctions.parser``),
as ``emulators/core/moto_coupling.py`` is to the rest of moto; a moto upgrade checks it.

- ``.sync`` tasks of services that have no ``.waitForTaskToken`` pattern (Glue's
  ``startJobRun.sync``) crashed in moto's interpreter with "'NoneType' object has no
  attribute 'interrupt_all'": each such task now gets the callback endpoint moto expects.
- SageMaker (``createTrainingJob``, ``createTransformJob``, ``createProcessingJob``,
  ``createHyperParameterTuningJob``) runs as an optimised integration: the request goes
  to the sandbox's SageMaker, and ``.sync`` waits for the job as Step Functions does,
  failing the task with ``States.TaskFailed`` when the job fails or stops.
"""

from __future__ import annotations

import importlib
from typing import Any

_PARSER = "moto.stepfunctions.parser.asl"
_SERVICE = f"{_PARSER}.component.state.exec.state_task.service"

# action (snake case) -> (describe call, name parameter, status key)
SAGEMAKER_JOBS = {
    "create_training_job": ("describe_training_job", "TrainingJobName", "TrainingJobStatus"),
    "create_transform_job": ("describe_transform_job", "TransformJobName", "TransformJobStatus"),
    "create_processing_job": ("describe_processing_job", "ProcessingJobName", "ProcessingJobStatus"),
    "create_hyper_parameter_tuning_job": ("describe_hyper_parameter_tuning_job", "HyperParameterTuningJobName",
                                          "HyperParameterTuningJobStatus"),
}
FINISHED = {"Completed": True, "Failed": False, "Stopped": False}


def _json_ready(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _module(name: str) -> Any:
    return importlib.import_module(name)


def _give_sync_tasks_a_callback_endpoint() -> None:
    callback = _module(f"{_SERVICE}.state_task_service_callback")
    resource = _module(f"{_SERVICE}.resource")
    cls = callback.StateTaskServiceCallback
    if getattr(cls, "_sandbox_sync_endpoint", False):
        return
    original = cls._eval_integration_pattern
    wait_for_token = resource.ResourceCondition.WaitForTaskToken

    def eval_integration_pattern(self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: Any,
                                 state_credentials: Any) -> None:
        if wait_for_token in self._supported_integration_patterns:
            original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        else:
            token = env.states.context_object.update_task_token()
            env.callback_pool_manager.add(token)
            patterns = self._supported_integration_patterns
            self._supported_integration_patterns = set(patterns) | {wait_for_token}
            try:
                original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
            finally:
                self._supported_integration_patterns = patterns
                env.states.context_object.context_object_data.pop("Task", None)
        if env.stack:
            # a .sync result is a Describe*/Get* response: its timestamps become epoch milliseconds,
            # as in Step Functions' output (datetimes would not even serialise)
            env.stack[-1] = _json_ready(env.stack[-1])

    cls._eval_integration_pattern = eval_integration_pattern
    cls._sandbox_sync_endpoint = True


def _sagemaker_task_class() -> type:
    callback = _module(f"{_SERVICE}.state_task_service_callback")
    resource = _module(f"{_SERVICE}.resource")
    boto_client = _module(f"{_PARSER}.utils.boto_client")
    failure = _module(f"{_PARSER}.component.common.error_name.failure_event")
    custom_error = _module(f"{_PARSER}.component.common.error_name.custom_error_name")
    states_error = _module(f"{_PARSER}.component.common.error_name.states_error_name")
    states_error_type = _module(f"{_PARSER}.component.common.error_name.states_error_name_type")
    event_detail = _module(f"{_PARSER}.eval.event.event_detail")
    encoding = _module(f"{_PARSER}.utils.encoding")
    history = importlib.import_module("moto.stepfunctions.parser.api")

    class StateTaskServiceSageMaker(callback.StateTaskServiceCallback):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__(supported_integration_patterns={resource.ResourceCondition.Sync,
                                                             resource.ResourceCondition.WaitForTaskToken})

        def _validate_service_integration_is_supported(self) -> None:
            """Every SageMaker action is an SDK call; .sync is checked when it runs."""

        def _client(self, resource_runtime_part: Any, state_credentials: Any) -> Any:
            return boto_client.boto_client_for(service="sagemaker", region=resource_runtime_part.region,
                                               state_credentials=state_credentials)

        def _eval_service_task(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                               state_credentials: Any) -> None:
            client = self._client(resource_runtime_part, state_credentials)
            action = self._get_boto_service_action()
            response = getattr(client, action)(**normalised_parameters)
            response.pop("ResponseMetadata", None)
            env.stack.append(response)

        def _from_error(self, env: Any, ex: Exception) -> Any:
            from botocore.exceptions import ClientError

            if isinstance(ex, ClientError):
                name = f"SageMaker.{ex.response['Error']['Code']}"
                return failure.FailureEvent(
                    env=env, error_name=custom_error.CustomErrorName(name),
                    event_type=history.HistoryEventType.TaskFailed,
                    event_details=event_detail.EventDetails(taskFailedEventDetails=history.TaskFailedEventDetails(
                        error=name, cause=ex.response["Error"].get("Message", ""),
                        resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type())))
            return super()._from_error(env=env, ex=ex)

        def _build_sync_resolver(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                                 state_credentials: Any) -> Any:
            env.stack.pop()  # the Create* response; the describe output replaces it
            action = self._get_boto_service_action()
            if action not in SAGEMAKER_JOBS:
                raise RuntimeError(f"sagemaker:{self.resource.api_action}.sync is not an integration Step "
                                   f"Functions offers (use one of {', '.join(SAGEMAKER_JOBS)})")
            describe, name_key, status_key = SAGEMAKER_JOBS[action]
            client = self._client(resource_runtime_part, state_credentials)
            name = normalised_parameters[name_key]

            def resolve() -> Any:
                described = getattr(client, describe)(**{name_key: name})
                described.pop("ResponseMetadata", None)
                status = described.get(status_key)
                if status not in FINISHED:
                    return None
                if FINISHED[status]:
                    return described
                raise failure.FailureEventException(failure.FailureEvent(
                    env=env,
                    error_name=states_error.StatesErrorName(typ=states_error_type.StatesErrorNameType.StatesTaskFailed),
                    event_type=history.HistoryEventType.TaskFailed,
                    event_details=event_detail.EventDetails(taskFailedEventDetails=history.TaskFailedEventDetails(
                        resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type(),
                        error=states_error_type.StatesErrorNameType.StatesTaskFailed.to_name(),
                        cause=encoding.to_json_str(described)))))

            return resolve

    return StateTaskServiceSageMaker


def _route_sagemaker_tasks() -> None:
    factory = _module(f"{_PARSER}.component.state.exec.state_task.state_task_factory")
    if getattr(factory, "_sandbox_sagemaker", False):
        return
    sagemaker_class = _sagemaker_task_class()
    original = factory.state_task_service_for

    def state_task_service_for(service_name: str) -> Any:
        if service_name == "sagemaker":
            return sagemaker_class()
        return original(service_name=service_name)

    factory.state_task_service_for = state_task_service_for
    factory._sandbox_sagemaker = True


def install() -> None:
    _give_sync_tasks_a_callback_endpoint()
    _route_sagemaker_tasks()
