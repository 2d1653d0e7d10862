"""Plots and the HTML report, built from real output folders (a run and a comparison).

The folders come from a tiny scenario (6 months, 3 replications, one agent program) simulated
once per module. The browser test opens ``report.html`` in headless Chromium: every image must
load from its data URI (the page's own script counts them into ``data-images-ok``), and a
screenshot is kept under ``test-artifacts/report.png`` for a human to look at.
"""

from __future__ import annotations

import base64
import copy
import inspect
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from channelsim import analysis, plots
from channelsim.experiments.compare import compare
from channelsim.experiments.replications import simulate
from channelsim.metrics.formatting import axis_money, format_interval, format_value
from channelsim.outputs.figures import folder_figures, save_plots
from channelsim.outputs.reading import read_table
from channelsim.outputs.report import REPORT_HTML, build_report
from channelsim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
STRATEGIES = ["direct", "indirect", "hybrid"]
TARGET = 8.0

SCENARIO = {
    "scenario": {
        "name": "Report test: team <or> agents & co",
        "horizon_months": 6,
        "replications": 3,
        "seed": 5,
    },
    "targets": {"sales_per_month": TARGET},
    "product": {"price": 2000.0, "unit_cost": 300.0},
    "demand": {"leads_per_month": 60},
    "direct": {"initial_reps": 2, "deals_per_rep": 3},
    "partners": [{"name": "agents", "kind": "agent", "initial": 4, "commission_rate": 0.2}],
}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `run` output folder with three strategies (no differences.csv)."""
    folder = tmp_path_factory.mktemp("run") / "out"
    result = simulate(Scenario.model_validate(SCENARIO), STRATEGIES, jobs=1)
    result.save(folder)
    return folder


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `compare` output folder (with differences.csv and cost_elasticity)."""
    folder = tmp_path_factory.mktemp("compare") / "out"
    compare(Scenario.model_validate(SCENARIO), STRATEGIES, jobs=1).save(folder)
    assert (folder / "differences.csv").is_file()
    return folder


@pytest.fixture(scope="module")
def report(compare_folder: Path) -> Path:
    """report.html of the comparison folder, as the save wrote it (through build_report)."""
    return compare_folder / REPORT_HTML


def _figures(folder: Path, currency: str = "USD") -> dict[str, Figure]:
    monthly = pd.read_csv(folder / "monthly.csv")
    summary = pd.read_csv(folder / "summary.csv")
    fits = analysis.cost_fits(monthly)
    return {
        "sales": plots.plot_sales(monthly, target=TARGET),
        "capacity": plots.plot_capacity(monthly),
        "cumulative_contribution": plots.plot_cumulative_contribution(monthly, currency=currency),
        "cost_per_sale": plots.plot_cost_per_sale(monthly, currency=currency),
        "cost_vs_sales": plots.plot_cost_vs_sales(monthly, fits, currency=currency),
        "margin_bridge": plots.plot_margin_bridge(
            analysis.margin_bridge(summary), currency=currency
        ),
        "recurring": plots.plot_recurring(monthly, currency=currency),
        "cash_balance": plots.plot_cash_balance(monthly, currency=currency),
    }


def money_axes_labels(fig: Figure) -> list[str]:
    """The labels of the axes of ``fig`` that read as money (formatted 12.5k, 3.2M)."""
    labels = []
    for ax in fig.axes:
        for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
            formatter = axis.get_major_formatter()
            if getattr(formatter, "func", None) is axis_money:
                labels.append(label)
    return labels


def assert_money_in(fig: Figure, code: str, name: str) -> None:
    """Every money axis of ``fig`` is labelled and names ``code``; no placeholder anywhere."""
    texts = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
    assert not any("(currency)" in t or "currency," in t for t in texts), (name, texts)
    for label in money_axes_labels(fig):
        assert code in label, (name, label)


# --- plots ----------------------------------------------------------------------------------


