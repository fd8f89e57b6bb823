"""Glue crawls: one crawl in the background, its result applied to the catalog, cron schedules, restarts.

:func:`run_crawl` lists the crawler's S3 targets, hands the keys and a reader to
the engine (:mod:`emulators.glue.crawler`), and applies the tables it infers to
moto's catalog under the state lock, as the ``SchemaChangePolicy`` says (create,
update with a new table version, or only log; ``DELETE_FROM_DATABASE`` removes
vanished partitions and tables). The crawler shows RUNNING, then STOPPING while
it wraps up, then READY with ``LastCrawl`` SUCCEEDED / FAILED / CANCELLED. Its
log lines go to CloudWatch Logs ``/aws-glue/crawlers`` (stream = crawler name).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from emulators.core import jobs, logs, moto_coupling, s3uri
from emulators.core.clock import utcnow
from emulators.core.cron import cron_matches
from emulators.core.s3access import S3Error, s3_access
from emulators.core.server import current_cloud
from emulators.glue import crawler as crawl_engine
from emulators.glue.catalog_api import catalog_name

log = logging.getLogger("emulators.glue")
LOG_GROUP = "/aws-glue/crawlers"
ACTIVE = ("RUNNING", "STOPPING")
MIN_RUNNING_SECONDS = 1.0
NO_COUNTS = {"created": 0, "updated": 0, "deleted": 0}
_schedule_fired: dict[tuple[str, str, str], str] = {}  # crawler -> minute it last fired
_schedule_lock = threading.Lock()


def running(crawler: Any) -> bool:
    return bool(crawler.crawls and crawler.crawls[-1].status in ACTIVE)


def stored_classifiers(backend: Any) -> dict[str, dict[str, Any]]:
    """The classifiers of one account and region (name -> ``{kind: definition}``), kept on the backend."""
    found = getattr(backend, "sandbox_classifiers", None)
    if found is None:
        found = backend.sandbox_classifiers = {}
    return found


def _now() -> Any:
    return utcnow().replace(tzinfo=None)  # moto's models hold naive UTC times


def _log(backend: Any, crawler: Any, message: str) -> None:
    """One line in ``/aws-glue/crawlers`` (stream = crawler name), prefixed with the crawl id as AWS does."""
    logs.write_lines(backend.account_id, backend.region_name, LOG_GROUP, crawler.name,
                     [f"[{crawler.crawls[-1].crawl_id}] {message}"], guard=current_cloud().mutating)


def _targets(crawler: Any) -> list[tuple[str, str, list[str]]]:
    found = []
    for target in (crawler.targets or {}).get("S3Targets", []):
        path = target.get("Path", "")
        try:
            uri = s3uri.parse(path, schemes=("s3://",))
        except s3uri.NotAnS3Uri:
            raise crawl_engine.CrawlError(f"Target path {path!r} is not an s3:// path") from None
        found.append((uri.bucket, uri.key, target.get("Exclusions", [])))
    if not found:
        raise crawl_engine.CrawlError("The crawler has no S3 targets: only S3 targets are crawled in the sandbox")
    return found


def _csv_classifier(backend: Any, crawler: Any) -> dict[str, Any] | None:
    """The first CSV or JSON classifier the crawler lists (custom classifiers run before the built-in ones)."""
    known = stored_classifiers(backend)
    for name in crawler.classifiers or []:
        entry = known.get(name, {})
        if "CsvClassifier" in entry:
            return entry["CsvClassifier"]
        if "JsonClassifier" in entry:
            return entry["JsonClassifier"]
        if entry:
            _log(backend, crawler, f"Classifier {name} ({next(iter(entry))}) is not emulated in the sandbox; "
                                   "the built-in classifiers decide")
    return None


def run_crawl(account_id: str, region: str, name: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account_id, region)
    crawler = backend.get_crawler(name)
    crawl = crawler.crawls[-1]
    counts = dict(NO_COUNTS)
    started = time.monotonic()
    try:
        access = s3_access(account_id)
        csv_classifier = _csv_classifier(backend, crawler)
        configuration = crawl_engine.CrawlerConfiguration.parse(getattr(crawler, "configuration", None))
        found: list[crawl_engine.TableSpec] = []
        for bucket, prefix, exclusions in _targets(crawler):
            try:
                objects = [(o.key, o.size) for o in access.list(bucket, prefix)]
            except S3Error as exc:
                if exc.code == "NoSuchBucket":
                    raise crawl_engine.CrawlError(
                        f"Internal Service Exception: the S3 bucket {bucket} does not exist "
                        f"(crawler target s3://{bucket}/{prefix})") from None
                raise crawl_engine.CrawlError(f"Cannot list s3://{bucket}/{prefix}: {exc}") from None
            tables, warnings = crawl_engine.infer_tables(
                bucket, prefix, objects, lambda key, b=bucket: access.get(b, key),
                table_prefix=crawler.table_prefix or "", exclusions=exclusions, csv_classifier=csv_classifier,
                configuration=configuration)
            for warning in warnings:
                _log(backend, crawler, warning)
            found.extend(tables)
            if crawl.status == "STOPPING":
                break
        crawl_engine.resolve_name_clashes(found)
        crawl_engine.check_table_threshold(found, configuration)
        # a crawl is never instant on AWS (it takes a minute or more): RUNNING lasts at least a moment, so a
        # client polling GetCrawler sees it, then STOPPING while the crawl wraps up
        while crawl.status == "RUNNING" and time.monotonic() - started < MIN_RUNNING_SECONDS:
            time.sleep(0.05)
        with cloud.mutating():
            if crawl.status != "STOPPING":
                counts = apply_to_catalog(backend, crawler, found)
            crawler.last_metrics = counts
            crawl.status = "STOPPING"  # the crawler shows STOPPING while it wraps up, as on AWS
        _log(backend, crawler, f"Crawl finished: {counts['created']} tables created, "
                               f"{counts['updated']} updated, {counts['deleted']} deleted")
        time.sleep(0.5)
        with cloud.mutating():
            crawl.status = "COMPLETED"
            crawl.end_time = _now()
    except crawl_engine.CrawlError as exc:
        _finish_failed(cloud, backend, crawler, crawl, str(exc))
    except Exception as exc:  # an engine bug fails the crawl, never the sandbox
        log.exception("crawler %s failed", name)
        _finish_failed(cloud, backend, crawler, crawl, f"Internal Service Exception: {type(exc).__name__}: {exc}")


def _finish_failed(cloud: Any, backend: Any, crawler: Any, crawl: Any, message: str) -> None:
    _log(backend, crawler, f"ERROR: {message}")
    with cloud.mutating():
        crawl.error_message = message
        crawl.status = "FAILED"
        crawl.end_time = _now()
        crawler.last_metrics = dict(NO_COUNTS)


def _comparable(table_input: dict[str, Any]) -> tuple:
    descriptor = table_input.get("StorageDescriptor", {})
    return (
        tuple((c["Name"], c["Type"]) for c in descriptor.get("Columns", [])),
        tuple(k["Name"] for k in table_input.get("PartitionKeys", [])),
        descriptor.get("SerdeInfo", {}).get("SerializationLibrary"),
        descriptor.get("Location"),
    )


def apply_to_catalog(backend: Any, crawler: Any, found: list[crawl_engine.TableSpec]) -> dict[str, int]:
    """Create, update or only log each found table as the crawler's policy says; the counts of each."""
    counts = dict(NO_COUNTS)
    policy = crawler.schema_change_policy or {}
    update_behavior = policy.get("UpdateBehavior", "UPDATE_IN_DATABASE")
    delete_behavior = policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE")
    database_name = catalog_name(crawler.database_name)
    if database_name not in backend.databases:
        backend.create_database(database_name, {"Name": database_name,
                                                "Description": f"created by crawler {crawler.name}"})
    for spec in found:
        table_input = spec.table_input(crawler.name)
        try:
            existing = backend.get_table(database_name, spec.name)
        except Exception:
            existing = None
        if existing is None:
            backend.create_table(database_name, spec.name, table_input)
            counts["created"] += 1
            _log(backend, crawler, f"Created table {spec.name} in database {database_name}")
        elif _comparable(existing.as_dict()) != _comparable(table_input):
            if update_behavior == "LOG":
                _log(backend, crawler, f"Schema change of {spec.name} detected; not applied (UpdateBehavior LOG)")
            else:
                backend.update_table(database_name, spec.name, table_input)
                counts["updated"] += 1
                _log(backend, crawler, f"Updated table {spec.name}: a new table version was archived")
        table = backend.get_table(database_name, spec.name)
        wanted = {str(list(p["Values"])): p for p in spec.partition_inputs()}
        for key, partition in wanted.items():
            if key not in table.partitions:
                table.create_partition(partition)
        if delete_behavior == "DELETE_FROM_DATABASE":
            for key in [k for k in table.partitions if k not in wanted]:
                table.delete_partition(list(table.partitions[key].values))
    if delete_behavior == "DELETE_FROM_DATABASE":
        names = {spec.name for spec in found}
        for table in list(backend.get_tables(database_name, None)):
            made_here = table.as_dict().get("Parameters", {}).get("UPDATED_BY_CRAWLER") == crawler.name
            if made_here and table.name not in names:
                backend.delete_table(database_name, table.name)
                counts["deleted"] += 1
                _log(backend, crawler,
                     f"Deleted table {table.name}: its data is gone (DeleteBehavior DELETE_FROM_DATABASE)")
    return counts


