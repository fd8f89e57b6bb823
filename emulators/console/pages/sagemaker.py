"""SageMaker AI: training, processing, tuning (objective chart), transform and AutoML jobs; models
and the model registry; endpoints with an invoke form and data capture; pipeline executions as a
graph; Model Monitor executions."""

from __future__ import annotations

import json
import re
from typing import Any

from emulators.console import charts, ui
from emulators.console.app import Context, Redirect, safe
from emulators.console.pages import route
from emulators.console.pages.cloudwatch import log_panel

CRUMB = ("Amazon SageMaker AI", "/sagemaker/")

# tab -> (title, list call, result key, name key, status key, detail kind)
LISTS: dict[str, tuple[str, str, str, str, str]] = {
    "training": ("Training jobs", "list_training_jobs", "TrainingJobSummaries", "TrainingJobName", "TrainingJobStatus"),
    "processing": ("Processing jobs", "list_processing_jobs", "ProcessingJobSummaries", "ProcessingJobName",
                   "ProcessingJobStatus"),
    "tuning": ("Hyperparameter tuning jobs", "list_hyper_parameter_tuning_jobs", "HyperParameterTuningJobSummaries",
               "HyperParameterTuningJobName", "HyperParameterTuningJobStatus"),
    "transform": ("Batch transform jobs", "list_transform_jobs", "TransformJobSummaries", "TransformJobName",
                  "TransformJobStatus"),
    "automl": ("AutoML jobs", "list_auto_ml_jobs", "AutoMLJobSummaries", "AutoMLJobName", "AutoMLJobStatus"),
    "models": ("Models", "list_models", "Models", "ModelName", ""),
    "registry": ("Model groups", "list_model_package_groups", "ModelPackageGroupSummaryList", "ModelPackageGroupName",
                 "ModelPackageGroupStatus"),
    "endpoints": ("Endpoints", "list_endpoints", "Endpoints", "EndpointName", "EndpointStatus"),
    "pipelines": ("Pipelines", "list_pipelines", "PipelineSummaries", "PipelineName", ""),
    "monitoring": ("Monitoring schedules", "list_monitoring_schedules", "MonitoringScheduleSummaries",
                   "MonitoringScheduleName", "MonitoringScheduleStatus"),
}
DESCRIBE = {
    "training": ("describe_training_job", "TrainingJobName"),
    "processing": ("describe_processing_job", "ProcessingJobName"),
    "tuning": ("describe_hyper_parameter_tuning_job", "HyperParameterTuningJobName"),
    "transform": ("describe_transform_job", "TransformJobName"),
    "automl": ("describe_auto_ml_job", "AutoMLJobName"),
    "models": ("describe_model", "ModelName"),
    "registry": ("describe_model_package_group", "ModelPackageGroupName"),
    "endpoints": ("describe_endpoint", "EndpointName"),
    "pipelines": ("describe_pipeline", "PipelineName"),
    "monitoring": ("describe_monitoring_schedule", "MonitoringScheduleName"),
}
LOG_GROUPS = {"training": "/aws/sagemaker/TrainingJobs", "processing": "/aws/sagemaker/ProcessingJobs",
              "transform": "/aws/sagemaker/TransformJobs", "endpoints": "/aws/sagemaker/Endpoints/"}


def _tabs(current: str) -> ui.Markup:
    return ui.tabs([(LISTS[k][0], ui.url("/sagemaker/", tab=k)) for k in LISTS], LISTS[current][0])


