"""Scenario files: loading, defaults, errors, overrides, strategies, TOML output, reference doc."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelsim.distributions import Exponential, Fixed, Lognormal
from channelsim.docgen import main as docgen_main
from channelsim.docgen import render_scenario_reference
from channelsim.errors import Problem, ScenarioError, UsageError
from channelsim.scenario import (
    KIND_DEFAULTS,
    KIND_FIELDS,
    MAX_AMOUNT,
    PARTNER_KINDS,
    PartnerProgram,
    Scenario,
    flat_fields,
    load_scenario,
    loads_scenario,
    parse_value,
    scenario_json_schema,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "saas_midmarket.toml"
REFERENCE = ROOT / "docs" / "scenario-reference.md"


@pytest.fixture(scope="module")
def example() -> Scenario:
    return load_scenario(EXAMPLE)


def problems_of(text: str, tmp_path: Path, overrides=None) -> list[Problem]:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value.problems


# ---- the shipped example ---------------------------------------------------------------------


def test_design_example_loads_with_exact_values(example: Scenario) -> None:
    s = example
    assert s.scenario.name == "Mid-market SaaS: sales team or partners?"
    assert (s.scenario.horizon_months, s.scenario.replications) == (36, 20)
    assert (s.scenario.seed, s.scenario.discount_rate, s.scenario.strategy) == (
        20261126,
        0.10,
        "hybrid",
    )
    assert s.targets.sales_per_month == 60
    assert (s.product.price, s.product.unit_cost, s.product.deal_size_cv) == (3000, 4000, 0)
    sub = s.product.subscription
    assert (sub.fee_per_month, sub.cost_per_month, sub.term_months) == (2000, 300, 12)
    assert (sub.churn.a, sub.churn.b, sub.bad_experience_churn_factor) == (1, 9, 2)
    assert (s.cash.customer_payment_days, s.cash.reseller_payment_days) == (45, 60)
    d = s.demand
    assert (d.leads_per_month, d.growth, d.growth_rate) == (300, "logistic", 0.06)
    assert d.ceiling_leads_per_month == 1500
    assert d.seasonality == [1.0, 1.0, 1.1, 1.0, 1.0, 0.9, 0.8, 0.8, 1.0, 1.1, 1.2, 1.1]
    assert d.patience_days == Exponential(dist="exponential", mean=21)
    assert d.reputation_sensitivity == 0.5
    assert [(g.name, g.share, g.deal_size, g.win_rate_factor, g.channel) for g in d.segments] == [
        ("smb", 0.7, 0.5, 1.2, "any"),
        ("enterprise", 0.3, 2.0, 0.7, "direct"),
    ]
    assert (s.routing.policy, s.routing.direct_share, s.routing.overflow_queue) == (
        "overflow",
        0.6,
        0,
    )
    r = s.direct
    assert (r.initial_reps, r.max_reps, r.deals_per_rep) == (4, 60, 15)
    assert isinstance(r.sales_cycle_days, Lognormal)
    assert (r.sales_cycle_days.mean, r.sales_cycle_days.sd) == (45, 20)
    assert (r.win_rate, r.ramp_months, r.ramp_start_productivity) == (0.25, 5, 0.2)
    assert (r.attrition_annual, r.salary_annual, r.commission_rate) == (0.30, 90000, 0.10)
    assert (r.recruiting_cost_per_hire, r.onboarding_cost_per_hire) == (20000, 10000)
    assert (r.manager_span, r.manager_salary_annual, r.fixed_cost_per_month) == (8, 160000, 5000)
    assert (r.service_quality, r.escalation_cost, r.message_control) == (0.95, 500, 1.0)
    h = r.hiring
    assert (h.policy, h.max_hires_per_month, h.review_every_days, h.headcount_buffer) == (
        "demand",
        3,
        30,
        0.1,
    )
    assert (h.time_to_hire_days.mean, h.time_to_hire_days.sd) == (60, 20)
    assert (s.brand.refund_rate, s.brand.reputation_memory_months) == (0.3, 6)
    (p,) = s.partners
    assert (p.name, p.kind, p.initial, p.recruit_per_month, p.max_partners) == (
        "VARs",
        "reseller",
        5,
        4,
        80,
    )
    assert (p.onboarding_days.mean, p.onboarding_days.sd) == (60, 20)
    assert (p.activation_rate, p.churn_annual, p.deals_per_partner) == (0.4, 0.2, 5)
    assert (p.sourced_leads_per_month, p.win_rate) == (2, 0.2)
    assert (p.sales_cycle_days.mean, p.sales_cycle_days.sd) == (50, 20)
    assert (p.commission_rate, p.bounty, p.discount, p.network_fee_rate) == (0, 0, 0.30, 0)
    assert (p.onboarding_cost, p.mdf_per_active_partner_month, p.manager_span) == (5000, 300, 20)
    assert (p.manager_salary_annual, p.fixed_cost_per_month) == (120000, 2000)
    assert (p.service_quality, p.escalation_cost, p.message_control) == (0.8, 1500, 0.5)
    assert s.strategies["lean_team"].base == "hybrid"
    assert s.strategies["lean_team"].overrides == {"direct.max_reps": 10}


def test_example_header_names_its_story_and_sources() -> None:
    head = EXAMPLE.read_text(encoding="utf-8").split("[scenario]")[0]
    assert all(line.startswith("#") or not line.strip() for line in head.splitlines())
    for word in ("VARs", "sales team", "Bridge Group", "HubSpot"):
        assert word in head


# ---- defaults and their documentation --------------------------------------------------------


def test_empty_file_gives_documented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    s = load_scenario(path)
    assert s == Scenario()
    assert s.scenario.strategy == "hybrid" and s.scenario.horizon_months == 36
    assert s.direct.ramp_months == 5 and s.direct.attrition_annual == 0.30
    assert s.demand.patience_days == Fixed(value=math.inf)
    assert s.demand.seasonality == [1.0] * 12
    assert s.direct.hiring.time_to_hire_days == Lognormal(dist="lognormal", mean=60, sd=20)
    assert s.partners == [] and s.strategies == {}
    assert s.strategy_names() == ["direct", "indirect", "hybrid"]


UNIT_WORDS = (
    "day",
    "month",
    "year",
    "share",
    "currency",
    "factor",
    "count",
    "reps",
    "partners",
    "leads",
    "slots",
    "sales",
    "unitless",
    "integer",
    "text",
)


@pytest.mark.parametrize("doc", flat_fields(), ids=lambda d: d.key)
def test_every_key_is_documented_with_unit_and_default(doc) -> None:
    assert doc.description, doc.key
    if doc.type in ("number", "integer", "distribution", "number (optional)"):
        assert any(w in doc.description.lower() for w in UNIT_WORDS), doc.key
    assert doc.required or doc.default or doc.kind_defaults or "optional" in doc.type


def test_documented_keys_cover_every_model_field() -> None:
    keys = {d.key for d in flat_fields()}
    for name in KIND_FIELDS:
        assert f"partners.<name>.{name}" in keys
    assert "demand.segments.<name>.share" in keys
    assert "direct.hiring.max_hires_per_month" in keys
    assert "strategies.<name>.set" in keys


def test_defaults_taken_from_reference_numbers_cite_their_source() -> None:
    docs = {d.key: d.description for d in flat_fields()}
    assert "Bridge Group" in docs["direct.ramp_months"]
    assert "30%" in docs["direct.attrition_annual"]
    assert "Bass (1969)" in docs["demand.innovation"]
    assert "Bass (1969)" in docs["demand.imitation"]
    assert "Rewardful" in docs["partners.<name>.commission_rate"]
    assert "Kotler" in docs["direct.manager_salary_annual"]


def test_reference_doc_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render_scenario_reference(), (
        "docs/scenario-reference.md is stale: run python -m channelsim.docgen"
    )


def test_reference_doc_lists_every_key_and_distribution() -> None:
    text = render_scenario_reference()
    for doc in flat_fields():
        assert f"| `{doc.name}` |" in text
    for dist in ("fixed", "exponential", "lognormal", "gamma", "triangular", "uniform"):
        assert f"| `{dist}` |" in text
    assert "| key | type | allowed | affiliate | reseller | agent | integrator |" in text


def test_docgen_check_flags_a_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "ref.md"
    assert docgen_main(["--check", "--output", str(out)]) == 1
    assert docgen_main(["--output", str(out)]) == 0
    assert docgen_main(["--check", "--output", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert docgen_main(["--check", "--output", str(out)]) == 1


# ---- partner kinds ---------------------------------------------------------------------------


def test_kind_defaults_fill_every_kind_dependent_field() -> None:
    for kind in PARTNER_KINDS:
        assert set(KIND_DEFAULTS[kind]) == set(KIND_FIELDS), kind
        program = PartnerProgram(name="p", kind=kind)
        dumped = program.model_dump(by_alias=True)
        for key, value in KIND_DEFAULTS[kind].items():
            assert dumped[key] == value, (kind, key)


def test_kind_defaults_differ_by_kind() -> None:
    programs = {k: PartnerProgram(name="p", kind=k) for k in PARTNER_KINDS}
    assert programs["affiliate"].commission_rate == 0.30
    assert programs["reseller"].discount == 0.30 and programs["reseller"].commission_rate == 0
    assert programs["agent"].commission_rate == 0.11
    assert programs["integrator"].deal_size_factor == 1.5
    rows = {
        k: json.dumps(p.model_dump(exclude={"kind"}), sort_keys=True) for k, p in programs.items()
    }
    assert len(set(rows.values())) == len(PARTNER_KINDS)


def test_kind_defaults_are_overridable(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[[partners]]\nname = "Affs"\nkind = "affiliate"\ncommission_rate = 0.2\n', encoding="utf-8"
    )
    s = load_scenario(path)
    assert s.partners[0].commission_rate == 0.2  # the file wins
    assert s.partners[0].churn_annual == 0.6  # the rest by kind
    s = load_scenario(path, ["partners.Affs.bounty=25", "partners.Affs.sales_cycle_days=5"])
    assert s.partners[0].bounty == 25 and s.partners[0].sales_cycle_days == Fixed(value=5)
    with_vars = '[[partners]]\nname = "R"\nkind = "reseller"\n'
    s = loads_scenario(with_vars, ["partners.R.sales_cycle_days.mean=40"])  # kind default table
    assert s.partners[0].sales_cycle_days == Lognormal(dist="lognormal", mean=40, sd=20)
    s = loads_scenario("", ["direct.hiring.time_to_hire_days.sd=5"])  # schema default table
    assert s.direct.hiring.time_to_hire_days == Lognormal(dist="lognormal", mean=60, sd=5)
    s = load_scenario(path, ["partners.Affs.kind=integrator"])
    assert s.partners[0].commission_rate == 0.2  # still the file's
    assert s.partners[0].deal_size_factor == 1.5  # integrator default for an omitted key
    assert (
        load_scenario(path).with_overrides({"partners.Affs.win_rate": 0.5}).partners[0].win_rate
        == 0.5
    )


def test_resolved_scenario_has_every_partner_field(example: Scenario) -> None:
    data = example.to_toml_dict()
    assert set(data["partners"][0]) == {"name", "kind", *KIND_FIELDS}


# ---- errors ----------------------------------------------------------------------------------

ERROR_CASES = [
    # (file text, overrides, key path, fragment of the message)
    ("[direct]\nwin_rat = 0.3\n", None, "direct.win_rat", "did you mean 'win_rate'?"),
    ('[direct]\nwin_rate = "abc"\n', None, "direct.win_rate", "expected a number, got 'abc'"),
    ("[direct]\ninitial_reps = 2.5\n", None, "direct.initial_reps", "expected a whole number"),
    ("[direct]\ninitial_reps = true\n", None, "direct.initial_reps", "got true"),
    ("[direct]\nwin_rate = 1.4\n", None, "direct.win_rate", "must be between 0 and 1, got 1.4"),
    ("[direct]\nwin_rate = nan\n", None, "direct.win_rate", "must be a finite number, got nan"),
    ("[direct]\nsalary_annual = inf\n", None, "direct.salary_annual", "finite number, got inf"),
    ("[direct]\nmanager_span = 0\n", None, "direct.manager_span", "must be at least 1, got 0"),
    (
        "[product]\nprice = 0\n",
        None,
        "product.price",
        "must be greater than 0 and at most 1e+12, got 0",
    ),
    (
        '[direct]\nsales_cycle_days = {dist = "weibull", mean = 3}\n',
        None,
        "direct.sales_cycle_days",
        "unknown dist 'weibull'",
    ),
    (
        '[direct]\nsales_cycle_days = {dist = "lognormal", mean = 30, sd = -1}\n',
        None,
        "direct.sales_cycle_days.sd",
        "must be at least 0, got -1",
    ),
    (
        '[direct]\nsales_cycle_days = {dist = "lognormal", mean = 30, sdd = 1}\n',
        None,
        "direct.sales_cycle_days.sdd",
        "did you mean 'sd'?",
    ),
    ("[direct]\nsales_cycle_days = -4\n", None, "direct.sales_cycle_days", "at least 0, got -4"),
    ("[direct]\nsales_cycle_days = nan\n", None, "direct.sales_cycle_days", "finite number"),
    ('[direct]\nsales_cycle_days = "soon"\n', None, "direct.sales_cycle_days", "distribution"),
    ('[demand]\ngrowth = "logistc"\n', None, "demand.growth", "did you mean 'logistic'?"),
    ("[demand]\nseasonality = [1, 1]\n", None, "demand.seasonality", "exactly 12 values, got 2"),
    ("[scenario]\nhorizon_months = 0\n", None, "scenario.horizon_months", "between 1 and 600"),
    (
        '[[partners]]\nname = "VARs"\nkind = "reseller"\ncommission_rate = 1.5\n',
        None,
        "partners.VARs.commission_rate",
        "must be between 0 and 1, got 1.5",
    ),
    (
        '[[partners]]\nname = "VARs"\nkind = "reselr"\n',
        None,
        "partners.VARs.kind",
        "did you mean 'reseller'?",
    ),
    ('[[partners]]\nkind = "agent"\n', None, "partners[0].name", "is required"),
    (
        '[[demand.segments]]\nname = "smb"\nshare = 1.5\n',
        None,
        "demand.segments.smb.share",
        "got 1.5",
    ),
    ("", ["direct.win_rate"], "direct.win_rate", "--set needs key=value"),
    ("", ["direct.win_rate=1.4"], "direct.win_rate", "must be between 0 and 1, got 1.4"),
    ("", ["direct.win_rat=0.3"], "direct.win_rat", "did you mean 'win_rate'?"),
    ("", ["direct.max_reps=abc"], "direct.max_reps", "expected a whole number, got 'abc'"),
    (
        '[[partners]]\nname = "VARs"\nkind = "reseller"\n',
        ["partners.VAR.win_rate=0.1"],
        "partners.VAR",
        "unknown partner program 'VAR' (did you mean 'VARs'?)",
    ),
    ("", ["partners.VARs.win_rate=0.1"], "partners.VARs", "unknown partner program"),
    ("", ["demand.segments.smb.share=1"], "demand.segments.smb", "unknown segment"),
    ("", ["strategies.lean.base=direct"], "strategies.lean", "unknown strategy"),
    ("", ["demand.seasonality.12=1"], "demand.seasonality.12", "out of range"),
    ("", ["direct.sales_cycle_days.mean=3"], "direct.sales_cycle_days.mean", "plain number"),
    ("", ["direct.win_rate.x=3"], "direct.win_rate.x", "not a table"),
]


@pytest.mark.parametrize(("text", "overrides", "path", "fragment"), ERROR_CASES)
def test_error_names_file_key_and_problem(tmp_path, text, overrides, path, fragment) -> None:
    problems = problems_of(text, tmp_path, overrides)
    file = str(tmp_path / "bad.toml")
    matching = [p for p in problems if p.path == path]
    assert matching, [str(p) for p in problems]
    line = str(matching[0])
    assert line.startswith(f"error: {file}: {path}: "), line
    assert fragment in line, line


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.toml")
    assert str(info.value) == f"error: {tmp_path / 'nope.toml'}: file not found"
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert str(info.value) == f"error: {tmp_path}: not a file"


def test_toml_syntax_error_gives_line_number(tmp_path: Path) -> None:
    (problem,) = problems_of("[direct]\nwin_rate = 0.3\ninitial_reps = = 4\n", tmp_path)
    assert str(problem).startswith(f"error: {tmp_path / 'bad.toml'}: invalid TOML: ")
    assert "line 3" in problem.message


def test_no_pydantic_boilerplate_reaches_the_user(tmp_path: Path) -> None:
    extra = ("[direct]\nwin_rate = 7\nramp_months = nan\n[product]\nprice = -1\nfoo = 1\n", None)
    for text, overrides in [extra, *((t, o) for t, o, _, _ in ERROR_CASES)]:
        for problem in problems_of(text, tmp_path, overrides):
            message = problem.message
            for noise in ("pydantic", "For further information", "Input should", "Value error"):
                assert noise not in message, message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    problems = problems_of(
        "[direct]\nwin_rate = 7\nramp_months = -1\n[product]\nprice = 0\n", tmp_path
    )
    assert {p.path for p in problems} == {"direct.win_rate", "direct.ramp_months", "product.price"}


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        (
            '[[demand.segments]]\nname = "a"\nshare = 0.5\n'
            '[[demand.segments]]\nname = "b"\nshare = 0.4\n',
            "demand.segments",
            "shares must sum to 1, got 0.9",
        ),
        (
            '[[demand.segments]]\nname = "a"\nshare = 0.5\n'
            '[[demand.segments]]\nname = "a"\nshare = 0.5\n',
            "demand.segments",
            "duplicate segment name 'a'",
        ),
        ('[demand]\ngrowth = "logistic"\n', "demand.ceiling_leads_per_month", "is required"),
        (
            '[demand]\ngrowth = "logistic"\nleads_per_month = 50\nceiling_leads_per_month = 10\n',
            "demand.ceiling_leads_per_month",
            "at least leads_per_month (50), got 10",
        ),
        (
            '[demand]\ngrowth = "linear"\ngrowth_rate = -0.05\n',
            "demand.growth_rate",
            "negative within the horizon",
        ),
        ("[direct]\ninitial_reps = 9\nmax_reps = 5\n", "direct.initial_reps", "at most max_reps"),
        ('[direct.hiring]\npolicy = "plan"\n', "direct.hiring.headcount_plan", "is required"),
        (
            "[direct.hiring]\nheadcount_plan = [[0, 4], [6, 10], [6, 12]]\n",
            "direct.hiring.headcount_plan",
            "strictly increasing, got 0, 6, 6",
        ),
        (
            '[[partners]]\nname = "X"\nkind = "agent"\n[[partners]]\nname = "X"\nkind = "agent"\n',
            "partners.X",
            "duplicate program name 'X'",
        ),
        ('[scenario]\nstrategy = "hybird"\n', "scenario.strategy", "did you mean 'hybrid'?"),
    ],
)
def test_cross_field_rules(tmp_path, text, path, fragment) -> None:
    problems = problems_of(text, tmp_path)
    assert any(p.path == path and fragment in p.message for p in problems), [
        str(p) for p in problems
    ]


def test_a_price_that_would_overflow_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        loads_scenario("[product]\nprice = 1e308\n", file="big.toml")
    (problem,) = info.value.problems
    assert problem.path == "product.price"
    assert str(problem) == (
        "error: big.toml: product.price: must be greater than 0 and at most 1e+12, got 1e+308"
    )
    # the same bound on every amount of money, in files, --set and partner programs
    problems = problems_of(
        '[[partners]]\nname = "VARs"\nkind = "reseller"\nbounty = 2e12\n',
        tmp_path,
        ["direct.salary_annual=1e13", "product.unit_cost=18446744073709551616"],
    )
    assert {str(p).split(": ", 2)[2] for p in problems} == {
        "partners.VARs.bounty: must be between 0 and 1e+12, got 2e+12",
        "direct.salary_annual: must be between 0 and 1e+12, got 1e+13",
        "product.unit_cost: must be between 0 and 1e+12, got 18446744073709551616",
    }
    assert loads_scenario("", [f"product.price={MAX_AMOUNT}"]).product.price == 1e12


def test_every_amount_of_money_has_the_documented_bound() -> None:
    money = [f for f in flat_fields() if "(currency" in f.description]
    assert len(money) >= 14  # prices, costs, salaries, fees, bounties, MDF, escalations
    for doc in money:
        assert doc.constraints.endswith(" 1e+12"), (doc.key, doc.constraints)
    assert MAX_AMOUNT == 1e12


def test_linear_decline_within_horizon_is_fine() -> None:
    s = loads_scenario('[demand]\ngrowth = "linear"\ngrowth_rate = -0.02\n')
    assert s.demand.growth_rate == -0.02


def test_problem_and_error_formatting() -> None:
    assert str(Problem("a.toml", "direct.win_rate", "bad")) == "error: a.toml: direct.win_rate: bad"
    assert str(Problem(None, "direct.win_rate", "bad")) == "error: direct.win_rate: bad"
    assert str(Problem("a.toml", "", "file not found")) == "error: a.toml: file not found"
    err = ScenarioError([Problem(None, "x", "one"), Problem(None, "y", "two")])
    assert str(err) == "error: x: one\nerror: y: two"
    assert str(err.in_file("f.toml")) == "error: f.toml: x: one\nerror: f.toml: y: two"
    usage = UsageError("unknown flag --foo")
    assert isinstance(usage, ScenarioError) and str(usage) == "error: unknown flag --foo"
    assert isinstance(usage.in_file(None), UsageError)


# ---- overrides -------------------------------------------------------------------------------


def test_with_overrides_converts_to_the_field_type(example: Scenario) -> None:
    s = example.with_overrides({"direct.max_reps": "5", "direct.win_rate": "0.4"})
    assert s.direct.max_reps == 5 and isinstance(s.direct.max_reps, int)
    assert s.direct.win_rate == 0.4 and isinstance(s.direct.win_rate, float)
    assert example.direct.max_reps == 60  # unchanged
    s = example.with_overrides({"direct.sales_cycle_days": "30", "demand.patience_days": "inf"})
    assert s.direct.sales_cycle_days == Fixed(value=30)
    assert s.demand.patience_days == Fixed(value=math.inf)


def test_with_overrides_reports_problems_without_a_file(example: Scenario) -> None:
    with pytest.raises(ScenarioError) as info:
        example.with_overrides({"direct.max_reps": -1, "direct.hiring.max_hires": 2})
    lines = str(info.value).splitlines()
    assert lines == [
        "error: direct.hiring.max_hires: unknown key 'max_hires' "
        "(did you mean 'max_hires_per_month'?)"
    ]
    with pytest.raises(ScenarioError) as info:
        example.with_overrides({"direct.max_reps": 2})
    assert str(info.value) == "error: direct.initial_reps: must be at most max_reps (2), got 4"


def test_set_strings_are_read_as_toml_values(example: Scenario) -> None:
    s = load_scenario(
        EXAMPLE,
        [
            "direct.max_reps=5",
            "direct.win_rate = 0.4",
            "scenario.strategy=direct",
            "scenario.name=2026 plan",
            "scenario.description=true",
            'demand.growth="exponential"',
            'direct.sales_cycle_days={dist = "exponential", mean = 30}',
            "demand.patience_days=inf",
            "demand.seasonality.11=2",
            "direct.hiring.headcount_plan=[[0, 4], [6, 8]]",
            "demand.segments.enterprise.channel=any",
            "strategies.lean_team.set.direct.initial_reps=2",
        ],
    )
    assert s.direct.max_reps == 5 and s.direct.win_rate == 0.4
    assert s.scenario.strategy == "direct" and s.scenario.name == "2026 plan"
    assert s.scenario.description == "true"
    assert s.demand.growth == "exponential"
    assert s.direct.sales_cycle_days == Exponential(dist="exponential", mean=30)
    assert math.isinf(s.demand.patience_days.mean)
    assert s.demand.seasonality[11] == 2
    assert s.direct.hiring.headcount_plan == [(0, 4), (6, 8)]
    assert s.demand.segments[1].channel == "any"
    assert s.strategies["lean_team"].overrides == {"direct.max_reps": 10, "direct.initial_reps": 2}


def test_parse_value() -> None:
    assert parse_value("5") == 5 and parse_value("0.4") == 0.4 and parse_value("inf") == math.inf
    assert parse_value("direct") == "direct" and parse_value('"5"') == "5"
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("1\nx = 2") == "1\nx = 2"


def test_set_value_comes_back_in_the_resolved_toml() -> None:
    s = load_scenario(
        EXAMPLE,
        ["direct.win_rate=0.4", "partners.VARs.bounty=250", "direct.sales_cycle_days.mean=50"],
    )
    data = tomllib.loads(s.to_toml())
    assert data["direct"]["win_rate"] == 0.4
    assert data["partners"][0]["bounty"] == 250
    assert data["direct"]["sales_cycle_days"] == {"dist": "lognormal", "mean": 50, "sd": 20}


def test_names_with_dots_are_addressable() -> None:
    s = loads_scenario(
        '[[partners]]\nname = "eu.resellers"\nkind = "reseller"\n',
        ["partners.eu.resellers.bounty=10"],
    )
    assert s.partners[0].bounty == 10


# ---- strategies ------------------------------------------------------------------------------


def test_builtin_and_named_strategies(example: Scenario) -> None:
    assert example.strategy_names() == ["direct", "indirect", "hybrid", "lean_team"]
    assert example.resolve_strategy("direct") == ("direct", example)
    mode, lean = example.resolve_strategy("lean_team")
    assert mode == "hybrid" and lean.direct.max_reps == 10
    assert lean.direct.initial_reps == example.direct.initial_reps


def test_strategy_chains_apply_base_first() -> None:
    text = """
