"""What a newcomer reads first: ``--help``, ``channelsim metrics`` and the README's usage lines.

Every verb's help is free of the type artefacts recent typer versions add (``<bool>`` after a
flag, ``{SCENARIO}`` in the usage line); ``channelsim metrics`` lists the whole catalogue with
unit, kind and better direction; every ``--metric``/``--objective`` points to it and defaults to
``npv``; and the README's command-line overview names exactly the options each verb takes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer

from channelsim.cli import main
from channelsim.cli.app import app
from channelsim.metrics.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
GROUP = typer.main.get_command(app)
VERBS = sorted(GROUP.commands)  # type: ignore[attr-defined]


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("verb", [None, *VERBS])
def test_help_has_no_type_artefacts(
    verb: str | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per option: an artefact cannot wrap away
    text = _help(capsys, *([verb] if verb else []))
    assert "Usage: channelsim" in text
    assert "<bool>" not in text
    assert re.search(r"\{[A-Z][A-Z_.]*\}", text) is None, text.splitlines()[1]
    if verb is not None:
        command = GROUP.commands[verb]  # type: ignore[attr-defined]
        for param in command.params:
            if param.param_type_name == "argument":
                shown = param.metavar or str(param.name).upper()
                assert f" {shown}" in text.splitlines()[1]


def test_metrics_lists_the_catalogue(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["metrics"]) == 0
    text = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert set(CATALOGUE_NAMES) <= set(rows)
    npv = [c.strip() for c in rows["npv"].split("│")[1:-1]]
    assert npv[:4] == ["npv", "currency", "value", "higher"]
    assert "discount" in npv[-1].lower()
    cost = [c.strip() for c in rows["cost_per_sale"].split("│")[1:-1]]
    assert cost[1:4] == ["currency per sale", "ratio", "lower"]


CATALOGUE_NAMES = [m.name for m in CATALOGUE]


def test_metrics_json_is_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == CATALOGUE_NAMES
    by_name = {r["name"]: r for r in rows}
    assert by_name["lost_lead_share"]["better"] == "lower"
    assert by_name["lost_lead_share"]["unit"] == "share"
    assert by_name["headcount"]["tables"] == "monthly"  # a stock: not a --metric
    assert by_name["cost_elasticity"]["tables"] == "summary (compare)"
    assert all(r["description"] for r in rows)


def _metric_params():
    for verb in VERBS:
        for param in GROUP.commands[verb].params:  # type: ignore[attr-defined]
            if param.name in ("metric", "objective"):
                yield verb, param


def test_every_metric_option_defaults_to_npv_and_points_to_the_listing() -> None:
    found = {verb for verb, _param in _metric_params()}
    assert found >= {"sweep", "breakeven", "sensitivity", "optimize", "voi"}
    for verb, param in _metric_params():
        assert param.default == "npv", verb
        assert "channelsim metrics" in (param.help or ""), verb


def test_breakeven_without_metric_compares_npv(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        "[scenario]\nhorizon_months = 3\nreplications = 2\nseed = 1\n[product]\nprice = 1000.0\n"
        "[demand]\nleads_per_month = 30\n[direct]\ninitial_reps = 1\n"
        '[[partners]]\nname = "A"\nkind = "agent"\ninitial = 2\n',
        encoding="utf-8",
    )
    out = tmp_path / "be"
    args = ["breakeven", str(scenario), "-p", "product.price", "--low", "500", "--high", "900"]
    assert main([*args, "--scan", "2", "--jobs", "1", "--out", str(out)]) == 0
    assert json.loads((out / "breakeven.json").read_text(encoding="utf-8"))["metric"] == "npv"


# --- the README's usage lines ------------------------------------------------------------------


def _readme_usage() -> dict[str, set[str]]:
    """Verb -> the long options its README usage lines name ("" for ``channelsim`` alone)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The command line", 1)[1]
    block = section.split("```text", 1)[1].split("```", 1)[0]
    usage: dict[str, set[str]] = {}
    verb = None
    for line in block.splitlines():
        if line.startswith("channelsim "):
            word = line.split()[1]
            verb = "" if word.startswith("-") else word
            usage.setdefault(verb, set())
        if verb is not None:
            usage[verb] |= set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", line))
    return usage


def _options(command) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        if param.param_type_name == "option":
            names |= {o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")}
    return names - {"--help"}


def test_readme_usage_lines_list_every_option_of_every_verb() -> None:
    usage = _readme_usage()
    assert set(usage) == {"", *VERBS}
    assert usage[""] == _options(GROUP)
    for verb in VERBS:
        command = GROUP.commands[verb]  # type: ignore[attr-defined]
        assert usage[verb] == _options(command), verb
