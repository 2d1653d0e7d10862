"""``--set partners.NAME.kind=...`` keeps the file's values, and says so.

Changing a program's kind on the command line fills only the keys the file leaves out; the keys
the file sets keep its values. A user who expected "an agent program" would silently get a
reseller's discount, so each such key is named in one ``warning:`` line on stderr (exit 0).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from channelsim.cli import main

FILE = """\
[scenario]
horizon_months = 3
replications = 2
seed = 5
strategy = "indirect"

[product]
price = 1000.0

[demand]
leads_per_month = 30

[[partners]]
name = "VARs"
kind = "reseller"
discount = 0.3
onboarding_cost = 5000
win_rate = 0.25
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(FILE, encoding="utf-8")
    return path


def _validate(capsys: pytest.CaptureFixture[str], scenario: Path, *sets: str):
    args = ["validate", str(scenario)]
    for item in sets:
        args += ["--set", item]
    code = main(args)
    captured = capsys.readouterr()
    return code, tomllib.loads(captured.out), captured.err


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def test_kind_change_names_the_keys_the_file_keeps(scenario, capsys) -> None:
    code, resolved, err = _validate(capsys, scenario, "partners.VARs.kind=agent")
    assert code == 0
    assert _warnings(err) == [
        "warning: partners.VARs.kind=agent: the file sets discount = 0.3 and onboarding_cost = "
        "5000, which the agent kind would default to 0 and 500; the file's values are kept"
    ]
    program = resolved["partners"][0]
    assert program["kind"] == "agent"
    assert program["discount"] == 0.3 and program["onboarding_cost"] == 5000  # kept, as warned
    assert program["commission_rate"] == 0.11  # omitted in the file: the agent's default
    assert "error" not in err


def test_one_kept_key_reads_as_one(scenario, capsys) -> None:
    _code, _resolved, err = _validate(
        capsys, scenario, "partners.VARs.kind=agent", "partners.VARs.onboarding_cost=500"
    )
    assert _warnings(err) == [
        "warning: partners.VARs.kind=agent: the file sets discount = 0.3, which the agent kind "
        "would default to 0; the file's value is kept"
    ]


@pytest.mark.parametrize(
    "sets",
    [
        # the user sets the kept keys too: they say what they want
        [
            "partners.VARs.kind=agent",
            "partners.VARs.discount=0.1",
            "partners.VARs.onboarding_cost=1",
        ],
        ["partners.VARs.kind=reseller"],  # the kind does not change
        ["partners.VARs.discount=0.2"],  # no kind change at all
    ],
)
def test_no_warning_when_nothing_is_left_unsaid(scenario, capsys, sets) -> None:
    code, _resolved, err = _validate(capsys, scenario, *sets)
    assert code == 0 and _warnings(err) == [], err


def test_a_file_that_only_names_the_kind_gets_no_warning(tmp_path, capsys) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(FILE.replace("discount = 0.3\nonboarding_cost = 5000\n", ""), encoding="utf-8")
    code, resolved, err = _validate(capsys, path, "partners.VARs.kind=agent")
    assert code == 0 and _warnings(err) == [], err  # win_rate 0.25 is the agent's default too
    assert resolved["partners"][0]["discount"] == 0


def test_run_warns_and_runs(scenario, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(
        ["run", str(scenario), "--set", "partners.VARs.kind=integrator", "-o", str(out), "-q"]
    )
    err = capsys.readouterr().err
    assert code == 0 and (out / "summary.csv").is_file()
    (line,) = _warnings(err)
    assert line == (
        "warning: partners.VARs.kind=integrator: the file sets win_rate = 0.25, discount = 0.3 "
        "and onboarding_cost = 5000, which the integrator kind would default to 0.3, 0 and "
        "15000; the file's values are kept"
    )
