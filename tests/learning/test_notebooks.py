"""Every notebook runs top to bottom on the session sandbox, and follows the house rules
(objectives and exam points first, "On real AWS" last, committed without outputs)."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
TIMINGS: dict[str, float] = {}


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert "00_tour_and_setup.ipynb" in names and "01_s3_data_lake.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_house_rules(path: Path):
    nb = nbformat.read(path, as_version=4)
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown"
    assert "Learning objectives" in first.source and "Exam points" in first.source
    assert last.cell_type == "markdown" and "On real AWS" in last.source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: commit without outputs"
            assert "sys.path" not in cell.source, f"{path.name}: import sandbox, no sys.path hacks"
    assert any("import sandbox" in c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_a_fresh_sandbox(cloud, path: Path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()   # the kernel inherits SANDBOX_PORT/SANDBOX_STATE_DIR from the `cloud` fixture
    TIMINGS[path.name] = time.perf_counter() - started
    print(f"\n{path.name}: {TIMINGS[path.name]:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
