"""Reading a CRM export: mappings, presets, dates, and bad files that name line and column.

Small hand-written exports, each checked against what a reader of the file can see: which rows
are won, lost and open, which line and column is wrong, and that the command line answers a bad
file with exit 2 and no traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from channelsim.calibration.calibrate import calibrate
from channelsim.calibration.crm import read_deals
from channelsim.cli import main
from channelsim.errors import UsageError

HEADER = "created,closed,stage,amount,owner\n"


def _rows(n_won: int = 6, n_lost: int = 6, n_open: int = 3) -> str:
    """Deals over four months: a third of them won, cycles 10 to 40 days."""
    lines = []
    for i in range(n_won + n_lost + n_open):
        created = pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * i)
        stage = "won" if i < n_won else ("lost" if i < n_won + n_lost else "open")
        closed = "" if stage == "open" else (created + pd.Timedelta(days=10 + 3 * i)).date()
        lines.append(f"{created.date()},{closed},{stage},{1000 + 100 * i},rep-{i % 3}")
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, text: str, name: str = "deals.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_canonical_export_is_read_with_outcomes_and_as_of(tmp_path):
    deals = read_deals(_write(tmp_path, HEADER + _rows()))
    f = deals.frame
    assert (f.outcome == "won").sum() == 6
    assert (f.outcome == "lost").sum() == 6
    assert (f.outcome == "open").sum() == 3
    assert f.closed[f.outcome == "open"].isna().all()
    assert (f.channel == "direct").all() and (f.source == "company").all()
    # the latest date in the file: the last deal's creation (14 weeks in) or a close
    last_close = pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * 11 + 10 + 33)
    assert deals.as_of == max(last_close, pd.Timestamp("2024-01-01") + pd.Timedelta(days=98))
    assert list(f.line) == list(range(2, 17))  # line numbers as in the file


def test_salesforce_preset_with_us_dates_and_forecast_close_dates(tmp_path):
    text = (
        "Id,CreatedDate,CloseDate,StageName,Amount,Owner\n"
        "1,01/15/2024,02/20/2024,Closed Won,5000,Ann\n"
        "2,01/20/2024,03/01/2024,Closed Lost,7000,Bob\n"
        # an open opportunity carries a forecast close date: it is not a close
        "3,02/01/2024,06/30/2024,Negotiation,9000,Ann\n"
    )
    deals = read_deals(
        _write(tmp_path, text), fmt="salesforce", date_format="%m/%d/%Y", as_of="2024-03-31"
    )
    f = deals.frame.set_index("line")
    assert f.loc[2, "outcome"] == "won" and f.loc[3, "outcome"] == "lost"
    assert f.loc[4, "outcome"] == "open" and pd.isna(f.loc[4, "closed"])
    assert f.loc[2, "created"] == pd.Timestamp("2024-01-15")
    assert deals.as_of == pd.Timestamp("2024-03-31")


def test_hubspot_preset_and_map_and_custom_outcomes(tmp_path):
    text = (
        "Create Date,Close Date,Deal Stage,Amount,Rep,Pipeline\n"
        "2024-01-02,2024-01-30,Signed,100,A,Partners West\n"
        "2024-01-03,2024-02-10,Dead,200,B,direct\n"
        "2024-01-04,,closedwon,300,C,\n"
    )
    with pytest.raises(UsageError, match="Deal owner"):
        read_deals(_write(tmp_path, text), fmt="hubspot")
    deals = read_deals(
        _write(tmp_path, text),
        fmt="hubspot",
        mapping=["owner=Rep", "channel=Pipeline"],
        won=["signed"],
        lost=["DEAD"],
    )
    f = deals.frame
    assert list(f.outcome) == ["won", "lost", "open"]  # closedwon is not won any more
    assert list(f.channel) == ["Partners West", "direct", "direct"]
    assert list(f.owner) == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        pytest.param(
            "created,closed,stage,amount\n2024-01-01,2024-02-01,won,10\n",
            [],
            ["line 1", "'owner'", "--map owner=COLUMN"],
            id="missing-column",
        ),
        pytest.param(
            HEADER + "03/15/2024,04/15/2024,won,10,a\n03/16/2024,,open,10,a\n",
            [],
            ["line 2, column 'created'", "'03/15/2024'", "--date-format"],
            id="unparseable-dates",
        ),
        pytest.param(
            HEADER + "2024-01-01,,Prospecting,10,a\n2024-01-05,,Proposal,10,b\n",
            [],
            ["column 'stage'", "no won or lost deal", "'Prospecting'", "--won"],
            id="no-closed-deal",
        ),
        pytest.param(
            HEADER + _rows() + "2024-02-01,2024-03-01,won,-500,a\n",
            [],
            ["line 17, column 'amount'", "negative amount -500"],
            id="negative-amount",
        ),
        pytest.param(
            HEADER + _rows(),
            ["--as-of", "2024-01-15"],
            ["--as-of", "before dates in the file"],
            id="as-of-before-the-data",
        ),
    ],
)
def test_bad_exports_exit_2_naming_line_and_column(tmp_path, capsys, text, args, expected):
    path = _write(tmp_path, text)
    out = tmp_path / "out" / "c.toml"
    code, _, err = _cli(["calibrate", str(path), "--out", str(out), *args], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    for text in expected:
        assert text in err, (text, err)
    assert not out.exists() and not (out.parent / "calibration").exists()


def test_a_few_unreadable_rows_are_left_out_and_reported(tmp_path, capsys):
    text = HEADER + _rows() + "2024-13-45,2024-02-01,won,10,a\n2024-02-02,,won,10,a\n"
    deals = read_deals(_write(tmp_path, text))
    assert [(p.line, p.column) for p in deals.dropped] == [(17, "created"), (18, "closed")]
    assert len(deals.frame) == 15
    warnings = deals.warnings()
    assert any("line 17, column 'created'" in w and "'2024-13-45'" in w for w in warnings)
    assert any("a won deal without its close date" in w for w in warnings)
    assert any("2 of 17 rows" in w for w in warnings)  # more than 2% left out: said so


def test_closed_before_created_and_bad_amount_are_left_out(tmp_path):
    text = HEADER + _rows() + "2024-03-01,2024-02-01,lost,10,a\n2024-03-02,,open,lots,b\n"
    deals = read_deals(_write(tmp_path, text))
    problems = {(p.line, p.column): p.message for p in deals.dropped}
    assert "before it was created" in problems[(17, "closed")]
    assert "'lots'" in problems[(18, "amount")]


def test_mostly_unreadable_file_is_refused(tmp_path):
    rows = "".join(f"2024-01-{d:02d} 25:00,,open,1,a\n" for d in range(1, 20))
    with pytest.raises(UsageError, match="could be read"):
        read_deals(_write(tmp_path, HEADER + "2024-01-01,2024-02-01,won,5,a\n" + rows))


def test_stale_deals_are_counted_lost_by_default_and_kept_open_on_request(tmp_path):
    # closed cycles of 10..43 days; two open deals are 300+ days old: stale by the default
    # (twice the longest closed cycle = 86 days); one open deal is young
    text = HEADER + _rows(6, 6, 0)
    text += "2023-01-01,,open,100,a\n2023-02-01,,open,100,b\n2024-04-01,,open,100,c\n"
    deals = read_deals(_write(tmp_path, text), as_of="2024-04-30")
    cal = calibrate(deals)
    (report,) = cal.stale
    assert report.count == 2 and report.default
    assert report.threshold == pytest.approx(2 * (10 + 3 * 11))
    assert report.win_rate_counted_lost == pytest.approx(6 / 14)
    assert report.win_rate_kept_open == pytest.approx(6 / 12)
    assert cal.estimate("direct.win_rate").value == pytest.approx(6 / 14)
    assert "2 open deals older than 86 days" in report.text()
    kept = calibrate(deals, stale_after=math.inf)
    assert kept.estimate("direct.win_rate").value == pytest.approx(6 / 12)
    assert kept.stale[0].count == 0
    assert (
        kept.estimate("direct.sales_cycle_days").value
        > cal.estimate("direct.sales_cycle_days").value
    )


def test_report_escapes_every_string_from_the_export(tmp_path, capsys):
    evil = "<script>alert(1)</script>"
    rows = _rows().replace("rep-0", evil).replace(",won,", ",W<b>n,")
    text = "created,closed,stage,amount,owner,channel\n" + "".join(
        line + ",direct\n" for line in rows.splitlines()
    )
    path = _write(tmp_path, text, name="a<b>.csv")
    out = tmp_path / "o" / "c.toml"
    code, _, err = _cli(["calibrate", str(path), "--won", "W<b>n", "--out", str(out)], capsys)
    assert code == 0, err
    page = (out.parent / "calibration" / "calibration.html").read_text()
    assert "<script>" not in page and "<b>" not in page
    assert "a&lt;b&gt;.csv" in page
    state = json.loads((out.parent / "calibration" / "initial_state.json").read_text())
    assert state["format"] == "channelsim-initial-state"
    assert {d["owner"] for d in state["deals"]} <= {evil, "rep-1", "rep-2"}


def test_a_channel_that_is_not_in_the_base_becomes_a_reseller_program(tmp_path):
    lines = []
    for i in range(40):
        created = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=3 * i)).date()
        closed = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=3 * i + 20)).date()
        channel = "Partners West" if i % 2 else "direct"
        stage = "won" if i % 3 == 0 else "lost"
        lines.append(f"{created},{closed},{stage},{500 + i},o{i % 4},{channel}")
    text = "created,closed,stage,amount,owner,channel\n" + "\n".join(lines) + "\n"
    cal = calibrate(read_deals(_write(tmp_path, text)))
    assert cal.mode == "hybrid"
    (program,) = cal.scenario.partners
    assert program.name == "Partners West" and program.kind == "reseller"
    assert any("Partners West" in n and "not from data" in n for n in cal.notes)
    assert program.win_rate == pytest.approx(
        cal.estimate("partners.Partners West.win_rate").written
    )
    text = cal.scenario_toml()
    assert "# from data: n = 20" in text  # the program's closed deals
    from channelsim.calibration.writing import write_calibration
    from channelsim.scenario import load_scenario

    out = tmp_path / "cal" / "c.toml"
    write_calibration(cal, out)  # the scenario names calibration/initial_state.json beside it
    loaded = load_scenario(out)
    assert loaded.partners[0].name == "Partners West"
    assert loaded.start_state is not None
    assert {d.channel for d in loaded.start_state.deals} <= {"direct", "Partners West"}


def test_sensitivity_ranges_file_errors_name_the_file(tmp_path, capsys):
    scenario = _write(tmp_path, "[scenario]\nhorizon_months = 3\nreplications = 2\n", "s.toml")
    bad = _write(tmp_path, '[sensitivity]\nranges = {"direct.win_rate" = [0.2]}\n', "r.toml")
    code, _, err = _cli(["sensitivity", str(scenario), "--ranges", str(bad)], capsys)
    assert code == 2 and "r.toml: sensitivity.ranges.direct.win_rate" in err
    code, _, err = _cli(["sensitivity", str(scenario), "--ranges", str(tmp_path / "no")], capsys)
    assert code == 2 and "file not found" in err
