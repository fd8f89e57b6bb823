"""CloudWatch metrics and Logs, EventBridge, SNS and SQS, answered by moto.

Emulated: metrics and alarms stored and listed, log groups/streams/events
(Glue jobs and SageMaker training write their logs here), EventBridge rules and
schedules stored, SNS/SQS messaging.

Not emulated: alarms never change state on their own, EventBridge schedules do not
fire targets (Glue triggers and crawler schedules fire through their own engines).
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="CloudWatch, Logs, EventBridge, SNS, SQS",
    api_names=("cloudwatch", "logs", "events", "sns", "sqs"),
    stand_in="moto (LocalStack in docker compose)",
    executes="metrics, log events, messages stored and returned",
    not_emulated="alarms do not evaluate; EventBridge schedules do not fire targets",
)
