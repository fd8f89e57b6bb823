"""AWS Step Functions, on moto's ASL interpreter.

moto's state-machine interpreter is switched on (``execute_state_machine``), so
executions really walk the states: Pass, Task, Choice, Wait, Parallel, Map,
Succeed, Fail, with retries and catchers, and record their history.
Optimised integrations call the sandbox's services: Lambda
(``arn:aws:states:::lambda:invoke`` and plain function ARNs run the function in
the sandbox's Lambda; a handler's exception is the state's error, its type the
error name, catchable with Retry/Catch), ``aws-sdk:*``,
``batch:submitJob.sync``, ``glue:startJobRun.sync``, SageMaker
(``createTrainingJob`` / ``createTransformJob`` / ``createProcessingJob`` /
``createHyperParameterTuningJob``), Athena (``startQueryExecution``, and any Athena
action as a plain call) and EMR (``createCluster``, ``addStep``, ``terminateCluster``,
``cancelStep``, ``setClusterTerminationProtection``), with ``.sync`` waiting for the
job and failing with ``States.TaskFailed`` when it fails; ``.sync`` outputs carry
timestamps as epoch milliseconds. Definitions are validated (``InvalidDefinition``,
and ValidateStateMachineDefinition); bad execution input is ``InvalidExecutionInput``.

Not emulated: the other integrations moto lists as unsupported (EMR on EKS, EMR
Serverless, DataBrew, CodeBuild, Bedrock, ...) are forwarded as plain SDK calls
without ``.sync``; ``.sync:2`` variants; Express workflows behave as Standard ones.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS Step Functions",
    api_names=("stepfunctions",),
    stand_in="moto's ASL interpreter (execute_state_machine on); LocalStack in docker compose",
    executes="executions walk Pass/Choice/Wait/Parallel/Map/Task states with history; Lambda tasks; Batch, Glue, "
             "SageMaker, Athena and EMR .sync integrations",
    not_emulated="EMR on EKS/EMR Serverless/DataBrew .sync; Express behaves as Standard; a restart "
                 "aborts running executions",
    provider="provider",
)
