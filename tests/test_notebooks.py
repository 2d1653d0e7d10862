"""The teaching notebooks: each is complete as committed and runs top to bottom on a clean kernel.

The fast checks read the committed files: every notebook ends with exercises whose answers are
hidden in a ``<details>`` block, and it was saved with the outputs of one clean run (execution
counts 1, 2, 3, ... with no error and at least one inline PNG plot). The slow check executes
every notebook again from a clean ``python3`` kernel (the interpreter running the tests) with
its own folder as working directory, as Jupyter would, and fails on any cell error.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

EXPECTED = {
    "01_direct_vs_indirect",
    "02_hiring_limits_scaling",
    "03_partner_networks",
    "04_margins_and_proportional_cost",
    "05_brand_and_service_risk",
    "06_uncertainty_and_breakeven",
    "07_calibrate_from_crm",
}
CELL_TIMEOUT = 120  # seconds per cell
MAX_TEXT_OUTPUT = 20_000  # characters of one text output: show heads and summaries, not tables
MAX_FILE_BYTES = 1_500_000


def _read(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_notebook_is_there() -> None:
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_have_hidden_answers(path: Path) -> None:
    nb = _read(path)
    exercises = [
        c
        for c in nb.cells
        if c.cell_type == "markdown" and re.search(r"^#+\s*Exercise\s+\d", c.source, re.M)
    ]
    assert len(exercises) >= 2, f"{path.name}: needs at least two exercises"
    for cell in exercises:
        title = cell.source.splitlines()[0]
        assert "<details>" in cell.source and "</details>" in cell.source, title
        assert re.search(r"<summary>\s*Answer\s*</summary>", cell.source), title
        hidden = cell.source.split("<details>", 1)[1]
        assert len(hidden.strip()) > 80, f"{title}: the answer is empty"
    # exercises come last, after the lesson
    first = nb.cells.index(exercises[0])
    assert first > len(nb.cells) // 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_saved_with_outputs_of_a_clean_run(path: Path) -> None:
    nb = _read(path)
    assert nb.metadata.kernelspec.name == "python3"
    assert path.stat().st_size < MAX_FILE_BYTES, f"{path.name}: outputs too large"
    cells = _code_cells(nb)
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: not one clean top-to-bottom run"
    pngs = 0
    for cell in cells:
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name}: saved with an error: {out.ename}"
            if out.output_type == "stream":
                assert out.name == "stdout" or "Warning" not in out.text, out.text[:300]
                assert len(out.text) < MAX_TEXT_OUTPUT
            data = out.get("data", {})
            pngs += "image/png" in data
            assert len(data.get("text/plain", "")) < MAX_TEXT_OUTPUT
    assert pngs >= 1, f"{path.name}: no inline plot saved"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_top_to_bottom_on_a_clean_kernel(path: Path) -> None:
    nb = _read(path)
    for cell in _code_cells(nb):
        cell.outputs = []
        cell.execution_count = None
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [o for c in _code_cells(nb) for o in c.outputs if o.output_type == "error"]
    assert not errors
