"""What ``calibrate`` writes: the calibrated scenario and the ``calibration/`` folder beside it.

- ``calibrated.toml`` (the ``--out`` name): a valid scenario, each fitted key preceded by a
  comment with ``n``, the 95% interval and the method;
- ``calibration/fit.json``: every estimate (value, interval, n, method, what was written), the
  monthly lead counts and fit, the cycle fits, stale deals, notes, rows left out and the
  inputs that are not from data;
- ``calibration/sensitivity-ranges.toml``: the fitted 95% intervals of the numeric keys as a
  ``[sensitivity] ranges`` table (``channelsim sensitivity calibrated.toml --ranges`` reads it;
  pasted into a scenario it does the same);
- ``calibration/initial_state.json``: the pipeline and team at the export date (format below);
- ``calibration/plots/*.png`` and ``calibration/calibration.html``; ``backtest.csv`` with
  ``--backtest``.

**initial_state.json** (``format = "channelsim-initial-state"``, ``version = 1``): ``as_of``
(ISO date); ``deals``: one object per deal open at the export date (stale deals counted lost are
not there) with ``line`` (in the export), ``channel``, ``owner``, ``segment``, ``amount`` (null
if none) and ``age_days`` (days open at the export date); ``sellers``: one object per active
owner with ``owner``, ``channel``, ``tenure_days`` (days since their first deal: a lower bound
for owners already there when the export begins) and ``open_deals``. The calibrated scenario
names it as its ``scenario.initial_state``, so its runs start from it
(:mod:`channelsim.scenario.initial_state`, :mod:`channelsim.model.opening`). A segment the
calibrated scenario does not have (one seen only on partner-sourced deals, say) is written as
null: the run draws it by the segments' shares.

The folder is written aside and swapped in whole (``replace_folder``), then the scenario file
atomically, so an interrupted run leaves the previous complete outputs.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from channelsim import __version__
from channelsim.calibration.crm import DIRECT
from channelsim.calibration.figures import (
    plot_backtest,
    plot_cycle,
    plot_deal_sizes,
    plot_leads,
    plot_win_rate,
)
from channelsim.calibration.report import render_html
from channelsim.outputs.figures import save_figure
from channelsim.outputs.files import (
    BACKTEST_CSV,
    CALIBRATION_DIR,
    CALIBRATION_HTML,
    FIT_JSON,
    INITIAL_STATE_JSON,
    PLOTS_DIR,
    RANGES_TOML,
    atomic_write,
    replace_folder,
)
from channelsim.outputs.text import frame_csv, json_value
from channelsim.scenario import field_spec, toml_key, toml_value

if TYPE_CHECKING:
    from channelsim.calibration.backtest import Backtest
    from channelsim.calibration.calibrate import Calibration

__all__ = [
    "calibration_folder",
    "fit_json",
    "initial_state",
    "sensitivity_ranges",
    "write_calibration",
]

_DAY = pd.Timedelta(days=1)


def calibration_folder(out: Path) -> Path:
    """The ``calibration/`` folder beside the calibrated scenario file."""
    return Path(out).parent / CALIBRATION_DIR


def sensitivity_ranges(cal: Calibration) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """The fitted 95% intervals of numeric keys, clipped to each key's allowed range."""
    ranges: dict[str, tuple[float, float]] = {}
    left: list[str] = []
    for e in cal.estimates:
        if not e.in_scenario or isinstance(e.written, list | str):
            continue
        if e.key.startswith("demand.segments.") and e.key.endswith(".share"):
            continue  # shares must sum to 1: one cannot move alone
        if not (math.isfinite(e.low) and math.isfinite(e.high)):
            continue
        # a distribution's interval is its mean's: vary the mean, keep the spread
        key = f"{e.key}.mean" if isinstance(e.written, dict) else e.key
        spec = field_spec(cal.scenario, key)
        if spec is None or not spec.numeric:
            left.append(key)
            continue
        if spec.kind == "integer":
            low, high = math.floor(e.low), math.ceil(e.high)
        else:
            low, high = spec.convert(spec.clip(e.low)), spec.convert(spec.clip(e.high))
        if low < high:
            ranges[key] = (low, high)
    return ranges, left


