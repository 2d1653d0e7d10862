"""The shipped scenario library: every file loads, every strategy runs, every story holds.

The story tests check the headline claim each scenario's comment header makes, at a reduced
size, with the scenario's own seed (so they are deterministic): if a model or default change
breaks a claim, update the header and the claim together.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from channelsim.experiments.replications import simulate
from channelsim.scenario import KIND_DEFAULTS, KIND_FIELDS, PARTNER_KINDS, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
STORY_FILES = {
    "phones_carrier_stores",
    "insurance_agents",
    "affiliate_ecommerce",
    "b2b_integrators",
}

scenario_files = pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])


def _strategy_cases() -> list:
    cases = []
    for path in SCENARIOS:
        try:
            names = load_scenario(path).strategy_names()
        except Exception:  # reported by the test itself, not as a collection error
            names = ["hybrid"]
        for name in names:
            cases.append(pytest.param(path, name, id=f"{path.stem}:{name}"))
    return cases


def _total(result, strategy: str, metric: str):
    """Summary row (mean, ci_low, ci_high, n) of a metric of channel ``total``."""
    s = result.summary
    row = s[(s.strategy == strategy) & (s.channel == "total") & (s.metric == metric)]
    assert len(row) == 1, (strategy, metric)
    return row.iloc[0]


def _pair(result, metric: str):
    """Summary rows of ``metric`` (channel total) for strategies direct and indirect."""
    return _total(result, "direct", metric), _total(result, "indirect", metric)


def _story(stem: str, strategies: list[str], horizon: int = 24, reps: int = 5):
    sc = load_scenario(ROOT / "scenarios" / f"{stem}.toml")
    sc = sc.with_overrides({"scenario.horizon_months": horizon})
    return simulate(sc, strategies, replications=reps)


# -- the library ------------------------------------------------------------------------------
def test_library_has_the_story_scenarios():
    assert STORY_FILES <= {p.stem for p in SCENARIOS}


@scenario_files
def test_scenario_loads_and_follows_library_conventions(path):
    sc = load_scenario(path)
    assert sc.scenario.horizon_months >= 12
    assert sc.scenario.replications == 20
    assert sc.targets.sales_per_month is not None
    assert sc.strategies, "ships at least one named strategy under [strategies]"
    assert sc.partners, "every story compares the sales team with partners"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert 10 <= len(header) <= 25, f"comment header of {len(header)} lines"


@scenario_files
def test_scenario_description_states_its_question(path):
    # the report prints it under the title: a reader sees what is being decided
    meta = tomllib.loads(path.read_text(encoding="utf-8"))["scenario"]
    description = " ".join(str(meta.get("description", "")).split())
    assert description.endswith("?"), f"{path.name}: description is not a question"
    assert 60 <= len(description) <= 300, len(description)
    assert description.count("?") == 1, "one question"
    assert description != meta["name"]
    assert load_scenario(path).scenario.description == meta["description"]


@pytest.mark.parametrize(("path", "strategy"), _strategy_cases())
def test_every_strategy_runs_and_conserves_leads(path, strategy):
    sc = load_scenario(path).with_overrides({"scenario.horizon_months": 6})
    r = simulate(sc, strategy, replications=2)
    reps = r.replications
    assert len(reps[reps.channel == "total"]) == 2
    # every lead that arrived is sold, lost while waiting, lost in selling, or still open
    for _, row in reps.iterrows():
        fates = row.sales + row.lost_leads + row.lost_deals + row.open_deals_end
        assert row.leads == pytest.approx(fates, abs=1e-9), (row.channel, row.replication)
    summary = r.summary[(r.summary.channel == "total")].set_index("metric")["mean"]
    fates = sum(summary[m] for m in ("sales", "lost_leads", "lost_deals", "open_deals_end"))
    assert summary["leads"] == pytest.approx(fates)
    assert summary["leads"] > 0


# -- the stories ------------------------------------------------------------------------------
@pytest.mark.slow
def test_story_phones_carriers_scale_faster_own_stores_earn_more_per_phone():
    r = _story("phones_carrier_stores", ["direct", "indirect"])
    mtt_d, mtt_i = _pair(r, "months_to_target")
    assert mtt_d.n == mtt_i.n == 5
    assert mtt_i.ci_high < mtt_d.ci_low  # the carriers reach 200 phones a month sooner
    sales_d, sales_i = _pair(r, "sales")
    assert sales_i.ci_low > sales_d.ci_high  # the carriers' subscribers: reach
    cm_d, cm_i = _pair(r, "contribution_margin")
    assert cm_d.ci_low > cm_i.ci_high  # the carrier discount costs margin
    rep_d, rep_i = _pair(r, "reputation_end")
    assert rep_i.ci_high < rep_d.ci_low  # carrier stores serve customers less well


@pytest.mark.slow
def test_story_insurance_agents_scale_faster_with_lower_margin_and_reputation():
    # the header's three years: renewals need the horizon to show
    r = _story("insurance_agents", ["direct", "indirect"], horizon=36)
    mtt_d, mtt_i = _pair(r, "months_to_target")
    assert mtt_d.n == mtt_i.n == 5
    assert mtt_i.ci_high < mtt_d.ci_low
    cm_d, cm_i = _pair(r, "contribution_margin")
    assert cm_i.ci_high < cm_d.ci_low
    rep_d, rep_i = _pair(r, "reputation_end")
    assert rep_i.ci_high < rep_d.ci_low
    # the recruiting treadmill: many more recruits than agents left standing
    partners_active = _total(r, "indirect", "partners_active_end")["mean"]
    assert _total(r, "indirect", "partners_recruited")["mean"] > 5 * partners_active
    # ... yet the agents' bigger book of renewing policies is worth more
    reps = r.replications[r.replications.channel == "total"]
    npv = reps.pivot(index="replication", columns="strategy", values="npv")
    assert (npv["indirect"] > npv["direct"]).all()  # paired: replication by replication


@pytest.mark.slow
def test_story_affiliates_pay_where_a_sales_force_cannot():
    r = _story("affiliate_ecommerce", ["direct", "indirect"])
    c_d, c_i = _pair(r, "contribution")
    assert c_i.ci_low > c_d.ci_high
    assert c_d.ci_high < 0  # the inside-sales team loses money
    price = load_scenario(ROOT / "scenarios" / "affiliate_ecommerce.toml").product.price
    assert _total(r, "direct", "cost_per_sale").ci_low > price  # a sale costs more than a unit
    assert _total(r, "indirect", "cost_per_sale").ci_high < price
    # affiliate cost follows sales; the team's cost is mostly fixed
    var_d = _total(r, "direct", "variable_cost_share")["mean"]
    assert _total(r, "indirect", "variable_cost_share")["mean"] > var_d + 0.3


@pytest.mark.slow
def test_story_integrators_close_fewer_but_larger_deals():
    # few leads, so the full story size is cheap
    r = _story("b2b_integrators", ["direct", "indirect"], horizon=36, reps=20)
    sales_d, sales_i = _pair(r, "sales")
    assert sales_i.ci_high < sales_d.ci_low
    reps = r.replications[r.replications.channel == "total"]
    per_deal = {
        s: float(np.mean(g.revenue / g.sales)) for s, g in reps.groupby("strategy", sort=False)
    }
    assert per_deal["indirect"] > 1.5 * per_deal["direct"]
    # the money comes back slowly in both channels
    for strategy in ("direct", "indirect"):
        assert _total(r, strategy, "payback_month")["mean"] > 12
    # the AEs always reach the target of deals a month; the integrators late, if ever
    mtt_d, mtt_i = _pair(r, "months_to_target")
    assert mtt_d.n == 20
    assert mtt_i.n < 20
    assert mtt_i["mean"] > mtt_d.ci_high


# -- docs/partner-kinds.md --------------------------------------------------------------------
def test_partner_kinds_doc_lists_every_kind_default():
    text = (ROOT / "docs" / "partner-kinds.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| `([^`]*)` \| (.+) \|$", text, flags=re.M)
    documented = {(key, kind): (value, basis) for key, kind, value, basis in rows}
    for kind in PARTNER_KINDS:
        for key in KIND_FIELDS:
            assert (key, kind) in documented, f"{key} of {kind} is missing"
            value, basis = documented[(key, kind)]
            assert basis.strip(), f"{key} of {kind} has no source"
            shown = tomllib.loads(f"v = {value}")["v"]
            expected = KIND_DEFAULTS[kind][key]
            if isinstance(expected, dict):
                assert shown == expected, (key, kind)
            else:
                assert math.isclose(shown, expected), (key, kind, shown, expected)
    assert len(documented) == len(PARTNER_KINDS) * len(KIND_FIELDS)


def test_every_source_a_scenario_header_cites_is_in_docs_sources():
    """The headers cite web sources by domain; docs/sources.md must carry each of them."""
    import re

    sources = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    domain = re.compile(r"\b([a-z0-9-]+\.(?:com|org|io|net|business))\b")
    cited = set()
    for path in SCENARIOS:
        header = "\n".join(
            line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")
        )
        assert "docs/sources.md" in header or not domain.search(header), path.name
        cited |= set(domain.findall(header))
    assert cited, "the shipped scenarios cite their sources"
    missing = sorted(d for d in cited if d not in sources)
    assert not missing, f"cited but not in docs/sources.md: {missing}"
