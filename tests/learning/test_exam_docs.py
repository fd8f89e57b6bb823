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
    from emulators.core.registry import service_infos
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


EXAM_MAPS = {"DEA-C01": DOCS / "dea-c01.md", "MLA-C01": DOCS / "mla-c01.md"}


def test_exam_maps_cover_every_domain_and_task_statement():
    """Issue 13: each current exam's map has every domain and task statement of its exam guide, with
    the official wording, and for each the way to practise it."""
    from sandbox.quiz import EXAMS

    for code, page in EXAM_MAPS.items():
        text = page.read_text()
        exam = EXAMS[code]
        for number, title in exam.domains.items():
            assert f"\n## Domain {number}: {title}\n" in text, f"{page.name}: domain {number} missing"
        for task, title in exam.tasks.items():
            heading = f"\n### Task {task}: {title}\n"
            assert heading in text, f"{page.name}: task statement {task} ({title}) missing"
            section = text.split(heading, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
            assert f"`sandbox quiz --exam {code} --task {task}`" in section, f"{page.name} {task}: no quiz"
            for part in ("**Notebooks**", "**Exercises**", "**Sandbox services**", "**Concepts**"):
                assert part in section, f"{page.name} {task}: no {part}"
        headings = re.findall(r"^### Task (\d\.\d):", text, re.M)
        assert sorted(headings) == sorted(exam.tasks), f"{page.name}: unexpected task headings {headings}"


def test_readme_points_to_the_current_maps_and_marks_the_legacy_one():
    readme = (DOCS / "README.md").read_text()
    for target in ("dea-c01.md", "mla-c01.md", "legacy-mls-c01-das-c01.md"):
        assert f"({target})" in readme, target
    legacy = (DOCS / "legacy-mls-c01-das-c01.md").read_text()
    assert legacy.startswith("# Legacy map") and "retired" in legacy.split("\n\n", 2)[1]


def test_out_of_date_facts_are_gone():
    """Facts issue 13 lists as wrong, checked against AWS's documentation in December 2026."""
    stale = {
        r"alarms (are )?not evaluated": "CloudWatch alarms are evaluated (emulators/cloudwatch/alarms.py)",
        r"\b5 TB objects": "objects go up to 50 TB (a single PUT up to 5 GB)",
        r"\b100 buckets": "the default quota is 10,000 general purpose buckets",
        r"records \(up to 1 MB each\)": "Kinesis records are 1 MiB by default, configurable up to 10 MiB",
        r"rolling \(blue/green\)": "blue/green and rolling deployments are different guardrails",
        r"\| Kinesis Data Firehose \|": "the service is Amazon Data Firehose",
    }
    current = (DOCS / "README.md").read_text().split("## Facts that changed", 1)[1].split("\n## ", 1)[0]
    for fact in ("10,000 general purpose buckets", "up to 50 TB", "at most 5 GB", "since January 2023",
                 "750 training jobs", "30 hyperparameters", "zero buffering is not available",
                 "up to 10 MiB", "27 January 2026", "closed to new customers", "rolling deployments"):
        assert fact in current, f"README.md, Facts that changed: {fact!r} missing"
    for page in DOCS.glob("*.md"):
        if page.name == "services.md":      # generated from the service rows, not written here
            continue
        text = page.read_text()
        for pattern, fact in stale.items():
            assert not re.search(pattern, text), f"{page.name}: {pattern!r} is out of date: {fact}"
