"""Hostile input: mutated and random scenario files never crash the loader or the CLI.

Mutations start from the shipped scenarios' text (delete, duplicate or swap lines, flip
characters, replace values with wrong types or extreme numbers: 1e308, -0.0, inf, nan, huge
horizons and rates) and are fed to the loader in-process (it must return a Scenario, whose
amounts of money are at most ``MAX_AMOUNT``, or raise ScenarioError, nothing else) and to the
command line (``validate`` and ``run``: exit code 0 or 2, never 1, no traceback, in bounded
time; money beyond the bound is exit 2). A seeded generator keeps every failure
reproducible: the failing text is in the assertion message.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import time
from pathlib import Path

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from channelsim.cli import main
from channelsim.errors import ScenarioError
from channelsim.experiments import run_size as budget
from channelsim.experiments.replications import simulate
from channelsim.metrics import CATALOGUE
from channelsim.scenario import (
    MAX_AMOUNT,
    Direct,
    PartnerProgram,
    Scenario,
    flat_fields,
    load_scenario,
    loads_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
CURRENCY_METRICS = {m.name for m in CATALOGUE if m.currency}
SHIPPED = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "scenarios").glob("*.toml"))]

SMALL = """\
[scenario]
name = "fuzz"
horizon_months = 4
replications = 2
seed = 1
strategy = "hybrid"

[product]
price = 1000.0
unit_cost = 100.0
deal_size_cv = 0.2

[demand]
leads_per_month = 40
patience_days = {dist = "exponential", mean = 20}

[direct]
initial_reps = 2
deals_per_rep = 3

[direct.hiring]
policy = "demand"

[[partners]]
name = "VARs"
kind = "reseller"
initial = 3
"""

BAD_VALUES = (
    "1e308", "-1e308", "-0.0", "inf", "-inf", "nan", "+nan", "1e-320", "18446744073709551616",
    "-1", "0", '"text"', "true", "[1, 2]", "{a = 1}", '""', "[]", "{}", "1979-05-27",
    "9999999999999", "600", "601", "100000", "1e9", '"inf"', '"nan"', '"1e400"',
    "[[1, 2], [0, 3]]", "[[0, -1]]",
    '{dist = "gamma", mean = 0, sd = 0}',
    '{dist = "lognormal", mean = inf, sd = 1}',
    '{dist = "triangular", low = 3, mode = 1, high = 2}',
    '{dist = "uniform", low = 1e308, high = inf}',
    '{dist = "weibull", mean = 3}',
    '{mean = 3}',
)  # fmt: skip

EXTRA_LINES = (
    "[scenario]", "[[partners]]", "[[demand.segments]]", "[strategies.x]", "foo = 1",
    "[direct.hiring]", 'base = "nope"', 'set = {"direct.max_reps" = 1e308}', 'kind = "agent"',
    'name = "VARs"', 'policy = "plan"', "headcount_plan = [[3, 1], [1, 2]]", "share = 0.5",
    '"quoted key" = 1', "a.b.c = 2", "[demand]", 'growth = "bass"',
)  # fmt: skip


def mutate(text: str, rng: random.Random) -> str:
    """One to four random edits of a scenario's text."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        op = rng.randrange(9)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3 and lines[i]:
            k = rng.randrange(len(lines[i]))
            char = chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 32),
                                   rng.randrange(128, 0x3000)]))  # fmt: skip
            lines[i] = lines[i][:k] + char + lines[i][k + 1 :]
        elif op in (4, 5, 6) and "=" in lines[i]:
            lines[i] = lines[i].split("=")[0] + "= " + rng.choice(BAD_VALUES)
        elif op == 7:
            lines.insert(i, rng.choice(EXTRA_LINES))
        else:
            lines = lines[:i]  # truncated file
    return "\n".join(lines) + rng.choice(["", "\n"])


MONEY_KEYS = frozenset(f.name for f in flat_fields() if "(currency" in f.description)


