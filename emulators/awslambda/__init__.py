"""AWS Lambda: moto's control plane; Invoke runs Python handlers in a local process.

Emulated: functions with a Python runtime (python3.8 ... python3.13 are accepted)
from ``Code.ZipFile`` or ``Code.S3Bucket``/``S3Key``; the zip is checked (no
absolute paths, no ``..``: CreateFunction answers InvalidParameterValueException)
and extracted once into the state folder. Each invocation is a subprocess of the
sandbox's own interpreter (``sys.executable``), so **the handler runs with the
sandbox venv's Python and packages** (boto3, pandas, pyarrow ...), not the version
its ``Runtime`` names. The handler (``module.function``, module paths with dots or
slashes) gets the event and a context (function_name, function_version,
invoked_function_arn, memory_limit_in_mb, aws_request_id, log_group_name,
log_stream_name, get_remaining_time_in_millis()); its environment is the
function's ``Environment.Variables`` plus Lambda's reserved variables, dummy
credentials and ``AWS_ENDPOINT_URL`` pointing at the sandbox, so boto3 inside the
handler talks to the sandbox, never to AWS. ``Timeout`` kills the process ("Task
timed out after N.00 seconds"). Invoke: RequestResponse (payload,
``ExecutedVersion``, ``FunctionError: Unhandled`` with AWS's error document,
``Runtime.ImportModuleError`` / ``Runtime.HandlerNotFound`` /
``Runtime.MarshalError``), ``LogType=Tail`` (last 4 KB of the log),
Event (202, runs in the background), DryRun (204). Logs (print, logging, the
START/END/REPORT lines) go to CloudWatch Logs ``/aws/lambda/<name>``. Layers: their
``python/`` folder is put on ``sys.path``. Callers: Firehose data transformation,
Step Functions Lambda tasks (``arn:aws:states:::lambda:invoke`` and plain function
ARNs), S3 event notifications (asynchronous, AWS's event record), SNS
subscriptions (moto's event, run synchronously during Publish). Event source
mappings (``emulators/awslambda/event_sources.py``): Kinesis, DynamoDB Streams and
SQS sources are polled every 0.5 s and delivered in batches with ``BatchSize``,
``MaximumBatchingWindowInSeconds``, ``StartingPosition`` (TRIM_HORIZON, LATEST,
AT_TIMESTAMP), ``BisectBatchOnFunctionError``, ``MaximumRetryAttempts``,
``FunctionResponseTypes=["ReportBatchItemFailures"]`` and SQS/SNS on-failure
destinations; checkpoints are in the snapshot, so they survive a restart.

Not emulated: non-Python runtimes and container images (Invoke answers
InvalidRuntimeException naming the supported runtimes); the Python version of the
runtime; memory limits (MemorySize is reported, not enforced); warm starts (every
invocation is a fresh process, so module-level state is not kept); concurrency
limits, reserved and provisioned concurrency, throttling; retries and
destinations of asynchronous invocations; of event source mappings:
ParallelizationFactor, MaximumRecordAgeInSeconds, tumbling windows, FilterCriteria,
Kafka/MQ/DocumentDB sources and S3 destinations; function URLs; IAM (the execution
role is not checked); response streaming.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS Lambda",
    api_names=("lambda",),
    stand_in="moto's control plane + our local Python runner (a subprocess of the sandbox's own interpreter)",
    executes="Python handlers (zip or S3 code, layers) with event, context, environment, timeout; "
             "Unhandled errors as on AWS; logs to CloudWatch Logs; Event/DryRun invocations; called by "
             "Firehose transformations, Step Functions tasks, S3 notifications and SNS subscriptions; event source "
             "mappings poll Kinesis, DynamoDB Streams and SQS (batching, bisect, partial batch responses, "
             "on-failure destinations, checkpoints across restarts)",
    not_emulated="non-Python runtimes, container images, the runtime's Python version (the sandbox venv's "
                 "runs), memory limits, warm starts, concurrency/provisioned concurrency, async retries and "
                 "destinations, ESM parallelization/record age/filters/tumbling windows, function URLs",
    provider="provider",
)
