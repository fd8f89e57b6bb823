"""IAM and STS, answered by moto.

Emulated: users, roles, policies, instance profiles, AssumeRole/GetCallerIdentity
(always account 123456789012). Roles passed to Glue, SageMaker, Redshift, Firehose
are recorded.

Not emulated: policies are never evaluated; every call is allowed. Accordingly the
policy simulator (``SimulatePrincipalPolicy``, ``SimulateCustomPolicy``) answers in
AWS's shape that every action is ``allowed`` (with no matched statements), after
checking that the principal exists; SDKs that check a role before they start (the
SageMaker Python SDK v3) get the answer that holds here.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="IAM / STS",
    api_names=("iam", "sts"),
    stand_in="moto (LocalStack in docker compose)",
    executes="users, roles, policies stored; STS answers; the policy simulator answers every action allowed",
    not_emulated="policies are never enforced or evaluated: every call is allowed",
    provider="provider",
)