def test_every_plot_is_a_figure_with_title_and_labelled_axes(run_folder: Path) -> None:
    figures = _figures(run_folder)
    public = {n[len("plot_") :] for n, f in inspect.getmembers(plots) if n.startswith("plot_")}
    assert public == set(figures), "a plot function is missing from this test"
    for name, fig in figures.items():
        assert isinstance(fig, Figure), name
        main_axes = [ax for ax in fig.axes if ax.get_xlabel()]  # twin axes share the x label
        assert main_axes, f"{name}: no labelled x axis"
        suptitle = fig.get_suptitle()
        for ax in main_axes:
            assert ax.get_title() or suptitle, f"{name}: no title"
            assert ax.get_ylabel(), f"{name}: no y label"
        assert any(ax.get_legend() for ax in fig.axes) or fig.legends, f"{name}: no legend"


def test_money_axes_name_the_currency(run_folder: Path) -> None:
    figures = _figures(run_folder, currency="JPY")
    money = {name for name, fig in figures.items() if money_axes_labels(fig)}
    assert money == {
        "cumulative_contribution",
        "cost_per_sale",
        "cost_vs_sales",
        "margin_bridge",
        "recurring",
        "cash_balance",
    }
    for name, fig in figures.items():
        assert_money_in(fig, "JPY", name)
    assert (
        "USD"
        in plots.plot_cash_balance(pd.read_csv(run_folder / "monthly.csv")).axes[0].get_ylabel()
    )


def test_folder_figures_read_the_currency_of_the_folder(tmp_path: Path) -> None:
    data = copy.deepcopy(SCENARIO)
    data["scenario"]["currency"] = "EUR"
    simulate(Scenario.model_validate(data), ["direct", "indirect"], jobs=1).save(tmp_path)
    built = {stem: build() for stem, build in folder_figures(tmp_path)}
    assert sum(bool(money_axes_labels(fig)) for fig in built.values()) >= 4
    for stem, fig in built.items():
        assert_money_in(fig, "EUR", stem)


def test_plots_draw_on_the_axes_given(run_folder: Path) -> None:
    monthly = pd.read_csv(run_folder / "monthly.csv")
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_sales(monthly, ax=ax) is fig
    assert {line.get_label() for line in ax.get_lines()} >= set(STRATEGIES)
    fig = Figure()
    axes = fig.subplots(1, 3)
    assert plots.plot_capacity(monthly, ax=list(axes)) is fig
    with pytest.raises(ValueError, match="one axes per strategy"):
        plots.plot_capacity(monthly, ax=axes[0])


def test_strategy_colours_are_stable() -> None:
    a = plots.strategy_colors(["hybrid", "lean", "direct"])
    b = plots.strategy_colors(["direct", "indirect", "hybrid", "lean"])
    assert a["hybrid"] == b["hybrid"] and a["direct"] == b["direct"] and a["lean"] == b["lean"]
    assert len(set(b.values())) == 4


def test_sales_band_is_the_t_interval(run_folder: Path) -> None:
    monthly = pd.read_csv(run_folder / "monthly.csv")
    fig = plots.plot_sales(monthly)
    ax = fig.axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "direct")
    rows = monthly[(monthly.strategy == "direct") & (monthly.channel == "total")]
    values = rows.pivot(index="replication", columns="month", values="sales").to_numpy(float)
    np.testing.assert_allclose(line.get_ydata(), values.mean(axis=0))


def test_save_plots_writes_one_png_per_plot(run_folder: Path) -> None:
    paths = save_plots(run_folder)
    # no subscription and no payment terms: no recurring-revenue or cash plot
    expected = [s for s in _figures(run_folder) if s not in ("recurring", "cash_balance")]
    assert [p.stem for p in paths] == expected
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"Software" not in data and b"matplotlib" not in data.lower()


def test_subscriptions_and_payment_terms_add_their_plots(tmp_path: Path) -> None:
    data = copy.deepcopy(SCENARIO)
    data["product"]["subscription"] = {"fee_per_month": 50.0}
    data["cash"] = {"customer_payment_days": 30}
    simulate(Scenario.model_validate(data), ["direct"], jobs=1).save(tmp_path)
    stems = [p.stem for p in save_plots(tmp_path)]
    assert stems[-3:] == ["recurring", "cash_balance", "margin_bridge"]
    assert "Recurring revenue and customers" in (tmp_path / REPORT_HTML).read_text()


