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


PARTITION_COUNT_MISMATCH = "The number of partition keys do not match the number of partition values"


def _name(value: Any) -> Any:
    """The Data Catalog keeps database and table names in lower case and finds them whatever the case."""
    return value.lower() if isinstance(value, str) else value


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise moto_coupling.AwsError("InvalidInputException",
                                     f"{kind} name must be between 1 and 255 characters long")


class SandboxGlueBackend(GlueBackend):  # type: ignore[misc, valid-type]
    # -- catalog: lower-case names, AWS's checks -------------------------------------
    def create_database(self, database_name: str, database_input: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        _check_name("Database", database_name)
        database_input = {**(database_input or {}), "Name": _name(database_name)}
        return super().create_database(_name(database_name), database_input, *args, **kwargs)

    def get_database(self, database_name: str) -> Any:
        return super().get_database(_name(database_name))

    def update_database(self, database_name: str, database_input: dict[str, Any]) -> None:
        super().update_database(_name(database_name), {**(database_input or {}), "Name": _name(database_name)})

    def delete_database(self, database_name: str) -> None:
        super().delete_database(_name(database_name))

    def create_table(self, database_name: str, table_name: str, table_input: dict[str, Any],
                     *args: Any, **kwargs: Any) -> Any:
        _check_name("Table", table_name)
        table_input = {**table_input, "Name": _name(table_name)}
        return super().create_table(_name(database_name), _name(table_name), table_input, *args, **kwargs)

    def get_table(self, database_name: str, table_name: str) -> Any:
        return super().get_table(_name(database_name), _name(table_name))

    def get_tables(self, database_name: str, expression: str | None) -> Any:
        return super().get_tables(_name(database_name), expression)

    def delete_table(self, database_name: str, table_name: str) -> None:
        super().delete_table(_name(database_name), _name(table_name))

    def update_table(self, database_name: str, table_name: str, table_input: dict[str, Any], *args: Any,
                     **kwargs: Any) -> None:
        table_input = {**table_input, "Name": _name(table_name)}
        super().update_table(_name(database_name), _name(table_name), table_input, *args, **kwargs)

    def delete_table_version(self, database_name: str, table_name: str, version_id: str) -> None:
        table = self.get_table(database_name, table_name)
        self._check_deletable_version(table, version_id)
        table.delete_version(str(version_id))

    def _check_deletable_version(self, table: Any, version_id: str) -> None:
        try:
            int(version_id)
        except (TypeError, ValueError):
            raise moto_coupling.AwsError("InvalidInputException", f"Version id {version_id} is not a number") from None
        if str(version_id) not in table.versions:
            raise moto_coupling.AwsError("EntityNotFoundException",
                                         f"Version {version_id} of table {table.name} not found")
        if str(version_id) == str(table._current_version):
            raise moto_coupling.AwsError(
                "InvalidInputException",
                f"Version {version_id} is the current version of table {table.name} and cannot be deleted "
                "(DeleteTable removes the table)")

    def _partition_key_count(self, database_name: str, table_name: str) -> int:
        table = self.get_table(database_name, table_name)
        return len(table.as_dict().get("PartitionKeys") or [])

    def create_partition(self, database_name: str, table_name: str, part_input: dict[str, Any]) -> None:
        if len(part_input.get("Values") or []) != self._partition_key_count(database_name, table_name):
            raise moto_coupling.AwsError("InvalidInputException", PARTITION_COUNT_MISMATCH)
        super().create_partition(_name(database_name), _name(table_name), part_input)

    def batch_create_partition(self, database_name: str, table_name: str,
                               partition_input: list[dict[str, Any]]) -> list[dict[str, Any]]:
        count = self._partition_key_count(database_name, table_name)
        if len(partition_input) > 100:
            raise moto_coupling.AwsError("InvalidInputException",
                                         "PartitionInputList can hold at most 100 partitions per request")
        good = [p for p in partition_input if len(p.get("Values") or []) == count]
        errors = [{"PartitionValues": p.get("Values") or [],
                   "ErrorDetail": {"ErrorCode": "InvalidInputException", "ErrorMessage": PARTITION_COUNT_MISMATCH}}
                  for p in partition_input if len(p.get("Values") or []) != count]
        return errors + super().batch_create_partition(_name(database_name), _name(table_name), good)

    def batch_delete_table(self, database_name: str, tables: list[str]) -> list[dict[str, Any]]:
        return super().batch_delete_table(_name(database_name), [_name(t) for t in tables])

    # -- crawlers ------------------------------------------------------------------
    def create_crawler(self, name: str, role: str, database_name: str, description: str,
                       targets: dict[str, Any], schedule: str, classifiers: list[str], table_prefix: str,
                       schema_change_policy: dict[str, str], recrawl_policy: dict[str, str],
                       *args: Any, **kwargs: Any) -> None:
        _validate_crawler(self, role, targets, schedule, classifiers, schema_change_policy, recrawl_policy)
        super().create_crawler(name, role, database_name, description, targets, schedule, classifiers,
                               table_prefix, schema_change_policy, recrawl_policy, *args, **kwargs)

    def delete_crawler(self, name: str) -> None:
        crawler = self.get_crawler(name)
        if crawler.crawls and crawler.crawls[-1].status in ("RUNNING", "STOPPING"):
            raise moto_coupling.AwsError("CrawlerRunningException",
                                         f"Crawler with name {name} is running; stop it (StopCrawler) before deleting")
        super().delete_crawler(name)

    def start_crawler(self, name: str) -> None:
        crawler = self.get_crawler(name)
        crawler.__class__ = SandboxCrawler
        crawler.start_crawler()
        current_cloud().submit(run_crawl, self.account_id, self.region_name, name)


def _validate_crawler(backend: Any, role: Any, targets: Any, schedule: Any, classifiers: Any,
                      schema_change_policy: Any, recrawl_policy: Any) -> None:
    if not role:
        raise moto_coupling.AwsError("InvalidInputException", "Role is required: the IAM role the crawler runs as")
    kinds = ("S3Targets", "JdbcTargets", "MongoDBTargets", "DynamoDBTargets", "CatalogTargets", "DeltaTargets",
             "IcebergTargets", "HudiTargets")
    if not targets or not any((targets or {}).get(k) for k in kinds):
        raise moto_coupling.AwsError("InvalidInputException", "Crawler must have at least one target")
    if schedule:
        try:
            cron_matches(schedule, datetime.now(timezone.utc))
        except ValueError as exc:
            raise moto_coupling.AwsError("InvalidInputException", f"Schedule expression {schedule!r} is not valid: {exc}")
    known = _classifiers(backend)
    for name in classifiers or []:
        if name not in known:
            raise moto_coupling.AwsError("InvalidInputException",
                                         f"Classifier {name} does not exist")
    if (recrawl_policy or {}).get("RecrawlBehavior") == "CRAWL_NEW_FOLDERS_ONLY":
        policy = schema_change_policy or {}
        if policy.get("UpdateBehavior", "UPDATE_IN_DATABASE") != "LOG" or \
                policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE") != "LOG":
            raise moto_coupling.AwsError(
                "InvalidInputException",
                "The SchemaChangePolicy for \"Crawl new folders only\" Amazon S3 target can have only LOG "
                "DeleteBehavior value and LOG UpdateBehavior value.")


def _classifiers(backend: Any) -> dict[str, dict[str, Any]]:
    found = getattr(backend, "sandbox_classifiers", None)
    if found is None:
        found = backend.sandbox_classifiers = {}
    return found


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


def _csv_classifier(backend: Any, crawler: Any) -> dict[str, Any] | None:
    """The first CSV classifier the crawler lists (custom classifiers run before the built-in ones)."""
    known = _classifiers(backend)
    for name in crawler.classifiers or []:
        entry = known.get(name, {})
        if "CsvClassifier" in entry:
            return entry["CsvClassifier"]
        if entry:
            _log(backend, crawler, f"Classifier {name} ({next(iter(entry))}) is not emulated in the sandbox; "
                                   "the built-in classifiers decide")
    return None


def run_crawl(account_id: str, region: str, name: str) -> None:
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account_id, region)
    crawler = backend.get_crawler(name)
    crawl = crawler.crawls[-1]
    counts = {"created": 0, "updated": 0, "deleted": 0}
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
    database_name = _name(crawler.database_name)
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
    for operation, handler in (("get_databases", _get_databases), ("get_tables", _get_tables),
                               ("get_partitions", _get_partitions), ("get_table_versions", _get_table_versions),
                               ("batch_delete_table_version", _batch_delete_table_version),
                               ("search_tables", _search_tables), ("get_crawlers", _get_crawlers),
                               ("update_crawler", _update_crawler), ("update_crawler_schedule", _update_crawler_schedule),
                               ("create_classifier", _create_classifier), ("update_classifier", _update_classifier),
                               ("get_classifier", _get_classifier), ("get_classifiers", _get_classifiers),
                               ("delete_classifier", _delete_classifier)):
        moto_coupling.add_operation("glue", "GlueResponse", operation, handler)
    cloud.after_restore(_fail_interrupted_crawls)
    cloud.every(10.0, _check_schedules, name="glue-crawler-schedules")


