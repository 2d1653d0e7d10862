"""``results.xlsx`` in run and compare folders: read back, it holds the CSVs' numbers as
numbers, frozen headers, currency formats in the scenario's currency, and the same bytes for
the same run (whatever the number of processes, whenever it is written).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from functools import partial
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from channelsim.cli import main
from channelsim.outputs.figures import save_plots
from channelsim.outputs.xlsx import write_folder_workbook
from tests.conftest import small_hybrid_toml

SCENARIO = small_hybrid_toml(
    "workbook", horizon=5, replications=3, seed=4, extra='currency = "EUR"\n'
)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _compare(scenario: Path, out: Path, jobs: int) -> Path:
    args = ["compare", str(scenario), "--no-elasticity", "--jobs", str(jobs), "-o", str(out), "-q"]
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def compare_folder(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _compare(scenario, tmp_path_factory.mktemp("cmp") / "out", jobs=1)


def _sheet(folder: Path, name: str) -> pd.DataFrame:
    path = folder / "results.xlsx"
    return pd.read_excel(path, sheet_name=name, keep_default_na=False, na_values=[""])


def test_compare_folder_lists_its_workbook(compare_folder: Path) -> None:
    manifest = json.loads((compare_folder / "manifest.json").read_text(encoding="utf-8"))
    assert "results.xlsx" in manifest["files"]
    book = openpyxl.load_workbook(compare_folder / "results.xlsx")
    assert book.sheetnames == [
        "decision", "swing", "summary", "differences", "monthly", "assumptions",
    ]  # fmt: skip


def test_decision_sheet_opens_on_the_terminals_recommendation(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(scenario), "--no-elasticity", "--jobs", "1", "-o", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())  # the terminal wraps long lines
    decision = _sheet(out, "decision")
    assert list(decision["section"])[0] == "recommendation"
    assert decision["sentence"].iloc[0].startswith("Recommendation: ")
    for sentence in decision["sentence"]:  # each sentence is the one the analyst read
        assert sentence in printed
    assert "what would change the answer" in set(decision["section"])
    swing = _sheet(out, "swing")
    csv = pd.read_csv(out / "swing.csv")
    assert list(swing["param"]) == list(csv["param"])
    assert swing["swing"].tolist() == pytest.approx(csv["swing"].tolist())
    book = openpyxl.load_workbook(out / "results.xlsx")
    header = [c.value for c in book["swing"][1]]
    assert "EUR" in book["swing"].cell(2, header.index("swing") + 1).number_format


def test_summary_sheet_holds_summary_csv_as_numbers(compare_folder: Path) -> None:
    csv = pd.read_csv(compare_folder / "summary.csv", keep_default_na=False, na_values=[""])
    sheet = _sheet(compare_folder, "summary")
    assert list(sheet.drop(columns="unit").columns) == list(csv.columns)
    assert len(sheet) == len(csv)
    for column in ("mean", "std", "ci_low", "ci_high", "n", "median"):
        assert pd.api.types.is_numeric_dtype(sheet[column]), column
        pd.testing.assert_series_equal(sheet[column], csv[column], check_dtype=False)
    for column in ("strategy", "channel", "metric"):
        assert sheet[column].astype(str).tolist() == csv[column].astype(str).tolist()
    units = dict(zip(sheet["metric"], sheet["unit"], strict=False))
    assert units["revenue"] == "EUR"
    assert units["cost_per_sale"] == "EUR per sale"
    assert units["sales"] == "sales"


def test_differences_sheet_holds_differences_csv(compare_folder: Path) -> None:
    csv = pd.read_csv(compare_folder / "differences.csv", keep_default_na=False, na_values=[""])
    sheet = _sheet(compare_folder, "differences")
    assert len(sheet) == len(csv)
    for column in ("mean", "ci_low", "ci_high", "p_better"):
        pd.testing.assert_series_equal(sheet[column], csv[column], check_dtype=False)


def test_monthly_sheet_is_the_mean_over_replications(compare_folder: Path) -> None:
    monthly = pd.read_csv(compare_folder / "monthly.csv", keep_default_na=False, na_values=[""])
    sheet = _sheet(compare_folder, "monthly")
    assert "revenue (EUR)" in sheet.columns and "sales" in sheet.columns
    row = sheet[(sheet["strategy"] == "hybrid") & (sheet["channel"] == "total")]
    row = row[row["month"] == 2].iloc[0]
    hybrid = monthly[(monthly["strategy"] == "hybrid") & (monthly["channel"] == "total")]
    cells = hybrid[hybrid["month"] == 2]
    assert row["replications"] == 3 == len(cells)
    assert row["revenue (EUR)"] == pytest.approx(sum(cells["revenue"]) / 3)
    assert row["sales"] == pytest.approx(sum(cells["sales"]) / 3)


def test_headers_are_frozen_and_money_has_its_currency(compare_folder: Path) -> None:
    book = openpyxl.load_workbook(compare_folder / "results.xlsx")
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2", ws.title
    ws = book["summary"]
    header = [c.value for c in ws[1]]
    metric, mean = header.index("metric") + 1, header.index("mean") + 1
    formats = {}
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(r, mean)
        assert cell.data_type == "n" or cell.value is None  # numbers, never text
        formats.setdefault(ws.cell(r, metric).value, cell.number_format)
    assert "EUR" in formats["revenue"] and "EUR" in formats["npv"]
    assert "%" in formats["contribution_margin"]
    assert "EUR" not in formats["sales"]
    monthly = book["monthly"]
    header = [c.value for c in monthly[1]]
    assert "EUR" in monthly.cell(2, header.index("revenue (EUR)") + 1).number_format


def test_columns_are_sized_to_their_content(compare_folder: Path) -> None:
    book = openpyxl.load_workbook(compare_folder / "results.xlsx")
    ws = book["assumptions"]
    widths = _widths(compare_folder, "assumptions")
    longest_key = max(len(str(c.value)) for c in ws["A"])
    assert longest_key <= widths[1] <= longest_key + 4
    assert widths[3] <= 62  # long descriptions are capped, not a screen wide
    assert _widths(compare_folder, "summary")[1] < 20


def _widths(folder: Path, sheet: str) -> dict[int, float]:
    """Column (1-based) -> width, from the sheet's ``<col min max width>`` ranges."""
    import re

    book = openpyxl.load_workbook(folder / "results.xlsx")
    index = book.sheetnames.index(sheet) + 1
    with zipfile.ZipFile(folder / "results.xlsx") as archive:
        xml = archive.read(f"xl/worksheets/sheet{index}.xml").decode()
    widths = {}
    for col in re.findall(r"<col [^>]*>", xml):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', col))
        for k in range(int(attrs["min"]), int(attrs["max"]) + 1):
            widths[k] = float(attrs["width"])
    return widths


