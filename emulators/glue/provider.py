"""Glue's one provider: the backend class moto builds for Glue, and ``install``.

The backend class is moto's, with one mixin per API area; the operations moto
lacks are added from the same modules:

- :mod:`~emulators.glue.catalog_api` -- databases, tables, partitions, versions, SearchTables, paging
- :mod:`~emulators.glue.catalog_statistics` -- partition indexes, column statistics (computed in
  :mod:`emulators.glue.statistics_engine`)
- :mod:`~emulators.glue.crawler_api` -- crawlers and classifiers; :mod:`~emulators.glue.crawl_runs` runs a crawl
- :mod:`~emulators.glue.job_api` -- job runs (the script runs in :mod:`emulators.glue.jobs`), UpdateJob
- :mod:`~emulators.glue.triggers` -- triggers and workflow runs
- :mod:`~emulators.glue.workflow_graph` -- GetWorkflow's graph
- :mod:`~emulators.glue.bookmarks` -- job bookmarks
- :mod:`~emulators.glue.connections` -- connection updates and deletes
- :mod:`~emulators.glue.schema_registry` -- ListSchemas, ListSchemaVersions
- :mod:`~emulators.glue.data_quality` -- Data Quality rulesets and runs (DQDL: :mod:`emulators.glue.dqdl`)
"""

from __future__ import annotations

from typing import Any

from emulators.core import jobs, moto_coupling, ports
from emulators.glue import (bookmarks, catalog, catalog_api, catalog_statistics, connections, crawl_runs, crawler_api,
                            data_quality, job_api, schema_registry, triggers, workflow_graph)

GlueBackend = moto_coupling.backend_class("glue")


class SandboxGlueBackend(triggers.TriggerOperations, job_api.JobRunOperations, crawler_api.CrawlerOperations,
                         catalog_api.CatalogOperations, GlueBackend):  # type: ignore[misc, valid-type]
    """moto's Glue backend with the sandbox's catalog checks, crawls, job runs and triggers."""


OPERATIONS = {**catalog_api.OPERATIONS, **crawler_api.OPERATIONS, **job_api.OPERATIONS, **triggers.OPERATIONS,
              **bookmarks.OPERATIONS, **data_quality.OPERATIONS, **catalog_statistics.OPERATIONS,
              **workflow_graph.OPERATIONS, **connections.OPERATIONS,
              **schema_registry.OPERATIONS}


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("glue", SandboxGlueBackend)
    ports.glue_catalog.provide(catalog.glue_catalog)  # the engines' view (Athena, Spectrum)
    moto_coupling.replace_model_class("glue", "FakeTable", catalog_api.SandboxTable)
    moto_coupling.replace_model_class("glue", "FakeCrawl", crawler_api.SandboxCrawl)
    moto_coupling.replace_model_class("glue", "FakeCrawler", crawler_api.SandboxCrawler)
    moto_coupling.replace_model_class("glue", "FakeJobRun", job_api.SandboxJobRun)
    moto_coupling.replace_model_class("glue", "FakeJob", job_api.SandboxJob)
    moto_coupling.replace_model_class("glue", "FakeConnection", connections.SandboxConnection)
    for operation, handler in OPERATIONS.items():
        moto_coupling.add_operation("glue", "GlueResponse", operation, handler)
    # AWS lets a one-condition predicate omit Logical; moto insists on it
    moto_coupling.default_request_params("glue", "GlueResponse", "create_trigger", {"Logical": "AND"},
                                         nested="Predicate")
    # CreateSchema's Compatibility is optional (BACKWARD); moto refused a request without it
    moto_coupling.default_request_params("glue", "GlueResponse", "create_schema", {"Compatibility": "BACKWARD"})
    jobs.bind(cloud, "glue")  # shutdown ends running scripts' process groups; none start while stopping
    cloud.after_restore(crawl_runs.fail_interrupted_crawls)
    cloud.after_restore(job_api.fail_interrupted_runs)
    cloud.after_restore(data_quality.fail_interrupted_runs)
    cloud.every(10.0, crawl_runs.check_schedules, name="glue-crawler-schedules")
    cloud.every(10.0, triggers.check_scheduled_triggers, name="glue-scheduled-triggers")
    cloud.every(2.0, triggers.fire_conditional_after_crawls, name="glue-crawler-conditions")
    cloud.every(10.0, triggers.check_event_batches, name="glue-event-batches")
    ports.start_workflow_for_event.provide(triggers.workflow_event)  # EventBridge rules targeting workflows
    from emulators.core import warm_spark  # job runs start on a pre-started Spark driver (warms on first run)

    warm_spark.pool_for(cloud)
