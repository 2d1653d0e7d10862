"""The teaching notebooks: each is complete as committed and runs top to bottom on a clean kernel.

The fast checks read the committed files: every notebook ends with exercises whose answers are
hidden in a ``<details>`` block, each with a solution cell tagged ``solution`` that is saved
without its output (a viewer shows the question, not the answer); the rest was saved with the
outputs of one clean run (execution counts 1, 2, 3, ... with no error and at least one inline
PNG plot, sliders saved as plain figures, tables indexed by what they list, not by pandas' row
numbers); the first cell is one import line and no cell holds setup code or implementation
comments.

Numbers in the narrative come from the code. Two checks, each honest about what it can see:
the sentences this project moved from the text into code (``CONVERTED``) must be printed by a
code cell and typed in no markdown cell; and no markdown cell may quote a *result-like* number
(three significant digits or more, a decimal or a percentage) that is neither an input (found
in the notebook's code, a shipped scenario, the example CRM truth or the partner-kind
defaults) nor listed in ``DERIVED`` (numbers the text computes by hand from inputs, the
arithmetic shown next to them). The second check cannot see a rounded or paraphrased result
("about a dozen", "most leads") nor a qualitative claim that the numbers contradict; the
sentences that carry results are therefore printed by code with ``channelsim.teaching.say``.

The slow check executes every notebook again with ``notebooks/execute.py`` (the command a
contributor runs), from a clean ``python3`` kernel with its own folder as working directory,
solution cells included, and fails on any cell error or a solution that shows nothing.
"""

from __future__ import annotations

import importlib.util
import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

_spec = importlib.util.spec_from_file_location("notebook_runner", NOTEBOOK_DIR / "execute.py")
RUNNER = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(RUNNER)

EXPECTED = {
    "01_direct_vs_indirect",
    "02_hiring_limits_scaling",
    "03_partner_networks",
    "04_margins_and_proportional_cost",
    "05_brand_and_service_risk",
    "06_uncertainty_and_breakeven",
    "07_calibrate_from_crm",
    "08_recurring_revenue_and_cash",
}
MAX_TEXT_OUTPUT = 20_000  # characters of one text output: show heads and summaries, not tables
MAX_FILE_BYTES = 1_500_000
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FIRST_CELL = re.compile(r"from channelsim\.teaching import (\*|[\w, ]+)")
SETUP_CODE = ("sys.path", "find_root", "set_option", "%matplotlib", "importlib")

CONVERTED = {
    "01_direct_vs_indirect": [
        "sells the least",
        "is the slowest strategy",
        "of the indirect cost of sales is paid per sale",
        "would need some",
        "dips to",
        "With the bigger network",
    ],
    "02_hiring_limits_scaling": [
        "call for about",
        "Even then the formula needs about",
        "Recruiting capacity sets the pace.**",
        "The plan sells",
        "With the resellers catching the leads the team cannot take yet, the hybrid loses",
        "of the leads give up waiting",
    ],
    "03_partner_networks": [
        "gone within a year:",
        "would need about",
        "The kind that sells the most here",
    ],
    "04_margins_and_proportional_cost": [
        "Revenue per sale is",
        "The team's cost per sale is lowest in month",
        "The affiliates' line fits with",
        "Elasticity of the team that hires",
        "At 30% (a typical rate for digital products) the program's contribution is",
    ],
    "05_brand_and_service_risk": [
        "bad experiences, against",
        "fewer leads**",
        "refunds and escalations fall from",
        "Company leads fall from",
    ],
    "06_uncertainty_and_breakeven": [
        "differs from one replication to the next by",
        "Student's t for a 95% interval",
        "times narrower than the unpaired one",
        "The sign changes between",
        "Worth most to know",
    ],
    "07_calibrate_from_crm": [
        "are still open at the export date",
        "Censoring bias of the naive mean",
        "intervals hold the truth",
        "Today's team in the calibrated scenario",
        "active sellers as of",
        "Won deals a month in the first two months",
        "team's open deals are lost in month 0",
        "sells the most and",
    ],
    "08_recurring_revenue_and_cash": [
        "ends with the most annual recurring revenue",
        "cumulative contribution dips to",
        "lowest cash balance",
        "Full overlap: the hybrid sells",
    ],
}
"""Per notebook, fragments of the sentences moved from the text into code cells."""

