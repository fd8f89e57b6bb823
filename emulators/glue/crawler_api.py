"""Glue crawler operations: moto's crawler records with AWS's checks, and what moto lacks.

Create/Delete/StartCrawler check what AWS checks (a role, at least one target, a
valid ``cron(...)`` schedule, known classifiers, the CRAWL_NEW_FOLDERS_ONLY
policy; no change while a crawl runs: ``CrawlerRunningException``). Added
operations: UpdateCrawler, UpdateCrawlerSchedule, GetCrawlerMetrics, the
classifier operations (CSV and JSON classifiers steer a crawl) and GetCrawlers with
paging. The crawl itself runs in :mod:`emulators.glue.crawl_runs`.
"""

from __future__ import annotations

from typing import Any

from emulators.core import moto_coupling
from emulators.core.clock import utcnow
from emulators.core.cron import cron_matches
from emulators.core.errors import AlreadyExists, Conflict
from emulators.core.moto_coupling import Request
from emulators.core.server import current_cloud
from emulators.glue.catalog_api import GlueInvalidInput, GlueNotFound, page, with_token
from emulators.glue.crawl_runs import NO_COUNTS, run_crawl, running, stored_classifiers
from emulators.glue.backend import glue_backend as _glue

MotoCrawl = moto_coupling.model_class("glue", "FakeCrawl")
MotoCrawler = moto_coupling.model_class("glue", "FakeCrawler")
LAST_CRAWL_STATUS = {"COMPLETED": "SUCCEEDED", "STOPPED": "CANCELLED", "FAILED": "FAILED",
                     "RUNNING": "RUNNING", "STOPPING": "RUNNING"}
CLASSIFIER_KINDS = ("CsvClassifier", "JsonClassifier", "GrokClassifier", "XMLClassifier")
TARGET_KINDS = ("S3Targets", "JdbcTargets", "MongoDBTargets", "DynamoDBTargets", "CatalogTargets", "DeltaTargets",
                "IcebergTargets", "HudiTargets")


class CrawlerRunning(Conflict):
    code = "CrawlerRunningException"


class GlueAlreadyExists(AlreadyExists):
    code = "AlreadyExistsException"


class NoSchedule(Conflict):
    code = "NoScheduleException"


class SchedulerRunning(Conflict):
    code = "SchedulerRunningException"


class SchedulerNotRunning(Conflict):
    code = "SchedulerNotRunningException"


class SandboxCrawl(moto_coupling.PlainStatus, MotoCrawl):  # type: ignore[misc, valid-type]
    """One crawl; its status is set by the crawl worker (no time-based progression)."""

    error_message: str | None = None  # why a FAILED crawl failed (LastCrawl.ErrorMessage)


class SandboxCrawler(MotoCrawler):  # type: ignore[misc, valid-type]
    """moto's crawler, with AWS's LastCrawl statuses, error message and metrics."""

    last_metrics: dict[str, int] = NO_COUNTS  # tables the last crawl created/updated/deleted (replaced, never mutated)
    schedule_state: str = "SCHEDULED"  # StopCrawlerSchedule makes it NOT_SCHEDULED, StartCrawlerSchedule again

    def start_crawler(self) -> None:
        if running(self):
            raise CrawlerRunning(f"Crawler with name {self.name} has already started")
        self.crawls.append(SandboxCrawl(self.name))

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        if data.get("Schedule"):
            data["Schedule"]["State"] = self.schedule_state
        if self.crawls:
            crawl = self.crawls[-1]
            data["LastCrawl"]["Status"] = LAST_CRAWL_STATUS.get(crawl.status, crawl.status)
            if getattr(crawl, "error_message", None):
                data["LastCrawl"]["ErrorMessage"] = crawl.error_message
        return data

    def metrics(self) -> dict[str, Any]:
        done = [c for c in self.crawls if c.status in ("COMPLETED", "FAILED", "STOPPED") and c.end_time]
        runtimes = sorted((c.end_time - c.start_time).total_seconds() for c in done)
        last = self.last_metrics
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


def sandbox_crawler(crawler: Any) -> SandboxCrawler:
    """A crawler moto made before the provider installed (an old snapshot) gets our class."""
    if not isinstance(crawler, SandboxCrawler):
        crawler.__class__ = SandboxCrawler
    return crawler


