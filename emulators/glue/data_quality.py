"""Glue Data Quality: DQDL rulesets stored per account and region, evaluation runs that really evaluate.

CreateDataQualityRuleset parses the DQDL (a syntax error or an unknown rule type
is ``InvalidInputException``, as on AWS); Get/Update/Delete/ListDataQualityRulesets.
StartDataQualityRulesetEvaluationRun checks the table and the rulesets, answers a
run id and evaluates in the background: the table's data is read as Athena reads
it (``ports.lake_table_dataset``), the rules run in DuckDB (:mod:`emulators.glue.dqdl`)
and each ruleset gives one result (``dqresult-...``) with the rule outcomes and
the Score (the share of rules that passed). The run goes RUNNING -> SUCCEEDED
(``ResultIds``) or FAILED (``ErrorString``). GetDataQualityResult,
BatchGetDataQualityResult, ListDataQualityResults and the run listings page as
AWS does; results EvaluateDataQuality publishes from a job script are stored with the
job's name and run id when the run ends. StartDataQualityRuleRecommendationRun profiles
the data and recommends a ruleset (:mod:`emulators.glue.dqdl_recommend`;
``CreatedRulesetName`` stores it). Not emulated: CloudWatch metrics and
``ResultsS3Prefix`` output, dynamic rules (``last(n)``) and the other rule types
:mod:`emulators.glue.dqdl` names.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from emulators.core import moto_coupling, ports
from emulators.core.clock import utcnow
from emulators.core.errors import AlreadyExists, NotEmulated
from emulators.core.moto_coupling import Request
from emulators.core.server import current_cloud
from emulators.glue import dqdl, dqdl_eval
from emulators.glue.catalog_api import GlueInvalidInput, GlueNotFound, catalog_name, page, with_token
from emulators.glue.backend import glue_backend as _glue

log = logging.getLogger("emulators.glue.data_quality")


class DqAlreadyExists(AlreadyExists):
    code = "AlreadyExistsException"



def _store(backend: Any) -> dict[str, dict[str, Any]]:
    """The backend's Data Quality records (pickled with it): rulesets, runs and results by name or id."""
    store = getattr(backend, "sandbox_data_quality", None)
    if store is None:
        store = {"rulesets": {}, "runs": {}, "results": {}}
        backend.sandbox_data_quality = store
    return store


def _now() -> datetime:
    return utcnow()


def _parse(text: Any) -> list[dqdl.Rule]:
    try:
        return dqdl.parse_ruleset(str(text or ""))
    except dqdl.DqdlError as exc:
        raise GlueInvalidInput(f"Ruleset is not valid DQDL. {exc}") from None


def _ruleset(store: dict[str, Any], name: Any) -> dict[str, Any]:
    ruleset = store["rulesets"].get(name)
    if ruleset is None:
        raise GlueNotFound(f"Cannot find Data Quality Ruleset in account: {name}")
    return ruleset


def create_data_quality_ruleset(request: Request) -> dict[str, Any]:
    store = _store(_glue(request))
    name = request.get("Name")
    if name in store["rulesets"]:
        raise DqAlreadyExists(f"Ruleset {name} already exists")
    rules = _parse(request.get("Ruleset"))
    target = request.get("TargetTable")
    if target:
        _glue(request).get_table(target.get("DatabaseName"), target.get("TableName"))  # EntityNotFoundException
    now = _now()
    store["rulesets"][name] = {"Name": name, "Description": request.get("Description"),
                               "Ruleset": request.get("Ruleset"), "TargetTable": target, "CreatedOn": now,
                               "LastModifiedOn": now, "RuleCount": len(rules), "Tags": request.get("Tags") or {},
                               "DataQualitySecurityConfiguration": request.get("DataQualitySecurityConfiguration")}
    return {"Name": name}


def get_data_quality_ruleset(request: Request) -> dict[str, Any]:
    ruleset = _ruleset(_store(_glue(request)), request.get("Name"))
    return {k: v for k, v in ruleset.items() if k not in ("RuleCount", "Tags") and v is not None}


