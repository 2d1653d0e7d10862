"""Hostile names through every output: markup is escaped, math text is not parsed, control
characters are refused.

A name is user text that channelsim shows: the scenario's name, a partner program's, a
segment's, a named strategy's. The names below are what a hostile (or unlucky) user may write:
HTML that runs script in the reader's browser, text that closes the ``<pre>`` of the report,
matplotlib math text that does not parse (``$\\bad{$``), and plain punctuation. Every one goes
through every output (``run --report``, ``compare``, ``report``, ``sweep``, ``breakeven``,
``sensitivity``) and the report must hold only the markup channelsim writes itself.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pytest
from matplotlib.text import Text

from channelsim import plots
from channelsim.cli import main
from channelsim.outputs import planning_plots
from channelsim.scenario import loads_scenario

matplotlib.use("Agg")

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</pre><script>alert('x')</script>",
    "\"'><svg onload=alert(1)>",
    "$\\bad{$",
    "$x$ and $y$",
    "a & b < c",
    "{{x}} %s %n ` \\",
    "Ünïcødé — “q”",
]
"""Names a scenario may hold; none may reach a report as markup or a plot as math text."""

CONTROL = ["nul\x00name", "\x1b[31mred\x1b[0m", "bell\x07", "new\nline", "tab\tname", "\u202eevil"]
"""Names with control characters (NUL, ANSI escapes, bidi overrides): refused on load."""

TAGS_WE_WRITE = {
    "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "ul",
    "li", "div", "section", "aside", "table", "caption", "thead", "tbody", "tr", "th", "td",
    "span", "figure",
    "img", "figcaption", "pre", "script", "br", "small", "em", "strong", "code", "b", "sup",
}  # fmt: skip


def _toml_string(text: str) -> str:
    """A TOML basic string (control characters as ``\\uXXXX`` escapes, as TOML requires)."""
    out = []
    for c in text:
        if c in '\\"':
            out.append("\\" + c)
        elif ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0x2000 <= ord(c) <= 0x206F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def scenario_text(name: str) -> str:
    """A small hybrid scenario whose scenario, program, segment and strategy carry ``name``."""
    quoted = _toml_string(name)
    return f"""\
[scenario]
name = {quoted}
horizon_months = 4
replications = 2
seed = 3
strategy = {quoted}

[product]
price = 1000.0
unit_cost = 100.0

[demand]
leads_per_month = 60

[[demand.segments]]
name = {quoted}
share = 1.0

[direct]
initial_reps = 2
deals_per_rep = 3

[[partners]]
name = {quoted}
kind = "reseller"
initial = 4
sourced_leads_per_month = 2

[strategies.{quoted}]
base = "hybrid"
set = {{"direct.max_reps" = 3}}
"""


class _Markup(HTMLParser):
    """Every tag and attribute of a page, and the text of its script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self.scripts += tag == "script"


def _check_page(page: str, name: str) -> None:
    parser = _Markup()
    parser.feed(page)
    assert set(parser.tags) <= TAGS_WE_WRITE, set(parser.tags) - TAGS_WE_WRITE
    assert not [a for a in parser.attributes if a.startswith("on")]
    assert parser.scripts == 1  # the report's own image check, nothing else
    if any(c in name for c in "<>&\"'"):
        assert name not in page
    assert html.escape(name, quote=False) in page or html.escape(name) in page


@pytest.fixture(scope="module", params=range(len(HOSTILE)), ids=lambda i: f"name{i}")
def hostile(request, tmp_path_factory) -> tuple[str, Path]:
    name = HOSTILE[request.param]
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "s.toml"
    path.write_text(scenario_text(name), encoding="utf-8")
    return name, path


def test_compare_and_report_escape_every_name(hostile, tmp_path, capsys):
    name, path = hostile
    out = tmp_path / "c"
    assert main(["compare", str(path), "--out", str(out), "--quiet", "--no-elasticity"]) == 0, (
        capsys.readouterr().err
    )
    _check_page((out / "report.html").read_text(encoding="utf-8"), name)
    assert sorted(p.name for p in (out / "plots").glob("*.png"))
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0, capsys.readouterr().err
    _check_page((out / "report.html").read_text(encoding="utf-8"), name)


def test_run_report_escapes_every_name(hostile, tmp_path, capsys):
    name, path = hostile
    out = tmp_path / "r"
    code = main(["run", str(path), "--out", str(out), "--quiet", "--report"])
    assert code == 0, capsys.readouterr().err
    _check_page((out / "report.html").read_text(encoding="utf-8"), name)


