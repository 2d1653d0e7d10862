"""Loading a scenario: a TOML file or text, overrides applied, validated.

Every mistake becomes a :class:`~channelsim.errors.Problem` naming the file and the key path:
a missing or unreadable file, a TOML syntax error with its line, an unknown key, a bad value.

**Changing a program's kind keeps the file's values.** ``--set partners.VARs.kind=agent`` on a
file that writes ``discount = 0.3`` gives an agent program with a 30% discount: the kind only
fills the keys the file leaves out. That is the rule (a file's value always wins), but a user
who expected "an agent program" gets a hybrid, so :func:`kind_override_warnings` names each
key the file sets to something else than the new kind's default, for the command line to
print as a warning.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from channelsim.errors import Problem, ScenarioError
from channelsim.scenario.document import Scenario, build
from channelsim.scenario.introspect import named_lookup
from channelsim.scenario.overrides import Override, TooDeep, load_toml, normalize_overrides
from channelsim.scenario.partners import KIND_DEFAULTS, KIND_FIELDS
from channelsim.scenario.toml_writer import toml_value


def load_scenario(
    path: str | PathLike[str],
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: the TOML scenario file.
        overrides: ``--set`` strings ``"key=value"`` (value read as a TOML value, else as raw
            text) or a mapping ``{dotted_key: value}``; applied before validation, so a
            kind-defaulted partner key or a changed ``kind`` works as if written in the file.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: one Problem per mistake, each naming the file and the key path.
    """
    file = str(path)
    p = Path(path)
    if not p.exists():
        raise ScenarioError(Problem(file, "", "file not found"))
    if not p.is_file():
        raise ScenarioError(Problem(file, "", "not a file"))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(Problem(file, "", "not a UTF-8 text file")) from None
    except OSError as exc:
        raise ScenarioError(Problem(file, "", f"cannot read: {exc.strerror}")) from None
    return loads_scenario(text, overrides, file=file)


def loads_scenario(
    text: str,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    *,
    file: str | None = None,
) -> Scenario:
    """Parse, override and validate scenario TOML text.

    Args:
        text: the TOML text.
        overrides: as for :func:`load_scenario`.
        file: the name to put in problems (None: problems name no file).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: TOML syntax errors, bad overrides, invalid values.
    """
    try:
        data = load_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(Problem(file, "", f"invalid TOML: {exc}")) from None
    except TooDeep as exc:
        raise ScenarioError(Problem(file, "", f"refused: {exc}")) from None
    items, problems = normalize_overrides(overrides)
    return build(data, items, file, problems)


def kind_override_warnings(
    path: str | PathLike[str],
    overrides: Mapping[str, Any] | Sequence[str] | None,
) -> list[str]:
    """What a ``partners.NAME.kind`` override leaves as the file wrote it.

    Args:
        path: the scenario file (already loaded without error).
        overrides: the ``--set`` strings (or mapping) it was loaded with.

    Returns:
        One line per program whose kind an override changes and whose file sets keys to
        values other than the new kind's defaults (keys the overrides set themselves are left
        out: they say what the user wants), e.g. ``partners.VARs.kind=agent: the file sets
        discount = 0.3, which the agent kind would default to 0; the file's value is kept``.
    """
    try:
        data = load_toml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, TooDeep):
        return []
    items, _problems = normalize_overrides(overrides)
    return kind_change_warnings(data, items)


def kind_change_warnings(data: Mapping[str, Any], items: Sequence[Override]) -> list[str]:
    """:func:`kind_override_warnings` on a file's raw data and its parsed overrides."""
    programs = data.get("partners")
    if not isinstance(programs, list):
        return []
    by_name = {
        p["name"]: p for p in programs if isinstance(p, dict) and isinstance(p.get("name"), str)
    }
    explicit: dict[str, set[str]] = {}
    changes: list[tuple[Override, str]] = []
    for item in items:
        parts = item.key.split(".")
        match = named_lookup(parts[1:], list(by_name)) if parts[0] == "partners" else None
        if match is None:
            continue
        name, n = match
        rest = parts[1 + n :]
        if rest == ["kind"]:
            changes.append((item, name))
        elif rest:
            explicit.setdefault(name, set()).add(rest[0])
    lines = []
    for item, name in changes:
        program, kind = by_name[name], str(item.value)
        if kind not in KIND_DEFAULTS or program.get("kind") == kind:
            continue
        defaults, overridden = KIND_DEFAULTS[kind], explicit.get(name, set())
        kept = [
            key
            for key in KIND_FIELDS
            if key in program and key not in overridden and program[key] != defaults[key]
        ]
        if not kept:
            continue
        sets = _and([f"{key} = {toml_value(program[key])}" for key in kept])
        would = _and([toml_value(defaults[key]) for key in kept])
        values = "value is" if len(kept) == 1 else "values are"
        lines.append(
            f"{item.key}={kind}: the file sets {sets}, which the {kind} kind would default to "
            f"{would}; the file's {values} kept"
        )
    return lines


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
