"""Regenerate ``docs/exam/services.md`` (and the README's service map): ``python -m sandbox.exercises.docs``.

Kept for the command's old name; the renderers live in :mod:`sandbox.fidelity`.
"""

from __future__ import annotations

from sandbox.fidelity import SERVICES_PAGE as PAGE  # noqa: F401
from sandbox.fidelity import render_services_page, write_all  # noqa: F401

if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path}")