# -- catalog reads with AWS's paging (moto returns everything at once) -----------------

def _page(response: Any, items: list[Any], default_size: int) -> tuple[list[Any], str | None]:
    token = response._get_param("NextToken")
    size = response._get_param("MaxResults") or default_size
    try:
        start = int(token) if token else 0
        size = int(size)
    except (TypeError, ValueError):
        raise moto_coupling.AwsError("InvalidInputException", f"Invalid NextToken {token!r}") from None
    end = start + max(size, 1)
    return items[start:end], (str(end) if end < len(items) else None)


def _glue(response: Any) -> Any:
    return moto_coupling.backend_for("glue", response.current_account, response.region)


def _with_token(result: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        result["NextToken"] = token
    return result


def _get_databases(response: Any) -> dict[str, Any]:
    databases = [d.as_dict() for d in _glue(response).get_databases()]
    page, token = _page(response, databases, 100)
    return _with_token({"DatabaseList": page}, token)


def _get_tables(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    tables = backend.get_tables(response._get_param("DatabaseName"), response._get_param("Expression"))
    page, token = _page(response, [t.as_dict() for t in tables], 100)
    return _with_token({"TableList": page}, token)


def _get_partitions(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    database, table = response._get_param("DatabaseName"), response._get_param("TableName")
    backend.get_table(database, table)  # EntityNotFoundException first, as on AWS
    partitions = [p.as_dict() for p in backend.get_partitions(_name(database), _name(table),
                                                              response._get_param("Expression"))]
    segment = response._get_param("Segment")
    if segment:
        number, total = int(segment.get("SegmentNumber", 0)), int(segment.get("TotalSegments", 1))
        if not 0 <= number < total:
            raise moto_coupling.AwsError("InvalidInputException",
                                         "SegmentNumber must be at least 0 and less than TotalSegments")
        partitions = partitions[number::total]
    if response._get_param("ExcludeColumnSchema"):
        for partition in partitions:
            partition.get("StorageDescriptor", {}).pop("Columns", None)
    page, token = _page(response, partitions, 1000)
    return _with_token({"Partitions": page}, token)


def _get_table_versions(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    table = backend.get_table(response._get_param("DatabaseName"), response._get_param("TableName"))
    versions = [{"Table": table.as_dict(version), "VersionId": version}
                for version in sorted(table.versions, key=int, reverse=True)]  # newest first, as on AWS
    page, token = _page(response, versions, 100)
    return _with_token({"TableVersions": page}, token)


def _batch_delete_table_version(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    table_name = response._get_param("TableName")
    table = backend.get_table(response._get_param("DatabaseName"), table_name)
    errors = []
    for version in response._get_param("VersionIds") or []:
        try:
            backend._check_deletable_version(table, version)
        except moto_coupling.AwsError as exc:
            errors.append({"TableName": table_name, "VersionId": version,
                           "ErrorDetail": {"ErrorCode": exc.code, "ErrorMessage": exc.message}})
            continue
        table.delete_version(str(version))
    return {"Errors": errors}


def _search_tables(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    text = (response._get_param("SearchText") or "").strip()
    exact = len(text) > 1 and text[0] == text[-1] == '"'
    text = text.strip('"').lower()
    filters = response._get_param("Filters") or []
    found = []
    for database in backend.databases.values():
        for table in database.tables.values():
            data = table.as_dict()
            if text and not _table_matches(data, text, exact):
                continue
            if all(_filter_matches(data, f) for f in filters):
                found.append(data)
    for criterion in reversed(response._get_param("SortCriteria") or []):
        field = criterion.get("FieldName", "Name")
        found.sort(key=lambda t, f=field: str(t.get(f) or t.get("Parameters", {}).get(f) or ""),
                   reverse=criterion.get("Sort") == "DESC")
    page, token = _page(response, found, 100)
    return _with_token({"TableList": page}, token)


def _table_matches(table: dict[str, Any], text: str, exact: bool) -> bool:
    descriptor = table.get("StorageDescriptor") or {}
    words = [table.get("Name"), table.get("DatabaseName"), table.get("Description")]
    words += [c.get("Name") for c in descriptor.get("Columns", [])] + [c.get("Comment") for c in descriptor.get("Columns", [])]
    words += list((table.get("Parameters") or {}).values())
    words = [str(w).lower() for w in words if w]
    return any(w == text for w in words) if exact else any(text in w for w in words)


def _filter_matches(table: dict[str, Any], item: dict[str, Any]) -> bool:
    key, value = item.get("Key"), item.get("Value")
    actual = table.get(key) if key in table else (table.get("Parameters") or {}).get(key)
    if actual is None:
        return False
    comparator = item.get("Comparator", "EQUALS")
    if comparator == "EQUALS":
        return str(actual) == str(value)
    a, b = str(actual), str(value)
    try:
        a, b = float(a), float(b)  # type: ignore[assignment]
    except ValueError:
        pass
    return {"GREATER_THAN": a > b, "LESS_THAN": a < b, "GREATER_THAN_EQUALS": a >= b,
            "LESS_THAN_EQUALS": a <= b}.get(comparator, False)


def _get_crawlers(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    crawlers = []
    for crawler in backend.get_crawlers():
        crawler.__class__ = SandboxCrawler
        crawlers.append(crawler.as_dict())
    page, token = _page(response, crawlers, 100)
    return _with_token({"Crawlers": page}, token)


# -- UpdateCrawler, UpdateCrawlerSchedule (moto has neither) ---------------------------

CRAWLER_FIELDS = {"Role": "role", "DatabaseName": "database_name", "Description": "description",
                  "Targets": "targets", "Schedule": "schedule", "Classifiers": "classifiers",
                  "TablePrefix": "table_prefix", "SchemaChangePolicy": "schema_change_policy",
                  "RecrawlPolicy": "recrawl_policy", "LineageConfiguration": "lineage_configuration",
                  "Configuration": "configuration", "CrawlerSecurityConfiguration": "crawler_security_configuration"}


def _running(crawler: Any) -> bool:
    return bool(crawler.crawls and crawler.crawls[-1].status in ("RUNNING", "STOPPING"))


def _update_crawler(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    name = response._get_param("Name")
    crawler = backend.get_crawler(name)
    if _running(crawler):
        raise moto_coupling.AwsError("CrawlerRunningException",
                                     f"Crawler with name {name} is running; it cannot be updated until it is READY")
    changes = {field: response._get_param(param) for param, field in CRAWLER_FIELDS.items()
               if response._get_param(param) is not None}
    merged = {field: changes.get(field, getattr(crawler, field, None)) for field in CRAWLER_FIELDS.values()}
    _validate_crawler(backend, merged["role"], merged["targets"], merged["schedule"], merged["classifiers"],
                      merged["schema_change_policy"], merged["recrawl_policy"])
    for field, value in changes.items():
        setattr(crawler, field, value)
    crawler.version = getattr(crawler, "version", 1) + 1
    crawler.last_updated = datetime.now(timezone.utc).replace(tzinfo=None)
    return {}


def _update_crawler_schedule(response: Any) -> dict[str, Any]:
    backend = _glue(response)
    crawler = backend.get_crawler(response._get_param("CrawlerName"))
    schedule = response._get_param("Schedule")
    if schedule:
        try:
            cron_matches(schedule, datetime.now(timezone.utc))
        except ValueError as exc:
            raise moto_coupling.AwsError("InvalidInputException", f"Schedule expression {schedule!r} is not valid: {exc}")
    crawler.schedule = schedule
    crawler.last_updated = datetime.now(timezone.utc).replace(tzinfo=None)
    return {}


# -- classifiers (moto has none); CSV classifiers steer the crawler ----------------------

CLASSIFIER_KINDS = ("CsvClassifier", "JsonClassifier", "GrokClassifier", "XMLClassifier")


def _classifier_input(response: Any) -> tuple[str, dict[str, Any]]:
    given = [(kind, response._get_param(kind)) for kind in CLASSIFIER_KINDS if response._get_param(kind)]
    if len(given) != 1:
        raise moto_coupling.AwsError("InvalidInputException",
                                     "Exactly one of CsvClassifier, JsonClassifier, GrokClassifier or XMLClassifier "
                                     "must be given")
    kind, body = given[0]
    if not body.get("Name"):
        raise moto_coupling.AwsError("InvalidInputException", f"{kind}.Name is required")
    if kind == "CsvClassifier" and body.get("ContainsHeader", "UNKNOWN") not in ("UNKNOWN", "PRESENT", "ABSENT"):
        raise moto_coupling.AwsError("InvalidInputException", "ContainsHeader must be UNKNOWN, PRESENT or ABSENT")
    return kind, dict(body)


def _create_classifier(response: Any) -> dict[str, Any]:
    known = _classifiers(_glue(response))
    kind, body = _classifier_input(response)
    if body["Name"] in known:
        raise moto_coupling.AwsError("AlreadyExistsException", f"Classifier {body['Name']} already exists.")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    known[body["Name"]] = {kind: {**body, "CreationTime": now, "LastUpdated": now, "Version": 1}}
    return {}


def _update_classifier(response: Any) -> dict[str, Any]:
    known = _classifiers(_glue(response))
    kind, body = _classifier_input(response)
    current = known.get(body["Name"])
    if current is None:
        raise moto_coupling.AwsError("EntityNotFoundException", f"Classifier {body['Name']} not found.")
    if kind not in current:
        raise moto_coupling.AwsError("InvalidInputException", f"Classifier {body['Name']} is not a {kind}")
    old = current[kind]
    known[body["Name"]] = {kind: {**old, **body, "LastUpdated": datetime.now(timezone.utc).replace(tzinfo=None),
                                  "Version": old.get("Version", 1) + 1}}
    return {}


def _get_classifier(response: Any) -> dict[str, Any]:
    name = response._get_param("Name")
    found = _classifiers(_glue(response)).get(name)
    if found is None:
        raise moto_coupling.AwsError("EntityNotFoundException", f"Classifier {name} not found.")
    return {"Classifier": found}


def _get_classifiers(response: Any) -> dict[str, Any]:
    page, token = _page(response, list(_classifiers(_glue(response)).values()), 100)
    return _with_token({"Classifiers": page}, token)


def _delete_classifier(response: Any) -> dict[str, Any]:
    name = response._get_param("Name")
    known = _classifiers(_glue(response))
    if name not in known:
        raise moto_coupling.AwsError("EntityNotFoundException", f"Classifier {name} not found.")
    del known[name]
    return {}
