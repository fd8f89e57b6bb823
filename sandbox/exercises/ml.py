"""Exercises on SageMaker: an endpoint good enough to ship, tuning, the registry, batch transform, Autopilot,
built-in algorithms and a pipeline quality gate (monitoring and Clarify are in ``ml_monitoring``)."""

from __future__ import annotations

import json

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import list_keys, lookup
from sandbox.lake import parse_s3_uri

NB_TRAIN = "notebooks/06_sagemaker_training.ipynb"
NB_DEPLOY = "notebooks/07_sagemaker_deployment.ipynb"
FEATURES = ["age", "tenure_months", "monthly_spend", "support_calls", "is_consumer"]
HOLDOUT_SEED, HOLDOUT_ROWS = 2024, 1000


def holdout():
    """Customers the learner never saw (another seed), with the endpoint's feature columns."""
    from sandbox import datasets

    frame = datasets.customers(HOLDOUT_ROWS, seed=HOLDOUT_SEED)
    return frame.assign(is_consumer=(frame["segment"] == "consumer").astype("int64"))


def parse_scores(body: bytes) -> list[float]:
    """One score per row from text/csv (``0.3`` or ``0.7,0.3`` per line) or JSON output."""
    text = body.decode("utf-8").strip()
    if text.startswith(("[", "{")):
        data = json.loads(text)
        if isinstance(data, dict):
            data = data.get("predictions", data.get("scores", []))
        rows = [r.get("score", r) if isinstance(r, dict) else r for r in data]
        return [float(r[-1] if isinstance(r, list) else r) for r in rows]
    lines = [line for line in text.replace("\r", "").split("\n") if line.strip()]
    if len(lines) == 1 and "," in lines[0]:
        values = lines[0].split(",")
        if len(values) == HOLDOUT_ROWS:
            return [float(v) for v in values]
    return [float(line.split(",")[-1]) for line in lines]


def check_endpoint_auc(g: Grader) -> None:
    sm, name = g.client("sagemaker"), "ex17-churn"
    endpoint = lookup(sm.describe_endpoint, EndpointName=name)
    g.need(endpoint, f"SageMaker endpoint {name} does not exist (create_model, create_endpoint_config, "
                     "create_endpoint)", f"endpoint {name} exists")
    g.need(endpoint["EndpointStatus"] == "InService", f"endpoint {name} is {endpoint['EndpointStatus']}, not "
                                                      f"InService {endpoint.get('FailureReason') or ''}".strip())
    frame = holdout()
    body = "\n".join(",".join(str(v) for v in row) for row in frame[FEATURES].itertuples(index=False))
    runtime = g.client("sagemaker-runtime")
    response = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Accept="text/csv", Body=body)
    try:
        scores = parse_scores(response["Body"].read())
    except ValueError as exc:
        g.stop(f"the endpoint's answer is not one numeric score per row ({exc})")
    g.need(len(scores) == len(frame), f"the endpoint returned {len(scores)} scores for {len(frame)} rows")
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(frame["churned"], scores)
    distinct = len(set(scores))
    g.expect(auc > 0.8, f"AUC on {len(frame)} held-out customers is {auc:.3f}, not above 0.8"
             + (" (the endpoint returns labels, not probabilities: return predict_proba[:, 1])" if distinct <= 2
                else ""), f"AUC {auc:.3f} on {len(frame)} held-out customers")


