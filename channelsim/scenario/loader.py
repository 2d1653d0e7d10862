"""Loading a scenario: a TOML file or text, overrides applied, validated.

Every mistake becomes a :class:`~channelsim.errors.Problem` naming the file and the key path:
a missing or unreadable file, a TOML syntax error with its line, an unknown key, a bad value.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from channelsim.errors import Problem, ScenarioError
from channelsim.scenario.document import Scenario, build
from channelsim.scenario.overrides import TooDeep, load_toml, normalize_overrides


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