def test_assumptions_sheet_has_the_resolved_keys(compare_folder: Path) -> None:
    sheet = _sheet(compare_folder, "assumptions")
    values = dict(zip(sheet["key"], sheet["value"], strict=False))
    assert values["scenario.currency"] == "EUR"
    assert values["product.price"] == 1000
    assert values["partners.VARs.kind"] == "reseller"


def test_workbook_carries_no_clock_time(compare_folder: Path) -> None:
    with zipfile.ZipFile(compare_folder / "results.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "dcterms:created" not in core and "dcterms:modified" not in core


def test_same_bytes_with_one_or_two_processes(
    scenario: Path, compare_folder: Path, tmp_path: Path
) -> None:
    two = _compare(scenario, tmp_path / "two", jobs=2)
    assert (two / "results.xlsx").read_bytes() == (compare_folder / "results.xlsx").read_bytes()


def test_run_writes_it_and_report_rebuilds_it(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--jobs", "1", "-o", str(out), "-q"]) == 0
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert book.sheetnames == ["summary", "monthly", "assumptions"]  # no differences in a run
    first = (out / "results.xlsx").read_bytes()
    (out / "results.xlsx").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "results.xlsx").read_bytes() == first
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "results.xlsx" in manifest["files"] and "report.html" in manifest["files"]


def test_the_plot_workers_write_it_as_one_process_would(compare_folder: Path, tmp_path) -> None:
    expected = (compare_folder / "results.xlsx").read_bytes()
    for jobs in (1, 3):
        folder = tmp_path / f"jobs{jobs}"
        shutil.copytree(compare_folder, folder)
        (folder / "results.xlsx").unlink()
        plots = save_plots(folder, jobs=jobs, also=[partial(write_folder_workbook, folder)])
        assert [p.parent.name for p in plots] == ["plots"] * len(plots) and plots
        assert (folder / "results.xlsx").read_bytes() == expected, jobs


def _fails() -> None:
    raise RuntimeError("workbook failed")


def test_a_failing_writer_in_the_plot_workers_is_raised(compare_folder: Path, tmp_path) -> None:
    folder = tmp_path / "f"
    shutil.copytree(compare_folder, folder)
    for jobs in (1, 2):
        with pytest.raises(RuntimeError, match="workbook failed"):
            save_plots(folder, jobs=jobs, also=[_fails])


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    """A name such as ``=HYPERLINK(...)`` is a string in the workbook, never a formula that
    Excel would run when the forwarded file is opened."""
    from channelsim.outputs.xlsx import Sheet, write_workbook

    hostile = ['=HYPERLINK("http://x.invalid","click")', "+1+1", "-2", "@SUM(A1)"]
    path = write_workbook(tmp_path / "f.xlsx", [Sheet("names", pd.DataFrame({"name": hostile}))])
    ws = openpyxl.load_workbook(path)["names"]
    cells = [ws.cell(r, 1) for r in range(2, 2 + len(hostile))]
    assert [c.value for c in cells] == hostile
    assert {c.data_type for c in cells} == {"s"}


def test_writing_a_run_folder_does_not_import_the_reader(scenario: Path, tmp_path: Path) -> None:
    """The command line writes with XlsxWriter; openpyxl (this suite's reader) is not needed."""
    import subprocess
    import sys

    out = tmp_path / "run"
    code = (
        "import sys; sys.modules['openpyxl'] = None; from channelsim.cli import main; "
        f"raise SystemExit(main(['run', {str(scenario)!r}, '-o', {str(out)!r}, '-q']))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    assert openpyxl.load_workbook(out / "results.xlsx").sheetnames[0] == "summary"
