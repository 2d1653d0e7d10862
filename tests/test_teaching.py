"""channelsim.teaching: the helpers behind the notebooks' one-line first cell.

Tables are checked on a hand-written summary (known means, medians and counts), the scenario
finder on the repository's layout and on a folder of its own, and the slider helper on its
headless path, the one CI and every notebook viewer see: no widget, one figure for the draw
function's default values.
"""

from __future__ import annotations

import math
import types

import pandas as pd
import pytest
from matplotlib.figure import Figure

from channelsim import teaching
from channelsim.errors import UsageError


def _summary() -> pd.DataFrame:
    rows = []

    def add(strategy, metric, mean, n, median=math.nan, low=math.nan, high=math.nan):
        rows.append(
            {
                "strategy": strategy,
                "channel": "total",
                "metric": metric,
                "mean": mean,
                "std": 0.0,
                "ci_low": low,
                "ci_high": high,
                "n": n,
                "median": median,
            }
        )

    add("direct", "sales", 1401.2, 8, low=1380.0, high=1422.0)
    add("partners", "sales", 272.0, 8)
    add("direct", "contribution_margin", 0.1444, 8)
    add("partners", "contribution_margin", -0.05, 8)
    add("direct", "months_to_target", 12.4, 8, median=12.0)
    add("partners", "months_to_target", math.nan, 0)
    add("direct", "payback_month", 20.0, 2)  # 6 of 8 never pay back: the median is "never"
    add("partners", "payback_month", 18.5, 6, median=19.0)
    add("direct", "npv", 2_430_232.0, 8, low=2_052_571.0, high=2_807_892.0)
    add("partners", "npv", 295_591.0, 8, low=-138_818.0, high=452_365.0)
    return pd.DataFrame(rows)


def test_table_formats_each_metric_in_its_unit_and_tells_censored_times():
    t = teaching.table(_summary(), ["sales", "contribution_margin", "months_to_target"])
    assert list(t.columns) == ["direct", "partners"]
    assert list(t.index) == ["sales", "contribution_margin", "months_to_target"]
    assert t.loc["sales", "direct"] == "1,401"
    assert t.loc["contribution_margin", "direct"] == "14.4%"
    assert t.loc["contribution_margin", "partners"] == "-5.0%"
    assert t.loc["months_to_target", "direct"] == "12.0 (reached in 8 of 8)"
    assert t.loc["months_to_target", "partners"] == "reached in 0 of 8"


def test_a_time_most_replications_never_reach_shows_no_median():
    t = teaching.table(_summary(), ["payback_month"], strategies=["partners", "direct"])
    assert list(t.columns) == ["partners", "direct"]
    assert t.loc["payback_month", "partners"] == "19.0 (reached in 6 of 8)"
    assert t.loc["payback_month", "direct"] == "reached in 2 of 8"  # not the flattering mean 20


def test_means_are_the_numbers_and_unknown_metrics_are_named():
    m = teaching.means(_summary(), ["npv", "sales"])
    assert m.loc["npv", "direct"] == pytest.approx(2_430_232.0)
    assert m.loc["sales", "partners"] == pytest.approx(272.0)
    with pytest.raises(UsageError, match="no metric revenue"):
        teaching.means(_summary(), ["sales", "revenue"])


def test_estimates_show_the_interval_in_the_means_unit():
    e = teaching.estimates(_summary(), "npv")
    assert list(e.index) == ["direct", "partners"]
    assert e.loc["direct", "mean"] == "2,430,232"
    assert e.loc["partners", "95% interval"] == "-138,818 to 452,365"
    assert e.loc["partners", "replications"] == 8


def test_reached_in_words():
    s = _summary()
    assert teaching.reached(s, "months_to_target", "direct") == (
        "month 12.0 (median), reached in 8 of 8 replications"
    )
    assert teaching.reached(s, "months_to_target", "partners") == (
        "never reached (0 of 8 replications)"
    )
    assert teaching.reached(s, "payback_month", "direct") == "reached in only 2 of 8 replications"
    with pytest.raises(UsageError):
        teaching.reached(s, "sales", "direct")