def check_tuning(g: Grader) -> None:
    sm, name = g.client("sagemaker"), "ex18-churn-hpo"
    job = lookup(sm.describe_hyper_parameter_tuning_job, HyperParameterTuningJobName=name)
    g.need(job, f"tuning job {name} does not exist (create_hyper_parameter_tuning_job)", f"tuning job {name} exists")
    g.need(job["HyperParameterTuningJobStatus"] == "Completed",
           f"tuning job {name} is {job['HyperParameterTuningJobStatus']} {job.get('FailureReason') or ''}".strip())
    config = job["HyperParameterTuningJobConfig"]
    g.expect(config.get("Strategy") == "Bayesian", f"the strategy is {config.get('Strategy')}, not Bayesian",
             "Bayesian search")
    objective = config.get("HyperParameterTuningJobObjective", {})
    g.expect(objective.get("MetricName") == "validation:auc" and objective.get("Type") == "Maximize",
             f"the objective is {objective}; maximise validation:auc", "maximises validation:auc")
    ranges = config.get("ParameterRanges", {})
    tuned = [r["Name"] for kind in ranges.values() for r in kind]
    g.expect(len(tuned) >= 2, f"only {tuned} tuned: search at least two hyperparameters", f"tunes {tuned}")
    completed = job.get("TrainingJobStatusCounters", {}).get("Completed", 0)
    g.expect(completed >= 4, f"{completed} training job(s) completed; run at least 4", f"{completed} training jobs")
    best = job.get("BestTrainingJob", {}).get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
    g.expect(best is not None and best >= 0.75, f"the best validation:auc is {best}; reach at least 0.75",
             f"best validation:auc {best:.3f}" if best is not None else None)


def check_registry(g: Grader) -> None:
    sm, group = g.client("sagemaker"), "ex19-churn-models"
    found = lookup(sm.describe_model_package_group, ModelPackageGroupName=group)
    g.need(found, f"model package group {group} does not exist (create_model_package_group)", f"group {group} exists")
    packages = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    g.need(packages, f"{group} holds no model package: register a trained model with create_model_package")
    statuses = [p.get("ModelApprovalStatus") for p in packages]
    g.expect("Approved" in statuses, f"no package in {group} is Approved (statuses {statuses}): "
                                     "update_model_package(ModelApprovalStatus='Approved')", "a version is Approved")
    approved = [p for p in packages if p.get("ModelApprovalStatus") == "Approved"]
    if approved:
        detail = sm.describe_model_package(ModelPackageName=approved[0]["ModelPackageArn"])
        containers = detail.get("InferenceSpecification", {}).get("Containers", [])
        url = containers[0].get("ModelDataUrl", "") if containers else ""
        g.expect(url.startswith("s3://"), "the approved package names no ModelDataUrl (the model.tar.gz in S3)")
        if url.startswith("s3://"):
            bucket, key = parse_s3_uri(url)
            g.expect(lookup(g.client("s3").head_object, Bucket=bucket, Key=key),
                     f"the approved package's model {url} does not exist in S3", "its model artifact exists")


def check_transform(g: Grader) -> None:
    sm, name = g.client("sagemaker"), "ex20-score-customers"
    job = lookup(sm.describe_transform_job, TransformJobName=name)
    g.need(job, f"batch transform job {name} does not exist (create_transform_job)", f"transform job {name} exists")
    g.need(job["TransformJobStatus"] == "Completed",
           f"transform job {name} is {job['TransformJobStatus']} {job.get('FailureReason') or ''}".strip())
    output = job["TransformOutput"]["S3OutputPath"]
    g.expect(output.rstrip("/") == "s3://ex20-scoring/predictions",
             f"predictions went to {output}, not s3://ex20-scoring/predictions/", "output in predictions/")
    source = job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    s3 = g.client("s3")
    in_bucket, in_prefix = parse_s3_uri(source)
    inputs = [o for o in list_keys(s3, in_bucket, in_prefix) if o["Size"] > 0]
    out_bucket, out_prefix = parse_s3_uri(output)
    outputs = {o["Key"] for o in list_keys(s3, out_bucket, out_prefix.rstrip("/") + "/")}
    g.need(outputs, f"no prediction files under {output}")
    missing = [o["Key"] for o in inputs if f"{out_prefix.rstrip('/')}/{o['Key'].rsplit('/', 1)[-1]}.out" not in outputs]
    g.expect(not missing, f"no .out file for {missing[:3]}", f"{len(outputs)} prediction file(s)")
    rows_in = sum(len(s3.get_object(Bucket=in_bucket, Key=o["Key"])["Body"].read().decode().strip().splitlines())
                  for o in inputs)
    rows_out = sum(len(s3.get_object(Bucket=out_bucket, Key=k)["Body"].read().decode().strip().splitlines())
                   for k in outputs)
    g.expect(rows_in == rows_out, f"{rows_in} input rows but {rows_out} prediction lines (SplitType='Line' "
                                  "scores each row)", f"{rows_out} predictions, one per row")