class CrawlerOperations:
    """Mixin for the Glue backend (see :mod:`emulators.glue.provider`): crawler writes with AWS's checks."""

    def create_crawler(self, name: str, role: str, database_name: str, description: str,
                       targets: dict[str, Any], schedule: str, classifiers: list[str], table_prefix: str,
                       schema_change_policy: dict[str, str], recrawl_policy: dict[str, str],
                       *args: Any, **kwargs: Any) -> None:
        validate_crawler(self, role, targets, schedule, classifiers, schema_change_policy, recrawl_policy)
        super().create_crawler(name, role, database_name, description, targets, schedule,  # type: ignore[misc]
                               classifiers, table_prefix, schema_change_policy, recrawl_policy, *args, **kwargs)

    def delete_crawler(self, name: str) -> None:
        if running(self.get_crawler(name)):  # type: ignore[attr-defined]
            raise CrawlerRunning(f"Crawler with name {name} is running; stop it (StopCrawler) before deleting")
        super().delete_crawler(name)  # type: ignore[misc]

    def start_crawler(self, name: str) -> None:
        sandbox_crawler(self.get_crawler(name)).start_crawler()  # type: ignore[attr-defined]
        current_cloud().submit(run_crawl, self.account_id, self.region_name, name)  # type: ignore[attr-defined]


def validate_crawler(backend: Any, role: Any, targets: Any, schedule: Any, classifiers: Any,
                     schema_change_policy: Any, recrawl_policy: Any) -> None:
    if not role:
        raise GlueInvalidInput("Role is required: the IAM role the crawler runs as")
    if not targets or not any((targets or {}).get(k) for k in TARGET_KINDS):
        raise GlueInvalidInput("Crawler must have at least one target")
    if schedule:
        check_schedule(schedule)
    known = stored_classifiers(backend)
    for name in classifiers or []:
        if name not in known:
            raise GlueInvalidInput(f"Classifier {name} does not exist")
    if (recrawl_policy or {}).get("RecrawlBehavior") == "CRAWL_NEW_FOLDERS_ONLY":
        policy = schema_change_policy or {}
        if policy.get("UpdateBehavior", "UPDATE_IN_DATABASE") != "LOG" or \
                policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE") != "LOG":
            raise GlueInvalidInput("The SchemaChangePolicy for \"Crawl new folders only\" Amazon S3 target can have "
                                   "only LOG DeleteBehavior value and LOG UpdateBehavior value.")


def check_schedule(schedule: str) -> None:
    try:
        cron_matches(schedule, utcnow())
    except ValueError as exc:
        raise GlueInvalidInput(f"Schedule expression {schedule!r} is not valid: {exc}") from None



def _now() -> Any:
    return utcnow().replace(tzinfo=None)  # moto's models hold naive UTC times


def get_crawlers(request: Request) -> dict[str, Any]:
    crawlers = [sandbox_crawler(c).as_dict() for c in _glue(request).get_crawlers()]
    found, token = page(request, crawlers, "get_crawlers")
    return with_token({"Crawlers": found}, token)


