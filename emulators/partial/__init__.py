"""Services on the syllabus that the sandbox answers only in part, or explains only.

- DynamoDB, ElastiCache, DMS, Data Pipeline, QuickSight, Kinesis Video Streams
  control plane: moto stores and returns the resources; nothing behind them runs
  (no cache nodes, no replication tasks, no pipelines on EC2, no dashboards).
  DynamoDB is the exception: its tables really store, query and scan items.
- Rekognition, Textract and Comprehend analysis calls need AWS's trained models.
  moto would answer them with fixed sample output; the sandbox refuses them with
  a ``NotImplemented`` error instead, so a learner never mistakes canned data for
  a result. For the same reason Data Pipeline's ``ActivatePipeline`` and DMS's
  ``StartReplicationTask`` / ``TestConnection`` are refused: moto would show a
  pipeline SCHEDULED or a task running that never does anything. Operations moto does not implement at all answer ``NotImplemented``
  (HTTP 501) too, for every service.
- DeepLens (a discontinued device) and VPC endpoints (a network feature) have no
  stand-in: see the exam walkthrough in docs/.

Not emulated: everything model-backed (above), and everything behind these
control planes (nodes, replication, pipelines, dashboards).
"""

from emulators.core.service import ServiceInfo

SERVICES = [
    ServiceInfo(
        aws="Amazon DynamoDB",
        api_names=("dynamodb",),
        stand_in="moto (LocalStack in docker compose)",
        executes="tables, items, queries, scans, conditional writes, TTL recorded, streams",
        not_emulated="capacity and throttling, global tables replication, PartiQL edge cases",
    ),
    ServiceInfo(
        aws="ElastiCache, DMS, Data Pipeline, QuickSight",
        api_names=("elasticache", "dms", "datapipeline", "quicksight"),
        stand_in="moto control plane",
        provider="provider",
        executes="resources are created, described and deleted",
        not_emulated="no cache nodes, no replication runs, no pipeline runs, no dashboards: concepts only "
                     "(ActivatePipeline, StartReplicationTask and TestConnection answer NotImplemented)",
    ),
    ServiceInfo(
        aws="Rekognition, Textract, Comprehend (analysis)",
        api_names=("rekognition", "textract", "comprehend"),
        stand_in="none: AWS's trained models cannot run offline",
        executes="nothing: their analysis needs AWS's models",
        not_emulated="every analysis call (DetectLabels, DetectText, DetectSentiment, ...) answers NotImplemented",
        provider="provider",
    ),
    ServiceInfo(
        aws="DeepLens, VPC endpoints",
        api_names=(),
        stand_in="none (explained in docs/exam)",
        executes="nothing",
        not_emulated="DeepLens is a discontinued device; VPC endpoints are networking: concepts only",
    ),
]