def check_autopilot(g: Grader) -> None:
    sm, s3, name = g.client("sagemaker"), g.client("s3"), "ex29-churn-autopilot"
    job = lookup(sm.describe_auto_ml_job_v2, AutoMLJobName=name)
    g.need(job, f"AutoML job {name} does not exist (create_auto_ml_job_v2 with a TabularJobConfig, or the SDK's "
                "AutoML)", f"AutoML job {name} exists")
    g.need(job["AutoMLJobStatus"] == "Completed",
           f"{name} is {job['AutoMLJobStatus']} {job.get('FailureReason') or ''}".strip())
    tabular = (job.get("AutoMLProblemTypeConfig") or {}).get("TabularJobConfig") or {}
    g.expect(tabular.get("TargetAttributeName") == "churned",
             f"the target is {tabular.get('TargetAttributeName')!r}, not churned", "target churned")
    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=name)["Candidates"]
    done = [c for c in candidates if c["CandidateStatus"] == "Completed"]
    g.expect(len(done) >= 2, f"{len(done)} candidate(s) completed: let Autopilot compare at least 2",
             f"{len(done)} candidates compared")
    best = job.get("BestCandidate") or {}
    artifacts = {c.get("ModelDataUrl") for c in best.get("InferenceContainers", [])}
    endpoint = lookup(sm.describe_endpoint, EndpointName="ex29-autopilot")
    g.need(endpoint, "endpoint ex29-autopilot does not exist: deploy the best candidate (create_model with its "
                     "InferenceContainers, create_endpoint_config, create_endpoint)", "endpoint ex29-autopilot exists")
    g.need(endpoint["EndpointStatus"] == "InService", f"endpoint ex29-autopilot is {endpoint['EndpointStatus']}")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    served = set()
    for variant in config["ProductionVariants"]:
        model = sm.describe_model(ModelName=variant["ModelName"])
        containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
        served |= {c.get("ModelDataUrl") for c in containers}
    g.expect(artifacts and artifacts <= served, f"ex29-autopilot serves {sorted(filter(None, served))}, not the best "
                                                f"candidate's model {sorted(filter(None, artifacts))}",
             f"serves the best candidate {best.get('CandidateName')}")
    # the endpoint answers for customers it never saw, with the columns the job was trained on
    source = job["AutoMLJobInputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    bucket, prefix = parse_s3_uri(source)
    first = next((o["Key"] for o in list_keys(s3, bucket, prefix) if o["Size"] > 0), None)
    g.need(first, f"the job's training data at {source} is gone")
    header = s3.get_object(Bucket=bucket, Key=first, Range="bytes=0-4095")["Body"].read().decode().splitlines()[0]
    columns = [c.strip() for c in header.split(",") if c.strip() != "churned"]
    frame = holdout().head(50)
    g.need(set(columns) <= set(frame.columns), f"the training data has columns {columns} that the customers "
                                               "dataset does not: train on sandbox.datasets.customers")
    body = frame[columns].to_csv(index=False, header=False)
    answer = g.client("sagemaker-runtime").invoke_endpoint(EndpointName="ex29-autopilot", ContentType="text/csv",
                                                           Body=body)["Body"].read().decode().split()
    g.expect(len(answer) == len(frame), f"the endpoint answered {len(answer)} predictions for {len(frame)} rows",
             f"predicts {len(answer)} held-out customers")


def _training_metrics(job: dict) -> dict[str, float]:
    return {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])}


