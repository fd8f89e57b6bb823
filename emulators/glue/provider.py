"""Glue on moto: the catalog is moto's; crawlers really crawl (see :mod:`emulators.glue.crawler`)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any

from emulators.core import moto_coupling
from emulators.core.s3access import S3Error, s3_access
from emulators.core.server import current_cloud
from emulators.glue import crawler as crawl_engine
from emulators.glue.schedule import cron_matches

log = logging.getLogger("emulators.glue")
GlueBackend = moto_coupling.backend_class("glue")
MotoCrawl = moto_coupling.model_class("glue", "FakeCrawl")
MotoCrawler = moto_coupling.model_class("glue", "FakeCrawler")
LAST_CRAWL_STATUS = {"COMPLETED": "SUCCEEDED", "STOPPED": "CANCELLED", "FAILED": "FAILED",
                     "RUNNING": "RUNNING", "STOPPING": "RUNNING"}
_schedule_fired: dict[tuple[str, str, str], str] = {}  # crawler -> minute it last fired
_schedule_lock = threading.Lock()


class SandboxCrawl(moto_coupling.PlainStatus, MotoCrawl):  # type: ignore[misc, valid-type]
    """One crawl; its status is set by the crawl worker (no time-based progression)."""


class SandboxCrawler(MotoCrawler):  # type: ignore[misc, valid-type]
    """moto's crawler, with AWS's LastCrawl statuses, error message and metrics."""

    def start_crawler(self) -> None:
        if self.crawls and self.crawls[-1].status in ("RUNNING", "STOPPING"):
            raise moto_coupling.AwsError("CrawlerRunningException", f"Crawler with name {self.name} has already started")
        self.crawls.append(SandboxCrawl(self.name))

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        if self.crawls:
            crawl = self.crawls[-1]
            data["LastCrawl"]["Status"] = LAST_CRAWL_STATUS.get(crawl.status, crawl.status)
            if getattr(crawl, "error_message", None):
                data["LastCrawl"]["ErrorMessage"] = crawl.error_message
        return data

    def metrics(self) -> dict[str, Any]:
        done = [c for c in self.crawls if c.status in ("COMPLETED", "FAILED", "STOPPED") and c.end_time]
        runtimes = sorted((c.end_time - c.start_time).total_seconds() for c in done)
        last = getattr(self, "last_metrics", {})
        return {
            "CrawlerName": self.name,
            "TimeLeftSeconds": 0.0,
            "StillEstimating": bool(self.crawls and self.crawls[-1].status == "RUNNING"),
            "LastRuntimeSeconds": runtimes[-1] if runtimes else 0.0,
            "MedianRuntimeSeconds": runtimes[len(runtimes) // 2] if runtimes else 0.0,
            "TablesCreated": last.get("created", 0),
            "TablesUpdated": last.get("updated", 0),
            "TablesDeleted": last.get("deleted", 0),
        }


class SandboxGlueBackend(GlueBackend):  # type: ignore[misc, valid-type]
    def start_crawler(self, name: str) -> None:
        crawler = self.get_crawler(name)
        crawler.__class__ = SandboxCrawler
        crawler.start_crawler()
        current_cloud().submit(run_crawl, self.account_id, self.region_name, name)


def _log(backend: Any, crawler: Any, message: str) -> None:
    logs = moto_coupling.backend_for("logs", backend.account_id, backend.region_name)
    group, stream = "/aws-glue/crawlers", crawler.name
    try:
        logs.ensure_log_group(group)
        logs.ensure_log_stream(group, stream)
        logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000),
                                             "message": f"[{crawler.crawls[-1].crawl_id}] {message}"}])
    except Exception:  # logging must never fail a crawl
        log.debug("could not log crawler message", exc_info=True)


def _targets(crawler: Any) -> list[tuple[str, str, list[str]]]:
    found = []
    for target in (crawler.targets or {}).get("S3Targets", []):
        path = target.get("Path", "")
        if not path.startswith("s3://"):
            raise crawl_engine.CrawlError(f"Target path {path!r} is not an s3:// path")
        bucket, _, prefix = path[len("s3://"):].partition("/")
        found.append((bucket, prefix, target.get("Exclusions", [])))
    if not found:
        raise crawl_engine.CrawlError("The crawler has no S3 targets: only S3 targets are crawled in the sandbox")
    return found


def run_crawl(account_id: str, region: str, name: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account_id, region)
    crawler = backend.get_crawler(name)
    crawl = crawler.crawls[-1]
    counts = {"created": 0, "updated": 0, "deleted": 0}
    try:
        access = s3_access(account_id)
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
                table_prefix=crawler.table_prefix or "", exclusions=exclusions)
            for warning in warnings:
                _log(backend, crawler, warning)
            found.extend(tables)
            if crawl.status == "STOPPING":
                break
        with cloud.mutating():
            if crawl.status != "STOPPING":
                counts = _apply_to_catalog(backend, crawler, found)
            crawler.last_metrics = counts
            crawl.status = "STOPPING"  # the crawler shows STOPPING while it wraps up, as on AWS
        _log(backend, crawler, f"Crawl finished: {counts['created']} tables created, "
                               f"{counts['updated']} updated, {counts['deleted']} deleted")
        time.sleep(0.5)
        with cloud.mutating():
            crawl.status = "COMPLETED"
            crawl.end_time = datetime.now(timezone.utc).replace(tzinfo=None)
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
        crawl.end_time = datetime.now(timezone.utc).replace(tzinfo=None)
        crawler.last_metrics = {"created": 0, "updated": 0, "deleted": 0}


def _comparable(table_input: dict[str, Any]) -> tuple:
    descriptor = table_input.get("StorageDescriptor", {})
    return (
        tuple((c["Name"], c["Type"]) for c in descriptor.get("Columns", [])),
        tuple(k["Name"] for k in table_input.get("PartitionKeys", [])),
        descriptor.get("SerdeInfo", {}).get("SerializationLibrary"),
        descriptor.get("Location"),
    )


def _apply_to_catalog(backend: Any, crawler: Any, found: list[crawl_engine.TableSpec]) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "deleted": 0}
    policy = crawler.schema_change_policy or {}
    update_behavior = policy.get("UpdateBehavior", "UPDATE_IN_DATABASE")
    delete_behavior = policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE")
    database_name = crawler.database_name
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
                _log(backend, crawler, f"Deleted table {table.name}: its data is gone (DeleteBehavior DELETE_FROM_DATABASE)")
    return counts


def _check_schedules() -> None:
    """Start crawlers whose cron schedule matches the current minute (once per minute)."""
    now = datetime.now(timezone.utc)
    minute = now.strftime("%Y-%m-%dT%H:%M")
    for account_id, region, backend in list(moto_coupling.backend_dict("glue").iter_backends()):
        for name, crawler in list(backend.crawlers.items()):
            expression = crawler.schedule
            if not expression:
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
            if crawler.crawls and crawler.crawls[-1].status in ("RUNNING", "STOPPING"):
                continue
            log.info("starting crawler %s on its schedule %s", name, expression)
            with current_cloud().mutating():
                backend.start_crawler(name)


def _get_crawler_metrics(response: Any) -> dict[str, Any]:
    backend = moto_coupling.backend_for("glue", response.current_account, response.region)
    names = response._get_param("CrawlerNameList") or list(backend.crawlers)
    metrics = []
    for name in names:
        crawler = backend.get_crawler(name)
        crawler.__class__ = SandboxCrawler
        metrics.append(crawler.metrics())
    return {"CrawlerMetricsList": metrics}


def _fail_interrupted_crawls() -> None:
    for _, _, backend in moto_coupling.backend_dict("glue").iter_backends():
        for crawler in backend.crawlers.values():
            if crawler.crawls and crawler.crawls[-1].status in ("RUNNING", "STOPPING"):
                crawl = crawler.crawls[-1]
                crawl.status = "FAILED"
                crawl.error_message = "the sandbox stopped while this crawl ran"


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("glue", SandboxGlueBackend)
    moto_coupling.replace_model_class("glue", "FakeCrawl", SandboxCrawl)
    moto_coupling.replace_model_class("glue", "FakeCrawler", SandboxCrawler)
    moto_coupling.add_operation("glue", "GlueResponse", "get_crawler_metrics", _get_crawler_metrics)
    cloud.after_restore(_fail_interrupted_crawls)
    cloud.every(10.0, _check_schedules, name="glue-crawler-schedules")
