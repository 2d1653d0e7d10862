"""Generate ``docs/scenario-reference.md`` from the scenario schema.

Run ``python -m channelsim.docgen`` after changing the schema (:mod:`channelsim.scenario`);
``python -m channelsim.docgen --check`` exits with status 1 when the file is stale (CI runs it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from channelsim.distributions import (
    Beta,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
)
from channelsim.scenario import (
    BUILTIN_STRATEGIES,
    PARTNER_KINDS,
    VALIDATION_RULES,
    FieldDoc,
    TableDoc,
    flat_tables,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "scenario-reference.md"
"""Where ``python -m channelsim.docgen`` writes the reference (the repository's docs folder)."""

_INTRO = """\
# Scenario file reference

<!-- Generated from channelsim/scenario/ by `python -m channelsim.docgen`: do not edit. -->

A scenario is a TOML file describing a company, its market, its sales team and its partner
programs. Every table and every key is optional except where marked **required**: an omitted key
takes the default listed here (a partner program's defaults depend on its `kind`).
`channelsim validate FILE` checks a file and prints it with every default filled in;
`channelsim schema` prints the JSON Schema for editors. `scenarios/saas_midmarket.toml` is an
annotated example.

**Dotted keys.** `--set key=value`, sweep parameters and the `set` table of a named strategy
address any key by its dotted path: `demand.leads_per_month`, `direct.hiring.max_hires_per_month`,
`direct.sales_cycle_days.mean` (a parameter of a distribution table). Programs and segments are
addressed by name: `partners.<name>.commission_rate`, `demand.segments.<name>.share`; named
strategies likewise: `strategies.<name>.base`. The value after `=` is read as a TOML value
(`5`, `0.4`, `inf`, `[1, 2]`, `{dist = "exponential", mean = 30}`, `"text"`), or taken as text
when it is not one (`--set scenario.strategy=direct`); it is then converted to the key's type.
Unknown keys and names are refused with a suggestion.

**Units.** Time is in days (durations) or months (rates "a month", horizons); a month is
365.25 / 12 days. Money is in the scenario's currency, without a symbol. Shares and rates are
fractions (0.25 = 25%). Each description states the unit.

**Sources.** Where a default comes from a published figure, its description names the source.
Other defaults are illustrative: set them from your own data.
"""


def _cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _default_cell(doc: FieldDoc) -> str:
    if doc.required:
        return "**required**"
    if not doc.default:
        return "not set"
    return _code(doc.default)


def _allowed_cell(doc: FieldDoc) -> str:
    return _cell(doc.constraints)


def _table_section(table: TableDoc) -> list[str]:
    lines = [f"## `{table.header}`", ""]
    if table.doc:
        lines += [table.doc, ""]
    if table.key != table.header.strip("[]"):
        lines += [f"Dotted keys: `{table.key}.KEY`.", ""]
    if any(doc.kind_defaults for doc in table.fields):
        header = ["key", "type", "allowed", *PARTNER_KINDS, "description"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for doc in table.fields:
            if doc.kind_defaults:
                by_kind = [_cell(_code(doc.kind_defaults[k])) for k in PARTNER_KINDS]
            else:
                by_kind = [_default_cell(doc)] * len(PARTNER_KINDS)
            cells = [
                _code(doc.name),
                _cell(doc.type),
                _allowed_cell(doc),
                *by_kind,
                _cell(doc.description),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    else:
        header = ["key", "type", "allowed", "default", "description"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for doc in table.fields:
            cells = [
                _code(doc.name),
                _cell(doc.type),
                _allowed_cell(doc),
                _cell(_default_cell(doc)),
                _cell(doc.description),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


_DIST_EXAMPLES = {
    Fixed: "`30` or `inf`",
    Exponential: '`{dist = "exponential", mean = 30}`',
    Lognormal: '`{dist = "lognormal", mean = 45, sd = 20}`',
    Gamma: '`{dist = "gamma", mean = 45, sd = 20}`',
    Triangular: '`{dist = "triangular", low = 10, mode = 30, high = 90}`',
    Uniform: '`{dist = "uniform", low = 10, high = 60}`',
    Beta: '`{dist = "beta", a = 0.6, b = 3.4}`',
}


def _dist_params(model: type) -> str:
    params = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key == "dist":
            continue
        bounds = {type(m).__name__: m for m in info.metadata}
        words = []
        if "Gt" in bounds:
            words.append(f"> {bounds['Gt'].gt:g}")
        if "Ge" in bounds:
            words.append(f"≥ {bounds['Ge'].ge:g}")
        params.append(f"`{key}` ({', '.join(words)})" if words else f"`{key}`")
    return ", ".join(params)


def _distribution_section() -> list[str]:
    lines = [
        "## Distributions",
        "",
        "A duration or amount that can vary (keys of type *distribution*) takes a plain number "
        "(a fixed value; TOML's `inf` means never) or a table naming a distribution by its own "
        "mean and spread. Every value drawn is ≥ 0.",
        "",
        "| dist | parameters | example | description |",
        "|---|---|---|---|",
    ]
    for model, example in _DIST_EXAMPLES.items():
        dist = get_args(model.model_fields["dist"].annotation)[0]
        doc = (model.__doc__ or "").strip().splitlines()[0]
        if model is Fixed:
            doc += " Written as a plain number."
        lines.append(f"| `{dist}` | {_dist_params(model)} | {_cell(example)} | {_cell(doc)} |")
    lines.append("")
    return lines


def _strategies_section() -> list[str]:
    names = ", ".join(f"`{n}`" for n in BUILTIN_STRATEGIES)
    return [
        "## Strategies",
        "",
        f"Every scenario can run the built-in strategies {names}: `direct` turns partner "
        "programs off and sends all company leads to the sales team; `indirect` has no reps and "
        "no hiring and sends all company leads to partners; `hybrid` runs both, routed by "
        "`[routing]`. A `[strategies.NAME]` table defines another one as a `base` strategy plus "
        "a `set` table of dotted keys, applied base first:",
        "",
        "```toml",
        "[strategies.lean_team]",
        'base = "hybrid"',
        'set = {"direct.max_reps" = 10}',
        "```",
        "",
    ]


def _rules_section() -> list[str]:
    lines = [
        "## Checks across keys",
        "",
        "Besides each key's type and range, a scenario must satisfy:",
        "",
    ]
    lines += [f"- {rule}" for rule in VALIDATION_RULES]
    lines += [
        "",
        "Each mistake is reported on one line naming the file and the key, e.g. "
        "`error: my.toml: direct.win_rate: must be between 0 and 1, got 1.4`.",
        "",
    ]
    return lines


def render_scenario_reference() -> str:
    """The Markdown reference of every scenario key, generated from the schema.

    Returns:
        The text of ``docs/scenario-reference.md``: an introduction, one table per TOML table
        (key, type, allowed values, default, description with unit and source; one default
        column per kind for partner programs), then distributions, strategies and the checks
        across keys.
    """
    lines = [_INTRO]
    for table in flat_tables():
        lines += _table_section(table)
    lines += _distribution_section()
    lines += _strategies_section()
    lines += _rules_section()
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the scenario reference, or check that it is up to date.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0, or 1 when ``--check`` finds the file stale.
    """
    parser = argparse.ArgumentParser(
        prog="python -m channelsim.docgen", description="Generate docs/scenario-reference.md."
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="file to write")
    args = parser.parse_args(argv)
    text = render_scenario_reference()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if current != text:
            print(f"{args.output} is stale: run `python -m channelsim.docgen`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
