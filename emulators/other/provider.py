"""Refuse model-backed analysis calls that moto would answer with canned sample data."""

from __future__ import annotations

from typing import Any, NoReturn

from emulators.core import moto_coupling

REFUSED = {
    "rekognition": ("Amazon Rekognition", [
        "compare_faces", "detect_labels", "detect_text", "detect_custom_labels", "detect_faces",
        "detect_moderation_labels", "recognize_celebrities", "search_faces_by_image", "start_face_search",
        "get_face_search", "start_text_detection", "get_text_detection", "start_label_detection",
        "get_label_detection", "index_faces"]),
    "textract": ("Amazon Textract", [
        "detect_document_text", "analyze_document", "analyze_expense", "analyze_id",
        "start_document_text_detection", "get_document_text_detection", "start_document_analysis",
        "get_document_analysis"]),
    "comprehend": ("Amazon Comprehend", [
        "detect_pii_entities", "detect_key_phrases", "detect_sentiment", "detect_entities",
        "detect_dominant_language", "detect_syntax", "detect_targeted_sentiment", "detect_toxic_content",
        "classify_document", "batch_detect_sentiment", "batch_detect_key_phrases", "batch_detect_entities",
        "batch_detect_dominant_language"]),
}


def _refusal(service_title: str, operation: str) -> Any:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise moto_coupling.AwsError(
            "NotImplemented",
            f"{service_title} {operation} is not emulated by the offline sandbox: it needs AWS's trained "
            "models. Run `sandbox services` for what each service really executes.",
        )

    refuse.__name__ = operation
    return refuse


def _sandbox_backend(service: str, title: str, operations: list[str]) -> type:
    base = moto_coupling.backend_class(service)
    name = {"rekognition": "SandboxRekognitionBackend", "textract": "SandboxTextractBackend",
            "comprehend": "SandboxComprehendBackend"}[service]
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": name}
    for operation in operations:
        if hasattr(base, operation):
            namespace[operation] = _refusal(title, operation)
    return type(name, (base,), namespace)


# module-level names so snapshots can pickle the backends by reference
SandboxRekognitionBackend = _sandbox_backend("rekognition", *REFUSED["rekognition"])
SandboxTextractBackend = _sandbox_backend("textract", *REFUSED["textract"])
SandboxComprehendBackend = _sandbox_backend("comprehend", *REFUSED["comprehend"])


def install(cloud: Any) -> None:
    for service, cls in (("rekognition", SandboxRekognitionBackend), ("textract", SandboxTextractBackend),
                         ("comprehend", SandboxComprehendBackend)):
        moto_coupling.install_backend_class(service, cls)
