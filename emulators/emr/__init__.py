"""Amazon EMR: moto's control plane; steps really run with spark-submit on local Spark.

Emulated: RunJobFlow / AddJobFlowSteps / DescribeStep / ListSteps / CancelSteps
(PENDING steps are cancelled at once; a RUNNING step goes CANCEL_PENDING -> CANCELLED
and its whole process tree is ended: ``StepCancellationOption`` SEND_INTERRUPT sends
SIGTERM and SIGKILL after 10 s, TERMINATE_PROCESS kills at once, as EMR 5.28+ does) /
TerminateJobFlows. A ``command-runner.jar`` step whose arguments start with
``spark-submit`` runs the PySpark script (``s3://`` or local) with Spark's own
spark-submit, on ``local[*]`` (or ``SPARK_MASTER``), one step at a time per
cluster. ``s3://`` paths in the script's DataFrame reads and writes work through
a staging layer (``emulators.core.spark_s3``), since the s3a connector cannot be
downloaded offline. Step states go PENDING -> RUNNING -> COMPLETED / FAILED
(with ``FailureDetails``) / CANCELLED; ``ActionOnFailure`` (CONTINUE,
CANCEL_AND_WAIT, TERMINATE_CLUSTER) is honoured, and a cluster without
``KeepJobFlowAliveWhenNoSteps`` terminates after its last step. Step stdout and
stderr go to ``<LogUri>/<cluster-id>/steps/<step-id>/stdout.gz`` as on EMR.
Sandbox limit: a step that runs longer than 2 hours (``SANDBOX_EMR_STEP_TIMEOUT_SECONDS``;
EMR has no step timeout) is ended and FAILED with ``FailureDetails`` saying so. A
restart fails the step that was RUNNING (the sandbox's one wording) and resumes PENDING ones.

Not emulated: instances are not real (no EC2, no YARN, no HDFS), Hive/Pig/HBase
steps, custom JAR steps and ``--packages`` (no Maven offline) fail with a message
saying so; bootstrap actions are recorded but not run; ``--deploy-mode cluster``
runs in client mode.

EMR Serverless (:mod:`.serverless`): Spark job runs execute with the same local
spark-submit; see that module for what is emulated.
"""

from emulators.core.service import ServiceInfo

SERVICES = [
    ServiceInfo(
        aws="Amazon EMR",
        api_names=("emr",),
        stand_in="moto's control plane + spark-submit on local Spark (SPARK_MASTER for a cluster)",
        executes="spark-submit steps (PySpark scripts from S3) with s3:// reads/writes, step states, logs to LogUri",
        not_emulated="no EC2/YARN/HDFS; Hive/Pig/custom-JAR steps and --packages fail; bootstrap actions not run",
        provider="provider",
    ),
    ServiceInfo(
        aws="Amazon EMR Serverless",
        api_names=("emr-serverless",),
        stand_in="moto's control plane + the same local spark-submit as EMR steps",
        executes="Spark job runs (sparkSubmit entryPoint from S3 with arguments and parameters) through SUBMITTED -> "
                 "RUNNING -> SUCCESS/FAILED with stateDetails, CancelJobRun, timeouts, driver logs to the S3 logUri",
        not_emulated="Hive job drivers, JAR entry points, capacity and worker sizing, custom images, Spark UI",
        provider="serverless",
    ),
]
