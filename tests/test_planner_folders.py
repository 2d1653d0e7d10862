"""results.xlsx and money labels of the planners' folders: sweep, breakeven, sensitivity,
optimize and voi.

Each planner runs once on a small scenario built here, in a scenario currency of CHF. The
workbook is read back with openpyxl and pandas: its values are the CSV's (or JSON's), numbers
are numbers, the header row is frozen, money columns carry the currency's number format, the
manifest lists the workbook, and the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from channelsim import optimize, voi
from channelsim.outputs.xlsx import (
    FULL_SHEET_ROWS,
    Sheet,
    assumptions_frame,
    sweep_sheets,
    write_workbook,
)
from channelsim.planning.breakeven import breakeven
from channelsim.planning.options import RunOptions
from channelsim.planning.sensitivity import sensitivity
from channelsim.planning.sweep import sweep
from channelsim.scenario import Scenario
from channelsim.verification.decisions import linear_voi_scenario, share_routing_scenario
from tests.test_report import assert_money_in, money_axes_labels

CHF = '#,##0 "CHF";-#,##0 "CHF"'

SMALL = {
    "scenario": {
        "name": "planner folders",
        "horizon_months": 6,
        "replications": 3,
        "seed": 5,
        "currency": "CHF",
    },
    "product": {"price": 1000.0, "unit_cost": 100.0},
    "demand": {"leads_per_month": 40},
    "direct": {"initial_reps": 2, "deals_per_rep": 3},
    "partners": [{"name": "VARs", "kind": "reseller", "initial": 3}],
}


def _small() -> Scenario:
    return Scenario.model_validate(SMALL)


def _sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, engine="openpyxl")


def _assert_same_table(sheet: pd.DataFrame, csv: pd.DataFrame) -> None:
    """The sheet holds the CSV's values: numbers as numbers (to the CSV's 10 digits)."""
    assert list(sheet.columns) == list(csv.columns)
    assert len(sheet) == len(csv)
    for column in csv.columns:
        a, b = sheet[column], csv[column]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            assert pd.api.types.is_numeric_dtype(a), column
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9)
        else:
            assert a.fillna("").astype(str).tolist() == b.fillna("").astype(str).tolist(), column


def _formats(path: Path, sheet: str) -> dict[str, set[str]]:
    """Column header -> the number formats of its numeric cells."""
    ws = openpyxl.load_workbook(path)[sheet]
    header = [c.value for c in ws[1]]
    out: dict[str, set[str]] = {h: set() for h in header}
    for row in ws.iter_rows(min_row=2):
        for h, cell in zip(header, row, strict=True):
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                out[h].add(cell.number_format)
    return out


def _check_workbook(folder: Path, sheets: list[str]) -> Path:
    path = folder / "results.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == sheets
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(cell.font.bold for cell in ws[1]), ws.title
        for cell in ws[1]:  # wide enough for the header, never wider than 62
            width = ws.column_dimensions[cell.column_letter].width
            assert len(str(cell.value)) + 2 <= width <= 62, (ws.title, cell.value, width)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "results.xlsx" in manifest["files"]
    assumptions = _sheet(path, "assumptions")
    assert "scenario.currency" in set(assumptions["key"])
    assert assumptions.set_index("key").loc["scenario.currency", "value"] == "CHF"
    return path


# --- the writer -----------------------------------------------------------------------------------


def test_the_same_tables_give_the_same_bytes(tmp_path):
    frame = pd.DataFrame({"metric": ["npv", "lost_lead_share"], "mean": [1.5e6, 0.25]})
    sheets = [Sheet("summary", frame, row_formats="metric", value_columns=["mean"], currency="CHF")]
    first = write_workbook(tmp_path / "a.xlsx", sheets).read_bytes()
    time.sleep(2.1)  # zip times have a 2-second resolution: a clock in the file would show
    second = write_workbook(tmp_path / "b.xlsx", sheets).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert wb["summary"]["B2"].number_format == CHF
    assert wb["summary"]["B3"].number_format == "0.0%"


def test_a_large_sweep_keeps_the_plotted_metric_and_says_so():
    scenario = _small()
    n = FULL_SHEET_ROWS // 2 + 1  # two metrics: every metric would not fit
    points = pd.DataFrame({"point": range(n), "x": range(n)})
    summary = pd.DataFrame(
        {
            "point": np.repeat(np.arange(n), 2),
            "metric": ["npv", "sales"] * n,
            "mean": np.arange(2 * n, dtype=float),
        }
    )
    sheets = sweep_sheets(scenario, points, summary, None, "npv")
    assert sheets is not None
    names = [s.name for s in sheets]
    assert names == ["points", "summary", "notes", "assumptions"]
    kept = sheets[1].frame
    assert set(kept.metric) == {"npv"} and len(kept) == n
    assert "summary holds npv only" in sheets[2].frame.note.iloc[0]
    # a sweep whose points alone overflow an Excel sheet gets no workbook
    huge = pd.DataFrame({"point": range(1_048_576), "x": 0})
    assert sweep_sheets(scenario, huge, summary.iloc[:0], None, "npv") is None


def test_assumptions_list_every_key_with_its_value():
    frame = assumptions_frame(_small())
    table = frame.set_index("key")
    assert table.loc["demand.leads_per_month", "value"] == 40
    assert table.loc["partners.VARs.kind", "value"] == "reseller"
    assert table.loc["scenario.currency", "description"]


# --- each planner's folder ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweep") / "out"
    sweep(
        _small(),
        ["product.price=500,1000,2000"],
        strategies=["direct", "hybrid"],
        out=folder,
        options=RunOptions(jobs=1),
    )
    return folder


def test_sweep_workbook_holds_points_summary_and_differences(sweep_folder):
    path = _check_workbook(sweep_folder, ["points", "summary", "differences", "assumptions"])
    for name in ("points", "summary", "differences"):
        csv = pd.read_csv(sweep_folder / f"{name}.csv")
        sheet = _sheet(path, name)
        if name != "points":  # a unit column after metric, as in the run workbook
            assert list(sheet.columns).index("unit") == list(sheet.columns).index("metric") + 1
            units = dict(zip(sheet["metric"], sheet["unit"], strict=True))
            assert units["npv"] == "CHF" and "CHF" not in str(units["sales"])
            sheet = sheet.drop(columns="unit")
        _assert_same_table(sheet, csv)
    ws = openpyxl.load_workbook(path)["summary"]
    header = [c.value for c in ws[1]]
    by_metric = {}
    for row in ws.iter_rows(min_row=2, values_only=False):
        cells = dict(zip(header, row, strict=True))
        if isinstance(cells["mean"].value, int | float):  # empty: "never" (NaN)
            by_metric.setdefault(cells["metric"].value, cells["mean"].number_format)
    assert by_metric["contribution"] == CHF and by_metric["npv"] == CHF
    assert by_metric["lost_lead_share"] == "0.0%"
    assert by_metric["mean_wait_days"] == "#,##0.0" and by_metric["utilization"] == "0.0%"


def test_sweep_workbook_bytes_do_not_depend_on_the_run(sweep_folder, tmp_path):
    again = tmp_path / "again"
    sweep(
        _small(),
        ["product.price=500,1000,2000"],
        strategies=["direct", "hybrid"],
        out=again,
        options=RunOptions(jobs=2),
    )
    first = (sweep_folder / "results.xlsx").read_bytes()
    assert (again / "results.xlsx").read_bytes() == first


@pytest.fixture(scope="module")
def breakeven_result(tmp_path_factory):
    res = breakeven(
        _small(),
        "product.price",
        200,
        4000,
        a="hybrid",
        b=None,
        scan=3,
        options=RunOptions(jobs=1),
    )
    folder = tmp_path_factory.mktemp("breakeven") / "out"
    res.save(folder)
    return res, folder


def test_breakeven_workbook_holds_the_answer_and_the_curve(breakeven_result):
    res, folder = breakeven_result
    path = _check_workbook(folder, ["breakeven", "evaluations", "assumptions"])
    doc = json.loads((folder / "breakeven.json").read_text())
    answer = _sheet(path, "breakeven").iloc[0]
    assert answer["param"] == "product.price" and answer["metric"] == "contribution"
    assert answer["a"] == "hybrid" and pd.isna(answer["b"])
    if doc["value"] is None:
        assert pd.isna(answer["value"])
    else:
        assert answer["value"] == pytest.approx(doc["value"])
    assert answer["message"] == doc["message"]
    _assert_same_table(_sheet(path, "evaluations"), pd.DataFrame(doc["evaluations"]))
    formats = _formats(path, "evaluations")
    assert formats["mean"] == {CHF} and formats["ci_high"] == {CHF}
    assert formats["value"] == {"General"}


def test_sensitivity_workbook_holds_the_tornado(tmp_path):
    res = sensitivity(
        _small(),
        metric="npv",
        strategy="direct",
        params=["demand.leads_per_month=30:50", "direct.salary_annual=60000:120000"],
        options=RunOptions(jobs=1),
    )
    res.save(tmp_path / "out")
    path = _check_workbook(tmp_path / "out", ["tornado", "assumptions"])
    _assert_same_table(_sheet(path, "tornado"), pd.read_csv(tmp_path / "out" / "sensitivity.csv"))
    formats = _formats(path, "tornado")
    assert formats["metric_low"] == {CHF} and formats["swing"] == {CHF}
    assert formats["delta_high_ci_low"] == {CHF}
    assert formats["low"] == {"General"}  # a parameter's own value: no unit known
    assert_money_in(res.plot(), "CHF", "tornado")


def test_optimize_workbook_holds_the_optimum_and_the_search(tmp_path):
    scenario = share_routing_scenario(2).with_overrides(
        {"scenario.horizon_months": 3, "scenario.currency": "CHF"}
    )
    res = optimize(
        scenario,
        ["routing.direct_share=0:1"],
        evaluations=20,
        constraints=["lost_lead_share<=0.5"],
        options=RunOptions(jobs=1),
    )
    res.save(tmp_path / "out")
    path = _check_workbook(
        tmp_path / "out", ["optimum", "evaluations", "constraints", "assumptions"]
    )
    _assert_same_table(
        _sheet(path, "evaluations"), pd.read_csv(tmp_path / "out" / "evaluations.csv")
    )
    optimum = _sheet(path, "optimum").set_index("row")
    doc = json.loads((tmp_path / "out" / "optimum.json").read_text())
    assert optimum.loc["chosen", "objective"] == pytest.approx(doc["objective"]["value"])
    assert optimum.loc["gain over the base", "ci_low"] == pytest.approx(
        doc["objective"]["gain"]["ci_low"]
    )
    assert optimum.loc["chosen", "routing.direct_share"] == pytest.approx(
        doc["values"]["routing.direct_share"]
    )
    formats = _formats(path, "evaluations")
    assert formats["objective"] == {CHF} and formats["lost_lead_share"] == {"0.0%"}
    for stem, fig in res.plots():
        assert_money_in(fig, "CHF", stem)
    assert any(money_axes_labels(fig) for _, fig in res.plots())


def test_voi_workbook_holds_evppi_and_strategies(tmp_path):
    scenario = linear_voi_scenario(2).with_overrides(
        {"scenario.horizon_months": 3, "scenario.currency": "CHF"}
    )
    res = voi(
        scenario,
        ["partners.agents.commission_rate=0.05:0.35", "direct.salary_annual=50000:150000"],
        strategies=["indirect", "fixed_fee"],
        samples=16,
        out=tmp_path / "out",
        options=RunOptions(jobs=1),
    )
    path = _check_workbook(tmp_path / "out", ["evppi", "strategies", "assumptions"])
    csv = pd.read_csv(tmp_path / "out" / "voi.csv")
    evppi = _sheet(path, "evppi").set_index("param")
    for row in csv[csv.kind == "evppi"].itertuples(index=False):
        assert evppi.loc[row.name, "evppi"] == pytest.approx(row.value)
        assert evppi.loc[row.name, "ci_low"] == pytest.approx(row.ci_low)
    strategies = _sheet(path, "strategies").set_index("strategy")
    for row in csv[csv.kind == "prob_best"].itertuples(index=False):
        assert strategies.loc[row.name, "prob_best"] == pytest.approx(row.value)
    formats = _formats(path, "strategies")
    assert formats["prob_best"] == {"0.0%"} and formats["expected_loss"] == {CHF}
    assert _formats(path, "evppi")["evppi"] == {CHF}
    assert_money_in(res.plot(), "CHF", "voi")


# --- money labels of the planners' plots ----------------------------------------------------------


def test_planner_plots_name_the_currency(sweep_folder, breakeven_result):
    res, _folder = breakeven_result
    fig = res.plot()
    assert money_axes_labels(fig) == ["contribution of hybrid (CHF)"]
    for stem in ("sweep_contribution", "sweep_contribution_direct_minus_hybrid"):
        assert (sweep_folder / "plots" / f"{stem}.png").is_file()
    one = sweep(_small(), ["product.price=500,2000"], strategies=["direct", "hybrid"])
    two = sweep(
        _small().with_overrides({"scenario.replications": 2}),
        ["product.price=500,2000", "demand.leads_per_month=20,40"],
        strategies=["direct", "hybrid"],
    )
    three = sweep(
        _small().with_overrides({"scenario.replications": 2}),
        ["product.price=500,2000", "demand.leads_per_month=20,40", "direct.initial_reps=1,2"],
        strategies=["direct"],
    )
    for result in (one, two, three):
        for stem, fig in result.plots("contribution"):
            labels = money_axes_labels(fig)
            assert labels, stem
            assert_money_in(fig, "CHF", stem)
        for stem, fig in result.plots("sales"):  # not money: no currency
            assert not money_axes_labels(fig), stem
