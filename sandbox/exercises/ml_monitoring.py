"""Exercises on watching SageMaker models in production: Model Monitor (data drift), Clarify (bias) and
a drift alarm nobody set up (diagnose and fix)."""

from __future__ import annotations

import json

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import lookup
from sandbox.exercises.ml import FEATURES, NB_DEPLOY, holdout
from sandbox.lake import parse_s3_uri



def _read_json(s3, uri: str):
    bucket, key = parse_s3_uri(uri)
    found = lookup(s3.get_object, Bucket=bucket, Key=key)
    if not found:
        return None
    try:
        return json.loads(found["Body"].read())
    except ValueError:
        return None


def check_model_monitor(g: Grader) -> None:
    sm, s3, name, schedule = g.client("sagemaker"), g.client("s3"), "ex26-churn", "ex26-data-quality"
    endpoint = lookup(sm.describe_endpoint, EndpointName=name)
    g.need(endpoint, f"SageMaker endpoint {name} does not exist", f"endpoint {name} exists")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    capture = config.get("DataCaptureConfig") or {}
    modes = {o.get("CaptureMode") for o in capture.get("CaptureOptions") or []}
    g.expect(capture.get("EnableCapture") and modes >= {"Input", "Output"},
             f"endpoint {name} does not capture both requests and responses (DataCaptureConfig with "
             "CaptureOptions Input and Output)", "data capture of inputs and outputs")
    g.expect(str(capture.get("DestinationS3Uri", "")).startswith("s3://ex26-monitoring/capture"),
             f"captured data goes to {capture.get('DestinationS3Uri')}, not s3://ex26-monitoring/capture/",
             "captured data in s3://ex26-monitoring/capture/")
    found = lookup(sm.describe_monitoring_schedule, MonitoringScheduleName=schedule)
    g.need(found, f"monitoring schedule {schedule} does not exist (create_monitoring_schedule)",
           f"monitoring schedule {schedule} exists")
    g.expect(found.get("MonitoringType", "DataQuality") == "DataQuality" and found.get("EndpointName") == name,
             f"{schedule} must monitor the data quality of endpoint {name} (it monitors {found.get('EndpointName')}, "
             f"type {found.get('MonitoringType')})", "DataQuality on the endpoint")
    definition = found["MonitoringScheduleConfig"].get("MonitoringJobDefinition")
    baseline = (definition or {}).get("BaselineConfig") or {}
    job_definition = found["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName")
    if job_definition:
        described = sm.describe_data_quality_job_definition(JobDefinitionName=job_definition)
        baseline = described.get("DataQualityBaselineConfig") or {}
    uris = {kind: (baseline.get(f"{kind}Resource") or {}).get("S3Uri") for kind in ("Constraints", "Statistics")}
    g.need(all(uris.values()), f"{schedule} has no baseline: BaselineConfig needs ConstraintsResource and "
                               "StatisticsResource (the files a baseline job writes)")
    for kind, uri in uris.items():
        content = _read_json(s3, uri)
        g.expect(content and content.get("features"), f"the baseline {kind.lower()} {uri} is missing or has no "
                                                      "features (run a baseline job first)",
                 f"baseline {kind.lower()} with {len(content['features']) if content else 0} features")
    executions = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
    finished = [e for e in executions if e["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations")]
    g.expect(finished, f"{schedule} has no completed monitoring execution yet "
                       f"({[e['MonitoringExecutionStatus'] for e in executions]}): send traffic to the endpoint and "
                       "run the schedule (ScheduleExpression NOW runs it at once)",
             f"a monitoring execution finished ({finished[0]['MonitoringExecutionStatus']})" if finished else None)