def check_tuning_strategies(g: Grader) -> None:
    sm = g.client("sagemaker")
    jobs = {}
    for strategy, name in (("Random", "ex41-random"), ("Bayesian", "ex41-bayesian")):
        job = lookup(sm.describe_hyper_parameter_tuning_job, HyperParameterTuningJobName=name)
        g.need(job, f"tuning job {name} does not exist (create_hyper_parameter_tuning_job with Strategy "
                    f"'{strategy}')", f"tuning job {name} exists")
        config = job["HyperParameterTuningJobConfig"]
        g.expect(config.get("Strategy") == strategy, f"{name} uses the {config.get('Strategy')} strategy, not "
                                                     f"{strategy}", f"{name}: {strategy}")
        g.need(job["HyperParameterTuningJobStatus"] == "Completed",
               f"{name} is {job['HyperParameterTuningJobStatus']} {job.get('FailureReason') or ''}".strip())
        jobs[strategy] = job
    random_cfg, bayes_cfg = (jobs[k]["HyperParameterTuningJobConfig"] for k in ("Random", "Bayesian"))

    def ranges(config: dict) -> dict:
        return {kind: sorted(json.dumps(r, sort_keys=True) for r in found)
                for kind, found in config.get("ParameterRanges", {}).items() if found}

    g.expect(ranges(random_cfg) == ranges(bayes_cfg) and ranges(random_cfg),
             "the two tuning jobs search different hyperparameter ranges: compare the strategies on the same "
             "search space", "the same search space")
    tuned = [r["Name"] for found in random_cfg.get("ParameterRanges", {}).values() for r in found]
    g.expect(len(tuned) >= 2, f"only {tuned} tuned: search at least two hyperparameters", f"tunes {tuned}")
    budgets = [c.get("ResourceLimits", {}).get("MaxNumberOfTrainingJobs") for c in (random_cfg, bayes_cfg)]
    g.expect(budgets[0] == budgets[1] and (budgets[0] or 0) >= 6,
             f"the budgets differ or are too small (MaxNumberOfTrainingJobs {budgets}): give both the same budget "
             "of at least 6 training jobs", f"the same budget of {budgets[0]} training jobs")
    objectives = [c.get("HyperParameterTuningJobObjective", {}) for c in (random_cfg, bayes_cfg)]
    g.expect(objectives[0] == objectives[1] == {"Type": "Maximize", "MetricName": "validation:auc"},
             f"the objectives are {objectives}; both must maximise validation:auc", "both maximise validation:auc")
    for strategy, job in jobs.items():
        best = job.get("BestTrainingJob", {}).get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
        completed = job.get("TrainingJobStatusCounters", {}).get("Completed", 0)
        g.expect(best is not None and completed >= (budgets[0] or 0),
                 f"the {strategy} job completed {completed} of its {budgets[0]} training jobs",
                 f"{strategy}: best validation:auc {best:.4f} after {completed} jobs" if best is not None else None)


def check_linear_learner(g: Grader) -> None:
    sm, name = g.client("sagemaker"), "ex42-churn-linear"
    job = lookup(sm.describe_training_job, TrainingJobName="ex42-linear-learner")
    g.need(job, "training job ex42-linear-learner does not exist (create_training_job with the built-in "
                "linear-learner image)", "training job ex42-linear-learner exists")
    image = job["AlgorithmSpecification"].get("TrainingImage", "")
    g.expect("linear-learner" in image, f"ex42-linear-learner runs {image}, not the built-in Linear Learner",
             "built-in Linear Learner")
    g.expect(job.get("HyperParameters", {}).get("predictor_type") == "binary_classifier",
             f"predictor_type is {job.get('HyperParameters', {}).get('predictor_type')!r}: churn is a yes/no "
             "label (binary_classifier)", "predictor_type binary_classifier")
    g.need(job["TrainingJobStatus"] == "Completed",
           f"ex42-linear-learner is {job['TrainingJobStatus']} {job.get('FailureReason') or ''}".strip())
    metrics = _training_metrics(job)
    g.expect("validation:binary_classification_accuracy" in metrics,
             "the job reports no validation:binary_classification_accuracy: give it a validation channel",
             f"validation accuracy {metrics.get('validation:binary_classification_accuracy', 0):.3f}")
    endpoint = lookup(sm.describe_endpoint, EndpointName=name)
    g.need(endpoint, f"endpoint {name} does not exist: deploy the trained model", f"endpoint {name} exists")
    g.need(endpoint["EndpointStatus"] == "InService", f"endpoint {name} is {endpoint['EndpointStatus']}")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    served = set()
    for variant in config["ProductionVariants"]:
        model = sm.describe_model(ModelName=variant["ModelName"])
        containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
        served |= {c.get("ModelDataUrl") for c in containers}
    g.expect(job["ModelArtifacts"]["S3ModelArtifacts"] in served,
             f"{name} does not serve the model of ex42-linear-learner ({sorted(filter(None, served))})",
             "serves the Linear Learner model")
    frame = holdout()
    body = "\n".join(",".join(str(v) for v in row) for row in frame[FEATURES].itertuples(index=False))
    response = g.client("sagemaker-runtime").invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                             Accept="application/json", Body=body)
    try:
        scores = parse_scores(response["Body"].read())
    except (ValueError, TypeError) as exc:
        g.stop(f"the endpoint's answer is not one score per row ({exc})")
    g.need(len(scores) == len(frame), f"the endpoint returned {len(scores)} scores for {len(frame)} rows")
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(frame["churned"], scores)
    g.expect(auc > 0.75, f"AUC on {len(frame)} held-out customers is {auc:.3f}, not above 0.75 (tune the "
                         "regularisation wd, learning_rate or epochs)", f"AUC {auc:.3f} on {len(frame)} held-out "
                                                                         "customers")


