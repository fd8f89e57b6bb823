"""IAM and STS, answered by moto.

Emulated: users, roles, policies, instance profiles, AssumeRole/GetCallerIdentity
(always account 123456789012). Roles passed to Glue, SageMaker, Redshift, Firehose
are recorded.

Not emulated: policies are never evaluated; every call is allowed.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="IAM / STS",
    api_names=("iam", "sts"),
    stand_in="moto (LocalStack in docker compose)",
    executes="users, roles, policies stored; STS answers",
    not_emulated="policies are never enforced: every call is allowed",
)
