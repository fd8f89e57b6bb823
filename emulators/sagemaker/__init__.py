"""Amazon SageMaker and SageMaker Runtime: jobs run as local processes in /opt/ml-shaped job folders,
endpoints serve models loaded in-process, MLflow is the tracking layer.

moto keeps the control plane; the sandbox executes. The folder is in three layers:
``api/`` answers the AWS operations (one module per area: training, processing,
hosting, capture, transform, tuning, registry, monitoring, pipelines, AutoML; the
backend class in :mod:`.provider` is their mixins), ``engines/`` does the work on
paths and plain values (never moto or the server), and ``runtime/`` runs inside job
processes. What the sandbox keeps beyond moto's resources is declared in
:mod:`.api.state`.


- **Training jobs** (:mod:`.engines.training`, :mod:`.container`): a job folder
  ``<state>/services/sagemaker/jobs/<job>/`` laid out as ``/opt/ml`` (config files,
  channels downloaded from S3 in File mode, ``model/``, ``output/``, ``code/``), the
  training toolkit's ``SM_*`` environment, hyperparameters as ``--name value``
  arguments. scikit-learn / XGBoost framework images run the user's script
  (``sagemaker_program`` in ``sagemaker_submit_directory``), or the request's
  ``ContainerEntrypoint``/``ContainerArguments`` (the SDK v3 ``ModelTrainer``'s
  ``sm_train.sh`` driver) with ``/opt/ml`` mapped; built-in XGBoost,
  Linear Learner, K-Means, PCA and Random Cut Forest images run our
  re-implementations (:mod:`.runtime.builtin_algorithms`; Random Cut Forest is scikit-learn's
  IsolationForest, so its scores are not on RCF's scale). ``model/`` ->
  ``model.tar.gz``, ``output/data`` -> ``output.tar.gz``; exit code or ``output/failure`` -> Failed with FailureReason;
  logs in CloudWatch Logs ``/aws/sagemaker/TrainingJobs``; ``stop_training_job``.
- **Processing jobs** (:mod:`.engines.processing`): ``ContainerEntrypoint`` with
  ``/opt/ml/processing/...`` inputs/outputs mapped to the job folder.
- **Tuning jobs** (:mod:`.engines.tuning`): optuna TPE (Bayesian) / random / grid search,
  parallel training jobs, objective from the logs, early stopping (median rule).
- **Hosting**: endpoints load their variants' models in-process
  (:mod:`.engines.hosting`); ``invoke_endpoint`` runs the user's ``model_fn``/``input_fn``/
  ``predict_fn``/``output_fn``, weighted variants, ``TargetVariant``, data capture
  to S3 in AWS's JSON-lines format.
- **Batch transform** (:mod:`.engines.transform`), with ``DataProcessing`` (InputFilter,
  JoinSource Input, OutputFilter) in the JSONPath subset AWS documents for it.
- **Requests** are checked as AWS's service checks them (:mod:`.engines.validation`: the
  patterns, enums and ranges of botocore's model), so ``my_job`` or ``m5.large`` is a
  ``ValidationException`` rather than a job that fails later.
- **SageMaker Python SDK** v2 and v3: ``sandbox.connect().sagemaker_session()`` is a session of
  the installed generation whose clients never reach AWS (the STS address the SDK names for its
  default bucket is replaced by the sandbox's); tuning jobs' training jobs describe themselves
  with AWS's ``ResourceConfig`` (``Estimator.attach``, ``tuner.deploy()``); the v3
  ``ModelTrainer``'s role check is answered by IAM's policy simulator.
- **Model Monitor** (:mod:`.api.monitoring`, :mod:`.engines.model_monitor`): the
  ``sagemaker-model-monitor-analyzer`` image runs our analyzer as a processing job
  (baseline ``statistics.json`` / ``constraints.json``; ``constraint_violations.json``
  against a baseline), and monitoring schedules (``NOW`` or cron) run it over the
  endpoint's captured requests. DataQuality only. With ``publish_cloudwatch_metrics`` =
  ``Enabled`` (the SDK's default) an execution publishes ``feature_baseline_drift_<feature>``
  and friends to CloudWatch (:mod:`.api.monitor_metrics`), where alarms on them evaluate.
- **Clarify** (:mod:`.engines.clarify`): the ``sagemaker-clarify-processing`` image computes
  pre-/post-training bias metrics and Kernel SHAP into ``analysis.json``; the
  ``predictor`` model is loaded in-process instead of a shadow endpoint.
- **MLflow** (:mod:`.engines.tracking`): training jobs are runs, tuning jobs parent runs,
  model package groups/packages are registered models/versions with approval status.
- **Pipelines** (:mod:`.api.pipelines`): an execution runs its definition (as the SDK's
  ``Pipeline.definition()`` writes it, or by hand) in the background: parameters,
  ``Get`` references to parameters, execution variables and the Describe* properties of
  earlier steps, ``Std:Join``, ``Std:JsonGet`` over property files; ``Processing``,
  ``Training``, ``Transform``, ``Model``, ``RegisterModel``, ``Condition`` (the branch not
  taken does not run) and ``Fail`` steps, one at a time in dependency order;
  ``ListPipelineExecutionSteps`` with each step's job ARN, ``StopPipelineExecution``.
- **Autopilot** (:mod:`.api.automl`): ``CreateAutoMLJob`` / ``CreateAutoMLJobV2`` on tabular
  CSV/Parquet data analyse the data (problem type and objective inferred when not
  given), split a validation set, and run each candidate as a real scikit-learn
  training job (linear, XGBoost, random forest, extra trees, gradient boosting, MLP);
  the best by the objective is ``BestCandidate`` with ``InferenceContainers`` that
  endpoints and batch transform serve; ``ListCandidatesForAutoMLJob``, ``StopAutoMLJob``,
  ``ModelDeployConfig``. The SDK's ``AutoML`` works.

Not emulated: Docker images (only the images above run; bring-your-own containers
need Docker), GPUs, distributed training (one host, ``algo-1``), Pipe mode (File
mode is used), instance types/counts and autoscaling (one in-process model per
variant), serverless and asynchronous inference, multi-model and multi-container
endpoints, warm-start tuning,
``TrainingJobDefinitions`` (several algorithms in one tuning job), model artifacts
of the built-in Linear Learner / K-Means / PCA in AWS's MXNet format (ours are
joblib files), Studio/notebook instances, Pipelines step types other than the seven
above (Lambda, Callback, EMR, Tuning, AutoML, QualityCheck, ClarifyCheck... fail their
step), step caching, retry policies, selective execution and parallel steps,
ModelQuality/ModelBias/ModelExplainability monitoring schedules, Clarify's PDF/HTML report and flip test; Autopilot's notebooks,
reports, AutoGluon ensembles and its image/text/time-series/LLM problem types; Neo compilation
jobs (``CreateCompilationJob`` answers ``NotImplemented``: moto would report a compiled model
that does not exist).
"""