def _ranges_toml(cal: Calibration) -> str:
    ranges, _ = sensitivity_ranges(cal)
    lines = [
        f"# Fitted 95% intervals from {cal.deals.file} (export date {cal.deals.as_of.date()}),",
        "# for `channelsim sensitivity SCENARIO --ranges THIS_FILE` or to paste into a scenario.",
        "# A sales cycle varies by its mean (its sd kept); segment shares are left out (they",
        "# must sum to 1).",
        "",
        "[sensitivity]",
        "ranges = {"
        + ", ".join(f"{toml_key(k)} = {toml_value([lo, hi])}" for k, (lo, hi) in ranges.items())
        + "}",
    ]
    return "\n".join(lines) + "\n"


def initial_state(cal: Calibration) -> dict[str, Any]:
    """Today's open deals and active sellers (see the module docstring for the format)."""
    frame, as_of = cal.frame, cal.deals.as_of
    still = frame[frame.outcome == "open"]
    segments = {s.name for s in cal.scenario.demand.segments}
    deals = [
        {
            "line": int(r.line),
            "channel": r.channel,
            "owner": r.owner,
            "segment": r.segment if r.segment in segments or not segments else None,
            "amount": None if pd.isna(r.amount) else float(r.amount),
            "age_days": float((as_of - r.created) / _DAY),
        }
        for r in still.itertuples(index=False)
    ]
    table = cal.sellers.owners.table
    sellers = (
        [
            {
                "owner": r.owner,
                "channel": r.channel,
                "tenure_days": float((as_of - r.first) / _DAY),
                "open_deals": int(r.open_now),
            }
            for r in table[table.active].itertuples(index=False)
        ]
        if len(table)
        else []
    )
    return {
        "format": "channelsim-initial-state",
        "version": 1,
        "as_of": as_of.date().isoformat(),
        "source": cal.deals.file,
        "deals": deals,
        "sellers": sellers,
    }


def fit_json(cal: Calibration, bt: Backtest | None = None) -> dict[str, Any]:
    """Everything the calibration found, as JSON data."""
    leads = cal.leads
    data = {
        "channelsim_version": __version__,
        "source": cal.deals.file,
        "as_of": cal.deals.as_of.date().isoformat(),
        "rows": cal.deals.rows,
        "rows_left_out": [
            {"line": p.line, "column": p.column, "problem": p.message} for p in cal.deals.dropped
        ],
        "columns": cal.deals.columns,
        "strategy": cal.mode,
        "estimates": [e.as_json() for e in cal.estimates],
        "leads": {
            "model": leads.chosen,
            "aic": leads.aic,
            "months": [str(m) for m in leads.data.months],
            "counts": leads.data.counts.tolist(),
            "used": leads.data.used.tolist(),
            "fitted": leads.fitted.tolist(),
            "left_out": leads.data.cut,
        },
        "cycles": {
            ch: {
                "chosen": f.chosen.family,
                "families": {
                    name: {"mean": fit.mean, "sd": fit.sd, "aic": fit.aic}
                    for name, fit in f.fits.items()
                },
                "naive_mean": None if f.naive is None else f.naive.mean,
                "closed": len(f.data.closed),
                "open": len(f.data.open_ages),
            }
            for ch, f in cal.cycles.items()
        },
        "stale": [vars(s) for s in cal.stale],
        "notes": cal.notes,
        "not_from_data": [{"key": n.key, "reason": n.reason} for n in cal.not_from_data],
    }
    if bt is not None:
        data["backtest"] = {
            "start": bt.start.date().isoformat(),
            "months": len(bt.table),
            "replications": bt.replications,
            "share_inside": bt.share_inside,
            "notes": bt.notes,
        }
    return json_value(data)


def _win_rate_table(frame: pd.DataFrame) -> pd.DataFrame:
    closed = frame[frame.outcome != "open"]
    rows = []
    for month, grp in closed.groupby(closed.closed.dt.to_period("M"), sort=True):
        won = int((grp.outcome == "won").sum())
        ci = stats.binomtest(won, len(grp)).proportion_ci(method="exact")
        rows.append((str(month), won / len(grp), ci.low, ci.high))
    return pd.DataFrame(rows, columns=["month", "rate", "low", "high"])


