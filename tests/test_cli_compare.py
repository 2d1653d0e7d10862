"""``channelsim compare`` and ``channelsim report`` as a user runs them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from channelsim.cli import main
from tests.test_cli import scenario_text

REPORT_FILES = ("differences.csv", "report.html", "summary.csv", "monthly.csv")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(scenario_text(), encoding="utf-8")
    return path


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_compare_writes_differences_plots_and_report(small, tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, stderr = _run(capsys, "compare", small, "--out", out, "--jobs", "1")
    assert code == 0, stderr
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / "plots").glob("*.png"))
    with open(out / "differences.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pairs = {(r["a"], r["b"]) for r in rows}
    assert pairs == {("direct", "indirect"), ("direct", "hybrid"), ("indirect", "hybrid")}
    metrics = {r["metric"] for r in rows}
    assert {"contribution", "npv", "cost_elasticity", "months_to_target"} <= metrics
    with open(out / "summary.csv", encoding="utf-8") as fh:
        summary = list(csv.DictReader(fh))
    assert {r["strategy"] for r in summary} == {"direct", "indirect", "hybrid"}
    assert any(r["metric"] == "cost_elasticity" for r in summary)
    # the terminal shows the table and the verdict
    assert "contribution_margin" in stdout
    assert "report.html" in stdout


def test_compare_bytes_do_not_depend_on_jobs(small, tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run(capsys, "compare", small, "--out", one, "--jobs", "1", "-q")[0] == 0
    assert _run(capsys, "compare", small, "--out", two, "--jobs", "2", "-q")[0] == 0
    for name in ("summary.csv", "differences.csv", "monthly.csv", "report.html"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_compare_chosen_strategies_and_unknown_name(small, tmp_path, capsys):
    out = tmp_path / "two"
    code, _, err = _run(
        capsys,
        "compare",
        small,
        "--strategies",
        "direct,hybrid",
        "--out",
        out,
        "--no-elasticity",
        "-q",
    )
    assert code == 0, err
    text = (out / "summary.csv").read_text(encoding="utf-8")
    assert "indirect" not in text
    assert "cost_elasticity" not in text
    code, _, err = _run(capsys, "compare", small, "--strategies", "direct,hybird", "--out", out)
    assert code == 2
    assert "--strategies" in err and "hybrid" in err and "Traceback" not in err


def test_report_rebuilds_from_the_folder(small, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert _run(capsys, "compare", small, "--out", out, "--no-elasticity", "-q")[0] == 0
    before = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    for png in (out / "plots").glob("*.png"):
        png.unlink()
    code, stdout, err = _run(capsys, "report", out)
    assert code == 0, err
    assert (out / "report.html").read_bytes() == before
    assert list((out / "plots").glob("*.png"))


def test_report_on_a_folder_that_is_not_an_output_folder(tmp_path, capsys):
    code, _, err = _run(capsys, "report", tmp_path)
    assert code == 2
    assert "not a channelsim output folder" in err