@route("/sagemaker/")
def home(ctx: Context) -> ui.Markup:
    tab = ctx.arg("tab") if ctx.arg("tab") in LISTS else "training"
    title, call, key, name_key, status_key = LISTS[tab]
    sm = ctx.client("sagemaker")
    extra = {"SortBy": "CreationTime", "SortOrder": "Descending"} if tab not in ("registry", "pipelines") else {}
    found, error = safe(ctx, lambda: getattr(sm, call)(MaxResults=100, **extra)[key], title)
    rows = []
    for item in found or []:
        name = item.get(name_key, "")
        rows.append((ui.link(name, ui.url("/sagemaker/detail", kind=tab, name=name)),
                     ui.status(item.get(status_key)) if status_key else "-",
                     ui.when(item.get("CreationTime") or item.get("CreationDate")),
                     ui.when(item.get("TrainingEndTime") or item.get("ProcessingEndTime") or item.get("EndTime")
                             or item.get("LastModifiedTime"))))
    body = _tabs(tab) + error + ui.panel(f"{title} ({len(rows)})",
                                         ui.table(["Name", "Status", "Creation time", "End / last modified"], rows))
    return ui.page(title, body, [CRUMB, (title, None)], "SageMaker AI")


@route("/sagemaker/detail")
def detail(ctx: Context) -> ui.Markup:
    kind, name = ctx.arg("kind"), ctx.arg("name")
    if kind not in DESCRIBE or not name:
        raise Redirect(ui.url("/sagemaker/"))
    sm = ctx.client("sagemaker")
    call, param = DESCRIBE[kind]
    described, error = safe(ctx, lambda: getattr(sm, call)(**{param: name}), LISTS[kind][0][:-1])
    crumbs = [CRUMB, (LISTS[kind][0], ui.url("/sagemaker/", tab=kind)[len(ui.BASE):]), (name, None)]
    if described is None:
        return ui.page(name, error, crumbs, "SageMaker AI")
    described.pop("ResponseMetadata", None)
    status_key = LISTS[kind][4]
    summary = [("Name", name), ("Status", ui.status(described.get(status_key)) if status_key else "-"),
               ("ARN", next((v for k, v in described.items() if k.endswith("Arn") and isinstance(v, str)), "-")),
               ("Creation time", ui.when(described.get("CreationTime"))),
               ("Failure reason", described.get("FailureReason"))]
    if kind == "training":
        start, end = described.get("TrainingStartTime"), described.get("TrainingEndTime")
        summary.append(("Duration", ui.duration((end - start).total_seconds()) if start and end else "-"))
        summary.append(("Model artifacts", (described.get("ModelArtifacts") or {}).get("S3ModelArtifacts")))
    parts: list[Any] = [ui.panel("Job settings" if kind not in ("models", "endpoints", "registry", "pipelines") else "Details",
                                 ui.pairs(summary))]
    metrics = described.get("FinalMetricDataList") or []
    if metrics:
        parts.append(ui.panel("Metrics", ui.table(["Metric", "Value", "Time"], [
            (m["MetricName"], m["Value"], ui.when(m.get("Timestamp"))) for m in metrics])))
    if described.get("HyperParameters"):
        parts.append(ui.panel("Hyperparameters", ui.table(["Key", "Value"], sorted(described["HyperParameters"].items()))))
    if kind == "tuning":
        parts.append(_tuning(ctx, sm, name, described))
    if kind == "automl":
        candidates, c_error = safe(ctx, lambda: sm.list_candidates_for_auto_ml_job(AutoMLJobName=name)["Candidates"],
                                   "Candidates")
        parts.append(c_error + ui.panel("Candidates", ui.table(["Candidate", "Status", "Objective"], [
            (c["CandidateName"], ui.status(c.get("CandidateStatus")),
             (c.get("FinalAutoMLJobObjectiveMetric") or {}).get("Value", "-")) for c in candidates or []])))
    if kind == "registry":
        packages, p_error = safe(ctx, lambda: sm.list_model_packages(ModelPackageGroupName=name)["ModelPackageSummaryList"],
                                 "Model versions")
        parts.append(p_error + ui.panel("Versions", ui.table(["Version", "Approval status", "Status", "Creation time"], [
            (p.get("ModelPackageVersion"), ui.status(p.get("ModelApprovalStatus")), p.get("ModelPackageStatus"),
             ui.when(p.get("CreationTime"))) for p in packages or []])))
    if kind == "endpoints":
        parts.append(_endpoint(ctx, sm, name, described))
    if kind == "pipelines":
        parts.append(_pipeline_executions(ctx, sm, name))
    if kind == "monitoring":
        runs, m_error = safe(ctx, lambda: sm.list_monitoring_executions(MonitoringScheduleName=name,
                                                                        MaxResults=50)["MonitoringExecutionSummaries"],
                             "Monitoring executions")
        parts.append(m_error + ui.panel("Monitoring executions", ui.table(
            ["Scheduled time", "Status", "Processing job", "Violations", "Failure reason"],
            [(ui.when(r.get("ScheduledTime")), ui.status(r.get("MonitoringExecutionStatus")),
              ui.link(r.get("ProcessingJobArn", "-").rsplit("/", 1)[-1],
                      ui.url("/sagemaker/detail", kind="processing", name=r.get("ProcessingJobArn", "").rsplit("/", 1)[-1]))
              if r.get("ProcessingJobArn") else "-",
              _violations(ctx, sm, r) if i < VIOLATION_REPORTS else "-", r.get("FailureReason", ""))
             for i, r in enumerate(runs or [])])))
    if kind in ("training", "processing", "transform"):
        parts.append(log_panel(ctx, LOG_GROUPS[kind], name))
    parts.append(ui.panel("Description (as DescribeX returns it)", ui.code_block(described)))
    return ui.page(name, error + ui.join(parts), crumbs, "SageMaker AI")