def check_clarify_bias(g: Grader) -> None:
    sm, s3, name = g.client("sagemaker"), g.client("s3"), "ex27-clarify-bias"
    job = lookup(sm.describe_processing_job, ProcessingJobName=name)
    g.need(job, f"processing job {name} does not exist (a SageMaker Clarify processing job)", f"job {name} exists")
    image = job["AppSpecification"]["ImageUri"]
    g.need("sagemaker-clarify-processing" in image, f"{name} runs {image}, not the SageMaker Clarify image")
    g.need(job["ProcessingJobStatus"] == "Completed",
           f"{name} is {job['ProcessingJobStatus']} {job.get('FailureReason') or ''}".strip())
    outputs = job["ProcessingOutputConfig"]["Outputs"]
    uri = outputs[0]["S3Output"]["S3Uri"].rstrip("/") if outputs else ""
    g.expect(uri.startswith("s3://ex27-fairness/clarify"), f"the analysis went to {uri}, not s3://ex27-fairness/clarify/",
             "analysis in s3://ex27-fairness/clarify/")
    analysis = _read_json(s3, f"{uri}/analysis.json") if uri else None
    g.need(analysis, f"no analysis.json under {uri}")
    report = analysis.get("pre_training_bias_metrics") or {}
    facets = report.get("facets") or {}
    g.need("is_consumer" in facets, f"analysis.json has no pre-training bias for the facet is_consumer "
                                    f"(facets: {sorted(facets)})", "pre-training bias for is_consumer")
    metrics = {m["name"] for entry in facets["is_consumer"] for m in entry["metrics"]}
    g.expect({"CI", "DPL"} <= metrics, f"the report lacks CI and/or DPL (it has {sorted(metrics)})",
             "class imbalance (CI) and DPL measured")
    g.expect(str(report.get("label")) == "churned", f"the label is {report.get('label')!r}, not churned",
             "label churned")


EX40_BUCKET, EX40_ENDPOINT, EX40_ALARM = "ex40-monitoring", "ex40-churn", "ex40-drift-alarm"
MONITOR_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"