from emulators.core.service import ServiceInfo

SERVICES = [
    ServiceInfo(
        aws="Amazon SageMaker",
        api_names=("sagemaker",),
        stand_in="moto's control plane; jobs run as local processes in /opt/ml-shaped folders; MLflow tracking",
        executes="training (scikit-learn/XGBoost script mode; built-in XGBoost, Linear Learner, K-Means, PCA, "
                 "Random Cut Forest as IsolationForest), processing, tuning (optuna), endpoints, batch transform "
                 "with DataProcessing filters/join, model registry in MLflow, Pipelines executions (Processing, "
                 "Training, Transform, Model, RegisterModel, Condition, Fail steps); the SageMaker Python SDK v2 works",
        not_emulated="Docker/BYO images, GPUs, multi-host training, Pipe mode, autoscaling, serverless/async "
                     "inference, multi-model endpoints, warm-start tuning, RCF's own scores (IsolationForest stands "
                     "in), other Pipelines step types (Lambda, Callback, EMR, Tuning...), step caching/retries, "
                     "parallel steps, Neo compilation (CreateCompilationJob answers NotImplemented)",
        provider="provider",
        notes=("MLflow UI: `sandbox mlflow` (the store is <state>/services/sagemaker/mlflow/mlflow.db)",),
    ),
    ServiceInfo(
        aws="SageMaker Model Monitor and Clarify",
        api_names=("sagemaker",),
        stand_in="our analyzer (pandas) behind the model-monitor-analyzer image; our Clarify analysis behind the "
                 "clarify-processing image; monitoring schedules added to moto",
        executes="baseline statistics/constraints, monitoring schedules (NOW and cron) over captured endpoint data "
                 "with violations (types, completeness, drift, categories, columns) in AWS's JSON formats; CloudWatch "
                 "metrics from executions (feature_baseline_drift_<feature>, feature_non_null_, feature_data_) when "
                 "publish_cloudwatch_metrics is Enabled; Clarify pre-/post-training bias metrics and Kernel SHAP in "
                 "analysis.json",
        not_emulated="ModelQuality/ModelBias/ModelExplainability schedules (and their CloudWatch metrics), "
                     "KLL sketches (exact quantiles instead), Clarify's report files and flip test (FT)",
        provider="provider",
    ),
    ServiceInfo(
        aws="SageMaker Autopilot (AutoML)",
        api_names=("sagemaker",),
        stand_in="our AutoML run: data analysis with pandas, candidates as scikit-learn/XGBoost training jobs",
        executes="CreateAutoMLJob(V2) on tabular CSV/Parquet: problem type and objective inferred, validation "
                 "split, each candidate a real training job with AWS's metric names (F1, AUC, MSE, ...), the best "
                 "candidate's InferenceContainers deployable; ListCandidatesForAutoMLJob, StopAutoMLJob",
        not_emulated="generated notebooks and explainability/insights reports, AutoGluon ensembling, image/text/"
                     "time-series/LLM problem types, GenerateCandidateDefinitionsOnly; 5 candidates by default "
                     "(250 on AWS)",
        provider="provider",
    ),
    ServiceInfo(
        aws="Amazon SageMaker Runtime",
        api_names=("sagemaker-runtime",),
        stand_in="models loaded in-process (the framework's model_fn/input_fn/predict_fn/output_fn)",
        executes="invoke_endpoint with real predictions, weighted production variants, data capture",
        not_emulated="invoke_endpoint_async, invoke_endpoint_with_response_stream",
        provider="provider",
    ),
]
