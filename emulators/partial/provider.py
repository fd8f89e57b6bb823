"""Refuse calls that moto would answer with canned output where AWS does work.

The model-backed analysis calls of Rekognition, Textract and Comprehend need AWS's
trained models; Data Pipeline activation and DMS replication runs need EC2 workers
and source databases. moto would answer them with sample data or a state that never
changes, so the sandbox refuses them with ``NotImplemented`` instead.
"""

from __future__ import annotations

from typing import Any, NoReturn

from emulators.core import moto_coupling
from emulators.core.errors import NotEmulated

TRAINED_MODELS = "it needs AWS's trained models"

# service -> (title, why it cannot run offline, refused operations)
REFUSED = {
    "rekognition": ("Amazon Rekognition", TRAINED_MODELS, [
        "compare_faces", "detect_labels", "detect_text", "detect_custom_labels", "detect_faces",
        "detect_moderation_labels", "recognize_celebrities", "search_faces_by_image", "start_face_search",
        "get_face_search", "start_text_detection", "get_text_detection", "start_label_detection",
        "get_label_detection", "index_faces"]),
    "textract": ("Amazon Textract", TRAINED_MODELS, [
        "detect_document_text", "analyze_document", "analyze_expense", "analyze_id",
        "start_document_text_detection", "get_document_text_detection", "start_document_analysis",
        "get_document_analysis"]),
    "comprehend": ("Amazon Comprehend", TRAINED_MODELS, [
        "detect_pii_entities", "detect_key_phrases", "detect_sentiment", "detect_entities",
        "detect_dominant_language", "detect_syntax", "detect_targeted_sentiment", "detect_toxic_content",
        "classify_document", "batch_detect_sentiment", "batch_detect_key_phrases", "batch_detect_entities",
        "batch_detect_dominant_language"]),
    "datapipeline": ("AWS Data Pipeline", "its activities run on EC2 instances that the sandbox does not have "
                     "(Glue jobs, Step Functions or Batch are the sandbox's orchestration)", [
        "activate_pipeline"]),
    "dms": ("AWS DMS", "it replicates from a live source database through a replication instance, which the "
            "sandbox does not run", ["start_replication_task", "test_connection"]),
}


def _refusal(service_title: str, reason: str, operation: str) -> Any:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotEmulated(
            f"{service_title} {operation} is not emulated by the offline sandbox: {reason}. "
            "Run `sandbox services` for what each service really executes.",
            code="NotImplemented",
        )

    refuse.__name__ = operation
    return refuse


def _sandbox_backend(service: str, name: str) -> type:
    title, reason, operations = REFUSED[service]
    base = moto_coupling.backend_class(service)
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": name}
    for operation in operations:
        if hasattr(base, operation):
            namespace[operation] = _refusal(title, reason, operation)
    return type(name, (base,), namespace)


# module-level names so snapshots can pickle the backends by reference
SandboxRekognitionBackend = _sandbox_backend("rekognition", "SandboxRekognitionBackend")
SandboxTextractBackend = _sandbox_backend("textract", "SandboxTextractBackend")
SandboxComprehendBackend = _sandbox_backend("comprehend", "SandboxComprehendBackend")
SandboxDataPipelineBackend = _sandbox_backend("datapipeline", "SandboxDataPipelineBackend")
SandboxDMSBackend = _sandbox_backend("dms", "SandboxDMSBackend")

BACKENDS = {"rekognition": SandboxRekognitionBackend, "textract": SandboxTextractBackend,
            "comprehend": SandboxComprehendBackend, "datapipeline": SandboxDataPipelineBackend,
            "dms": SandboxDMSBackend}


def install(cloud: Any) -> None:
    for service, cls in BACKENDS.items():
        moto_coupling.install_backend_class(service, cls)
