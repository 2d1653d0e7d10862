"""What a value-of-information analysis says and writes: its sentence, voi.json, voi.csv.

The sentence ranks what is worth finding out: "Knowing partners.VARs.activation_rate before
deciding is worth about 800k; the other assumptions are worth less than 90k each", then what to
choose without more information. Its folder is a sweep folder (``points.csv``,
``results.csv``, ``done.jsonl``, ``manifest.json``, ``scenario.resolved.toml``) plus
``voi.json``, ``voi.csv``, ``plots/voi.png`` and ``run.json``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelsim import __version__
from channelsim.metrics.catalogue import metric as catalogue_entry
from channelsim.metrics.formatting import format_number, money_words
from channelsim.outputs.files import (
    JOURNAL,
    PLOTS_DIR,
    POINTS_CSV,
    RESOLVED_SCENARIO,
    RESULTS_CSV,
    RUN_JSON,
    VOI_CSV,
    VOI_JSON,
    atomic_write,
    fsync_dir,
    replace_folder,
    write_manifest,
)
from channelsim.outputs.text import json_value, rows_csv, table_csv

if TYPE_CHECKING:
    from channelsim.planning.voi import VoiResult

__all__ = ["voi_document", "voi_sentence", "write_voi_folder", "write_voi_outputs"]

METHOD = (
    "Latin hypercube sample of the uncertain inputs (scipy.stats.qmc), every strategy and "
    "replication at each sample on common random numbers; EVPI = mean of the best net benefit "
    "- the best mean; EVPPI by regression of the incremental net benefits on each input "
    "(Strong, Oakley and Brennan 2014, Med Decis Making 34:311-326) with a regression spline "
    "whose size GCV chooses; 95% intervals by a percentile bootstrap over the samples"
)


def _amount(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "?"
    if catalogue_entry(metric).currency:
        return money_words(value)
    return format_number(metric, value)


def _ceiling(value: float) -> float:
    """``value`` rounded up to one significant digit (73k -> 80k), for "less than"."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    return math.ceil(value / power) * power


def voi_sentence(result: VoiResult) -> str:
    """The answer in one sentence (see the module docstring)."""
    est = result.estimates
    metric = result.spec.objective.metric
    table = result.params_table
    best = est.best
    chance = est.prob_best[best].value
    evpi = est.evpi.value
    if evpi <= 0 or chance >= 1:
        return (
            f"Knowing more would not change the choice: {best} is best in every sample, so "
            f"perfect information is worth nothing here ({result.spec.objective.name})"
        )
    top = table.iloc[0]
    text = f"Knowing {top['param']} before deciding is worth about {_amount(metric, top['evppi'])}"
    if len(table) > 1:
        others = float(table["evppi"].iloc[1:].max())
        bound = _ceiling(others)
        if bound > 0:
            text += f"; the other assumptions are worth less than {_amount(metric, bound)} each"
        else:
            text += "; the other assumptions are worth nothing measurable"
        text += f" (all of them together, EVPI: {_amount(metric, evpi)})"
    text += (
        f". Deciding now, choose {best}: best in {100 * chance:.0f}% of the samples, with an "
        f"expected loss of {_amount(metric, est.expected_loss[best].value)} against a choice "
        "made knowing everything"
    )
    return text


def voi_document(result: VoiResult) -> dict[str, Any]:
    """The contents of ``voi.json``."""
    est, spec = result.estimates, result.spec

    def interval(i: Any) -> dict[str, Any]:
        return {"value": i.value, "ci_low": i.ci_low, "ci_high": i.ci_high}

    strategies = result.strategies_table
    doc = {
        "objective": {
            "metric": spec.objective.metric,
            "channel": spec.objective.channel,
            "name": spec.objective.name,
            "better": "lower" if spec.objective.lower_is_better else "higher",
            "net_benefit": "the mean over replications"
            + (", negated (lower is better)" if spec.objective.lower_is_better else ""),
        },
        "best": est.best,
        "evpi": interval(est.evpi),
        "evppi": [
            {**p.to_json(), **interval(est.evppi[p.key])}
            for p in sorted(spec.params, key=lambda p: -est.evppi[p.key].value)
        ],
        "strategies": [
            {
                "strategy": row.strategy,
                "mean_net_benefit": row.mean_net_benefit,
                "prob_best": interval(est.prob_best[row.strategy]),
                "expected_loss": interval(est.expected_loss[row.strategy]),
            }
            for row in strategies.itertuples(index=False)
        ],
        "message": result.message,
        "samples": spec.samples,
        "samples_used": est.samples,
        "replications": spec.replications,
        "seed": spec.seed,
        "method": METHOD,
        "channelsim_version": __version__,
    }
    return json.loads(json.dumps(json_value(doc), allow_nan=False))


def _voi_csv(result: VoiResult) -> str:
    est = result.estimates
    rows: list[list[Any]] = [["kind", "name", "value", "ci_low", "ci_high"]]
    rows.append(["evpi", "all", est.evpi.value, est.evpi.ci_low, est.evpi.ci_high])
    for row in result.params_table.itertuples(index=False):
        rows.append(["evppi", row.param, row.evppi, row.ci_low, row.ci_high])
    for kind, values in (("prob_best", est.prob_best), ("expected_loss", est.expected_loss)):
        for name, i in values.items():
            rows.append([kind, name, i.value, i.ci_low, i.ci_high])
    return rows_csv(rows)


def write_voi_outputs(folder: Path, result: VoiResult, manifest: dict[str, Any]) -> None:
    """voi.json, voi.csv, results.xlsx, plots/voi.png, manifest.json, run.json, atomically."""
    # imported here: matplotlib (and openpyxl) load only when an analysis's folder is written
    from channelsim.outputs.figures import save_figure
    from channelsim.outputs.xlsx import RESULTS_XLSX, write_workbook
    from channelsim.planning.workbooks import voi_sheets

    text = json.dumps(voi_document(result), indent=2, allow_nan=False) + "\n"
    atomic_write(folder / VOI_JSON, text, durable=True)
    atomic_write(folder / VOI_CSV, _voi_csv(result), durable=True)
    write_workbook(folder / RESULTS_XLSX, voi_sheets(result))
    save_figure(result.plot(), folder / PLOTS_DIR / "voi.png")
    run = {
        "note": "not reproducible: the only file of the folder that changes between identical runs",
        "written_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(result.run_seconds, 3),
        "channelsim_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    atomic_write(folder / RUN_JSON, json.dumps(run, indent=2) + "\n", durable=True)
    write_manifest(folder, "voi", manifest, durable=True)  # last: it lists every file
    fsync_dir(folder)


def write_voi_folder(out_dir: Path, result: VoiResult, manifest: dict[str, Any]) -> None:
    """The whole folder of an analysis run in memory, as the crash-safe run leaves it."""
    with replace_folder(out_dir, "voi", manifest=manifest) as tmp:
        atomic_write(tmp / RESOLVED_SCENARIO, result.scenario.to_toml())
        atomic_write(tmp / POINTS_CSV, table_csv(result.points))
        atomic_write(tmp / RESULTS_CSV, table_csv(result.results))
        journal = "".join(
            json.dumps({"point": int(p), "status": "ok"}) + "\n" for p in result.points["point"]
        )
        atomic_write(tmp / JOURNAL, journal)
        write_voi_outputs(tmp, result, manifest)
