"""IAM's policy simulator, answered as AWS shapes it: every action is ``allowed``.

The sandbox never enforces IAM policies (any signed request may do anything), so the honest answer
of ``SimulatePrincipalPolicy`` / ``SimulateCustomPolicy`` about this sandbox is that each action is
allowed. SDKs ask it before they start (the SageMaker Python SDK v3 checks its execution role with
``SimulatePrincipalPolicy``); moto answered ``NotImplemented``. The policy source must exist
(``NoSuchEntity`` otherwise) and the request is validated as AWS does; the policies themselves are not
evaluated, so ``MatchedStatements`` is empty.
"""

from __future__ import annotations

from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import InvalidInput, NotFound
from emulators.core.moto_coupling import AwsError, Request


def _list_param(request: Request, name: str) -> list[str]:
    value = request.get(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict) and "member" in value:
        member = value["member"]
        return [str(v) for v in (member if isinstance(member, list) else [member])]
    if isinstance(value, str):
        return [value]
    return []


def _evaluation_results(request: Request) -> dict[str, Any]:
    actions = _list_param(request, "ActionNames")
    if not actions:
        raise InvalidInput("1 validation error detected: Value null at 'actionNames' failed to "
                           "satisfy constraint: Member must not be null", code="ValidationError")
    for action in actions:
        if ":" not in action:
            raise InvalidInput(f"Invalid action name {action!r}: an action is service:Action", code="InvalidInput")
    resources = _list_param(request, "ResourceArns") or ["*"]
    results = [{"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": "allowed",
                "MatchedStatements": [], "MissingContextValues": []}
               for action in actions for resource in resources]
    return {"EvaluationResults": results, "IsTruncated": False}


def _policy_source_exists(backend: Any, arn: str) -> None:
    kind_and_name = arn.split(":", 5)[-1] if arn.startswith("arn:") else ""
    kind, _, path_name = kind_and_name.partition("/")
    name = path_name.rsplit("/", 1)[-1]
    try:
        if kind == "role":
            backend.get_role(name)
        elif kind == "user":
            backend.get_user(name)
        elif kind == "group":
            backend.get_group(name)
        else:
            raise InvalidInput(f"PolicySourceArn {arn!r} is not the ARN of a user, group or role", code="InvalidInput")
    except AwsError:
        raise
    except Exception:
        raise NotFound(f"PolicySourceArn {arn} could not be found.", code="NoSuchEntity") from None


def _simulate_principal_policy(request: Request) -> dict[str, Any]:
    arn = request.get("PolicySourceArn")
    if not arn:
        raise InvalidInput("1 validation error detected: Value null at 'policySourceArn' failed "
                           "to satisfy constraint: Member must not be null", code="ValidationError")
    _policy_source_exists(moto_coupling.backend_for("iam", request.account_id, request.partition), arn)
    return _evaluation_results(request)


def _simulate_custom_policy(request: Request) -> dict[str, Any]:
    if not _list_param(request, "PolicyInputList"):
        raise InvalidInput("1 validation error detected: Value null at 'policyInputList' failed "
                           "to satisfy constraint: Member must not be null", code="ValidationError")
    return _evaluation_results(request)


def install(cloud: Any) -> None:
    moto_coupling.add_operation("iam", "IamResponse", "simulate_principal_policy", _simulate_principal_policy)
    moto_coupling.add_operation("iam", "IamResponse", "simulate_custom_policy", _simulate_custom_policy)