def update_data_quality_ruleset(request: Request) -> dict[str, Any]:
    ruleset = _ruleset(_store(_glue(request)), request.get("Name"))
    if request.get("Ruleset") is not None:
        ruleset["RuleCount"] = len(_parse(request.get("Ruleset")))
        ruleset["Ruleset"] = request.get("Ruleset")
    if request.get("Description") is not None:
        ruleset["Description"] = request.get("Description")
    ruleset["LastModifiedOn"] = _now()
    return {k: ruleset[k] for k in ("Name", "Description", "Ruleset") if ruleset.get(k) is not None}


def delete_data_quality_ruleset(request: Request) -> dict[str, Any]:
    store = _store(_glue(request))
    _ruleset(store, request.get("Name"))
    del store["rulesets"][request.get("Name")]
    return {}


def list_data_quality_rulesets(request: Request) -> dict[str, Any]:
    store = _store(_glue(request))
    wanted = request.get("Filter") or {}
    tags = request.get("Tags") or {}
    found = []
    for ruleset in store["rulesets"].values():
        if wanted.get("Name") and wanted["Name"] != ruleset["Name"]:
            continue
        target, wanted_target = ruleset.get("TargetTable") or {}, wanted.get("TargetTable")
        if wanted_target and not _same_source({"GlueTable": wanted_target}, {"GlueTable": target}):
            continue
        if any(ruleset["Tags"].get(k) != v for k, v in tags.items()):
            continue
        found.append({k: ruleset[k] for k in ("Name", "Description", "CreatedOn", "LastModifiedOn", "TargetTable",
                                              "RuleCount") if ruleset.get(k) is not None})
    listed, token = page(request, found, "list_data_quality_rulesets")
    return with_token({"Rulesets": listed}, token)


def _glue_table(source: Any) -> dict[str, Any]:
    table = (source or {}).get("GlueTable")
    if not table or not table.get("DatabaseName") or not table.get("TableName"):
        if (source or {}).get("DataQualityGlueTable"):
            raise NotEmulated("DataQualityGlueTable data sources are not evaluated by the sandbox; "
                              "name the table with GlueTable")
        raise GlueInvalidInput("DataSource needs a GlueTable with DatabaseName and TableName")
    return table


