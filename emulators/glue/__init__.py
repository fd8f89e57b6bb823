"""AWS Glue: moto's Data Catalog, crawlers that really read S3.

Emulated: databases, tables, partitions and table versions (moto's catalog:
every UpdateTable archives the previous version, GetTableVersions lists them;
missing entities are ``EntityNotFoundException``). Crawlers over S3 targets list
the objects, infer schemas with pyarrow (Parquet footers; CSV with header and
delimiter detection; JSON lines; gzip), turn ``key=value`` folders into
partition keys (others ``partition_0``...), make one partitioned table of
compatible folders and separate tables of incompatible ones, add new partitions
on a re-crawl, and archive a new table version on a schema change
(``SchemaChangePolicy`` UPDATE_IN_DATABASE or LOG; DeleteBehavior
DELETE_FROM_DATABASE removes vanished partitions and tables). The crawler goes
RUNNING -> STOPPING -> READY with ``LastCrawl`` (SUCCEEDED / FAILED with
``ErrorMessage`` / CANCELLED), ``GetCrawlerMetrics``, and logs in CloudWatch
``/aws-glue/crawlers``. ``cron(...)`` schedules run while the sandbox is up.

Not emulated: JDBC, DynamoDB and catalog targets (only S3), custom classifiers
(grok/XML/JSON path), sampling settings, Lake Formation permissions; a crawl
reads each sampled object whole.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS Glue (Data Catalog, crawlers)",
    api_names=("glue",),
    stand_in="moto's catalog + pyarrow schema inference over S3 objects",
    executes="catalog with table versions; crawlers infer schemas and partitions, re-crawls, cron schedules",
    not_emulated="only S3 crawler targets; no custom classifiers; Lake Formation permissions not enforced",
    provider="provider",
)
