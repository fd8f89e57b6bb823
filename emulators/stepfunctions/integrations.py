"""Repairs to moto's ASL interpreter for optimised integrations (``arn:aws:states:::<service>:<action>.sync``).

This module is coupled to the internals of moto's Step Functions parser (``moto.stepfunctions.parser``,
whose modules it gets from ``moto_coupling.stepfunctions_parser_module``); a moto upgrade checks it.

- ``.sync`` tasks of services that have no ``.waitForTaskToken`` pattern (Glue's
  ``startJobRun.sync``) crashed in moto's interpreter with "'NoneType' object has no
  attribute 'interrupt_all'": each such task now gets the callback endpoint moto expects.
- SageMaker (``createTrainingJob``, ``createTransformJob``, ``createProcessingJob``,
  ``createHyperParameterTuningJob``), Athena (``startQueryExecution``) and EMR
  (``addStep``, ``createCluster``, ``terminateCluster``: Step Functions' own action names,
  mapped to the EMR API) run as optimised integrations (:data:`INTEGRATIONS`): the
  request goes to the sandbox's service, and ``.sync`` waits for the job as Step
  Functions does, failing the task with ``States.TaskFailed`` when it fails or stops.
- An execution's output is stored before its status turns SUCCEEDED (moto set the status first, so a
  DescribeExecution in between saw SUCCEEDED without output).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulators.core import moto_coupling
from emulators.stepfunctions.outputs import epoch_millis

_PARSER = "asl"  # under moto.stepfunctions.parser, reached through moto_coupling
_SERVICE = f"{_PARSER}.component.state.exec.state_task.service"

@dataclass(frozen=True)
class SyncJob:
    """How ``.sync`` waits for what an action started: describe it until its status is final."""

    describe: Callable[[Any, dict, dict], dict]  # (client, request, Start/Create response) -> Describe response
    status: Callable[[dict], str]
    finished: dict[str, bool]  # final status -> succeeded?
    outputs_start_response: bool = False  # the task's output is the Start/Create response, not the Describe one


@dataclass(frozen=True)
class ServiceIntegration:
    """An optimised integration: its boto3 client, error prefix, request mapping and .sync jobs."""

    client: str
    error_prefix: str
    sync_jobs: dict[str, SyncJob]
    # Step Functions action (snake case) -> (boto3 method, request builder, response builder)
    calls: dict[str, tuple[str, Callable[[dict], dict], Callable[[dict], dict]]] = field(default_factory=dict)


def _sagemaker_job(describe: str, name_key: str, status_key: str) -> SyncJob:
    return SyncJob(lambda client, request, _: getattr(client, describe)(**{name_key: request[name_key]}),
                   lambda described: described.get(status_key), {"Completed": True, "Failed": False,
                                                                 "Stopped": False})


def _same(value: dict) -> dict:
    return value


INTEGRATIONS = {
    "sagemaker": ServiceIntegration("sagemaker", "SageMaker", {
        "create_training_job": _sagemaker_job("describe_training_job", "TrainingJobName", "TrainingJobStatus"),
        "create_transform_job": _sagemaker_job("describe_transform_job", "TransformJobName", "TransformJobStatus"),
        "create_processing_job": _sagemaker_job("describe_processing_job", "ProcessingJobName",
                                                "ProcessingJobStatus"),
        "create_hyper_parameter_tuning_job": _sagemaker_job(
            "describe_hyper_parameter_tuning_job", "HyperParameterTuningJobName", "HyperParameterTuningJobStatus"),
    }),
    # the output of startQueryExecution.sync is GetQueryExecution's response, as on AWS
    "athena": ServiceIntegration("athena", "Athena", {
        "start_query_execution": SyncJob(
            lambda client, _, started: client.get_query_execution(QueryExecutionId=started["QueryExecutionId"]),
            lambda described: described["QueryExecution"]["Status"]["State"],
            {"SUCCEEDED": True, "FAILED": False, "CANCELLED": False}),
    }),
    # Step Functions' EMR actions are not the EMR API's: addStep takes one Step, createCluster is RunJobFlow
    "elasticmapreduce": ServiceIntegration("emr", "ElasticMapReduce", {
        "add_step": SyncJob(
            lambda client, request, started: client.describe_step(ClusterId=request["ClusterId"],
                                                                  StepId=started["StepId"]),
            lambda described: described["Step"]["Status"]["State"],
            {"COMPLETED": True, "FAILED": False, "CANCELLED": False, "INTERRUPTED": False}),
        "create_cluster": SyncJob(
            lambda client, _, started: client.describe_cluster(ClusterId=started["ClusterId"]),
            lambda described: described["Cluster"]["Status"]["State"],
            {"WAITING": True, "RUNNING": True, "TERMINATED": True, "TERMINATED_WITH_ERRORS": False},
            outputs_start_response=True),
        "terminate_cluster": SyncJob(
            lambda client, request, _: client.describe_cluster(ClusterId=request["ClusterId"]),
            lambda described: described["Cluster"]["Status"]["State"],
            {"TERMINATED": True, "TERMINATED_WITH_ERRORS": True}),
    }, calls={
        "add_step": ("add_job_flow_steps", lambda p: {"JobFlowId": p["ClusterId"], "Steps": [p["Step"]]},
                     lambda r: {"StepId": r["StepIds"][0]}),
        "cancel_step": ("cancel_steps", lambda p: {"ClusterId": p["ClusterId"], "StepIds": [p["StepId"]]},
                        lambda r: {"CancelStepsInfoList": r.get("CancelStepsInfoList", [])}),
        "create_cluster": ("run_job_flow", _same, lambda r: {"ClusterId": r["JobFlowId"],
                                                              "ClusterArn": r.get("ClusterArn")}),
        "terminate_cluster": ("terminate_job_flows", lambda p: {"JobFlowIds": [p["ClusterId"]]}, lambda r: {}),
        "set_cluster_termination_protection": (
            "set_termination_protection",
            lambda p: {"JobFlowIds": [p["ClusterId"]], "TerminationProtected": p["TerminationProtected"]},
            lambda r: {}),
    }),
}


def _module(name: str) -> Any:
    return moto_coupling.stepfunctions_parser_module(name)


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
            env.stack[-1] = epoch_millis(env.stack[-1])

    cls._eval_integration_pattern = eval_integration_pattern
    cls._sandbox_sync_endpoint = True


def _integration_task_class(integration: ServiceIntegration) -> type:
    callback = _module(f"{_SERVICE}.state_task_service_callback")
    resource = _module(f"{_SERVICE}.resource")
    boto_client = _module(f"{_PARSER}.utils.boto_client")
    failure = _module(f"{_PARSER}.component.common.error_name.failure_event")
    custom_error = _module(f"{_PARSER}.component.common.error_name.custom_error_name")
    states_error = _module(f"{_PARSER}.component.common.error_name.states_error_name")
    states_error_type = _module(f"{_PARSER}.component.common.error_name.states_error_name_type")
    event_detail = _module(f"{_PARSER}.eval.event.event_detail")
    encoding = _module(f"{_PARSER}.utils.encoding")
    history = _module("api")

    class StateTaskServiceIntegration(callback.StateTaskServiceCallback):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__(supported_integration_patterns={resource.ResourceCondition.Sync,
                                                             resource.ResourceCondition.WaitForTaskToken})

        def _validate_service_integration_is_supported(self) -> None:
            """Every action is an SDK call; .sync is checked when it runs."""

        def _get_boto_service_name(self, boto_service_name: str | None = None) -> str:
            return boto_service_name or integration.client

        def _client(self, resource_runtime_part: Any, state_credentials: Any) -> Any:
            return boto_client.boto_client_for(service=integration.client, region=resource_runtime_part.region,
                                               state_credentials=state_credentials)

        def _eval_service_task(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                               state_credentials: Any) -> None:
            client = self._client(resource_runtime_part, state_credentials)
            action = self._get_boto_service_action()
            method, build_request, build_response = integration.calls.get(action, (action, _same, _same))
            response = getattr(client, method)(**build_request(normalised_parameters))
            response.pop("ResponseMetadata", None)
            env.stack.append(epoch_millis(build_response(response)))

        def _from_error(self, env: Any, ex: Exception) -> Any:
            from botocore.exceptions import ClientError

            if isinstance(ex, ClientError):
                name = f"{integration.error_prefix}.{ex.response['Error']['Code']}"
                return failure.FailureEvent(
                    env=env, error_name=custom_error.CustomErrorName(name),
                    event_type=history.HistoryEventType.TaskFailed,
                    event_details=event_detail.EventDetails(taskFailedEventDetails=history.TaskFailedEventDetails(
                        error=name, cause=ex.response["Error"].get("Message", ""),
                        resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type())))
            return super()._from_error(env=env, ex=ex)

        def _build_sync_resolver(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                                 state_credentials: Any) -> Any:
            started = env.stack.pop()  # the Start/Create response; the Describe output replaces it
            action = self._get_boto_service_action()
            job = integration.sync_jobs.get(action)
            if job is None:
                raise RuntimeError(f"{self.resource.service_name}:{self.resource.api_action}.sync is not an "
                                   f"integration Step Functions offers (.sync works with: "
                                   f"{', '.join(integration.sync_jobs)})")
            client = self._client(resource_runtime_part, state_credentials)

            def resolve() -> Any:
                described = job.describe(client, normalised_parameters, started)
                described.pop("ResponseMetadata", None)
                status = job.status(described)
                if status not in job.finished:
                    return None
                if job.finished[status]:
                    return started if job.outputs_start_response else described
                raise failure.FailureEventException(failure.FailureEvent(
                    env=env,
                    error_name=states_error.StatesErrorName(typ=states_error_type.StatesErrorNameType.StatesTaskFailed),
                    event_type=history.HistoryEventType.TaskFailed,
                    event_details=event_detail.EventDetails(taskFailedEventDetails=history.TaskFailedEventDetails(
                        resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type(),
                        error=states_error_type.StatesErrorNameType.StatesTaskFailed.to_name(),
                        cause=encoding.to_json_str(epoch_millis(described))))))

            return resolve

    return StateTaskServiceIntegration


def _route_integration_tasks() -> None:
    factory = _module(f"{_PARSER}.component.state.exec.state_task.state_task_factory")
    if getattr(factory, "_sandbox_integrations", False):
        return
    classes = {name: _integration_task_class(integration) for name, integration in INTEGRATIONS.items()}
    original = factory.state_task_service_for

    def state_task_service_for(service_name: str) -> Any:
        if service_name in classes:
            return classes[service_name]()
        return original(service_name=service_name)

    factory.state_task_service_for = state_task_service_for
    factory._sandbox_integrations = True


def _set_output_before_status() -> None:
    """moto's interpreter marked an ending execution SUCCEEDED before it stored the output, so a
    DescribeExecution in between answered SUCCEEDED with no output: store the output first."""
    module = _module("backend.execution")
    cls = module.BaseExecutionWorkerCommunication
    original = cls._reflect_execution_status
    if getattr(original, "sandbox_output_first", False):
        return

    def reflect_execution_status(self: Any) -> None:
        env = self.execution.exec_worker.env
        if isinstance(env.program_state(), module.ProgramEnded):
            self.execution.output = env.states.get_input()
        original(self)

    reflect_execution_status.sandbox_output_first = True  # type: ignore[attr-defined]
    cls._reflect_execution_status = reflect_execution_status


def install() -> None:
    _give_sync_tasks_a_callback_endpoint()
    _route_integration_tasks()
    _set_output_before_status()