def start_data_quality_ruleset_evaluation_run(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    store = _store(backend)
    table = _glue_table(request.get("DataSource"))
    backend.get_table(table["DatabaseName"], table["TableName"])  # EntityNotFoundException, as on AWS
    additional = request.get("AdditionalDataSources") or {}
    for source in additional.values():
        other = _glue_table(source)
        backend.get_table(other["DatabaseName"], other["TableName"])
    names = request.get("RulesetNames") or []
    for name in names:
        _ruleset(store, name)
    run_id = "dqrun-" + secrets.token_hex(20)
    now = _now()
    store["runs"][run_id] = {"RunId": run_id, "DataSource": request.get("DataSource"), "Role": request.get("Role"),
                             "NumberOfWorkers": request.get("NumberOfWorkers") or 5,
                             "Timeout": request.get("Timeout") or 2880,
                             "AdditionalRunOptions": request.get("AdditionalRunOptions"),
                             "AdditionalDataSources": additional or None, "Status": "RUNNING", "StartedOn": now,
                             "LastModifiedOn": now, "RulesetNames": list(names)}
    current_cloud().submit(run_evaluation, request.account_id, request.region, run_id)
    return {"RunId": run_id}


def _arrow_table(account: str, region: str, table: dict[str, Any]) -> Any:
    try:
        return ports.lake_table_dataset(account, region, table["DatabaseName"], table["TableName"]).to_table()
    except ports.PortUnavailable:
        raise RuntimeError("the table's data cannot be read: no Athena engine in this sandbox") from None


def run_evaluation(account: str, region: str, run_id: str) -> None:
    """Evaluate each ruleset of the run over the table's data (in the background)."""
    cloud = current_cloud()
    backend = moto_coupling.backend_for("glue", account, region)
    store = _store(backend)
    run = store["runs"][run_id]
    started = _now()
    results: list[dict[str, Any]] = []
    try:
        primary = _arrow_table(account, region, _glue_table(run["DataSource"]))
        references = {alias: _arrow_table(account, region, _glue_table(source))
                      for alias, source in (run.get("AdditionalDataSources") or {}).items()}
        for name in run["RulesetNames"]:
            text = store["rulesets"][name]["Ruleset"]
            rule_results = dqdl_eval.evaluate(dqdl.parse_ruleset(text), primary, references)
            analyzer_results = dqdl_eval.analyze(dqdl.parse_analyzers(text), primary)
            results.append({"ResultId": "dqresult-" + secrets.token_hex(20), "Score": dqdl_eval.score(rule_results),
                            "DataSource": run["DataSource"], "RulesetName": name, "EvaluationContext": name,
                            "StartedOn": started, "CompletedOn": _now(), "RulesetEvaluationRunId": run_id,
                            "RuleResults": rule_results, "AnalyzerResults": analyzer_results, "Observations": [],
                            "AggregatedMetrics": _aggregated(primary.num_rows, rule_results)})
        status, error = "SUCCEEDED", None
    except Exception as exc:  # the data could not be read, a ruleset vanished: the run fails, as on AWS
        log.info("Data Quality run %s failed: %s", run_id, exc)
        status, error = "FAILED", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    with cloud.mutating():
        if run["Status"] == "STOPPED":  # cancelled while it evaluated: its results are dropped
            return
        for result in results:
            store["results"][result["ResultId"]] = result
        now = _now()
        run.update(Status=status, CompletedOn=now, LastModifiedOn=now, ResultIds=[r["ResultId"] for r in results],
                   ExecutionTime=max(1, int((now - started).total_seconds())))
        if error:
            run["ErrorString"] = error


def _aggregated(rows: int, rule_results: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes = [r["Result"] for r in rule_results]
    return {"TotalRowsProcessed": float(rows), "TotalRulesProcessed": float(len(outcomes)),
            "TotalRulesPassed": float(outcomes.count("PASS")), "TotalRulesFailed": float(outcomes.count("FAIL"))}


def get_data_quality_ruleset_evaluation_run(request: Request) -> dict[str, Any]:
    run = _store(_glue(request))["runs"].get(request.get("RunId"))
    if run is None:
        raise GlueNotFound(f"Cannot find Data Quality ruleset evaluation run {request.get('RunId')}")
    return {k: v for k, v in run.items() if v is not None}


def _same_source(a: Any, b: Any) -> bool:
    a, b = (a or {}).get("GlueTable") or {}, (b or {}).get("GlueTable") or {}
    return (catalog_name(a.get("DatabaseName")), catalog_name(a.get("TableName"))) == \
        (catalog_name(b.get("DatabaseName")), catalog_name(b.get("TableName")))


def _started_between(item: dict[str, Any], wanted: dict[str, Any]) -> bool:
    started = item["StartedOn"]
    after, before = wanted.get("StartedAfter"), wanted.get("StartedBefore")
    if isinstance(after, datetime) and started < after:
        return False
    return not (isinstance(before, datetime) and started > before)


def list_data_quality_ruleset_evaluation_runs(request: Request) -> dict[str, Any]:
    wanted = request.get("Filter") or {}
    runs = sorted(_store(_glue(request))["runs"].values(), key=lambda r: r["StartedOn"], reverse=True)
    found = [{k: r[k] for k in ("RunId", "Status", "StartedOn", "DataSource")} for r in runs
             if (not wanted.get("DataSource") or _same_source(r["DataSource"], wanted["DataSource"]))
             and _started_between(r, wanted)
             and (not wanted.get("RulesetName") or wanted["RulesetName"] in r["RulesetNames"])]
    listed, token = page(request, found, "list_data_quality_ruleset_evaluation_runs")
    return with_token({"Runs": listed}, token)


def get_data_quality_result(request: Request) -> dict[str, Any]:
    result = _store(_glue(request))["results"].get(request.get("ResultId"))
    if result is None:
        raise GlueNotFound(f"Cannot find Data Quality result {request.get('ResultId')}")
    return {k: v for k, v in result.items() if v is not None}


def batch_get_data_quality_result(request: Request) -> dict[str, Any]:
    results = _store(_glue(request))["results"]
    ids = request.get("ResultIds") or []
    return {"Results": [{k: v for k, v in results[i].items() if v is not None} for i in ids if i in results],
            "ResultsNotFound": [i for i in ids if i not in results]}


def list_data_quality_results(request: Request) -> dict[str, Any]:
    wanted = request.get("Filter") or {}
    results = sorted(_store(_glue(request))["results"].values(), key=lambda r: r["StartedOn"], reverse=True)
    found = [{k: r[k] for k in ("ResultId", "DataSource", "JobName", "JobRunId", "StartedOn") if k in r}
             for r in results
             if (not wanted.get("DataSource") or _same_source(r.get("DataSource"), wanted["DataSource"]))
             and _started_between(r, wanted)
             and (not wanted.get("JobName") or r.get("JobName") == wanted["JobName"])
             and (not wanted.get("JobRunId") or r.get("JobRunId") == wanted["JobRunId"])]
    listed, token = page(request, found, "list_data_quality_results")
    return with_token({"Results": listed}, token)


def start_data_quality_rule_recommendation_run(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    store = _store(backend)
    table = _glue_table(request.get("DataSource"))
    backend.get_table(table["DatabaseName"], table["TableName"])  # EntityNotFoundException, as on AWS
    created = request.get("CreatedRulesetName")
    if created and created in store["rulesets"]:
        raise DqAlreadyExists(f"Ruleset {created} already exists")
    run_id = "dqrun-" + secrets.token_hex(20)
    now = _now()
    store.setdefault("recommendations", {})[run_id] = {
        "RunId": run_id, "DataSource": request.get("DataSource"), "Role": request.get("Role"),
        "NumberOfWorkers": request.get("NumberOfWorkers") or 5, "Timeout": request.get("Timeout") or 2880,
        "Status": "RUNNING", "StartedOn": now, "LastModifiedOn": now, "CreatedRulesetName": created,
        "RecommendationMode": request.get("RecommendationMode")}
    current_cloud().submit(run_recommendation, request.account_id, request.region, run_id)
    return {"RunId": run_id}


def run_recommendation(account: str, region: str, run_id: str) -> None:
    """Profile the table's data and recommend a ruleset (in the background); create it when asked to."""
    from emulators.glue import dqdl_recommend

    cloud = current_cloud()
    store = _store(moto_coupling.backend_for("glue", account, region))
    run = store["recommendations"][run_id]
    started = _now()
    try:
        table = _glue_table(run["DataSource"])
        ruleset, error = dqdl_recommend.recommend(_arrow_table(account, region, table)), None
    except Exception as exc:  # the data could not be read: the run fails with the reason
        log.info("Data Quality recommendation run %s failed: %s", run_id, exc)
        ruleset, error = None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    with cloud.mutating():
        if run["Status"] == "STOPPED":  # cancelled while it profiled the data
            return
        now = _now()
        run.update(Status="FAILED" if error else "SUCCEEDED", CompletedOn=now, LastModifiedOn=now,
                   ExecutionTime=max(1, int((now - started).total_seconds())))
        if error:
            run["ErrorString"] = error
            return
        run["RecommendedRuleset"] = ruleset
        name = run.get("CreatedRulesetName")
        if name and name not in store["rulesets"]:
            store["rulesets"][name] = {"Name": name, "Ruleset": ruleset, "CreatedOn": now, "LastModifiedOn": now,
                                       "TargetTable": {"DatabaseName": table["DatabaseName"],
                                                       "TableName": table["TableName"]},
                                       "RecommendationRunId": run_id, "RuleCount": len(dqdl.parse_ruleset(ruleset)),
                                       "Tags": {}}


def get_data_quality_rule_recommendation_run(request: Request) -> dict[str, Any]:
    run = _store(_glue(request)).get("recommendations", {}).get(request.get("RunId"))
    if run is None:
        raise GlueNotFound(f"Cannot find Data Quality rule recommendation run {request.get('RunId')}")
    return {k: v for k, v in run.items() if v is not None}


def list_data_quality_rule_recommendation_runs(request: Request) -> dict[str, Any]:
    wanted = request.get("Filter") or {}
    runs = sorted(_store(_glue(request)).get("recommendations", {}).values(), key=lambda r: r["StartedOn"],
                  reverse=True)
    found = [{k: r[k] for k in ("RunId", "Status", "StartedOn", "DataSource", "CreatedRulesetName",
                                "RecommendationMode") if r.get(k) is not None} for r in runs
             if (not wanted.get("DataSource") or _same_source(r["DataSource"], wanted["DataSource"]))
             and _started_between(r, wanted)]
    listed, token = page(request, found, "list_data_quality_rule_recommendation_runs")
    return with_token({"Runs": listed}, token)


def _cancel(runs: dict[str, Any], run_id: Any, what: str) -> dict[str, Any]:
    run = runs.get(run_id)
    if run is None:
        raise GlueNotFound(f"Cannot find Data Quality {what} run {run_id}")
    if run["Status"] in ("STARTING", "RUNNING"):
        run.update(Status="STOPPED", LastModifiedOn=_now(), CompletedOn=_now())
    return {}


def cancel_data_quality_ruleset_evaluation_run(request: Request) -> dict[str, Any]:
    return _cancel(_store(_glue(request))["runs"], request.get("RunId"), "ruleset evaluation")


def cancel_data_quality_rule_recommendation_run(request: Request) -> dict[str, Any]:
    return _cancel(_store(_glue(request)).get("recommendations", {}), request.get("RunId"), "rule recommendation")


OPERATIONS = {
    "cancel_data_quality_ruleset_evaluation_run": cancel_data_quality_ruleset_evaluation_run,
    "cancel_data_quality_rule_recommendation_run": cancel_data_quality_rule_recommendation_run,
    "start_data_quality_rule_recommendation_run": start_data_quality_rule_recommendation_run,
    "get_data_quality_rule_recommendation_run": get_data_quality_rule_recommendation_run,
    "list_data_quality_rule_recommendation_runs": list_data_quality_rule_recommendation_runs,
    "create_data_quality_ruleset": create_data_quality_ruleset,
    "get_data_quality_ruleset": get_data_quality_ruleset,
    "update_data_quality_ruleset": update_data_quality_ruleset,
    "delete_data_quality_ruleset": delete_data_quality_ruleset,
    "list_data_quality_rulesets": list_data_quality_rulesets,
    "start_data_quality_ruleset_evaluation_run": start_data_quality_ruleset_evaluation_run,
    "get_data_quality_ruleset_evaluation_run": get_data_quality_ruleset_evaluation_run,
    "list_data_quality_ruleset_evaluation_runs": list_data_quality_ruleset_evaluation_runs,
    "get_data_quality_result": get_data_quality_result,
    "batch_get_data_quality_result": batch_get_data_quality_result,
    "list_data_quality_results": list_data_quality_results,
}


def record_job_results(backend: Any, job_name: str, run_id: str, path: Any) -> None:
    """Store the results EvaluateDataQuality published from a job run (one JSON line each, written by
    ``awsgluedq``) as Data Quality results with the job's name and run id."""
    import json
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return
    store = _store(backend)
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            published = json.loads(line)
            started = datetime.fromisoformat(published["StartedOn"])
            completed = datetime.fromisoformat(published["CompletedOn"])
        except (ValueError, KeyError, TypeError):
            log.warning("job %s run %s: a Data Quality result line cannot be read", job_name, run_id)
            continue
        result_id = "dqresult-" + secrets.token_hex(20)
        rule_results = published.get("RuleResults") or []
        store["results"][result_id] = {
            "ResultId": result_id, "Score": dqdl_eval.score(rule_results), "JobName": job_name, "JobRunId": run_id,
            "EvaluationContext": published.get("EvaluationContext"), "StartedOn": started, "CompletedOn": completed,
            "RuleResults": rule_results, "AnalyzerResults": [], "Observations": [],
            "AggregatedMetrics": _aggregated(int(published.get("Rows") or 0), rule_results)}
        if published.get("DataSource"):
            store["results"][result_id]["DataSource"] = published["DataSource"]


def fail_interrupted_runs() -> None:
    """After a restart, an evaluation run that was RUNNING is FAILED: its worker is gone."""
    for _, _, backend in moto_coupling.backend_dict("glue").iter_backends():
        store = getattr(backend, "sandbox_data_quality", None) or {}
        for run in [*store.get("runs", {}).values(), *store.get("recommendations", {}).values()]:
            if run.get("Status") == "RUNNING":
                run.update(Status="FAILED", ErrorString="The sandbox restarted while the run was evaluating; start "
                                                        "it again")
