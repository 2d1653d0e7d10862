"""Run teaching notebooks from a clean kernel and save them as they are committed.

Usage, from the repository root (with the ``[notebooks]`` or ``[test]`` extra installed)::

    .venv/bin/python notebooks/execute.py                         # every notebook
    .venv/bin/python notebooks/execute.py notebooks/03_*.ipynb    # some of them

Each notebook runs top to bottom on a fresh ``python3`` kernel with its own folder as the
working directory, as Jupyter runs it, solution cells included (so CI proves the answers still
run). Then the outputs of the cells tagged ``solution`` are removed before the file is written:
a student opening the notebook in any viewer sees the question, not the answer, and runs the
solution cell to see it. The kernel runs with ``CHANNELSIM_STATIC_FIGURES`` set, so the sliders
of :func:`channelsim.teaching.what_if` are saved as a plain figure for their default values,
which every viewer shows. Timestamps of the run are not recorded, so a rerun that changes no
number changes no line.

``tests/test_notebooks.py`` executes every notebook with the same :func:`execute`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbclient
import nbformat

from channelsim.teaching import STATIC_FIGURES

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT = 120
"""Seconds one cell may run."""
SOLUTION = "solution"
"""The cell tag of an exercise's solution: executed, saved without outputs."""


def is_solution(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell is an exercise's solution (tagged ``solution``)."""
    return cell.cell_type == "code" and SOLUTION in cell.metadata.get("tags", [])


def execute(path: Path, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """The notebook at ``path`` run on a clean kernel, every output kept (solutions included).

    Raises:
        nbclient.exceptions.CellExecutionError: a cell failed (the message names it).
    """
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    os.environ[STATIC_FIGURES] = "1"  # the kernel inherits the environment
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(Path(path).resolve().parent)}},
    )
    client.execute()
    return nb


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with no output in its solution cells (their execution counts stay)."""
    for cell in nb.cells:
        if is_solution(cell):
            cell.outputs = []
            cell.metadata.get("jupyter", {}).pop("outputs_hidden", None)
    return nb


def main(argv: list[str]) -> int:
    """Execute the notebooks named in ``argv`` (default: all) and write them in place."""
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        started = time.perf_counter()
        nb = strip_solutions(execute(path))
        nbformat.validate(nb)
        nbformat.write(nb, path)
        print(f"{path}: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
