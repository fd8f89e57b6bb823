"""Glue's API modules without a server: paging, catalog names and version rules, the one backend class."""

from __future__ import annotations

import pytest

from emulators.core import moto_coupling
from emulators.core.paging import encode_token
from emulators.glue import catalog_api, job_api, provider


def Request(**params):  # noqa: N802 - reads like the class it builds
    """A request with these parameters, as a handler receives it."""
    return moto_coupling.Request(params=params)


def test_pages_follow_each_other_to_the_end():
    items = list(range(7))
    first, token = catalog_api.page(Request(MaxResults=3), items, "get_tables:db")
    second, token2 = catalog_api.page(Request(MaxResults=3, NextToken=token), items, "get_tables:db")
    third, token3 = catalog_api.page(Request(MaxResults=3, NextToken=token2), items, "get_tables:db")
    assert (first, second, third, token3) == ([0, 1, 2], [3, 4, 5], [6], None)


@pytest.mark.parametrize("token", ["abc", "3", encode_token("glue:get_tables:other", 1), "!!"])
def test_a_token_that_is_not_this_listings_is_invalid_input(token):
    with pytest.raises(catalog_api.GlueInvalidInput) as exc:
        catalog_api.page(Request(NextToken=token), list(range(5)), "get_tables:db")
    assert exc.value.code == "InvalidInputException"


def test_max_results_below_one_is_invalid_input():
    with pytest.raises(catalog_api.GlueInvalidInput):
        catalog_api.page(Request(MaxResults=0), [1], "get_databases")


def test_catalog_names_are_lower_case_and_checked():
    assert catalog_api.catalog_name("Sales_DB") == "sales_db"
    with pytest.raises(catalog_api.GlueInvalidInput):
        catalog_api.check_name("Table", "x" * 256)


class Table:
    name = "t"
    versions = {"1": {}, "2": {}}
    _current_version = 2


def test_only_an_existing_old_version_may_be_deleted():
    catalog_api.check_deletable_version(Table(), "1")
    with pytest.raises(catalog_api.GlueInvalidInput):
        catalog_api.check_deletable_version(Table(), "2")  # the current one
    with pytest.raises(catalog_api.GlueInvalidInput):
        catalog_api.check_deletable_version(Table(), "one")
    with pytest.raises(catalog_api.GlueNotFound) as exc:
        catalog_api.check_deletable_version(Table(), "9")
    assert exc.value.code == "EntityNotFoundException"


def test_one_backend_class_carries_every_api_area():
    cls = provider.SandboxGlueBackend
    for name in ("create_table", "create_crawler", "start_job_run", "start_workflow_run", "job_run_finished"):
        assert getattr(cls, name).__module__.startswith("emulators.glue."), name
    assert set(provider.OPERATIONS) >= {"get_tables", "get_crawler_metrics", "update_job", "start_trigger",
                                        "get_job_bookmark"}


def test_the_backend_keeps_names_in_lower_case():
    backend = provider.SandboxGlueBackend("us-east-1", "123456789012")
    backend.create_database("Lake", {"Name": "Lake"})
    backend.create_table("LAKE", "Events", {"Name": "Events"})
    assert [t.name for t in backend.get_tables("lake", None)] == ["events"]
    assert backend.get_table("Lake", "EVENTS").name == "events"


def test_arguments_the_sandbox_cannot_honour_are_noted():
    notes = job_api.unsupported_argument_notes({"--additional-python-modules": "scikit-learn==1.5",
                                                "--enable-metrics": "true"})
    assert len(notes) == 1 and "--additional-python-modules=scikit-learn==1.5 is not installed" in notes[0]


def test_a_workflow_run_is_not_idle_while_a_finished_crawl_awaits_its_conditional_trigger():
    """Crawl conditions are looked at every 2 s; a workflow whose last crawler just finished must not be
    COMPLETED before its trigger had that look (it failed so once under load: the next crawler never ran)."""
    from types import SimpleNamespace

    from emulators.glue import triggers

    crawl = SimpleNamespace(crawl_id="c-1", status="COMPLETED")
    crawler = SimpleNamespace(crawls=[crawl], as_dict=lambda: {"LastCrawl": {"Status": "SUCCEEDED"}})
    trigger = SimpleNamespace(name="wf-after-raw", trigger_type="CONDITIONAL", state="ACTIVATED",
                              predicate={"Conditions": [{"CrawlerName": "raw", "CrawlState": "SUCCEEDED"}]})
    backend = SimpleNamespace(crawlers={"raw": crawler})
    key = ("123456789012", "us-east-1", "wf-after-raw:c-1")
    triggers._trigger_fired.pop(key, None)
    assert triggers._crawl_conditions_pending(key[0], key[1], backend, [trigger])
    triggers._trigger_fired[key] = "SUCCEEDED"  # what the periodic check records once it has acted
    try:
        assert not triggers._crawl_conditions_pending(key[0], key[1], backend, [trigger])
    finally:
        triggers._trigger_fired.pop(key, None)
