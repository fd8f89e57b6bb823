"""The run of an Autopilot job: analyse the data, start each candidate as a training job, pick and deploy the best.

:func:`run_auto_ml_job` runs in the background for each job :mod:`.automl` starts;
the plan (problem type, candidates) is the engine's
(:mod:`emulators.sagemaker.engines.automl_plan`), each candidate a training job of
this backend running :mod:`emulators.sagemaker.runtime.automl_candidate`.
"""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any

from emulators.core import s3uri
from emulators.core.clock import utcnow
from emulators.sagemaker.api import common
from emulators.sagemaker.api.automl_job import SandboxAutoMLJob
from emulators.sagemaker.engines import automl_plan as plan

log = logging.getLogger("emulators.sagemaker.automl")

POLL_SECONDS = 0.25


# ===================================================================== the run
def run_auto_ml_job(account_id: str, region: str, name: str) -> None:
    backend = common.backend(account_id, region)
    job = backend.auto_ml_jobs.get(name)
    if not isinstance(job, SandboxAutoMLJob):
        return
    cloud = common.cloud()
    try:
        AutoMLRun(backend, job, region).run()
        status, secondary, reason = ("Stopped", "Stopped", None) if job.stop_requested else (
            "Completed", "Completed", None)
        if job.best_candidate() is None:
            status, secondary = ("Stopped", "Stopped") if job.stop_requested else ("Failed", "Failed")
            reason = None if job.stop_requested else "No candidate completed: " + "; ".join(
                c.get("FailureReason", "") for c in job.candidates)[:1000]
    except plan.AutoMLFailed as exc:
        status, secondary, reason = "Failed", "Failed", str(exc)[:1024]
    except Exception as exc:
        log.exception("AutoML job %s", name)
        status, secondary, reason = "Failed", "Failed", f"InternalServerError: {type(exc).__name__}: {exc}"[:1024]
    with cloud.mutating():
        job.auto_ml_job_status = status
        job.failure_reason = reason
        job.end_time = utcnow()
        job.touch(secondary)