def test_save_plots_skips_what_the_folder_lacks(tmp_path: Path, run_folder: Path) -> None:
    shutil.copy(run_folder / "summary.csv", tmp_path / "summary.csv")
    assert [p.stem for p in save_plots(tmp_path)] == ["margin_bridge"]
    assert save_plots(tmp_path / "empty") == []


# --- report ---------------------------------------------------------------------------------


def test_formatting() -> None:
    assert format_value("revenue", 1234567.4) == "1,234,567"
    assert format_value("contribution", -2500.0) == "\u22122,500"
    assert format_value("lost_lead_share", 0.2345) == "23.4%"
    assert format_value("revenue", -0.2) == "0"
    assert format_interval("npv", -5000.0, -1000.0) == "\u22125,000 \u2013 \u22121,000"
    assert format_interval("sales", 10.0, 12.5) == "10.0\u201312.5"


def test_report_is_self_contained(report: Path, compare_folder: Path) -> None:
    text = report.read_text(encoding="utf-8")
    pngs = sorted((compare_folder / "plots").glob("*.png"))
    assert len(pngs) == 6
    for png in pngs:
        assert f"data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()}" in text
    assert text.count("<img ") == len(pngs)
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", text), "external reference"
    assert "<title>Report test: team &lt;or&gt; agents &amp; co" in text  # escaped
    # the sections a reader looks for, from the folder's own files
    for heading in ("Verdict", "Key metrics", "By channel", "Paired differences", "Plots"):
        assert f"<h2>{heading}</h2>" in text
    assert "cost elasticity" in text and "p_better" not in text
    assert "common random numbers" in text and "times the" in text
    assert "seed 5" in text and "3 replications" in text
    assert "[scenario]" in text  # the resolved scenario, escaped in a <pre>
    assert not list(compare_folder.glob(".report.html.tmp*"))


def test_report_without_differences(run_folder: Path) -> None:
    text = build_report(run_folder).read_text(encoding="utf-8")
    assert "<h2>Paired differences</h2>" not in text
    assert "<h2>Verdict</h2>" in text and text.count("<img ") == 6


def test_report_is_deterministic(report: Path, compare_folder: Path) -> None:
    # the save built the report inside a temporary folder; rebuilding in place gives same bytes
    first = {p.name: p.read_bytes() for p in [report, *(compare_folder / "plots").glob("*")]}
    build_report(compare_folder)
    second = {
        p.name: p.read_bytes()
        for p in [compare_folder / REPORT_HTML, *(compare_folder / "plots").glob("*")]
    }
    assert first == second


# --- the browser ----------------------------------------------------------------------------


def _chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={user_data}",
    ]
    return subprocess.run(
        [str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=90, check=False
    )


@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run "
    "installs it, and under CI a missing browser fails instead of skipping)",
)
def test_report_renders_in_a_browser(report: Path, tmp_path: Path) -> None:
    images = report.read_text(encoding="utf-8").count("<img ")
    dom = _chromium("--dump-dom", report.as_uri(), user_data=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'data-images-ok="{images}/{images}"' in dom.stdout

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    res = _chromium(
        f"--screenshot={shot}",
        "--window-size=1280,2400",
        report.as_uri(),
        user_data=tmp_path / "profile",
    )
    assert res.returncode == 0, res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2400)
    assert len(data) > 50_000, "the screenshot looks blank"


def test_pairing_sentence_says_what_pairing_did() -> None:
    from channelsim.outputs.report_sections import pairing_sentence

    assert "0.40 times the width" in pairing_sentence([0.3, 0.4, 0.5])
    assert "here it does not" in pairing_sentence([1.2, 1.4])


def test_names_that_look_like_missing_values_stay_names(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("strategy,channel,mean\nhybrid,NA,1.5\nhybrid,total,\n", encoding="utf-8")
    frame = read_table(table)
    assert frame is not None
    assert list(frame["channel"]) == ["NA", "total"]
    assert np.isnan(frame["mean"].iloc[1])


def test_plots_drawn_in_parallel_are_the_same_bytes(tmp_path: Path, run_folder: Path) -> None:
    serial = {p.name: p.read_bytes() for p in save_plots(run_folder, jobs=1)}
    parallel = {p.name: p.read_bytes() for p in save_plots(run_folder, jobs=2)}
    assert len(serial) >= 5
    assert parallel == serial