def get_crawler_metrics(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    names = request.get("CrawlerNameList") or list(backend.crawlers)
    return {"CrawlerMetricsList": [sandbox_crawler(backend.get_crawler(name)).metrics() for name in names]}


CRAWLER_FIELDS = {"Role": "role", "DatabaseName": "database_name", "Description": "description",
                  "Targets": "targets", "Schedule": "schedule", "Classifiers": "classifiers",
                  "TablePrefix": "table_prefix", "SchemaChangePolicy": "schema_change_policy",
                  "RecrawlPolicy": "recrawl_policy", "LineageConfiguration": "lineage_configuration",
                  "Configuration": "configuration", "CrawlerSecurityConfiguration": "crawler_security_configuration"}


def update_crawler(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    name = request.get("Name")
    crawler = backend.get_crawler(name)
    if running(crawler):
        raise CrawlerRunning(f"Crawler with name {name} is running; it cannot be updated until it is READY")
    changes = {field: request.get(param) for param, field in CRAWLER_FIELDS.items()
               if request.get(param) is not None}
    merged = {field: changes.get(field, getattr(crawler, field, None)) for field in CRAWLER_FIELDS.values()}
    validate_crawler(backend, merged["role"], merged["targets"], merged["schedule"], merged["classifiers"],
                     merged["schema_change_policy"], merged["recrawl_policy"])
    for field, value in changes.items():
        setattr(crawler, field, value)
    crawler.version = getattr(crawler, "version", 1) + 1
    crawler.last_updated = _now()
    return {}


def update_crawler_schedule(request: Request) -> dict[str, Any]:
    crawler = _glue(request).get_crawler(request.get("CrawlerName"))
    schedule = request.get("Schedule")
    if schedule:
        check_schedule(schedule)
    crawler.schedule = schedule
    crawler.last_updated = _now()
    return {}


def start_crawler_schedule(request: Request) -> dict[str, Any]:
    crawler = _glue(request).get_crawler(request.get("CrawlerName"))
    if not crawler.schedule:
        raise NoSchedule(f"Crawler {crawler.name} has no schedule: set one with UpdateCrawlerSchedule")
    if getattr(crawler, "schedule_state", "SCHEDULED") == "SCHEDULED":
        raise SchedulerRunning(f"The schedule of crawler {crawler.name} is already running")
    crawler.schedule_state = "SCHEDULED"
    return {}


def stop_crawler_schedule(request: Request) -> dict[str, Any]:
    crawler = _glue(request).get_crawler(request.get("CrawlerName"))
    if not crawler.schedule or getattr(crawler, "schedule_state", "SCHEDULED") != "SCHEDULED":
        raise SchedulerNotRunning(f"The schedule of crawler {crawler.name} is not running")
    crawler.schedule_state = "NOT_SCHEDULED"
    return {}


# -- classifiers (moto has none); CSV and JSON classifiers steer the crawler -----------------

def _classifier_input(request: Request) -> tuple[str, dict[str, Any]]:
    given = [(kind, request.get(kind)) for kind in CLASSIFIER_KINDS if request.get(kind)]
    if len(given) != 1:
        raise GlueInvalidInput("Exactly one of CsvClassifier, JsonClassifier, GrokClassifier or XMLClassifier "
                               "must be given")
    kind, body = given[0]
    if not body.get("Name"):
        raise GlueInvalidInput(f"{kind}.Name is required")
    if kind == "CsvClassifier" and body.get("ContainsHeader", "UNKNOWN") not in ("UNKNOWN", "PRESENT", "ABSENT"):
        raise GlueInvalidInput("ContainsHeader must be UNKNOWN, PRESENT or ABSENT")
    if kind == "CsvClassifier" and body.get("Delimiter") and body.get("Delimiter") == body.get("QuoteSymbol"):
        raise GlueInvalidInput("The Delimiter and the QuoteSymbol of a CSV classifier must differ")
    if kind == "JsonClassifier" and not str(body.get("JsonPath", "")).startswith("$"):
        raise GlueInvalidInput(f"JsonPath {body.get('JsonPath')!r} is not valid: a JSON path starts with $ "
                               "(for example $[*])")
    return kind, dict(body)


def create_classifier(request: Request) -> dict[str, Any]:
    known = stored_classifiers(_glue(request))
    kind, body = _classifier_input(request)
    if body["Name"] in known:
        raise GlueAlreadyExists(f"Classifier {body['Name']} already exists.")
    now = _now()
    known[body["Name"]] = {kind: {**body, "CreationTime": now, "LastUpdated": now, "Version": 1}}
    return {}


def update_classifier(request: Request) -> dict[str, Any]:
    known = stored_classifiers(_glue(request))
    kind, body = _classifier_input(request)
    current = known.get(body["Name"])
    if current is None:
        raise GlueNotFound(f"Classifier {body['Name']} not found.")
    if kind not in current:
        raise GlueInvalidInput(f"Classifier {body['Name']} is not a {kind}")
    old = current[kind]
    known[body["Name"]] = {kind: {**old, **body, "LastUpdated": _now(), "Version": old.get("Version", 1) + 1}}
    return {}


def get_classifier(request: Request) -> dict[str, Any]:
    name = request.get("Name")
    found = stored_classifiers(_glue(request)).get(name)
    if found is None:
        raise GlueNotFound(f"Classifier {name} not found.")
    return {"Classifier": found}


def get_classifiers(request: Request) -> dict[str, Any]:
    found, token = page(request, list(stored_classifiers(_glue(request)).values()), "get_classifiers")
    return with_token({"Classifiers": found}, token)


def delete_classifier(request: Request) -> dict[str, Any]:
    name = request.get("Name")
    known = stored_classifiers(_glue(request))
    if name not in known:
        raise GlueNotFound(f"Classifier {name} not found.")
    del known[name]
    return {}


OPERATIONS = {
    "get_crawlers": get_crawlers,
    "get_crawler_metrics": get_crawler_metrics,
    "update_crawler": update_crawler,
    "update_crawler_schedule": update_crawler_schedule,
    "start_crawler_schedule": start_crawler_schedule,
    "stop_crawler_schedule": stop_crawler_schedule,
    "create_classifier": create_classifier,
    "update_classifier": update_classifier,
    "get_classifier": get_classifier,
    "get_classifiers": get_classifiers,
    "delete_classifier": delete_classifier,
}