class AutoMLRun:
    def __init__(self, backend: Any, job: SandboxAutoMLJob, region: str) -> None:
        self.backend = backend
        self.job = job
        self.region = region
        self.cloud = common.cloud()
        self.s3 = common.s3()
        self.config = job.tabular_config
        self.target = self.config["TargetAttributeName"]
        self.output = s3uri.join((job.request.get("OutputDataConfig") or {}).get("S3OutputPath", ""),
                                        job.auto_ml_job_name)

    def _set(self, **changes: Any) -> None:
        with self.cloud.mutating():
            for key, value in changes.items():
                setattr(self.job, key, value)
            self.job.touch()

    def run(self) -> None:
        if not self.output.startswith("s3://"):
            raise plan.AutoMLFailed("ClientError: OutputDataConfig.S3OutputPath must be an s3:// URI")
        self._set(auto_ml_job_secondary_status="AnalyzingData")
        train, valid, problem = self._datasets()
        metric = (self.job.request.get("AutoMLJobObjective") or {}).get("MetricName") or plan.OBJECTIVES[problem][0]
        if metric not in plan.OBJECTIVES[problem][1]:
            raise plan.AutoMLFailed(f"ClientError: the objective metric {metric} is not valid for {problem}")
        numeric = [c for c in train.columns if c != self.target and plan.is_numeric(train[c])]
        self._set(problem_type=problem, objective={"MetricName": metric},
                  auto_ml_job_secondary_status="FeatureEngineering")
        train_uri = self._upload(train, "train")
        valid_uri = self._upload(valid, "validation")
        source_uri = s3uri.join(self.output, "sagemaker-automl-candidates", "source", "sourcedir.tar.gz")
        self._upload_source(source_uri)
        self._set(auto_ml_job_secondary_status="ModelTuning")
        candidates = plan.candidate_plan(self.config, self.job.auto_ml_job_name)
        deadline = (self.config.get("CompletionCriteria") or {}).get("MaxAutoMLJobRuntimeInSeconds")
        started = time.time()
        for index, (algorithm, params) in enumerate(candidates, start=1):
            if self.job.stop_requested:
                return
            if deadline and time.time() - started > float(deadline):
                self._set(auto_ml_job_secondary_status="MaxAutoMLJobRuntimeReached")
                break
            self._run_candidate(index, algorithm, params, problem, metric, numeric, train_uri, valid_uri,
                                source_uri)
        if self.job.best_candidate() is not None and not self.job.stop_requested:
            self._deploy_best()

    # -- data
    def _datasets(self) -> tuple[Any, Any, str]:
        """The training and validation sets, and the problem type (given, or inferred from the target)."""
        import pandas as pd

        frames = {}
        for channel in self.job.channels:
            uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
            frames[channel.get("ChannelType", "training")] = plan.read_dataset(
                self.s3, uri, channel.get("ContentType"), channel.get("CompressionType"))
        train = frames["training"]
        if self.target not in train.columns:
            raise plan.AutoMLFailed(f"ClientError: the target attribute {self.target!r} is not a column of the "
                                    f"training data (columns: {', '.join(map(str, train.columns))}). The data "
                                    "needs a header row.")
        train = train[train[self.target].notna()].reset_index(drop=True)
        if len(train) < 10:
            raise plan.AutoMLFailed(f"ClientError: the training data has {len(train)} rows with a target value; "
                                    "AutoML needs at least 10 (AWS asks for 500)")
        problem = self.config.get("ProblemType") or plan.infer_problem_type(train[self.target])
        if "validation" in frames:
            valid = frames["validation"]
            if list(valid.columns) != list(train.columns):
                raise plan.AutoMLFailed("ClientError: the validation channel's columns differ from the training "
                                        "channel's")
            return train, valid, problem
        from sklearn.model_selection import train_test_split

        labels = train[self.target].astype(str)
        stratify = labels if problem != "Regression" and labels.value_counts().min() >= 2 else None
        fit, valid = train_test_split(train, test_size=self.job.validation_fraction, random_state=0,
                                      stratify=stratify)
        return pd.DataFrame(fit).reset_index(drop=True), pd.DataFrame(valid).reset_index(drop=True), problem

    def _upload(self, frame: Any, part: str) -> str:
        uri = s3uri.join(self.output, "preprocessed-data", part, f"{part}.csv")
        bucket, key = s3uri.parse(uri)
        self.s3.put(bucket, key, frame.to_csv(index=False).encode(), "text/csv")
        return uri.rsplit("/", 1)[0] + "/"

    def _upload_source(self, uri: str) -> None:
        import tarfile

        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(plan.CANDIDATE_SCRIPT, arcname=plan.CANDIDATE_SCRIPT.name)
        bucket, key = s3uri.parse(uri)
        self.s3.put(bucket, key, buffer.getvalue(), "application/x-tar")

    # -- candidates
    def _run_candidate(self, index: int, algorithm: str, params: dict[str, Any], problem: str, metric: str,
                       numeric: list[str], train_uri: str, valid_uri: str, source_uri: str) -> None:
        job_name = f"{self.job.auto_ml_job_name[:32]}-{algorithm[:8].strip('-')}-{index:03d}"
        hyperparameters = {"algorithm": algorithm, "params": json.dumps(params), "target": self.target,
                           "problem_type": problem, "numeric_columns": json.dumps(numeric),
                           "sagemaker_program": plan.CANDIDATE_SCRIPT.name, "sagemaker_submit_directory": source_uri}
        metric_names = plan.OBJECTIVES[problem][1]
        definitions = [{"Name": f"validation:{m}", "Regex": f"validation:{m}=([-0-9.eE+]+)"} for m in metric_names]
        channel = {"S3DataSource": {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}}
        inputs = [{"ChannelName": name, "ContentType": "text/csv",
                   "DataSource": {"S3DataSource": {**channel["S3DataSource"], "S3Uri": uri}}}
                  for name, uri in (("train", train_uri), ("validation", valid_uri))]
        runtime = (self.config.get("CompletionCriteria") or {}).get("MaxRuntimePerTrainingJobInSeconds") or 3600
        image = plan.SKLEARN_IMAGE.format(region=self.region)
        now = utcnow()
        record: dict[str, Any] = {
            "CandidateName": job_name, "ObjectiveStatus": "Pending", "CandidateStatus": "InProgress",
            "CandidateSteps": [], "CreationTime": now, "LastModifiedTime": now,
            "CandidateProperties": {}, "InferenceContainers": []}
        with self.cloud.mutating():
            self.job.candidates.append(record)
            try:
                training_job = self.backend.create_training_job(
                    training_job_name=job_name, hyper_parameters=hyperparameters,
                    algorithm_specification={"TrainingImage": image, "TrainingInputMode": "File",
                                             "MetricDefinitions": definitions},
                    role_arn=self.job.request.get("RoleArn"), input_data_config=inputs,
                    output_data_config={"S3OutputPath": s3uri.join(self.output, "tuning")},
                    resource_config={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
                    vpc_config=None, stopping_condition={"MaxRuntimeInSeconds": int(runtime)}, tags=None,
                    enable_network_isolation=False, enable_inter_container_traffic_encryption=False,
                    enable_managed_spot_training=False, checkpoint_config=None, debug_hook_config=None,
                    debug_rule_configurations=None, tensor_board_output_config=None, experiment_config=None)
            except Exception as exc:
                record.update(CandidateStatus="Failed", ObjectiveStatus="Failed", EndTime=utcnow(),
                              FailureReason=f"{getattr(exc, 'code', type(exc).__name__)}: "
                                            f"{getattr(exc, 'message', None) or exc}")
                return
            record["CandidateSteps"] = [{"CandidateStepType": "AWS::SageMaker::TrainingJob",
                                         "CandidateStepArn": training_job.arn, "CandidateStepName": job_name}]
        while training_job.training_job_status in ("InProgress", "Stopping"):
            if self.job.stop_requested and training_job.training_job_status == "InProgress":
                with self.cloud.mutating():
                    try:
                        self.backend.stop_training_job(job_name)
                    except Exception:
                        log.exception("stopping %s", job_name)
            time.sleep(POLL_SECONDS)
        self._record_outcome(record, training_job, metric)

    def _record_outcome(self, record: dict[str, Any], training_job: Any, metric: str) -> None:
        status = training_job.training_job_status
        values = {m["MetricName"].split(":", 1)[1]: m["Value"] for m in training_job.final_metric_data_list or []}
        objective_type = "Minimize" if metric in plan.MINIMIZED else "Maximize"
        with self.cloud.mutating():
            record.update(EndTime=utcnow(), LastModifiedTime=utcnow(),
                          CandidateStatus={"Completed": "Completed", "Stopped": "Stopped"}.get(status, "Failed"))
            if training_job.failure_reason:
                record["FailureReason"] = training_job.failure_reason
            if status != "Completed" or metric not in values:
                record["ObjectiveStatus"] = "Failed"
                record.setdefault("FailureReason", f"the candidate reported no {metric}")
                return
            record["ObjectiveStatus"] = "Succeeded"
            record["FinalAutoMLJobObjectiveMetric"] = {"Type": objective_type, "MetricName": metric,
                                                       "Value": values[metric], "StandardMetricName": metric}
            record["CandidateProperties"] = {"CandidateMetrics": [
                {"MetricName": name, "Value": value, "Set": "Validation", "StandardMetricName": name}
                for name, value in values.items()]}
            record["InferenceContainers"] = [{
                "Image": training_job.algorithm_specification["TrainingImage"],
                "ModelDataUrl": training_job.model_artifacts["S3ModelArtifacts"],
                "Environment": {"SAGEMAKER_PROGRAM": "inference.py",
                                "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                                "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                                "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}}]
            best = self.job.best_candidate()
            better = best is None or (values[metric] < best["FinalAutoMLJobObjectiveMetric"]["Value"]
                                      if objective_type == "Minimize"
                                      else values[metric] > best["FinalAutoMLJobObjectiveMetric"]["Value"])
            if better:
                self.job.best_candidate_name = record["CandidateName"]
            self.job.touch()

    def _deploy_best(self) -> None:
        deploy = self.job.request.get("ModelDeployConfig") or {}
        endpoint = deploy.get("EndpointName")
        if deploy.get("AutoGenerateEndpointName"):
            endpoint = f"{self.job.auto_ml_job_name[:50]}-endpoint"
        if not endpoint:
            return
        self._set(auto_ml_job_secondary_status="DeployingModel")
        best = self.job.best_candidate()
        name = f"{self.job.auto_ml_job_name[:40]}-best-model"
        try:
            with self.cloud.mutating():
                self.backend.create_model(model_name=name, primary_container=best["InferenceContainers"][0],
                                          execution_role_arn=self.job.request.get("RoleArn"), tags=[],
                                          vpc_config=None, containers=None)
                self.backend.create_endpoint_config(
                    endpoint_config_name=name, production_variants=[{
                        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
                        "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}],
                    data_capture_config=None, async_inference_config=None, tags=[], kms_key_id=None)
                self.backend.create_endpoint(endpoint_name=endpoint, endpoint_config_name=name, tags=[])
            self._set(model_deploy_result={"EndpointName": endpoint})
        except Exception as exc:
            self._set(auto_ml_job_secondary_status="ModelDeploymentError",
                      partial_failure_reasons=[{"PartialFailureMessage": f"deploying the best candidate: "
                                                f"{getattr(exc, 'message', None) or exc}"}])