[strategies.small]
base = "indirect"
set = {"direct.max_reps" = 10, "direct.win_rate" = 0.2}
[strategies.smaller]
base = "small"
set = {"direct.max_reps" = 3}
[scenario]
strategy = "smaller"
"""
    s = loads_scenario(text)
    mode, resolved = s.resolve_strategy("smaller")
    assert mode == "indirect"
    assert (resolved.direct.max_reps, resolved.direct.win_rate) == (3, 0.2)
    assert s.strategy_names() == ["direct", "indirect", "hybrid", "small", "smaller"]


def test_unknown_strategy_lists_known_ones(example: Scenario) -> None:
    with pytest.raises(ScenarioError) as info:
        example.resolve_strategy("lean_tem")
    message = str(info.value)
    assert "did you mean 'lean_team'?" in message
    assert "direct, indirect, hybrid, lean_team" in message


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        ('[strategies.a]\nbase = "b"\n[strategies.b]\nbase = "a"\n', "strategies.a.base", "cycle"),
        ('[strategies.a]\nbase = "a"\n', "strategies.a.base", "strategy cycle: a -> a"),
        ('[strategies.a]\nbase = "hybridd"\n', "strategies.a.base", "did you mean 'hybrid'?"),
        ('[strategies.direct]\nbase = "hybrid"\n', "strategies.direct", "built-in"),
        (
            '[strategies.a]\nset = {"direct.max_rep" = 3}\n',
            "strategies.a.set.direct.max_rep",
            "did you mean 'max_reps'?",
        ),
        (
            '[strategies.a]\nset = {"direct.win_rate" = 3}\n',
            "strategies.a.set.direct.win_rate",
            "between 0 and 1, got 3",
        ),
        (
            '[strategies.a]\nset = {"direct.max_reps" = 1}\n',
            "strategies.a.set",
            "direct.initial_reps: must be at most max_reps (1), got 2",
        ),
        (
            '[strategies.a]\nset = {"strategies.a.base" = "direct"}\n',
            "strategies.a.set",
            "cannot change [strategies]",
        ),
    ],
)
def test_bad_strategies_are_refused(tmp_path, text, path, fragment) -> None:
    problems = problems_of(text, tmp_path)
    assert any(p.path == path and fragment in p.message for p in problems), [
        str(p) for p in problems
    ]


# ---- TOML output -----------------------------------------------------------------------------


def test_to_toml_round_trips(example: Scenario) -> None:
    for scenario in (example, Scenario()):
        text = scenario.to_toml()
        assert loads_scenario(text) == scenario
    text = Scenario().to_toml()
    assert text.startswith("# Resolved scenario written by channelsim ")
    assert "patience_days = inf\n" in text  # TOML's inf
    assert "sales_cycle_days = 30.0\n" in text  # a fixed distribution is a plain number


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    win_rate=st.floats(0, 1),
    leads=st.floats(0, 1500),  # the logistic ceiling
    reps=st.integers(0, 10),  # lean_team caps max_reps at 10
    commission=st.floats(0, 1),
    cycle=st.floats(0.01, 1000),
    season=st.floats(0, 5),
    patience=st.one_of(st.just(math.inf), st.floats(0, 1e4)),
    name=st.text(max_size=20),
)
def test_to_toml_round_trips_any_values(
    example, win_rate, leads, reps, commission, cycle, season, patience, name
) -> None:
    s = example.with_overrides(
        {
            "direct.win_rate": win_rate,
            "demand.leads_per_month": leads,
            "direct.initial_reps": reps,
            "partners.VARs.commission_rate": commission,
            "direct.sales_cycle_days.mean": cycle,
            "demand.seasonality.3": season,
            "demand.patience_days": patience,
            "scenario.description": name,
        }
    )
    assert loads_scenario(s.to_toml()) == s


# ---- JSON Schema -----------------------------------------------------------------------------


def test_json_schema_is_plain_json_for_editors() -> None:
    schema = scenario_json_schema()
    text = json.dumps(schema, allow_nan=False)
    assert schema["title"] == "channelsim scenario"
    assert schema["$defs"]["Fixed"]["type"] == "number"
    assert "discriminator" not in text
    partner = schema["$defs"]["PartnerProgram"]
    assert partner["required"] == ["name", "kind"]
    assert partner["properties"]["commission_rate"]["defaultByKind"]["affiliate"] == 0.30
    assert schema["$defs"]["Direct"]["properties"]["win_rate"]["maximum"] == 1
    assert schema["$defs"]["Product"]["properties"]["price"]["maximum"] == MAX_AMOUNT