def test_numbers_in_sentences():
    assert teaching.share(0.3935) == "39.4%"
    assert teaching.money(2_430_232) == "2.43M"
    assert teaching.money(2_430_232, exact=True) == "2,430,232"
    assert teaching.number("sales", 1401.2) == "1,401"


def test_load_finds_a_shipped_scenario_by_short_name(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not inside the repository: found next to the package
    assert teaching.load("saas_midmarket").partners[0].name
    assert (
        teaching.load("saas_midmarket.toml", {"scenario.horizon_months": 7}).scenario.horizon_months
        == 7
    )
    with pytest.raises(UsageError, match="the shipped ones: .*saas_midmarket"):
        teaching.load("no_such_market")


def test_repo_path_and_out_folder_search_upwards(monkeypatch, tmp_path):
    (tmp_path / "notebooks" / "deep").mkdir(parents=True)
    (tmp_path / "examples" / "crm").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks" / "deep")
    assert teaching.repo_path("examples", "crm") == tmp_path / "examples" / "crm"
    assert teaching.out_folder("01_report") == tmp_path / "notebooks" / "out" / "01_report"
    with pytest.raises(UsageError, match="open the notebook from inside"):
        teaching.repo_path("no", "such", "thing")


def test_link_is_relative_to_the_working_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    inside = tmp_path / "out" / "run" / "report.html"
    assert teaching.link(inside) == "[out/run/report.html](out/run/report.html)"
    elsewhere = tmp_path.parent / "report.html"
    assert teaching.link(elsewhere) == f"[{elsewhere.as_posix()}]({elsewhere.as_posix()})"


def test_say_prints_outside_a_notebook(capsys):
    teaching.say("39.4% leave within a year")
    assert capsys.readouterr().out == "39.4% leave within a year\n"


# --- the slider helper ----------------------------------------------------------------------


def _recording_draw(calls):
    def draw(discount=0.3, hires=3):
        calls.append((discount, hires))
        fig = Figure()
        fig.add_subplot().plot([0, 1], [discount, hires])
        return fig

    return draw


def test_what_if_headless_draws_once_for_the_defaults():
    calls = []
    fig = teaching.what_if(_recording_draw(calls), discount=(0.1, 0.4, 0.05), hires=(1, 12, 1))
    assert isinstance(fig, Figure)
    assert calls == [(0.3, 3)]


def test_what_if_is_static_in_a_kernel_when_told_headless(monkeypatch):
    """A kernel with ipywidgets still draws a static figure when the run is headless."""
    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setattr(teaching, "_shell", lambda: shell)
    monkeypatch.setenv(teaching.STATIC_FIGURES, "1")
    calls = []
    assert isinstance(teaching.what_if(_recording_draw(calls), hires=(1, 12, 1)), Figure)
    assert calls == [(0.3, 3)]


def test_what_if_shows_sliders_in_a_kernel(monkeypatch):
    import ipywidgets as widgets  # in [test]: CI checks the real widgets

    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setattr(teaching, "_shell", lambda: shell)
    monkeypatch.delenv(teaching.STATIC_FIGURES, raising=False)
    seen = {}
    monkeypatch.setattr(widgets, "interact", lambda f, **w: seen.update(w))
    calls = []
    assert (
        teaching.what_if(_recording_draw(calls), discount=(0.1, 0.4, 0.05), hires=(1, 12, 1))
        is None
    )
    assert calls == []  # interact draws it, with the sliders' values
    assert isinstance(seen["discount"], widgets.FloatSlider) and seen["discount"].value == 0.3
    assert isinstance(seen["hires"], widgets.IntSlider) and seen["hires"].value == 3
    assert seen["hires"].continuous_update is False  # one redraw when the slider is let go


def test_what_if_refuses_a_control_without_a_default():
    def draw(discount, hires=3):
        return Figure()

    with pytest.raises(TypeError, match="'discount' must be a parameter of draw with a default"):
        teaching.what_if(draw, discount=(0.1, 0.4, 0.05))
    with pytest.raises(TypeError, match="'speed'"):
        teaching.what_if(draw, speed=(1, 2, 1))
