"""AWS Glue: moto's Data Catalog, crawlers that really read S3.

Emulated: databases, tables, partitions and table versions (moto's catalog:
names are kept in lower case and found whatever the case; every UpdateTable
archives the previous version, GetTableVersions lists them newest first,
DeleteTableVersion / BatchDeleteTableVersion refuse the current one; partition
values must match the partition keys; GetPartitions expressions (=, <>, <, >,
BETWEEN, LIKE, IN, AND, OR), Segment and paging; GetDatabases / GetTables /
GetPartitions / GetCrawlers page with MaxResults and NextToken; SearchTables
over names, columns and parameters; missing entities are
``EntityNotFoundException``). Crawlers over S3 targets list
the objects, infer schemas with pyarrow (Parquet footers; CSV with delimiter
detection and the built-in classifier's header rule: a first row of strings
over rows with some non-string column is a header, otherwise the columns are
``col0``, ``col1``...; JSON lines with nested ``struct<...>``/``array<...>``;
gzip), honour ``Exclusions`` as Glue globs (``*`` within a folder, ``**``
across), custom CSV classifiers (CreateClassifier with Delimiter, QuoteSymbol,
ContainsHeader, Header; other classifier kinds are stored but not applied),
check role, targets, schedule and the CRAWL_NEW_FOLDERS_ONLY schema policy, and
can be changed with UpdateCrawler / UpdateCrawlerSchedule (not while running:
``CrawlerRunningException``, as for DeleteCrawler); they turn ``key=value`` folders into
partition keys (others ``partition_0``...), make one partitioned table of
similar folders (AWS's thresholds: at most five schema clusters, the largest
over 70%) and separate tables otherwise, a table per file when the files of a
folder differ (``persons.json`` -> ``persons_json``; a hash suffix on a name
clash), keep CSV header names as Glue does (``provider id``: trimmed,
lower-cased, spaces kept), honour the Configuration JSON's
``TableGroupingPolicy: CombineCompatibleSchemas``, ``TableLevelConfiguration``
and ``TableThreshold``, add new partitions
on a re-crawl, and archive a new table version on a schema change
(``SchemaChangePolicy`` UPDATE_IN_DATABASE or LOG; DeleteBehavior
DELETE_FROM_DATABASE removes vanished partitions and tables). The crawler goes
RUNNING -> STOPPING -> READY with ``LastCrawl`` (SUCCEEDED / FAILED with
``ErrorMessage`` / CANCELLED), ``GetCrawlerMetrics``, and logs in CloudWatch
``/aws-glue/crawlers``. ``cron(...)`` schedules run while the sandbox is up.

ETL jobs (``job_api.py``, ``jobs.py``): UpdateJob overwrites the whole
definition as on AWS (Role and Command required); ``start_job_run`` downloads
``Command.ScriptLocation`` from S3 and runs it in its own local PySpark process
(``SPARK_MASTER`` for a cluster) with the job's arguments; our ``awsglue``
library (GlueContext, DynamicFrame, the documented transforms,
getResolvedOptions, Job, ``getSink`` with ``enableUpdateCatalog``, choice
types for columns whose values mix numbers and text, with every ``resolveChoice``
action,
``purge_s3_path`` / ``purge_table`` with ``retentionPeriod``) lets scripts
written for AWS Glue run unchanged; Spark runs with ANSI mode off, as Glue 4.0's
Spark 3.3 does, and casts that do not convert give null. ``--additional-python-modules``,
``--extra-py-files`` and ``--extra-jars`` cannot be installed offline: the run
goes on with the sandbox's packages and says so in the error log. Runs go
STARTING -> RUNNING -> SUCCEEDED / FAILED (ErrorMessage: the exception the
script raised) / STOPPED / TIMEOUT with ExecutionTime; stdout and stderr go to
CloudWatch Logs ``/aws-glue/jobs/output`` and ``/aws-glue/jobs/error`` (stream
= run id). Bookmarks (``--job-bookmark-option job-bookmark-enable``) skip S3
objects a committed run already read; ``GetJobBookmark``/``ResetJobBookmark``.
Triggers: ON_DEMAND (StartTrigger runs the actions), SCHEDULED (cron),
CONDITIONAL (on a job's or crawler's final state) start jobs and crawlers.

Not emulated: JDBC, DynamoDB and catalog targets (only S3), grok/XML/JSON-path
classifiers, sampling settings, Lake Formation permissions; a crawl
reads each sampled object whole. Jobs: each run starts its own Spark (10-15 s);
Python shell jobs run their script as a local Python process (the sandbox's
packages, not AWS's library set); Ray and streaming jobs, connections, DPU/worker
sizing, workflow run graphs (triggers with a WorkflowName still fire, but
GetWorkflowRun shows moto's records); the scripts Glue Studio generates run, its
visual editor (CodeGenConfigurationNodes) is not emulated. Choice types are found
for top-level columns of CSV and JSON reads only.
"""

from emulators.core.service import ServiceInfo

SERVICES = [
    ServiceInfo(
        aws="AWS Glue (Data Catalog, crawlers)",
        api_names=("glue",),
        stand_in="moto's catalog + pyarrow schema inference over S3 objects",
        executes="catalog with table versions; crawlers infer schemas and partitions, re-crawls, cron schedules",
        not_emulated="only S3 crawler targets; only CSV custom classifiers apply; Lake Formation permissions not enforced",
        provider="provider",
    ),
    ServiceInfo(
        aws="AWS Glue (ETL jobs, bookmarks, triggers)",
        api_names=("glue",),
        stand_in="local PySpark per job run + our own awsglue library (GlueContext, DynamicFrame, transforms)",
        executes="job scripts written for AWS Glue, S3/catalog reads and writes, bookmarks, triggers",
        not_emulated="Ray/streaming jobs, JDBC connections, --additional-python-modules, workflows' run "
                     "graph, Glue Studio's visual editor (its generated scripts run)",
        provider="provider",
    ),
]
