"""AWS Step Functions, on moto's ASL interpreter.

moto's state-machine interpreter is switched on (``execute_state_machine``), so
executions really walk the states: Pass, Task, Choice, Wait, Parallel, Map,
Succeed, Fail, with retries and catchers, and record their history.
Optimised integrations call the sandbox's services: Lambda
(``arn:aws:states:::lambda:invoke`` and plain function ARNs run the function in
the sandbox's Lambda; a handler's exception is the state's error, its type the
error name, catchable with Retry/Catch), ``aws-sdk:*``,
``batch:submitJob.sync``, ``glue:startJobRun.sync``, and SageMaker
(``createTrainingJob`` / ``createTransformJob`` / ``createProcessingJob`` /
``createHyperParameterTuningJob``, with ``.sync`` waiting for the job and failing
with ``States.TaskFailed`` when it fails); ``.sync`` outputs carry timestamps as
epoch milliseconds. Definitions are validated (``InvalidDefinition``, and
ValidateStateMachineDefinition); bad execution input is ``InvalidExecutionInput``.

Not emulated: EMR
(``elasticmapreduce:*``) and other integrations moto lists as unsupported are
forwarded as plain SDK calls without ``.sync``; Express workflows behave as
Standard ones.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS Step Functions",
    api_names=("stepfunctions",),
    stand_in="moto's ASL interpreter (execute_state_machine on); LocalStack in docker compose",
    executes="executions walk Pass/Choice/Wait/Parallel/Map/Task states with history; Lambda tasks; Batch, Glue "
             "and SageMaker .sync integrations",
    not_emulated="no EMR .sync; Express behaves as Standard; a restart "
                 "aborts running executions",
    provider="provider",
)
