"""The exam walkthrough links resolve (files and GitHub heading anchors) and cover every service."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "exam"


def github_anchor(heading: str) -> str:
    """GitHub's heading slug: lower-case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {github_anchor(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", path.read_text(), re.M)}


def test_links_and_anchors_resolve():
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)]+)\)", page.read_text()):
            if target.startswith("http"):
                continue
            file_part, _, anchor = target.partition("#")
            resolved = (page.parent / file_part).resolve() if file_part else page
            assert resolved.exists(), f"{page.name}: broken link {target}"
            if anchor:
                assert anchor in anchors(resolved), f"{page.name}: no heading for #{anchor} in {resolved.name}"


def test_every_service_and_exercise_is_covered():
    from emulators.registry import service_infos
    from sandbox.exercises import all_exercises

    services = (DOCS / "services.md").read_text()
    for info in service_infos():
        assert f"## {info.aws}" in services, f"{info.aws}: regenerate with python -m sandbox.exercises.docs"
    walkthrough = (DOCS / "README.md").read_text()
    for exercise in all_exercises():
        assert re.search(rf"^\| {exercise.number} \|", walkthrough, re.M), f"exercise {exercise.number} missing"
    concepts = (DOCS / "concepts.md").read_text()
    for name in ("Kinesis Video Streams", "QuickSight", "Rekognition", "DeepLens", "ElastiCache", "DMS",
                 "VPC endpoints", "Data Pipeline"):
        assert name in concepts, name


def test_notebooks_named_by_exercises_exist():
    from sandbox.exercises import all_exercises

    named = {e.notebook for e in all_exercises() if e.notebook}
    existing = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert named <= existing, f"exercises point at missing notebooks: {sorted(named - existing)}"