def _amounts(data: object) -> list[tuple[str, float]]:
    """Every amount of money in resolved scenario data, by key."""
    found: list[tuple[str, float]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in MONEY_KEYS and isinstance(value, int | float):
                found.append((key, value))
            else:
                found += _amounts(value)
    elif isinstance(data, list):
        for item in data:
            found += _amounts(item)
    return found


def _load_or_refuse(text: str) -> Scenario | None:
    """The loader's contract: a Scenario, or ScenarioError with readable problems."""
    try:
        scenario = loads_scenario(text, file="fuzz.toml")
    except ScenarioError as exc:
        assert exc.problems, text
        for problem in exc.problems:
            line = str(problem)
            assert line.startswith("error: ") and "\n" not in line, (line, text)
        return None
    except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
        raise AssertionError(f"{type(exc).__name__}: {exc}\n--- input ---\n{text}") from exc
    for key, value in _amounts(scenario.to_toml_dict()):
        assert value <= MAX_AMOUNT, (key, value, text)  # money that loads cannot overflow
    return scenario


def test_mutated_scenarios_load_or_are_refused_and_round_trip():
    rng = random.Random(20260707)
    loaded = 0
    for _ in range(1500):
        text = mutate(rng.choice(SHIPPED), rng)
        scenario = _load_or_refuse(text)
        if scenario is None:
            continue
        loaded += 1
        # whatever loads, written resolved and read back, is the same scenario
        assert loads_scenario(scenario.to_toml()) == scenario, text
    assert 200 < loaded < 1400  # the mutations exercise both paths


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_random_text_loads_or_is_refused(text):
    _load_or_refuse(text)


# Random TOML documents built from the schema's own key names, with values of every type.
KEYS = ("scenario", "demand", "direct", "hiring", "partners", "name", "kind", "horizon_months",
        "replications", "seed", "leads_per_month", "growth", "sales_cycle_days", "dist", "mean",
        "sd", "low", "high", "mode", "share", "segments", "strategies", "base", "set", "policy",
        "initial_reps", "max_reps", "patience_days", "seasonality", "price", "routing")  # fmt: skip
SCALARS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.booleans(),
    st.sampled_from(["inf", "exponential", "lognormal", "hybrid", "agent", "bass", "plan"]),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), DOCUMENTS, max_size=6))
def test_random_toml_documents_load_or_are_refused(document):
    try:
        text = tomli_w.dumps(document)
    except (TypeError, ValueError):  # not representable in TOML (e.g. a list of mixed tables)
        return
    _load_or_refuse(text)


def _cli(args: list[str]) -> tuple[int, str, float]:
    err, out = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(args)
    return code, err.getvalue(), time.perf_counter() - started


def _assert_clean_exit(code: int, err: str, text: str, seconds: float, limit: float) -> None:
    where = f"\n--- input ---\n{text}"
    assert code in (0, 2), f"exit {code}: {err}{where}"
    assert "Traceback" not in err, err + where
    assert seconds < limit, f"took {seconds:.1f} s{where}"
    if code == 2:
        problems = [line for line in err.splitlines() if line.startswith("error: ")]
        assert problems, err + where


def test_validate_command_on_mutated_files(tmp_path):
    rng = random.Random(7)
    path = tmp_path / "s.toml"
    codes = set()
    for _ in range(120):
        text = mutate(rng.choice(SHIPPED), rng)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        code, err, seconds = _cli(["validate", str(path)])
        _assert_clean_exit(code, err, text, seconds, limit=5.0)
        codes.add(code)
    assert codes == {0, 2}
    path.write_bytes(b"\xff\xfe[scenario]\x00\x81")  # not UTF-8 text
    code, err, _ = _cli(["validate", str(path)])
    assert code == 2 and "not a UTF-8 text file" in err


@pytest.fixture
def small_budget(monkeypatch):
    """A budget of 2 million events: a fuzzed run that passes it ends in seconds."""
    monkeypatch.setattr(budget, "DEFAULT_BUDGET", 2_000_000)


def test_run_command_on_mutated_files(tmp_path, small_budget):
    rng = random.Random(11)
    path = tmp_path / "s.toml"
    codes = []
    for i in range(8):
        text = mutate(SMALL, rng)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        args = ["run", str(path), "--reps", "1", "--quiet", "--out", str(tmp_path / f"o{i}")]
        code, err, seconds = _cli(args)
        _assert_clean_exit(code, err, text, seconds, limit=30.0)
        codes.append(code)
    assert 0 in codes and 2 in codes


# --- hostile values, one by one ------------------------------------------------------------

