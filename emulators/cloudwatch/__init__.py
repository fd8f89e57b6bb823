"""CloudWatch metrics and Logs, EventBridge, SNS and SQS, answered by moto.

Emulated: metrics stored and listed; metric alarms evaluate (``alarms.py``): every 2 s
each alarm is evaluated over the PutMetricData datapoints (clock-aligned periods,
Average/Sum/Minimum/Maximum/SampleCount and pNN, M of N, TreatMissingData), changes
state with AWS's StateReason/StateReasonData, keeps DescribeAlarmHistory, and
publishes to SNS topics or invokes Lambda functions on a transition (SetAlarmState
too); Model Monitor executions publish their drift metrics here; log groups/streams/events
(Glue jobs and SageMaker training write their logs here), SNS/SQS messaging,
EventBridge rules (see ``provider.py`` and ``events.py``): scheduled rules
(``rate(...)``, ``cron(...)``) on the default bus fire while the sandbox runs, and
events matched by PutEvents or sent by the Glue and Batch engines ("Glue Job State
Change", "Batch Job State Change") reach Lambda, Step Functions, Batch, SNS, SQS,
Kinesis, Firehose, SageMaker Pipelines and CloudWatch Logs targets, with
``Input``/``InputPath``/``InputTransformer`` applied and ``DeadLetterConfig`` queues
for failed deliveries.

Not emulated: metric math alarms (``Metrics``), composite alarms (PutCompositeAlarm is
not implemented), anomaly-detection thresholds and EvaluateLowSampleCountPercentile are
not evaluated; alarm actions other than SNS and Lambda (Auto Scaling, EC2, SSM) are
logged and ignored; scheduled fires missed while
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
    executes=("metrics, log events, messages stored and returned; metric alarms evaluate every 2 s (statistics, "
              "pNN, M of N, TreatMissingData) with AWS's state reasons and history, notifying SNS topics and "
              "invoking Lambda functions; EventBridge schedules fire and matched events "
              "reach Lambda, Step Functions, Batch, SNS, SQS, Kinesis, Firehose, SageMaker Pipelines and Logs "
              "targets (Input, InputPath, InputTransformer, dead-letter queues); Glue and Batch send job "
              "state-change events"),
    not_emulated=("metric math, composite and anomaly-detection alarms; Auto Scaling/EC2/SSM alarm actions; "
                  "missed scheduled fires are not replayed; no delivery retries, "
                  "EventBridge Scheduler or Pipes; only Glue and Batch send service events"),
    provider="provider",
)