VIOLATION_REPORTS = 10  # the newest executions whose constraint_violations.json is read


def _violations(ctx: Context, sm: Any, run: dict[str, Any]) -> str:
    """The features and checks of an execution's ``constraint_violations.json`` (AWS's report format)."""
    if not run.get("ProcessingJobArn") or not str(run.get("MonitoringExecutionStatus", "")).startswith("Completed"):
        return "-"

    def load() -> str:
        job = sm.describe_processing_job(ProcessingJobName=run["ProcessingJobArn"].rsplit("/", 1)[-1])
        uri = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].rstrip("/") + "/constraint_violations.json"
        bucket, key = uri[len("s3://"):].split("/", 1)
        report = json.loads(ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        found = report.get("violations") or []
        return "none" if not found else f"{len(found)}: " + ", ".join(
            f"{v.get('feature_name')} ({v.get('constraint_check_type')})" for v in found[:6])

    value, error = safe(ctx, load, "Violations report")
    return value if value is not None else "not readable"


def _tuning(ctx: Context, sm: Any, name: str, described: dict[str, Any]) -> ui.Markup:
    jobs, error = safe(ctx, lambda: sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=100)["TrainingJobSummaries"], "Training jobs of the tuning job")
    objective = (described.get("HyperParameterTuningJobConfig") or {}).get("HyperParameterTuningJobObjective") or {}
    jobs = sorted(jobs or [], key=lambda j: j.get("CreationTime") or 0)
    points, rows = [], []
    for i, job in enumerate(jobs, 1):
        value = (job.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value")
        if value is not None:
            points.append((i, value))
        rows.append((ui.link(job["TrainingJobName"], ui.url("/sagemaker/detail", kind="training", name=job["TrainingJobName"])),
                     ui.status(job.get("TrainingJobStatus")), "-" if value is None else value,
                     ", ".join(f"{k}={v}" for k, v in sorted((job.get("TunedHyperParameters") or {}).items()))))
    chart = charts.line_chart(points, f"{objective.get('MetricName', 'objective')} ({objective.get('Type', '')}) per training job",
                              x_is_time=False)
    best = (described.get("BestTrainingJob") or {}).get("TrainingJobName")
    return error + ui.panel("Objective metric", chart + (ui.Markup(f"<p>Best training job: <b>{ui.esc(best)}</b></p>")
                                                         if best else "")) + \
        ui.panel(f"Training jobs ({len(rows)})", ui.table(["Name", "Status", "Objective", "Hyperparameters"], rows))


def _endpoint(ctx: Context, sm: Any, name: str, described: dict[str, Any], result: Any = "") -> ui.Markup:
    variants = [(v.get("VariantName"), v.get("CurrentInstanceCount"), v.get("CurrentWeight"))
                for v in described.get("ProductionVariants") or []]
    capture = described.get("DataCaptureConfig") or {}
    form_body = ui.Markup('<div class="row">') + ui.select("content_type", ["text/csv", "application/json"],
                                                           ctx.field("content_type") or "text/csv", "Content type") + \
        ui.select("accept", ["text/csv", "application/json"], ctx.field("accept") or "text/csv", "Accept") + \
        ui.Markup("</div>") + ui.textarea("body", ctx.field("body"), 5, "Request body") + ui.hidden("endpoint", name)
    return (ui.panel("Endpoint runtime settings", ui.table(["Variant", "Instance count", "Weight"], variants)) +
            ui.panel("Data capture", ui.pairs([("Enabled", capture.get("EnableCapture", False)),
                                               ("Sampling percentage", capture.get("CurrentSamplingPercentage")),
                                               ("Destination", capture.get("DestinationS3Uri"))])) +
            ui.panel("Test inference", ui.form(ui.url("/sagemaker/invoke"), form_body, ctx.csrf, "Send request",
                                               form_id="invoke") + result))


@route("/sagemaker/invoke", "POST")
def invoke(ctx: Context) -> ui.Markup:
    name = ctx.field("endpoint")
    sm, runtime = ctx.client("sagemaker"), ctx.client("sagemaker-runtime")
    described, error = safe(ctx, lambda: sm.describe_endpoint(EndpointName=name), "The endpoint")
    crumbs = [CRUMB, ("Endpoints", ui.url("/sagemaker/", tab="endpoints")[len(ui.BASE):]),
              (name, ui.url("/sagemaker/detail", kind="endpoints", name=name)[len(ui.BASE):]), ("Test inference", None)]
    if described is None:
        return ui.page(name, error, crumbs, "SageMaker AI")

    def call() -> dict[str, Any]:
        response = runtime.invoke_endpoint(EndpointName=name, Body=ctx.field("body").encode(),
                                           ContentType=ctx.field("content_type") or "text/csv",
                                           Accept=ctx.field("accept") or "text/csv")
        return {"body": response["Body"].read().decode("utf-8", errors="replace"),
                "content_type": response.get("ContentType"), "variant": response.get("InvokedProductionVariant")}

    answer, invoke_error = safe(ctx, call, "Invoke")
    result = invoke_error
    if answer:
        result += ui.Markup('<div id="prediction"><h3>Response</h3>') + ui.pairs(
            [("Content type", answer["content_type"]), ("Variant", answer["variant"])]) + \
            ui.code_block(answer["body"]) + ui.Markup("</div>")
    return ui.page(name, _endpoint(ctx, sm, name, described, result), crumbs, "SageMaker AI")


def _pipeline_executions(ctx: Context, sm: Any, name: str) -> ui.Markup:
    found, error = safe(ctx, lambda: sm.list_pipeline_executions(PipelineName=name, MaxResults=50)[
        "PipelineExecutionSummaries"], "Pipeline executions")
    rows = [(ui.link(e.get("PipelineExecutionDisplayName") or e["PipelineExecutionArn"].rsplit("/", 1)[-1],
                     ui.url("/sagemaker/pipeline-execution", arn=e["PipelineExecutionArn"])),
             ui.status(e.get("PipelineExecutionStatus")), ui.when(e.get("StartTime"))) for e in found or []]
    return error + ui.panel("Executions", ui.table(["Execution", "Status", "Start time"], rows))


def _flatten_steps(steps: list[Any]) -> Any:
    """Every step of a pipeline definition, the branches of Condition steps included."""
    for step in steps:
        if not isinstance(step, dict) or "Name" not in step:
            continue
        yield step
        arguments = step.get("Arguments") if isinstance(step.get("Arguments"), dict) else {}
        yield from _flatten_steps([b for key in ("IfSteps", "ElseSteps") for b in arguments.get(key) or []])


STEP_STATUS = {"Succeeded": "succeeded", "Failed": "failed", "Executing": "running", "Starting": "running",
               "Stopping": "running", "Stopped": "failed"}


@route("/sagemaker/pipeline-execution")
def pipeline_execution(ctx: Context) -> ui.Markup:
    arn = ctx.arg("arn")
    sm = ctx.client("sagemaker")
    described, error = safe(ctx, lambda: sm.describe_pipeline_execution(PipelineExecutionArn=arn), "The execution")
    if described is None:
        return ui.page("Pipeline execution", error, [CRUMB], "SageMaker AI")
    steps, steps_error = safe(ctx, lambda: sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)[
        "PipelineExecutionSteps"], "Steps")
    definition, _ = safe(ctx, lambda: json.loads(sm.describe_pipeline_definition_for_execution(
        PipelineExecutionArn=arn)["PipelineDefinition"]), "Definition")
    step_defs = list(_flatten_steps((definition or {}).get("Steps") or []))
    nodes = [step["Name"] for step in step_defs]
    edges: list[tuple[str, str]] = []
    for step in step_defs:
        arguments = step.get("Arguments") if isinstance(step.get("Arguments"), dict) else {}
        branches = [b for key in ("IfSteps", "ElseSteps") for b in arguments.get(key) or [] if isinstance(b, dict)]
        edges += [(step["Name"], b["Name"]) for b in branches if "Name" in b]
        own = {**step, "Arguments": {k: v for k, v in arguments.items() if k not in ("IfSteps", "ElseSteps")}}
        needs = set(step.get("DependsOn") or []) | set(re.findall(r'"Steps\.([^".]+)', json.dumps(own)))
        edges += [(n, step["Name"]) for n in sorted(needs) if n in nodes and n != step["Name"]]
    for s in steps or []:
        if s["StepName"] not in nodes:
            nodes.append(s["StepName"])
    statuses = {s["StepName"]: STEP_STATUS.get(s.get("StepStatus", ""), "not-run") for s in steps or []}
    graph = charts.workflow_graph(nodes, edges, statuses, None, {s["StepName"]: s.get("StepStatus", "") for s in steps or []},
                                  "Pipeline execution graph")
    rows = [(s["StepName"], ui.status(s.get("StepStatus")), ui.when(s.get("StartTime")), ui.when(s.get("EndTime")),
             s.get("FailureReason", "")) for s in steps or []]
    pipeline = described.get("PipelineArn", "").rsplit("/", 1)[-1]
    body = (ui.panel("Details", ui.pairs([("Status", ui.status(described.get("PipelineExecutionStatus"))),
                                          ("Start", ui.when(described.get("CreationTime"))),
                                          ("Failure reason", described.get("FailureReason"))])) + steps_error +
            ui.panel("Graph", graph) + ui.panel("Steps", ui.table(["Step", "Status", "Start", "End", "Failure reason"], rows)))
    refresh = 2 if described.get("PipelineExecutionStatus") == "Executing" else None
    return ui.page(arn.rsplit("/", 1)[-1], body,
                   [CRUMB, ("Pipelines", ui.url("/sagemaker/", tab="pipelines")[len(ui.BASE):]),
                    (pipeline, ui.url("/sagemaker/detail", kind="pipelines", name=pipeline)[len(ui.BASE):]),
                    ("Execution", None)], "SageMaker AI", refresh=refresh)