def check_schedules() -> None:
    """Start crawlers whose cron schedule matches the current minute (once per minute)."""
    now = utcnow()
    minute = now.strftime("%Y-%m-%dT%H:%M")
    for account_id, region, backend in list(moto_coupling.backend_dict("glue").iter_backends()):
        for name, crawler in list(backend.crawlers.items()):
            expression = crawler.schedule
            if not expression or getattr(crawler, "schedule_state", "SCHEDULED") != "SCHEDULED":
                continue
            key = (account_id, region, name)
            with _schedule_lock:
                if _schedule_fired.get(key) == minute:
                    continue
            try:
                due = cron_matches(expression, now)
            except ValueError as exc:
                log.warning("crawler %s: %s", name, exc)
                continue
            if not due:
                continue
            with _schedule_lock:
                _schedule_fired[key] = minute
            if running(crawler):
                continue
            log.info("starting crawler %s on its schedule %s", name, expression)
            with current_cloud().mutating():
                backend.start_crawler(name)


def fail_interrupted_crawls() -> None:
    """After a restart, a crawl that was running is FAILED (the runtime's one wording): its worker is gone."""
    def fail(crawler: Any, reason: str) -> None:
        crawl = crawler.crawls[-1]
        crawl.status = "FAILED"
        crawl.error_message = reason

    crawlers = [c for _, _, backend in moto_coupling.backend_dict("glue").iter_backends()
                for c in backend.crawlers.values()]
    jobs.settle_interrupted(crawlers, running, fail, what="crawl")