@pytest.mark.parametrize("name", [HOSTILE[0], HOSTILE[3]], ids=["markup", "math"])
def test_the_planners_draw_hostile_names(name, tmp_path, capsys):
    """Strategy names reach every planner's plots; program names reach the tornado's labels."""
    path = tmp_path / "s.toml"
    path.write_text(scenario_text(name), encoding="utf-8")
    verbs = [
        ["sweep", "--param", "product.price=900,1100", "--param", "demand.leads_per_month=40,80",
         "--strategies", f"direct,{name}"],
        ["breakeven", "--param", "product.price", "--low", "500", "--high", "3000",
         "--a", "direct", "--b", name, "--scan", "2"],
        ["sensitivity", "--strategy", name],  # default ranges: each program's keys too
    ]  # fmt: skip
    for i, verb in enumerate(verbs):
        out = tmp_path / f"p{i}"
        args = [verb[0], str(path), *verb[1:], "--reps", "2", "--jobs", "1", "--out", str(out)]
        assert main([*args, "--quiet"]) == 0, (verb[0], capsys.readouterr().err)
        assert list((out / "plots").glob("*.png")), verb[0]


@pytest.mark.parametrize("verb", [["run"], ["compare", "--no-elasticity"]])
def test_the_terminal_shows_names_as_typed(tmp_path, capsys, verb):
    """Rich markup in a name is printed as typed, not interpreted (nor crashing the table)."""
    name = "[bold red]boom[/] [link=x]y"
    path = tmp_path / "s.toml"
    path.write_text(scenario_text(name), encoding="utf-8")
    code = main([verb[0], str(path), *verb[1:], "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert name in out


def _texts(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_plot_labels_are_plain_text_whatever_the_name():
    """No text of any figure is math text, so ``$x$`` reads as typed and ``$\\bad{$`` draws."""
    from matplotlib import cbook

    from channelsim.analysis.costs import cost_fits, margin_bridge
    from channelsim.experiments.compare import compare
    from channelsim.planning.options import RunOptions
    from channelsim.planning.sensitivity import sensitivity
    from channelsim.planning.sweep import sweep

    name = "$\\bad{$ and $x$"
    scenario = loads_scenario(scenario_text(name))
    result = compare(scenario, [name, "direct"], replications=2, jobs=1, elasticity=False)
    monthly, summary = result.run.monthly, result.run.summary
    figures = [
        plots.plot_sales(monthly),
        plots.plot_capacity(monthly),
        plots.plot_cumulative_contribution(monthly),
        plots.plot_cost_per_sale(monthly),
        plots.plot_cost_vs_sales(monthly, cost_fits(monthly)),
        plots.plot_margin_bridge(margin_bridge(summary)),
    ]
    key = f"partners.{name}.discount"
    options = RunOptions(replications=2, jobs=1)
    grid = sweep(scenario, {key: [0.1, 0.3]}, strategies=[name, "direct"], options=options)
    figures += [fig for _, fig in grid.plots()]
    tornado = sensitivity(scenario, strategy=name, params=[f"{key}=0.1:0.3"], options=options)
    figures.append(planning_plots.plot_tornado(tornado.table, metric="npv", strategy=name))
    for fig in figures:
        texts = _texts(fig)
        assert not [t for t in texts if cbook.is_math_text(t)], texts
        fig.savefig(Path("/dev/null"), format="png")


@pytest.mark.parametrize("bad", CONTROL, ids=lambda s: repr(s)[1:8])
@pytest.mark.parametrize("where", ["scenario", "program", "segment", "strategy"])
def test_names_with_control_characters_are_refused(tmp_path, capsys, bad, where):
    clean = "fine"
    names = {k: clean for k in ("scenario", "program", "segment", "strategy")}
    names[where] = bad
    text = scenario_text(clean)
    text = text.replace(
        'name = "fine"\nhorizon', f"name = {_toml_string(names['scenario'])}\nhorizon"
    )
    text = text.replace(
        '[[partners]]\nname = "fine"', f"[[partners]]\nname = {_toml_string(names['program'])}"
    )
    text = text.replace(
        '[[demand.segments]]\nname = "fine"',
        f"[[demand.segments]]\nname = {_toml_string(names['segment'])}",
    )
    text = text.replace('[strategies."fine"]', f"[strategies.{_toml_string(names['strategy'])}]")
    text = text.replace('strategy = "fine"', 'strategy = "hybrid"')
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "control character" in err
    assert "\x1b" not in err and "\x00" not in err and "\u202e" not in err  # shown escaped


def test_set_cannot_put_a_control_character_in_a_name(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(scenario_text("fine"), encoding="utf-8")
    code = main(["validate", str(path), "--set", "scenario.name=\x1b[2Jcleared"])
    err = capsys.readouterr().err
    assert code == 2 and "control character" in err and "\x1b" not in err
