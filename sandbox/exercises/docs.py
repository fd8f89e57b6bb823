"""Regenerate ``docs/exam/services.md`` from the service registry: ``python -m sandbox.exercises.docs``."""

from __future__ import annotations

from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "exam" / "services.md"


def render_services_page() -> str:
    from emulators.registry import service_infos

    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["# AWS services and their sandbox stand-ins", "",
             "Generated from `emulators.registry.service_infos()` (the same table as `sandbox services`) by "
             "`python -m sandbox.exercises.docs`. Read the *not emulated* line before trusting a behaviour for "
             "the exam: where the sandbox differs, the exam expects the AWS behaviour.", "",
             "Back to the [exam walkthrough](README.md).", ""]
    for info in service_infos():
        lines += [f"## {info.aws}", "",
                  f"- **boto3 clients**: {', '.join(f'`{a}`' for a in info.api_names) or '(none)'}",
                  f"- **stand-in**: {esc(info.stand_in)}",
                  f"- **really executes**: {esc(info.executes)}",
                  f"- **not emulated**: {esc(info.not_emulated)}"]
        lines += [f"- **note**: {esc(note)}" for note in info.notes]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    PAGE.write_text(render_services_page())
    print(f"wrote {PAGE}")