def _pipeline_steps(steps: list[dict]) -> list[dict]:
    found = []
    for step in steps:
        found.append(step)
        arguments = step.get("Arguments") or {}
        if step.get("Type") == "Condition":
            found += _pipeline_steps(arguments.get("IfSteps", [])) + _pipeline_steps(arguments.get("ElseSteps", []))
    return found


def check_pipeline_condition(g: Grader) -> None:
    sm, name, group = g.client("sagemaker"), "ex39-churn-pipeline", "ex39-churn-models"
    pipeline = lookup(sm.describe_pipeline, PipelineName=name)
    g.need(pipeline, f"pipeline {name} does not exist (create_pipeline with a PipelineDefinition)",
           f"pipeline {name} exists")
    try:
        definition = json.loads(pipeline["PipelineDefinition"])
    except ValueError:
        g.stop(f"the definition of {name} is not JSON")
    steps = _pipeline_steps(definition.get("Steps", []))
    kinds = [s.get("Type") for s in steps]
    g.expect("Training" in kinds, f"{name} has no Training step (steps: {kinds})", "trains in the pipeline")
    conditions = [s for s in definition.get("Steps", []) if s.get("Type") == "Condition"]
    g.need(conditions, f"{name} has no Condition step: register the model only when it is good enough "
                       f"(steps: {kinds})", "a Condition step gates the model")
    arguments = conditions[0].get("Arguments") or {}
    if_kinds = [s.get("Type") for s in _pipeline_steps(arguments.get("IfSteps", []))]
    else_kinds = [s.get("Type") for s in _pipeline_steps(arguments.get("ElseSteps", []))]
    g.expect("RegisterModel" in if_kinds, f"the Condition's IfSteps ({if_kinds}) do not register the model "
                                          "(a RegisterModel step)", "registers the model when the condition holds")
    g.expect("Fail" in else_kinds, f"the Condition's ElseSteps ({else_kinds}) have no Fail step: a model below the "
                                   "bar should fail the execution visibly", "fails when the model is not good enough")
    text = json.dumps(arguments.get("Conditions", []))
    g.expect("validation:auc" in text and "Parameters." in text,
             "the condition does not compare the training job's validation:auc with a pipeline parameter "
             "(LeftValue {'Get': \"Steps.<train>.FinalMetricDataList['validation:auc'].Value\"}, RightValue "
             "{'Get': 'Parameters.MinAuc'})", "compares validation:auc with a parameter")
    executions = sm.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]
    succeeded = [e for e in executions if e["PipelineExecutionStatus"] == "Succeeded"]
    g.need(succeeded, f"no execution of {name} Succeeded "
                      f"({[e['PipelineExecutionStatus'] for e in executions] or 'none: start_pipeline_execution'})",
           "an execution Succeeded")
    registered = []
    for execution in succeeded:
        listed = sm.list_pipeline_execution_steps(PipelineExecutionArn=execution["PipelineExecutionArn"])
        metadata = [s.get("Metadata") or {} for s in listed["PipelineExecutionSteps"]]
        outcomes = [m["Condition"].get("Outcome") for m in metadata if "Condition" in m]
        packages = [m["RegisterModel"]["Arn"] for m in metadata if "RegisterModel" in m]
        if "True" in outcomes and packages:
            registered += packages
    g.need(registered, "no successful execution took the True branch and registered a model: is the model good "
                       "enough (validation:auc) for your threshold?", "the condition held and a model was registered")
    in_group = {p["ModelPackageArn"] for p in (lookup(sm.list_model_packages, ModelPackageGroupName=group) or {}).get(
        "ModelPackageSummaryList", [])}
    g.expect(set(registered) & in_group, f"the registered model is not in the model package group {group} "
                                         f"(it is {registered[0]})", f"the model version is in {group}")
    failed = [e for e in executions if e["PipelineExecutionStatus"] == "Failed"]
    g.expect(failed, f"no execution of {name} shows the other branch: start one with the threshold parameter "
                     "above what the model reaches (PipelineParameters) and see it fail",
             "an execution with a higher bar Failed in the Fail step")


