"""The validation report: the quick run passes every check; the committed report lists them all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from channelsim.verification import report
from channelsim.verification.checks import CHECK_NAMES
from channelsim.verification.framework import FULL, QUICK, Measurement, judge

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "validation.md"


@pytest.mark.slow
def test_quick_validation_passes_every_check(tmp_path, capsys):
    out = tmp_path / "validation.md"
    code = report.main(["--quick", "--jobs", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"{len(CHECK_NAMES)}/{len(CHECK_NAMES)} checks pass" in printed
    text = out.read_text(encoding="utf-8")
    assert f"All {len(CHECK_NAMES)} checks pass" in text
    for name in CHECK_NAMES:
        assert f"`{name}`" in text, name


def test_committed_report_exists_and_lists_every_check():
    assert REPORT.is_file(), (
        "generate it: python -m channelsim.verification --out docs/validation.md"
    )
    text = REPORT.read_text(encoding="utf-8")
    assert "full run" in text, "docs/validation.md must come from the full run, not --quick"
    assert f"All {len(CHECK_NAMES)} checks pass" in text
    for name in CHECK_NAMES:
        assert f"`{name}`" in text, f"docs/validation.md does not list {name}: regenerate it"


def test_readme_points_to_the_report():
    assert "docs/validation.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_required_check_is_in_the_table():
    required = (
        "erlang_c_wait_load_0.5",
        "erlang_c_wait_load_0.7",
        "erlang_c_wait_load_0.9",
        "erlang_a_abandon_patience_1",
        "erlang_a_abandon_patience_0.25",
        "little_lead_queue",
        "little_sales_force",
        "mg_inf_partner_slots",
        "bass_monthly_curve",
        "steady_headcount",
        "kotler_breakeven",
        "elasticity_commission_only",
    )
    assert set(required) <= set(CHECK_NAMES)
    assert len(set(CHECK_NAMES)) == len(CHECK_NAMES)


def _measure(values, theory: float, tolerance: float = 0.0) -> Measurement:
    return Measurement("x", "x", "x", theory, np.asarray(values, dtype=float), tolerance=tolerance)


def test_verdicts_follow_the_intervals():
    rng = np.random.default_rng(1)
    values = rng.normal(10.0, 1.0, 30)
    mean = values.mean()
    half = np.std(values, ddof=1) / np.sqrt(30)
    assert judge(_measure(values, mean), 15).verdict == "pass"
    # outside the 95% interval (t ~ 2.05 se) but inside the Bonferroni one (t ~ 3.3 se)
    assert judge(_measure(values, mean + 2.6 * half), 15).verdict == "pass (chance)"
    assert judge(_measure(values, mean + 6 * half), 15).verdict == "FAIL"
    # a stated tolerance widens the interval on both sides
    assert judge(_measure(values, mean + 6 * half, tolerance=5 * half), 15).verdict == "pass"
    # a deterministic quantity: zero-width interval, float rounding allowed
    assert judge(_measure([1.0] * 5, 1.0 + 1e-12), 15).verdict == "pass"
    assert judge(_measure([1.0] * 5, 1.001), 15).verdict == "FAIL"
    # no interval, or a NaN replication (e.g. the hiring cap was exceeded): fail
    assert judge(_measure([1.0], 1.0), 15).verdict == "FAIL"
    assert judge(_measure([1.0, np.nan, 1.0], 1.0), 15).verdict == "FAIL"


def test_script_exits_nonzero_when_a_check_fails(monkeypatch, tmp_path, capsys):
    bad = judge(_measure([1.0, 1.1, 0.9, 1.05], 5.0), 2)
    good = judge(_measure([1.0, 1.1, 0.9, 1.05], 1.0), 2)
    monkeypatch.setattr(report, "run_checks", lambda effort, jobs=None: [good, bad])
    out = tmp_path / "v.md"
    assert report.main(["--quick", "--out", str(out)]) == 1
    assert "1/2 checks pass" in capsys.readouterr().out
    assert "**1 of 2 checks FAIL:** `x`" in out.read_text(encoding="utf-8")
    assert QUICK.reps < FULL.reps
