"""EventBridge (CloudWatch Events), on moto with the sandbox's own delivery and schedules.

Emulated: rules and targets are kept by moto; scheduled rules (``rate(...)``,
``cron(...)``) on the default bus fire while the sandbox runs, and events matched
by PutEvents or sent by the Glue and Batch engines ("Glue Job State Change",
"Batch Job State Change", through the ``emit_event`` port) reach Lambda, Step
Functions, Batch, SNS, SQS, Kinesis, Firehose, SageMaker Pipelines and CloudWatch
Logs targets, with ``Input``/``InputPath``/``InputTransformer`` applied and
``DeadLetterConfig`` queues for failed deliveries (see ``provider.py`` and
``engine.py``).

Not emulated: scheduled fires missed while the sandbox was down are not replayed;
EventBridge retries, Scheduler (``scheduler`` API), Pipes and cross-account
permissions are not emulated; ``BatchParameters.RetryStrategy`` is not applied (the
job definition's retry strategy is, as for SubmitJob); other AWS services do not
send their events.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="EventBridge",
    api_names=("events",),
    stand_in="moto + sandbox EventBridge delivery (LocalStack in docker compose)",
    executes=("schedules fire and matched events reach Lambda, Step Functions, Batch, SNS, SQS, Kinesis, "
              "Firehose, SageMaker Pipelines and Logs targets (Input, InputPath, InputTransformer, dead-letter "
              "queues); Glue and Batch send job state-change events"),
    not_emulated=("missed scheduled fires are not replayed; no delivery retries, EventBridge Scheduler or Pipes; "
                  "only Glue and Batch send service events"),
    provider="provider",
)