EXERCISES = [
    Exercise(17, "endpoint-auc", "SageMaker", "Train and deploy a model that beats 0.8 AUC",
             "Train a churn model on the customers data and deploy it to the real-time endpoint `ex17-churn`. "
             "It receives text/csv rows `age,tenure_months,monthly_spend,support_calls,is_consumer` "
             "(is_consumer = 1 when segment is consumer) and must answer one churn score per row. "
             "It must beat 0.8 AUC on customers it has never seen.",
             ("SageMaker training jobs (script mode, built-in algorithms)", "model -> endpoint config -> endpoint",
              "evaluation metric AUC for imbalanced binary classification"),
             ("the scikit-learn image in script mode: model_fn and a predict_fn returning predict_proba[:, 1]",
              "or built-in XGBoost with objective binary:logistic"), check_endpoint_auc, NB_DEPLOY,
             ("sagemaker", "sagemaker-runtime")),
    Exercise(18, "tuning", "SageMaker", "Tune a model with Bayesian search",
             "Run the hyperparameter tuning job `ex18-churn-hpo`: Bayesian search over at least two "
             "hyperparameters of built-in XGBoost, maximising validation:auc, at least 4 training jobs, "
             "reaching validation:auc >= 0.75.",
             ("automatic model tuning: strategies (Bayesian, random, grid, hyperband)", "objective metrics",
              "parallel vs sequential jobs"), ("create_hyper_parameter_tuning_job",), check_tuning, NB_TRAIN,
             ("sagemaker",)),
    Exercise(19, "model-registry", "SageMaker", "Register and approve a model version",
             "Register a trained churn model in the model package group `ex19-churn-models` and approve it for "
             "deployment.",
             ("SageMaker Model Registry: groups, versions, approval status", "MLOps / CI-CD hand-off"),
             ("create_model_package_group, create_model_package(ModelApprovalStatus='PendingManualApproval')",
              "update_model_package(ModelApprovalStatus='Approved')"), check_registry, NB_DEPLOY, ("sagemaker", "s3")),
    Exercise(20, "batch-transform", "SageMaker", "Score a whole dataset offline with batch transform",
             "Score every customer in a CSV in S3 with the batch transform job `ex20-score-customers`, one "
             "prediction per line, written to `s3://ex20-scoring/predictions/`. No endpoint should be needed.",
             ("batch transform vs real-time endpoints", "SplitType Line, input/output in S3"),
             ("create_transform_job(TransformInput={'SplitType': 'Line', 'ContentType': 'text/csv', ...})",),
             check_transform, NB_DEPLOY, ("sagemaker", "s3")),
    Exercise(29, "autopilot", "SageMaker Autopilot", "Let AutoML choose and tune the churn model",
             "Without writing a training script, let SageMaker Autopilot find a churn model: the AutoML job "
             "`ex29-churn-autopilot` on customers data (a CSV with a header, target `churned`) in "
             "`s3://ex29-automl/`, comparing at least two candidates. Deploy its best candidate to the real-time "
             "endpoint `ex29-autopilot`.",
             ("SageMaker Autopilot: problem type and objective inference, candidates, best candidate",
              "when AutoML fits (tabular data, little ML expertise, a quick baseline)"),
             ("create_auto_ml_job_v2(AutoMLProblemTypeConfig={'TabularJobConfig': {'TargetAttributeName': "
              "'churned', 'CompletionCriteria': {'MaxCandidates': 2}}}, ...)",
              "create_model(Containers=job['BestCandidate']['InferenceContainers'])"),
             check_autopilot, NB_TRAIN, ("sagemaker", "sagemaker-runtime", "s3")),
    Exercise(41, "tuning-strategies", "SageMaker automatic model tuning", "Compare Random and Bayesian search on "
             "one budget",
             "Your manager asks whether Bayesian search is worth it. Run two tuning jobs of built-in XGBoost on the "
             "churn data, `ex41-random` (Strategy Random) and `ex41-bayesian` (Strategy Bayesian), with the same "
             "search space (at least two hyperparameters), the same objective (maximise validation:auc) and the "
             "same budget of at least 6 training jobs, and compare their best validation:auc "
             "(`sandbox exercises check 41` prints both).",
             ("tuning strategies: Grid, Random, Bayesian, Hyperband (and early stopping)",
              "MaxNumberOfTrainingJobs and MaxParallelTrainingJobs: parallel jobs learn less from each other",
              "logarithmic scaling for learning rates"),
             ("create_hyper_parameter_tuning_job twice with one HyperParameterTuningJobConfig, changing only "
              "Strategy",
              "describe_hyper_parameter_tuning_job: BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric"),
             check_tuning_strategies, NB_TRAIN, ("sagemaker",)),
    Exercise(42, "linear-learner", "SageMaker built-in algorithms", "Serve a Linear Learner churn classifier",
             "Train the built-in Linear Learner as a binary classifier of churn (training job "
             "`ex42-linear-learner`, with a validation channel; CSV with the label first) and deploy it to the "
             "real-time endpoint `ex42-churn-linear`. Its scores must reach an AUC above 0.75 on customers it has "
             "never seen (features: age, tenure_months, monthly_spend, support_calls, is_consumer).",
             ("built-in algorithms: Linear Learner (predictor_type), XGBoost, k-means, PCA, Random Cut Forest",
              "data format of built-in algorithms (CSV label first, no header)", "binary classification metrics"),
             ("AlgorithmSpecification TrainingImage '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1'",
              "HyperParameters predictor_type binary_classifier, feature_dim 5, epochs; tune wd and learning_rate "
              "(or run a tuning job) if the AUC falls short",
              "invoke_endpoint with Accept application/json answers {'predictions': [{'score': ...}]}"),
             check_linear_learner, NB_TRAIN, ("sagemaker", "sagemaker-runtime")),
    Exercise(39, "pipeline-condition", "SageMaker Pipelines", "Register a model only when it is good enough",
             "Build the SageMaker pipeline `ex39-churn-pipeline`: train built-in XGBoost on the churn data, then a "
             "Condition step compares the job's validation:auc with a pipeline parameter (e.g. `MinAuc`, default "
             "0.7): if it is reached, a RegisterModel step adds the model to the group `ex39-churn-models`; "
             "otherwise a Fail step ends the execution. Run it once so that the model is registered, and once with "
             "a threshold it cannot reach.",
             ("SageMaker Pipelines: steps, parameters, properties of earlier steps",
              "Condition and Fail steps as quality gates", "Model Registry hand-off in MLOps / CI-CD"),
             ("create_pipeline(PipelineDefinition=json.dumps({'Version': '2020-12-01', 'Parameters': [...], "
              "'Steps': [...]}))", "{'Get': \"Steps.Train.FinalMetricDataList['validation:auc'].Value\"}",
              "start_pipeline_execution(PipelineParameters=[{'Name': 'MinAuc', 'Value': '0.99'}])"),
             check_pipeline_condition, NB_DEPLOY, ("sagemaker",)),
]
