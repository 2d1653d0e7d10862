"""``calibration.html``: one short, self-contained page of what the export told and did not.

Sections: the export (rows, rows left out, export date), the estimates with their intervals and
methods, stale deals and their effect, the back-test, the plots (inline PNGs) and what is not
from data. Every string from the user's file (column names, owners, channels, segments, stage
values, the file name) goes through ``html.escape``: an export is untrusted text.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

from channelsim.metrics.formatting import format_fitted

if TYPE_CHECKING:
    from channelsim.calibration.backtest import Backtest
    from channelsim.calibration.calibrate import Calibration

__all__ = ["render_html"]

_CSS = """
body { margin: 0; color: #1f2328; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, Arial,
  sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 30px 0 8px; border-bottom: 1px solid #d1d9e0; }
p.meta, figcaption, td.method { color: #59636e; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef1f4;
  vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 18px 0; } img { max-width: 100%; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(x: float, unit: str = "") -> str:
    return "" if x is None else format_fitted(float(x), unit)


def render_html(
    cal: Calibration,
    bt: Backtest | None,
    plots: list[tuple[str, str]],
    folder: Path,
    scenario_name: str,
) -> str:
    """The page's HTML.

    Args:
        cal: the calibration.
        bt: the back-test, when run.
        plots: (path inside the folder, caption) of each plot.
        folder: the folder the plots were written to (their bytes are inlined).
        scenario_name: the calibrated scenario's file name.
    """
    d = cal.deals
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Calibration: {_e(d.file)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>Calibration from {_e(Path(d.file).name)}</h1>",
        f"<p class='meta'>Export date {_e(d.as_of.date())}; {d.rows} rows, {len(d.dropped)} "
        f"left out; strategy of the history: {_e(cal.mode)}; calibrated scenario: "
        f"{_e(scenario_name)}.</p>",
        "<h2>Estimates</h2><table><tr><th>key</th><th>estimate</th><th>95% interval</th>"
        "<th>n</th><th>method</th></tr>",
    ]
    for e in cal.estimates:
        value = e.written if isinstance(e.written, str) else _num(e.value, e.unit)
        if isinstance(e.written, dict):
            value = ", ".join(f"{k} {v}" for k, v in e.written.items())
        interval = f"{_num(e.low, e.unit)} – {_num(e.high, e.unit)}" if math.isfinite(e.low) else ""
        parts.append(
            f"<tr><td><code>{_e(e.key)}</code></td><td class='num'>{_e(value)}</td>"
            f"<td class='num'>{_e(interval)}</td><td class='num'>{e.n}</td>"
            f"<td class='method'>{_e(e.method)}</td></tr>"
        )
    parts.append("</table>")
    parts.append("<h2>Stale deals</h2><ul>")
    parts += [f"<li>{_e(s.text())}</li>" for s in cal.stale]
    parts.append("</ul>")
    if bt is not None:
        parts.append(f"<h2>Back-test</h2><p>{_e(bt.text())}.</p><ul>")
        parts += [f"<li>{_e(n)}</li>" for n in bt.notes]
        parts.append("</ul>")
    for path, caption in plots:
        data = base64.b64encode((folder / path).read_bytes()).decode("ascii")
        parts.append(
            f"<figure><img alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    if cal.notes or d.dropped:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{_e(n)}</li>" for n in cal.notes]
        parts += [f"<li>{_e(w)}</li>" for w in d.warnings()]
        parts.append("</ul>")
    parts.append(
        "<h2>Not from data</h2><p>These keep the base scenario's (or the default) value:</p><ul>"
    )
    parts += [f"<li><code>{_e(n.key)}</code>: {_e(n.reason)}</li>" for n in cal.not_from_data]
    parts.append("</ul></main></body></html>\n")
    return "\n".join(parts)
