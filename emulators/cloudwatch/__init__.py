"""CloudWatch metrics, alarms and Logs, SNS and SQS, answered by moto.

Emulated: metrics stored and listed; metric alarms evaluate (``alarms.py``): every 2 s
each alarm is evaluated over the PutMetricData datapoints (clock-aligned periods,
Average/Sum/Minimum/Maximum/SampleCount and pNN, M of N, TreatMissingData), changes
state with AWS's StateReason/StateReasonData, keeps DescribeAlarmHistory, and
publishes to SNS topics or invokes Lambda functions on a transition (SetAlarmState
too); Model Monitor executions publish their drift metrics here; log groups/streams/events
(Glue jobs and SageMaker training write their logs here), SNS/SQS messaging.
EventBridge has its own folder, ``emulators/events/``.

Not emulated: metric math alarms (``Metrics``), composite alarms (PutCompositeAlarm is
not implemented), anomaly-detection thresholds and EvaluateLowSampleCountPercentile are
not evaluated; alarm actions other than SNS and Lambda (Auto Scaling, EC2, SSM) are
logged and ignored.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="CloudWatch, Logs, SNS, SQS",
    api_names=("cloudwatch", "logs", "sns", "sqs"),
    stand_in="moto + sandbox alarm evaluation (LocalStack in docker compose)",
    executes=("metrics, log events, messages stored and returned; metric alarms evaluate every 2 s (statistics, "
              "pNN, M of N, TreatMissingData) with AWS's state reasons and history, notifying SNS topics and "
              "invoking Lambda functions"),
    not_emulated="metric math, composite and anomaly-detection alarms; Auto Scaling/EC2/SSM alarm actions",
    provider="provider",
)
