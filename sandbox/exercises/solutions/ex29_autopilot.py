"""Exercise 29: an Autopilot job on the churn data, its best candidate deployed."""

from sandbox import datasets
from sandbox.exercises._helpers import ROLE_SAGEMAKER, ensure_bucket, lookup, wait_until

BUCKET, JOB, ENDPOINT = "ex29-automl", "ex29-churn-autopilot", "ex29-autopilot"
COLUMNS = ["age", "tenure_months", "monthly_spend", "support_calls", "segment", "churned"]


def solve(aws):
    s3, sm = aws.client("s3"), aws.client("sagemaker")
    ensure_bucket(s3, BUCKET)
    if not lookup(sm.describe_auto_ml_job_v2, AutoMLJobName=JOB):
        frame = datasets.customers(1000, seed=7)[COLUMNS]
        s3.put_object(Bucket=BUCKET, Key="input/customers.csv", Body=frame.to_csv(index=False).encode())
        sm.create_auto_ml_job_v2(
            AutoMLJobName=JOB, RoleArn=ROLE_SAGEMAKER,
            AutoMLJobInputDataConfig=[{"ChannelType": "training", "ContentType": "text/csv;header=present",
                                       "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                       "S3Uri": f"s3://{BUCKET}/input/"}}}],
            OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output/"},
            AutoMLProblemTypeConfig={"TabularJobConfig": {
                "TargetAttributeName": "churned", "ProblemType": "BinaryClassification",
                "CompletionCriteria": {"MaxCandidates": 2},
                "CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["linear-learner",
                                                                                         "randomforest"]}]}}},
            AutoMLJobObjective={"MetricName": "AUC"})
    job = wait_until(lambda: sm.describe_auto_ml_job_v2(AutoMLJobName=JOB),
                     lambda j: j["AutoMLJobStatus"] in ("Completed", "Failed", "Stopped"), 300, "the AutoML job")
    if job["AutoMLJobStatus"] != "Completed":
        raise RuntimeError(f"{JOB} is {job['AutoMLJobStatus']}: {job.get('FailureReason')}")
    model = f"{JOB}-best"
    if not lookup(sm.describe_model, ModelName=model):
        sm.create_model(ModelName=model, ExecutionRoleArn=ROLE_SAGEMAKER,
                        Containers=job["BestCandidate"]["InferenceContainers"])
    if not lookup(sm.describe_endpoint_config, EndpointConfigName=model):
        sm.create_endpoint_config(EndpointConfigName=model, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large"}])
    if not lookup(sm.describe_endpoint, EndpointName=ENDPOINT):
        sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=model)
    wait_until(lambda: sm.describe_endpoint(EndpointName=ENDPOINT),
               lambda e: e["EndpointStatus"] in ("InService", "Failed"), 120, "the endpoint")
