"""Which optimised integrations and integration patterns Step Functions offers ("Integrating optimized services
with Step Functions" in the developer guide, one page per service).

CreateStateMachine refuses a Task whose ``arn:aws:states:::<service>:<action>[.sync|.waitForTaskToken]`` is not
one of them (``sagemaker:createEndpoint.sync``, ``glue:startJobRun.waitForTaskToken``, ``athena:listQueryExecutions``)
with ``InvalidDefinition``, as AWS does; before, such a state failed only when an execution reached it.
AWS SDK integrations (``aws-sdk:<service>:<action>``) are not checked here: the interpreter resolves them.
"""

from __future__ import annotations

from emulators.core import service_models

RR, SYNC, WAIT = "", "sync", "waitForTaskToken"

# service -> action -> the patterns it supports (RR: request-response)
OPTIMISED: dict[str, dict[str, set[str]]] = {
    "lambda": {"invoke": {RR, WAIT}},
    "batch": {"submitJob": {RR, SYNC}},
    "dynamodb": {action: {RR} for action in ("getItem", "putItem", "updateItem", "deleteItem")},
    "sns": {"publish": {RR, WAIT}},
    "sqs": {"sendMessage": {RR, WAIT}},
    "events": {"putEvents": {RR, WAIT}},
    "glue": {"startJobRun": {RR, SYNC}},
    "athena": {"startQueryExecution": {RR, SYNC}, "stopQueryExecution": {RR}, "getQueryExecution": {RR},
               "getQueryResults": {RR}},
    "sagemaker": {**{action: {RR, SYNC} for action in (
        "createTrainingJob", "createTransformJob", "createProcessingJob", "createHyperParameterTuningJob",
        "createLabelingJob")},
                  **{action: {RR} for action in ("createModel", "createEndpointConfig", "createEndpoint",
                                                 "updateEndpoint")}},
    "elasticmapreduce": {**{action: {RR, SYNC} for action in (
        "createCluster", "terminateCluster", "addStep", "modifyInstanceFleetByName", "modifyInstanceGroupByName")},
                         "cancelStep": {RR}, "setClusterTerminationProtection": {RR}},
    "states": {"startExecution": {RR, SYNC, "sync:2", WAIT}},
    "ecs": {"runTask": {RR, SYNC, WAIT}},
}

PREFIX = "arn:aws:states:::"
# the botocore service of an optimised integration whose actions are the API's own (EMR's are not: addStep, ...)
_BOTO_SERVICES = {"lambda": "lambda", "batch": "batch", "dynamodb": "dynamodb", "sns": "sns", "sqs": "sqs",
                  "events": "events", "glue": "glue", "athena": "athena", "sagemaker": "sagemaker",
                  "states": "stepfunctions", "ecs": "ecs"}


def resource_problem(resource: str) -> str | None:
    """Why Step Functions does not recognise an optimised integration's resource, or None."""
    if not resource.startswith(PREFIX) or resource.startswith(PREFIX + "aws-sdk:"):
        return None
    service, _, rest = resource[len(PREFIX):].partition(":")
    actions = OPTIMISED.get(service)
    if actions is None:
        return None  # a service this table does not describe: the interpreter decides
    action, _, pattern = rest.partition(".")
    patterns = actions.get(action)
    if patterns is not None and pattern in patterns:
        return None
    if patterns is None:
        offered = ", ".join(sorted(actions))
        why = f"{service} offers the optimised actions {offered} (other actions: arn:aws:states:::aws-sdk:{service}:<action>)"
    else:
        offered = ", ".join(f"{action}.{p}" if p else action for p in sorted(patterns))
        why = f"the integration patterns of {service}:{action} are {offered}"
    return (f"SCHEMA_VALIDATION_FAILED: The resource provided {resource} is not recognized. The value is not a "
            f"valid resource ARN, or the resource is not available in this region ({why}).")


def express_problem(definition: str) -> str | None:
    """Why an EXPRESS state machine cannot have this definition: Express workflows support request-response
    integrations only ("Choosing workflow type": no ``.sync``, no ``.waitForTaskToken``), or None."""
    import json

    try:
        document = json.loads(definition)
    except ValueError:
        return None
    pending = [(document, "")]
    while pending:
        node, path = pending.pop()
        for name, state in (node.get("States") or {}).items() if isinstance(node, dict) else ():
            if not isinstance(state, dict):
                continue
            where = f"{path}/States/{name}"
            resource = state.get("Resource")
            if isinstance(resource, str) and resource.startswith(PREFIX):
                pattern = resource[len(PREFIX):].partition(".")[2]
                if pattern:
                    return (f"SCHEMA_VALIDATION_FAILED: Express state machine does not support '.{pattern}' service "
                            f"integration at {where}/Resource")
            pending.extend((branch, f"{where}/Branches[{i}]") for i, branch in enumerate(state.get("Branches") or []))
            pending.extend((state[key], f"{where}/{key}") for key in ("Iterator", "ItemProcessor") if key in state)
    return None


def parameters_problem(resource: str, parameters: object) -> str | None:
    """The first field of an optimised integration's ``Parameters`` that its API does not have (``FunctionNam``),
    as Step Functions refuses it at CreateStateMachine ("The field ... is not supported by Step Functions"); moto's
    interpreter dropped such fields when the task ran. Field names match the API's members whatever their case."""
    if not isinstance(parameters, dict) or not resource.startswith(PREFIX):
        return None
    service, _, rest = resource[len(PREFIX):].partition(":")
    boto_service = _BOTO_SERVICES.get(service)
    if boto_service is None or resource_problem(resource):
        return None
    members = _input_members(boto_service, rest.partition(".")[0])
    if members is None:
        return None
    for key in parameters:
        name = key[:-2] if key.endswith(".$") else key
        if name.lower() not in members:
            return f'SCHEMA_VALIDATION_FAILED: The field "{name}" is not supported by Step Functions'
    return None


_MEMBERS: dict[tuple[str, str], frozenset[str] | None] = {}


def _input_members(service: str, action: str) -> frozenset[str] | None:
    if (service, action) not in _MEMBERS:
        from botocore import xform_name

        members = None
        try:
            model = service_models.service_model(service)
            wanted = xform_name(action[:1].upper() + action[1:])
            operation = next((n for n in model.operation_names if xform_name(n) == wanted), None)
            if operation is not None:
                shape = model.operation_model(operation).input_shape
                members = frozenset(m.lower() for m in (shape.members if shape is not None else {}))
        except Exception:  # a service botocore does not know: nothing to check against
            members = None
        _MEMBERS[(service, action)] = members
    return _MEMBERS[(service, action)]
