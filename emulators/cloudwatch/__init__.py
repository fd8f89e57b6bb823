"""CloudWatch metrics and Logs, EventBridge, SNS and SQS, answered by moto.

Emulated: metrics and alarms stored and listed, log groups/streams/events
(Glue jobs and SageMaker training write their logs here), SNS/SQS messaging,
EventBridge rules (see ``provider.py`` and ``events.py``): scheduled rules
(``rate(...)``, ``cron(...)``) on the default bus fire while the sandbox runs, and
events matched by PutEvents or sent by the Glue and Batch engines ("Glue Job State
Change", "Batch Job State Change") reach Lambda, Step Functions, Batch, SNS, SQS,
Kinesis, Firehose, SageMaker Pipelines and CloudWatch Logs targets, with
``Input``/``InputPath``/``InputTransformer`` applied and ``DeadLetterConfig`` queues
for failed deliveries.

Not emulated: alarms never change state on their own; scheduled fires missed while
the sandbox was down are not replayed; EventBridge retries, Scheduler
(``scheduler`` API), Pipes and cross-account permissions are not emulated;
``BatchParameters.RetryStrategy`` is not applied (the job definition's retry
strategy is, as for SubmitJob); other AWS services do not send their events.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="CloudWatch, Logs, EventBridge, SNS, SQS",
    api_names=("cloudwatch", "logs", "events", "sns", "sqs"),
    stand_in="moto + sandbox EventBridge delivery (LocalStack in docker compose)",
    executes=("metrics, log events, messages stored and returned; EventBridge schedules fire and matched events "
              "reach Lambda, Step Functions, Batch, SNS, SQS, Kinesis, Firehose, SageMaker Pipelines and Logs "
              "targets (Input, InputPath, InputTransformer, dead-letter queues); Glue and Batch send job "
              "state-change events"),
    not_emulated=("alarms do not evaluate; missed scheduled fires are not replayed; no delivery retries, "
                  "EventBridge Scheduler or Pipes; only Glue and Batch send service events"),
    provider="provider",
)