DERIVED = {
    "01_direct_vs_indirect": {"30.4", "0.61"},
    "02_hiring_limits_scaling": {"30.4", "3.3"},
    "03_partner_networks": {"30.4", "2.3", "2.5"},
    "04_margins_and_proportional_cost": {"1.67", "1,050"},
    "05_brand_and_service_risk": {"1,050", "2.78", "29%", "8%", "0.98"},
    "06_uncertainty_and_breakeven": {"100,000"},
    "07_calibrate_from_crm": set(),
    "08_recurring_revenue_and_cash": {"9.1%"},
}
"""Numbers a notebook's text computes by hand from its inputs, the arithmetic shown with them
(30.4 days in a month, 1 / 0.30 = 3.3 years, 0.5 x 100 + 1,000 = 1,050, 0.88 / 0.90 = 0.98,
2.78 the t value of 5 replications, ...)."""

INPUT_SOURCES = [
    *sorted((ROOT / "scenarios").glob("*.toml")),
    ROOT / "examples" / "crm" / "truth.toml",
    ROOT / "docs" / "partner-kinds.md",
]
NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")


def _read(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_notebook_is_there() -> None:
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


def _exercises(nb) -> list:
    return [
        c
        for c in nb.cells
        if c.cell_type == "markdown" and re.search(r"^#+\s*Exercise\s+\d", c.source, re.M)
    ]


def _outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        for mime in ("text/markdown", "text/plain"):
            parts.append(out.get("data", {}).get(mime, ""))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_have_hidden_answers(path: Path) -> None:
    nb = _read(path)
    exercises = _exercises(nb)
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
def test_every_exercise_has_a_tagged_solution(path: Path) -> None:
    """Between an exercise and the next one (or the end) sits at least one solution cell."""
    nb = _read(path)
    cells = nb.cells
    starts = [cells.index(c) for c in _exercises(nb)]
    assert starts, f"{path.name}: no exercise"
    for begin, end in zip(starts, [*starts[1:], len(cells)], strict=True):
        title = cells[begin].source.splitlines()[0]
        assert any(RUNNER.is_solution(c) for c in cells[begin:end]), f"{title}: no solution cell"
    for index, cell in enumerate(cells):
        tags = cell.metadata.get("tags", [])
        assert "answer" not in tags, f"{path.name} cell {index}: the old tag 'answer'"
        if RUNNER.SOLUTION in tags:
            assert cell.cell_type == "code", f"{path.name} cell {index}: a markdown solution"
            assert index > starts[0], f"{path.name} cell {index}: a solution in the lesson"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solution_cells_are_saved_without_outputs(path: Path) -> None:
    nb = _read(path)
    shown = [i for i, c in enumerate(nb.cells) if RUNNER.is_solution(c) and c.outputs]
    assert not shown, f"{path.name}: solution cells {shown} were saved with their outputs"


def test_the_runner_strips_solution_outputs_only():
    nb = nbformat.v4.new_notebook()
    lesson = nbformat.v4.new_code_cell("1 + 1")
    solution = nbformat.v4.new_code_cell("2 + 2", metadata={"tags": ["solution"]})
    for cell, value in ((lesson, "2"), (solution, "4")):
        cell.outputs = [
            nbformat.v4.new_output("execute_result", {"text/plain": value}, execution_count=1)
        ]
    nb.cells = [lesson, solution]
    RUNNER.strip_solutions(nb)
    assert lesson.outputs and not solution.outputs


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
            assert WIDGET_VIEW not in data, f"{path.name}: a slider saved as a widget, not a figure"
            assert len(data.get("text/plain", "")) < MAX_TEXT_OUTPUT
            figure_as_text = data.get("text/plain", "").startswith("<Figure size")
            assert "image/png" in data or not figure_as_text, (
                f"{path.name}: a figure saved as text (no inline backend)"
            )
    assert pngs >= 1, f"{path.name}: no inline plot saved"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_cell_is_one_import_line(path: Path) -> None:
    first = _code_cells(_read(path))[0].source.strip()
    assert FIRST_CELL.fullmatch(first), f"{path.name}: the first cell is not one import line"


ROW_NUMBERS = re.compile(r"^0\s+\S")


def _shows_row_numbers(text: str) -> bool:
    """Whether a printed DataFrame has pandas' row numbers: no index name, first row ``0``.

    A named index (``month``, ``replication``) prints its name on the line under the header,
    so a table whose second line starts with ``0`` is indexed by position.
    """
    lines = text.splitlines()
    return len(lines) > 2 and bool(ROW_NUMBERS.match(lines[1]))


def test_the_row_number_check_tells_a_position_from_a_named_index():
    import pandas as pd

    numbered = pd.DataFrame({"leads": [5, 10], "sales": [1, 2]})
    assert _shows_row_numbers(repr(numbered))
    assert not _shows_row_numbers(repr(numbered.set_index("leads")))
    assert not _shows_row_numbers(repr(numbered.rename_axis("month")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_tables_show_no_row_numbers(path: Path) -> None:
    for index, cell in enumerate(_code_cells(_read(path))):
        for out in cell.outputs:
            text = out.get("data", {}).get("text/plain", "")
            assert not _shows_row_numbers(text), f"{path.name} code cell {index}: row numbers"


def _comments(source: str) -> list[str]:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    return [t.string for t in tokens if t.type == tokenize.COMMENT]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_cells_hold_no_setup_and_no_comments(path: Path) -> None:
    """Code a student reads: no sys.path or display set-up, no implementation comments."""
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type != "code":
            continue
        setup = [s for s in SETUP_CODE if s in cell.source]
        assert not setup, f"{path.name} cell {index}: set-up code {setup}"
        assert not _comments(cell.source), f"{path.name} cell {index}: {_comments(cell.source)}"


def test_the_comment_reader_sees_comments_not_hashes_in_strings():
    assert _comments("x = 1  # why\n") == ["# why"]
    assert _comments('TOML = """\nkey = 1  # a TOML comment\n"""\n') == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_sentences_moved_to_code_are_printed_by_code(path: Path) -> None:
    nb = _read(path)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    printed = "\n".join(_outputs_text(c) for c in _code_cells(nb))
    for fragment in CONVERTED[path.stem]:
        assert fragment not in markdown, f"{path.name}: {fragment!r} is typed in the text"
        assert fragment in printed, f"{path.name}: no code output says {fragment!r}"


def _value(token: str) -> float:
    return float(token.rstrip("%").replace(",", ""))


def _numbers(text: str) -> set[float]:
    return {_value(t) for t in NUMBER.findall(text)}


def _result_like(token: str) -> bool:
    digits = token.rstrip("%").replace(",", "").replace(".", "").lstrip("0")
    if token.endswith("%") or "." in token:
        return True
    value = _value(token)
    return len(digits) >= 3 and not (1900 <= value <= 2100)  # years are not results


INPUTS = set().union(*(_numbers(p.read_text(encoding="utf-8")) for p in INPUT_SOURCES))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_result_number_typed_in_the_text(path: Path) -> None:
    nb = _read(path)
    code = "\n".join(c.source for c in _code_cells(nb))
    inputs = INPUTS | _numbers(re.sub(r"(?<=\d)_(?=\d)", "", code))  # 250_000 is 250,000
    derived = DERIVED[path.stem]
    typed = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for token in NUMBER.findall(cell.source):
            if not _result_like(token) or token in derived:
                continue
            value = _value(token)
            candidates = {value, value / 100} if token.endswith("%") else {value}
            if not any(abs(c - i) < 1e-9 for c in candidates for i in inputs):
                typed.append(token)
    assert not typed, f"{path.name}: result-like numbers typed in the text: {typed}"


def test_the_number_check_sees_a_typed_result():
    assert NUMBER.findall("sells 1,401 (39.1%), a rate of 0.5, in 2024.") == [
        "1,401",
        "39.1%",
        "0.5",
        "2024",
    ]
    assert [_result_like(t) for t in ("1,401", "39.1%", "0.5", "2024", "60")] == [
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_top_to_bottom_on_a_clean_kernel(path: Path) -> None:
    nb = RUNNER.execute(path)  # raises CellExecutionError, naming the cell, on any error
    errors = [o for c in _code_cells(nb) for o in c.outputs if o.output_type == "error"]
    assert not errors
    silent = [i for i, c in enumerate(nb.cells) if RUNNER.is_solution(c) and not c.outputs]
    assert not silent, f"{path.name}: solution cells {silent} ran but showed nothing"
    assert not any(c.outputs for c in RUNNER.strip_solutions(nb).cells if RUNNER.is_solution(c))