# Refused before any simulation: by the schema or by the event budget (exit 2, quickly).
REFUSED = {
    "leads 1e308": (["demand.leads_per_month=1e308"], "use --force"),
    "exponential growth 1e308": (
        ['demand.growth="exponential"', "demand.growth_rate=1e308"], "use --force"),
    "bass market 1e308": (['demand.growth="bass"', "demand.market_size=1e308"], "use --force"),
    "seasonality 1e308": (["demand.seasonality=[" + ", ".join(["1e308"] * 12) + "]"],
                          "use --force"),
    "reputation sensitivity 1e308": (["demand.reputation_sensitivity=1e308"], "use --force"),
    "recruits 1e308 a month": (["partners.VARs.recruit_per_month=1e308"], "use --force"),
    "sourced leads 1e308": (["partners.VARs.sourced_leads_per_month=1e308"], "use --force"),
    "2^62 partners": (["partners.VARs.max_partners=4611686018427387904",
                       "partners.VARs.initial=4611686018427387904"], "use --force"),
    "2^62 reps": (["direct.initial_reps=4611686018427387904",
                   "direct.max_reps=4611686018427387904"], "use --force"),
    "a review every 1e-300 days": (["direct.hiring.review_every_days=1e-300"], "use --force"),
    "100,000 replications of 600 months": (
        ["scenario.replications=100000", "scenario.horizon_months=600"], "use --force"),
    "horizon 601": (["scenario.horizon_months=601"], "scenario.horizon_months: must be"),
    "nan price": (["product.price=nan"], "product.price: must be a finite number, got nan"),
    "inf win rate": (["direct.win_rate=inf"], "direct.win_rate: must be a finite number"),
    "-0.0 price": (["product.price=-0.0"], "product.price: must be greater than 0"),
    # money that would overflow: every amount is at most a trillion
    "price 1e308": (["product.price=1e308"],
                    "product.price: must be greater than 0 and at most 1e+12, got 1e+308"),
    "salary 1e308": (["direct.salary_annual=1e308"],
                     "direct.salary_annual: must be between 0 and 1e+12, got 1e+308"),
    "bounty 1e308": (["partners.VARs.bounty=1e308"],
                     "partners.VARs.bounty: must be between 0 and 1e+12, got 1e+308"),
    "fixed cost 2^64": (["partners.VARs.fixed_cost_per_month=18446744073709551616"],
                        "partners.VARs.fixed_cost_per_month: must be between 0 and 1e+12"),
    "unit cost just above a trillion": (["product.unit_cost=1000000000001"],
                                        "product.unit_cost: must be between 0 and 1e+12"),
    "deal size cv 1e308": (["product.deal_size_cv=1e308"],
                           "product.deal_size_cv: must be between 0 and 10, got 1e+308"),
    "partner deal size 1e308": (["partners.VARs.deal_size_factor=1e308"],
                                "partners.VARs.deal_size_factor: must be"),
    "string leads": (['demand.leads_per_month="many"'], "demand.leads_per_month: expected a"),
    # regressions: these crashed the model (exit 1) before the schema refused them
    "infinite direct sales cycle": (["direct.sales_cycle_days=inf"],
                                    "direct.sales_cycle_days: must be finite"),
    "infinite partner sales cycle": (["partners.VARs.sales_cycle_days=inf"],
                                     "partners.VARs.sales_cycle_days: must be finite"),
    "exponential decline of 200% a month": (
        ['demand.growth="exponential"', "demand.growth_rate=-2"],
        "demand.growth_rate: with growth = \"exponential\""),
    "exponential decline -1e308": (
        ['demand.growth="exponential"', "demand.growth_rate=-1e308"], "must be above -1"),
    "bass imitation 1e300": (['demand.growth="bass"', "demand.innovation=1e-300",
                              "demand.imitation=1e300"], "demand.imitation: must be between"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_hostile_values_are_refused_quickly(tmp_path, case):
    path = tmp_path / "s.toml"
    path.write_text(SMALL, encoding="utf-8")
    sets, message = REFUSED[case]
    args = ["run", str(path), "--reps", "1", "--quiet", "--out", str(tmp_path / "o")]
    if case.startswith("100,000"):
        args.remove("--reps")
        args.remove("1")
    for item in sets:
        args += ["--set", item]
    code, err, seconds = _cli(args)
    assert code == 2, err
    assert message in err, err
    assert "Traceback" not in err and seconds < 2.0
    assert not (tmp_path / "o").exists()


# Accepted and simulated: extreme but valid values give numbers, never an exception.
SIMULATED = {
    "price 1e12, the most": ["product.price=1e12"],
    "deal size cv 10, the most": ["product.deal_size_cv=10"],
    "salary 1e12": ["direct.salary_annual=1e12"],
    "bounty 1e12": ["partners.VARs.bounty=1e12"],
    "sales cycle 1e-320": ["direct.sales_cycle_days=1e-320"],
    "sales cycle 1e308 (little demand)": ["direct.sales_cycle_days=1e308",
                                          "demand.leads_per_month=1"],
    "patience 0": ["demand.patience_days=0"],
    "2^62 slots a rep": ["direct.deals_per_rep=4611686018427387904"],
    "overflow queue 2^62": ['routing.policy="overflow"',
                            "routing.overflow_queue=4611686018427387904"],
    "attrition 1e308": ["direct.attrition_annual=1e308"],
    "churn 1e308": ["partners.VARs.churn_annual=1e308"],
    "ramp 1e308 months": ["direct.ramp_months=1e308"],
    "time to hire 1e308": ["direct.hiring.time_to_hire_days=1e308"],
    "onboarding 0 days, 1000 recruits a month": ["partners.VARs.onboarding_days=0",
                                                 "partners.VARs.recruit_per_month=1000"],
    "discount rate 1e308": ["scenario.discount_rate=1e308"],
    "seed 2^70": ["scenario.seed=1180591620717411303424"],
    "reputation memory 1e308": ["brand.reputation_memory_months=1e308"],
    "target 1e-320 sales": ["targets.sales_per_month=1e-320"],
    "logistic collapse": ['demand.growth="logistic"', "demand.growth_rate=-1e300",
                          "demand.ceiling_leads_per_month=50"],
    "lognormal with sd 1e308": ['direct.sales_cycle_days={dist = "lognormal", mean = 1e300, '
                                "sd = 1e308}"],
    "uniform patience up to 1e308": ['demand.patience_days={dist = "uniform", low = 0, '
                                     "high = 1e308}"],
    "budget hiring, free reps": ['direct.hiring.policy="budget"', "direct.salary_annual=0",
                                 "direct.manager_salary_annual=0"],
}  # fmt: skip

# Model bugs this fuzzing found (each once an unexpected failure, exit 1), now fixed: they
# stay as regression cases.
MODEL_BUGS = {
    "gamma with mean 1e-300 and sd 1e300": (
        ['direct.sales_cycle_days={dist = "gamma", mean = 1e-300, sd = 1e300}'],
        "distributions.Gamma: shape (mean/sd)^2 underflows to 0, ZeroDivisionError",
    ),
    "demand hiring with a 1e308-day cycle": (
        ["direct.sales_cycle_days=1e308", "demand.leads_per_month=400"],
        "model.direct.DemandPolicy: ceil(inf) OverflowError",
    ),
    "demand hiring with a buffer of 1e308": (
        ["direct.hiring.headcount_buffer=1e308", "demand.leads_per_month=400"],
        "model.direct.DemandPolicy: ceil(inf) OverflowError",
    ),
    "budget hiring with a salary of 1e-320": (
        ['direct.hiring.policy="budget"', "direct.salary_annual=1e-320",
         "direct.manager_salary_annual=0"],
        "model.direct.BudgetPolicy: floor(inf) OverflowError",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(SIMULATED))
def test_extreme_valid_values_simulate_without_an_exception(case):
    scenario = loads_scenario(SMALL, SIMULATED[case])
    assert budget.estimate_events(scenario, ["hybrid"], 1) < budget.DEFAULT_BUDGET
    result = simulate(scenario, "hybrid", replications=1)
    sales = result.metric("sales")["mean"].iloc[0]
    assert math.isfinite(sales) and sales >= 0


@pytest.mark.parametrize("case", list(MODEL_BUGS))
def test_fixed_model_bugs_exit_cleanly(tmp_path, case):
    path = tmp_path / "s.toml"
    path.write_text(SMALL, encoding="utf-8")
    args = ["run", str(path), "--reps", "1", "--quiet", "--out", str(tmp_path / "o")]
    for item in MODEL_BUGS[case][0]:
        args += ["--set", item]
    code, err, _ = _cli(args)
    assert code in (0, 2), err


def test_every_amount_of_money_at_its_bound_gives_finite_money():
    """A trillion per item leaves the sums of a run far inside float range."""
    amounts = {f.name for f in flat_fields() if "(currency" in f.description}
    sets = [f"product.{k}={MAX_AMOUNT}" for k in ("price", "unit_cost")]
    sets += [f"direct.{k}={MAX_AMOUNT}" for k in amounts if k in Direct.model_fields]
    sets += [f"partners.VARs.{k}={MAX_AMOUNT}" for k in amounts if k in PartnerProgram.model_fields]
    sets += [f"product.subscription.{k}={MAX_AMOUNT}" for k in ("fee_per_month", "cost_per_month")]
    sets += [f"cash.opening_cash={MAX_AMOUNT}"]
    assert len(sets) == len([f for f in flat_fields() if "(currency" in f.description])
    scenario = loads_scenario(SMALL, sets)
    result = simulate(scenario, "hybrid", replications=1)
    money = result.summary[result.summary.metric.isin(CURRENCY_METRICS)]
    assert not money.empty and not money["mean"].abs().eq(math.inf).any(), money


@pytest.mark.parametrize(
    "case", ["price 1e12, the most", "deal size cv 10, the most", "sales cycle 1e-320"]
)
def test_extreme_values_through_the_whole_command(tmp_path, case):
    """Money at its bound, the widest deal-size noise and degenerate cycles still give a
    complete output folder."""
    path = tmp_path / "s.toml"
    path.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "o"
    args = ["run", str(path), "--reps", "1", "--quiet", "--report", "--out", str(out)]
    for item in SIMULATED[case]:
        args += ["--set", item]
    code, err, seconds = _cli(args)
    _assert_clean_exit(code, err, case, seconds, limit=30.0)
    assert code == 0 and (out / "report.html").is_file()
    assert load_scenario(out / "scenario.resolved.toml") is not None