def setup_drifting_endpoint(aws) -> None:
    """A monitored churn endpoint whose traffic drifted: a DataQuality run found violations and told nobody."""
    from sandbox.exercises._helpers import ROLE_SAGEMAKER, wait_until
    from sandbox.exercises.solutions._churn import (MONITOR_CLUSTER, MONITOR_IMAGE, XGBOOST_IMAGE, run_schedule_now,
                                                    train_xgboost, upload_training_data)

    sm, s3, runtime = aws.client("sagemaker"), aws.client("s3"), aws.client("sagemaker-runtime")
    cloudwatch = aws.client("cloudwatch")
    if cloudwatch.describe_alarms(AlarmNames=[EX40_ALARM])["MetricAlarms"]:   # setting up again undoes the fix
        cloudwatch.delete_alarms(AlarmNames=[EX40_ALARM])
    data = upload_training_data(aws, EX40_BUCKET)
    model_data = train_xgboost(aws, "ex40-churn-xgboost", data, f"s3://{EX40_BUCKET}/models")
    if not lookup(sm.describe_model, ModelName=EX40_ENDPOINT):
        sm.create_model(ModelName=EX40_ENDPOINT, ExecutionRoleArn=ROLE_SAGEMAKER,
                        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data})
    if not lookup(sm.describe_endpoint_config, EndpointConfigName=EX40_ENDPOINT):
        sm.create_endpoint_config(
            EndpointConfigName=EX40_ENDPOINT,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": EX40_ENDPOINT, "InitialInstanceCount": 1,
                                 "InstanceType": "ml.m5.large"}],
            DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                               "DestinationS3Uri": f"s3://{EX40_BUCKET}/capture",
                               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    if not lookup(sm.describe_endpoint, EndpointName=EX40_ENDPOINT):
        sm.create_endpoint(EndpointName=EX40_ENDPOINT, EndpointConfigName=EX40_ENDPOINT)
    wait_until(lambda: sm.describe_endpoint(EndpointName=EX40_ENDPOINT),
               lambda e: e["EndpointStatus"] in ("InService", "Failed"), 120, "the endpoint")
    # the baseline: what the model saw in training (its scores first, then the features, with a header)
    customers = holdout()[FEATURES].head(300)
    answer = runtime.invoke_endpoint(EndpointName=EX40_ENDPOINT, ContentType="text/csv",
                                     Body=customers.to_csv(header=False, index=False))["Body"].read()
    scores = [float(v) for v in answer.decode().replace("\n", ",").split(",") if v.strip()]
    baseline = customers.assign(score=scores)[["score", *FEATURES]]
    s3.put_object(Bucket=EX40_BUCKET, Key="baseline/data/baseline.csv", Body=baseline.to_csv(index=False).encode())
    job = "ex40-baseline"
    if not lookup(sm.describe_processing_job, ProcessingJobName=job):
        sm.create_processing_job(
            ProcessingJobName=job, RoleArn=ROLE_SAGEMAKER, AppSpecification={"ImageUri": MONITOR_IMAGE},
            ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
                "S3Uri": f"s3://{EX40_BUCKET}/baseline/data/",
                "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
            ProcessingOutputConfig={"Outputs": [{"OutputName": "baseline", "S3Output": {
                "S3Uri": f"s3://{EX40_BUCKET}/baseline/results", "LocalPath": "/opt/ml/processing/output",
                "S3UploadMode": "EndOfJob"}}]},
            ProcessingResources=MONITOR_CLUSTER,
            Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                         "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                         "output_path": "/opt/ml/processing/output"})
    wait_until(lambda: sm.describe_processing_job(ProcessingJobName=job),
               lambda j: j["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"), 180, "the baseline job",
               interval=0.5)
    # this week's traffic: a new price plan tripled monthly_spend
    drifted = holdout().iloc[300:420][FEATURES].assign(monthly_spend=lambda f: f["monthly_spend"] * 3)
    for start in range(0, len(drifted), 20):
        runtime.invoke_endpoint(EndpointName=EX40_ENDPOINT, ContentType="text/csv",
                                Body=drifted.iloc[start:start + 20].to_csv(header=False, index=False))
    run_schedule_now(sm, "ex40-weekly-quality", EX40_BUCKET, EX40_ENDPOINT)


def check_drift_alarm(g: Grader) -> None:
    sm, cloudwatch = g.client("sagemaker"), g.client("cloudwatch")
    g.need(lookup(sm.describe_endpoint, EndpointName=EX40_ENDPOINT),
           f"endpoint {EX40_ENDPOINT} does not exist: run `sandbox exercises setup 40` first",
           f"endpoint {EX40_ENDPOINT} exists")
    alarms = cloudwatch.describe_alarms(AlarmNames=[EX40_ALARM])["MetricAlarms"]
    g.need(alarms, f"CloudWatch alarm {EX40_ALARM} does not exist: the monitor found violations and nobody was "
                   "told (cloudwatch.put_metric_alarm on the monitor's drift metric)", f"alarm {EX40_ALARM} exists")
    alarm = alarms[0]
    g.expect(alarm.get("Namespace") == MONITOR_NAMESPACE,
             f"the alarm watches the namespace {alarm.get('Namespace')!r}, not {MONITOR_NAMESPACE} (Model Monitor's "
             "data-quality metrics)", "watches Model Monitor's metrics")
    metric = alarm.get("MetricName", "")
    g.expect(metric == "feature_baseline_drift_monthly_spend",
             f"the alarm watches {metric!r}: which feature drifted? (the execution's constraint_violations.json "
             "names it; its metric is feature_baseline_drift_<feature>)", "watches the drift of monthly_spend")
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    g.expect(dimensions.get("Endpoint") == EX40_ENDPOINT and dimensions.get("MonitoringSchedule"),
             f"the alarm's dimensions are {dimensions}: name the Endpoint {EX40_ENDPOINT} and the "
             "MonitoringSchedule that publishes the metric", "dimensions Endpoint and MonitoringSchedule")
    topics = [a for a in alarm.get("AlarmActions", []) if a.startswith("arn:aws:sns:")]
    g.expect(topics, "the alarm has no SNS topic in AlarmActions: an alarm nobody receives tells nobody",
             "notifies an SNS topic")
    schedule = dimensions.get("MonitoringSchedule")
    published = cloudwatch.list_metrics(Namespace=MONITOR_NAMESPACE, MetricName=metric or "none",
                                        Dimensions=[{"Name": "Endpoint", "Value": EX40_ENDPOINT}])["Metrics"]
    publishing = sorted({d["Value"] for m in published for d in m["Dimensions"] if d["Name"] == "MonitoringSchedule"})
    g.need(schedule in publishing,
           f"no monitoring schedule publishes {metric} for {EX40_ENDPOINT}"
           + (f" under the schedule {schedule}" if schedule else "")
           + f" (publishing: {publishing or 'none'}): the monitoring job only sends CloudWatch metrics with the "
             "Environment publish_cloudwatch_metrics = Enabled; run a schedule that has it",
           f"the schedule {schedule} publishes {metric}")
    hint = ("is the threshold the monitor's own comparison_threshold (the baseline constraints)?"
            if alarm.get("TreatMissingData") == "ignore" else
            "the metric arrives once per monitoring run, so between runs it is missing: TreatMissingData 'ignore' "
            "keeps the state the last run set; and is the threshold the monitor's own comparison_threshold?")
    g.expect(alarm.get("StateValue") == "ALARM",
             f"the alarm is {alarm.get('StateValue')} ({alarm.get('StateReason')}): with the drift published it "
             f"should be in ALARM ({hint})", "the alarm is in ALARM")


EXERCISES = [
    Exercise(26, "model-monitor", "SageMaker Model Monitor", "Watch an endpoint for data drift",
             "Deploy a churn model to the endpoint `ex26-churn`, capturing every request and response in "
             "`s3://ex26-monitoring/capture/`. Create a baseline (statistics and constraints) from the data the "
             "model was trained on, and a DataQuality monitoring schedule `ex26-data-quality` on the endpoint "
             "that uses it. Send some traffic and let the schedule run at least once.",
             ("Model Monitor: data capture, baseline statistics/constraints, monitoring schedules, violations",
              "detecting data drift in production"),
             ("DataCaptureConfig on the endpoint config (CaptureOptions Input and Output)",
              "a processing job with the sagemaker-model-monitor-analyzer image and dataset_format/dataset_source/"
              "output_path environment variables (or DefaultModelMonitor.suggest_baseline)",
              "create_monitoring_schedule with ScheduleExpression NOW and DataAnalysisStartTime -PT1H"),
             check_model_monitor, NB_DEPLOY, ("sagemaker", "s3")),
    Exercise(27, "clarify-bias", "SageMaker Clarify", "Measure bias in the training data",
             "Measure the pre-training bias of the churn training data (label `churned`, positive value 1) "
             "towards business customers (facet `is_consumer` with value 0) with the SageMaker Clarify processing "
             "job `ex27-clarify-bias`, writing its analysis to `s3://ex27-fairness/clarify/`.",
             ("SageMaker Clarify: pre-training bias metrics (CI, DPL, KL, JS)", "facets and label values"),
             ("analysis_config.json with label, label_values_or_threshold, facet and methods.pre_training_bias",
              "a processing job with the sagemaker-clarify-processing image, inputs analysis_config and dataset "
              "(or SageMakerClarifyProcessor.run_pre_training_bias)"),
             check_clarify_bias, NB_DEPLOY, ("sagemaker", "s3")),
    Exercise(40, "drift-alarm", "SageMaker Model Monitor, CloudWatch", "Diagnose and fix: drift that nobody noticed",
             "Diagnose and fix. `sandbox exercises setup 40` deploys the monitored churn endpoint `ex40-churn` "
             "(data capture, a baseline, a weekly DataQuality schedule) and sends it this week's traffic: the "
             "monitoring execution completed with violations, and nobody was told. Find which feature drifted, "
             "then make the monitoring publish its metrics to CloudWatch and create the alarm `ex40-drift-alarm` "
             "on that feature's drift, notifying an SNS topic, so that it is in ALARM after the next monitoring "
             "run.",
             ("Model Monitor: constraint violations, CloudWatch metrics (feature_baseline_drift_<feature>)",
              "CloudWatch alarms and SNS notifications for ML monitoring", "responding to data drift (retrain)"),
             ("list_monitoring_executions -> describe_processing_job -> the report's constraint_violations.json",
              "a schedule whose MonitoringJobDefinition.Environment has publish_cloudwatch_metrics = Enabled",
              "cloudwatch.put_metric_alarm(Namespace='aws/sagemaker/Endpoints/data-metrics', Dimensions Endpoint and "
              "MonitoringSchedule, AlarmActions=[sns topic])"),
             check_drift_alarm, NB_DEPLOY, ("sagemaker", "cloudwatch"), setup=setup_drifting_endpoint),
]