def _deal_size_density(cal: Calibration) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    won = cal.frame[(cal.frame.outcome == "won") & (cal.frame.amount > 0)]
    amounts = won.amount.to_numpy(dtype=float)
    try:
        sigma = cal.estimate("product.deal_size_cv").extra["log_sd"]
    except KeyError:
        sigma = float(np.log(amounts).std()) if len(amounts) > 1 else 0.1
    grid = np.linspace(0, np.quantile(amounts, 0.995) * 1.1, 400)
    density = np.zeros_like(grid)
    for _, grp in won.groupby(["channel", "segment"]):
        mean = grp.amount.mean()
        dist = stats.lognorm(max(sigma, 1e-6), scale=mean * math.exp(-sigma * sigma / 2))
        density += len(grp) / len(won) * dist.pdf(grid)
    return amounts, grid, density


def _plots(cal: Calibration, bt: Backtest | None, folder: Path) -> list[tuple[str, str]]:
    plots = folder / PLOTS_DIR
    made: list[tuple[str, str]] = []

    def save(name: str, fig, caption: str) -> None:
        save_figure(fig, plots / f"{name}.png")
        made.append((f"{PLOTS_DIR}/{name}.png", caption))

    leads = cal.leads
    save(
        "leads",
        plot_leads(
            [str(m) for m in leads.data.months],
            leads.data.counts,
            leads.fitted,
            leads.data.used,
            leads.chosen,
        ),
        "Company leads per calendar month; grey months are cut by the export and left out.",
    )
    for channel, fit in cal.cycles.items():
        days, still = fit.kaplan_meier()
        name = "cycle" if channel == DIRECT else f"cycle_{len(made)}"
        save(
            name,
            plot_cycle(
                channel,
                days,
                still,
                fit.chosen.frozen(),
                None if fit.naive is None else fit.naive.frozen(),
                fit.chosen.family,
            ),
            f"Sales cycle of {channel}: the Kaplan-Meier curve counts open deals as censored; "
            "the naive fit, on closed deals only, ends too early.",
        )
    table = _win_rate_table(cal.frame)
    if len(table):
        overall = float((cal.frame[cal.frame.outcome != "open"].outcome == "won").mean())
        save(
            "win_rate",
            plot_win_rate(table, overall),
            "Win rate of the deals closed each month, with its exact 95% band.",
        )
    amounts, grid, density = _deal_size_density(cal)
    if len(amounts):
        save(
            "deal_size",
            plot_deal_sizes(amounts, grid, density),
            "Won amounts against the fitted lognormal noise around each segment's mean.",
        )
    if bt is not None:
        save("backtest_sales", plot_backtest(bt.table, "sales", "won deals a month"), bt.text())
        save(
            "backtest_revenue",
            plot_backtest(bt.table, "revenue", "revenue a month"),
            "Revenue of won deals a month against the simulated band.",
        )
    return made


def write_calibration(cal: Calibration, out: Path, bt: Backtest | None = None) -> Path:
    """Write the calibrated scenario ``out`` and the ``calibration/`` folder beside it.

    Args:
        cal: the calibration.
        out: the calibrated scenario's path (``.toml``).
        bt: the back-test, when run.

    Returns:
        The calibration folder.
    """
    out = Path(out)
    folder = calibration_folder(out)
    target = Path(os.path.realpath(folder))
    # replaced only if empty or a calibration folder holding nothing else (its manifest.json)
    with replace_folder(target, "calibration") as tmp:
        atomic_write(tmp / FIT_JSON, json.dumps(fit_json(cal, bt), indent=2) + "\n")
        atomic_write(tmp / RANGES_TOML, _ranges_toml(cal))
        atomic_write(tmp / INITIAL_STATE_JSON, json.dumps(initial_state(cal), indent=1) + "\n")
        if bt is not None:
            atomic_write(tmp / BACKTEST_CSV, frame_csv(bt.table))
        plots = _plots(cal, bt, tmp)
        atomic_write(tmp / CALIBRATION_HTML, render_html(cal, bt, plots, tmp, out.name))
    atomic_write(out, cal.scenario_toml())
    return folder
