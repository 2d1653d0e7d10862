"""A decision an analyst can forward: the recommendation first, what would change it, its
currency and its provenance, on the terminal, in ``summary.json`` and in the report's first
screen (rendered in headless Chromium).

The swing of a salary is checked by hand: with a fixed team (no hiring, no attrition) the
team's contribution falls by exactly salary x reps x years, whatever else happens, so the lead
of direct over indirect moves by that amount and crosses zero where the hand computation says.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from channelsim.analysis.decision import recommend_for, swing_sentences
from channelsim.cli import main
from channelsim.experiments.compare import compare
from channelsim.planning.ranges import ParamRange
from channelsim.planning.swing import (
    REPLICATIONS,
    breakeven_value,
    swing_keys,
    what_would_change,
)
from channelsim.scenario import Scenario

CHROMIUM = Path("/usr/bin/chromium")

TEAM = {
    "scenario": {
        "name": "Fixed team or agents",
        "horizon_months": 12,
        "replications": 3,
        "seed": 7,
        "currency": "EUR",
    },  # fmt: skip
    "product": {"price": 1000.0},
    "demand": {"leads_per_month": 40, "reputation_sensitivity": 0},
    "direct": {
        "initial_reps": 3,
        "max_reps": 3,
        "deals_per_rep": 20,
        "win_rate": 0.4,
        "sales_cycle_days": 10,
        "attrition_annual": 0,
        "salary_annual": 30_000,
        "manager_salary_annual": 0,
        "recruiting_cost_per_hire": 0,
        "onboarding_cost_per_hire": 0,
        "hiring": {"policy": "plan", "headcount_plan": [[0, 3]]},
    },
    "partners": [{"name": "agents", "kind": "agent", "initial": 10, "recruit_per_month": 0}],
    "strategies": {"big_team": {"base": "direct", "set": {"direct.deals_per_rep": 30}}},
}


def test_a_salary_swing_moves_the_lead_by_the_payroll() -> None:
    sc = Scenario.model_validate(TEAM)
    cmp = compare(sc, ["direct", "indirect"], jobs=1, elasticity=False)
    reps = cmp.replications[cmp.replications.channel == "total"]
    wide = reps.pivot_table(index="replication", columns="strategy", values="contribution")
    lead = (wide["direct"] - wide["indirect"]).to_numpy()
    salary = ParamRange("direct.salary_annual", 24_000.0, 36_000.0, 30_000.0)
    table = what_would_change(sc, "direct", "indirect", "contribution", lead, keys=[salary])
    row = table.iloc[0]
    # three reps paid by the day for a 12-month year: 12,000 more salary each costs 36,000
    assert row["lead_low"] - row["lead_high"] == pytest.approx(3 * 12_000, rel=1e-9)
    assert row["swing"] == pytest.approx(36_000, rel=1e-9)
    assert row["lead_base"] == pytest.approx(lead[:REPLICATIONS].mean())  # the same seeds
    # the lead is zero where the payroll has eaten it: salary + lead / 3 reps
    found = breakeven_value(row)
    base_lead = row["lead_base"]
    want = 30_000 + base_lead / 3
    if 15_000 <= want <= 60_000:
        assert found is not None and found.value == pytest.approx(want, rel=1e-6)
    else:
        assert found is None


def test_swing_keys_follow_the_two_strategies() -> None:
    sc = Scenario.model_validate(TEAM)
    keys = [r.key for r in swing_keys(sc, "direct", "big_team", limit=10)]
    assert keys and not any(k.startswith("partners.") for k in keys)  # neither has partners
    assert "direct.deals_per_rep" not in keys  # big_team sets it itself
    both = [r.key for r in swing_keys(sc, "direct", "indirect", limit=10)]
    assert "partners.agents.commission_rate" in both
    assert both.index("demand.leads_per_month") < both.index("direct.salary_annual")


def test_a_variant_that_wins_is_named_with_what_it_changes() -> None:
    sc = Scenario.model_validate(TEAM)
    cmp = compare(sc, ["direct", "big_team"], jobs=1, elasticity=False)
    summary = cmp.summary.copy()
    # make the variant the winner on paper, whatever the run said
    rows = (summary.strategy == "big_team") & (summary.metric == "npv")
    summary.loc[rows, ["mean", "ci_low", "ci_high"]] = 1e9
    rec = recommend_for(sc.to_toml_dict(), summary, None)
    assert rec.best == "big_team"
    text = " ".join(rec.warnings)
    assert "what-if variant (direct with direct.deals_per_rep = 30)" in text
    assert "the best of those is direct" in text


def test_swing_sentences_name_the_top_input_and_its_breakeven() -> None:
    table = pd.DataFrame(
        [
            {
                "param": "direct.win_rate",
                "base_value": 0.25,
                "low": 0.2,
                "high": 0.3,
                "objective": "npv",
                "best": "hybrid",
                "runner_up": "direct",
                "lead_base": 1e6,
                "lead_low": 2e6,
                "lead_high": -5e5,
                "swing": 2.5e6,
                "n": 3,
                "breakeven": 0.27,
                "breakeven_extrapolated": 0.0,
            },
            {
                "param": "demand.leads_per_month",
                "base_value": 300,
                "low": 240,
                "high": 360,
                "objective": "npv",
                "best": "hybrid",
                "runner_up": "direct",
                "lead_base": 1e6,
                "lead_low": 8e5,
                "lead_high": 1.2e6,
                "swing": 4e5,
                "n": 3,
                "breakeven": np.nan,
                "breakeven_extrapolated": np.nan,
            },
        ]  # fmt: skip
    )
    first, breakeven, rest = swing_sentences(table, "EUR")
    assert "direct.win_rate (now 0.25)" in first and "2.00M EUR" in first and "-500k EUR" in first
    assert breakeven == (
        "direct would match hybrid at direct.win_rate = 0.27 (between the values simulated)."
    )
    assert rest.startswith("Next: demand.leads_per_month (swing 400k EUR)")


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("forward")
    path = folder / "team.toml"
    data = copy.deepcopy(TEAM)
    import tomli_w

    header = "# Fixed team or agents: a test scenario.\n# Sources: none, all illustrative.\n"
    path.write_text(header + tomli_w.dumps(data), encoding="utf-8")
    out = folder / "out"
    code = main(["compare", str(path), "--out", str(out), "--jobs", "1", "--set",
                 "demand.leads_per_month=45", "--seed", "11"])  # fmt: skip
    assert code == 0
    return out, str(path)


def test_compare_prints_the_recommendation_first(compared, capsys, tmp_path) -> None:
    _out, path = compared
    out = tmp_path / "again"
    code = main(["compare", path, "--out", str(out), "--jobs", "1", "--reps", "3"])
    text = capsys.readouterr().out
    assert code == 0
    assert text.lstrip().startswith("Recommendation")
    order = [text.index(s) for s in ("Recommendation", "money in EUR", "What would change",
                                     "Run: ")]  # fmt: skip
    assert order == sorted(order)
    assert "options: --reps 3" in text
    assert "Variants: big_team = direct with direct.deals_per_rep = 30" in text


def test_the_folder_records_currency_provenance_and_swing(compared) -> None:
    out, path = compared
    meta = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]
    assert meta["currency"] == "EUR"
    prov = meta["provenance"]
    assert prov["set"] == ["demand.leads_per_month=45"] and prov["seed"] == 11
    assert prov["scenario_file"] == path
    assert prov["scenario_header"][0] == "# Fixed team or agents: a test scenario."
    swing = pd.read_csv(out / "swing.csv")
    assert len(swing) >= 1 and set(swing["n"]) == {REPLICATIONS}
    reps = pd.read_csv(out / "replications.csv")
    assert set(reps["replication"]) == {0, 1, 2}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"swing.csv", "replications.csv"} <= set(manifest["files"])


def test_the_report_opens_on_the_decision(compared) -> None:
    out, _path = compared
    page = (out / "report.html").read_text(encoding="utf-8")
    heads = re.findall(r"<h2>([^<]+)</h2>", page)
    assert heads[:3] == ["Recommendation", "What would change the answer",
                         "Where these numbers come from"]  # fmt: skip
    assert "money in EUR" in page and "(USD)" not in page and "(currency)" not in page
    assert "--set demand.leads_per_month=45 --seed 11" in page
    assert "variant big_team = direct with direct.deals_per_rep = 30" in page
    assert "EUR per sale" in page  # a key assumption with its unit
    # the file's own header sits above the resolved TOML
    assert page.index("# Sources: none, all illustrative.") < page.index("<pre>")


_PROBE = """<script>
window.addEventListener("load", function () {
  var ids = ["recommendation", "what-would-change", "provenance"];
  for (var i = 0; i < ids.length; i++) {
    var el = document.getElementById(ids[i]);
    document.body.dataset["top" + i] = el ? Math.round(el.getBoundingClientRect().top) : -1;
  }
});
</script></body>"""


@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it; under CI a "
    "missing browser fails instead of skipping)",
)
def test_the_first_screen_shows_the_decision_in_a_browser(compared, tmp_path) -> None:
    out, _path = compared
    page = tmp_path / "report.html"
    page.write_text(
        (out / "report.html").read_text(encoding="utf-8").replace("</body>", _PROBE),
        encoding="utf-8",
    )
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900"]  # fmt: skip
    res = subprocess.run(
        [str(CHROMIUM), *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,  # fmt: skip
    )
    assert res.returncode == 0, res.stderr[-2000:]
    tops = [int(re.search(rf'data-top{i}="(-?\d+)"', res.stdout).group(1)) for i in range(3)]
    assert all(0 <= top < 900 for top in tops), tops  # all three start on the first screen
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
