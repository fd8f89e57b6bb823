"""Every notebook runs top to bottom on a fresh sandbox, and follows the house rules: objectives and
exam points (named as DEA-C01 / MLA-C01 task statements) first, an "On real AWS" section, a closing
`## Check yourself` section that asks the question bank, and committed without outputs."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
TIMINGS: dict[str, float] = {}
TASK_STATEMENT = re.compile(r"\b(DEA-C01|MLA-C01) [1-4]\.[1-5]\b")


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert "00_tour_and_setup.ipynb" in names and "01_s3_data_lake.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_house_rules(path: Path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert "Learning objectives" in first.source and "Exam points" in first.source
    assert TASK_STATEMENT.search(first.source), f"{path.name}: exam points name no DEA-C01/MLA-C01 task statement"
    headings = [c.source.splitlines()[0].strip() for c in nb.cells if c.cell_type == "markdown" and c.source]
    assert "## On real AWS" in headings, f"{path.name}: no '## On real AWS' section"
    check, ask = nb.cells[-2], nb.cells[-1]
    assert check.cell_type == "markdown" and check.source.splitlines()[0].strip() == "## Check yourself", \
        f"{path.name}: the last section must be '## Check yourself'"
    assert ask.cell_type == "code" and "from sandbox.quiz import check_yourself" in ask.source
    assert f'check_yourself("{path.stem}"' in ask.source, f"{path.name}: Check yourself asks another notebook's questions"
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
