"""AWS Batch: moto's control plane; a job's container command runs as a local process.

There is no Docker engine, so the job definition's ``image`` is not pulled: the
container ``command`` (with ``Ref::`` parameters substituted, environment from the
job definition and ``containerOverrides``, plus ``AWS_BATCH_JOB_ID``,
``AWS_BATCH_JOB_ARRAY_INDEX`` and the sandbox endpoint variables) runs on this
machine in a job folder, with the sandbox's Python first on ``PATH`` -- so
``python script.py`` commands of ``python:*`` images behave as in the container.
Statuses go SUBMITTED -> PENDING -> RUNNABLE -> STARTING -> RUNNING -> SUCCEEDED /
FAILED; ``dependsOn``, array jobs, ``retryStrategy.attempts``, ``timeout`` and
``terminate_job``/``cancel_job`` are honoured (a timeout or a terminate stops the
attempt's whole process group: SIGTERM, then SIGKILL after 2 s; the exit code is
128 + the signal, as a container reports it); output streams to CloudWatch Logs
``/aws/batch/job`` (stream ``<job-definition>/default/<job-id>``) while it runs.

Not emulated: images (anything the command needs must be installed locally),
vCPU/memory limits and compute-environment scheduling (jobs start at once),
multi-node and EKS jobs, Fargate platform details. A restart fails jobs that were
running.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS Batch",
    api_names=("batch",),
    stand_in="moto's control plane; the container command runs as a local process (no Docker)",
    executes="container commands with env/parameters, dependsOn, array jobs, retries, timeouts, logs",
    not_emulated="images are not pulled (the command runs on this machine); no vCPU/memory limits; no multi-node/EKS",
    provider="provider",
)
